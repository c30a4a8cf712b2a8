import BeianCore
import BeianHistory
import BeianReport
import BeianTestSupport
import Foundation
import Testing

/// The handling report from a history alone: the interface's 1000 records a file, the sites it
/// cannot hold counted, a v1 history upgraded in place.
@Suite struct HandlingReportTests {
    let statuses = HandlingStatuses(statuses: [
        .init(id: 1, name: "未处理", note: nil, valid: true), .init(id: 2, name: "已关闭网站", note: nil, valid: true),
    ])

    func unfiled(_ number: Int, address: String, operatorID: Int64? = 12, province: String? = "浙") -> Finding {
        var finding = Finding(kind: .unfiledSite, detail: "unfiled", count: 1)
        finding.host = "www.site\(number).example.cn"
        finding.independentDomain = "site\(number).example.cn"
        finding.address = address
        finding.provider = Finding.Unit(id: 101, name: "接入商 <101> & co")
        finding.operatorUnit = operatorID.map { Finding.Unit(id: $0, name: "运营商") }
        finding.province = province
        finding.firstSeen = Timestamp(secondsSince1970: 1_772_294_400)
        finding.lastSeen = Timestamp(secondsSince1970: 1_772_294_460)
        finding.evidence = [.init(source: "ssl.log", location: "line \(number)", seen: "2026-03-01T00:00:00Z")]
        return finding
    }

