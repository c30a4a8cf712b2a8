import BeianCore

/// Link layers down to the IP packet: Ethernet (Ethernet II and 802.3 with LLC/SNAP) with
/// any stack of 802.1Q/802.1ad tags, Cisco TrustSec metadata, MPLS label stacks (with or
/// without a pseudowire control word), NSH service chains and PPPoE sessions; Linux cooked
/// captures v1 and v2, raw IP, BSD loopback, PPP, Linux NFLOG; and IEEE 802.11 data frames,
/// bare or behind radiotap, PPI, Prism or AVS headers. Stateless: the decoder and the
/// pipeline's shard hasher both use it.
enum LinkLayer {
    enum Outcome {
        case ip(UnsafeRawBufferPointer)
        /// An 802.11 aggregate (A-MSDU): subframes, each with its own LLC header
        /// (`Wireless.subframes`).
        case aggregate(UnsafeRawBufferPointer)
        case failure(MalformedReason)
    }

    enum Kind {
        case known
        case unknownLink
    }

    /// VLAN tags, MPLS labels, metadata and service headers followed at most.
    static let maximumTags = 16

    static func classify(_ link: LinkType) -> Kind {
        switch link {
        case .ethernet, .raw, .rawBSD12, .rawBSD14, .ipv4, .ipv6, .linuxSLL, .linuxSLL2, .null, .loop, .ppp, .pppHDLC, .nflog,
            .ieee80211, .ieee80211Radiotap, .ieee80211Prism, .ieee80211AVS, .ppi:
            .known
        default: .unknownLink
        }
    }

    static func network(_ packet: UnsafeRawBufferPointer, link: LinkType) -> Outcome {
        switch link {
        case .ethernet: return ethernet(packet)
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
        case .ppp, .pppHDLC: return pppFrame(packet)
        case .nflog: return nflog(packet)
        case .ieee80211: return Wireless.frame(packet, framing: .init())
        case .ieee80211Radiotap: return Wireless.radiotap(packet)
        case .ieee80211Prism: return Wireless.prism(packet)
        case .ieee80211AVS: return Wireless.avs(packet)
        case .ppi: return Wireless.ppi(packet)
        default: return .failure(.unknownLinkType)
        }
    }

    /// An Ethernet frame: destination, source, then an EtherType or an 802.3 length.
    static func ethernet(_ frame: UnsafeRawBufferPointer) -> Outcome {
        guard frame.count >= 14 else { return .failure(.truncatedLinkHeader) }
        return etherType(frame.u16(12), frame.slice(14, frame.count))
    }

