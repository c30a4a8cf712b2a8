import ArgumentParser
import BeianCore
import BeianReport
import BeianScan
import Crypto
import Foundation

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Turn captures and logs into observations (host, server address and port, protocol, time).",
        discussion: """
            Reads pcap and pcapng captures and logs (Zeek http/ssl/quic/dns in TSV or JSON, \
            nginx/Apache vhost_combined and combined, Squid native, dnsmasq query logs, or any \
            CSV/JSON Lines with --map), gzip-compressed or not, and writes one observation per \
            TLS or QUIC ClientHello server name, HTTP request host and DNS answer, in input \
            order, with the file and packet or line number it came from. Statistics per input \
            (packets or lines read and used, observations by protocol, what was not used and \
            why, the first problems with their place) go to standard error. An input that \
            cannot be read is reported and the others are still read; the exit status is then 1. \
            The formats are described in docs/formats.md.
            """
    )

    @Argument(help: "Capture files (pcap, pcapng) and logs, optionally gzip-compressed.", completion: .file())
    var inputs: [String] = []

    @OptionGroup var live: LiveOptions
    @OptionGroup var logs: LogReadingOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var times: TimeStyleOptions

    @Option(help: "Output format: jsonl or tsv.")
    var format: ObservationWriter.Format = .jsonl

    @Option(name: [.short, .long], help: "Write observations to this file instead of standard output.", completion: .file())
    var output: String?

    @Flag(help: "Replace client addresses with a keyed hash (a random key per run unless --anonymize-key is given).")
    var anonymizeClients = false

    @Option(help: "A file holding the key for --anonymize-clients, so that hashes agree across runs.", completion: .file())
    var anonymizeKey: String?

    func validate() throws {
        guard !inputs.isEmpty || live.interface != nil else { throw ValidationError("give at least one capture or log, or --interface") }
    }

    func run() throws {
        var anonymize: (@Sendable (IPAddress) -> String)?
        if anonymizeClients {
            let anonymizer = try ClientAnonymizer(keyFile: anonymizeKey)
            anonymize = { anonymizer.hash($0) }
        }
        let sink = try ObservationSink(writer: ObservationWriter(format: format, times: times.time, anonymize: anonymize), path: output)
        var factory = SourceFactory(threads: threads.count)
        factory.decoding = decoding.configuration
        factory.logs = logs.options
        // Every input is a capture or a log here: crawls are read by `beian homepages`.
        var sources: [any ScanSource] = inputs.map { path in
            let source = factory.source(for: path)
            return source is CrawlSource ? LogFileSource(path: path, options: factory.logs) : source
        }
        if let interface = live.source(decoding: decoding.configuration) { sources.insert(interface, at: 0) }
        let control = ScanControl()
        let interruption = Interruption(cancelling: control)
        var failed = false
        for source in sources where !control.isCancelled {
            let report = source.read(into: sink, control: control)
            sink.flush()
            printError(InputSummary.details(report))
            if let failure = report.failure {
                printError("\(failure)")
                failed = true
            }
        }
        withExtendedLifetime(interruption) {}
        try sink.close()
        if failed { throw ExitCode(1) }
    }
}

/// Observations written as they come, in large writes; libpcap's counters every ten seconds
/// while a live capture runs.
final class ObservationSink: SourceSink {
    private var writer: ObservationWriter
    private let file: AtomicOutput
    private var lastCounters = ContinuousClock.now
    /// The first write that failed (a full disk): nothing more is written, `close` throws it.
    private var failure: OutputError?
    static let flushSize = 1 << 16

    init(writer: ObservationWriter, path: String?) throws {
        self.writer = writer
        do { file = try AtomicOutput(path: path) } catch { throw CommandFailure(error.description) }
    }

    func take(_ observations: [Observation]) {
        for observation in observations { writer.write(observation) }
        if writer.bytes.count >= Self.flushSize { flush() }
    }

    func progress(_ progress: SourceProgress) {
        guard !progress.counters.isEmpty else { return }
        // A live source: what it has is written at once, its counters now and then.
        flush()
        let now = ContinuousClock.now
        guard now - lastCounters >= .seconds(10) else { return }
        lastCounters = now
        printError("\(progress.source): " + progress.counters.map { "\($0.name) \($0.count)" }.joined(separator: ", "))
    }

    func flush() {
        guard !writer.bytes.isEmpty else { return }
        defer { writer.removeAll() }
        guard failure == nil else { return }
        do { try file.write(writer.bytes) } catch { failure = error }
    }

    func close() throws {
        flush()
        if let failure { throw CommandFailure(failure.description) }
        try OutputFile.committing(file)
    }
}

/// Client addresses replaced by HMAC-SHA-256 under a key (the first 16 hex digits).
struct ClientAnonymizer: Sendable {
    let key: SymmetricKey

    init(keyFile: String?) throws {
        if let keyFile {
            let data = try Data(contentsOf: URL(fileURLWithPath: keyFile))
            guard data.count >= 16 else { throw ValidationError("\(keyFile): a key needs at least 16 bytes") }
            key = SymmetricKey(data: data)
        } else {
            key = SymmetricKey(size: .bits256)
        }
    }

    func hash(_ address: IPAddress) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(address.description.utf8), using: key)
        return "anon-" + code.prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
