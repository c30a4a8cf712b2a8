import BeianCore
import BeianGeo
import BeianIndex
import BeianReport
import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

extension CheckService {
    /// Route templates as the metrics and the access log name them.
    enum Route {
        static let host = "/v1/hosts/{host}"
        static let address = "/v1/addresses/{address}"
        static let check = "/v1/check"
        static let query = "/isp_querybeianstatus"
        static let metrics = "/metrics"
        static let health = "/healthz"
        static let ready = "/readyz"
        static let unmatched = "unmatched"

        /// The template of Hummingbird's endpoint path (`/v1/hosts/{host}`); one name for every
        /// path no route matched, so that metrics stay few.
        static func named(_ endpoint: String?) -> String {
            switch endpoint {
            case host, address, check, query, metrics, health, ready: endpoint ?? unmatched
            default: unmatched
            }
        }
    }

    func addRoutes(to router: Router<ServiceContext>) {
        router.get("/v1/hosts/:host") { request, context in self.host(request, context) }
        router.get("/v1/addresses/:address") { request, context in self.address(request, context) }
        router.post("/v1/check") { request, _ in try await self.check(request) }
        router.get("/isp_querybeianstatus") { request, _ in self.query(request) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.exposition(of: self.holder.current))))
        }
        router.get("/healthz") { _, _ in Self.json(.ok, "{\"status\":\"ok\"}\n") }
        router.get("/readyz") { _, _ in self.readiness() }
    }

    // MARK: Endpoints

    /// `GET /v1/hosts/{host}[?at=TIME]`: `beian lookup host --json`'s answer.
    func host(_ request: Request, _ context: ServiceContext) -> Response {
        let index = holder.current.index
        guard let time = Self.time(request) else { return Self.badTime(request) }
        guard let raw = context.parameters.get("host"), let text = raw.removingPercentEncoding else {
            return Self.problem(.badRequest, "bad_host", "the host is not percent-encoded UTF-8")
        }
        let name: DomainName
        do { name = try DomainName(text) } catch {
            return Self.problem(.badRequest, "bad_host", "\(Self.shown(text)): \(error.reason)")
        }
        return Self.json(.ok, HostAnswer(name, index: index, at: time).json.text + "\n")
    }

    /// `GET /v1/addresses/{address}[?at=TIME]`: `beian lookup ip --json`'s answer.
    func address(_ request: Request, _ context: ServiceContext) -> Response {
        let index = holder.current.index
        guard let time = Self.time(request) else { return Self.badTime(request) }
        guard let raw = context.parameters.get("address"), let text = raw.removingPercentEncoding,
            let address = try? IPAddress.parse(text).unmapped
        else {
            return Self.problem(.badRequest, "bad_address", "\(Self.shown(context.parameters.get("address") ?? "")): not an address")
        }
        let answer = AddressAnswer(address, index: index, at: time, country: country, asn: asn)
        return Self.json(.ok, answer.json.text + "\n")
    }

    /// `POST /v1/check[?at=TIME]`: a batch of lines in, a verdict line out per line, streamed.
    /// The whole batch is read and checked first: a line that cannot be read is a 400 naming
    /// it, before any answer.
    func check(_ request: Request) async throws -> Response {
        let loaded = holder.current
        guard let time = Self.time(request) else { return Self.badTime(request) }
        let limit = settings.maximumBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            return Self.problem(.contentTooLarge, "body_too_large", "a batch is at most \(limit) bytes; this one has \(length)")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: limit) } catch {
            return Self.problem(.contentTooLarge, "body_too_large", "a batch is at most \(limit) bytes")
        }
        let checked = body.withUnsafeReadableBytes {
            Verdicts.check($0, segmentLines: settings.segmentLines, maximumLines: settings.maximumBatchLines)
        }
        let batch: Verdicts.Batch
        switch checked {
        case .success(let found): batch = found
        case .failure(let problem) where problem.reason.hasPrefix("more than"):
            return Self.problem(.contentTooLarge, "too_many_lines", "\(problem)")
        case .failure(let problem):
            return Self.problem(.badRequest, "bad_line", "\(problem)")
        }
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let geo = country
        let metrics = metrics
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                // Waves of as many segments as there are cores; the next wave is answered while
                // the last one is written.
                let waves = stride(from: 0, to: batch.segments.count, by: workers).map {
                    Array(batch.segments[$0..<min($0 + workers, batch.segments.count)])
                }
                var next = waves.first.map { wave in Task { await Self.answer(wave, of: body, index: loaded.index, geo: geo, at: time) } }
                var number = 0
                while let current = next {
                    let answers = await current.value
                    number += 1
                    next =
                        number < waves.count
                        ? { [wave = waves[number]] in Task { await Self.answer(wave, of: body, index: loaded.index, geo: geo, at: time) }
                        }()
                        : nil
                    for answer in answers {
                        metrics.checked(lines: answer.lines, errors: answer.errors)
                        try await writer.write(ByteBuffer(bytes: answer.bytes))
                    }
                }
                try await writer.finish(nil)
            })
    }

    /// Answers segments of a batch in parallel on Dispatch's threads (not the concurrency
    /// pool, which serves the other requests meanwhile), in order.
    static func answer(
        _ segments: [Verdicts.Segment], of body: ByteBuffer, index: RegistryIndex, geo: GeoDatabase?, at time: Timestamp
    ) async -> [(bytes: [UInt8], lines: Int, errors: Int)] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let answers = SegmentAnswers(count: segments.count)
                DispatchQueue.concurrentPerform(iterations: segments.count) { number in
                    var verdicts = Verdicts(index: index, geo: geo, at: time)
                    body.withUnsafeReadableBytes { raw in
                        verdicts.answer(
                            lines: UnsafeRawBufferPointer(rebasing: raw[segments[number].range]), firstLine: segments[number].firstLine)
                    }
                    answers.set(number, (verdicts.take(), verdicts.answered, verdicts.errors))
                }
                continuation.resume(returning: answers.all)
            }
        }
    }

    /// `GET /isp_querybeianstatus?domain=NAME`: the V3.0 interface's answer (GBK XML). The
    /// name may be percent-encoded UTF-8 or GBK, as clients of the interface send it.
    func query(_ request: Request) -> Response {
        let index = holder.current.index
        guard let raw = Self.rawQueryValue(request.uri.query ?? "", key: "domain") else {
            return Self.xml(.badRequest, HostAnswer.queryErrorXML(code: 999, "缺少查询条件 domain"))
        }
        let text = Self.decodeQueryText(raw)
        // The schema's Cxtj is 4 to 255 characters.
        guard (4...255).contains(text.count), let name = try? DomainName(text) else {
            return Self.xml(.badRequest, HostAnswer.queryErrorXML(code: 999, "查询条件不是有效的网站域名"))
        }
        return Self.xml(.ok, HostAnswer(name, index: index, at: .now).queryAnswerXML)
    }

    /// `GET /readyz`: 200 while serving, with the index in use; 503 before and while draining.
    func readiness() -> Response {
        let loaded = holder.current
        let record = holder.record
        var object = JSONObject()
        let serving = ready.load(ordering: .acquiring)
        object.set("status", serving ? "ready" : "draining")
        var index = JSONObject()
        index.set("path", holder.path)
        index.set("built", loaded.index.buildTime.iso8601)
        index.set("loaded", loaded.loadedAt.iso8601)
        index.set("sites", loaded.index.siteCount)
        index.set("units", loaded.index.unitCount)
        index.set("ip_records", loaded.index.ipRecordCount)
        index.set(
            "sources",
            array: loaded.index.sources.map { source in
                var entry = JSONObject()
                entry.set("file", (source.path as NSString).lastPathComponent)
                entry.set("bytes", source.bytes)
                entry.set("digest", source.digest)
                return entry
            })
        object.set("index", object: index)
        var reloads = JSONObject()
        reloads.set("taken", record.reloads)
        reloads.set("refused", record.refusals)
        reloads.set("last_refusal", record.lastRefusal)
        reloads.set("last_refusal_at", record.lastRefusalAt?.iso8601)
        object.set("reloads", object: reloads)
        return Self.json(serving ? .ok : .serviceUnavailable, object.text + "\n")
    }

    // MARK: Pieces

    /// `?at=` (absent: now), or nil when it is not a time (or one outside 1677–2262, the
    /// times observations can carry).
    static func time(_ request: Request) -> Timestamp? {
        guard let text = request.uri.queryParameters["at"], text != "now" else { return .now }
        guard let time = try? Timestamp.parse(text), time.fitsNanoseconds else { return nil }
        return time
    }

    static func badTime(_ request: Request) -> Response {
        problem(
            .badRequest, "bad_time",
            "at=\(shown(request.uri.queryParameters["at"].map(String.init) ?? "")): a date (2026-03-01), a date and time (2026-03-01T12:00, China time), RFC 3339 with a zone, or now"
        )
    }

    /// A text from the request, cut for an error message.
    static func shown(_ text: some StringProtocol) -> String {
        text.count > 80 ? String(text.prefix(80)) + "…" : String(text)
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func xml(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "text/xml; charset=GBK"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// An error as JSON: `{"error":{"code":…,"message":…}}`.
    static func problem(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        var error = JSONObject()
        error.set("code", code)
        error.set("message", message)
        var object = JSONObject()
        object.set("error", object: error)
        return json(status, object.text + "\n")
    }

    /// The raw (still percent-encoded) value of `key` in a query string.
    static func rawQueryValue(_ query: String, key: String) -> Substring? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 && parts[0].lowercased() == key { return parts[1] }
        }
        return nil
    }

    /// Percent-decodes bytes (`+` is a space) and reads them as UTF-8, or as GB18030 (GBK)
    /// when they are not UTF-8.
    static func decodeQueryText(_ raw: Substring) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(raw.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count, let high = hexDigit(utf8[i + 1]), let low = hexDigit(utf8[i + 2]) {
                bytes.append(high << 4 | low)
                i += 3
            } else {
                bytes.append(utf8[i] == UInt8(ascii: "+") ? 0x20 : utf8[i])
                i += 1
            }
        }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var converted: [UInt8] = []
        bytes.withUnsafeBytes { TextConverter(from: .gb18030).convert($0, final: true, into: &converted) }
        return String(decoding: converted, as: UTF8.self)
    }
}

