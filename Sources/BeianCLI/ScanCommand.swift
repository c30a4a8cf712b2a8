import ArgumentParser
import BeianCapture
import BeianCore
import BeianCrawler
import BeianGeo
import BeianHomepages
import BeianIndex
import BeianLogs
import BeianPackets
import BeianReport
import BeianScan
import Foundation
import Synchronization

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Judge captures and logs against the filing system: unfiled sites, mismatches, cancelled and blacklisted sites.",
        discussion: """
            Extracts observations from every input (captures and logs, as `beian extract` reads \
            them), judges each against the index as the filings stood at its time (DOMAIN.md \
            §5), and writes one finding per kind, independent domain and address with first and \
            last seen times, count, the responsible access provider and operator, the province \
            and evidence. Findings go to standard output as JSON Lines (or --output), the \
            summary to standard error. Empty shells and over-reported access records are judged \
            only over the address space given with --coverage: what the inputs see in full. \
            An input that cannot be read is reported and the scan goes on (exit status 1 at the \
            end); --fail-on-findings makes findings an exit status of 3.
            """
    )

    @Argument(help: "Capture files, logs (as beian extract reads them) and crawls (WARC files, folders of saved pages).")
    var inputs: [String] = []

    @Option(help: "The index snapshot (beian index build).")
    var index: String

    @Option(help: "A MaxMind country database: addresses outside the filed space are domestic when it says CN.")
    var geoip: String?

    @Option(parsing: .upToNextOption, help: "Prefixes or ranges the inputs see in full (for empty shells and over-reported access).")
    var coverage: [String] = []

    @Option(help: "A file of coverage prefixes or ranges, one per line.")
    var coverageFile: String?

    @Option(help: "Worker threads decoding each capture (default: the number of processors).")
    var threads: Int?

    @Option(help: "Write findings to this file instead of standard output.")
    var output: String?

    @Option(help: "Findings format: jsonl, csv or wbawzlb (the V3.0 unfiled-site list, GBK XML); by --output's extension when absent.")
    var format: String?

    @Option(help: "Column names of CSV findings: en or zh.")
    var headers: String = "en"

    @Option(help: "Scope: all (every domestic address) or own (the allocations of --unit, the access provider's view).")
    var scope: String = "all"

    @Option(help: "The reporting unit (access provider) ID for --scope own.")
    var unit: Int64?

    @Option(help: "Also judge what this network interface carries (until interrupted or --duration).")
    var interface: String?

    @Option(help: "Stop a live capture after this many seconds.")
    var duration: Double?

    @Flag(
        help: """
            Judge the addresses crawlers reached (WARC-IP-Address) as observations too. Off by default: a crawler's \
            resolver is not the users' (CDNs, split DNS), so its addresses say little about the audited network.
            """)
    var crawlAddresses = false

    @Flag(help: "Crawl the hosts the inputs observed (homepage and bazs.cert) and audit their footers in the same run.")
    var crawl = false

    @Option(help: "Keep the --crawl WARC in this file (else a temporary file, removed).")
    var crawlOut: String?

    @Option(help: "Send --crawl's requests through this HTTP proxy (HOST:PORT).")
    var crawlProxy: String?

    @Option(help: "Hosts --crawl fetches at the same time.")
    var crawlConcurrency = 64

    /// Hosts `--crawl` fetches at most (the first observed).
    static let maximumCrawlHosts = 100_000

    @Flag(help: "Exit with status 3 when there are findings.")
    var failOnFindings = false

    func validate() throws {
        guard !inputs.isEmpty || interface != nil else { throw ValidationError("give at least one capture or log, or --interface") }
        guard scope == "all" || scope == "own" else { throw ValidationError("--scope: all or own") }
        if scope == "own" && unit == nil { throw ValidationError("--scope own needs --unit ID") }
        if let format, FindingWriter.Format(rawValue: format) == nil { throw ValidationError("--format: jsonl, csv or wbawzlb") }
        guard FindingWriter.Headers(rawValue: headers) != nil else { throw ValidationError("--headers: en or zh") }
    }

    func run() throws {
        let loaded: RegistryIndex
        do { loaded = try RegistryIndex(path: index) } catch {
            printError("\(index): \(error)")
            throw ExitCode(1)
        }
        let geo: GeoDatabase?
        do { geo = try geoip.map { try GeoDatabase(path: $0) } } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        var settings = Judge.Settings()
        var prefixes = coverage
        if let coverageFile {
            let text = try String(contentsOfFile: coverageFile, encoding: .utf8)
            prefixes += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty && !$0.hasPrefix("#")
            }
        }
        for text in prefixes {
            do { settings.coverage.append(try IPRange.parse(text)) } catch {
                throw ValidationError("--coverage: \(text): \(error.reason)")
            }
        }
        if scope == "own" { settings.ownUnit = unit }
        var judge = Judge(index: loaded, geo: geo, settings: settings)
        var auditor = HomepageAuditor(index: loaded)
        // SIGINT and SIGTERM stop the reading; what was found so far is written.
        let interrupted = StopFlag()
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let live = LiveSlot()
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                interrupted.set()
                live.capture.withLock { $0?.stop() }
            }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }
        let progress = Progress(inputs: inputs)
        let pipeline = CapturePipeline(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        var failed = false
        var observations = 0
        var inputLines: [String] = []
        // A crawl's pages: footer findings (and, with --crawl-addresses, observations).
        func audit(_ input: String) -> Bool {
            do {
                let report = try CrawlInput.read(
                    input, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, judge: auditor.judge
                ) { item in
                    guard case .page(let page) = item else {
                        if case .certificate(let certificate) = item { _ = auditor.disagreement(of: certificate) }
                        return
                    }
                    if crawlAddresses, let observation = HomepageAuditor.observation(of: page) {
                        observations += 1
                        judge.judge(observation)
                    }
                    // The access provider's view keeps the pages of the sites it serves.
                    if let finding = auditor.judgement(of: page)?.finding(of: page),
                        settings.ownUnit.map({ finding.provider?.id == $0 }) ?? true
                    {
                        judge.add(finding, nanoseconds: (page.date?.secondsSince1970 ?? 0) * 1_000_000_000)
                    }
                }
                for problem in report.problems { printError(problem) }
                inputLines.append("\(input): \(report.summary)")
                return true
            } catch {
                printError("\(input): \(error)")
                return false
            }
        }
        // With --crawl, the hosts observed (names, not addresses), to fetch afterwards.
        var observedHosts: Set<String> = []
        func collect(_ batch: [Observation]) {
            guard crawl else { return }
            for observation in batch where observedHosts.count < Self.maximumCrawlHosts && IPAddress(observation.host) == nil {
                observedHosts.insert(observation.host)
            }
        }
        // Observations are judged as they come, each against the filings as they stood at its
        // own time: the order of inputs does not matter, and memory stays bounded.
        for (position, input) in inputs.enumerated() where !interrupted.isSet {
            if ExtractCommand.isCapture(input) {
                let report = pipeline.run(
                    path: input, stop: { interrupted.isSet },
                    progress: { progress.update(input: position, bytes: $0, observations: observations, findings: judge.findingCount) },
                    output: { batch in
                        observations += batch.count
                        for observation in batch { judge.judge(observation) }
                        collect(batch)
                    })
                for issue in report.issues { printError("\(issue)") }
                if report.issues.contains(where: { $0.code == .cannotOpen || $0.code == .unsupported }) { failed = true }
                let s = report.statistics
                inputLines.append(
                    "\(input): \(s.packets) packets, "
                        + Observation.AppProtocol.allCases.map { "\($0.rawValue) \(s.count(of: $0))" }.joined(separator: ", ")
                        + ", not used \(s.malformedTotal), reassembly failures \(s.reassemblyFailures)")
            } else if CrawlInput.isCrawl(input) {
                if !audit(input) { failed = true }
            } else {
                let report = LogReader.read(
                    path: input, options: LogOptions(), stop: { interrupted.isSet },
                    output: { batch in
                        observations += batch.count
                        for observation in batch { judge.judge(observation) }
                        collect(batch)
                    })
                if let failure = report.failure {
                    printError("\(failure)")
                    failed = true
                }
                if report.rejected > 0 { printError("\(input): \(report.rejected) lines rejected (beian extract lists them)") }
                inputLines.append(
                    "\(input): \(report.format.map { "\($0) log" } ?? "log"), \(report.lines) lines, \(report.observations) observations, "
                        + "\(report.rejected) rejected")
            }
        }
        if let interface, !interrupted.isSet {
            var liveSettings = LiveCapture.Settings()
            liveSettings.duration = duration
            do {
                let capture = try LiveCapture(interface: interface, settings: liveSettings)
                live.capture.withLock { $0 = capture }
                var decoder = PacketDecoder()
                decoder.begin(file: interface)
                try capture.run { bytes, link, nanoseconds, number in
                    decoder.decode(bytes, link: link, nanoseconds: nanoseconds, number: number)
                    observations += decoder.observations.count
                    for observation in decoder.observations { judge.judge(observation) }
                    collect(decoder.observations)
                    decoder.observations.removeAll(keepingCapacity: true)
                }
                let counters = capture.counters
                printError("\(interface): libpcap received \(counters.received), dropped \(counters.dropped)")
            } catch {
                printError("\(error)")
                failed = true
            }
        }
        progress.finish()
        if crawl && !interrupted.isSet && !observedHosts.isEmpty {
            let out = crawlOut ?? NSTemporaryDirectory() + "beian-crawl-\(getpid()).warc.gz"
            var settings = Crawler.Settings()
            settings.fetchCertificate = true
            settings.proxy = crawlProxy.flatMap(CrawlCommand.hostPort)
            settings.concurrency = crawlConcurrency
            do {
                let report = try CrawlCommand.crawl(hosts: observedHosts.sorted(), settings: settings, output: out)
                CrawlCommand.summarise(report, output: out)
                if !audit(out) { failed = true }
                if crawlOut == nil { try? FileManager.default.removeItem(atPath: out) }
            } catch {
                printError("crawl: \(error)")
                failed = true
            }
        }
        if interrupted.isSet { printError("scan: interrupted; the findings so far follow") }
        let findings = judge.finish()
        let chosen = format.flatMap { FindingWriter.Format(rawValue: $0) } ?? output.map { FindingWriter.Format(fileName: $0) } ?? .jsonl
        let text = Data(try FindingWriter.render(findings, format: chosen, headers: FindingWriter.Headers(rawValue: headers) ?? .en))
        if let output {
            try text.write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(text)
        }
        var kinds: [Finding.Kind: Int] = [:]
        for finding in findings { kinds[finding.kind, default: 0] += 1 }
        printError(
            "scan: \(inputs.count) inputs, \(observations) observations (\(judge.proxied) through proxies, not judged), "
                + "\(findings.count) findings")
        for (kind, count) in kinds.sorted(by: { $0.key < $1.key }) { printError("  \(kind.rawValue) (\(kind.chineseName)): \(count)") }
        var unfiledByProvider: [String: Int] = [:]
        for finding in findings where finding.kind == .unfiledSite {
            unfiledByProvider[finding.provider.map { "\($0.name ?? "?") (\($0.id))" } ?? "no access provider on file", default: 0] += 1
        }
        if !unfiledByProvider.isEmpty {
            printError("  unfiled sites by access provider (the monthly ranking):")
            for (provider, count) in unfiledByProvider.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).prefix(
                10)
            {
                printError("    \(count)\t\(provider)")
            }
        }
        if auditor.pages > 0 {
            printError(
                "  homepages: \(auditor.homepages) of \(auditor.pages) pages, \(auditor.judged) with a filing in force judged; "
                    + "\(auditor.certificates) bazs.cert read, \(auditor.certificateDisagreements.count) disagree with the filing")
            for line in auditor.certificateDisagreements { printError("    \(line)") }
        }
        if !inputLines.isEmpty {
            printError("  inputs:")
            for line in inputLines { printError("    \(line)") }
        }
        var byProvince: [String: Int] = [:]
        for finding in findings { byProvince[finding.province ?? "unknown", default: 0] += 1 }
        printError("  by province: " + byProvince.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if failed { throw ExitCode(1) }
        if failOnFindings && !findings.isEmpty { throw ExitCode(3) }
    }
}

