import BeianCore
import Foundation
import Testing

@testable import BeianPackets

@Suite struct HPACKTests {
    func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    func decode(_ decoder: inout HPACKDecoder, _ block: [UInt8]) -> [String]? {
        var fields: [String] = []
        let ok = block.withUnsafeBytes { bytes in
            decoder.decode(bytes) { fields.append(String(decoding: $0, as: UTF8.self) + ": " + String(decoding: $1, as: UTF8.self)) }
        }
        return ok ? fields : nil
    }

    /// RFC 7541 C.4: three requests with Huffman-coded strings, each leaning on the dynamic
    /// table the ones before filled.
    @Test func theRFCRequestExamplesWithHuffman() {
        var decoder = HPACKDecoder()
        #expect(
            decode(&decoder, hex("828684418cf1e3c2e5f23a6ba0ab90f4ff"))
                == [":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"])
        #expect(
            decode(&decoder, hex("828684be5886a8eb10649cbf"))
                == [":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com", "cache-control: no-cache"])
        #expect(
            decode(&decoder, hex("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"))
                == [":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com", "custom-key: custom-value"])
    }

    @Test func malformedBlocksAreRefused() {
        var decoder = HPACKDecoder()
        // An index beyond both tables.
        #expect(decode(&decoder, [0xFF, 0x00]) == nil)
        // A table size update beyond the largest accepted.
        #expect(decode(&decoder, [0x3F, 0xE1, 0xFF, 0x7F]) == nil)
        // An integer that does not end.
        #expect(decode(&decoder, [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == nil)
        // A string longer than the block.
        #expect(decode(&decoder, [0x40, 0x0A, 0x61]) == nil)
    }

    @Test func huffmanPaddingAndEOS() {
        // "a" is 00011 (5 bits): padded with three one bits it decodes, with zero bits not.
        #expect([UInt8(0b0001_1111)].withUnsafeBytes { HPACKDecoder.huffmanDecode($0) } == Array("a".utf8))
        #expect([UInt8(0b0001_1000)].withUnsafeBytes { HPACKDecoder.huffmanDecode($0) } == nil)
        // Eight bits of padding (a whole byte of ones) is too much; EOS (30 ones) is an error.
        #expect([UInt8(0b0001_1111), 0xFF].withUnsafeBytes { HPACKDecoder.huffmanDecode($0) } == nil)
        #expect([UInt8](repeating: 0xFF, count: 4).withUnsafeBytes { HPACKDecoder.huffmanDecode($0) } == nil)
    }

    @Test func aTableSizeOfZeroEmptiesTheTable() {
        var decoder = HPACKDecoder()
        // custom-key: custom-value, indexed (62), then a size update to 0, then index 62.
        _ = decode(&decoder, [0x40, 0x0A] + Array("custom-key".utf8) + [0x0C] + Array("custom-value".utf8))
        #expect(decode(&decoder, [0xBE]) == ["custom-key: custom-value"])
        #expect(decode(&decoder, [0x20, 0xBE]) == nil)
    }
}

@Suite struct HTTP2DecoderTests {
    let client: UInt32 = 0xB780_0001  // 183.128.0.1
    let server: UInt32 = 0x7001_1001  // 112.1.16.1

    func frame(_ type: UInt8, _ flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        [UInt8(payload.count >> 16), UInt8((payload.count >> 8) & 0xFF), UInt8(payload.count & 0xFF), type, flags]
            + PacketBuilder.be32(stream) + payload
    }

