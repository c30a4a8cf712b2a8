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
}
