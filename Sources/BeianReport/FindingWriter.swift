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

    /// The findings in `format`; times in JSON Lines and CSV by `times` (the V3.0 list
    /// writes China time without a zone, as its schema asks).
    public static func render(_ findings: [Finding], format: Format, headers: Headers = .en, times: TimeStyle = .utc) -> [UInt8] {
        switch format {
        case .jsonl: jsonLines(findings, times: times)
        case .csv: csv(findings, headers: headers, times: times)
        case .wbawzlb: wbawzlb(findings)
        }
    }

    /// One object per line, keys sorted, absent values left out — the layout `Finding`'s
    /// `Codable` form gives, written straight to bytes (Foundation's encoder cost more than
    /// the scan of a large capture).
    public static func jsonLines(_ findings: [Finding], times: TimeStyle = .utc) -> [UInt8] {
        var out = JSONWriter(capacity: findings.count * 600)
        for finding in findings { json(finding, times: times, into: &out) }
        return out.bytes
    }

    /// One finding as a JSON line (the same layout as `jsonLines`).
    public static func json(_ f: Finding, times: TimeStyle = .utc, into out: inout JSONWriter) {
        object(f, times: times, into: &out)
        out.endLine()
    }

    /// One finding as a JSON object (as a value inside another document, or a line).
    public static func object(_ f: Finding, times: TimeStyle = .utc, into out: inout JSONWriter) {
        func unit(_ name: StaticString, _ value: Finding.Unit?) {
            guard let value else { return }
            out.key(name)
            out.beginObject()
            out.member("id", Int(value.id))
            out.member("name", value.name)
            out.endObject()
        }
        out.beginObject()
        out.member("address", f.address)
        out.member("count", f.count)
        out.member("detail", f.detail)
        out.key("evidence")
        out.beginArray()
        for item in f.evidence {
            out.beginObject()
            out.member("location", item.location)
            out.member("seen", item.seen)
            out.member("source", item.source)
            out.endObject()
        }
        out.endArray()
        out.member("first_seen", f.firstSeen?.text(times))
        out.member("host", f.host)
        out.member("independent_domain", f.independentDomain)
        out.member("kind", f.kind.rawValue)
        out.member("last_seen", f.lastSeen?.text(times))
        unit("operator", f.operatorUnit)
        unit("provider", f.provider)
        out.member("province", f.province)
        out.member("site_number", f.siteNumber)
        out.member("sponsor_number", f.sponsorNumber)
        out.endObject()
    }

    static let columns: [(en: String, zh: String)] = [
        ("kind", "类型"), ("kind_zh", "类型名称"), ("host", "域名"), ("independent_domain", "独立域名"), ("address", "IP地址"),
        ("sponsor_number", "主体备案号"), ("site_number", "网站备案号"), ("provider_id", "接入商ID"), ("provider", "接入商"),
        ("operator_id", "运营商ID"), ("operator", "运营商"), ("province", "所属省"), ("first_seen", "首次检测时间"),
        ("last_seen", "当前检测时间"), ("count", "检测次数"), ("detail", "说明"), ("evidence", "证据"),
    ]

    static func csv(_ findings: [Finding], headers: Headers, times: TimeStyle) -> [UInt8] {
        var text = "\u{FEFF}" + columns.map { headers == .zh ? $0.zh : $0.en }.joined(separator: ",") + "\r\n"
        for f in findings {
            let evidence = f.evidence.map { [$0.source, $0.location, $0.seen].compactMap { $0 }.joined(separator: " ") }.joined(
                separator: "; ")
            let cells: [String] = [
                f.kind.rawValue, f.kind.chineseName, f.host ?? "", f.independentDomain ?? "", f.address ?? "", f.sponsorNumber ?? "",
                f.siteNumber ?? "", f.provider.map { String($0.id) } ?? "", f.provider?.name ?? "",
                f.operatorUnit.map { String($0.id) } ?? "",
                f.operatorUnit?.name ?? "", f.province ?? "", f.firstSeen?.text(times) ?? "", f.lastSeen?.text(times) ?? "",
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
        wbawzlbList(findings).bytes
    }

    /// Unfiled sites the V3.0 list cannot hold, by reason.
    public struct Omitted: Sendable, Equatable {
        /// Served from an IPv6 address: the interface's `IP` is an IPv4 integer.
        public var ipv6 = 0
        /// No operator on file for the address (outside every IP filing): `Yys` is required.
        public var noOperator = 0
        public var total: Int { ipv6 + noOperator }
        public init() {}
    }

    /// The V3.0 unfiled-site list — valid against the interface's `download-data.xsd`: the
    /// `version` attribute, `IP` as the IPv4 address's integer, `Yys` (the operator of the
    /// address's block) always present — and the findings it had to leave out, which only the
    /// JSON Lines and CSV outputs can carry (docs/formats.md).
    public static func wbawzlbList(_ findings: [Finding]) -> (bytes: [UInt8], omitted: Omitted) {
        var x = "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<DownloadData version=\"3.0\">\n<ICP>\n<WBAWZLB>\n"
        var omitted = Omitted()
        var number = 0
        for f in findings where f.kind == .unfiledSite {
            guard case .v4(let address)? = f.address.flatMap({ try? IPAddress.parse($0).unmapped }), address.value > 0 else {
                omitted.ipv6 += 1
                continue
            }
            guard let operatorUnit = f.operatorUnit else {
                omitted.noOperator += 1
                continue
            }
            number += 1
            x += "<Wbawz_xx>" + element("Id", String(number)) + element("Wzym_mc", f.host ?? f.independentDomain)
            x += "<Yylb>" + element("Yylb_id", "1") + "</Yylb>" + element("IP", String(address.value))
            x += element("Dqjcsj", f.lastSeen?.description) + element("Jccs", String(f.count))
            let province = f.province.flatMap { $0.first }.flatMap { Province.abbreviated($0) }
            x += element("Sssh", province.map { String($0.registryCode) }) + element("Scjcsj", f.firstSeen?.description)
            x += element("Jrs", f.provider.map { String($0.id) }) + element("Yys", String(operatorUnit.id))
            let note = ["IP \(address)"] + (f.independentDomain.map { ["独立域名 \($0)"] } ?? [])
            x += element("Bz", note.joined(separator: "; ")) + "</Wbawz_xx>\n"
        }
        x += "</WBAWZLB>\n</ICP>\n</DownloadData>\n"
        return (GB18030Encoder.encode(x), omitted)
    }

    /// An element with escaped text; nothing for a missing or empty value.
    static func element(_ name: String, _ value: String?) -> String {
        guard let value, !value.isEmpty else { return "" }
        return XMLText.element(name, value)
    }
}
