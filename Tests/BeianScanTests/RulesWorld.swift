import BeianCore
import BeianGeo
import BeianIndex
import BeianScan
import BeianTestSupport
import Foundation
import Testing

/// A small registry written for the rules' tests: one operator (unit 10) holding
/// 60.1.0.0/16, which it allocates on to two access providers — 60.1.1.0/24 to unit 101,
/// which gives 60.1.1.0/25 to a customer, and 60.1.2.0/24 to unit 102 — and sites built so
/// that each rule has a case of its own.
///
/// | host | filing | served at |
/// |---|---|---|
/// | filed-a.cn | 浙ICP备20250001号-1, access 111 by 101: 60.1.1.10 | |
/// | filed-b.cn | -2, access 121 by 101: 60.1.1.20; access 122 by 101: 60.1.1.21, cancelled 2026-01-01 | |
/// | shell.cn | -3, access 131 by 101: 60.1.1.30 (for empty shells) | |
/// | mismatch.cn | -4, access 141 by **102**: 60.1.1.40 (a 101 address) | |
/// | over.cn | -5, access 151: 60.1.1.50 and 152: 60.1.1.51 | |
/// | gone.cn | 浙ICP备20250002号-1, its sponsor cancelled 2026-01-01 | 60.1.1.60 |
/// | black-sponsor.cn | 浙ICP备20250003号-1, its sponsor on the sponsor blacklist | 60.1.1.70 |
/// | banned.cn | none; on the site blacklist | |
/// | illegal.cn | none; on the illegal-access list, as is the address 60.1.2.99 | |
enum RulesWorld {
    static let registry = """
        {"kind":"province","province_code":330000,"abbreviation":"浙","name":"浙江省"}
        {"kind":"reporting_unit","unit_id":1,"unit_name":"地址注册机构","unit_class":4,"industry":7,"province":33,"valid":true}
        {"kind":"reporting_unit","unit_id":10,"unit_name":"示例电信浙江分公司","unit_class":1,"industry":7,"licence":"A2.B1-20090001","province":33,"valid":true}
        {"kind":"reporting_unit","unit_id":101,"unit_name":"示例云甲","unit_class":2,"industry":7,"licence":"B1-20190101","province":33,"valid":true}
        {"kind":"reporting_unit","unit_id":102,"unit_name":"示例云乙","unit_class":2,"industry":7,"licence":"B1-20190102","province":33,"valid":true}
        {"kind":"ip_source","source_id":1,"unit_id":10,"start":"60.1.0.0","end":"60.1.255.255","source_unit_id":1}
        {"kind":"ip_allocation","allocation_id":1001,"unit_id":10,"start":"60.1.1.0","end":"60.1.1.255","mode":2,"target_unit_id":101,"usage":3,"allocated":"2020-01-01","user_name":"示例云甲","province":330000}
        {"kind":"ip_allocation","allocation_id":1011,"unit_id":101,"start":"60.1.1.0","end":"60.1.1.127","mode":1,"usage":1,"allocated":"2021-01-01","user_name":"客户甲","province":330000}
        {"kind":"ip_allocation","allocation_id":1002,"unit_id":10,"start":"60.1.2.0","end":"60.1.2.255","mode":2,"target_unit_id":102,"usage":3,"allocated":"2020-01-01","user_name":"示例云乙","province":330000}
        {"kind":"sponsor","sponsor_number":"浙ICP备20250001号","sponsor_id":1,"name":"示例甲公司","nature":4,"province":"浙","first_filed":"2020-01-01"}
        {"kind":"sponsor","sponsor_number":"浙ICP备20250002号","sponsor_id":2,"name":"示例乙公司","nature":4,"province":"浙","first_filed":"2020-01-01"}
        {"kind":"sponsor","sponsor_number":"浙ICP备20250003号","sponsor_id":3,"name":"示例丙公司","nature":4,"province":"浙","first_filed":"2020-01-01"}
        {"kind":"site","site_number":"浙ICP备20250001号-1","site_id":11,"sponsor_id":1,"names":["甲一"],"domains":["filed-a.cn"]}
        {"kind":"site","site_number":"浙ICP备20250001号-2","site_id":12,"sponsor_id":1,"names":["甲二"],"domains":["filed-b.cn"]}
        {"kind":"site","site_number":"浙ICP备20250001号-3","site_id":13,"sponsor_id":1,"names":["甲三"],"domains":["shell.cn"]}
        {"kind":"site","site_number":"浙ICP备20250001号-4","site_id":14,"sponsor_id":1,"names":["甲四"],"domains":["mismatch.cn"]}
        {"kind":"site","site_number":"浙ICP备20250001号-5","site_id":15,"sponsor_id":1,"names":["甲五"],"domains":["over.cn"]}
        {"kind":"site","site_number":"浙ICP备20250002号-1","site_id":21,"sponsor_id":2,"names":["乙一"],"domains":["gone.cn"]}
        {"kind":"site","site_number":"浙ICP备20250003号-1","site_id":31,"sponsor_id":3,"names":["丙一"],"domains":["black-sponsor.cn"]}
        {"kind":"access","access_id":111,"site_id":11,"provider_id":101,"ranges":["60.1.1.10"]}
        {"kind":"access","access_id":121,"site_id":12,"provider_id":101,"ranges":["60.1.1.20"]}
        {"kind":"access","access_id":122,"site_id":12,"provider_id":101,"ranges":["60.1.1.21"]}
        {"kind":"access","access_id":131,"site_id":13,"provider_id":101,"ranges":["60.1.1.30"]}
        {"kind":"access","access_id":141,"site_id":14,"provider_id":102,"ranges":["60.1.1.40"]}
        {"kind":"access","access_id":151,"site_id":15,"provider_id":101,"ranges":["60.1.1.50"]}
        {"kind":"access","access_id":152,"site_id":15,"provider_id":101,"ranges":["60.1.1.51"]}
        {"kind":"access","access_id":211,"site_id":21,"provider_id":101,"ranges":["60.1.1.60"]}
        {"kind":"access","access_id":311,"site_id":31,"provider_id":101,"ranges":["60.1.1.70"]}
        {"kind":"cancellation","cancelled_record":122,"target":"access","cancelled":"2026-01-01"}
        {"kind":"cancellation","cancelled_record":2,"target":"sponsor","cancelled":"2026-01-01"}
        {"kind":"sponsor_blacklist","blacklisted_sponsor":"示例丙公司","nature":4,"operation":"add"}
        {"kind":"site_blacklist","blacklisted_site_names":["禁站"],"domains":["banned.cn"],"operation":"add"}
        {"kind":"illegal_access","illegal_access_id":1,"domain":"illegal.cn","address":"60.1.2.99","provider_id":102,"province":330000,"detected":"2025-08-18 08:00:00"}

        """