    /// A header block of literal fields without indexing (names from the static table where
    /// they are there).
    func block(_ fields: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in fields {
            out += [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        return out
    }

    func request(_ authority: String, path: String = "/") -> [(String, String)] {
        [(":method", "GET"), (":scheme", "http"), (":path", path), (":authority", authority)]
    }

    /// The client's byte stream cut into segments of `size` bytes, then the server's (its
    /// answers after the requests, as causality has it).
    func run(client clientStream: [UInt8], server serverStream: [UInt8] = [], size: Int = 1460, port: Int = 8080) -> PacketDecoder {
        var decoder = PacketDecoder()
        decoder.begin(file: "test")
        var number: UInt64 = 0
        func send(_ frame: [UInt8]) {
            number += 1
            frame.withUnsafeBytes { decoder.decode($0, link: .raw, nanoseconds: Int64(number), number: number) }
        }
        send(PacketBuilder.ipv4(client, server, proto: 6, PacketBuilder.tcp(40000, port, seq: 99, flags: 0x02)))
        for offset in stride(from: 0, to: clientStream.count, by: size) {
            let piece = Array(clientStream[offset..<min(clientStream.count, offset + size)])
            send(
                PacketBuilder.ipv4(client, server, proto: 6, PacketBuilder.tcp(40000, port, seq: UInt32(100 + offset), flags: 0x18, piece)))
        }
        for offset in stride(from: 0, to: serverStream.count, by: size) {
            let piece = Array(serverStream[offset..<min(serverStream.count, offset + size)])
            send(
                PacketBuilder.ipv4(server, client, proto: 6, PacketBuilder.tcp(port, 40000, seq: UInt32(5000 + offset), flags: 0x18, piece))
            )
        }
        decoder.finish()
        return decoder
    }

    let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    let settings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]

    /// Prior knowledge: a request split over HEADERS and CONTINUATION, one with padding and
    /// priority, a DATA frame longer than what a stream holds skipped, all cut in small
    /// segments.
    @Test(arguments: [7, 100, 1460])
    func priorKnowledgeRequests(segmentSize: Int) {
        let first = block(request("one.example.cn"))
        var stream = preface + settings
        stream += frame(1, 0x00, stream: 1, Array(first[0..<10])) + frame(9, 0x04, stream: 1, Array(first[10...]))
        stream += frame(0, 0x01, stream: 1, [UInt8](repeating: 0x41, count: 20_000))
        let padded = [3] + [0, 0, 0, 0, 16] + block(request("two.example.cn", path: "/x")) + [0, 0, 0]
        stream += frame(1, 0x04 | 0x08 | 0x20 | 0x01, stream: 3, padded)
        let decoder = run(client: stream, size: segmentSize)
        #expect(decoder.observations.map(\.host) == ["one.example.cn", "two.example.cn"])
        #expect(decoder.observations.allSatisfy { $0.appProtocol == .http && $0.port == 8080 })
        #expect(decoder.statistics.count(of: .badHTTP2) == 0)
    }

    @Test func aBadHeaderBlockStopsTheConnection() {
        var stream = preface + settings
        stream += frame(1, 0x05, stream: 1, [0xFF, 0x00])  // an index beyond the tables
        stream += frame(1, 0x05, stream: 3, block(request("after.example.cn")))
        let decoder = run(client: stream)
        #expect(decoder.observations.isEmpty)
        #expect(decoder.statistics.count(of: .badHTTP2) == 1)
    }

    func dnsAnswer(_ name: String, _ address: [UInt8]) -> [UInt8] {
        let question = PacketBuilder.name(name) + [0, 1, 0, 1]
        return [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + question + [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4] + address
    }

    /// DNS over HTTP on h2c: the request marks its stream, the response's DATA frames (two,
    /// one padded) make the message.
    @Test func dnsOverH2C() {
        let answer = dnsAnswer("www.example.cn", [112, 1, 16, 9])
        let clientStream =
            preface + settings
            + frame(
                1, 0x05, stream: 1, block(request("doh.example.cn", path: "/dns-query?dns=AAAB") + [("accept", "application/dns-message")]))
        var serverStream = settings + frame(1, 0x04, stream: 1, block([(":status", "200")]))
        serverStream += frame(0, 0x00, stream: 1, Array(answer[0..<20]))
        serverStream += frame(0, 0x09, stream: 1, [2] + Array(answer[20...]) + [0, 0])
        let decoder = run(client: clientStream, server: serverStream, size: 13)
        let dns = decoder.observations.filter { $0.appProtocol == .dns }
        #expect(decoder.observations.map(\.host) == ["doh.example.cn", "www.example.cn"])
        #expect(dns.first?.address == .v4(IPv4Address(0x7001_1009)))
        #expect(dns.first?.client == .v4(IPv4Address(client)))
    }

    /// DNS over HTTP/1.1: a POST answered with a chunked body, then a GET answered with a
    /// length, on one connection; a response of another type in between is skipped.
    @Test func dnsOverHTTP1() {
        let first = dnsAnswer("a.example.cn", [112, 1, 16, 1])
        let second = dnsAnswer("b.example.cn", [112, 1, 16, 2])
        let clientStream = Array(
            ("POST /dns-query HTTP/1.1\r\nHost: doh.example.cn\r\nContent-Type: application/dns-message\r\nContent-Length: 4\r\n\r\nabcd"
                + "GET /index.html HTTP/1.1\r\nHost: doh.example.cn\r\n\r\n"
                + "GET /dns-query?dns=AAAB HTTP/1.1\r\nHost: doh.example.cn\r\nAccept: application/dns-message\r\n\r\n").utf8)
        var serverStream = Array("HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        serverStream += Array("a\r\n".utf8) + first[0..<10] + Array("\r\n\(String(first.count - 10, radix: 16))\r\n".utf8)
        serverStream += first[10...] + Array("\r\n0\r\n\r\n".utf8)
        serverStream += Array("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello".utf8)
        serverStream +=
            Array("HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nContent-Length: \(second.count)\r\n\r\n".utf8) + second
        let decoder = run(client: clientStream, server: serverStream, size: 17)
        #expect(decoder.observations.filter { $0.appProtocol == .dns }.map(\.host) == ["a.example.cn", "b.example.cn"])
        #expect(decoder.observations.filter { $0.appProtocol == .http }.count == 3)
    }

    /// `Upgrade: h2c`: the HTTP/1.1 request, the server's 101, then HTTP/2 both ways; the
    /// upgraded request (stream 1) asked for a DNS message, and a later request on stream 3.
    @Test func upgradeToH2C() {
        let answer = dnsAnswer("up.example.cn", [112, 1, 16, 3])
        var clientStream = Array(
            "GET /dns-query?dns=AAAB HTTP/1.1\r\nHost: doh.example.cn\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nAccept: application/dns-message\r\n\r\n"
                .utf8)
        clientStream += preface + settings + frame(1, 0x05, stream: 3, block(request("later.example.cn")))
        var serverStream = Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".utf8)
        serverStream += settings + frame(1, 0x04, stream: 1, block([(":status", "200")])) + frame(0, 0x01, stream: 1, answer)
        let decoder = run(client: clientStream, server: serverStream, size: 40)
        #expect(decoder.observations.map(\.host).sorted() == ["doh.example.cn", "later.example.cn", "up.example.cn"])
    }
}
