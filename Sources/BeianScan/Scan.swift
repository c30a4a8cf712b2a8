public import BeianCore
public import BeianCrawler
public import BeianGeo
public import BeianHomepages
public import BeianIndex
public import BeianLogs
import Foundation
import Synchronization

/// A scan run: sources read in turn, every observation judged against the index as the
/// filings stood at its time, homepages judged on the crawl reader's workers, findings
/// aggregated by kind, independent domain and address. The batch scan, `watch` and the
/// check service all start one of these; a command only parses options and wires it.
///
/// Findings leave a run two ways: as events while it runs (a finding made, as soon as the
/// batch that made it is judged; a finding updated, coalesced until the end of an input or a
/// tick of `watch`), when an observer asks for them; and as
/// the final aggregate in `ScanResult`, after the end-of-input pass (empty shells and
/// over-reported access records over the declared coverage).
///
/// A run is stopped from outside through its `ScanControl` (a signal handler, a timer): the
/// source being read stops within a chunk, or within `LiveCapture.tickInterval` on a quiet
/// interface, and what was read is judged and reported. One run at a time per `Scan`.
public final class Scan: Sendable {
    public struct Configuration: Sendable {
        public var index: RegistryIndex
        public var geo: GeoDatabase?
        /// Coverage, scope and evidence limits.
        public var rules = Judge.Settings()
        /// Judge the addresses a crawler reached (`WARC-IP-Address`) as observations too.
        /// Off by default: a crawler's resolver is not the users' (CDNs, split DNS).
        public var crawlAddresses = false
        /// Crawl the hosts the inputs showed, then audit their homepages in the same run.
        public var crawl: ObservedHostsCrawl?
        /// Stop before the end-of-input pass and hand out the judge's state
        /// (`ScanResult.partial`) instead of findings: a part of a scan spread over machines,
        /// merged later with the others (`Judge.absorb`).
        public var partial = false

        public init(index: RegistryIndex, geo: GeoDatabase? = nil) {
            self.index = index
            self.geo = geo
        }
    }

    /// A crawl of the hosts a scan's inputs showed (names, not addresses), audited when the
    /// inputs are done.
    public struct ObservedHostsCrawl: Sendable {
        public var settings: Crawler.Settings
        /// Where the WARC goes; nil: a temporary file, removed after the audit.
        public var output: String?
        /// Hosts crawled at most (the first observed).
        public var maximumHosts = 100_000
        /// Threads examining the crawl's pages.
        public var threads = 1

        public init(settings: Crawler.Settings) {
            self.settings = settings
        }
    }

    /// What a run tells while it goes. Every closure is called on the thread running the scan.
    public struct Observer {
        /// A finding made or updated (only when set: tracking changes costs a little per
        /// observation).
        public var finding: ((FindingEvent) -> Void)?
        /// Where the run is: after each chunk of a file, each tick of a live source.
        public var progress: ((ScanProgress) -> Void)?
        /// An input started or finished (with its report).
        public var input: ((InputEvent) -> Void)?
        /// The crawl of observed hosts, after each host.
        public var crawl: (@Sendable (Crawler.Report) -> Void)?
        /// A followed log's position, after the findings its observations made were reported.
        public var checkpoint: ((LogFollower.Position) -> Void)?
        /// While sources run concurrently (`watch`): called at least every
        /// `LiveCapture.tickInterval`, traffic or not — time to flush and to report.
        public var tick: (() -> Void)?
        /// A new index took over (`refresh`), or was refused.
        public var refresh: ((IndexRefresh) -> Void)?

        public init(
            finding: ((FindingEvent) -> Void)? = nil, progress: ((ScanProgress) -> Void)? = nil, input: ((InputEvent) -> Void)? = nil,
            crawl: (@Sendable (Crawler.Report) -> Void)? = nil, checkpoint: ((LogFollower.Position) -> Void)? = nil,
            tick: (() -> Void)? = nil, refresh: ((IndexRefresh) -> Void)? = nil
        ) {
            self.finding = finding
            self.progress = progress
            self.input = input
            self.crawl = crawl
            self.checkpoint = checkpoint
            self.tick = tick
            self.refresh = refresh
        }
    }

