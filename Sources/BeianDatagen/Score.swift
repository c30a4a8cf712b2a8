import ArgumentParser
import BeianCore
import Foundation

/// Precision and recall of a scanner's findings against a world's truth.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scores findings (JSON Lines) against a world's truth: precision and recall per kind, every miss listed.",
        discussion: """
            Findings match when kind, independent domain (or host) and address agree; addresses \
            are compared in canonical form, ranges and prefixes as their first and last address. \
            Matched findings whose count or first/last times (to the second) differ are listed \
            too, without changing the scores.
            """
    )

    @Option(help: "The truth directory of a world (holding findings.jsonl).")
    var truth: String

    @Option(help: "The truth file(s) in it to score against (repeat to join several: captures and homepages).")
    var truthFile: [String] = ["findings.jsonl"]

    @Option(help: "The scanner's findings, JSON Lines ('-' for standard input).")
    var findings: String

    @Flag(help: "Exit with status 1 unless precision and recall are 1 for every kind.")
    var requirePerfect = false

    func run() throws {
        var expected: (findings: [ScoredFinding], rejected: [String]) = ([], [])
        for file in truthFile {
            let part = try ScoreInput.read(URL(fileURLWithPath: truth).appendingPathComponent(file).path)
            expected.findings += part.findings
            expected.rejected += part.rejected
        }
        let reported = try ScoreInput.read(findings)
        let result = Scoring.score(expected: expected.findings, reported: reported.findings)
        print(result.report(truthRejected: expected.rejected, reportedRejected: reported.rejected))
        if requirePerfect && !result.isPerfect { throw ExitCode(1) }
    }
}

/// A finding reduced to what scoring compares.
struct ScoredFinding: Hashable {
    var kind: String
    var domain: String
    var address: String
    var count: Int?
    var firstSeen: Int64?
    var lastSeen: Int64?
    var line: Int

    var key: String { "\(kind)|\(domain)|\(address)" }

    static func == (a: ScoredFinding, b: ScoredFinding) -> Bool { a.key == b.key }
    func hash(into hasher: inout Hasher) { hasher.combine(key) }
}

enum ScoreInput {
    /// Reads findings; lines that are not findings are counted, not fatal.
    static func read(_ path: String) throws -> (findings: [ScoredFinding], rejected: [String]) {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else { throw DatagenError("cannot read \(path)") }
            data = contents
        }
        var findings: [ScoredFinding] = []
        var rejected: [String] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let kind = object["kind"] as? String
            else {
                rejected.append("\(path):\(index + 1): not a finding")
                continue
            }
            let domain = (object["independent_domain"] as? String) ?? (object["host"] as? String) ?? ""
            findings.append(
                ScoredFinding(
                    kind: kind, domain: normaliseDomain(domain), address: normaliseAddress(object["address"] as? String ?? ""),
                    count: object["count"] as? Int, firstSeen: (object["first_seen"] as? String).flatMap(seconds),
                    lastSeen: (object["last_seen"] as? String).flatMap(seconds), line: index + 1))
        }
        return (findings, rejected)
    }

    static func normaliseDomain(_ text: String) -> String {
        (try? DomainName(text).ascii) ?? text.lowercased()
    }

    /// Addresses in canonical form; prefixes and ranges as `first-last`; lists sorted.
    static func normaliseAddress(_ text: String) -> String {
        guard !text.isEmpty else { return "" }
        let parts = text.split(separator: ",").map { part -> String in
            let item = part.trimmingCharacters(in: .whitespaces)
            if let range = try? IPRange.parse(item) {
                return range.first == range.last ? range.first.description : "\(range.first)-\(range.last)"
            }
            if let prefix = try? IPPrefix.parse(item) { return "\(prefix.range.first)-\(prefix.range.last)" }
            if let address = try? IPAddress.parse(item) { return address.description }
            return item
        }
        return parts.sorted().joined(separator: ",")
    }

    static func seconds(_ text: String) -> Int64? {
        (try? Timestamp.parse(text))?.secondsSince1970
    }
}

struct Scoring {
    struct Kind {
        var truePositives = 0
        var falsePositives: [ScoredFinding] = []
        var falseNegatives: [ScoredFinding] = []
        var differences: [String] = []

        var precision: Double {
            truePositives + falsePositives.count == 0 ? 1 : Double(truePositives) / Double(truePositives + falsePositives.count)
        }
        var recall: Double {
            truePositives + falseNegatives.count == 0 ? 1 : Double(truePositives) / Double(truePositives + falseNegatives.count)
        }
    }

    var kinds: [String: Kind] = [:]
    var duplicates: [ScoredFinding] = []

    var isPerfect: Bool { kinds.values.allSatisfy { $0.falsePositives.isEmpty && $0.falseNegatives.isEmpty } && duplicates.isEmpty }

    static func score(expected: [ScoredFinding], reported: [ScoredFinding]) -> Scoring {
        var result = Scoring()
        var truth: [String: ScoredFinding] = [:]
        for finding in expected { truth[finding.key] = finding }
        var matched: Set<String> = []
        for finding in reported {
            if matched.contains(finding.key) {
                result.duplicates.append(finding)
                continue
            }
            if let wanted = truth[finding.key] {
                matched.insert(finding.key)
                result.kinds[finding.kind, default: Kind()].truePositives += 1
                var notes: [String] = []
                if let count = finding.count, let expected = wanted.count, count != expected {
                    notes.append("count \(count), truth \(expected)")
                }
                if let first = finding.firstSeen, let expected = wanted.firstSeen, first != expected {
                    notes.append("first seen differs by \(first - expected) s")
                }
                if let last = finding.lastSeen, let expected = wanted.lastSeen, last != expected {
                    notes.append("last seen differs by \(last - expected) s")
                }
                if !notes.isEmpty {
                    result.kinds[finding.kind, default: Kind()].differences.append("\(finding.key): " + notes.joined(separator: "; "))
                }
            } else {
                result.kinds[finding.kind, default: Kind()].falsePositives.append(finding)
            }
        }
        for finding in expected where !matched.contains(finding.key) {
            result.kinds[finding.kind, default: Kind()].falseNegatives.append(finding)
        }
        return result
    }

    func report(truthRejected: [String], reportedRejected: [String]) -> String {
        var lines = ["kind                       truth  found   true  false+  false-  precision  recall"]
        for (name, kind) in kinds.sorted(by: { $0.key < $1.key }) {
            let truth = kind.truePositives + kind.falseNegatives.count
            let found = kind.truePositives + kind.falsePositives.count
            lines.append(
                name.padding(toLength: 25, withPad: " ", startingAt: 0)
                    + [truth, found, kind.truePositives, kind.falsePositives.count, kind.falseNegatives.count].map {
                        String($0).leftPadded(7)
                    }.joined()
                    + String(format: "%11.3f%8.3f", kind.precision, kind.recall))
        }
        for (name, kind) in kinds.sorted(by: { $0.key < $1.key }) {
            for finding in kind.falsePositives { lines.append("false positive (\(name)): line \(finding.line): \(finding.key)") }
            for finding in kind.falseNegatives { lines.append("false negative (\(name)): truth line \(finding.line): \(finding.key)") }
            for note in kind.differences { lines.append("matched, but \(note)") }
        }
        for finding in duplicates { lines.append("reported twice: line \(finding.line): \(finding.key)") }
        for line in truthRejected + reportedRejected { lines.append("unreadable: \(line)") }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
