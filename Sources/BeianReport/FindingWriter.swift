public import BeianCore
import Foundation

/// Writes findings in the formats the users exchange: JSON Lines (the stable schema, keys
/// sorted), CSV for spreadsheets (UTF-8 with a BOM so that Excel shows Chinese text; English
/// or Chinese column names), and the unfiled-site list as the V3.0 `WBAWZLB` element (GBK XML)
/// for the filing system.
public enum FindingWriter {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl, csv, wbawzlb

        /// The format a file name suggests (`.csv`, `.xml`), JSON Lines otherwise.
        public init(fileName: String) {
            let lower = fileName.lowercased()
            if lower.hasSuffix(".csv") {
                self = .csv
            } else if lower.hasSuffix(".xml") {
                self = .wbawzlb
            } else {
                self = .jsonl
            }
        }
    }

    public enum Headers: String, Sendable, CaseIterable {
        case en, zh
    }

    public static func render(_ findings: [Finding], format: Format, headers: Headers = .en) throws -> [UInt8] {
        switch format {
        case .jsonl: return try jsonLines(findings)
        case .csv: return csv(findings, headers: headers)
        case .wbawzlb: return wbawzlb(findings)
        }
    }

    /// One object per line, keys sorted, absent values left out — the layout `Finding`'s
    /// `Codable` form gives, written directly (Foundation's encoder cost more than the scan
    /// of a large capture).
    static func jsonLines(_ findings: [Finding]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(findings.count * 600)
        // Keys in sorted order, written straight to bytes; absent values leave their key out.
        var first = true
        func open(_ bracket: Character) {
            out.append(contentsOf: String(bracket).utf8)
            first = true
        }
        func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        func text(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            JSONText.append(value, to: &out)
        }
        func unit(_ name: StaticString, _ value: Finding.Unit?) {
            guard let value else { return }
            key(name)
            open("{")
            key("id")
            out.append(contentsOf: String(value.id).utf8)
            text("name", value.name)
            out.append(UInt8(ascii: "}"))
            first = false
        }
        for f in findings {
            open("{")
            text("address", f.address)
            key("count")
            out.append(contentsOf: String(f.count).utf8)
            text("detail", f.detail)
            key("evidence")
            out.append(UInt8(ascii: "["))
            for (k, item) in f.evidence.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                open("{")
                text("location", item.location)
                text("seen", item.seen)
                text("source", item.source)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
            first = false
            text("first_seen", f.firstSeen?.iso8601)
            text("host", f.host)
            text("independent_domain", f.independentDomain)
            text("kind", f.kind.rawValue)
            text("last_seen", f.lastSeen?.iso8601)
            unit("operator", f.operatorUnit)
            unit("provider", f.provider)
            text("province", f.province)
            text("site_number", f.siteNumber)
            text("sponsor_number", f.sponsorNumber)
            out.append(contentsOf: "}\n".utf8)
        }
        return out
    }

    static let columns: [(en: String, zh: String)] = [
        ("kind", "类型"), ("kind_zh", "类型名称"), ("host", "域名"), ("independent_domain", "独立域名"), ("address", "IP地址"),
        ("sponsor_number", "主体备案号"), ("site_number", "网站备案号"), ("provider_id", "接入商ID"), ("provider", "接入商"),
        ("operator_id", "运营商ID"), ("operator", "运营商"), ("province", "所属省"), ("first_seen", "首次检测时间"),
        ("last_seen", "当前检测时间"), ("count", "检测次数"), ("detail", "说明"), ("evidence", "证据"),
    ]

    static func csv(_ findings: [Finding], headers: Headers) -> [UInt8] {
        var text = "\u{FEFF}" + columns.map { headers == .zh ? $0.zh : $0.en }.joined(separator: ",") + "\r\n"
        for f in findings {
            let evidence = f.evidence.map { [$0.source, $0.location, $0.seen].compactMap { $0 }.joined(separator: " ") }.joined(
                separator: "; ")
            let cells: [String] = [
                f.kind.rawValue, f.kind.chineseName, f.host ?? "", f.independentDomain ?? "", f.address ?? "", f.sponsorNumber ?? "",
                f.siteNumber ?? "", f.provider.map { String($0.id) } ?? "", f.provider?.name ?? "",
                f.operatorUnit.map { String($0.id) } ?? "",
                f.operatorUnit?.name ?? "", f.province ?? "", f.firstSeen?.description ?? "", f.lastSeen?.description ?? "",
                String(f.count),
                f.detail, evidence,
            ]
            text += cells.map(quoted).joined(separator: ",") + "\r\n"
        }
        return Array(text.utf8)
    }

    static func quoted(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The unfiled sites as `DownloadData/ICP/WBAWZLB/Wbawz_xx` records (V3.0 schema), GBK.
    static func wbawzlb(_ findings: [Finding]) -> [UInt8] {
        var x = "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<DownloadData>\n<ICP>\n<WBAWZLB>\n"
        for (number, f) in findings.filter({ $0.kind == .unfiledSite }).enumerated() {
            x += "<Wbawz_xx>" + element("Id", String(number + 1)) + element("Wzym_mc", f.host ?? f.independentDomain)
            x += "<Yylb>" + element("Yylb_id", "1") + "</Yylb>" + element("IP", f.address)
            x += element("Dqjcsj", f.lastSeen?.description) + element("Jccs", String(f.count))
            let province = f.province.flatMap { $0.first }.flatMap { Province.abbreviated($0) }
            x += element("Sssh", province.map { String($0.registryCode) }) + element("Scjcsj", f.firstSeen?.description)
            x += element("Jrs", f.provider.map { String($0.id) }) + element("Yys", f.operatorUnit.map { String($0.id) })
            x += element("Bz", f.independentDomain.map { "独立域名 \($0)" }) + "</Wbawz_xx>\n"
        }
        x += "</WBAWZLB>\n</ICP>\n</DownloadData>\n"
        return GB18030Encoder.encode(x)
    }

    static func element(_ name: String, _ value: String?) -> String {
        guard let value, !value.isEmpty else { return "" }
        var escaped = ""
        for character in value {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return "<\(name)>\(escaped)</\(name)>"
    }
}
