public import BeianCore

#if canImport(Glibc)
    import Glibc
#endif

/// The log formats read.
public enum LogFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Zeek's tab-separated logs (`http.log`, `ssl.log`, `dns.log`, `quic.log`).
    case zeekTSV = "zeek"
    /// Zeek's JSON logs (one object per line).
    case zeekJSON = "zeek-json"
    /// nginx/Apache `vhost_combined`: `host:port client ident user [time] "request" …`.
    case vhostCombined = "vhost-combined"
    /// nginx/Apache `combined` (the host comes from `LogOptions.vhost`).
    case combined
    /// Squid's native access log.
    case squid
    /// dnsmasq's query log (`log-queries`), in syslog form.
    case dnsmasq
    /// Any CSV (with a header) or JSON Lines file, by a field mapping.
    case mapped

    public var description: String { rawValue }
}

/// How to read logs whose lines do not say everything.
public struct LogOptions: Sendable {
    /// The format; detected from the first lines when nil.
    public var format: LogFormat?
    /// The virtual host of a `combined` log.
    public var vhost: String?
    /// The address of the web server that wrote a web log. When nil, a directory named like
    /// an address in the log's path gives it (`logs/web/101.69.16.14/access.log`).
    public var server: IPAddress?
    /// The year of dnsmasq's syslog times (which have none); the file's modification year
    /// when nil.
    public var year: Int?
    /// Which columns (CSV) or keys (JSON Lines) hold what, for `mapped` logs.
    public var mapping: FieldMapping?

    public init() {}
}

/// What the line parsers count while a log is read; becomes the log's `InputReport`.
struct LineTally {
    var report: InputReport
    /// Data lines (not comments or headers).
    var records = 0
    /// Valid records that name no host or server (a DNS query without answers, a request
    /// without a Host): nothing to observe.
    var withoutObservation = 0

    init(file: String) {
        report = InputReport(input: file, source: .log, unit: "lines")
    }

    /// Counts line `line` as rejected for `reason`, keeping `detail` (the value at fault).
    mutating func reject(_ line: Int, _ reason: String, _ detail: String? = nil) {
        report.reject(reason, at: .line(UInt64(line)), detail)
    }

    /// The report, with the tallies as counters.
    var finished: InputReport {
        var report = report
        report.counters.add("records", records)
        report.counters.add("without a host or server", withoutObservation)
        return report
    }
}

/// A log's bytes turned into observations line by line, chunk after chunk, whatever the
/// chunks' boundaries: a partial last line is held until its end arrives, the format is told
/// from the first lines, lines too long are rejected. One per file, for `LogReader` (a file
/// read once) and `LogFollower` (files followed as they grow).
struct LineFeed {
    let path: String
    let options: LogOptions
    var tally: LineTally
    private var parser: (any LineParser)?
    /// The first lines, kept until the format is known.
    private var sniffed: [[UInt8]] = []
    /// The start of a line whose end has not arrived.
    private(set) var pending: [UInt8] = []
    /// Lines read (complete ones).
    var lineNumber = 0
    /// Lines read before the format was known.
    static let sniffLines = 8

    init(path: String, options: LogOptions) {
        self.path = path
        self.options = options
        tally = LineTally(file: path)
    }

    var failed: Bool { tally.report.failure != nil }
    /// Whether the format is known.
    var started: Bool { parser != nil }

