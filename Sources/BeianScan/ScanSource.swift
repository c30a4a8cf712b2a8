public import BeianCapture
public import BeianCore
public import BeianHomepages
public import BeianLogs
public import BeianPackets
import Foundation

/// Something a scan reads: a capture file, a live interface, a log, a crawl. A source reads
/// itself to the end (or until the control says stop) and hands what it reads, in input
/// order, to a sink on the thread that called `read`; it may use worker threads inside.
/// Every source reports in the same shape (`InputReport`).
public protocol ScanSource: AnyObject {
    /// The input's name in reports and evidence: a path, an interface.
    var name: String { get }
    var kind: InputReport.Source { get }
    /// Bytes to read, when known (for progress).
    var size: Int64? { get }
    /// Reads the source into `sink` until its end or until `control` is cancelled.
    func read(into sink: any SourceSink, control: ScanControl) -> InputReport
}

/// What a source hands its reading to: the scan run (which judges it), or anything else that
/// wants observations — `beian extract` writes them out.
public protocol SourceSink: AnyObject {
    /// Observations, in input order.
    func take(_ observations: [Observation])
    /// A page of a crawl, with the judgement of its footer when `homepageJudge` made one.
    func take(_ page: CrawledPage, judgement: HomepageJudgement?)
    /// A `bazs.cert` a crawl fetched.
    func take(_ certificate: CrawledCertificate)
    /// The footer judge, run on the crawl reader's worker threads; nil: pages are read only.
    var homepageJudge: HomepageJudge? { get }
    /// How far a source is: after each chunk of a file, and at least every
    /// `LiveCapture.tickInterval` while a live source waits for packets.
    func progress(_ progress: SourceProgress)
    /// Where a followed log stands after the observations handed over before it: what a
    /// watcher keeps to resume after a restart.
    func checkpoint(_ position: LogFollower.Position)
}

extension SourceSink {
    public func take(_ page: CrawledPage, judgement: HomepageJudgement?) {}
    public func take(_ certificate: CrawledCertificate) {}
    public var homepageJudge: HomepageJudge? { nil }
    public func progress(_ progress: SourceProgress) {}
    public func checkpoint(_ position: LogFollower.Position) {}
}

/// Where a source is.
public struct SourceProgress: Sendable {
    public var source: String
    /// Bytes read from the file so far (0 for live sources).
    public var bytes: Int64
    /// Counters a live source keeps (libpcap's received and dropped packets).
    public var counters: InputReport.Tally
    /// What happened to the source since the last progress, for an operator (a followed path
    /// gone, a file truncated).
    public var notes: [InputReport.Issue]

    public init(source: String, bytes: Int64, counters: InputReport.Tally = InputReport.Tally(), notes: [InputReport.Issue] = []) {
        self.source = source
        self.bytes = bytes
        self.counters = counters
        self.notes = notes
    }
}

/// The sources for input paths, each read as what its first bytes say it is (`InputKind`).
public struct SourceFactory: Sendable {
    /// Threads decoding each capture and examining each crawl's pages.
    public var threads: Int
    public var decoding = PacketDecoder.Configuration()
    /// How logs are read; a format or a field mapping given here makes every input a log.
    public var logs = LogOptions()

    public init(threads: Int) {
        self.threads = max(1, threads)
    }

    /// The source of `path`.
    public func source(for path: String) -> any ScanSource {
        if logs.format != nil || logs.mapping != nil { return LogFileSource(path: path, options: logs) }
        switch InputKind.detect(path: path) {
        case .capture: return CaptureFileSource(path: path, threads: threads, configuration: decoding)
        case .crawl: return CrawlSource(path: path, threads: threads)
        case .log: return LogFileSource(path: path, options: logs)
        }
    }

    /// The sources of `paths`, in order.
    public func sources(for paths: [String]) -> [any ScanSource] { paths.map(source(for:)) }
}

