import ArgumentParser
import BeianCore
import BeianIndex
import BeianRegistry
import Foundation

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build and inspect index snapshots.",
        subcommands: [IndexBuildCommand.self, IndexStatsCommand.self]
    )
}

struct IndexBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build an index snapshot from registry exports.",
        discussion: """
            Reads every export given (any format, any record kind: the options only say what \
            each file is for the reader of the command line) and writes one snapshot file: IP \
            allocations and filed ranges by address, filed domains by name, blacklists, units, \
            and the public suffix rules in use. The file is replaced atomically. No personal \
            data goes into it: sponsor ID numbers are only compared through a keyed hash \
            (HMAC-SHA-256) with the key of --id-key-file, or a random key for this build.
            """
    )

    @Option(help: "ICP filing exports (sponsors, sites, domains, access records, cancellations).")
    var filings: [String] = []

    @Option(name: .customLong("ip-filings"), help: "IP filing exports (source ranges, allocations, self-brought ranges).")
    var ipFilings: [String] = []

    @Option(help: "Domain registration exports.")
    var domains: [String] = []

    @Option(help: "Blacklists (sponsors, sites, the illegal-access list).")
    var blacklist: [String] = []

    @Option(help: "Code tables (reporting units, provinces).")
    var units: [String] = []

    @Argument(help: "More export files of any kind.")
    var files: [String] = []

    @Option(name: [.short, .long], help: "The snapshot file to write.")
    var output: String

    @Option(name: .customLong("id-key-file"), help: "A file of at least 32 bytes: the key of the ID number hashes.")
    var idKeyFile: String?

    @OptionGroup var threads: ReadThreads

    @OptionGroup var suffixes: PublicSuffixFlags

    @OptionGroup var read: RegistryReadFlags

    func validate() throws {
        if (filings + ipFilings + domains + blacklist + units + files).isEmpty {
            throw ValidationError("give at least one registry export")
        }
    }

    func run() throws {
        var options = IndexBuildOptions()
        options.suffixPolicy = suffixes.pslPrivate ? .all : .icann
        options.suffixListPath = suffixes.psl
        if let idKeyFile {
            guard let key = FileManager.default.contents(atPath: idKeyFile), key.count >= 32 else {
                throw ValidationError("--id-key-file must name a readable file of at least 32 bytes")
            }
            options.identifierKey = Array(key)
        }
        IndexBuilder.tuneAllocatorForLargeBuilds()
        let builder = IndexBuilder(options: options)
        let reader = RegistryReader(options: try read.options())
        let start = Date()
        var reports: [FileReport] = []
        var failed = false
        let inputs = filings + ipFilings + domains + blacklist + units + files
        let progress = ReadingProgress(files: inputs)
        reader.progress = progress.reading
        builder.stage = { progress.stage("building the index: \($0)") }
        // The inputs' digests (for the snapshot's provenance) are worked out beside the read.
        let digests = SourceDigests(inputs)
        let results = reader.read(
            inputs, threads: threads.count, makeConsumer: { builder.makePart() },
            commit: { builder.absorb($0) })
        for result in results {
            switch result {
            case .success(let report): reports.append(report)
            case .failure(let error):
                printError("beian: \(error.message)")
                if let report = error.report { reports.append(report) }
                failed = true
                if error.code == .strict {
                    progress.finish()
                    throw ExitCode(1)
                }
            }
        }
        reader.forgetKeys()
        for source in digests.wait() { builder.noteSource(source) }
        progress.finish()
        for report in reports {
            for issue in report.issues.prefix(20) { printError(issue.description) }
            let hidden = report.issueCounts.values.reduce(0, +) - min(report.issues.count, 20)
            if hidden > 0 { printError("\(report.file): … \(hidden) more issue(s); `beian registry validate` lists them all") }
        }
        let readTime = Date().timeIntervalSince(start)
        let result: IndexBuildReport
        do {
            defer { progress.finish() }
            result = try builder.write(to: output)
        }
        let total = Date().timeIntervalSince(start)
        printError(RegistryReportText.totals(reports))
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("wrote \(output): \(size) bytes in \(String(format: "%.2f", total)) s (reading \(String(format: "%.2f", readTime)) s)")
        for (name, count) in result.counts.sorted(by: { $0.key < $1.key }) { print("  \(name): \(count)") }
        for (what, count) in result.unresolved.sorted(by: { $0.key < $1.key }) { print("  unresolved: \(what): \(count)") }
        if failed || reports.contains(where: { $0.fatal != nil }) { throw ExitCode(1) }
    }
}

struct IndexStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Print what an index snapshot holds.")

    @Argument(help: "The snapshot file.")
    var file: String

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        let start = Date()
        let index = try RegistryIndex(path: file)
        let loadTime = Date().timeIntervalSince(start)
        if json {
            func counts(_ table: [String: Int]) -> JSONValue { .object(JSONObject(table.mapValues { JSONValue($0) })) }
            let object: JSONValue = [
                "file": JSONValue(file), "bytes": JSONValue(index.fileSize), "build_time": JSONValue(index.buildTime.iso8601),
                "load_seconds": .number(loadTime), "counts": counts(index.counts), "unresolved": counts(index.unresolved),
                "suffix_policy": JSONValue(index.suffixPolicy),
                "sources": .array(
                    index.sources.map { ["path": JSONValue($0.path), "bytes": JSONValue($0.bytes), "digest": JSONValue($0.digest)] }),
                "sections": counts(Dictionary(index.sectionSizes.map { ($0.0, Int($0.1)) }, uniquingKeysWith: +)),
            ]
            print(object.text(pretty: true))
            return
        }
        print(
            "\(file): \(index.fileSize) bytes, built \(index.buildTime) (China time), loaded and checked in \(String(format: "%.3f", loadTime)) s"
        )
        print("public suffix policy: \(index.suffixPolicy)")
        for (name, count) in index.counts.sorted(by: { $0.key < $1.key }) { print("  \(name): \(count)") }
        for (what, count) in index.unresolved.sorted(by: { $0.key < $1.key }) { print("  unresolved: \(what): \(count)") }
        print("sources:")
        for source in index.sources { print("  \(source.path): \(source.bytes) bytes, \(source.digest)") }
        print("sections:")
        for (name, size) in index.sectionSizes { print("  \(name) \(size)") }
    }
}

/// The digests of a build's inputs, worked out on a thread of their own while they are read.
final class SourceDigests: @unchecked Sendable {
    // @unchecked: `sources` is written by the worker only, and read by `wait` after the
    // semaphore orders the two.
    private var sources: [IndexSource] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ paths: [String]) {
        Thread.detachNewThread { [self] in
            sources = paths.compactMap { IndexSource(path: $0) }
            done.signal()
        }
    }

    /// The digests of the inputs that could be read, in order.
    func wait() -> [IndexSource] {
        done.wait()
        return sources
    }
}
