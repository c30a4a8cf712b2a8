import ArgumentParser
import BeianCapture
import BeianCore
import BeianHistory
import BeianLogs
import BeianReport
import BeianScan
import BeianWatch
import Foundation

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Judge live traffic and growing logs as they come, reporting each finding as an event, until stopped.",
        discussion: """
            Captures from every --interface and follows every --follow path (log files and \
            directories, like tail -F: appended lines, rotation by rename and by truncation, \
            new files in a directory) at once, judges what they carry as `beian scan` does \
            (docs/findings.md), and writes one JSON Lines event per new finding and per update \
            of a finding already reported (at most every --update-interval), to --events (a \
            file rotated daily, or - for standard output) and to --webhook. With --state, what \
            was reported and how far each followed file was read survive a restart: nothing is \
            reported twice, and reading resumes after the last line judged. SIGHUP, or \
            replacing the index file, loads the index again without a gap (a damaged snapshot is \
            refused and the one in use goes on). SIGINT or SIGTERM stops it. docs/operations.md \
            has the details and a systemd unit.
            """
    )

    @OptionGroup var index: IndexOptions
    @OptionGroup var country: CountryOptions
    @OptionGroup var scope: ScopeOptions

    @Option(name: .customLong("interface"), help: "A network interface to capture from (repeatable).")
    var interfaces: [String] = []

    @OptionGroup var capture: CaptureOptions

    @Option(name: .customLong("follow"), help: "A log file or a directory of logs to follow (repeatable).", completion: .file())
    var follow: [String] = []

    @Flag(help: "Read followed files that exist at the first start from their beginning (default: only what is appended).")
    var fromStart = false

    @OptionGroup var logs: LogReadingOptions
    @OptionGroup var decoding: DecodingOptions

    @Option(help: "A directory for the watch's state (what was reported, where followed files stand).", completion: .directory)
    var state: String?

    @Option(help: "Where events go: a file (rotated daily, never truncated) or - for standard output.", completion: .file())
    var events = "-"

    @Option(help: "POST events to this URL as well (batched, retried with backoff; needs --state).")
    var webhook: String?

    @Option(help: "Seconds between two update events of one finding, at most.")
    var updateInterval = 300

    @Option(help: "Seconds between two summary lines.")
    var summaryInterval = 60

    @Option(help: "Record the watch in this findings history: a run every --history-interval and one when it stops.", completion: .file())
    var history: String?

    @Option(help: "Seconds between two runs recorded in --history.")
    var historyInterval = 86400

    @OptionGroup var times: TimeStyleOptions

    func validate() throws {
        guard !interfaces.isEmpty || !follow.isEmpty else { throw ValidationError("give at least one --interface or --follow") }
        guard updateInterval >= 0, summaryInterval >= 1, historyInterval >= 1 else {
            throw ValidationError("--update-interval ≥ 0, --summary-interval ≥ 1, --history-interval ≥ 1")
        }
        if webhook != nil && state == nil { throw ValidationError("--webhook needs --state (undelivered events are kept there)") }
        if let webhook, !(webhook.hasPrefix("http://") || webhook.hasPrefix("https://")) {
            throw ValidationError("--webhook: an http:// or https:// URL")
        }
    }

    func run() throws {
        var configuration = Scan.Configuration(index: try index.load(), geo: try country.open())
        configuration.rules = try scope.rules()
        var settings = Watcher.Settings()
        settings.updateInterval = .seconds(updateInterval)
        settings.summaryInterval = .seconds(summaryInterval)
        settings.times = times.time
        settings.start = fromStart ? .beginning : .end
        settings.logs = logs.options
        if let history {
            do { settings.history = try FindingsHistory(path: history) } catch { throw CommandFailure("\(error)") }
            settings.historyInterval = .seconds(historyInterval)
            settings.historyInputs = interfaces.map { "interface \($0)" } + follow
        }
        let log: @Sendable (String) -> Void = { printError($0) }
        // Without --state, a temporary one: the run is exactly once, restarts are not.
        let directory = state ?? NSTemporaryDirectory() + "beian-watch-\(getpid())"
        let store: WatchStore
        do { store = try WatchStore(directory: directory) } catch { throw CommandFailure("\(error)") }
        defer { if state == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let eventLog: EventLog
        do {
            eventLog = try EventLog(destination: events == "-" ? .standardOutput : .file(events), times: times.time)
        } catch {
            throw CommandFailure("\(events): cannot be written: \(error.localizedDescription)")
        }
        let watcher = try Watcher(
            configuration: configuration, indexPath: index.index, store: store, events: eventLog, webhook: webhook, settings: settings,
            log: log)
        let live = capture.settings
        let sources: [any ScanSource] = interfaces.map {
            ResilientInterfaceSource(interface: $0, settings: live, configuration: decoding.configuration, log: log)
        }
        let control = ScanControl()
        let interruption = Interruption(cancelling: control)
        let reload = watcher.reload
        let hangup = Hangup { reload.request() }
        log(
            "watch: \(interfaces.count) interfaces, \(follow.count) followed paths; events to \(events == "-" ? "standard output" : events)"
        )
        Readiness.notify("READY=1")
        let result: ScanResult
        do { result = try watcher.run(interfaces: sources, follow: follow, control: control) } catch {
            throw CommandFailure("\(error)")
        }
        Readiness.notify("STOPPING=1")
        withExtendedLifetime((interruption, hangup)) {}
        for input in result.inputs { printError(InputSummary.details(input)) }
    }
}

/// SIGHUP calls `action` (the index is loaded again); while installed, it no longer ends the
/// process.
final class Hangup {
    private let source: any DispatchSourceSignal

    init(_ action: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler(handler: action)
        source.resume()
    }

    deinit {
        source.cancel()
        signal(SIGHUP, SIG_DFL)
    }
}

/// systemd's readiness protocol (`Type=notify`): a datagram to `$NOTIFY_SOCKET`, when set.
enum Readiness {
    static func notify(_ state: String) {
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // An abstract socket (`@name`) starts with a NUL byte.
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, socketAddress, length) }
            }
        }
    }
}
