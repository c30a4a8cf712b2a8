import BeianCore
import Crypto
import Foundation
import Testing

@testable import BeianPackets

typealias B = PacketBuilder

@Suite struct TLSClientHelloTests {
    @Test func oneRecord() {
        let stream = B.records(B.clientHello(host: "WWW.Example.COM."))
        let outcome = stream.withUnsafeBytes { TLSClientHello.fromRecords($0) }
        #expect(outcome == .hello(.init(serverName: "www.example.com", ech: false)))
    }

    @Test func helloOverThreeRecordsAndTruncations() {
        let stream = B.records(B.clientHello(host: "a.cn", padding: 3000), recordSize: 1000)
        #expect(stream.withUnsafeBytes { TLSClientHello.fromRecords($0) } == .hello(.init(serverName: "a.cn", ech: false)))
        // Every proper prefix asks for more bytes, never names a host.
        for cut in stride(from: 1, to: stream.count, by: 97) {
            let outcome = stream.withUnsafeBytes { TLSClientHello.fromRecords($0.slice(0, cut)) }
            guard case .needMore(let needed) = outcome else {
                Issue.record("prefix of \(cut) bytes gave \(outcome)")
                return
            }
            #expect(needed > cut)
        }
    }

    @Test func echAndChangeCipherSpecFirst() {
        let stream: [UInt8] = [0x14, 0x03, 0x03, 0x00, 0x01, 0x01] + B.records(B.clientHello(host: "public.example", ech: true))
        #expect(stream.withUnsafeBytes { TLSClientHello.looksLikeStart($0) })
        #expect(stream.withUnsafeBytes { TLSClientHello.fromRecords($0) } == .hello(.init(serverName: "public.example", ech: true)))
    }

    @Test func noServerNameAndBadNames() {
        #expect(
            B.records(B.clientHello(host: nil)).withUnsafeBytes { TLSClientHello.fromRecords($0) }
                == .hello(.init(serverName: nil, ech: false)))
        #expect(
            B.records(B.clientHello(host: "bad name")).withUnsafeBytes { TLSClientHello.fromRecords($0) } == .invalid(.badHostName))
        #expect(
            B.records(B.clientHello(host: "server4:443")).withUnsafeBytes { TLSClientHello.fromRecords($0) }
                == .hello(.init(serverName: "server4", ech: false)))
    }

    @Test func lengthsBeyondTheMessageAreRejected() {
        var message = B.clientHello(host: "a.cn")
        // The extensions' total length (after type, length, version, random, session id,
        // cipher suites and compression methods) past the end of the message.
        message[45] = 0xFF
        message[46] = 0xFF
        #expect(B.records(message).withUnsafeBytes { TLSClientHello.fromRecords($0) } == .invalid(.badClientHello))
    }
}

@Suite struct HTTPRequestTests {
    func parse(_ text: String) -> HTTPRequest.Outcome {
        Array(text.utf8).withUnsafeBytes { HTTPRequest.parse($0) }
    }

    /// The head expected for a whole request `text`.
    func expect(_ text: String, host: String, proxy: Bool = false, delimited: Bool = true) {
        #expect(parse(text) == .head(.init(host: host, proxy: proxy, length: delimited ? text.utf8.count : nil)), "\(text)")
    }

    @Test func hostHeaderWithPortAndCase() {
        expect("GET / HTTP/1.1\r\nhOST: WWW.Example.cn:8080\r\n\r\n", host: "www.example.cn")
    }

    @Test func absoluteFormAndConnectGoThroughAProxy() {
        expect("GET http://user@origin.cn:81/x HTTP/1.1\r\nHost: other.cn\r\n\r\n", host: "origin.cn", proxy: true)
        expect("CONNECT secure.cn:443 HTTP/1.1\r\nHost: secure.cn:443\r\n\r\n", host: "secure.cn", proxy: true, delimited: false)
        // A CONNECT without an authority is an ordinary (odd) request to its Host.
        expect("CONNECT / HTTP/1.1\r\nHost: plain.cn\r\n\r\n", host: "plain.cn")
    }