    public enum FindingEvent: Sendable {
        case made(Finding)
        case updated(Finding)

        public var finding: Finding {
            switch self {
            case .made(let finding), .updated(let finding): finding
            }
        }
    }

    public enum InputEvent: Sendable {
        case started(name: String, kind: InputReport.Source)
        case finished(InputReport)
    }

    public let configuration: Configuration
    /// An index waiting to take over (`refresh`).
    let pendingIndex = Mutex<RegistryIndex?>(nil)

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Reads `sources` in order and judges them; returns every finding and every input's
    /// report. `control` stops it early; `observer` hears what happens while it runs.
    public func run(_ sources: [any ScanSource], control: ScanControl = ScanControl(), observer: Observer = Observer()) -> ScanResult {
        let state = RunState(configuration: configuration, observer: observer, sources: sources)
        for (position, source) in sources.enumerated() where !control.isCancelled {
            state.read(source, position: position, control: control)
        }
        if let crawl = configuration.crawl, !control.isCancelled {
            state.crawlObservedHosts(crawl, control: control)
        }
        return state.finish(interrupted: control.isCancelled)
    }
}

/// Where a run is.
public struct ScanProgress: Sendable {
    /// The source being read, its place among the run's sources, and how many there are.
    public var source: String
    public var position: Int
    public var sources: Int
    /// Bytes read of every file so far, and their total size (files of known size).
    public var bytes: Int64
    public var totalBytes: Int64
    public var observations: Int
    public var findings: Int
    /// A live source's counters (libpcap's).
    public var counters: InputReport.Tally
    /// What happened to the source since its last progress (a followed path gone…).
    public var notes: [InputReport.Issue]
    /// Seconds since the run started.
    public var seconds: Double
}

/// What a run found and read.
public struct ScanResult: Sendable {
    /// Every finding, sorted by kind, independent domain and address.
    public var findings: [Finding]
    /// Each input's report, in the order read (the crawl of observed hosts last).
    public var inputs: [InputReport]
    public var observations = 0
    /// Observations through a proxy (the address is the proxy's): counted, not judged.
    public var proxied = 0
    public var homepages = HomepageAudit()
    /// The crawl of observed hosts, when there was one.
    public var crawl: Crawler.Report?
    /// Why that crawl failed, if it did.
    public var crawlFailure: String?
    /// The run was cancelled before its inputs ended.
    public var interrupted = false
    public var seconds = 0.0
    /// The earliest and latest time of the observations judged (seconds since 1970); nil when
    /// there were none. What the run could have seen: a history (`--history`) says a finding
    /// resolved only when a later run's window and coverage would have seen it.
    public var window: ClosedRange<Int64>?
    /// Sites checked: distinct independent domains served from domestic addresses, by the
    /// province of the address (`unknown` when none is on file). A site judged against two
    /// indexes (a refresh) counts under each.
    public var sitesChecked: [String: Int] = [:]
    /// With `Configuration.partial`: the judge's state before its end-of-input pass (and no
    /// findings).
    public var partial: Judge.Partial?

    /// Widens `window` to `nanoseconds` (an observation's time; 0, unknown, is left out).
    mutating func saw(nanoseconds: Int64) {
        guard nanoseconds > 0 else { return }
        let seconds = nanoseconds / 1_000_000_000
        guard let current = window else {
            window = seconds...seconds
            return
        }
        if seconds < current.lowerBound || seconds > current.upperBound {
            window = min(seconds, current.lowerBound)...max(seconds, current.upperBound)
        }
    }

    /// Some input could not be read, or stopped early on an error.
    public var failed: Bool { inputs.contains { $0.failed } || crawlFailure != nil }
}

/// What the homepage audit of a run saw: pages, homepages judged, `bazs.cert` files read and
/// those that disagree with the filing.
public struct HomepageAudit: Sendable {
    public var pages = 0
    public var homepages = 0
    /// Homepages of hosts with a filing in force: judged.
    public var judged = 0
    public var certificates = 0
    public var certificateDisagreements = 0
    /// The first disagreements and unreadable certificates (URL: what differs).
    public var certificateProblems: [String] = []
    /// Certificate problems kept at most.
    public static let maximumListed = 20

