import ArgumentParser
import BeianCore
import BeianCrawler
import BeianHistory
import BeianIndex
import BeianReport
import BeianScan
import Foundation
import Synchronization

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Judge captures, logs and crawls against the filing system: unfiled sites, mismatches, cancelled and blacklisted sites.",
        discussion: """
            Reads every input (captures and logs as `beian extract` reads them, crawls as \
            `beian homepages` reads them, and --interface), judges each observation against \
            the index as the filings stood at its time, and writes one finding per kind, \
            independent domain and address with first and last seen times, count, the \
            responsible access provider and operator, the province and evidence. The rules, \
            one section per finding kind, are in docs/findings.md. Findings go to standard \
            output as JSON Lines (or -o), the summary to standard error. Empty shells and \
            over-reported access records are judged only over the address space given with \
            --coverage: what the inputs see in full. SIGINT or SIGTERM stops the reading and \
            writes what was found so far. An input that cannot be read is reported and the \
            scan goes on (exit status 1 at the end); --fail-on-findings makes findings an exit \
            status of 3.
            """
    )

    @Argument(help: "Capture files, logs and crawls (WARC/ARC files, folders of saved pages).", completion: .file())
    var inputs: [String] = []

    @OptionGroup var index: IndexOptions
    @OptionGroup var country: CountryOptions
    @OptionGroup var scope: ScopeOptions
    @OptionGroup var output: FindingOutputOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var live: LiveOptions
    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var logs: LogReadingOptions

    @Flag(
        help: """
            Judge the addresses crawlers reached (WARC-IP-Address) as observations too. Off by default: a crawler's \
            resolver is not the users' (CDNs, split DNS), so its addresses say little about the audited network.
            """)
    var crawlAddresses = false

    @Flag(help: "Crawl the hosts the inputs observed (homepage and bazs.cert) and audit their footers in the same run.")
    var crawl = false

    @Option(help: "Keep the --crawl WARC in this file (else a temporary file, removed).", completion: .file())
    var crawlOut: String?

    @Option(help: "Send --crawl's requests through this HTTP proxy (HOST:PORT).")
    var crawlProxy: HostPort?

    @Option(help: "Hosts --crawl fetches at the same time.")
    var crawlConcurrency = 64

    @Flag(help: "Print the summary as JSON (on standard error) instead of text.")
    var jsonSummary = false

    @Flag(help: "Exit with status 3 when there are findings.")
    var failOnFindings = false

    @Flag(
        help: ArgumentHelp(
            "Write a partial scan to --output instead of findings: one part of a scan spread over machines.",
            discussion: "`beian merge` merges the parts into the findings one scan of all their inputs makes."))
    var partial = false

    @Option(
        help: ArgumentHelp(
            "Record the run and merge its findings into this findings history (SQLite; created when missing).",
            discussion: "See `beian history`: new, persisting and resolved findings across runs."),
        completion: .file())
    var history: String?

    func validate() throws {
        guard !inputs.isEmpty || live.interface != nil else {
            throw ValidationError("give at least one capture, log or crawl, or --interface")
        }
        guard crawlConcurrency > 0 else { throw ValidationError("--crawl-concurrency must be positive") }
        if partial {
            if history != nil { throw ValidationError("--partial and --history: record the merged scan instead") }
            if crawl { throw ValidationError("--partial and --crawl: crawl in one scan, or give the crawl's WARC as an input") }
            if live.interface != nil { throw ValidationError("--partial reads files, not --interface") }
        }
    }

    func run() throws {
        var configuration = Scan.Configuration(index: try index.load(), geo: try country.open())
        configuration.rules = try scope.rules()
        configuration.crawlAddresses = crawlAddresses
        configuration.partial = partial
        if crawl {
            var settings = Crawler.Settings()
            settings.fetchCertificate = true
            settings.proxy = crawlProxy.map { ($0.host, $0.port) }
            settings.concurrency = crawlConcurrency
            var step = Scan.ObservedHostsCrawl(settings: settings)
            step.output = crawlOut
            step.threads = threads.count
            configuration.crawl = step
        }
        var factory = SourceFactory(threads: threads.count)
        factory.decoding = decoding.configuration
        factory.logs = logs.options
        var sources = factory.sources(for: inputs)
        if let interface = live.source(decoding: decoding.configuration) { sources.append(interface) }

        let control = ScanControl()
        let interruption = Interruption(cancelling: control)
        let progress = ProgressLine()
        let started = Timestamp.now
        let result = Scan(configuration).run(
            sources, control: control, observer: Scan.Observer(progress: progress.show, crawl: progress.crawl))
        progress.finish()
        withExtendedLifetime(interruption) {}

        for input in result.inputs {
            for issue in input.issues { printError("\(issue)") }
            if let failure = input.failure { printError("\(failure)") }
        }
        if let state = result.partial {
            if result.interrupted { throw CommandFailure("scan: interrupted: no partial scan written (it would miss inputs)") }
            let part = PartialScan(
                indexDigest: configuration.index.digest, scope: PartialScan.scopeText(configuration.rules.scope), inputs: inputs,
                observations: result.observations, partial: state)
            try OutputFile.write(part.bytes, to: output.output)
            printError("scan: partial scan of \(inputs.count) input(s): \(state.findings.count) findings before the end pass")
            if result.failed { throw ExitCode(1) }
            return
        }
        if result.interrupted { printError("scan: interrupted; the findings so far follow") }
        try output.write(result.findings)
        if let history {
            if result.interrupted {
                printError("scan: interrupted, so not recorded in \(history) (a partial run would resolve findings it did not look for)")
            } else {
                let recorded = try HistoryRecording.record(
                    result, started: started, inputs: inputs, index: index.index, loaded: configuration.index, rules: configuration.rules,
                    to: history)
                printError(
                    "history: run \(recorded.id) recorded in \(history): \(recorded.findings) findings, \(recorded.new) new, \(recorded.resolved) resolved"
                )
            }
        }
        let summary = ScanSummary(result)
        printError(jsonSummary ? summary.json.text() : summary.text, terminator: "")
        if result.failed { throw ExitCode(1) }
        if failOnFindings && !result.findings.isEmpty { throw ExitCode(3) }
    }
}

