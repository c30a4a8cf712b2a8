import ArgumentParser
import BeianCore
import BeianHistory
import BeianIndex
import BeianReport
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports from a findings history: the annual review, the monthly ranking and statistics, handling results.",
        subcommands: [MonthlyReportCommand.self, AnnualReportCommand.self, HandlingReportCommand.self]
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
        try ReportOutput.write(report, format: ReportOutput.format(format, output: output, fallback: "json"), to: output)
    }
}

struct HandlingReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handling",
        abstract: "An access provider's handling results for its unfiled sites: the V3.0 WBACLJG upload, or a report.",
        discussion: """
            Every unfiled site (independent domain at an address) the history holds for the \
            provider --unit, with the handling result recorded for it (`beian history handle`) \
            or, where none is, the status of a site not yet handled (the handling-status table's \
            未处理, from --codes). xml (the default for .xml files): the V3.0 interface's \
            UploadData/ICP/WBACLJG, GBK, valid against its upload-data.xsd; more than 1000 \
            records are split into FILE-1.xml, FILE-2.xml… as the interface allows 1000 a file. \
            Sites it cannot hold (IPv6, no operator or province on file) are left out and counted \
            on standard error. json, csv (BOM, Chinese headers; fill in 处理结果ID, 处理意见 and \
            处理时间 and give it back with `beian history handle --import`), html (a page with a \
            chart by status). The reporter's name, phone and e-mail (Sbrxm, Sbrdh, Sbrdzyj) come \
            from the options or --settings, never from the registry, and go into the XML only.
            """
    )

    @Option(help: "The findings history (from `beian scan --history`).", completion: .file())
    var history: String

    @Option(help: "The access provider (reporting unit id, Jrs) whose sites are reported; also the request's Qqdwid.")
    var unit: Int64

    @Option(help: "The registry's code table (codes.xml with the handling-status table JCDM Wbacl_dms).", completion: .file())
    var codes: String

    @Option(
        help: """
            A JSON settings file: reporter_name, reporter_phone, reporter_email, deadline_days, \
            pending_status (options given here win).
            """, completion: .file())
    var settings: String?

    @Option(help: "The reporter's name (Sbrxm).")
    var reporterName: String?

    @Option(help: "The reporter's phone (Sbrdh).")
    var reporterPhone: String?

    @Option(help: "The reporter's e-mail (Sbrdzyj).")
    var reporterEmail: String?

    @Option(help: "Days from a site's listing (first seen) to its handling deadline (Clsx; default 10).")
    var deadlineDays: Int?

    @Option(help: "The status id of a site not yet handled (default: the table's 未处理).")
    var pendingStatus: Int?

    @Option(help: "xml, json, csv or html (default: by --output's extension, else xml).")
    var format: String?

    @Option(name: [.short, .long], help: "Write to this file instead of standard output.", completion: .file())
    var output: String?

    func validate() throws {
        if let format, !["xml", "json", "csv", "html"].contains(format) { throw ValidationError("--format: xml, json, csv or html") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: history) else { throw CommandFailure("\(history): no such history") }
        let report: HandlingReport
        do {
            var chosen = try settings.map { try HandlingReport.Settings.read(path: $0) } ?? HandlingReport.Settings()
            chosen.reporterName = reporterName ?? chosen.reporterName
            chosen.reporterPhone = reporterPhone ?? chosen.reporterPhone
            chosen.reporterEmail = reporterEmail ?? chosen.reporterEmail
            chosen.deadlineDays = deadlineDays ?? chosen.deadlineDays
            chosen.pendingStatus = pendingStatus ?? chosen.pendingStatus
            report = try HandlingReport(
                history: try FindingsHistory(path: history), unit: unit, statuses: try HandlingStatuses.read(path: codes), settings: chosen)
        } catch { throw CommandFailure("\(error)") }
        let chosen = ReportOutput.format(format, output: output, fallback: "xml")
        switch chosen {
        case "json", "csv", "html": try ReportOutput.write(report, format: chosen, to: output)
        default:
            let files = report.uploadFiles
            for (reason, count) in report.omitted.sorted(by: { $0.key < $1.key }) {
                printError("handling: \(count) site(s) left out of the upload (\(reason): the interface cannot hold them)")
            }
            guard !files.isEmpty else {
                printError("handling: no site to report for unit \(unit)")
                return
            }
            if files.count == 1 {
                try OutputFile.write(files[0], to: output)
            } else {
                guard let output, output != "-" else {
                    throw CommandFailure("\(report.fit.count) records need \(files.count) upload files: give -o FILE.xml")
                }
                let base = (output as NSString).deletingPathExtension
                for (number, file) in files.enumerated() { try OutputFile.write(file, to: "\(base)-\(number + 1).xml") }
            }
            printError("handling: \(report.fit.count) record(s) in \(files.count) file(s), \(report.rows.filter(\.handled).count) handled")
        }
    }
}

