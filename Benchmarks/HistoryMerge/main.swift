// The findings history at scale: a history of FINDINGS findings (default 10 M, recorded as
// runs of 100 k), then one 100 k-finding run merged into it (half of its findings already
// known, half new, its coverage over a /12 of the history's addresses): the merge's time,
// the store's size per finding, and a reader's time to list the runs and one run's findings.
//
//   BEIAN_BENCHMARKS=1 swift build -c release --scratch-path .build-bench --product history-merge
//   .build-bench/release/history-merge [FINDINGS]
import BeianCore
import BeianHistory
import Foundation

let total = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 10_000_000
let perRun = 100_000
let directory = NSTemporaryDirectory() + "beian-history-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let path = directory + "/history.sqlite"
let history = try FindingsHistory(path: path)

func address(_ number: Int) -> String {
    "10.\((number >> 16) & 0xFF).\((number >> 8) & 0xFF).\(number & 0xFF)"
}

func finding(_ number: Int, seen: Int64) -> Finding {
    var finding = Finding(kind: .unfiledSite, detail: "served from a domestic address without a filing in force", count: 1 + number % 7)
    finding.host = "www.site\(number).com.cn"
    finding.independentDomain = "site\(number).com.cn"
    finding.address = address(number)
    finding.provider = Finding.Unit(id: Int64(100 + number % 40), name: "接入商\(number % 40)")
    finding.operatorUnit = Finding.Unit(id: 10, name: "运营商")
    finding.province = "浙"
    finding.firstSeen = Timestamp(secondsSince1970: seen)
    finding.lastSeen = Timestamp(secondsSince1970: seen + 3600)
    return finding
}

func run(_ day: Int64, coverage: [String]) throws -> FindingsHistory.RunRecord {
    var run = FindingsHistory.RunRecord(startedAt: day, endedAt: day + 600)
    run.window = day...(day + 3600)
    run.coverage = try coverage.map { try IPRange.parse($0) }
    run.inputs = [("/archive/day-\(day).pcap", 1 << 30, "sha256:" + String(repeating: "0", count: 64))]
    run.indexPath = "/var/lib/beian/national.beianidx"
    return run
}

let base: Int64 = 1_767_225_600  // 2026-01-01
var filled = Duration.zero
for start in stride(from: 0, to: total, by: perRun) {
    let findings = (start..<min(start + perRun, total)).map { finding($0, seen: base) }
    let clock = ContinuousClock.now
    try history.record(run(base + Int64(start / perRun) * 60, coverage: []), findings: findings)
    filled += ContinuousClock.now - clock
}
let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
print(
    "history of \(total) findings: recording took \(filled) (\(total / perRun) runs of \(perRun) new findings); \(size / 1_000_000) MB, \(size / max(total, 1)) bytes per finding"
)

// The merges: 50 k known (seen again), 50 k new; first without coverage (nothing to
// resolve), then with 10.0.0.0/12 as coverage (resolving what it did not see there: most of
// the history — the heaviest case).
var day = base + 86400 * 40
var merged = (0..<perRun).map { finding($0 % 2 == 0 ? $0 * 7 % total : total + $0, seen: day) }
var clock = ContinuousClock.now
var recorded = try history.record(run(day, coverage: []), findings: merged)
print("merging a run of \(perRun) findings, no coverage: \(ContinuousClock.now - clock) — \(recorded.new) new (goal ≤ 2 s)")
day += 86400
merged = (0..<perRun).map { finding($0 % 2 == 1 ? $0 * 7 % total : total + perRun + $0, seen: day) }
clock = ContinuousClock.now
recorded = try history.record(run(day, coverage: ["10.0.0.0/12"]), findings: merged)
print(
    "merging a run of \(perRun) findings, coverage 10.0.0.0/12: \(ContinuousClock.now - clock) — \(recorded.new) new, \(recorded.resolved) resolved"
)

clock = ContinuousClock.now
let runs = try history.runs()
let seen = try history.entries(seenIn: recorded.id)
print("reading: \(runs.count) runs and the \(seen.count) findings of the last run in \(ContinuousClock.now - clock)")