/// `HOST:PORT`.
struct HostPort: ExpressibleByArgument, Sendable {
    let host: String
    let port: Int

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]),
            (1...65535).contains(port),
            colon > argument.startIndex
        else { return nil }
        host = String(argument[..<colon])
        self.port = port
    }
}

/// A progress line on standard error when it is a terminal (nothing otherwise): the input,
/// bytes done of the total, rate, observations and findings so far, time left.
final class ProgressLine: Sendable {
    private let enabled = isatty(STDERR_FILENO) == 1
    private let shown = Mutex<(last: Double, any: Bool)>((-1, false))

    func show(_ progress: ScanProgress) {
        guard enabled, shouldShow(at: progress.seconds) else { return }
        let rate = Double(progress.bytes) / max(progress.seconds, 1e-3)
        let left = rate > 0 && progress.totalBytes > progress.bytes ? Double(progress.totalBytes - progress.bytes) / rate : 0
        var line = String(
            format: "\r%@ (%d/%d): %.0f/%.0f MB, %.0f MB/s, %d observations, %d findings",
            (progress.source as NSString).lastPathComponent, progress.position + 1, progress.sources, Double(progress.bytes) / 1e6,
            Double(progress.totalBytes) / 1e6, rate / 1e6, progress.observations, progress.findings)
        if left > 0 { line += String(format: ", %.0f s left", left) }
        if !progress.counters.isEmpty { line += ", " + progress.counters.map { "\($0.name) \($0.count)" }.joined(separator: ", ") }
        FileHandle.standardError.write(Data((line + "  ").utf8))
    }

    @Sendable func crawl(_ report: Crawler.Report) {
        guard enabled else { return }
        let finished = report.answered + report.failures.values.reduce(0, +)
        guard finished % 50 == 0 || finished == report.hosts else { return }
        shown.withLock { $0.any = true }
        FileHandle.standardError.write(Data("\rcrawl: \(finished)/\(report.hosts) hosts, \(report.pages) pages  ".utf8))
    }

    private func shouldShow(at seconds: Double) -> Bool {
        shown.withLock { state in
            guard seconds - state.last >= 0.5 else { return false }
            state = (seconds, true)
            return true
        }
    }

    func finish() {
        if enabled && shown.withLock({ $0.any }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
