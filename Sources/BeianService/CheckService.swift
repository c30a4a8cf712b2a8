import BeianCore
public import BeianGeo
import BeianIndex
import Dispatch
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// How the service listens and what it takes.
public struct ServiceSettings: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 8080
    /// Bearer tokens; required when not bound to loopback.
    public var tokens: TokenSet?
    /// PEM files: the certificate chain and its private key.
    public var tls: (certificateChain: String, privateKey: String)?
    /// Largest request body (a batch), bytes.
    public var maximumBodyBytes = 64 << 20
    /// Most lines in one batch.
    public var maximumBatchLines = 4_000_000
    /// Largest header line and largest header block, bytes.
    public var maximumHeaderBytes = 16 << 10
    /// A connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(75)
    /// How often the snapshot file is looked at for a replacement (nil: only on request).
    public var fileCheckInterval: Duration? = .seconds(1)
    /// Lines of a batch answered by one worker at a time.
    public var segmentLines = 16_384
    /// Answer SIGINT and SIGTERM by draining and stopping (off in tests).
    public var handlesSignals = true

    public init() {}

    /// Whether `host` names a loopback address only.
    public var isLoopback: Bool {
        if host == "localhost" { return true }
        switch try? IPAddress.parse(host).unmapped {
        case .v4(let address): return address.value >> 24 == 127
        case .v6(let address): return address.value == 1
        case nil: return false
        }
    }
}

/// `beian serve`: the filing system's answers over HTTP from a frozen index (docs/service.md) —
/// hosts, addresses, batches of checks, the V3.0 `isp_querybeianstatus` query — with
/// Prometheus metrics, health and readiness, bearer tokens, TLS, and index refresh without a
/// gap (a request finishes on the index it started with).
public final class CheckService: Sendable {
    public let holder: IndexHolder
    public let settings: ServiceSettings
    let country: GeoDatabase?
    let asn: GeoDatabase?
    let metrics = ServiceMetrics()
    let log: Logger
    let accessLog: Logger?
    /// True while serving; false before the server runs and once it drains.
    let ready = Atomic<Bool>(false)
    private let reloadRequests: AsyncStream<Void>
    private let reloadRequester: AsyncStream<Void>.Continuation

    /// Refuses to serve on a non-loopback address without tokens.
    public init(
        holder: IndexHolder, country: GeoDatabase? = nil, asn: GeoDatabase? = nil, settings: ServiceSettings, log: Logger,
        accessLog: Logger? = nil
    ) throws {
        guard settings.isLoopback || settings.tokens != nil else {
            throw ServiceError(
                "refusing to listen on \(settings.host) without --tokens: bound beyond loopback, every request needs a bearer token")
        }
        self.holder = holder
        self.country = country
        self.asn = asn
        self.settings = settings
        self.log = log
        self.accessLog = accessLog
        (reloadRequests, reloadRequester) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for the snapshot to be loaded again now (SIGHUP), whether or not the file changed.
    public func requestReload() {
        reloadRequester.yield()
    }

    /// Serves until cancelled or, with `handlesSignals`, until SIGINT or SIGTERM; requests in
    /// flight finish first. `onRunning` gets the port listened on.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: ServiceContext.self)
        router.add(middleware: FrontMiddleware(service: self))
        addRoutes(to: router)
        let maximumBody = settings.maximumBodyBytes
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ContinueHandler(maximumBodyBytes: maximumBody)],
            idleTimeout: .nanoseconds(Int64(settings.idleTimeout.components.seconds) * 1_000_000_000),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: settings.maximumHeaderBytes, maxHeaderListSize: settings.maximumHeaderBytes,
                maxHeaderFieldCount: 100))
        let server: HTTPServerBuilder
        if let tls = settings.tls {
            server = try .tls(.http1(configuration: http), tlsConfiguration: try Self.tlsConfiguration(tls))
        } else {
            server = .http1(configuration: http)
        }
        var quiet = log
        quiet.logLevel = .critical
        let app = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "beian"),
            services: [Refresher(service: self)],
            onServerRunning: { [self] channel in
                ready.store(true, ordering: .releasing)
                await onRunning(channel.localAddress?.port ?? settings.port)
            },
            logger: quiet)
        try await app.runService(gracefulShutdownSignals: settings.handlesSignals ? [.sigterm, .sigint] : [])
        ready.store(false, ordering: .releasing)
    }

    static func tlsConfiguration(_ files: (certificateChain: String, privateKey: String)) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain) } catch {
            throw ServiceError("\(files.certificateChain): not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw ServiceError("\(files.certificateChain): no certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem) } catch {
            throw ServiceError("\(files.privateKey): not a PEM private key (\(error))")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    // MARK: Reloading

    /// Loads the snapshot again off the concurrency pool (it reads and verifies the whole file).
    func reload(onlyIfChanged: Bool) async -> IndexHolder.Outcome {
        let holder = holder
        let outcome = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: holder.reload(onlyIfChanged: onlyIfChanged)) }
        }
        metrics.reload(outcome)
        switch outcome {
        case .took(let built):
            log.info("index loaded again", metadata: ["built": "\(built.iso8601)", "path": "\(holder.path)"])
        case .refused(let reason):
            log.warning("index refused, the one in use goes on", metadata: ["reason": "\(reason)", "path": "\(holder.path)"])
        case .unchanged, .busy: break
        }
        return outcome
    }

    /// Looks at the snapshot file every `fileCheckInterval` and loads it when asked.
    struct Refresher: Service {
        let service: CheckService

        func run() async throws {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in service.reloadRequests.cancelOnGracefulShutdown() { _ = await service.reload(onlyIfChanged: false) }
                }
                if let interval = service.settings.fileCheckInterval {
                    group.addTask {
                        while !Task.isCancelled && !Task.isShuttingDownGracefully {
                            try? await Task.sleep(for: interval)
                            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { break }
                            _ = await service.reload(onlyIfChanged: true)
                        }
                    }
                }
                await withGracefulShutdownHandler {
                    await group.waitForAll()
                } onGracefulShutdown: {
                    service.ready.store(false, ordering: .releasing)
                    service.log.info("draining: requests in flight finish, new connections are refused")
                }
            }
        }
    }
}

/// A request's context: Hummingbird's, and the peer's address for the access log.
struct ServiceContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    var peer: String { channel.remoteAddress?.ipAddress ?? "" }
}