/// The live capture a signal must stop, once there is one.
final class LiveSlot: Sendable {
    let capture = Mutex<LiveCapture?>(nil)
}

/// Set from a signal handler's queue, read by the scan loop.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// A progress line on standard error when it is a terminal (nothing otherwise): input, bytes
/// done of the total, rate, observations and findings so far, time left.
final class Progress {
    private let inputs: [String]
    private let sizes: [Int64]
    private let total: Int64
    private let started = DispatchTime.now().uptimeNanoseconds
    private var last: UInt64 = 0
    private let enabled = isatty(STDERR_FILENO) == 1

    init(inputs: [String]) {
        self.inputs = inputs
        sizes = inputs.map { InputFile.size(of: $0) ?? 0 }
        total = sizes.reduce(0, +)
    }

    func update(input: Int, bytes: Int64, observations: Int, findings: Int) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - last > 500_000_000 else { return }
        last = now
        let done = sizes.prefix(input).reduce(0, +) + bytes
        let seconds = Double(now - started) / 1e9
        let rate = Double(done) / max(seconds, 1e-3)
        let left = rate > 0 ? Double(total - done) / rate : 0
        let line = String(
            format: "\r%@ (%d/%d): %.0f/%.0f MB, %.0f MB/s, %d observations, %d findings, %.0f s left  ",
            (inputs[input] as NSString).lastPathComponent, input + 1, inputs.count, Double(done) / 1e6, Double(total) / 1e6, rate / 1e6,
            observations, findings, left)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled && last > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
