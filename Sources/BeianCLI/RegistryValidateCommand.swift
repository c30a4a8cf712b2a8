import ArgumentParser
import BeianCore
import BeianRegistry
import Foundation

struct RegistryValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Read registry exports and report every refused record.",
        discussion: """
            Reads MIIT V3.0 XML (GBK or UTF-8, plain, .gz or .zip), CSV and JSON Lines exports, \
            checks every value, and prints per-kind counts (read = accepted + rejected) and every \
            problem with its file, line and element or column. Personal data is never printed.

            Exit status: 0 when every file was read to its end, 1 when a file could not be read \
            or --strict met a refused record.
            """
    )

    @Argument(help: "Registry export files.")
    var files: [String]

    @OptionGroup var read: RegistryReadFlags

    @Flag(help: "Print the report as one JSON document.")
    var json = false

    @Option(help: "Issues printed per file (all are counted).")
    var maxIssues = 50

    @OptionGroup var threads: ReadThreads

    func run() throws {
        let reader = RegistryReader(options: try read.options())
        var reports: [FileReport] = []
        var failed = false
        let progress = ReadingProgress(files: files)
        reader.progress = progress.reading
        defer { progress.finish() }
        for result in reader.read(files, threads: threads.count, makeConsumer: { DiscardingConsumer() }, commit: { _ in }) {
            switch result {
            case .success(let report): reports.append(report)
            case .failure(let error):
                if let report = error.report { reports.append(report) }
                printError("beian: \(error.message)")
                failed = true
            }
        }
        failed = failed || reports.contains { $0.fatal != nil }
        progress.finish()
        if json {
            print(RegistryReportJSON.document(reports, maxIssues: maxIssues))
        } else {
            for report in reports { print(RegistryReportText.render(report, maxIssues: maxIssues)) }
            print(RegistryReportText.totals(reports))
        }
        if failed { throw ExitCode(1) }
    }
}

/// Takes records and keeps none (a read for its report).
final class DiscardingConsumer: RegistryPieceConsumer {
    func add(_ record: RegistryRecord) {}
    func drop(_ kind: RecordKind, ordinal: Int) {}
}
