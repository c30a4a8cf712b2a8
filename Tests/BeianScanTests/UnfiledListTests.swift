import BeianCore
import BeianReport
import BeianTestSupport
import Foundation
import Testing

/// The V3.0 unfiled-site list (`WBAWZLB`) as an access provider's system reads it: valid
/// against the interface's schema, the address as an integer, the operator always there; what
/// the interface cannot hold left out and counted.
@Suite struct UnfiledListTests {
    func unfiled(_ host: String, _ address: String, provider: Int64? = 102, operatorUnit: Int64? = 12) -> Finding {
        var finding = Finding(kind: .unfiledSite, detail: "served without a filing", count: 3)
        finding.host = host
        finding.independentDomain = host
        finding.address = address
        finding.provider = provider.map { Finding.Unit(id: $0, name: "接入商") }
        finding.operatorUnit = operatorUnit.map { Finding.Unit(id: $0, name: "运营商") }
        finding.province = "浙"
        finding.firstSeen = try? Timestamp.parse("2026-03-01T10:00:00+08:00")
        finding.lastSeen = try? Timestamp.parse("2026-03-02T10:00:00+08:00")
        return finding
    }

    @Test func theListValidatesAndSaysWhatItLeftOut() throws {
        let findings = [
            unfiled("a.example.cn", "115.236.16.155"),
            unfiled("b.example.cn", "::ffff:112.13.16.78", provider: nil),
            unfiled("c.example.cn", "2409:8000::1"),
            unfiled("d.example.cn", "1.2.3.4", provider: nil, operatorUnit: nil),
            unfiled("e&<f>.example.cn", "115.236.28.222"),
            Finding(kind: .emptyShell, detail: "not an unfiled site"),
        ]
        let list = FindingWriter.wbawzlbList(findings)
        #expect(list.omitted.ipv6 == 1 && list.omitted.noOperator == 1)
        let file = try Fixtures.temporaryDirectory().appendingPathComponent("wbawzlb.xml").path
        try Data(list.bytes).write(to: URL(fileURLWithPath: file))
        let lint = try Schemas.validate([file], against: "download-data.xsd")
        #expect(lint.valid, "\(lint.messages)")
        // 115.236.16.155 = 0x73EC109B; the IPv4-mapped address is read as IPv4.
        let converter = TextConverter(from: .gb18030)
        var utf8: [UInt8] = []
        list.bytes.withUnsafeBytes { converter.convert($0, final: true, into: &utf8) }
        let decoded = String(decoding: utf8, as: UTF8.self)
        #expect(decoded.contains("<IP>1944850587</IP>"))
        #expect(decoded.contains("<IP>1879904334</IP>"))
        #expect(decoded.contains("<Yys>12</Yys>"))
        #expect(decoded.contains("<DownloadData version=\"3.0\">"))
        #expect(decoded.components(separatedBy: "<Wbawz_xx>").count - 1 == 3)
        #expect(decoded.contains("<Wzym_mc>e&amp;&lt;f&gt;.example.cn</Wzym_mc>"))
        #expect(!decoded.contains("2409:8000::1") && !decoded.contains("d.example.cn"))
    }
}
