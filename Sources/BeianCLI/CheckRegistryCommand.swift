import ArgumentParser
import BeianCore
import BeianIndex
import Foundation

struct CheckRegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-registry",
        abstract: "Find inconsistencies inside the registry itself.",
        discussion: """
            Runs the filing system's own checks over an index: IP filings out of bounds (越界), \
            conflicting (冲突) and sub-leased down a chain or by an unlicensed unit (层层转租); filed \
            sites with no access record in force (空壳); access records on addresses their provider \
            does not hold (接入商不符, on paper); filed domains registered to someone other than \
            the sponsor, or not registered. Findings go to standard output as JSON Lines, a \
            summary to standard error.
            """
    )

    @OptionGroup var indexFlags: IndexFlags

    @Option(help: "Judge cancellations as of this time (default: now).")
    var at: String?

    @Option(name: .customLong("max-depth"), help: "Allocation levels allowed below a source block.")
    var maxDepth = 2

    func run() throws {
        let index = try indexFlags.load()
        let time: Timestamp
        if let at {
            guard let parsed = try? Timestamp.parse(at) else { throw ValidationError("--at: not a date or time: \(at)") }
            time = parsed
        } else {
            time = Timestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))
        }
        var options = RegistryChecks.Options(at: time)
        options.maximumAllocationDepth = maxDepth
        let findings = RegistryChecks(index: index, options: options).run()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var output = ""
        for finding in findings {
            output += String(decoding: try encoder.encode(finding), as: UTF8.self) + "\n"
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        let byKind = Dictionary(grouping: findings, by: \.kind).mapValues(\.count)
        printError("check-registry: \(findings.count) finding(s)")
        for kind in Finding.Kind.allCases {
            if let count = byKind[kind] { printError("  \(kind.rawValue) (\(kind.chineseName)): \(count)") }
        }
    }
}
