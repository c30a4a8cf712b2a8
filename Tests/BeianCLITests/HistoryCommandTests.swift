import BeianTestSupport
import Foundation
import Testing

/// `beian scan --history` and `beian history`: two scans of the sample a month apart give the
/// states an independent reading of their findings gives; `kill -9` at any moment leaves the
/// history whole.
@Suite(.serialized) struct HistoryCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    /// A Zeek log of the sample with every time moved by `seconds`, keeping one data line in
    /// `every` (its header kept); the earliest time written.
    func shifted(_ name: String, by seconds: Double, every: Int = 1, to path: String) throws -> Double {
        let text = try String(contentsOf: sample.appendingPathComponent("logs/zeek/\(name)"), encoding: .utf8)
        var lines: [String] = []
        var earliest = Double.infinity
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard !line.hasPrefix("#"), !line.isEmpty else {
                lines.append(String(line))
                continue
            }
            number += 1
            guard number % every == 0 else { continue }
            var fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let time = (Double(fields[0]) ?? 0) + seconds
            earliest = min(earliest, time)
            fields[0] = String(format: "%.6f", time)
            lines.append(fields.joined(separator: "\t"))
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return earliest
    }

    struct Seen {
        let key: String
        let kind: String
        let domain: String
        let address: String?
        let lastSeen: Double?
        let provider: Int?
        let province: String
    }

    func findings(_ text: String) throws -> [String: Seen] {
        var out: [String: Seen] = [:]
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let domain = object["independent_domain"] as? String ?? object["host"] as? String ?? ""
            let address = object["address"] as? String
            let key = "\(object["kind"] as? String ?? "")|\(domain)|\(address ?? "")"
            let last = (object["last_seen"] as? String).flatMap { ISO8601DateFormatter().date(from: $0)?.timeIntervalSince1970 }
            out[key] = Seen(
                key: key, kind: object["kind"] as? String ?? "", domain: domain, address: address, lastSeen: last,
                provider: (object["provider"] as? [String: Any])?["id"] as? Int, province: object["province"] as? String ?? "unknown")
        }
        return out
    }

    /// Whether `address` lies in one of the coverage file's ranges (compared as numbers, here,
    /// without beian's parser).
    func covered(_ address: String, by coverage: [(UInt32, UInt32)]) -> Bool {
        let parts = address.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4 else { return false }
        let value = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
        return coverage.contains { $0.0 <= value && value <= $0.1 }
    }

    func coverage() throws -> [(UInt32, UInt32)] {
        let text = try String(contentsOf: sample.appendingPathComponent("truth/coverage.txt"), encoding: .utf8)
        func value(_ text: Substring) -> UInt32? {
            let parts = text.split(separator: ".").compactMap { UInt32($0) }
            return parts.count == 4 ? parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3] : nil
        }
        var ranges: [(UInt32, UInt32)] = []
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "#", omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
            if let slash = line.firstIndex(of: "/"), let base = value(line[..<slash]), let bits = UInt32(line[line.index(after: slash)...])
            {
                let size: UInt32 = bits == 0 ? .max : (1 << (32 - bits)) - 1
                ranges.append((base, base | size))
            } else if let dash = line.firstIndex(of: "-"), let first = value(line[..<dash]),
                let last = value(line[line.index(after: dash)...])
            {
                ranges.append((first, last))
            }
        }
        return ranges
    }

    @Test func twoScansAMonthApartGiveTheStatesTheirFindingsSay() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = try ScanCommandTests().index()
        let history = directory.appendingPathComponent("history.sqlite").path
        let common = [
            "scan", "--index", index, "--geoip", sample.appendingPathComponent("geo/country.mmdb").path, "--coverage-file",
            sample.appendingPathComponent("truth/coverage.txt").path, "--history", history,
        ]
        // March: the sample's ssl and dns logs. April: half the ssl lines and the http log, 35 days on.
        let ssl = directory.appendingPathComponent("ssl.log").path
        let dns = directory.appendingPathComponent("dns.log").path
        _ = try shifted("ssl.log", by: 0, to: ssl)
        _ = try shifted("dns.log", by: 0, to: dns)
        let first = try Tool.run("beian", common + [ssl, dns])
        #expect(first.status == 0, "\(first.stderr)")
        let month = 35.0 * 86400
        let laterSSL = directory.appendingPathComponent("ssl-april.log").path
        let laterHTTP = directory.appendingPathComponent("http-april.log").path
        let start = min(try shifted("ssl.log", by: month, every: 2, to: laterSSL), try shifted("http.log", by: month, to: laterHTTP))
        let second = try Tool.run("beian", common + [laterSSL, laterHTTP])
        #expect(second.status == 0, "\(second.stderr)")

        // What the two findings files say, read here.
        let march = try findings(first.stdout)
        let april = try findings(second.stdout)
        let ranges = try coverage()
        let expectedNew = Set(april.keys).subtracting(march.keys)
        let expectedPersisting = Set(april.keys).intersection(march.keys)
        let expectedResolved = Set(
            march.values.filter { finding in
                guard april[finding.key] == nil else { return false }
                guard let address = finding.address else { return finding.lastSeen == nil }
                return covered(address, by: ranges) && (finding.lastSeen.map { $0 < start.rounded(.down) } ?? true)
            }.map(\.key))
        #expect(!expectedNew.isEmpty && !expectedPersisting.isEmpty && !expectedResolved.isEmpty)

        let shown = try Tool.run("beian", ["history", "show", "2", "--history", history, "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let run = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        func keys(_ list: Any?, state: String? = nil) -> Set<String> {
            Set(
                (list as? [[String: Any]] ?? []).filter { state == nil || $0["state"] as? String == state }.map {
                    "\($0["kind"] as? String ?? "")|\($0["independent_domain"] as? String ?? $0["host"] as? String ?? "")|\($0["address"] as? String ?? "")"
                })
        }
        #expect(keys(run["seen"], state: "new") == expectedNew)
        #expect(keys(run["seen"], state: "persisting") == expectedPersisting)
        #expect(keys(run["resolved_findings"]) == expectedResolved)
        #expect(run["new"] as? Int == expectedNew.count && run["resolved"] as? Int == expectedResolved.count)
        #expect(run["findings"] as? Int == april.count)

        let list = try Tool.run("beian", ["history", "list", "--history", history, "--json"])
        #expect(list.stdout.split(separator: "\n").count == 2)
        let diff = try Tool.run("beian", ["history", "diff", "1", "2", "--history", history])
        #expect(diff.stdout.contains("\(march.count - expectedPersisting.count) only in run 1, \(expectedNew.count) only in run 2"))
        // Every finding as it stands: the open ones are what the second run saw.
        let open = try Tool.run("beian", ["history", "findings", "--history", history, "--state", "new", "persisting", "--json"])
        #expect(open.status == 0, "\(open.stderr)")
        #expect(
            open.stdout.split(separator: "\n").count == expectedNew.count + expectedPersisting.count + march.count
                - expectedPersisting.count - expectedResolved.count)
        let closed = try Tool.run("beian", ["history", "findings", "--history", history, "--state", "resolved"])
        #expect(closed.stdout.split(separator: "\n").count == expectedResolved.count)
        let missing = try Tool.run("beian", ["history", "show", "9", "--history", history])
        #expect(missing.status != 0 && missing.stderr.contains("no run 9"))

        // The monthly reports, against counts made here from the findings files.
        for (month, findings, new, resolved) in [
            ("2026-03", march, Set(march.keys), Set<String>()), ("2026-04", april, expectedNew, expectedResolved),
        ] {
            let answer = try Tool.run("beian", ["report", "monthly", "--history", history, "--month", month])
            #expect(answer.status == 0, "\(answer.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any])
            let unfiled = findings.values.filter { $0.kind == "unfiled-site" }
            var sites: [Int: Set<String>] = [:]
            var newSites: [Int: Set<String>] = [:]
            for finding in unfiled {
                sites[finding.provider ?? -1, default: []].insert(finding.domain)
                if new.contains(finding.key) { newSites[finding.provider ?? -1, default: []].insert(finding.domain) }
            }
            let expectedRanking = sites.map { "\($0.key)=\($0.value.count)/\(newSites[$0.key]?.count ?? 0)" }.sorted()
            let ranking = (report["ranking"] as? [[String: Any]] ?? []).map {
                "\($0["provider_id"] as? Int ?? -1)=\($0["unfiled_sites"] as? Int ?? 0)/\($0["new_sites"] as? Int ?? 0)"
            }.sorted()
            #expect(sites.count <= 10)
            #expect(ranking == expectedRanking, "\(month)")
            var byProvince: [String: (sites: Set<String>, new: Set<String>, resolved: Set<String>, findings: Int)] = [:]
            for finding in findings.values {
                byProvince[finding.province, default: ([], [], [], 0)].findings += 1
                guard finding.kind == "unfiled-site" else { continue }
                byProvince[finding.province, default: ([], [], [], 0)].sites.insert(finding.domain)
                if new.contains(finding.key) { byProvince[finding.province, default: ([], [], [], 0)].new.insert(finding.domain) }
            }
            for key in resolved {
                guard let finding = march[key], finding.kind == "unfiled-site" else { continue }
                byProvince[finding.province, default: ([], [], [], 0)].resolved.insert(finding.domain)
            }
            let expectedProvinces = byProvince.map {
                "\($0.key) \($0.value.sites.count) \($0.value.new.count) \($0.value.resolved.count) \($0.value.findings)"
            }.sorted()
            let provinces = (report["provinces"] as? [[String: Any]] ?? []).map { row in
                let total = (row["findings_by_kind"] as? [String: Int] ?? [:]).values.reduce(0, +)
                return
                    "\(row["province"] as? String ?? "") \(row["unfiled_sites"] as? Int ?? -1) \(row["new_sites"] as? Int ?? -1) \(row["resolved_sites"] as? Int ?? -1) \(total)"
            }.sorted()
            #expect(provinces == expectedProvinces, "\(month)")
        }
        // The HTML page, as a browser reads it: the ranking's table and chart, no console error;
        // a name that is markup stays text.
        #expect(try sqlite(history, "UPDATE finding SET provider_name = '<script>alert(1)</script>' WHERE provider_id = 100") == "")
        let page = directory.appendingPathComponent("april.html").path
        #expect(try Tool.run("beian", ["report", "monthly", "--history", history, "--month", "2026-04", "-o", page]).status == 0)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>"))
        let json = try Tool.run("beian", ["report", "monthly", "--history", history, "--month", "2026-04"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let ranking = report["ranking"] as? [[String: Any]] ?? []
        let browser = try Browser.dumpDOM(page)
        #expect(browser.console.isEmpty, "\(browser.console)")
        let rows = browser.dom.components(separatedBy: "<tbody>")[1].components(separatedBy: "</tbody>")[0]
            .components(separatedBy: "<tr>").dropFirst()
        #expect(rows.count == ranking.count)
        for (row, entry) in zip(rows, ranking) {
            #expect(
                row.contains("<td>\(entry["unfiled_sites"] as? Int ?? -1)</td><td>\(entry["new_sites"] as? Int ?? -1)</td></tr>"), "\(row)")
        }
        let chart = try #require(browser.dom.components(separatedBy: "<svg id=\"ranking-chart\"").dropFirst().first)
        #expect(chart.components(separatedBy: "</svg>")[0].components(separatedBy: "<rect").count - 1 == ranking.count)
        #expect(browser.dom.contains("id=\"provinces\"") && browser.dom.contains("id=\"kinds\""))

        let csv = directory.appendingPathComponent("april.csv").path
        #expect(try Tool.run("beian", ["report", "monthly", "--history", history, "--month", "2026-04", "-o", csv]).status == 0)
        let table = try Data(contentsOf: URL(fileURLWithPath: csv))
        #expect(Array(table.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: table, as: UTF8.self).contains("名次,接入商ID,接入商,未备案网站数,其中本月新发现"))
    }

    /// Killed with SIGKILL at any moment of a scan that records its run: the history is whole
    /// (`PRAGMA integrity_check`), and every run in it is whole — recorded entirely or absent.
    @Test func killedAtAnyMomentTheHistoryHoldsWholeRunsOnly() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = try ScanCommandTests().index()
        let history = directory.appendingPathComponent("history.sqlite").path
        let inputs = ["traffic/access-link.pcap", "traffic/mobile-core.pcapng", "logs/zeek/ssl.log", "logs/zeek/http.log"].map {
            sample.appendingPathComponent($0).path
        }
        let arguments =
            [
                "scan", "--index", index, "--coverage-file", sample.appendingPathComponent("truth/coverage.txt").path, "--history", history,
                "-o", "/dev/null",
            ] + inputs
        // How long a whole run takes here, then kills spread over it.
        let began = Date()
        #expect(try Tool.run("beian", arguments).status == 0)
        let whole = Date().timeIntervalSince(began)
        var generator = TestRandom(state: 20_261_207)
        for attempt in 0..<8 {
            let process = Process()
            process.executableURL = Tool.productsDirectory.appendingPathComponent("beian")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: whole * (0.5 + Double(generator.next() % 1000) / 1000.0) * (attempt % 2 == 0 ? 1 : 0.8))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let check = try sqlite(history, "PRAGMA integrity_check")
            #expect(check == "ok")
            let torn = try sqlite(
                history, "SELECT COUNT(*) FROM run WHERE findings != (SELECT COUNT(*) FROM sighting WHERE sighting.run = run.id)")
            #expect(torn == "0")
        }
        #expect(try Tool.run("beian", arguments).status == 0)
        let list = try Tool.run("beian", ["history", "list", "--history", history])
        #expect(list.status == 0 && list.stdout.split(separator: "\n").count >= 2)
    }

    func sqlite(_ path: String, _ query: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, query]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
