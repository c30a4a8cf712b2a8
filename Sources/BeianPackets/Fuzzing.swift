import BeianCore

/// Entry points for the fuzz targets (`Fuzz/`): each hands arbitrary bytes to one reader of
/// this module the way the decoder does, and returns what it made of them (for the target to
/// check the reader's own invariants).
package enum PacketFuzzing {
    /// A TLS handshake stream from its first byte: the hello's server name, or nil.
    package static func tlsClientHello(_ bytes: UnsafeRawBufferPointer) -> String? {
        if case .hello(let hello) = TLSClientHello.parse(handshake: bytes) { return hello.serverName ?? "" }
        return nil
    }

    /// An HTTP request head: its host, or nil.
    package static func httpRequest(_ bytes: UnsafeRawBufferPointer) -> String? {
        if case .head(let head) = HTTPRequest.parse(bytes) { return head.host ?? "" }
        return nil
    }

    /// A DNS message: how many name-to-address bindings it holds, or nil when it is refused.
    package static func dnsMessage(_ bytes: UnsafeRawBufferPointer) -> Int? {
        DNSMessage.bindings(bytes)?.count
    }

    /// UDP datagrams of one flow, as QUIC: each is looked at for client Initials, decrypted
    /// with the keys its Destination Connection ID gives, and its CRYPTO frames assembled into
    /// a hello. Returns the number of hellos read.
    package static func quicDatagrams(_ datagrams: [UnsafeRawBufferPointer]) -> Int {
        var table = QUICTable(capacity: 16)
        let key = FlowKey(
            source: .v4(IPv4Address(0x0A00_0001)), destination: .v4(IPv4Address(0x0A00_0002)), sourcePort: 50_000, destinationPort: 443)
        var hellos = 0
        for (index, datagram) in datagrams.enumerated() {
            if case .hello = table.datagram(datagram, key: key, now: Int64(index)) { hellos += 1 }
        }
        return hellos
    }

    /// Decrypted Initial payloads of one connection (as the fuzzer writes them: decryption
    /// itself cannot be reached with random bytes): their CRYPTO frames placed in the stream,
    /// then the hello read from it as the QUIC table does. Returns whether a hello was read.
    package static func quicPlaintexts(_ plaintexts: [[UInt8]], version: UInt32) -> Bool {
        var crypto = StreamAssembly(limit: TLSClientHello.maximumHelloLength)
        for plaintext in plaintexts {
            guard let frames = QUICInitial.cryptoFrames(plaintext, version: version) else { return false }
            for frame in frames { frame.bytes.withUnsafeBytes { crypto.insert($0, at: frame.offset) } }
        }
        let available = crypto.contiguous
        guard available >= 4 else { return false }
        if case .hello = crypto.bytes.withUnsafeBytes({ TLSClientHello.parse(handshake: $0.slice(0, available)) }) { return true }
        return false
    }

    /// HPACK header blocks decoded in order by one decoder (the dynamic table carried from
    /// block to block). Returns the fields decoded, or nil when a block is refused.
    package static func hpackBlocks(_ blocks: [UnsafeRawBufferPointer]) -> Int? {
        var decoder = HPACKDecoder()
        var fields = 0
        for block in blocks {
            guard decoder.decode(block, { _, _ in fields += 1 }) else { return nil }
        }
        return fields
    }

    /// An HTTP/1.x response head and a chunked body after it: the body's length when whole.
    package static func httpResponse(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard case .head(let head) = HTTPResponseHead.parse(bytes) else { return nil }
        guard case .some(.some(let whole)) = HTTPResponseHead.dechunk(bytes.slice(head.headLength, bytes.count), limit: 1 << 16)
        else { return nil }
        return whole.body.count
    }

    /// An h2c connection through the whole decoder: the pieces are TCP segments, client and
    /// server in turn (the client's first starts with the preface). Returns the observations.
    package static func h2cConnection(_ pieces: [UnsafeRawBufferPointer]) -> Int {
        var decoder = PacketDecoder()
        decoder.begin(file: "fuzz")
        let client = IPAddress.v4(IPv4Address(0xB780_0001))
        let server = IPAddress.v4(IPv4Address(0x7001_1001))
        var sequences: [UInt32] = [1000, 9000]
        var number: UInt64 = 0
        for (index, piece) in pieces.enumerated() {
            let toServer = index % 2 == 0
            let payload = (index == 0 ? Array("\(HTTP2.preface)".utf8) : []) + Array(piece)
            var segment: [UInt8] = toServer ? [0x9C, 0x40, 0x1F, 0x90] : [0x1F, 0x90, 0x9C, 0x40]
            let sequence = sequences[toServer ? 0 : 1]
            segment += [UInt8(sequence >> 24), UInt8((sequence >> 16) & 0xFF), UInt8((sequence >> 8) & 0xFF), UInt8(sequence & 0xFF)]
            segment += [0, 0, 0, 0, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0] + payload
            sequences[toServer ? 0 : 1] = sequence &+ UInt32(payload.count)
            number += 1
            segment.withUnsafeBytes { bytes in
                decoder.tcpForFuzzing(
                    bytes, source: toServer ? client : server, destination: toServer ? server : client, now: Int64(number), number: number)
            }
        }
        decoder.finish()
        return decoder.observations.count
    }
}
