import BeianCore
import BeianHistory
import BeianTestSupport
import Foundation
import Synchronization
import Testing

/// The findings history alone: states across runs, what resolves a finding and what does
/// not, counts, a newer schema refused, reading while a run is written.
@Suite struct FindingsHistoryTests {
    func finding(_ kind: Finding.Kind, _ domain: String, _ address: String?, seen: Int64?, count: Int = 1, provider: Int64 = 101) -> Finding
    {
        var finding = Finding(kind: kind, detail: "\(kind.rawValue) of \(domain)", count: count)
        finding.host = domain
        finding.independentDomain = domain
        finding.address = address
        finding.provider = Finding.Unit(id: provider, name: "接入商 \(provider)")
        finding.firstSeen = seen.map { Timestamp(secondsSince1970: $0) }
        finding.lastSeen = seen.map { Timestamp(secondsSince1970: $0 + 60) }
        return finding
    }

    func run(_ window: ClosedRange<Int64>, coverage: [String] = ["10.0.0.0/16", "2001:db8::/32"], unit: Int64? = nil) throws
        -> FindingsHistory.RunRecord
    {
        var run = FindingsHistory.RunRecord(startedAt: window.upperBound + 10, endedAt: window.upperBound + 20)
        run.window = window
        run.coverage = try coverage.map { try IPRange.parse($0) }
        run.inputs = [("/data/capture-\(window.lowerBound).pcap", 1000, "sha256:00")]
        run.indexPath = "/data/national.beianidx"
        if let unit {
            run.scope = "own \(unit)"
            run.scopeUnit = unit
        }
        return run
    }

    func history() throws -> FindingsHistory {
        try FindingsHistory(path: Fixtures.temporaryDirectory().appendingPathComponent("history.sqlite").path)
    }

    @Test func statesFollowTheRuns() throws {
        let history = try history()
        let march: Int64 = 1_772_323_200  // 2026-03-01
        let april = march + 31 * 86400
        let first = try history.record(
            run(march...(march + 3600)),
            findings: [
                finding(.unfiledSite, "a.cn", "10.0.1.1", seen: march, count: 3),
                finding(.unfiledSite, "b.cn", "10.0.1.2", seen: march),
                finding(.unfiledSite, "c.cn", "192.0.2.7", seen: march),  // outside the coverage
                finding(.unfiledSite, "d.cn", "2001:db8::7", seen: march),
                finding(.accessOverReported, "e.cn", "10.0.2.2", seen: nil),
                finding(.emptyShell, "f.cn", nil, seen: nil),
                finding(.unfiledSite, "g.cn", "10.0.3.3", seen: march, provider: 102),
            ])
        #expect(first.id == 1 && first.findings == 7 && first.new == 7 && first.resolved == 0)

        // A month later: a.cn again, h.cn new; b, d, e, f resolve; c (outside the coverage) and
        // g (another provider, the run's scope is 101's) stay open.
        let second = try history.record(
            run(april...(april + 3600), unit: 101),
            findings: [
                finding(.unfiledSite, "a.cn", "10.0.1.1", seen: april, count: 2), finding(.unfiledSite, "h.cn", "10.0.9.9", seen: april),
            ])
        #expect(second.findings == 2 && second.new == 1 && second.resolved == 4)
        var states: [String: FindingsHistory.State] = [:]
        for entry in try history.entries() { states[entry.independentDomain ?? ""] = entry.state }
        #expect(
            states == [
                "a.cn": .persisting, "b.cn": .resolved, "c.cn": .new, "d.cn": .resolved, "e.cn": .resolved, "f.cn": .resolved,
                "g.cn": .new, "h.cn": .new,
            ])
        let a = try #require(try history.entries().first { $0.independentDomain == "a.cn" })
        #expect(a.count == 5 && a.runs == 2 && a.firstRun == 1 && a.lastRun == 2)
        #expect(a.firstSeen == march && a.lastSeen == april + 60)
        #expect(try history.entries(resolvedBy: 2).count == 4)

        // b.cn is back: new again. A run from before (an old archive scanned late) resolves nothing.
        let third = try history.record(
            run((april + 86400)...(april + 90000)), findings: [finding(.unfiledSite, "b.cn", "10.0.1.2", seen: april + 86400)])
        #expect(third.new == 1)
        #expect(try history.entries().first { $0.independentDomain == "b.cn" }?.state == .new)
        let late = try history.record(run((march - 86400)...(march - 80000)), findings: [])
        #expect(late.resolved == 0)