    @Test func moreThanAThousandSitesAreSplitAndWhatTheInterfaceCannotHoldIsCounted() throws {
        let directory = try Fixtures.temporaryDirectory()
        let history = try FindingsHistory(path: directory.appendingPathComponent("h.sqlite").path)
        var findings = (0..<2500).map { unfiled($0, address: "10.\($0 / 250).\($0 % 250).1") }
        findings.append(unfiled(9001, address: "2001:db8::1"))
        findings.append(unfiled(9002, address: "10.99.0.1", operatorID: nil))
        findings.append(unfiled(9003, address: "10.99.0.2", province: nil))
        var other = unfiled(9004, address: "10.99.0.3")
        other.provider = Finding.Unit(id: 102, name: "another")
        findings.append(other)
        var run = FindingsHistory.RunRecord(startedAt: 1_772_300_000, endedAt: 1_772_300_100)
        run.window = 1_772_294_400...1_772_294_460
        try history.record(run, findings: findings)
        #expect(try history.entries().first?.evidence.contains("ssl.log") == true)
        let handled = try history.handle([
            .init(domain: "site7.example.cn", status: 2, opinion: "关闭", handledAt: 1_772_400_000, source: "test"),
            .init(domain: "unknown.example.cn", status: 2, opinion: "x", handledAt: 1_772_400_000, source: "test"),
        ])
        #expect(handled.recorded == 1 && handled.unknown.map(\.domain) == ["unknown.example.cn"])

        let report = try HandlingReport(history: history, unit: 101, statuses: statuses)
        #expect(report.rows.count == 2503)
        #expect(report.omitted == ["IPv6": 1, "no operator": 1, "no province": 1])
        let files = report.uploadFiles
        #expect(files.map { String(decoding: $0, as: UTF8.self).components(separatedBy: "<Clxx>").count - 1 } == [1000, 1000, 500])
        let paths = try files.enumerated().map { number, bytes in
            let path = directory.appendingPathComponent("upload-\(number).xml").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let lint = try Schemas.validate(paths, against: "upload-data.xsd")
        #expect(lint.valid, "\(lint.messages)")
        #expect(report.rows.first { $0.domain == "site7.example.cn" }?.status == 2)
        #expect(report.byStatus.map(\.count) == [2502, 1])

        // No 未处理 in the table, and none named: refused with a reason.
        let noPending = HandlingStatuses(statuses: [.init(id: 2, name: "已关闭网站", note: nil, valid: true)])
        #expect(throws: HandlingReport.ReportError.self) { try HandlingReport(history: history, unit: 101, statuses: noPending) }
    }

    @Test func theStatusTableIsReadFromTheRegistrysCodeTable() throws {
        let table = try HandlingStatuses.read(
            path: Fixtures.packageRoot.appendingPathComponent("Datasets/sample/registry/xml/codes.xml").path)
        #expect(table.pending?.id == 1)
        #expect(table.statuses.map(\.id) == [1, 2, 3, 4, 5, 6, 9])
        let gbk = try #require(
            "<?xml version=\"1.0\" encoding=\"GBK\"?><DownloadData version=\"3.0\"><JCDM><Jcdm_xx><Wbacl_dms><Wbacl_xx><Id>7</Id><Ztmc>待处理</Ztmc></Wbacl_xx></Wbacl_dms></Jcdm_xx></JCDM></DownloadData>"
                .data(using: String.Encoding(rawValue: 0x8000_0632)))
        #expect(try HandlingStatuses.parse(Array(gbk), name: "gbk.xml").pending?.id == 7)
        #expect(throws: HandlingStatuses.ReadError.self) { try HandlingStatuses.parse(Array("<JCDM>".utf8), name: "bad.xml") }
        #expect(throws: HandlingStatuses.ReadError.self) {
            try HandlingStatuses.parse(Array("<Wbacl_dms><Wbacl_xx><Id>x</Id><Ztmc>a</Ztmc></Wbacl_xx></Wbacl_dms>".utf8), name: "id.xml")
        }
    }

    /// A history written before handling results existed opens, gains the new columns and
    /// table, and keeps its runs and findings.
    @Test func aVersionOneHistoryIsUpgradedInPlace() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("v1.sqlite").path
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            path,
            """
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('history-v1');
            CREATE TABLE run (id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, ended_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
                scope TEXT NOT NULL, scope_unit INTEGER, coverage TEXT NOT NULL, window_start INTEGER, window_end INTEGER,
                index_path TEXT NOT NULL, index_built INTEGER NOT NULL, index_sources TEXT NOT NULL, inputs TEXT NOT NULL,
                findings INTEGER NOT NULL, new INTEGER NOT NULL, resolved INTEGER NOT NULL);
            CREATE TABLE finding (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, host TEXT,
                independent_domain TEXT, address TEXT, address_key BLOB, provider_id INTEGER, provider_name TEXT, province TEXT,
                first_seen INTEGER, last_seen INTEGER, count INTEGER NOT NULL, runs INTEGER NOT NULL, first_run INTEGER NOT NULL,
                last_run INTEGER NOT NULL, state TEXT NOT NULL, resolved_run INTEGER, detail TEXT NOT NULL);
            CREATE INDEX finding_address ON finding(address_key);
            CREATE TABLE sighting (run INTEGER NOT NULL, finding INTEGER NOT NULL, count INTEGER NOT NULL, first_seen INTEGER,
                last_seen INTEGER, PRIMARY KEY (run, finding));
            CREATE INDEX sighting_finding ON sighting(finding);
            INSERT INTO run VALUES (1, 10, 20, 30, 'all', NULL, '[]', 1, 2, '/i', 0, '[]', '[]', 1, 1, 0);
            INSERT INTO finding VALUES (1, 'unfiled-site|a.cn|10.0.0.1', 'unfiled-site', 'a.cn', 'a.cn', '10.0.0.1', NULL, 101, 'p',
                '浙', 1, 2, 1, 1, 1, 1, 'new', NULL, 'd');
            INSERT INTO sighting VALUES (1, 1, 1, 1, 2);
            """,
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        let history = try FindingsHistory(path: path)
        #expect(try history.runs().map(\.id) == [1])
        let entry = try #require(try history.entries().first)
        #expect(entry.independentDomain == "a.cn" && entry.evidence == "[]" && entry.operatorID == nil)
        #expect(try history.handle([.init(domain: "a.cn", status: 2, opinion: "关闭", handledAt: 3, source: "t")]).recorded == 1)
        #expect(try history.entries(states: [.handled]).count == 1)
    }
}
