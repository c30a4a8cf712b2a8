import BeianCore

/// The server name of a TLS ClientHello, from the start of a TCP client stream (records) or
/// from a QUIC CRYPTO stream (handshake messages without records).
enum TLSClientHello {
    struct Hello: Equatable {
        /// The `server_name` extension's host name (the outer name when `ech`).
        var serverName: String?
        /// An `encrypted_client_hello` extension is present.
        var ech: Bool
    }

    enum Outcome: Equatable {
        case hello(Hello)
        /// The stream must hold at least this many bytes before the hello can be read.
        case needMore(Int)
        case invalid(MalformedReason)
    }

    /// The largest ClientHello accepted (the handshake length field allows 16 MiB).
    static let maximumHelloLength = 1 << 16
    static let handshakeRecord: UInt8 = 0x16
    static let clientHelloType: UInt8 = 0x01
    static let serverNameExtension: UInt16 = 0x0000
    static let encryptedClientHelloExtension: UInt16 = 0xFE0D

    /// Whether a TCP segment starting a stream looks like a TLS handshake record carrying a
    /// ClientHello (the stateless test every payload packet gets).
    @inline(__always)
    static func looksLikeStart(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.count >= 6 && bytes[0] == handshakeRecord && bytes[1] == 0x03 && bytes[2] <= 0x04 && bytes[5] == clientHelloType {
            return true
        }
        // The second hello after a HelloRetryRequest follows a ChangeCipherSpec record.
        return startsWithChangeCipherSpec(bytes) && bytes.count >= 12 && bytes[6] == handshakeRecord && bytes[11] == clientHelloType
    }

    /// A TLS 1.3 compatibility ChangeCipherSpec record (`14 03 03 00 01 01`).
    @inline(__always)
    static func startsWithChangeCipherSpec(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 6 && bytes[0] == 0x14 && bytes[1] == 0x03 && bytes.u16(3) == 1 && bytes[5] == 1
    }

    /// Reads the hello from TLS records at the start of `stream` (after a ChangeCipherSpec
    /// record when there is one).
    static func fromRecords(_ stream: UnsafeRawBufferPointer) -> Outcome {
        if startsWithChangeCipherSpec(stream) {
            switch fromRecords(stream.slice(6, stream.count)) {
            case .needMore(let count): return .needMore(count + 6)
            case let other: return other
            }
        }
        guard stream.count >= 9 else { return .needMore(9) }
        guard looksLikeStart(stream) else { return .invalid(.badTLSRecord) }
        let firstLength = Int(stream.u16(3))
        let helloLength = Int(stream.u32(5) & 0x00FF_FFFF)
        guard firstLength > 0, firstLength <= 16_384 + 2_048 else { return .invalid(.badTLSRecord) }
        guard helloLength <= maximumHelloLength else { return .invalid(.badClientHello) }
        let needed = helloLength + 4
        if firstLength >= needed {
            guard stream.count >= 5 + needed else { return .needMore(5 + needed) }
            return parse(handshake: stream.slice(5, 5 + needed))
        }
        // The hello continues in further handshake records: gather the fragments.
        var message: [UInt8] = []
        message.reserveCapacity(needed)
        var offset = 0
        while message.count < needed {
            guard stream.count >= offset + 5 else { return .needMore(offset + 5) }
            guard stream[offset] == handshakeRecord, stream[offset + 1] == 0x03 else { return .invalid(.badTLSRecord) }
            let length = Int(stream.u16(offset + 3))
            guard length > 0, length <= 16_384 + 2_048 else { return .invalid(.badTLSRecord) }
            let take = min(length, needed - message.count)
            guard stream.count >= offset + 5 + take else { return .needMore(offset + 5 + take) }
            message.append(contentsOf: stream.slice(offset + 5, offset + 5 + take))
            offset += 5 + length
        }
        return message.withUnsafeBytes { parse(handshake: $0) }
    }

    /// Reads the hello from a handshake message (type, 24-bit length, body).
    static func parse(handshake: UnsafeRawBufferPointer) -> Outcome {
        guard handshake.count >= 4 else { return .needMore(4) }
        guard handshake[0] == clientHelloType else { return .invalid(.badClientHello) }
        let length = Int(handshake.u32(0) & 0x00FF_FFFF)
        guard length <= maximumHelloLength else { return .invalid(.badClientHello) }
        guard handshake.count >= 4 + length else { return .needMore(4 + length) }
        let body = handshake.slice(4, 4 + length)
        // version (2), random (32), session id, cipher suites, compression methods.
        var offset = 34
        guard body.count >= offset + 1 else { return .invalid(.badClientHello) }
        offset += 1 + Int(body[offset])
        guard body.count >= offset + 2 else { return .invalid(.badClientHello) }
        offset += 2 + Int(body.u16(offset))
        guard body.count >= offset + 1 else { return .invalid(.badClientHello) }
        offset += 1 + Int(body[offset])
        var hello = Hello(serverName: nil, ech: false)
        if offset == body.count { return .hello(hello) }  // no extensions (SSL 3.0 style)
        guard body.count >= offset + 2 else { return .invalid(.badClientHello) }
        let extensionsEnd = offset + 2 + Int(body.u16(offset))
        guard extensionsEnd <= body.count else { return .invalid(.badClientHello) }
        offset += 2
        while offset + 4 <= extensionsEnd {
            let type = body.u16(offset)
            let size = Int(body.u16(offset + 2))
            let start = offset + 4
            guard start + size <= extensionsEnd else { return .invalid(.badClientHello) }
            switch type {
            case serverNameExtension:
                guard let name = serverName(body.slice(start, start + size)) else { return .invalid(.badHostName) }
                hello.serverName = name
            case encryptedClientHelloExtension:
                hello.ech = true
            default: break
            }
            offset = start + size
        }
        return .hello(hello)
    }

    /// The host_name entry of a server_name extension; "" when there is none.
    private static func serverName(_ data: UnsafeRawBufferPointer) -> String? {
        guard data.count >= 2 else { return nil }
        let listEnd = min(data.count, 2 + Int(data.u16(0)))
        var offset = 2
        while offset + 3 <= listEnd {
            let type = data[offset]
            let length = Int(data.u16(offset + 1))
            guard offset + 3 + length <= listEnd else { return nil }
            // A name with a port ("server4:443", seen in the wild) gives its host.
            if type == 0 { return HostName.fromAuthority(data.slice(offset + 3, offset + 3 + length)) }
            offset += 3 + length
        }
        return ""
    }
}