    /// Reads the complete lines of `chunk` (after what is pending); hands `observations` to
    /// `handOn` whenever they reach `every` (it takes them and leaves the array empty).
    mutating func feed(
        _ chunk: UnsafeRawBufferPointer, into observations: inout [Observation], every: Int = .max,
        _ handOn: (inout [Observation]) -> Void = { _ in }
    ) {
        var start = 0
        // Line ends found by memchr: a byte loop here was 5 % of reading a Zeek log.
        while start < chunk.count, let base = chunk.baseAddress, let found = memchr(base + start, 0x0A, chunk.count - start) {
            let index = UnsafeRawPointer(found) - base
            lineNumber += 1
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<index])
            if parser == nil {
                sniffed.append(pending + Array(piece))
                pending.removeAll()
                if sniffed.count >= Self.sniffLines && !begin(into: &observations) { return }
            } else if pending.isEmpty {
                parse(piece, lineNumber, into: &observations)
            } else {
                pending.append(contentsOf: piece)
                let line = pending
                line.withUnsafeBytes { parse($0, lineNumber, into: &observations) }
                pending.removeAll(keepingCapacity: true)
            }
            start = index + 1
            if observations.count >= every { handOn(&observations) }
        }
        if pending.count < LogReader.maximumLineLength + 2 { pending.append(contentsOf: chunk[start...]) }
    }

    /// The end of the input: a last line without its newline is read, and the format decided
    /// from what was seen when the input had fewer lines than it takes.
    mutating func finish(into observations: inout [Observation]) {
        if !pending.isEmpty {
            lineNumber += 1
            if parser == nil {
                sniffed.append(pending)
            } else {
                let line = pending
                line.withUnsafeBytes { parse($0, lineNumber, into: &observations) }
            }
            pending.removeAll()
        }
        if parser == nil && !failed && !sniffed.isEmpty { _ = begin(into: &observations) }
    }

    /// Drops a partial line (a file truncated or replaced under it).
    mutating func dropPending() { pending.removeAll() }

    /// Counts from zero again, reading on from line `line` (after the start of a file was read
    /// only to learn its format and header).
    mutating func startFresh(atLine line: Int) {
        var discarded: [Observation] = []
        if parser == nil && !failed && !sniffed.isEmpty { _ = begin(into: &discarded) }
        let format = tally.report.format
        let failure = tally.report.failure
        tally = LineTally(file: path)
        tally.report.format = format
        tally.report.failure = failure
        lineNumber = line
    }

    private mutating func parse(_ line: UnsafeRawBufferPointer, _ number: Int, into observations: inout [Observation]) {
        if line.count > LogReader.maximumLineLength {
            tally.reject(number, "line too long", "longer than \(LogReader.maximumLineLength) bytes")
            return
        }
        var content = line
        if let last = content.last, last == 0x0D { content = UnsafeRawBufferPointer(rebasing: content[0..<(content.count - 1)]) }
        let before = observations.count
        parser?.line(content, number: number, into: &observations, report: &tally)
        if observations.count > before { tally.report.used += 1 }
    }

    private mutating func begin(into observations: inout [Observation]) -> Bool {
        let format = options.format ?? LogReader.detect(sniffed, path: path)
        guard let format else {
            tally.report.failure = InputError(
                .unsupported, file: path, "not a log format beian reads (Zeek, web, Squid, dnsmasq; or give --map)")
            return false
        }
        tally.report.format = format.rawValue
        do { parser = try LogReader.makeParser(format, path: path, options: options) } catch {
            tally.report.failure = error
            return false
        }
        let lines = sniffed
        sniffed.removeAll()
        let first = lineNumber - lines.count + 1
        for (index, line) in lines.enumerated() { line.withUnsafeBytes { parse($0, first + index, into: &observations) } }
        return true
    }
}

/// Reads logs into observations.
public enum LogReader {
    /// The longest line read; longer ones are rejected.
    public static let maximumLineLength = 1 << 20

