import ArgumentParser
import BeianCapture
import BeianCore
import BeianLogs
import BeianPackets
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
            (packets or lines, observations by protocol, what was not used and why, reassembly \
            failures, evicted streams) go to standard error. An input that cannot be read is \
            reported and the others are still read; the exit status is then 1.
            """
    )

    @Argument(help: "Capture files (pcap, pcapng) and logs, optionally gzip-compressed.")
    var inputs: [String] = []

    @Option(help: "Capture live from this network interface (until interrupted, --packets or --duration).")
    var interface: String?

    @Option(help: "A BPF filter for --interface (tcpdump syntax).")
    var filter: String?

    @Option(help: "Bytes kept of each live packet.")
    var snaplen: Int32 = 262_144

    @Option(help: "The kernel buffer of --interface, in MiB.")
    var bufferSize: Int32 = 64

    @Option(help: "Stop a live capture after this many packets.")
    var packets: UInt64?

    @Option(help: "Stop a live capture after this many seconds.")
    var duration: Double?

    @Option(help: "The format of the logs given (zeek, zeek-json, vhost-combined, combined, squid, dnsmasq, mapped); detected when absent.")
    var logFormat: String?

    @Option(help: "The virtual host of combined web logs.")
    var vhost: String?

    @Option(help: "The address of the web server whose logs are given (default: a directory named like an address in the path).")
    var server: String?

    @Option(help: "The year of dnsmasq's syslog times (default: the file's modification year).")
    var year: Int?

    @Option(help: "Fields of CSV or JSON Lines logs: host=FIELD,ip=FIELD,time=FIELD[,port=,client=,protocol=].")
    var map: String?

    @Option(help: "Worker threads decoding each capture (default: the number of processors).")
    var threads: Int?

    @Option(help: "Output format: jsonl or tsv.")
    var format: OutputFormat = .jsonl

    @Option(help: "Write observations to this file instead of standard output.")
    var output: String?

    @Flag(help: "Replace client addresses with a keyed hash (a random key per run unless --anonymize-key is given).")
    var anonymizeClients = false

    @Option(help: "A file holding the key for --anonymize-clients, so that hashes agree across runs.")
    var anonymizeKey: String?

    @Option(help: "Bytes of each client stream kept to find a hello or request head.")
    var streamLimit = 16 * 1024

    @Option(help: "Seconds of packet time after which an incomplete stream is given up.")
    var idleTimeout = 60

    @Option(help: "UDP ports carrying GTP-U (repeatable).")
    var gtpPort: [UInt16] = [2152]

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case jsonl, tsv
    }

    func validate() throws {
        guard !inputs.isEmpty || interface != nil else { throw ValidationError("give at least one capture or log, or --interface") }
        guard snaplen >= 64, bufferSize >= 1, bufferSize <= 4096 else { throw ValidationError("--snaplen ≥ 64, --buffer-size 1…4096 MiB") }
        if let logFormat, LogFormat(rawValue: logFormat) == nil {
            throw ValidationError("--log-format: one of \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let year, !(1970...2200).contains(year) { throw ValidationError("--year must be from 1970 to 2200") }
        if let server, IPAddress(server) == nil { throw ValidationError("--server: \(server) is not an address") }
        if let map {
            do { _ = try FieldMapping(parsing: map) } catch { throw ValidationError(error.reason) }
        }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be from 1 to 256") }
        guard streamLimit >= 512 && streamLimit <= 1 << 20 else { throw ValidationError("--stream-limit must be from 512 to 1048576") }
    }

    func run() throws {
        var configuration = PacketDecoder.Configuration()
        configuration.streamLimit = streamLimit
        configuration.idleTimeout = Int64(idleTimeout)
        configuration.gtpPorts = Set(gtpPort)
        let pipeline = CapturePipeline(
            threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, configuration: configuration)
        let sink = try OutputSink(path: output)
        let anonymizer = try anonymizeClients ? ClientAnonymizer(keyFile: anonymizeKey) : nil
        var failed = false
        var lines = ObservationLines(anonymizer: anonymizer)
        if let interface {
            try captureLive(interface, configuration: configuration, sink: sink, lines: &lines)
        }
        var logOptions = LogOptions()
        logOptions.format = logFormat.flatMap { LogFormat(rawValue: $0) }
        logOptions.vhost = vhost
        logOptions.server = server.flatMap { IPAddress($0) }
        logOptions.year = year
        logOptions.mapping = try map.map { try FieldMapping(parsing: $0) }
        for input in inputs {
            let started = DispatchTime.now().uptimeNanoseconds
            if logFormat != nil || map != nil || !Self.isCapture(input) {
                let report = LogReader.read(path: input, options: logOptions) { observations in
                    for observation in observations {
                        switch format {
                        case .jsonl: lines.json(observation)
                        case .tsv: lines.tsv(observation)
                        }
                    }
                    sink.write(lines.bytes)
                    lines.removeAll()
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                if let failure = report.failure {
                    printError("\(failure)")
                    failed = true
                }
                printError(ObservationFormat.summary(report, seconds: seconds))
                continue
            }
            let report = pipeline.run(path: input) { observations in
                for observation in observations {
                    switch format {
                    case .jsonl: lines.json(observation)
                    case .tsv: lines.tsv(observation)
                    }
                }
                if lines.bytes.count >= 1 << 16 {
                    sink.write(lines.bytes)
                    lines.removeAll()
                }
            }
            sink.write(lines.bytes)
            lines.removeAll()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            for issue in report.issues { printError("\(issue)") }
            if report.issues.contains(where: { $0.code == .cannotOpen || $0.code == .unsupported }) { failed = true }
            printError(ObservationFormat.summary(report, seconds: seconds))
        }
        sink.close()
        if failed { throw ExitCode(1) }
    }
}

extension ExtractCommand {
    /// Reads `interface` until interrupted (SIGINT, SIGTERM) or a limit, writing observations
    /// as they come and libpcap's counters every ten seconds and at the end.
    func captureLive(_ interface: String, configuration: PacketDecoder.Configuration, sink: OutputSink, lines: inout ObservationLines)
        throws
    {
        var settings = LiveCapture.Settings()
        settings.filter = filter
        settings.snapLength = snaplen
        settings.bufferSize = bufferSize << 20
        settings.packetLimit = packets
        settings.duration = duration
        let capture: LiveCapture
        do { capture = try LiveCapture(interface: interface, settings: settings) } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { capture.stop() }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }
        var decoder = PacketDecoder(configuration: configuration)
        decoder.begin(file: interface)
        let started = DispatchTime.now().uptimeNanoseconds
        var lastReport = started
        do {
            try capture.run(
                { bytes, link, nanoseconds, number in
                    decoder.decode(bytes, link: link, nanoseconds: nanoseconds, number: number)
                    guard !decoder.observations.isEmpty else { return }
                    for observation in decoder.observations {
                        switch format {
                        case .jsonl: lines.json(observation)
                        case .tsv: lines.tsv(observation)
                        }
                    }
                    decoder.observations.removeAll(keepingCapacity: true)
                    sink.write(lines.bytes)
                    lines.removeAll()
                },
                every: { counters in
                    let now = DispatchTime.now().uptimeNanoseconds
                    guard now - lastReport >= 10_000_000_000 else { return }
                    lastReport = now
                    printError(
                        "\(interface): received \(counters.received), dropped \(counters.dropped), "
                            + "interface dropped \(counters.interfaceDropped)")
                })
        } catch {
            printError("\(error)")
        }
        decoder.finish()
        let counters = capture.counters
        let report = CapturePipeline.InputReport(file: interface, statistics: decoder.takeStatistics(), issues: [], bytesRead: 0)
        printError(ObservationFormat.summary(report, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
        printError("  libpcap: received \(counters.received), dropped \(counters.dropped), interface dropped \(counters.interfaceDropped)")
    }

    /// Whether `path` starts like a capture (pcap or pcapng, possibly gzip-compressed).
    static func isCapture(_ path: String) -> Bool {
        guard let stream = try? InputFile.open(path) else { return true }  // the capture reader reports it
        var magic = [UInt8](repeating: 0, count: 4)
        var count = 0
        while count < 4 {
            let read = magic.withUnsafeMutableBytes { (try? stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...]))) ?? 0 }
            if read == 0 { break }
            count += read
        }
        guard count == 4 else { return false }
        let value = UInt32(magic[0]) << 24 | UInt32(magic[1]) << 16 | UInt32(magic[2]) << 8 | UInt32(magic[3])
        return [0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1, 0x0A0D_0D0A, 0xA1B2_CD34, 0x34CD_B2A1].contains(value)
    }
}

/// Buffered output to a file or standard output.
final class OutputSink {
    private let handle: FileHandle

    init(path: String?) throws {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw ValidationError("cannot create \(path)") }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } else {
            handle = FileHandle.standardOutput
        }
    }

    func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        handle.write(Data(bytes))
    }

    func flush() {}

    func close() { flush() }
}

/// Client addresses replaced by HMAC-SHA-256 under a key (the first 16 hex digits).
struct ClientAnonymizer {
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

enum ObservationFormat {

    static func summary(_ report: LogReport, seconds: Double) -> String {
        var text =
            "\(report.file): \(report.format.map { "\($0) log" } ?? "log"), \(report.lines) lines in \(String(format: "%.2f", seconds)) s"
        if seconds > 0 { text += String(format: " (%.2f M lines/s)", Double(report.lines) / seconds / 1e6) }
        text +=
            "\n  records \(report.records), observations \(report.observations), without a host or server \(report.withoutObservation), rejected \(report.rejected)"
        for issue in report.issues { text += "\n  \(report.file): \(issue)" }
        if report.rejected > report.issues.count { text += "\n  (\(report.rejected - report.issues.count) more rejected lines not listed)" }
        return text
    }

    static func summary(_ report: CapturePipeline.InputReport, seconds: Double) -> String {
        let s = report.statistics
        var parts = [
            "\(report.file): \(s.packets) packets, \(s.bytes) bytes in \(String(format: "%.2f", seconds)) s"
                + (seconds > 0 ? String(format: " (%.2f Mpps)", Double(s.packets) / seconds / 1e6) : "")
        ]
        parts.append(
            "observations: "
                + Observation.AppProtocol.allCases.map { "\($0.rawValue) \(s.count(of: $0))" }.joined(separator: ", "))
        parts.append("IPv4 \(s.ipv4), IPv6 \(s.ipv6), TCP \(s.tcp), UDP \(s.udp), tunnelled \(s.tunnelled), fragments \(s.fragments)")
        if s.quicInitials > 0 { parts.append("QUIC Initials decrypted \(s.quicInitials)") }
        if s.encryptedHellos > 0 { parts.append("hellos with ECH \(s.encryptedHellos)") }
        if s.hellosWithoutName > 0 { parts.append("hellos without a server name \(s.hellosWithoutName)") }
        parts.append("reassembly failures \(s.reassemblyFailures), evicted streams \(s.evictedStreams)")
        let malformed = MalformedReason.allCases.filter { s.count(of: $0) > 0 }.map { "\($0) \(s.count(of: $0))" }
        if !malformed.isEmpty { parts.append("not used: " + malformed.joined(separator: ", ")) }
        if !s.unknownLinkTypes.isEmpty {
            parts.append(
                "unknown link types: "
                    + s.unknownLinkTypes.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value) packets)" }.joined(separator: ", "))
        }
        return parts.joined(separator: "\n  ")
    }
}