        let difference = try history.diff(1, 2)
        #expect(difference.onlyFirst.count == 6 && difference.onlySecond.count == 1 && difference.both.count == 1)
        #expect(try history.runs().map(\.id) == [1, 2, 3, 4])
    }

    @Test func aRunWithoutCoverageResolvesNothing() throws {
        let history = try history()
        try history.record(run(100...200), findings: [finding(.unfiledSite, "a.cn", "10.0.1.1", seen: 100)])
        let second = try history.record(run(1000...2000, coverage: []), findings: [])
        #expect(second.resolved == 0)
        #expect(try history.entries().map(\.state) == [.new])
    }

    @Test func aHistoryFromANewerBeianIsRefused() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("history.sqlite").path
        _ = try FindingsHistory(path: path)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [path, "INSERT INTO grdb_migrations (identifier) VALUES ('history-v99')"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(throws: FindingsHistory.HistoryError.self) { _ = try FindingsHistory(path: path) }
        let garbage = try Fixtures.temporaryDirectory().appendingPathComponent("not.sqlite").path
        try Data("not a database at all, just text".utf8).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: FindingsHistory.HistoryError.self) { _ = try FindingsHistory(path: garbage) }
    }

    /// A report reads while a scan writes (WAL): no error, and every run it sees is whole.
    @Test func readersSeeWholeRunsWhileAScanWrites() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("history.sqlite").path
        let writer = try FindingsHistory(path: path)
        let reader = try FindingsHistory(path: path)
        let done = Atomic<Bool>(false)
        let problems = Mutex<[String]>([])
        let reads = Atomic<Int>(0)
        let thread = Thread {
            while !done.load(ordering: .acquiring) {
                do {
                    for run in try reader.runs() {
                        let seen = try reader.entries(seenIn: run.id).count
                        if seen != run.findings { problems.withLock { $0.append("run \(run.id): \(seen) of \(run.findings)") } }
                    }
                    reads.add(1, ordering: .relaxed)
                } catch {
                    problems.withLock { $0.append("\(error)") }
                }
            }
        }
        thread.start()
        for number in 0..<20 {
            let base = Int64(number) * 86400
            let findings = (0..<500).map {
                finding(.unfiledSite, "site\($0 % (300 + number)).cn", "10.0.\($0 % 200).\($0 % 250)", seen: base)
            }
            try writer.record(run(base...(base + 60)), findings: findings)
        }
        done.store(true, ordering: .releasing)
        while !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0 })")
        #expect(reads.load(ordering: .relaxed) > 0)
        #expect(try reader.runs().count == 20)
    }

    /// Findings are merged by a hash of their key; keys sharing a hash — made common here by
    /// a 10-bit hash — are told apart: none lost, none merged into another.
    @Test func keysSharingAHashAreToldApart() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("h.sqlite").path
        let history = try FindingsHistory(path: path, keyHashBits: 10)
        let first = (0..<300).map { finding(.unfiledSite, "site\($0).cn", "10.0.\($0 / 200).\($0 % 200)", seen: 1000) }
        let second = (150..<450).map { finding(.unfiledSite, "site\($0).cn", "10.0.\($0 / 200).\($0 % 200)", seen: 5000, count: 2) }
        let one = try history.record(run(1000...2000, coverage: []), findings: first)
        let two = try history.record(run(5000...6000, coverage: []), findings: second)
        #expect(one.new == 300 && two.new == 150)
        let entries = try history.entries()
        #expect(entries.count == 450)
        #expect(Set(entries.compactMap(\.independentDomain)) == Set((0..<450).map { "site\($0).cn" }))
        for entry in entries {
            let number = Int(entry.independentDomain?.dropFirst(4).dropLast(3) ?? "") ?? -1
            let both = (150..<300).contains(number)
            #expect(entry.runs == (both ? 2 : 1) && entry.count == (both ? 3 : number < 150 ? 1 : 2), "\(entry.key)")
            #expect(entry.state == (both ? .persisting : .new))
        }
        #expect(try history.entries(seenIn: two.id).count == 300)
    }
}