    /// Reads `path` to the end, giving observations to `output` in batches, in line order.
    /// `stop` is asked between chunks of the file: when it says yes, reading ends there.
    /// The report counts lines read, lines that gave observations, and lines rejected by
    /// reason (the first with their line numbers); `failure` says why the log could not be
    /// read, or stopped early.
    public static func read(
        path: String, options: LogOptions, stop: () -> Bool = { false }, output: ([Observation]) -> Void
    ) -> InputReport {
        let started = ContinuousClock.now
        var feed = LineFeed(path: path, options: options)
        let stream: any ByteStream
        do { stream = try InputFile.open(path) } catch {
            feed.tally.report.failure = error
            return feed.tally.finished
        }
        var observations: [Observation] = []
        // Counted apart from `feed` and given the batch as an argument: `handOn` runs inside
        // `feed.feed`, which holds both `feed` and `observations`.
        var handedOn = 0
        func handOn(_ batch: inout [Observation]) {
            handedOn += batch.count
            output(batch)
            batch.removeAll(keepingCapacity: true)
        }
        do {
            try stream.forEachChunk { chunk in
                guard !feed.failed, !stop() else { return }
                feed.feed(chunk, into: &observations, every: batchSize, handOn)
            }
        } catch {
            feed.tally.report.failure = (error as? InputError) ?? InputError(.readFailed, file: path, "\(error)")
        }
        feed.finish(into: &observations)
        if !observations.isEmpty { handOn(&observations) }
        feed.tally.report.observations = handedOn
        feed.tally.report.read = feed.lineNumber
        feed.tally.report.bytes = stream.fileOffset
        feed.tally.report.seconds = (ContinuousClock.now - started).seconds
        return feed.tally.finished
    }

    /// Observations handed on at a time.
    static let batchSize = 4096

    static func makeParser(_ format: LogFormat, path: String, options: LogOptions) throws(InputError) -> any LineParser {
        switch format {
        case .zeekTSV: return ZeekTSVParser(path: path)
        case .zeekJSON: return ZeekJSONParser(path: path)
        case .vhostCombined, .combined:
            let server = options.server ?? WebLogParser.serverFromPath(path)
            if format == .combined && options.vhost == nil {
                throw InputError(.unsupported, file: path, "a combined log names no host: give it with --vhost")
            }
            return WebLogParser(path: path, vhost: format == .combined ? options.vhost : nil, server: server)
        case .squid: return SquidParser(path: path)
        case .dnsmasq: return DnsmasqParser(path: path, year: options.year ?? modificationYear(path))
        case .mapped:
            guard let mapping = options.mapping else {
                throw InputError(.unsupported, file: path, "a mapped log needs --map (for example host=domain,ip=server,time=ts)")
            }
            return MappedParser(path: path, mapping: mapping)
        }
    }

    /// The format of a log from its first lines (and its name, for Zeek JSON).
    public static func detect(_ lines: [[UInt8]], path: String) -> LogFormat? {
        let texts = lines.map { String(decoding: $0.prefix(2048), as: UTF8.self) }.filter { !$0.isEmpty }
        guard let first = texts.first else { return nil }
        if first.hasPrefix("#separator") || first.hasPrefix("### BTest") && texts.contains(where: { $0.hasPrefix("#fields") }) {
            return .zeekTSV
        }
        if first.hasPrefix("{") && (first.contains("\"id.orig_h\"") || first.contains("\"uid\"")) { return .zeekJSON }
        let data = texts.filter { !$0.hasPrefix("#") }
        guard let line = data.first else { return nil }
        if line.contains(" dnsmasq[") || line.contains(" dnsmasq:") { return .dnsmasq }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count >= 10, fields[0].contains("."), Double(fields[0]) != nil, Int(fields[1]) != nil, fields[3].contains("/") {
            return .squid
        }
        if fields.count >= 6, fields[4].hasPrefix("["), IPAddress.parseLiteral(fields[1]) != nil { return .vhostCombined }
        if fields.count >= 4, fields[3].hasPrefix("["), IPAddress.parseLiteral(fields[0]) != nil { return .combined }
        return nil
    }

    static func modificationYear(_ path: String) -> Int {
        var info = stat()
        let seconds = stat(path, &info) == 0 ? Int64(info.st_mtim.tv_sec) : Int64(time(nil))
        return Timestamp.civilFromDays(Int((seconds + Timestamp.chinaOffsetSeconds) / 86400)).0
    }
}

/// A parser of one log format: turns a line into observations.
protocol LineParser {
    mutating func line(_ line: UnsafeRawBufferPointer, number: Int, into observations: inout [Observation], report: inout LineTally)
}

extension IPAddress {
    /// An address literal, or nil.
    static func parseLiteral(_ text: some StringProtocol) -> IPAddress? {
        try? IPAddress.parse(String(text))
    }
}