    /// The snapshot, built once per test process.
    static let path: String = {
        do {
            let directory = try Fixtures.temporaryDirectory("beian-rules")
            let file = directory.appendingPathComponent("registry.jsonl").path
            try Data(registry.utf8).write(to: URL(fileURLWithPath: file))
            return try buildIndex([file]).path
        } catch {
            return "/nonexistent/rules.beianidx: \(error)"
        }
    }()

    static func index() throws -> RegistryIndex { try RegistryIndex(path: path) }

    /// The sample world's country database: 60.191.0.0/16 is CN there, 60.1.0.0/16 unknown.
    static func geo() throws -> GeoDatabase {
        try GeoDatabase(path: Fixtures.packageRoot.appendingPathComponent("Datasets/sample/geo/country.mmdb").path)
    }

    /// 2026-03-01 12:00 China time: after the cancellations of 2026-01-01.
    static let march = Timestamp(secondsSince1970: 1_772_337_600)
    /// 2025-12-01 12:00 China time: before them.
    static let december = Timestamp(secondsSince1970: 1_764_561_600)

    /// A TLS sighting of `host` at `address`.
    static func seen(_ host: String, at address: String, time: Timestamp = march, packet: UInt64 = 1, proxy: Bool = false) -> Observation {
        Observation(
            nanoseconds: time.secondsSince1970 * 1_000_000_000, host: host, address: IPAddress(address) ?? .v4(IPv4Address(0)), port: 443,
            transport: .tcp, appProtocol: .tls, client: IPAddress("183.128.0.1"), proxy: proxy,
            source: .init(file: "rules.pcap", position: .packet(packet)))
    }

    /// The findings of `observations` judged with `settings` (and the country database when
    /// `geo`).
    static func judge(_ observations: [Observation], settings: Judge.Settings = Judge.Settings(), geo: Bool = false) throws -> [Finding] {
        var judge = Judge(index: try index(), geo: geo ? try self.geo() : nil, settings: settings)
        for observation in observations { judge.judge(observation) }
        return judge.finish()
    }

    /// Coverage of the whole of unit 101's block.
    static var coverage: Judge.Settings {
        var settings = Judge.Settings()
        settings.coverage = [(try? IPRange.parse("60.1.1.0/24"))].compactMap { $0 }
        return settings
    }
}

extension [Finding] {
    /// The findings of one kind.
    func of(_ kind: Finding.Kind) -> [Finding] { filter { $0.kind == kind } }
}