    @Test func ipv6LiteralAndMissingVersion() {
        expect("GET / HTTP/1.0\r\nHost: [2001:DB8::1]:80\r\n\r\n", host: "2001:db8::1")
        expect("OPTIONS\nHost: a.cn\n\n", host: "a.cn")
        expect("CCM_POST / \nHost: a.cn\n\n", host: "a.cn")
        expect("GET /HTTP/1.1\r\nHost: a.cn\r\n\r\n", host: "a.cn")
    }

    @Test func pipelinedRequestsAreDelimitedByContentLength() {
        let text = "POST /a HTTP/1.1\r\nHost: one.cn\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: two.cn\r\n\r\n"
        guard case .head(let first) = parse(text), let length = first.length else {
            Issue.record("first request not read")
            return
        }
        #expect(first.host == "one.cn")
        let rest = String(decoding: Array(text.utf8)[length...], as: UTF8.self)
        #expect(parse(rest) == .head(.init(host: "two.cn", proxy: false, length: rest.utf8.count)))
    }

    @Test func incompleteAndGarbage() {
        #expect(parse("GET / HTTP/1.1\r\nHost: a.cn\r\n") == .needMore)
        #expect(parse("get / HTTP/1.1\r\n\r\n") == .invalid(.badHTTPRequest))
        #expect(parse("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == .invalid(.badHostName))
        #expect(Array("SSH-2.0-OpenSSH".utf8).withUnsafeBytes { HTTPRequest.looksLikeStart($0) } == false)
        #expect(Array("GET /".utf8).withUnsafeBytes { HTTPRequest.looksLikeStart($0) })
    }
}

@Suite struct DNSMessageTests {
    /// A response for `www.a.cn` → CNAME `cdn.b.net` (compressed) → A 1.2.3.4 and AAAA.
    func response() -> [UInt8] {
        var m: [UInt8] = [0x12, 0x34, 0x81, 0x80] + B.be16(1) + B.be16(3) + B.be16(0) + B.be16(0)
        m += B.name("www.a.cn") + B.be16(1) + B.be16(1)
        m += [0xC0, 12] + B.be16(5) + B.be16(1) + B.be32(60)
        let target = B.name("cdn.b.net")
        m += B.be16(target.count) + target
        let cdn = 12 + B.name("www.a.cn").count + 4 + 12
        m += [0xC0, UInt8(cdn)] + B.be16(1) + B.be16(1) + B.be32(60) + B.be16(4) + [1, 2, 3, 4]
        m += [0xC0, UInt8(cdn)] + B.be16(28) + B.be16(1) + B.be32(60) + B.be16(16) + [0x24, 0x0E] + [UInt8](repeating: 0, count: 13) + [1]
        return m
    }

    @Test func cnameChainsBindEveryName() throws {
        let bindings = try #require(response().withUnsafeBytes { DNSMessage.bindings($0) })
        let pairs = Set(bindings.map { "\($0.name) \($0.address)" })
        #expect(pairs == ["cdn.b.net 1.2.3.4", "www.a.cn 1.2.3.4", "cdn.b.net 240e::1", "www.a.cn 240e::1"])
    }

    @Test func pointerLoopsAndTruncationAreRejected() {
        var looping: [UInt8] = [0, 1, 0x81, 0x80] + B.be16(0) + B.be16(1) + B.be16(0) + B.be16(0)
        looping += [0xC0, 12] + B.be16(1) + B.be16(1) + B.be32(1) + B.be16(4) + [1, 1, 1, 1]
        #expect(looping.withUnsafeBytes { DNSMessage.bindings($0) } == nil)
        // A cut message is refused or gives some of the true bindings, never others.
        let whole = response()
        let all = Set(whole.withUnsafeBytes { DNSMessage.bindings($0) }?.map { "\($0.name) \($0.address)" } ?? [])
        for cut in 0..<whole.count {
            let bindings = whole.withUnsafeBytes { DNSMessage.bindings($0.slice(0, cut)) }
            let seen = Set((bindings ?? []).map { "\($0.name) \($0.address)" })
            #expect(seen.isSubset(of: all), "cut at \(cut)")
        }
    }

    @Test func queriesBindNothing() {
        var query = response()
        query[2] = 0x01
        #expect(query.withUnsafeBytes { DNSMessage.bindings($0) } == [])
    }

