import BeianTestSupport
import Foundation
import Testing

@Suite struct ExtractCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    /// The observations of a JSON Lines text, as sorted lines with the sample's prefix removed
    /// from file names.
    func normalised(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.replacingOccurrences(of: sample.path + "/", with: "") }.sorted()
    }

    /// The sample's two captures give exactly the observations of its truth that came from
    /// packets (the truth also lists those of the logs).
    @Test func sampleCapturesGiveTheTruth() throws {
        let captures = ["traffic/access-link.pcap", "traffic/mobile-core.pcapng"].map { sample.appendingPathComponent($0).path }
        // The truth writes China time: so does --time china.
        let result = try Tool.run("beian", ["extract", "--threads", "1", "--time", "china"] + captures)
        #expect(result.status == 0)
        let truth = try String(contentsOf: sample.appendingPathComponent("truth/observations.jsonl"), encoding: .utf8)
        let expected = normalised(truth).filter { $0.contains("\"packet\":") }
        let got = normalised(result.stdout)
        #expect(got.count == expected.count)
        #expect(Set(got).symmetricDifference(expected).isEmpty, "\(Set(got).symmetricDifference(expected).prefix(5))")
        #expect(result.stderr.contains("packets (pcap capture)") && result.stderr.contains("packets (pcapng capture)"))
        #expect(!result.stderr.contains("reassembly failures"))  // counts are listed when not zero
        // By default, times are UTC.
        let utc = try Tool.run("beian", ["extract", "--threads", "1", captures[0]])
        #expect(utc.stdout.split(separator: "\n").first?.contains("Z\",\"transport\"") == true)
    }

    /// The sample's logs (Zeek TSV, Squid, web servers') give exactly the truth's observations
    /// that came from lines, line for line; the Zeek JSON logs the same, but for line numbers.
    @Test func sampleLogsGiveTheTruth() throws {
        let logs = ["logs/zeek/dns.log", "logs/zeek/http.log", "logs/zeek/ssl.log", "logs/squid/access.log"].map {
            sample.appendingPathComponent($0).path
        }
        let web = try FileManager.default.contentsOfDirectory(atPath: sample.appendingPathComponent("logs/web").path).map {
            sample.appendingPathComponent("logs/web/\($0)/access.log").path
        }
        let result = try Tool.run("beian", ["extract", "--time", "china"] + logs + web)
        #expect(result.status == 0)
        let truth = try String(contentsOf: sample.appendingPathComponent("truth/observations.jsonl"), encoding: .utf8)
        let expected = normalised(truth).filter { $0.contains("\"line\":") }
        #expect(normalised(result.stdout) == expected)
        #expect(result.stderr.contains("0 rejected") && !result.stderr.contains(" 1 rejected"))
        let json = try Tool.run(
            "beian",
            ["extract", "--format", "tsv"] + ["dns", "http", "ssl"].map { sample.appendingPathComponent("logs/zeek-json/\($0).log").path })
        #expect(json.stdout.split(separator: "\n").count == expected.filter { $0.contains("logs/zeek/") }.count)
    }

    @Test func threadsChangeNothingButSpeed() throws {
        let capture = sample.appendingPathComponent("traffic/access-link.pcap").path
        let one = try Tool.run("beian", ["extract", "--threads", "1", capture])
        let three = try Tool.run("beian", ["extract", "--threads", "3", capture])
        #expect(one.stdout == three.stdout)
        #expect(!one.stdout.isEmpty)
    }

    @Test func unreadableInputsAreReportedAndTheOthersRead() throws {
        let directory = try Fixtures.temporaryDirectory()
        let bad = directory.appendingPathComponent("notes.pcap")
        try Data("not a capture".utf8).write(to: bad)
        let capture = sample.appendingPathComponent("traffic/access-link.pcap").path
        let result = try Tool.run("beian", ["extract", bad.path, capture, "--format", "tsv", "--anonymize-clients"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("notes.pcap"))
        #expect(result.stderr.contains("not a log format beian reads"))
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count > 100)
        #expect(lines.allSatisfy { $0.split(separator: "\t")[6].hasPrefix("anon-") })
    }
}
