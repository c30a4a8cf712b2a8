import BeianCore

/// Link layers down to the IP packet: Ethernet with any stack of 802.1Q/802.1ad tags, MPLS
/// label stacks (with or without a pseudowire control word), PPPoE sessions, Linux cooked
/// captures v1 and v2, raw IP, BSD loopback, PPP and Linux NFLOG. Stateless: the decoder and
/// the pipeline's shard hasher both use it.
enum LinkLayer {
    enum Outcome {
        case ip(UnsafeRawBufferPointer)
        case failure(MalformedReason)
    }

    enum Kind {
        case known
        case unknownLink
    }

    /// VLAN tags and MPLS labels followed at most.
    static let maximumTags = 16

    static func classify(_ link: LinkType) -> Kind {
        switch link {
        case .ethernet, .raw, .rawBSD12, .rawBSD14, .ipv4, .ipv6, .linuxSLL, .linuxSLL2, .null, .loop, .ppp, .pppHDLC, .nflog: .known
        default: .unknownLink
        }
    }

    static func network(_ packet: UnsafeRawBufferPointer, link: LinkType) -> Outcome {
        switch link {
        case .ethernet:
            guard packet.count >= 14 else { return .failure(.truncatedLinkHeader) }
            return etherType(packet.u16(12), packet.slice(14, packet.count))
        case .raw, .rawBSD12, .rawBSD14, .ipv4, .ipv6: return .ip(packet)
        case .linuxSLL:
            guard packet.count >= 16 else { return .failure(.truncatedLinkHeader) }
            return etherType(packet.u16(14), packet.slice(16, packet.count))
        case .linuxSLL2:
            guard packet.count >= 20 else { return .failure(.truncatedLinkHeader) }
            return etherType(packet.u16(0), packet.slice(20, packet.count))
        case .null, .loop:
            guard packet.count >= 4 else { return .failure(.truncatedLinkHeader) }
            // The family is in the capturing host's byte order (NULL) or network order (LOOP):
            // IPv4 is 2 everywhere, IPv6 24, 28 or 30 depending on the BSD.
            let raw = packet.loadUnaligned(as: UInt32.self)
            let family = raw > 0xFFFF ? raw.byteSwapped : raw
            switch family {
            case 2, 24, 28, 30: return .ip(packet.slice(4, packet.count))
            default: return .failure(.unsupportedNetworkProtocol)
            }
        case .ppp, .pppHDLC:
            var offset = 0
            if packet.count >= 2 && packet[0] == 0xFF && packet[1] == 0x03 { offset = 2 }
            guard packet.count >= offset + 2 else { return .failure(.truncatedLinkHeader) }
            return ppp(packet.u16(offset), packet.slice(offset + 2, packet.count))
        case .nflog: return nflog(packet)
        default: return .failure(.unknownLinkType)
        }
    }

    /// Follows VLAN tags, MPLS labels and PPPoE from an EtherType to IP.
    static func etherType(_ type: UInt16, _ payload: UnsafeRawBufferPointer) -> Outcome {
        var type = type
        var offset = 0
        var tags = 0
        while true {
            switch type {
            case 0x0800, 0x86DD: return .ip(payload.slice(offset, payload.count))
            case 0x8100, 0x88A8, 0x9100, 0x9200:
                guard payload.count >= offset + 4, tags < maximumTags else { return .failure(.truncatedLinkHeader) }
                type = payload.u16(offset + 2)
                offset += 4
                tags += 1
            case 0x8847, 0x8848:
                // Labels until the bottom of the stack, then IP (by its version nibble) or a
                // pseudowire control word and Ethernet.
                while true {
                    guard payload.count >= offset + 4, tags < maximumTags else { return .failure(.truncatedLinkHeader) }
                    let bottom = payload[offset + 2] & 0x01 != 0
                    offset += 4
                    tags += 1
                    if bottom { break }
                }
                guard payload.count > offset else { return .failure(.truncatedLinkHeader) }
                switch payload[offset] >> 4 {
                case 4, 6: return .ip(payload.slice(offset, payload.count))
                case 0:
                    guard payload.count >= offset + 4 + 14 else { return .failure(.truncatedLinkHeader) }
                    let frame = payload.slice(offset + 4, payload.count)
                    type = frame.u16(12)
                    return etherType(type, frame.slice(14, frame.count))
                default: return .failure(.unsupportedNetworkProtocol)
                }
            case 0x8864:
                guard payload.count >= offset + 8 else { return .failure(.truncatedLinkHeader) }
                return ppp(payload.u16(offset + 6), payload.slice(offset + 8, payload.count))
            default: return .failure(.unsupportedNetworkProtocol)
            }
        }
    }

