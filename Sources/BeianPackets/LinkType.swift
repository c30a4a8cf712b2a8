/// Link-layer header types of pcap and pcapng (the `LINKTYPE_` values of tcpdump.org).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    /// PPP with an optional address/control field, then a 16-bit protocol.
    public static let ppp = LinkType(rawValue: 9)
    /// Raw IP on some BSDs (DLT_RAW 12 and 14).
    public static let rawBSD12 = LinkType(rawValue: 12)
    public static let rawBSD14 = LinkType(rawValue: 14)
    public static let pppHDLC = LinkType(rawValue: 50)
    public static let pppEther = LinkType(rawValue: 51)
    public static let raw = LinkType(rawValue: 101)
    /// OpenBSD loopback: the address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let nflog = LinkType(rawValue: 239)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    public var description: String {
        switch self {
        case .null: "NULL/loopback"
        case .ethernet: "Ethernet"
        case .ppp: "PPP"
        case .rawBSD12, .rawBSD14, .raw: "raw IP"
        case .pppHDLC: "PPP in HDLC framing"
        case .pppEther: "PPPoE"
        case .loop: "OpenBSD loopback"
        case .linuxSLL: "Linux cooked v1"
        case .ipv4: "raw IPv4"
        case .ipv6: "raw IPv6"
        case .nflog: "Linux NFLOG"
        case .linuxSLL2: "Linux cooked v2"
        default: "link type \(rawValue)"
        }
    }
}
