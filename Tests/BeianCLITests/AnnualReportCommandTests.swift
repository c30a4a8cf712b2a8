import BeianTestSupport
import Foundation
import Testing

/// `beian report annual`: per provider and kind, the union of what `check-registry` finds and
/// what the year's scans saw, counted once by key; the months' trend equal to each scan's
/// findings; one province alone; the page as a browser reads it.
@Suite(.serialized) struct AnnualReportCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    struct Counted {
        /// provider id (or "none") → kind → keys.
        var byProvider: [String: [String: Set<String>]] = [:]
        mutating func add(_ object: [String: Any]) {
            let kind = object["kind"] as? String ?? ""
            let site = object["independent_domain"] as? String ?? object["host"] as? String ?? ""
            let key = "\(kind)|\(site)|\(object["address"] as? String ?? "")"
            let provider = ((object["provider"] as? [String: Any])?["id"] as? Int).map(String.init) ?? "none"
            byProvider[provider, default: [:]][kind, default: []].insert(key)
        }
    }

    func objects(_ text: String, province: String? = nil) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }.filter { province == nil || $0["province"] as? String == province }
    }

    @Test func theReviewIsTheRegistryCheckAndTheScansCountedOnce() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = try ScanCommandTests().index()
        let history = directory.appendingPathComponent("history.sqlite").path
        let common = [
            "scan", "--index", index, "--coverage-file", sample.appendingPathComponent("truth/coverage.txt").path, "--history", history,
            "--geoip", sample.appendingPathComponent("geo/country.mmdb").path,
        ]
        // March: the sample's ssl and dns logs; April: every other ssl line and the http log.
        let logs = HistoryCommandTests()
        let (ssl, dns) = (directory.appendingPathComponent("ssl.log").path, directory.appendingPathComponent("dns.log").path)
        _ = try logs.shifted("ssl.log", by: 0, to: ssl)
        _ = try logs.shifted("dns.log", by: 0, to: dns)
        let march = try Tool.run("beian", common + [ssl, dns])
        #expect(march.status == 0, "\(march.stderr)")
        let (laterSSL, laterHTTP) = (
            directory.appendingPathComponent("ssl-4.log").path, directory.appendingPathComponent("http-4.log").path
        )
        _ = try logs.shifted("ssl.log", by: 31 * 86400, every: 2, to: laterSSL)
        _ = try logs.shifted("http.log", by: 31 * 86400, to: laterHTTP)
        let april = try Tool.run("beian", common + [laterSSL, laterHTTP])
        #expect(april.status == 0, "\(april.stderr)")
        let registry = try Tool.run("beian", ["check-registry", "--index", index, "--at", "2026-12-01"])
        #expect(registry.status == 0, "\(registry.stderr)")

        for province in [nil, "浙"] as [String?] {
            var expected = Counted()
            for object in try objects(registry.stdout, province: province) + objects(march.stdout, province: province)
                + objects(april.stdout, province: province)
            {
                expected.add(object)
            }
            let arguments =
                ["report", "annual", "--history", history, "--index", index, "--year", "2026", "--at", "2026-12-01"]
                + (province.map { ["--province", $0] } ?? [])
            let run = try Tool.run("beian", arguments)
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            var shown: [String: [String: Int]] = [:]
            for row in report["providers"] as? [[String: Any]] ?? [] {
                let provider = (row["provider_id"] as? Int).map(String.init) ?? "none"
                shown[provider] = row["findings_by_kind"] as? [String: Int] ?? [:]
                #expect(row["total"] as? Int == shown[provider]?.values.reduce(0, +))
            }
            #expect(shown == expected.byProvider.mapValues { $0.mapValues(\.count) }, "\(province ?? "all")")
            #expect(
                (report["findings"] as? [Any])?.count == expected.byProvider.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } }
            )

            // The trend: March is the first scan's findings, April the second's.
            let monthly = report["monthly"] as? [[String: Any]] ?? []
            for (month, scan) in [(2, march.stdout), (3, april.stdout)] {
                var byKind: [String: Set<String>] = [:]
                var counted = Counted()
                for object in try objects(scan, province: province) { counted.add(object) }
                for kinds in counted.byProvider.values { for (kind, keys) in kinds { byKind[kind, default: []].formUnion(keys) } }
                #expect(monthly[month]["findings_by_kind"] as? [String: Int] == byKind.mapValues(\.count), "month \(month + 1)")
            }
            #expect((monthly[0]["findings_by_kind"] as? [String: Int])?.isEmpty == true)
        }

        // The page, as a browser reads it.
        let page = directory.appendingPathComponent("annual.html").path
        let written = try Tool.run(
            "beian", ["report", "annual", "--history", history, "--index", index, "--year", "2026", "--at", "2026-12-01", "-o", page])
        #expect(written.status == 0)
        let json = try Tool.run(
            "beian", ["report", "annual", "--history", history, "--index", index, "--year", "2026", "--at", "2026-12-01"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let providers = report["providers"] as? [[String: Any]] ?? []
        let kinds = report["kinds"] as? [Any] ?? []
        let browser = try Browser.dumpDOM(page)
        #expect(browser.console.isEmpty, "\(browser.console)")
        let review = browser.dom.components(separatedBy: "<table id=\"review\"")[1].components(separatedBy: "</table>")[0]
        let body = review.components(separatedBy: "<tbody>")[1].components(separatedBy: "</tbody>")[0]
        let rows = body.components(separatedBy: "<tr>").dropFirst()
        #expect(rows.count == providers.count)
        for (row, provider) in zip(rows, providers) {
            #expect(row.contains("<td>\(provider["total"] as? Int ?? -1)</td>"), "\(row)")
        }
        func svg(_ id: String) -> String {
            browser.dom.components(separatedBy: "<svg id=\"\(id)\"").dropFirst().first?.components(separatedBy: "</svg>")[0] ?? ""
        }
        #expect(svg("provider-chart").components(separatedBy: "<rect").count - 1 == min(15, providers.count))
        let scanKinds = Set(
            (report["monthly"] as? [[String: Any]] ?? []).flatMap { ($0["findings_by_kind"] as? [String: Int] ?? [:]).keys })
        #expect(svg("trend-chart").components(separatedBy: "<polyline").count - 1 == scanKinds.count)
        #expect(svg("mix-chart").components(separatedBy: "<rect").count - 1 == kinds.count)
        #expect(browser.dom.components(separatedBy: "<table class=\"evidence wide\">").count - 1 == providers.count)

        let csv = directory.appendingPathComponent("annual.csv").path
        #expect(
            try Tool.run("beian", ["report", "annual", "--history", history, "--index", index, "--year", "2026", "-o", csv]).status == 0)
        let table = try Data(contentsOf: URL(fileURLWithPath: csv))
        #expect(Array(table.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: table, as: UTF8.self).contains("接入商ID,接入商,类型,来源,网站,IP地址"))
    }
}
