import BeianTestSupport
import Foundation
import Testing

@Suite struct ScoreTests {
    static let truth = """
        {"kind":"unfiled-site","independent_domain":"a.com","address":"1.2.3.4","count":3,"first_seen":"2026-03-01T23:55:00.000000+08:00","last_seen":"2026-03-01T23:56:00.000000+08:00"}
        {"kind":"unfiled-site","independent_domain":"b.com","address":"1.2.3.5","count":1}
        {"kind":"unfiled-site","independent_domain":"c.com","address":"2001:db8::1","count":1}
        {"kind":"provider-mismatch","independent_domain":"d.com","address":"1.2.3.6","count":2}
        {"kind":"access-over-reported","independent_domain":"e.com","address":"10.0.0.0/30","count":0}

        """

    func score(_ findings: String, perfect: Bool = false) throws -> Tool.Result {
        let directory = try Fixtures.temporaryDirectory("score")
        try Data(Self.truth.utf8).write(to: directory.appendingPathComponent("findings.jsonl"))
        let file = directory.appendingPathComponent("found.jsonl")
        try Data(findings.utf8).write(to: file)
        return try Tool.run(
            "beian-datagen", ["score", "--truth", directory.path, "--findings", file.path] + (perfect ? ["--require-perfect"] : []))
    }

    /// Three of four unfiled sites found (one by its host, one address in another spelling),
    /// one false alarm, one count that differs; the mismatch missed; the range matched as a
    /// range.
    @Test func precisionAndRecallPerKind() throws {
        let result = try score(
            """
            {"kind":"unfiled-site","host":"A.com","address":"1.2.3.4","count":2,"first_seen":"2026-03-01T23:55:00+08:00"}
            {"kind":"unfiled-site","independent_domain":"c.com","address":"2001:0db8:0:0::1"}
            {"kind":"unfiled-site","independent_domain":"x.com","address":"9.9.9.9"}
            {"kind":"access-over-reported","independent_domain":"e.com","address":"10.0.0.0-10.0.0.3"}
            this line is not a finding
            """)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let unfiled = try #require(lines.first { $0.hasPrefix("unfiled-site") })
        #expect(unfiled.split(separator: " ").map(String.init) == ["unfiled-site", "3", "3", "2", "1", "1", "0.667", "0.667"])
        let mismatch = try #require(lines.first { $0.hasPrefix("provider-mismatch") })
        #expect(mismatch.split(separator: " ").map(String.init) == ["provider-mismatch", "1", "0", "0", "0", "1", "1.000", "0.000"])
        let over = try #require(lines.first { $0.hasPrefix("access-over-reported") })
        #expect(over.split(separator: " ").map(String.init) == ["access-over-reported", "1", "1", "1", "0", "0", "1.000", "1.000"])
        #expect(lines.contains { $0.contains("false positive (unfiled-site)") && $0.contains("x.com|9.9.9.9") })
        #expect(lines.contains { $0.contains("false negative (unfiled-site)") && $0.contains("b.com|1.2.3.5") })
        #expect(lines.contains { $0.contains("false negative (provider-mismatch)") })
        #expect(lines.contains { $0.contains("matched, but") && $0.contains("count 2, truth 3") })
        #expect(lines.contains { $0.contains("unreadable") && $0.contains(":5:") })
    }

    @Test func perfectOnlyWhenNothingIsMissedOrExtra() throws {
        #expect(try score(Self.truth, perfect: true).status == 0)
        let duplicated = Self.truth + #"{"kind":"unfiled-site","independent_domain":"b.com","address":"1.2.3.5"}"# + "\n"
        let twice = try score(duplicated, perfect: true)
        #expect(twice.status == 1)
        #expect(twice.stdout.contains("reported twice"))
        #expect(try score("", perfect: true).status == 1)
    }

    /// The sample's truth scores perfectly against itself, and its findings hold every kind the
    /// traffic can show.
    @Test func sampleTruthAgainstItself() throws {
        let truth = Fixtures.packageRoot.appendingPathComponent("Datasets/sample/truth")
        let result = try Tool.run(
            "beian-datagen",
            ["score", "--truth", truth.path, "--findings", truth.appendingPathComponent("findings.jsonl").path, "--require-perfect"])
        #expect(result.status == 0)
        for kind in [
            "unfiled-site", "cancelled-filing-served", "blacklisted", "access-under-reported", "access-over-reported", "provider-mismatch",
            "empty-shell", "ip-unreported",
        ] {
            #expect(result.stdout.contains(kind), "the sample plants no \(kind)")
        }
    }
}