    @Test func httpsRecordHints() throws {
        var m: [UInt8] = [0, 1, 0x81, 0x80] + B.be16(1) + B.be16(1) + B.be16(0) + B.be16(0)
        m += B.name("svc.cn") + B.be16(65) + B.be16(1)
        let rdata: [UInt8] = B.be16(1) + [0] + B.be16(4) + B.be16(8) + [10, 0, 0, 1, 10, 0, 0, 2]
        m += [0xC0, 12] + B.be16(65) + B.be16(1) + B.be32(60) + B.be16(rdata.count) + rdata
        let bindings = try #require(m.withUnsafeBytes { DNSMessage.bindings($0) })
        #expect(bindings.map { "\($0.name) \($0.address)" } == ["svc.cn 10.0.0.1", "svc.cn 10.0.0.2"])
    }
}

@Suite struct QUICInitialTests {
    func hex(_ keys: QUICInitial.Keys) -> [String] {
        [keys.key, keys.headerProtection].map { $0.withUnsafeBytes { Data($0).map { String(format: "%02x", $0) }.joined() } }
            + [keys.iv.map { String(format: "%02x", $0) }.joined()]
    }

    /// RFC 9001 Appendix A.1 and RFC 9369 Appendix A.1: the client's Initial keys for the
    /// Destination Connection ID 0x8394c8f03e515708.
    @Test func initialKeysMatchTheRFCVectors() throws {
        let id: [UInt8] = [0x83, 0x94, 0xC8, 0xF0, 0x3E, 0x51, 0x57, 0x08]
        let v1 = try #require(id.withUnsafeBytes { QUICInitial.keys(destinationID: $0, version: QUICInitial.version1) }.first)
        #expect(hex(v1) == ["1f369613dd76d5467730efcbe3b1a22d", "9f50449e04a0e810283a1e9933adedd2", "fa044b2f42a3fd3b46fb255c"])
        let v2 = try #require(id.withUnsafeBytes { QUICInitial.keys(destinationID: $0, version: QUICInitial.version2) }.first)
        #expect(hex(v2) == ["8b1a0bc121284290a29e0971b5cd045d", "45b95e15235d6f45a6b19cbcb0294ba9", "91f73e2351d8fa91660e909f"])
    }

    @Test func versionsAndVarints() {
        #expect(QUICInitial.salts(for: 0xFF00_001D) != nil)
        #expect(QUICInitial.salts(for: 0x1A2A_3A4A)?.count == 2)
        #expect(QUICInitial.salts(for: 0x5130_3530) == nil)  // Q050: no TLS inside
        // RFC 9000 Appendix A.1.
        let bytes: [UInt8] = [0x25, 0x7B, 0xBD, 0x9D, 0x7F, 0x3E, 0x7D, 0xC2, 0x19, 0x7C, 0x5E, 0xFF, 0x14, 0xE8, 0x8C]
        bytes.withUnsafeBytes { raw in
            #expect(QUICInitial.varint(raw, 0)?.0 == 37)
            #expect(QUICInitial.varint(raw, 1)?.0 == 15_293)
            #expect(QUICInitial.varint(raw, 3)?.0 == 494_878_333)
            #expect(QUICInitial.varint(raw, 7)?.0 == 151_288_809_941_952_652)
            #expect(QUICInitial.varint(raw, 14) == nil)
        }
    }
}

@Suite struct StreamAssemblyTests {
    @Test func outOfOrderOverlapsAndLimit() {
        var assembly = StreamAssembly(limit: 10)
        let data: [UInt8] = Array(0..<12)
        data.withUnsafeBytes { bytes in
            assembly.insert(bytes.slice(4, 8), at: 4)
            #expect(assembly.contiguous == 0)
            #expect(assembly.hasGap)
            assembly.insert(bytes.slice(0, 2), at: 0)
            #expect(assembly.contiguous == 2)
            assembly.insert(bytes.slice(1, 6), at: 1)
            #expect(assembly.contiguous == 8)
            assembly.insert(bytes.slice(8, 12), at: 8)
        }
        #expect(assembly.contiguous == 10)
        #expect(assembly.overflowed)
        #expect(Array(assembly.bytes) == Array(0..<10))
        assembly.drop(3)
        #expect(assembly.contiguous == 7)
        #expect(assembly.bytes.first == 3)
    }
}
