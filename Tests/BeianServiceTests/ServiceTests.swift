import AsyncHTTPClient
import BeianCore
import BeianGeo
import BeianIndex
import BeianRegistry
import BeianReport
import BeianService
import BeianTestSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import Testing

/// The check service driven by a real HTTP client: every endpoint on the sample index equal to
/// the lookups' answers, IDN hosts, `?at=`, bad input, tokens, TLS, reloads, metrics, and the
/// V3.0 XML against its schema.
@Suite(.serialized) struct ServiceTests {
    /// The sample registry's index and records, built once.
    static let sample: (path: String, records: [RegistryRecord])? = try? buildIndex(sampleRegistry())

    /// Log lines the service wrote.
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
        var text: String { all.withLock { $0.joined(separator: "\n") } }
    }

    struct Collecting: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let extra = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            lines.all.withLock { $0.append("\(event.level): \(event.message) \(extra)") }
        }
    }

    /// A service on a free loopback port, and what it logged.
    struct Running {
        let port: Int
        let task: Task<Void, any Error>
        let lines: Lines
        let service: CheckService
        var base: String { "\(service.settings.tls == nil ? "http" : "https")://127.0.0.1:\(port)" }

        func stop() async {
            task.cancel()
            _ = try? await task.value
        }
    }

    static func start(
        index path: String? = nil, country: GeoDatabase? = nil, settings configure: (inout ServiceSettings) -> Void = { _ in }
    ) async throws -> Running {
        let path = try #require(path ?? sample?.path)
        var settings = ServiceSettings()
        settings.port = 0
        settings.handlesSignals = false
        configure(&settings)
        let lines = Lines()
        let log = Logger(label: "test") { _ in Collecting(lines: lines) }
        let service = try CheckService(
            holder: try IndexHolder(path: path), country: country, settings: settings, log: log, accessLog: log)
        let (ports, portsContinuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task {
            defer { portsContinuation.finish() }
            try await service.run { port in portsContinuation.yield(port) }
        }
        for await port in ports { return Running(port: port, task: task, lines: lines, service: service) }
        _ = try await task.value
        throw ServiceError("the service did not start: \(lines.text)")
    }

    struct Answer {
        let status: Int
        let headers: [(String, String)]
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    static func request(
        _ url: String, method: HTTPMethod = .GET, body: [UInt8]? = nil, headers: [(String, String)] = [],
        client: HTTPClient = .shared
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 256 << 20)
        return Answer(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Array(collected.readableBytesView))
    }

    /// Sends `request` over a plain TCP connection and reads until the server closes it.
    static func raw(_ request: String, port: Int) throws -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServiceError("socket") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ServiceError("connect") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = Array(request.utf8).withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let read = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard read > 0 else { break }
            answer += chunk[0..<read]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    static var index: RegistryIndex { get throws { try RegistryIndex(path: try #require(sample?.path)) } }

    /// Every filed domain of the sample, a name under each, and names nobody filed.
    static func names() throws -> [String] {
        var names: [String] = []
        for case .site(let site) in try #require(sample?.records) {
            for domain in site.domains { names += [domain.ascii, "www." + domain.ascii] }
        }
        return names + ["unfiled-example.cn", "www.baidu.com", "a.b.c.example.com.cn"]
    }

    /// Every range start and end of the sample's allocations and access records, and addresses
    /// outside the filed space.
    static func addresses() throws -> [String] {
        var addresses: Set<String> = ["8.8.8.8", "2001:db8::1", "::ffff:1.2.3.4", "1.1.1.1"]
        for record in try #require(sample?.records) {
            switch record {
            case .ipAllocation(let allocation):
                addresses.formUnion([allocation.range.first.description, allocation.range.last.description])
            case .access(let access): for range in access.ranges { addresses.insert(range.first.description) }
            default: break
            }
        }
        return addresses.sorted()
    }

    // MARK: Answers

    @Test func hostsAndAddressesAnswerAsTheLookups() async throws {
        let country = try GeoDatabase(path: Fixtures.packageRoot.appendingPathComponent("Datasets/sample/geo/country.mmdb").path)
        let running = try await Self.start(country: country)
        defer { Task { await running.stop() } }
        let index = try Self.index
        let now = Timestamp.now
        let names = try Self.names()
        #expect(names.count > 400)
        var filed = 0
        for name in names {
            let answer = try await Self.request("\(running.base)/v1/hosts/\(name)")
            if answer.json["bazt"] as? Int == 0 { filed += 1 }
            let expected = HostAnswer(try DomainName(name), index: index, at: now).json.text + "\n"
            #expect(answer.status == 200, "\(name)")
            #expect(answer.text == expected, "\(name)")
            #expect(answer.header("content-type") == "application/json; charset=utf-8")
        }
        let addresses = try Self.addresses()
        #expect(addresses.count > 100)
        var withCountry = 0
        for text in addresses {
            let answer = try await Self.request("\(running.base)/v1/addresses/\(text)")
            let address = try IPAddress.parse(text).unmapped
            let expected = AddressAnswer(address, index: index, at: now, country: country, asn: nil).json.text + "\n"
            #expect(answer.status == 200, "\(text)")
            #expect(answer.text == expected, "\(text)")
            if answer.json["country"] != nil { withCountry += 1 }
        }
        // The sample's country database knows the filed space.
        #expect(withCountry > addresses.count / 2)
        // Most of the sample's names are filed, some not.
        #expect(filed > names.count / 2 && filed < names.count)
        let unfiled = try await Self.request("\(running.base)/v1/hosts/unfiled-example.cn").json
        #expect(unfiled["bazt"] as? Int == 1 && unfiled["filed"] as? Bool == false)
    }

    @Test func idnHostsAreAnsweredInEitherForm() async throws {
        let running = try await Self.start()
        defer { Task { await running.stop() } }
        let name = try DomainName("备案测试.中国")
        let unicode = try await Self.request("\(running.base)/v1/hosts/%E5%A4%87%E6%A1%88%E6%B5%8B%E8%AF%95.%E4%B8%AD%E5%9B%BD")
        let alabel = try await Self.request("\(running.base)/v1/hosts/\(name.ascii)")
        #expect(name.ascii.hasPrefix("xn--"))
        #expect(unicode.status == 200 && alabel.status == 200)
        #expect(unicode.text == alabel.text)
        #expect(unicode.json["host"] as? String == name.ascii)
        #expect(unicode.json["unicode"] as? String == "备案测试.中国")
        #expect(unicode.text == HostAnswer(name, index: try Self.index, at: .now).json.text + "\n")
    }

    @Test func atAsksHowTheFilingsStoodThen() async throws {
        let running = try await Self.start()
        defer { Task { await running.stop() } }
        let index = try Self.index
        let before = try Timestamp.parse("2020-01-01")
        // A name whose answer was different before its filing was cancelled.
        let changed = try Self.names().first { name in
            let domain = try DomainName(name)
            return HostAnswer(domain, index: index, at: before).json != HostAnswer(domain, index: index, at: .now).json
        }
        let name = try #require(changed, "the sample has cancelled filings")
        let then = try await Self.request("\(running.base)/v1/hosts/\(name)?at=2020-01-01")
        let now = try await Self.request("\(running.base)/v1/hosts/\(name)")
        #expect(then.text == HostAnswer(try DomainName(name), index: index, at: before).json.text + "\n")
        #expect(then.text != now.text)
        let zoned = try await Self.request("\(running.base)/v1/hosts/\(name)?at=2020-01-01T00:00:00%2B08:00")
        #expect(zoned.text == then.text)
        let bad = try await Self.request("\(running.base)/v1/hosts/\(name)?at=yesterday-ish")
        #expect(bad.status == 400)
        #expect((bad.json["error"] as? [String: Any])?["code"] as? String == "bad_time")
        // A time past 2262 (nanoseconds in 64 bits end there) is refused, not a trap.
        let far = try await Self.request("\(running.base)/v1/hosts/\(name)?at=9999-12-31T00:00:00Z")
        #expect(far.status == 400)
        let batch = try await Self.request("\(running.base)/v1/check?at=9999-12-31", method: .POST, body: Array("\(name)\n".utf8))
        #expect(batch.status == 400)
    }

    @Test func batchesAnswerLineByLineInOrder() async throws {
        let running = try await Self.start { $0.segmentLines = 7 }
        defer { Task { await running.stop() } }
        let index = try Self.index
        let names = try Self.names()
        let addresses = try Self.addresses()
        var lines: [String] = []
        for (number, name) in names.enumerated() {
            switch number % 4 {
            case 0: lines.append(name)
            case 1: lines.append("{\"host\":\"\(name)\"}")
            case 2: lines.append("\(name) \(addresses[number % addresses.count])")
            default: lines.append("{\"address\":\"\(addresses[number % addresses.count])\",\"host\":\"\(name)\"}")
            }
        }
        lines.insert("", at: 3)
        lines.append("a..b")
        lines.append("{\"address\":\"300.1.1.1\"}")
        let answer = try await Self.request("\(running.base)/v1/check", method: .POST, body: Array(lines.joined(separator: "\r\n").utf8))
        #expect(answer.status == 200)
        #expect(answer.header("content-type") == "application/x-ndjson")
        let out = answer.text.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
        #expect(out.count == lines.count - 1)
        // Numbered as the lines of the body (the blank fourth line has no answer).
        #expect(out.map { $0["line"] as? Int ?? 0 } == Array(1...lines.count).filter { $0 != 4 })
        for answer in out.prefix(out.count - 2) {
            let line = try #require(answer["line"] as? Int)
            let name = try DomainName(try #require(answer["host"] as? String))
            if answer["address"] == nil {
                let expected = HostAnswer(name, index: index, at: .now)
                #expect((answer["bazt"] as? Int) == (expected.active == nil ? 1 : 0), "line \(line)")
                #expect(answer["wzbah"] as? String == expected.active?.number, "line \(line)")
                #expect(answer["independent_domain"] as? String == expected.independentDomain, "line \(line)")
            } else {
                #expect(answer["findings"] is [String], "line \(line)")
            }
        }
        #expect((out[out.count - 2]["error"] as? [String: Any])?["code"] as? String == "bad_host")
        #expect((out[out.count - 1]["error"] as? [String: Any])?["code"] as? String == "bad_address")
        // Some pair is a finding: a name nobody filed served from filed space.
        let pair = try await Self.request(
            "\(running.base)/v1/check", method: .POST, body: Array("unfiled-example.cn \(try unfiledSpaceAddress())\n".utf8))
        let kinds = try #require(pair.json["findings"] as? [String])
        #expect(kinds.contains("unfiled-site"), "\(pair.text)")
    }

    /// An address in the sample's filed space (an access record's).
    func unfiledSpaceAddress() throws -> String {
        for case .access(let access) in try #require(Self.sample?.records) {
            if let range = access.ranges.first { return range.first.description }
        }
        throw ServiceError("no access record")
    }

    @Test func badInputIsA400WithAJSONErrorAndTheServiceGoesOn() async throws {
        let running = try await Self.start {
            $0.maximumBodyBytes = 4096
            $0.maximumBatchLines = 10
        }
        defer { Task { await running.stop() } }
        func code(_ answer: Answer) -> String? { (answer.json["error"] as? [String: Any])?["code"] as? String }
        let host = try await Self.request("\(running.base)/v1/hosts/exa%20mple..cn")
        #expect(host.status == 400 && code(host) == "bad_host", "\(host.text)")
        // Sent as is (an HTTP client would clean the path up first).
        let notUTF8 = try Self.raw("GET /v1/hosts/%FF%FE.cn HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", port: running.port)
        #expect(notUTF8.hasPrefix("HTTP/1.1 400") && notUTF8.contains("\"bad_host\""), "\(notUTF8)")
        // A header block beyond the limit: the connection is refused with an error status or closed.
        let hugeHeader = try Self.raw(
            "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: \(String(repeating: "x", count: 40_000))\r\n\r\n", port: running.port)
        #expect(!hugeHeader.hasPrefix("HTTP/1.1 200"), "\(hugeHeader.prefix(200))")
        let address = try await Self.request("\(running.base)/v1/addresses/1.2.3.256")
        #expect(address.status == 400 && code(address) == "bad_address")
        let large = try await Self.request(
            "\(running.base)/v1/check", method: .POST, body: Array(repeating: UInt8(ascii: "a"), count: 5000))
        #expect(large.status == 413 && code(large) == "body_too_large")
        let many = try await Self.request(
            "\(running.base)/v1/check", method: .POST, body: Array(String(repeating: "example.cn\n", count: 11).utf8))
        #expect(many.status == 413 && code(many) == "too_many_lines")
        let json = try await Self.request(
            "\(running.base)/v1/check", method: .POST, body: Array("example.cn\n{\"host\": \"a.cn\"\n".utf8))
        #expect(json.status == 400 && code(json) == "bad_line")
        #expect(
            (json.json["error"] as? [String: Any])?["message"] as? String ?? ""
                == "line 2: not a JSON object: unterminated object at byte 16")
        let neither = try await Self.request("\(running.base)/v1/check", method: .POST, body: Array("{\"name\":\"a.cn\"}\n".utf8))
        #expect(neither.status == 400 && code(neither) == "bad_line")
        let missing = try await Self.request("\(running.base)/nothing/here")
        #expect(missing.status == 404)
        let wrongMethod = try await Self.request("\(running.base)/v1/check")
        #expect(wrongMethod.status == 404 || wrongMethod.status == 405)
        // Still serving.
        let good = try await Self.request("\(running.base)/v1/hosts/example.cn")
        #expect(good.status == 200)
        let health = try await Self.request("\(running.base)/healthz")
        #expect(health.status == 200)
    }

    // MARK: The V3.0 query

    @Test func theV3QueryAnswersInGBKXMLThatTheSchemaAccepts() async throws {
        let running = try await Self.start()
        defer { Task { await running.stop() } }
        let index = try Self.index
        let directory = try Fixtures.temporaryDirectory()
        var files: [String] = []
        let names = try Self.names()
        let filed = try #require(names.first { HostAnswer(try DomainName($0), index: index, at: .now).active != nil })
        for (number, query) in [filed, "unfiled-example.cn"].enumerated() {
            let answer = try await Self.request("\(running.base)/isp_querybeianstatus?domain=\(query)")
            #expect(answer.status == 200)
            #expect(answer.header("content-type") == "text/xml; charset=GBK")
            #expect(answer.body == HostAnswer(try DomainName(query), index: index, at: .now).queryAnswerXML)
            let file = directory.appendingPathComponent("answer\(number).xml").path
            try Data(answer.body).write(to: URL(fileURLWithPath: file))
            files.append(file)
        }
        // The name as GBK, percent-encoded, as clients of the interface send it.
        let gbk = try await Self.request("\(running.base)/isp_querybeianstatus?domain=%B1%B8%B0%B8%B2%E2%CA%D4.%D6%D0%B9%FA")
        #expect(gbk.status == 200)
        #expect(gbk.body == HostAnswer(try DomainName("备案测试.中国"), index: index, at: .now).queryAnswerXML)
        let utf8 = try await Self.request(
            "\(running.base)/isp_querybeianstatus?domain=%E5%A4%87%E6%A1%88%E6%B5%8B%E8%AF%95.%E4%B8%AD%E5%9B%BD")
        #expect(utf8.body == gbk.body)
        // Too short for the schema's Cxtj, and missing: msg_code 999, no StatusInfo.
        for (number, query) in ["domain=a.b", "other=1"].enumerated() {
            let answer = try await Self.request("\(running.base)/isp_querybeianstatus?\(query)")
            #expect(answer.status == 400)
            #expect(answer.text.contains("<msg_code>999</msg_code>") && !answer.text.contains("StatusInfo"))
            let file = directory.appendingPathComponent("error\(number).xml").path
            try Data(answer.body).write(to: URL(fileURLWithPath: file))
            files.append(file)
        }
        let lint = try Schemas.validate(files, against: "query-filing-status-response.xsd")
        #expect(lint.valid, "\(lint.messages)")
    }

    // MARK: Access

    @Test func beyondLoopbackTokensAreRequired() async throws {
        let path = try #require(Self.sample?.path)
        var open = ServiceSettings()
        open.host = "0.0.0.0"
        #expect(throws: ServiceError.self) {
            _ = try CheckService(holder: try IndexHolder(path: path), settings: open, log: Logger(label: "test"))
        }
        for loopback in ["127.0.0.1", "127.8.9.10", "::1", "localhost"] {
            var settings = ServiceSettings()
            settings.host = loopback
            #expect(settings.isLoopback, "\(loopback)")
        }
        for other in ["0.0.0.0", "::", "10.0.0.1", "::ffff:10.0.0.1", "example.com"] {
            var settings = ServiceSettings()
            settings.host = other
            #expect(!settings.isLoopback, "\(other)")
        }

        let made = TokenSet.make(name: "provisioning")
        let directory = try Fixtures.temporaryDirectory()
        let tokensFile = directory.appendingPathComponent("tokens").path
        try "# who may ask\n\(made.line)\n\n".write(toFile: tokensFile, atomically: true, encoding: .utf8)
        let tokens = try TokenSet(path: tokensFile)
        #expect(tokens.count == 1)
        try "not-a-digest someone\n".write(toFile: tokensFile, atomically: true, encoding: .utf8)
        #expect {
            _ = try TokenSet(path: tokensFile)
        } throws: { "\($0)".contains("tokens:1:") }

        let running = try await Self.start {
            $0.host = "127.0.0.1"
            $0.tokens = tokens
        }
        defer { Task { await running.stop() } }
        let none = try await Self.request("\(running.base)/v1/hosts/example.cn")
        #expect(none.status == 401)
        #expect(none.header("www-authenticate") == "Bearer")
        #expect((none.json["error"] as? [String: Any])?["code"] as? String == "unauthorized")
        let wrong = try await Self.request("\(running.base)/v1/hosts/example.cn", headers: [("Authorization", "Bearer nope")])
        #expect(wrong.status == 401)
        let right = try await Self.request("\(running.base)/v1/hosts/example.cn", headers: [("Authorization", "Bearer \(made.token)")])
        #expect(right.status == 200)
        let query = try await Self.request("\(running.base)/isp_querybeianstatus?domain=example.cn")
        #expect(query.status == 401 && query.text.contains("<msg_code>12</msg_code>"))
        let metrics = try await Self.request("\(running.base)/metrics")
        #expect(metrics.status == 401)
        // Health and readiness stay open for load balancers.
        #expect(try await Self.request("\(running.base)/healthz").status == 200)
        #expect(try await Self.request("\(running.base)/readyz").status == 200)
        // The access log names the token, never the token itself.
        try await Task.sleep(for: .milliseconds(100))
        #expect(running.lines.text.contains("token=provisioning"))
        #expect(!running.lines.text.contains(made.token))
    }

    @Test func tlsWhenACertificateIsGiven() async throws {
        let directory = try Fixtures.temporaryDirectory()
        let key = directory.appendingPathComponent("key.pem").path
        let certificate = directory.appendingPathComponent("cert.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", certificate,
            "-days", "2", "-subj", "/CN=localhost",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)
        let running = try await Self.start { $0.tls = (certificate, key) }
        defer { Task { await running.stop() } }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = HTTPClient(configuration: .init(tlsConfiguration: tls))
        let answer = try await Self.request("\(running.base)/v1/hosts/example.cn", client: client)
        try await client.shutdown()
        #expect(running.base.hasPrefix("https://"))
        #expect(answer.status == 200)
        // A key that is not a key: a clear error naming the file.
        await #expect {
            _ = try await Self.start { $0.tls = (certificate, certificate) }
        } throws: { "\($0)".contains("cert.pem") }
    }

    // MARK: Reloads and metrics

    @Test func aReplacedSnapshotIsTakenAndADamagedOneRefused() async throws {
        let directory = try Fixtures.temporaryDirectory()
        let live = directory.appendingPathComponent("live.beianidx").path
        try FileManager.default.copyItem(atPath: try #require(Self.sample?.path), toPath: live)
        let running = try await Self.start(index: live) { $0.fileCheckInterval = .milliseconds(100) }
        defer { Task { await running.stop() } }
        func ready() async throws -> [String: Any] { try await Self.request("\(running.base)/readyz").json }
        let first = try await ready()
        #expect(first["status"] as? String == "ready")

        // A newer build, renamed into place as `index build -o` does.
        var options = IndexBuildOptions()
        options.buildTime = try Timestamp.parse("2030-01-01T00:00:00Z")
        let newer = try buildIndex(sampleRegistry(), options: options).path
        try FileManager.default.copyItem(atPath: newer, toPath: live + ".new")
        #expect(rename(live + ".new", live) == 0)
        var index = [String: Any]()
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            index = try await ready()["index"] as? [String: Any] ?? [:]
            if index["built"] as? String == "2030-01-01T00:00:00Z" { break }
        }
        #expect(index["built"] as? String == "2030-01-01T00:00:00Z")
        #expect((index["sources"] as? [[String: Any]])?.count == 3)

        // Cut in half: refused, the newer one goes on serving.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: newer))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: live + ".new"))
        #expect(rename(live + ".new", live) == 0)
        var reloads = [String: Any]()
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            reloads = try await ready()["reloads"] as? [String: Any] ?? [:]
            if reloads["refused"] as? Int == 1 { break }
        }
        #expect(reloads["refused"] as? Int == 1)
        #expect(reloads["taken"] as? Int == 1)
        #expect((try await ready()["index"] as? [String: Any])?["built"] as? String == "2030-01-01T00:00:00Z")
        #expect(running.lines.text.contains("index refused"))
        #expect(try await Self.request("\(running.base)/v1/hosts/example.cn").status == 200)
        // Asked (SIGHUP) with the damaged file still there: refused again, not taken.
        running.service.requestReload()
        for _ in 0..<50 where (try await ready()["reloads"] as? [String: Any])?["refused"] as? Int != 2 {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect((try await ready()["reloads"] as? [String: Any])?["refused"] as? Int == 2)

        let metrics = try await Self.request("\(running.base)/metrics").text
        #expect(metrics.contains("beian_index_reloads_total{outcome=\"refused\"} 2"))
        #expect(metrics.contains("beian_index_reloads_total{outcome=\"taken\"} 1"))
        #expect(metrics.contains("beian_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"}"))
        #expect(metrics.contains("beian_http_requests_total{route=\"/v1/hosts/{host}\",method=\"GET\",status=\"200\"} 1"))
        #expect(
            metrics.contains(
                "beian_http_request_duration_seconds_bucket{route=\"/v1/hosts/{host}\",method=\"GET\",status=\"200\",le=\"0.001\"}"))
        #expect(metrics.contains("beian_index_build_time_seconds 1893456000"))
    }

    @Test func requestsInFlightFinishOnTheIndexTheyStartedWith() async throws {
        let directory = try Fixtures.temporaryDirectory()
        let live = directory.appendingPathComponent("live.beianidx").path
        try FileManager.default.copyItem(atPath: try #require(Self.sample?.path), toPath: live)
        let running = try await Self.start(index: live) {
            $0.fileCheckInterval = nil
            $0.segmentLines = 1000
        }
        defer { Task { await running.stop() } }
        let names = try Self.names()
        let body = Array((0..<40).flatMap { _ in names }.joined(separator: "\n").utf8)
        // Batches running while the index is loaded again and again: every line answered.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let answer = try await Self.request("\(running.base)/v1/check", method: .POST, body: body)
                    #expect(answer.status == 200)
                    return answer.text.split(separator: "\n").count
                }
            }
            group.addTask {
                for _ in 0..<5 {
                    running.service.requestReload()
                    try await Task.sleep(for: .milliseconds(50))
                }
                return -1
            }
            for try await count in group where count >= 0 { #expect(count == names.count * 40) }
        }
        #expect(running.service.holder.record.reloads >= 1)
    }
}