    static func ppp(_ proto: UInt16, _ payload: UnsafeRawBufferPointer) -> Outcome {
        switch proto {
        case 0x0021, 0x0057: .ip(payload)
        default: .failure(.unsupportedNetworkProtocol)
        }
    }

    /// NFLOG: a 4-byte header, then TLVs (length includes the 4-byte TLV header, host byte
    /// order, padded to 4); the packet is TLV type 9.
    static func nflog(_ packet: UnsafeRawBufferPointer) -> Outcome {
        guard packet.count >= 4 else { return .failure(.truncatedLinkHeader) }
        var offset = 4
        while offset + 4 <= packet.count {
            let length = Int(UInt16(littleEndian: packet.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            let type = UInt16(littleEndian: packet.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)) & 0x7FFF
            guard length >= 4, offset + length <= packet.count else { return .failure(.truncatedLinkHeader) }
            if type == 9 { return .ip(packet.slice(offset + 4, offset + length)) }
            offset += (length + 3) & ~3
        }
        return .failure(.unsupportedNetworkProtocol)
    }
}

/// Which worker a packet goes to: a hash of its address pair that does not depend on the
/// direction, taken from the packet inside GTP-U (mobile traffic shares a few tunnel
/// endpoints) and from the outer header otherwise (fragments included, so that every piece
/// of a datagram reaches the worker that puts it together). Cheaper than decoding: the
/// pipeline's reader runs it on every packet.
public struct ShardHasher: Sendable {
    private let gtpPorts: PortSet

    public init(configuration: PacketDecoder.Configuration = .init()) {
        gtpPorts = PortSet(configuration.gtpPorts)
    }

    public func hash(_ packet: UnsafeRawBufferPointer, link: LinkType) -> UInt64 {
        guard case .ip(let ip) = LinkLayer.network(packet, link: link) else { return 0 }
        return hash(ip: ip, depth: 0)
    }

    private func hash(ip: UnsafeRawBufferPointer, depth: Int) -> UInt64 {
        guard !ip.isEmpty else { return 0 }
        let source: IPAddress
        let destination: IPAddress
        var transport: UnsafeRawBufferPointer?
        switch ip[0] >> 4 {
        case 4:
            guard ip.count >= 20 else { return 0 }
            source = .v4(IPv4Address(ip.u32(12)))
            destination = .v4(IPv4Address(ip.u32(16)))
            let headerLength = Int(ip[0] & 0x0F) * 4
            if ip[9] == 17 && ip.u16(6) & 0x3FFF == 0 && headerLength >= 20 && ip.count >= headerLength + 8 {
                transport = ip.slice(headerLength, ip.count)
            }
        case 6:
            guard ip.count >= 40 else { return 0 }
            source = .v6(IPv6Address(ip.u128(8)))
            destination = .v6(IPv6Address(ip.u128(24)))
            if ip[6] == 17 && ip.count >= 48 { transport = ip.slice(40, ip.count) }
        default: return 0
        }
        if let udp = transport, depth < 2, gtpPorts.contains(udp.u16(0)) || gtpPorts.contains(udp.u16(2)),
            case .packet(let inner) = GTPU.userPacket(udp.slice(8, udp.count))
        {
            return hash(ip: inner, depth: depth + 1)
        }
        return PairHash.of(source, destination)
    }
}

/// GTP-U (3GPP TS 29.281): version 1 G-PDU messages carry a user's IP packet.
enum GTPU {
    enum Outcome {
        case packet(UnsafeRawBufferPointer)
        /// Echo, error indication, end marker.
        case noUserData
        case malformed
    }

    /// Extension headers followed at most.
    static let maximumExtensions = 8

    static func userPacket(_ message: UnsafeRawBufferPointer) -> Outcome {
        guard message.count >= 8, message[0] >> 5 == 1, message[0] & 0x10 != 0 else { return .malformed }
        guard message[1] == 0xFF else { return .noUserData }
        let end = min(message.count, 8 + Int(message.u16(2)))
        var offset = 8
        if message[0] & 0x07 != 0 {
            // Sequence number (2), N-PDU number (1), next extension header type (1).
            guard end >= 12 else { return .malformed }
            var next = message[11]
            offset = 12
            var extensions = 0
            while next != 0 {
                guard offset < end, extensions < maximumExtensions else { return .malformed }
                let length = Int(message[offset]) * 4
                guard length > 0, offset + length <= end else { return .malformed }
                next = message[offset + length - 1]
                offset += length
                extensions += 1
            }
        }
        guard offset < end else { return .noUserData }
        return .packet(message.slice(offset, end))
    }
}
