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
        var out = ""
        for f in findings {
            var fields: [String] = []
            if let value = f.address { fields.append("\"address\":" + json(value)) }
            fields.append("\"count\":\(f.count)")
            fields.append("\"detail\":" + json(f.detail))
            let evidence = f.evidence.map { item in
                var parts: [String] = []
                if let location = item.location { parts.append("\"location\":" + json(location)) }
                if let seen = item.seen { parts.append("\"seen\":" + json(seen)) }
                parts.append("\"source\":" + json(item.source))
                return "{" + parts.joined(separator: ",") + "}"
            }
            fields.append("\"evidence\":[" + evidence.joined(separator: ",") + "]")
            if let value = f.firstSeen { fields.append("\"first_seen\":" + json(value.iso8601)) }
            if let value = f.host { fields.append("\"host\":" + json(value)) }
            if let value = f.independentDomain { fields.append("\"independent_domain\":" + json(value)) }
            fields.append("\"kind\":" + json(f.kind.rawValue))
            if let value = f.lastSeen { fields.append("\"last_seen\":" + json(value.iso8601)) }
            if let unit = f.operatorUnit { fields.append("\"operator\":" + json(unit)) }
            if let unit = f.provider { fields.append("\"provider\":" + json(unit)) }
            if let value = f.province { fields.append("\"province\":" + json(value)) }
            if let value = f.siteNumber { fields.append("\"site_number\":" + json(value)) }
            if let value = f.sponsorNumber { fields.append("\"sponsor_number\":" + json(value)) }
            out += "{" + fields.joined(separator: ",") + "}\n"
        }
        return Array(out.utf8)
    }

    static func json(_ unit: Finding.Unit) -> String {
        "{\"id\":\(unit.id)" + (unit.name.map { ",\"name\":" + json($0) } ?? "") + "}"
    }

    static func json(_ text: String) -> String { JSONText.quoted(text) }

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
