import ArgumentParser
import BeianCore
import BeianIndex
import BeianReport
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

    @OptionGroup var indexOptions: IndexOptions
    @OptionGroup var at: TimeOptions
    @OptionGroup var times: TimeStyleOptions

    @Option(name: .customLong("max-depth"), help: "Allocation levels allowed below a source block.")
    var maxDepth = 2

    func run() throws {
        let index = try indexOptions.load()
        var options = RegistryChecks.Options(at: at.time)
        options.maximumAllocationDepth = maxDepth
        let findings = RegistryChecks(index: index, options: options).run()
        FileHandle.standardOutput.write(Data(FindingWriter.jsonLines(findings, times: times.time)))
        let byKind = Dictionary(grouping: findings, by: \.kind).mapValues(\.count)
        printError("check-registry: \(findings.count) finding(s)")
        for kind in Finding.Kind.allCases {
            if let count = byKind[kind] { printError("  \(kind.rawValue) (\(kind.chineseName)): \(count)") }
        }
    }
}