    /// Follows VLAN tags, Cisco metadata, MPLS labels, NSH, LLC/SNAP and PPPoE from an
    /// EtherType to IP.
    static func etherType(_ type: UInt16, _ payload: UnsafeRawBufferPointer) -> Outcome {
        var type = type
        var payload = payload
        var offset = 0
        var tags = 0
        while true {
            guard tags <= maximumTags else { return .failure(.truncatedLinkHeader) }
            tags += 1
            switch type {
            case 0x0800, 0x86DD: return .ip(payload.slice(offset, payload.count))
            case 0x8100, 0x88A8, 0x9100, 0x9200:
                guard payload.count >= offset + 4 else { return .failure(.truncatedLinkHeader) }
                type = payload.u16(offset + 2)
                offset += 4
            case 0...1500:
                // 802.3: a length, then an LLC header; SNAP names the EtherType.
                guard let next = llc(payload.slice(offset, payload.count)) else { return .failure(.unsupportedNetworkProtocol) }
                (type, offset) = (next.type, offset + next.length)
            case 0x8909:
                // Cisco TrustSec metadata: version, length, option, security group tag, EtherType.
                guard payload.count >= offset + 8 else { return .failure(.truncatedLinkHeader) }
                type = payload.u16(offset + 6)
                offset += 8
            case 0x894F:
                // Network Service Header (RFC 8300): version 0, its length in 4-byte words
                // (six with MD type 1's fixed context), then the next protocol.
                guard payload.count >= offset + 8 else { return .failure(.truncatedLinkHeader) }
                let length = Int(payload[offset + 1] & 0x3F) * 4
                let metadataType = payload[offset + 2] & 0x0F
                guard payload[offset] >> 6 == 0, length >= 8, metadataType != 1 || length == 24, payload.count >= offset + length,
                    let next = nextProtocol(payload[offset + 3], payload.slice(offset + length, payload.count))
                else { return .failure(.unsupportedNetworkProtocol) }
                (type, payload, offset) = (next.type, next.payload, 0)
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
                    type = payload.u16(offset + 4 + 12)
                    offset += 4 + 14
                default: return .failure(.unsupportedNetworkProtocol)
                }
            case 0x8864:
                guard payload.count >= offset + 8 else { return .failure(.truncatedLinkHeader) }
                return ppp(payload.u16(offset + 6), payload.slice(offset + 8, payload.count))
            default: return .failure(.unsupportedNetworkProtocol)
            }
        }
    }

    /// The protocol after an NSH or VXLAN-GPE header, by its "next protocol" number (IPv4 1,
    /// IPv6 2, Ethernet 3, NSH 4, MPLS 5), as an EtherType and the bytes it names.
    static func nextProtocol(_ number: UInt8, _ payload: UnsafeRawBufferPointer) -> (type: UInt16, payload: UnsafeRawBufferPointer)? {
        switch number {
        case 1: return (0x0800, payload)
        case 2: return (0x86DD, payload)
        case 3:
            guard payload.count >= 14 else { return nil }
            return (payload.u16(12), payload.slice(14, payload.count))
        case 4: return (0x894F, payload)
        case 5: return (0x8847, payload)
        default: return nil
        }
    }

    /// An 802.2 LLC header: SNAP (AA AA 03, an OUI and an EtherType) or the IP SAP (06 06 03).
    /// The EtherType it names and the header's length.
    static func llc(_ bytes: UnsafeRawBufferPointer) -> (type: UInt16, length: Int)? {
        guard bytes.count >= 3 else { return nil }
        if bytes[0] == 0xAA && bytes[1] == 0xAA && bytes[2] == 0x03 {
            guard bytes.count >= 8 else { return nil }
            return (bytes.u16(6), 8)
        }
        if bytes[0] == 0x06 && bytes[1] == 0x06 && bytes[2] == 0x03 { return (0x0800, 3) }
        return nil
    }

    /// What follows an LLC header at the start of `bytes` (an 802.11 body, an A-MSDU subframe).
    static func afterLLC(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let next = llc(bytes) else { return .failure(.unsupportedNetworkProtocol) }
        return etherType(next.type, bytes.slice(next.length, bytes.count))
    }

    static func ppp(_ proto: UInt16, _ payload: UnsafeRawBufferPointer) -> Outcome {
        switch proto {
        case 0x0021, 0x0057: .ip(payload)
        default: .failure(.unsupportedNetworkProtocol)
        }
    }

    /// A PPP frame: an optional address and control field (FF 03), then a protocol of two
    /// bytes or, compressed, one (an odd first byte).
    static func pppFrame(_ frame: UnsafeRawBufferPointer) -> Outcome {
        var offset = 0
        if frame.count >= 2 && frame[0] == 0xFF && frame[1] == 0x03 { offset = 2 }
        guard frame.count > offset else { return .failure(.truncatedLinkHeader) }
        if frame[offset] & 0x01 != 0 { return ppp(UInt16(frame[offset]), frame.slice(offset + 1, frame.count)) }
        guard frame.count >= offset + 2 else { return .failure(.truncatedLinkHeader) }
        return ppp(frame.u16(offset), frame.slice(offset + 2, frame.count))
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