struct AnnualReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annual",
        abstract: "The annual review of access providers: the registry's inconsistencies and the year's scan findings, per provider.",
        discussion: """
            Combines the registry check of --index (what `beian check-registry` finds, as of the \
            end of the year or --at) with the findings the history's runs saw in the year (China \
            time): per access provider, every kind with totals, how many were new in the year, \
            resolved, and handled; the scans' month-by-month trend; and the evidence behind each \
            number. --province keeps one province's findings (by the province of the address or \
            filing). JSON (every finding with its evidence), CSV (BOM, Chinese headers: the review \
            table, then the findings), HTML (charts by provider, trend and mix of kinds; A4).
            """
    )

    @Option(help: "The findings history (from `beian scan --history`).", completion: .file())
    var history: String

    @OptionGroup var indexOptions: IndexOptions

    @Option(help: "The year reviewed.")
    var year: Int

    @Option(help: "Only this province (its abbreviation: 浙).")
    var province: String?

    @Option(help: "Check the registry as of this date or time (default: the end of the year, or now if earlier).")
    var at: String?

    @Option(name: .customLong("max-depth"), help: "Allocation levels allowed below a source block.")
    var maxDepth = 2

    @Option(help: "json, csv or html (default: by --output's extension, else json).")
    var format: String?

    @Option(name: [.short, .long], help: "Write the report to this file instead of standard output.", completion: .file())
    var output: String?

    func validate() throws {
        if let format, !["json", "csv", "html"].contains(format) { throw ValidationError("--format: json, csv or html") }
        if let province, province.count != 1 || province.first.flatMap({ Province.abbreviated($0) }) == nil {
            throw ValidationError("--province: a province's abbreviation (浙, 京, 粤…)")
        }
        if !(1970...9998).contains(year) { throw ValidationError("--year: 1970 to 9998") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: history) else { throw CommandFailure("\(history): no such history") }
        let index = try indexOptions.load()
        let checkedAt: Timestamp
        if let at {
            guard let parsed = try? Timestamp.parse(at) else { throw CommandFailure("--at: \(at) is not a date or time") }
            checkedAt = parsed
        } else {
            let endOfYear = try Timestamp.parse(String(format: "%04d-12-31 23:59:59", year))
            checkedAt = Timestamp(secondsSince1970: min(endOfYear.secondsSince1970, Timestamp.now.secondsSince1970))
        }
        var options = RegistryChecks.Options(at: checkedAt)
        options.maximumAllocationDepth = maxDepth
        let registry = RegistryChecks(index: index, options: options).run()
        // The canonical abbreviation, whatever form was given.
        let abbreviation = province.flatMap { $0.first }.flatMap { Province.abbreviated($0) }.map { String($0.abbreviation) }
        let report: AnnualReport
        do {
            report = try AnnualReport(
                year: year, history: try FindingsHistory(path: history), registry: registry, registryAt: checkedAt, province: abbreviation)
        } catch { throw CommandFailure("\(error)") }
        try ReportOutput.write(report, format: ReportOutput.format(format, output: output, fallback: "json"), to: output)
        printError("annual: \(report.providers.count) provider(s), \(report.items.count) finding(s), \(report.runs.count) run(s)")
    }
}

/// What the reports share on their way out: the format asked for (or named by the output
/// file's extension) and the bytes of each rendering.
enum ReportOutput {
    static func format(_ format: String?, output: String?, fallback: String) -> String {
        if let format { return format }
        let fileExtension = output.map { ($0 as NSString).pathExtension.lowercased() } ?? ""
        return ["json", "csv", "html"].contains(fileExtension) ? fileExtension : fallback
    }

    static func write(_ report: some RenderedReport, format: String, to output: String?) throws {
        let bytes: [UInt8]
        switch format {
        case "csv": bytes = report.csv
        case "html": bytes = Array(report.html.utf8)
        default: bytes = Array((report.json.text + "\n").utf8)
        }
        try OutputFile.write(bytes, to: output)
    }
}
