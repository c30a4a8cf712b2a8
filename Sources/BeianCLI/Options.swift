public import ArgumentParser
import BeianCapture
import BeianCore
import BeianGeo
import BeianIndex
import BeianLogs
import BeianPackets
import BeianReport
import BeianScan
import Foundation

// The option groups commands share: each option is spelled, explained and checked once.

/// `--index FILE`: the snapshot every judging command reads.
struct IndexOptions: ParsableArguments {
    @Option(help: "The index snapshot (from `beian index build`).")
    var index: String

    func load() throws -> RegistryIndex { try Self.load(index) }

    /// The snapshot at `path`, or a failure that names it and says what is wrong.
    static func load(_ path: String) throws -> RegistryIndex {
        do {
            // The pages verification read are handed back: what judging touches comes back from the
            // page cache, and a national snapshot (2.9 GB) stays out of the resident set.
            return try RegistryIndex(path: path, releasingPages: true)
        } catch {
            throw CommandFailure("\(path): \(error.message)")
        }
    }
}

/// The MaxMind country database that tells domestic addresses outside the filed space.
struct CountryOptions: ParsableArguments {
    @Option(
        help:
            "A MaxMind country database (GeoIP2/GeoLite2 Country or City): addresses outside the filed space are domestic when it says CN.",
        completion: .file())
    var geoip: String?

    func open() throws -> GeoDatabase? {
        do { return try geoip.map { try GeoDatabase(path: $0) } } catch { throw CommandFailure("\(error)") }
    }
}

/// MaxMind databases: country and network (ASN).
struct GeoOptions: ParsableArguments {
    @OptionGroup var country: CountryOptions

    @Option(help: "A MaxMind ASN database (GeoLite2 ASN).", completion: .file())
    var asn: String?

    func open() throws -> (country: GeoDatabase?, asn: GeoDatabase?) {
        do {
            return (try country.open(), try asn.map { try GeoDatabase(path: $0) })
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

/// A point in time given on the command line (`--at`): a date, a date and time (China time
/// unless a zone is written), or `now`.
struct Moment: ExpressibleByArgument {
    let timestamp: Timestamp

    init?(argument: String) {
        if argument == "now" {
            timestamp = .now
        } else if let parsed = try? Timestamp.parse(argument) {
            timestamp = parsed
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// `--at TIME`: judge the filings as they stood then.
struct TimeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Judge the filings as they stood at this time (default: now).",
            discussion: "A date (2026-03-01), a date and time (2026-03-01 12:00, China time), RFC 3339 with a zone, or now.",
            valueName: "time"))
    var at: Moment?

    var time: Timestamp { at?.timestamp ?? .now }
}

/// Whose view a scan takes and what it sees in full.
struct ScopeOptions: ParsableArguments {
    enum ScopeName: String, ExpressibleByArgument, CaseIterable {
        case all, own
    }

    @Option(help: "all: every domestic address; own: the addresses allocated to --unit, an access provider's view.")
    var scope: ScopeName = .all

    @Option(help: "The reporting unit (access provider) ID for --scope own.")
    var unit: Int64?

    @Option(parsing: .upToNextOption, help: "Prefixes or ranges the inputs see in full (for empty shells and over-reported access).")
    var coverage: [String] = []

    @Option(help: "A file of coverage prefixes or ranges, one per line (# starts a comment).", completion: .file())
    var coverageFile: String?

    func validate() throws {
        if scope == .own && unit == nil { throw ValidationError("--scope own needs --unit ID") }
        if scope == .all && unit != nil { throw ValidationError("--unit goes with --scope own") }
    }

    /// The judging rules these options ask for.
    func rules() throws -> Judge.Settings {
        var rules = Judge.Settings()
        if scope == .own, let unit { rules.scope = .accessProvider(unit) }
        var texts = coverage
        if let coverageFile {
            let bytes: [UInt8]
            do { bytes = try InputFile.open(coverageFile).readAll(limit: Self.maximumCoverageFile) } catch {
                throw CommandFailure("\(error)")
            }
            texts += String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map {
                $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                    .trimmingCharacters(in: .whitespaces) ?? ""
            }.filter { !$0.isEmpty }
        }
        for text in texts {
            do { rules.coverage.append(try IPRange.parse(text)) } catch {
                throw ValidationError("--coverage: \(text): \(error.reason)")
            }
        }
        return rules
    }

    /// Largest coverage file read.
    static let maximumCoverageFile = 256 << 20
}

/// Where and how findings are written.
struct FindingOutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Write findings to this file instead of standard output.", completion: .file())
    var output: String?

    @Option(help: "Findings format: jsonl, csv or wbawzlb (the V3.0 unfiled-site list, GBK XML); by --output's extension when absent.")
    var format: FindingWriter.Format?

    @Option(help: "Column names of CSV findings: en or zh.")
    var headers: FindingWriter.Headers = .en

    @OptionGroup var times: TimeStyleOptions

    var chosenFormat: FindingWriter.Format { format ?? output.map { FindingWriter.Format(fileName: $0) } ?? .jsonl }

    /// Writes the findings (to a temporary file renamed into place, so that an interrupted
    /// write never leaves a torn file under the output's name).
    func write(_ findings: [Finding]) throws {
        guard chosenFormat == .wbawzlb else {
            try OutputFile.write(FindingWriter.render(findings, format: chosenFormat, headers: headers, times: times.time), to: output)
            return
        }
        let list = FindingWriter.wbawzlbList(findings)
        try OutputFile.write(list.bytes, to: output)
        if list.omitted.total > 0 {
            printError(
                "beian: \(list.omitted.total) unfiled sites are not in the V3.0 list, which cannot hold them (\(list.omitted.ipv6) on IPv6 addresses, \(list.omitted.noOperator) on addresses no IP filing covers, so without the operator `Yys` it requires); --format jsonl or csv writes every finding"
            )
        }
    }
}

/// `--time utc|china`: how times are written.
struct TimeStyleOptions: ParsableArguments {
    @Option(help: "Times in outputs: utc (RFC 3339 with Z, the default) or china (with +08:00).")
    var time: TimeStyle = .utc
}

/// Worker threads.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads decoding each capture and reading each crawl (default: the number of processors).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be from 1 to 256") }
    }

    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }
}

