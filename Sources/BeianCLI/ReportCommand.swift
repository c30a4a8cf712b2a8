import ArgumentParser
import BeianCore
import BeianHistory
import BeianReport
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports from a findings history: the monthly ranking and statistics.",
        subcommands: [MonthlyReportCommand.self]
    )
}

struct MonthlyReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monthly",
        abstract: "The ten access providers with the most unfiled sites in a month, and the statistics by province.",
        discussion: """
            Counts the unfiled sites (independent domains) the history's runs saw in the month \
            (China time): per access provider, the ranking of the ten with the most, and per \
            province, the sites found, of them new in the month, those resolved in the month, and \
            every finding kind. JSON; CSV (a byte order mark and Chinese headers: opens in a \
            spreadsheet) with --format csv or an output file ending in .csv; HTML (one \
            self-contained page with a bar chart, printable on A4) with --format html or .html.
            """
    )

    @Option(help: "The findings history (from `beian scan --history`).", completion: .file())
    var history: String

    @Option(help: "The month: YYYY-MM.")
    var month: String

    @Option(help: "json, csv or html (default: by --output's extension, else json).")
    var format: String?

    @Option(name: [.short, .long], help: "Write the report to this file instead of standard output.", completion: .file())
    var output: String?

    func validate() throws {
        if let format, !["json", "csv", "html"].contains(format) { throw ValidationError("--format: json, csv or html") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: history) else { throw CommandFailure("\(history): no such history") }
        let report: MonthlyReport
        do { report = try MonthlyReport(month: month, history: try FindingsHistory(path: history)) } catch {
            throw CommandFailure("\(error)")
        }
        let fileExtension = output.map { ($0 as NSString).pathExtension.lowercased() }
        let chosen = format ?? (["csv", "html"].contains(fileExtension ?? "") ? fileExtension ?? "json" : "json")
        let bytes: [UInt8]
        switch chosen {
        case "csv": bytes = report.csv
        case "html": bytes = Array(report.html.utf8)
        default: bytes = Array((report.json.text + "\n").utf8)
        }
        try OutputFile.write(bytes, to: output)
    }
}
