import ArgumentParser
import BeianCore
import BeianIndex
import BeianService
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer \"is it filed?\" over HTTP from an index, until stopped.",
        discussion: """
            Serves GET /v1/hosts/{host}, GET /v1/addresses/{address}, POST /v1/check (a batch: \
            one host, address or host and address per line in, one verdict line out), GET \
            /isp_querybeianstatus?domain=NAME (the V3.0 interface's XML answer, GBK), GET \
            /metrics (Prometheus), GET /healthz and GET /readyz. Bound to loopback it serves \
            anyone; bound elsewhere it needs --tokens and answers 401 without a valid bearer \
            token. SIGHUP, or replacing the index file, loads the index again without a gap \
            (a damaged snapshot is refused and the one in use goes on); SIGINT or SIGTERM \
            stops it after the requests in flight. docs/service.md has the details and a \
            systemd unit.
            """
    )

    @Option(help: "The index snapshot (from `beian index build`).", completion: .file())
    var index: String?

    @Option(
        help: ArgumentHelp(
            "Where to listen: HOST:PORT, [IPv6]:PORT (loopback serves anyone; other addresses need --tokens).",
            discussion: "Port 0 takes a free port; the line that says the service is listening names it."))
    var listen = ListenAddress(host: "127.0.0.1", port: 8080)

    @Option(help: "A file of SHA-256 digests of bearer tokens, one a line with a name (see --new-token).", completion: .file())
    var tokens: String?

    @Option(help: "A PEM certificate chain: serve HTTPS (with --tls-key).", completion: .file())
    var tlsCert: String?

    @Option(help: "The certificate's PEM private key.", completion: .file())
    var tlsKey: String?

    @OptionGroup var geo: GeoOptions

    @Option(help: "Largest request body (a batch), in MiB.")
    var maxBodyMib = 64

    @Option(help: "Most lines in one batch.")
    var maxBatchLines = 4_000_000

    @Option(help: "Largest header block of a request, in KiB.")
    var maxHeaderKib = 16

    @Option(help: "Seconds a connection may stay idle before it is closed.")
    var idleTimeout = 75

    @Option(help: "Write the access log (JSON Lines: route, status, time, peer, token name) to this file, or - for standard error.")
    var accessLog: String?

    @Option(help: "Print a new token and the line that admits it (to add to the --tokens file), then exit.")
    var newToken: String?

    func validate() throws {
        if newToken == nil && index == nil { throw ValidationError("give --index (or --new-token NAME to make a token)") }
        if index != nil && newToken != nil { throw ValidationError("--new-token makes a token and exits; give it alone") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        guard maxBodyMib >= 1, maxBatchLines >= 1, maxHeaderKib >= 1, idleTimeout >= 1 else {
            throw ValidationError("limits are at least 1")
        }
    }

    func run() throws {
        if let newToken {
            let made = TokenSet.make(name: newToken)
            print("token: \(made.token)")
            print("line for the tokens file: \(made.line)")
            return
        }
        guard let index else { return }
        var settings = ServiceSettings()
        settings.host = listen.host
        settings.port = listen.port
        settings.maximumBodyBytes = maxBodyMib << 20
        settings.maximumBatchLines = maxBatchLines
        settings.maximumHeaderBytes = maxHeaderKib << 10
        settings.idleTimeout = .seconds(idleTimeout)
        if let tlsCert, let tlsKey { settings.tls = (tlsCert, tlsKey) }
        do { settings.tokens = try tokens.map { try TokenSet(path: $0) } } catch { throw CommandFailure("\(error)") }
        let (country, asn) = try geo.open()
        let holder: IndexHolder
        do { holder = try IndexHolder(path: index) } catch { throw CommandFailure("\(index): \(error)") }

        let output = LineLogHandler.Output.standardError
        let log = Logger(label: "beian serve") { LineLogHandler(label: $0, style: .text, output: output) }
        var accessLogger: Logger?
        if let accessLog {
            let file: LineLogHandler.Output
            do { file = try LineLogHandler.Output(path: accessLog) } catch { throw CommandFailure("\(error)") }
            accessLogger = Logger(label: "access") { _ in LineLogHandler(label: "access", style: .json, output: file) }
        }
        let service: CheckService
        do {
            service = try CheckService(holder: holder, country: country, asn: asn, settings: settings, log: log, accessLog: accessLogger)
        } catch { throw CommandFailure("\(error)") }
        let hangup = Hangup { service.requestReload() }
        // Plain values: a reference to the index here would keep it mapped after a reload.
        let (built, sites) = (holder.current.index.buildTime.iso8601, holder.current.index.siteCount)
        let scheme = settings.tls == nil ? "http" : "https"
        // Swift concurrency's jobs run on NIO's event loops: a request is parsed, answered and
        // written on one thread, without a hop to the global pool and back.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let failure = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await service.run { port in
                    log.info(
                        "listening on \(scheme)://\(listen.host.contains(":") ? "[\(listen.host)]" : listen.host):\(port)",
                        metadata: ["index": "\(index)", "built": "\(built)", "sites": "\(sites)"])
                    output.flush()
                    Readiness.notify("READY=1")
                }
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        Readiness.notify("STOPPING=1")
        withExtendedLifetime(hangup) {}
        output.flush()
        if let error = failure.withLock({ $0 }) { throw CommandFailure("serve: \(error)") }
    }
}

/// `HOST:PORT` or `[IPv6]:PORT` to listen on; port 0 asks for a free one.
struct ListenAddress: ExpressibleByArgument, Sendable {
    let host: String
    let port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = argument[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { return nil }
        self.init(host: String(host), port: port)
    }

    var defaultValueDescription: String { "\(host):\(port)" }
}