/// How libpcap captures: filter, snap length, kernel buffer.
struct CaptureOptions: ParsableArguments {
    @Option(help: "A BPF filter for the interfaces (tcpdump syntax).")
    var filter: String?

    @Option(help: "Bytes kept of each live packet.")
    var snaplen: Int32 = 262_144

    @Option(help: "The kernel buffer of each interface, in MiB.")
    var bufferSize: Int32 = 64

    func validate() throws {
        guard snaplen >= 64, bufferSize >= 1, bufferSize <= 4096 else { throw ValidationError("--snaplen ≥ 64, --buffer-size 1…4096 MiB") }
    }

    var settings: LiveCapture.Settings {
        var settings = LiveCapture.Settings()
        settings.filter = filter
        settings.snapLength = snaplen
        settings.bufferSize = bufferSize << 20
        return settings
    }
}

/// A live capture through libpcap, until interrupted or a limit.
struct LiveOptions: ParsableArguments {
    @Option(help: "Capture live from this network interface (until interrupted, --packets or --duration).")
    var interface: String?

    @OptionGroup var capture: CaptureOptions

    @Option(help: "Stop a live capture after this many packets.")
    var packets: UInt64?

    @Option(help: "Stop a live capture after this many seconds (on time, traffic or not).")
    var duration: Double?

    func validate() throws {
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
    }

    /// The live source these options ask for, if any.
    func source(decoding: PacketDecoder.Configuration) -> InterfaceSource? {
        guard let interface else { return nil }
        var settings = capture.settings
        settings.packetLimit = packets
        settings.duration = duration
        return InterfaceSource(interface: interface, settings: settings, configuration: decoding)
    }
}

/// How packets are decoded.
struct DecodingOptions: ParsableArguments {
    @Option(help: "Bytes of each client stream kept to find a hello or request head.")
    var streamLimit = 16 * 1024

    @Option(help: "Seconds of packet time after which an incomplete stream is given up.")
    var idleTimeout = 60

    @Option(help: "UDP ports carrying GTP-U (repeatable).")
    var gtpPort: [UInt16] = [2152]

    func validate() throws {
        guard streamLimit >= 512 && streamLimit <= 1 << 20 else { throw ValidationError("--stream-limit must be from 512 to 1048576") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
    }

    var configuration: PacketDecoder.Configuration {
        var configuration = PacketDecoder.Configuration()
        configuration.streamLimit = streamLimit
        configuration.idleTimeout = Int64(idleTimeout)
        configuration.gtpPorts = Set(gtpPort)
        return configuration
    }
}

/// How logs whose lines do not say everything are read.
struct LogReadingOptions: ParsableArguments {
    @Option(help: "The format of the logs given (zeek, zeek-json, vhost-combined, combined, squid, dnsmasq, mapped); detected when absent.")
    var logFormat: LogFormat?

    @Option(help: "The virtual host of combined web logs.")
    var vhost: String?

    @Option(help: "The address of the web server whose logs are given (default: a directory named like an address in the path).")
    var server: String?

    @Option(help: "The year of dnsmasq's syslog times (default: the file's modification year).")
    var year: Int?

    @Option(help: "Fields of CSV or JSON Lines logs: host=FIELD,ip=FIELD,time=FIELD[,port=,client=,protocol=].")
    var map: String?

    func validate() throws {
        if let year, !(1970...2200).contains(year) { throw ValidationError("--year must be from 1970 to 2200") }
        if let server, IPAddress(server) == nil { throw ValidationError("--server: \(server) is not an address") }
        if let map {
            do { _ = try FieldMapping(parsing: map) } catch { throw ValidationError(error.reason) }
        }
    }

    var options: LogOptions {
        var options = LogOptions()
        options.format = logFormat ?? (map != nil ? .mapped : nil)
        options.vhost = vhost
        options.server = server.flatMap { IPAddress($0) }
        options.year = year
        options.mapping = map.flatMap { try? FieldMapping(parsing: $0) }
        return options
    }
}

extension LogFormat: ExpressibleByArgument {}
extension FindingWriter.Format: ExpressibleByArgument {}
extension FindingWriter.Headers: ExpressibleByArgument {}
extension TimeStyle: ExpressibleByArgument {}
extension ObservationWriter.Format: ExpressibleByArgument {}

/// SIGINT and SIGTERM cancel a run through its control: the library never touches signals.
/// While installed, the signals' default action (ending the process) is off.
final class Interruption {
    private let sources: [any DispatchSourceSignal]

    init(cancelling control: ScanControl) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { control.cancel() }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// Output files written whole (`AtomicOutput`): a temporary file beside the target, flushed
/// to the disk and renamed into place; a failure leaves nothing under the final name.
enum OutputFile {
    /// Writes `bytes` to `path`, or to standard output when `path` is nil or `-`.
    static func write(_ bytes: [UInt8], to path: String?) throws {
        do { try AtomicOutput.write(bytes, to: path) } catch { throw CommandFailure(error.description) }
    }

    /// Moves `file` into place, its failure as a command's.
    static func committing(_ file: AtomicOutput) throws {
        do { try file.commit() } catch { throw CommandFailure(error.description) }
    }
}
