import ArgumentParser
import BeianCore
import BeianIndex
import BeianReport
import BeianScan
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge partial scans into the findings of one scan of all their inputs.",
        discussion: """
            Reads the parts `beian scan --partial` wrote — any number, in any order and grouping \
            — against the index they were judged with (a part judged with another index is \
            refused), then runs the end-of-input pass over them all (empty shells and \
            over-reported access need --coverage, as a scan does). The findings equal, byte for \
            byte, those of one `beian scan` of every part's inputs with the same options. Parts \
            must cover disjoint inputs. With --partial the merge is itself a part (no end pass), \
            for merging in a tree: parts merged in any grouping give the same findings.
            """
    )

    @OptionGroup var index: IndexOptions
    @OptionGroup var scope: ScopeOptions
    @OptionGroup var output: FindingOutputOptions

    @Argument(help: "Partial scans (from `beian scan --partial` or `beian merge --partial`).", completion: .file())
    var parts: [String]

    @Flag(help: "Write the merged parts as one partial scan to --output instead of findings.")
    var partial = false

    /// A part larger than this is refused (findings and sites of a national scan's part fit
    /// many times over).
    static let maximumPartBytes = 16 << 30

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("give at least one partial scan") }
    }

    func run() throws {
        let loaded = try index.load()
        let rules = try scope.rules()
        let scopeText = PartialScan.scopeText(rules.scope)
        var judge = Judge(index: loaded, geo: nil, settings: rules)
        var findings = 0
        var inputs: [String] = []
        var observations = 0
        let progress = ReadingProgress(files: parts)
        defer { progress.finish() }
        for (number, path) in parts.enumerated() {
            progress.stage(
                "merging part \(number + 1)/\(parts.count): \((path as NSString).lastPathComponent), \(findings) findings so far")
            let bytes: [UInt8]
            do { bytes = try InputFile.open(path).readAll(limit: Self.maximumPartBytes) } catch { throw CommandFailure("\(error)") }
            let part: PartialScan
            do { part = try PartialScan.read(bytes, name: path) } catch { throw CommandFailure("\(error)") }
            guard part.indexDigest == loaded.digest else {
                throw CommandFailure(
                    "\(path): judged against another index (\(part.indexDigest); \(index.index) is \(loaded.digest)): merge with the index its scan used"
                )
            }
            guard part.scope == scopeText else {
                throw CommandFailure("\(path): judged with scope \(part.scope), not \(scopeText): give the scan's --scope and --unit")
            }
            findings += part.partial.findings.count
            inputs += part.inputs
            observations += part.observations
            judge.absorb(part.partial)
        }
        if partial {
            let merged = PartialScan(
                indexDigest: loaded.digest, scope: scopeText, inputs: inputs, observations: observations, partial: judge.partial())
            try OutputFile.write(merged.bytes, to: output.output)
            printError("merge: \(parts.count) part(s), \(findings) partial findings → one part of \(merged.partial.findings.count)")
            return
        }
        progress.stage("the end-of-input pass over \(parts.count) parts")
        let merged = judge.finish()
        progress.finish()
        try output.write(merged)
        printError("merge: \(parts.count) part(s), \(findings) partial findings → \(merged.count) finding(s)")
    }
}