/// Answers of a wave of segments, filled in from several threads, one slot each.
private final class SegmentAnswers: @unchecked Sendable {
    private var slots: [(bytes: [UInt8], lines: Int, errors: Int)]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: ([], 0, 0), count: count) }

    func set(_ slot: Int, _ answer: (bytes: [UInt8], lines: Int, errors: Int)) {
        lock.withLock { slots[slot] = answer }
    }

    var all: [(bytes: [UInt8], lines: Int, errors: Int)] { lock.withLock { slots } }
}

/// Tokens, timing, metrics and the access log for every request, matched or not.
struct FrontMiddleware: RouterMiddleware {
    typealias Context = ServiceContext
    let service: CheckService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = CheckService.Route.named(context.endpointPath)
        var token: String?
        var response: Response
        if let tokens = service.settings.tokens, route != CheckService.Route.health, route != CheckService.Route.ready {
            token = request.headers[.authorization].flatMap { tokens.name(authorization: $0) }
        }
        if service.settings.tokens != nil && token == nil && route != CheckService.Route.health && route != CheckService.Route.ready {
            response =
                route == CheckService.Route.query
                ? CheckService.xml(.unauthorized, HostAnswer.queryErrorXML(code: 12, "认证错误，服务器拒绝响应"))
                : CheckService.problem(.unauthorized, "unauthorized", "a valid bearer token is needed (Authorization: Bearer …)")
            response.headers[.wwwAuthenticate] = "Bearer"
        } else {
            do { response = try await next(request, context) } catch let error as any HTTPResponseError {
                response = CheckService.problem(error.status, "http_\(error.status.code)", error.status.reasonPhrase)
            } catch {
                service.log.error("request failed", metadata: ["route": "\(route)", "error": "\(error)"])
                response = CheckService.problem(.internalServerError, "internal", "the request could not be answered")
            }
        }
        let status = response.status.code
        let method = request.method.rawValue
        let service = service
        let peer = service.accessLog == nil ? "" : context.peer
        let length = request.headers[.contentLength]
        let record: @Sendable () -> Void = { [token] in
            let duration = ContinuousClock.now - start
            service.metrics.request(route: route, method: method, status: status, duration: duration)
            guard let accessLog = service.accessLog else { return }
            var metadata: Logger.Metadata = [
                "route": .string(route), "method": .string(method), "status": .stringConvertible(status),
                "micros": .stringConvertible(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000),
                "peer": .string(peer),
            ]
            if let token { metadata["token"] = .string(token.isEmpty ? "(unnamed)" : token) }
            if let length { metadata["request_bytes"] = .string(length) }
            accessLog.info("request", metadata: metadata)
        }
        if response.body.contentLength == nil {
            // A streamed answer (a batch) counts until its last byte is written.
            let body = response.body
            response.body = ResponseBody { writer in
                defer { record() }
                try await body.write(writer)
            }
        } else {
            record()
        }
        return response
    }
}
