public import BeianCore

/// Why a packet, or a part of one, was not used. Each is counted, never fatal.
public enum MalformedReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    case truncatedLinkHeader
    case unknownLinkType
    case unsupportedNetworkProtocol
    case truncatedIPv4Header
    case badIPv4Header
    case truncatedIPv6Header
    case badIPv6ExtensionHeader
    case truncatedTransportHeader
    case badTCPHeader
    case badUDPLength
    case badGTPHeader
    case tunnelTooDeep
    case fragmentOverflow
    case fragmentsDropped
    case badTLSRecord
    case badClientHello
    case badHTTPRequest
    case badHostName
    case badDNSMessage
    case badQUICPacket
    case quicDecryptionFailed
    case badQUICFrames
    case wirelessWithoutData
    case encryptedWireless
    case badHTTP2

    public var description: String {
        switch self {
        case .truncatedLinkHeader: "truncated link header"
        case .unknownLinkType: "unknown link type"
        case .unsupportedNetworkProtocol: "network protocol not IPv4 or IPv6"
        case .truncatedIPv4Header: "truncated IPv4 header"
        case .badIPv4Header: "bad IPv4 header (version, header or total length)"
        case .truncatedIPv6Header: "truncated IPv6 header"
        case .badIPv6ExtensionHeader: "bad or too many IPv6 extension headers"
        case .truncatedTransportHeader: "truncated TCP/UDP header"
        case .badTCPHeader: "bad TCP header length"
        case .badUDPLength: "bad UDP length"
        case .badGTPHeader: "bad GTP-U header"
        case .tunnelTooDeep: "tunnels nested too deep"
        case .fragmentOverflow: "IP fragments beyond the largest datagram"
        case .fragmentsDropped: "IP fragments never completed (evicted)"
        case .badTLSRecord: "bad TLS record"
        case .badClientHello: "bad TLS ClientHello"
        case .badHTTPRequest: "bad HTTP request head"
        case .badHostName: "host name with invalid characters"
        case .badDNSMessage: "bad DNS message"
        case .badQUICPacket: "bad QUIC Initial packet"
        case .quicDecryptionFailed: "QUIC Initial that does not decrypt with its Initial keys"
        case .badQUICFrames: "bad frames in a QUIC Initial"
        case .wirelessWithoutData: "802.11 frame without data (management, control, null)"
        case .encryptedWireless: "protected (encrypted) 802.11 frame"
        case .badHTTP2: "bad HTTP/2 frame or header block (h2c)"
        }
    }
}

/// What a decoder saw: packets, bytes, observations by protocol, and everything it could
/// not use, by reason. Workers keep their own and add them up at the end.
public struct PacketStatistics: Sendable, Equatable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var ipv4: UInt64 = 0
    public var ipv6: UInt64 = 0
    public var tcp: UInt64 = 0
    public var udp: UInt64 = 0
    public var tunnelled: UInt64 = 0
    public var fragments: UInt64 = 0
    public var reassembledDatagrams: UInt64 = 0
    /// Observations by protocol, in `Observation.AppProtocol.allCases` order.
    public var observations: [UInt64] = Array(repeating: 0, count: Observation.AppProtocol.allCases.count)
    /// Malformed packets or parts, by `MalformedReason.rawValue`.
    public var malformed: [UInt64] = Array(repeating: 0, count: MalformedReason.allCases.count)
    /// Unknown link types seen, with their packet counts.
    public var unknownLinkTypes: [UInt32: UInt64] = [:]
    /// TLS hellos and HTTP heads whose client stream had a gap or outgrew the limit: no
    /// name is reported for them (never a guessed one).
    public var reassemblyFailures: UInt64 = 0
    /// Streams given up because the table was full or they went idle.
    public var evictedStreams: UInt64 = 0
    /// TLS ClientHellos without a server name.
    public var hellosWithoutName: UInt64 = 0
    /// ClientHellos carrying an encrypted ClientHello (the outer name is reported).
    public var encryptedHellos: UInt64 = 0
    /// QUIC Initials decrypted.
    public var quicInitials: UInt64 = 0

    public init() {}

    public mutating func count(_ reason: MalformedReason) { malformed[reason.rawValue] &+= 1 }

    public func count(of reason: MalformedReason) -> UInt64 { malformed[reason.rawValue] }

    public func count(of appProtocol: Observation.AppProtocol) -> UInt64 {
        observations[appProtocol.index]
    }

    public var malformedTotal: UInt64 { malformed.reduce(0, &+) }

    public static func + (lhs: PacketStatistics, rhs: PacketStatistics) -> PacketStatistics {
        var sum = lhs
        sum.packets &+= rhs.packets
        sum.bytes &+= rhs.bytes
        sum.ipv4 &+= rhs.ipv4
        sum.ipv6 &+= rhs.ipv6
        sum.tcp &+= rhs.tcp
        sum.udp &+= rhs.udp
        sum.tunnelled &+= rhs.tunnelled
        sum.fragments &+= rhs.fragments
        sum.reassembledDatagrams &+= rhs.reassembledDatagrams
        for index in sum.observations.indices { sum.observations[index] &+= rhs.observations[index] }
        for index in sum.malformed.indices { sum.malformed[index] &+= rhs.malformed[index] }
        for (type, count) in rhs.unknownLinkTypes { sum.unknownLinkTypes[type, default: 0] &+= count }
        sum.reassemblyFailures &+= rhs.reassemblyFailures
        sum.evictedStreams &+= rhs.evictedStreams
        sum.hellosWithoutName &+= rhs.hellosWithoutName
        sum.encryptedHellos &+= rhs.encryptedHellos
        sum.quicInitials &+= rhs.quicInitials
        return sum
    }
}