    public init() {}

    /// Counts a page and its judgement.
    public mutating func count(_ page: CrawledPage, judgement: HomepageJudgement?) {
        pages += 1
        guard page.isHomepage, page.reading != nil else { return }
        homepages += 1
        if judgement != nil { judged += 1 }
    }

    /// Counts a certificate; returns what it says against the filing (nil when it agrees or
    /// cannot be compared).
    @discardableResult
    public mutating func count(_ item: CrawledCertificate, judge: HomepageJudge?) -> String? {
        certificates += 1
        guard let certificate = item.certificate else {
            keep("\(item.url): bazs.cert unreadable: \(item.problem ?? "?")")
            return nil
        }
        guard let text = judge?.disagreement(host: item.host, certificate: certificate, at: item.date) else { return nil }
        certificateDisagreements += 1
        keep("\(item.url): \(text)")
        return text
    }

    private mutating func keep(_ line: String) {
        if certificateProblems.count < Self.maximumListed { certificateProblems.append(line) }
    }
}

/// The mutable side of one run: the judge, counts, the hosts to crawl. Lives on the thread
/// running the scan; sources hand it what they read there.
final class RunState: SourceSink {
    let configuration: Scan.Configuration
    let observer: Scan.Observer
    // Touched only by the thread running the scan (sources call the sink there): the dynamic
    // exclusivity check Swift makes on every access to a class's property is not needed, and
    // the judge is reached once per observation.
    @exclusivity(unchecked) var judge: Judge
    var homepageJudge: HomepageJudge?
    /// Findings made under indexes that were replaced (`Scan.refresh`): kept as they were.
    var retired: [Finding] = []
    @exclusivity(unchecked) var result = ScanResult(findings: [], inputs: [])
    /// With a crawl of observed hosts: the names seen, to fetch afterwards.
    var observedHosts: Set<String> = []
    let collectsHosts: Bool
    let started = ContinuousClock.now
    // Progress: the sizes of the inputs, bytes of the inputs done.
    let sizes: [Int64]
    let totalBytes: Int64
    var doneBytes: Int64 = 0
    var current = (name: "", position: 0)

    init(configuration: Scan.Configuration, observer: Scan.Observer, sources: [any ScanSource]) {
        self.configuration = configuration
        self.observer = observer
        judge = Judge(index: configuration.index, geo: configuration.geo, settings: configuration.rules)
        judge.tracksChanges = observer.finding != nil
        homepageJudge = HomepageJudge(index: configuration.index)
        collectsHosts = configuration.crawl != nil
        sizes = sources.map { $0.size ?? 0 }
        totalBytes = sizes.reduce(0, +)
    }

    func read(_ source: any ScanSource, position: Int, control: ScanControl) {
        current = (source.name, position)
        observer.input?(.started(name: source.name, kind: source.kind))
        let report = source.read(into: self, control: control)
        publishChanges()
        doneBytes += position < sizes.count ? sizes[position] : 0
        result.inputs.append(report)
        observer.input?(.finished(report))
    }

    // MARK: SourceSink

    func take(_ observations: [Observation]) {
        result.observations += observations.count
        for observation in observations {
            result.saw(nanoseconds: observation.nanoseconds)
            judge.judge(observation)
        }
        if collectsHosts { collect(observations) }
        publishChanges(updates: false)
    }

    func take(_ page: CrawledPage, judgement: HomepageJudgement?) {
        result.homepages.count(page, judgement: judgement)
        if configuration.crawlAddresses, let observation = page.observation {
            result.observations += 1
            result.saw(nanoseconds: observation.nanoseconds)
            judge.judge(observation)
        }
        // The access provider's view keeps the pages of the sites it connects.
        if let finding = judgement?.finding(of: page), configuration.rules.scope.admits(provider: finding.provider) {
            judge.add(finding, nanoseconds: page.date?.nanosecondsSince1970 ?? 0)
        }
        publishChanges(updates: false)
    }