/// A pcap or pcapng file (gzip or not), decoded on `threads` workers
/// (`CapturePipeline`): TLS and QUIC server names, HTTP hosts, DNS answers.
public final class CaptureFileSource: ScanSource {
    public let name: String
    public var kind: InputReport.Source { .capture }
    public var size: Int64? { InputFile.size(of: name) }
    private let pipeline: CapturePipeline

    public init(path: String, threads: Int, configuration: PacketDecoder.Configuration = .init()) {
        name = path
        pipeline = CapturePipeline(threads: threads, configuration: configuration)
    }

    public func read(into sink: any SourceSink, control: ScanControl) -> InputReport {
        pipeline.run(
            path: name, stop: { control.isCancelled }, progress: { sink.progress(SourceProgress(source: self.name, bytes: $0)) },
            output: { sink.take($0) })
    }
}

/// A log file read once (Zeek, web, proxy, resolver logs, mapped CSV or JSON Lines).
public final class LogFileSource: ScanSource {
    public let name: String
    public var kind: InputReport.Source { .log }
    public var size: Int64? { InputFile.size(of: name) }
    private let options: LogOptions

    public init(path: String, options: LogOptions = LogOptions()) {
        name = path
        self.options = options
    }

    public func read(into sink: any SourceSink, control: ScanControl) -> InputReport {
        LogReader.read(path: name, options: options, stop: { control.isCancelled }, output: { sink.take($0) })
    }
}

/// A crawl: WARC or ARC files, folders of saved pages, a saved page. Pages are examined on
/// `threads` workers, and judged there when the sink has a homepage judge.
public final class CrawlSource: ScanSource {
    public let name: String
    public var kind: InputReport.Source { .crawl }
    public var size: Int64? { InputFile.size(of: name) }
    private let threads: Int

    public init(path: String, threads: Int) {
        name = path
        self.threads = threads
    }

    public func read(into sink: any SourceSink, control: ScanControl) -> InputReport {
        let judge = sink.homepageJudge
        return CrawlInput.read(
            name, threads: threads, stop: { control.isCancelled }, examine: { page in judge?.judge(page) },
            each: { item, judgement in
                switch item {
                case .page(let page): sink.take(page, judgement: judgement)
                case .certificate(let certificate): sink.take(certificate)
                }
            })
    }
}

/// A network interface through libpcap, decoded as it comes. Stops when cancelled, at its
/// packet limit or after its duration — on time whether or not packets arrive. Observations
/// are handed on in batches at least every `LiveCapture.tickInterval`; libpcap's counters
/// (received, dropped by the kernel, dropped by the interface) go with the progress and the
/// report.
public final class InterfaceSource: ScanSource {
    public let name: String
    public var kind: InputReport.Source { .interface }
    public var size: Int64? { nil }
    private let settings: LiveCapture.Settings
    private let configuration: PacketDecoder.Configuration
    /// Observations held before they are handed on, at most.
    static let batchLimit = 4096
    /// How long observations are held at most before they are handed on (a batch per packet
    /// would cost more than judging).
    static let handOnInterval: Duration = .milliseconds(20)

    public init(interface: String, settings: LiveCapture.Settings, configuration: PacketDecoder.Configuration = .init()) {
        name = interface
        self.settings = settings
        self.configuration = configuration
    }

