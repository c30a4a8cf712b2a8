internal import AsyncHTTPClient
internal import BeianCore
internal import BeianHomepages
internal import Foundation
internal import NIOCore
internal import NIOHTTP1
internal import NIOSSL
internal import Synchronization

/// Fetches homepages (and their `bazs.cert`) into a WARC file: HTTPS first, then HTTP, every
/// redirect hop recorded, bounded in time, concurrency, bytes and politeness.
public struct Crawler: Sendable {
    public struct Settings: Sendable {
        /// Hosts fetched at the same time at most.
        public var concurrency = 64
        /// Seconds between two requests to one host (redirect hops, the certificate).
        public var politeness: Double = 1
        /// Seconds to connect, and for a whole request.
        public var connectTimeout: Double = 5
        public var timeout: Double = 20
        /// Largest body kept; a larger one is cut (`WARC-Truncated: length`).
        public var maximumBody = 2 << 20
        public var maximumRedirects = 5
        /// Also fetch `/cert/bazs.cert` (then `/bazs.cert`) from the homepage's origin.
        public var fetchCertificate = false
        /// The schemes tried, in order, until one gives an HTTP response.
        public var schemes = ["https", "http"]
        /// An HTTP proxy to send every request through (host, port).
        public var proxy: (host: String, port: Int)?
        /// Verify servers' certificates (off: a compliance crawl wants the page even when the
        /// certificate is wrong; what it fetched is recorded either way).
        public var verifyCertificates = false
        public var userAgent = "beian-crawler/1.0 (+https://github.com/beian-scan)"

        public init() {}
    }

    /// What a crawl did.
    public struct Report: Sendable {
        public var hosts = 0
        /// Hosts whose homepage came with an HTTP response (any status).
        public var answered = 0
        public var pages = 0
        public var redirects = 0
        public var certificates = 0
        public var truncated = 0
        /// Hosts that gave no response on any scheme, by the last reason.
        public var failures: [String: Int] = [:]
        public var records = 0
        public var bytes: Int64 = 0
        public var seconds: Double = 0