    func take(_ certificate: CrawledCertificate) {
        result.homepages.count(certificate, judge: homepageJudge)
    }

    func checkpoint(_ position: LogFollower.Position) {
        publishChanges(updates: false)
        observer.checkpoint?(position)
    }

    func progress(_ progress: SourceProgress) {
        guard let report = observer.progress else { return }
        report(
            ScanProgress(
                source: current.name, position: current.position, sources: sizes.count, bytes: doneBytes + progress.bytes,
                totalBytes: totalBytes, observations: result.observations, findings: judge.findingCount, counters: progress.counters,
                notes: progress.notes, seconds: (ContinuousClock.now - started).seconds))
        publishChanges(updates: false)
    }

    // MARK: The run's steps

    /// Hands the findings made (and, with `updates`, updated) since the last call to the
    /// observer. Updates wait for the end of an input, a checkpoint, a tick.
    func publishChanges(updates: Bool = true) {
        guard let report = observer.finding else { return }
        let (made, updated) = judge.takeChanges(updates: updates)
        for finding in made { report(.made(finding)) }
        for finding in updated { report(.updated(finding)) }
    }

    private func collect(_ batch: [Observation]) {
        let limit = configuration.crawl?.maximumHosts ?? 0
        for observation in batch where observedHosts.count < limit && IPAddress(observation.host) == nil {
            observedHosts.insert(observation.host)
        }
    }

    /// Fetches the observed hosts' homepages (and `bazs.cert`) and audits them as a crawl
    /// input of the run.
    func crawlObservedHosts(_ crawl: Scan.ObservedHostsCrawl, control: ScanControl) {
        guard !observedHosts.isEmpty else { return }
        let output = crawl.output ?? NSTemporaryDirectory() + "beian-crawl-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).warc.gz"
        defer { if crawl.output == nil { try? FileManager.default.removeItem(atPath: output) } }
        do {
            result.crawl = try Crawler(settings: crawl.settings).crawlWaiting(
                hosts: observedHosts.sorted(), output: output, stop: { control.isCancelled },
                progress: observer.crawl ?? { _ in })
        } catch {
            result.crawlFailure = "\(error)"
            return
        }
        read(CrawlSource(path: output, threads: crawl.threads), position: sizes.count, control: control)
    }

    /// Judges from now on against `index`: the findings made so far are kept as they were,
    /// and the end-of-input pass runs on what the new judge sees.
    func switchIndex(to index: RegistryIndex) {
        publishChanges()
        retired += judge.finish()
        result.sitesChecked.merge(judge.sitesChecked, uniquingKeysWith: +)
        var next = Judge(index: index, geo: configuration.geo, settings: configuration.rules)
        next.tracksChanges = observer.finding != nil
        judge = next
        homepageJudge = HomepageJudge(index: index)
    }

    func finish(interrupted: Bool) -> ScanResult {
        if configuration.partial {
            result.partial = judge.partial()
            result.sitesChecked.merge(judge.sitesChecked, uniquingKeysWith: +)
            result.proxied = judge.proxied
            result.interrupted = interrupted
            result.seconds = (ContinuousClock.now - started).seconds
            return result
        }
        result.findings = retired + judge.finish()
        result.sitesChecked.merge(judge.sitesChecked, uniquingKeysWith: +)
        publishChanges()
        result.proxied = judge.proxied
        result.interrupted = interrupted
        result.seconds = (ContinuousClock.now - started).seconds
        return result
    }
}

extension CrawledPage {
    /// The observation a crawled page makes: the crawler reached the host on that address.
    public var observation: Observation? {
        guard let address, let name = try? DomainName(host) else { return nil }
        let https = url.lowercased().hasPrefix("https:")
        return Observation(
            nanoseconds: date?.nanosecondsSince1970 ?? 0, host: name.ascii, address: address, port: https ? 443 : 80,
            transport: .tcp, appProtocol: https ? .tls : .http, client: nil, proxy: false,
            source: .init(file: file, position: .offset(position)))
    }
}