    public func read(into sink: any SourceSink, control: ScanControl) -> InputReport {
        let started = ContinuousClock.now
        var report = InputReport(input: name, source: .interface, unit: "packets")
        report.format = "live"
        let capture: LiveCapture
        do { capture = try LiveCapture(interface: name, settings: settings) } catch {
            report.failure = error
            return report
        }
        let token = control.whenCancelled { capture.stop() }
        defer { control.remove(token) }
        var decoder = PacketDecoder(configuration: configuration)
        decoder.begin(file: name)
        var counter = PacketsWithObservations()
        var lastHandOn = ContinuousClock.now
        var lastProgress = ContinuousClock.now
        func handOn() {
            lastHandOn = .now
            guard !decoder.observations.isEmpty else { return }
            counter.count(decoder.observations)
            sink.take(decoder.observations)
            decoder.observations.removeAll(keepingCapacity: true)
        }
        do {
            try capture.run(
                { bytes, link, nanoseconds, number in
                    decoder.decode(bytes, link: link, nanoseconds: nanoseconds, number: number)
                    if decoder.observations.count >= Self.batchLimit { handOn() }
                },
                tick: {
                    // Observations wait at most `handOnInterval`; progress (and libpcap's
                    // counters, a system call) at most every tick.
                    let now = ContinuousClock.now
                    if now - lastHandOn >= Self.handOnInterval { handOn() }
                    if now - lastProgress >= LiveCapture.tickInterval {
                        lastProgress = now
                        sink.progress(SourceProgress(source: name, bytes: 0, counters: capture.counters.tally))
                    }
                })
        } catch {
            report.failure = error
        }
        handOn()
        decoder.finish()
        decoder.takeStatistics().record(in: &report)
        report.used = counter.packets
        for (name, count) in capture.counters.tally { report.counters.set(name, count) }
        report.seconds = (ContinuousClock.now - started).seconds
        return report
    }
}

extension LiveCapture.Counters {
    /// libpcap's counters by name.
    public var tally: InputReport.Tally {
        var tally = InputReport.Tally()
        tally.set("libpcap received", Int(clamping: received))
        tally.set("dropped by the kernel", Int(clamping: dropped))
        tally.set("dropped by the interface", Int(clamping: interfaceDropped))
        return tally
    }
}

/// Logs followed as they grow (`LogFollower`): appended lines, rotations, new files in a
/// followed directory, until cancelled. Each batch of observations is followed by the
/// file's position (`SourceSink.checkpoint`). Polls every `pollInterval` when nothing came.
public final class FollowedLogsSource: ScanSource {
    public let name: String
    public var kind: InputReport.Source { .log }
    public var size: Int64? { nil }
    private let follower: LogFollower
    private let pollInterval: Duration

    public init(
        paths: [String], options: LogOptions = LogOptions(), start: LogFollower.Start = .end, positions: [LogFollower.Position] = [],
        pollInterval: Duration = .milliseconds(100)
    ) {
        name = paths.joined(separator: ", ")
        follower = LogFollower(paths: paths, options: options, start: start, positions: positions)
        self.pollInterval = pollInterval
    }

    public func read(into sink: any SourceSink, control: ScanControl) -> InputReport {
        let started = ContinuousClock.now
        var report = InputReport(input: name, source: .log, unit: "lines")
        report.format = "followed"
        var lastProgress = ContinuousClock.now
        var told = 0
        while !control.isCancelled {
            let progressed = follower.poll { observations, position in
                if !observations.isEmpty { sink.take(observations) }
                sink.checkpoint(position)
            }
            let now = ContinuousClock.now
            if !progressed || now - lastProgress >= LiveCapture.tickInterval || follower.notes.count > told {
                lastProgress = now
                sink.progress(SourceProgress(source: name, bytes: 0, notes: Array(follower.notes[told...])))
                told = follower.notes.count
            }
            if !progressed { Thread.sleep(forTimeInterval: pollInterval.seconds) }
        }
        // What the files hold now is read before stopping, then their counts summed.
        follower.poll { observations, position in
            if !observations.isEmpty { sink.take(observations) }
            sink.checkpoint(position)
        }
        for file in follower.finished + follower.reports {
            report.read += file.read
            report.used += file.used
            report.observations += file.observations
            for (reason, count) in file.rejected { report.rejected.add(reason, count) }
            for (name, count) in file.counters { report.counters.add(name, count) }
            for issue in file.issues { report.note(issue) }
        }
        for note in follower.notes { report.note(note) }
        report.counters.set("files", follower.finished.count + follower.reports.count)
        report.seconds = (ContinuousClock.now - started).seconds
        return report
    }
}