        public init() {}
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Crawls `hosts` (each once) into a WARC file at `output`. `progress` is called after
    /// every host with the report so far.
    public func crawl(hosts: [String], output: String, progress: @escaping @Sendable (Report) -> Void = { _ in }) async throws -> Report {
        let started = DispatchTime.now().uptimeNanoseconds
        var seen: Set<String> = []
        let unique = hosts.map { $0.lowercased() }.filter { !$0.isEmpty && seen.insert($0).inserted }
        let writer = try WARCWriter(path: output, software: "beian crawl")
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .milliseconds(Int64(settings.connectTimeout * 1000)), read: .milliseconds(Int64(settings.timeout * 1000))),
            proxy: settings.proxy.map { .server(host: $0.host, port: $0.port) }, decompression: .disabled)
        configuration.httpVersion = .http1Only
        if !settings.verifyCertificates {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            configuration.tlsConfiguration = tls
        }
        // Each host is a pool of its own and is rarely asked twice: idle connections are kept
        // just long enough for the next hop or the certificate, or they pile up by the
        // thousand (memory and file descriptors growing with the crawl).
        let idle = Int64((settings.politeness + 1) * 1000)
        configuration.connectionPool = .init(
            idleTimeout: .milliseconds(idle), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, settings.concurrency))
        // A host that refuses HTTPS is asked over HTTP at once, not retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let report = Tally()
        report.state.withLock { $0.hosts = unique.count }
        // A client per batch of hosts: the client keeps state per host it met (its pools),
        // which would otherwise grow with the crawl.
        var batchStart = 0
        while batchStart < unique.count {
            let batch = unique[batchStart..<min(unique.count, batchStart + Self.hostsPerClient)]
            batchStart = batch.endIndex
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var next = batch.startIndex
                    func add() {
                        guard next < batch.endIndex else { return }
                        let host = batch[next]
                        next += 1
                        group.addTask {
                            let outcome = await self.fetch(host: host, client: client, writer: writer)
                            let snapshot = report.state.withLock { report in
                                report.merge(outcome)
                                return report
                            }
                            progress(snapshot)
                        }
                    }
                    for _ in 0..<min(settings.concurrency, batch.count) { add() }
                    while try await group.next() != nil { add() }
                }
            } catch {
                try? await client.shutdown()
                // Interrupted (Ctrl-C): the records fetched so far are whole, and the WARC
                // keeps them under its name. Any other failure leaves no WARC.
                if Task.isCancelled { try writer.close() }
                throw error
            }
            try await client.shutdown()
        }
        try writer.close()
        var final = report.state.withLock { $0 }
        let counts = writer.counts
        final.records = counts.records
        final.bytes = counts.bytes
        final.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return final
    }

    /// Hosts fetched by one HTTP client before it is replaced.
    static let hostsPerClient = 2_000

    /// The report, shared by the fetching tasks.
    final class Tally: Sendable {
        let state = Mutex(Report())
    }

    /// What fetching one host gave.
    struct Outcome: Sendable {
        var answered = false
        var pages = 0
        var redirects = 0
        var certificates = 0
        var truncated = 0
        var failure: String?
    }

    func fetch(host: String, client: HTTPClient, writer: WARCWriter) async -> Outcome {
        var outcome = Outcome()
        for scheme in settings.schemes {
            var url = "\(scheme)://\(host)/"
            var hops = 0
            var answered = false
            while true {
                let result = await exchange(url: url, client: client, writer: writer)
                switch result {
                case .failed(let reason):
                    outcome.failure = reason
                case .response(let status, let location, let truncated):
                    answered = true
                    if truncated { outcome.truncated += 1 }
                    if (300..<400).contains(status), let location, hops < settings.maximumRedirects,
                        let target = Self.resolve(location, against: url), target.hasPrefix("http://") || target.hasPrefix("https://")
                    {
                        hops += 1
                        outcome.redirects += 1
                        url = target
                        await pause()
                        continue
                    }
                    outcome.pages += 1
                }
                break
            }
            guard answered else { continue }
            outcome.answered = true
            outcome.failure = nil
            if settings.fetchCertificate, let origin = Self.origin(of: url) {
                for path in ["/cert/bazs.cert", "/bazs.cert"] {
                    await pause()
                    if case .response(let status, _, _) = await exchange(url: origin + path, client: client, writer: writer),
                        status == 200
                    {
                        outcome.certificates += 1
                        break
                    }
                }
            }
            break
        }
        return outcome
    }

    enum Exchange {
        case response(status: Int, location: String?, truncated: Bool)
        case failed(String)
    }

    /// One request and its response, both written to the WARC.
    func exchange(url: String, client: HTTPClient, writer: WARCWriter) async -> Exchange {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: settings.userAgent)
        request.headers.add(name: "Accept", value: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
        request.headers.add(name: "Accept-Encoding", value: "gzip, deflate, br")
        request.headers.add(name: "Accept-Language", value: "zh-CN,zh;q=0.9")
        let date = Timestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
        } catch {
            return .failed(Self.reason(error))
        }
        var body: [UInt8] = []
        var truncated = false
        do {
            for try await chunk in response.body {
                let room = settings.maximumBody - body.count
                if chunk.readableBytes > room {
                    body += chunk.readableBytesView.prefix(room)
                    truncated = true
                    break
                }
                body += chunk.readableBytesView
            }
        } catch {
            truncated = true
        }
        // The request as sent (AsyncHTTPClient adds Host; the message is rebuilt from the same
        // fields), then the response: status, headers, the body after transfer decoding.
        let target = Self.requestTarget(of: url)
        var requestText = "GET \(target) HTTP/1.1\r\nHost: \(Self.authority(of: url))\r\n"
        for header in request.headers { requestText += "\(header.name): \(header.value)\r\n" }
        requestText += "\r\n"
        var head = "HTTP/\(response.version.major).\(response.version.minor) \(response.status.code) \(response.status.reasonPhrase)\r\n"
        for header in response.headers where header.name.lowercased() != "transfer-encoding" {
            if header.name.lowercased() == "content-length" && !truncated { continue }
            head += "\(header.name): \(header.value)\r\n"
        }
        if !truncated { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let requestRecord = WARCWriter.Record(
            type: "request", targetURI: url, date: date, contentType: "application/http;msgtype=request", block: Array(requestText.utf8))
        var fields = [("WARC-Concurrent-To", requestRecord.recordID)]
        if truncated { fields.append(("WARC-Truncated", "length")) }
        let responseRecord = WARCWriter.Record(
            type: "response", targetURI: url, date: date, contentType: "application/http;msgtype=response", block: Array(head.utf8) + body,
            fields: fields)
        do {
            try writer.write(requestRecord)
            try writer.write(responseRecord)
        } catch {
            return .failed("writing the WARC: \(error)")
        }
        return .response(status: Int(response.status.code), location: response.headers.first(name: "location"), truncated: truncated)
    }

    func pause() async {
        guard settings.politeness > 0 else { return }
        try? await Task.sleep(nanoseconds: UInt64(settings.politeness * 1e9))
    }

    /// A short reason for a failed request (for the report's counts).
    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connect timeout"
            case .readTimeout, .deadlineExceeded: return "timeout"
            case .remoteConnectionClosed: return "connection closed"
            default: return "\(error)".prefix(60).description
            }
        }
        let text = "\(error)"
        if text.contains("connection reset") || text.contains("Connection reset") { return "connection reset" }
        if text.contains("refused") { return "connection refused" }
        if text.contains("resolve") || text.contains("NXDOMAIN") || text.contains("lookup") { return "name not resolved" }
        if text.contains("SSL") || text.contains("TLS") || text.contains("handshake") { return "TLS failure" }
        return String(text.prefix(60))
    }

    static func resolve(_ location: String, against base: String) -> String? {
        // Absolute locations are taken as written (Foundation would turn punycode to Unicode).
        if URLParts(location) != nil { return location }
        guard let origin = URLParts(base) else { return nil }
        if location.hasPrefix("//") { return "\(origin.scheme):\(location)" }
        if location.hasPrefix("/") { return origin.origin + location }
        let directory =
            origin.path.hasSuffix("/") ? origin.path : String(origin.path[...(origin.path.lastIndex(of: "/") ?? origin.path.startIndex)])
        return origin.origin + directory + location
    }

    static func origin(of url: String) -> String? {
        URLParts(url)?.origin
    }

    static func authority(of url: String) -> String {
        URLParts(url)?.authority ?? ""
    }

    static func requestTarget(of url: String) -> String {
        URLParts(url)?.target ?? "/"
    }
}

extension Crawler.Report {
    mutating func merge(_ outcome: Crawler.Outcome) {
        if outcome.answered { answered += 1 }
        pages += outcome.pages
        redirects += outcome.redirects
        certificates += outcome.certificates
        truncated += outcome.truncated
        if let failure = outcome.failure, !outcome.answered { failures[failure, default: 0] += 1 }
    }
}

extension Crawler {
    /// Crawls `hosts` into `output` from synchronous code, waiting for the end. `stop` is
    /// asked every 100 ms: when it says yes, the crawl is cancelled (hosts in flight finish or
    /// fail) and what was written so far is kept.
    public func crawlWaiting(
        hosts: [String], output: String, stop: @escaping @Sendable () -> Bool = { false },
        progress: @escaping @Sendable (Report) -> Void = { _ in }
    ) throws -> Report {
        let result = Mutex<Result<Report, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            do {
                let report = try await crawl(hosts: hosts, output: output, progress: progress)
                result.withLock { $0 = .success(report) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        while done.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if stop() { task.cancel() }
        }
        return try result.withLock { $0 }?.get() ?? Report()
    }
}
