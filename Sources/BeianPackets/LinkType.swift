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
    /// IEEE 802.11 frames without a radio header.
    public static let ieee80211 = LinkType(rawValue: 105)
    public static let linuxSLL = LinkType(rawValue: 113)
    /// 802.11 behind a Prism monitor-mode header (old Linux drivers).
    public static let ieee80211Prism = LinkType(rawValue: 119)
    /// 802.11 behind a radiotap header: what monitor mode captures on Linux and the BSDs.
    public static let ieee80211Radiotap = LinkType(rawValue: 127)
    /// 802.11 behind an AVS monitor-mode header.
    public static let ieee80211AVS = LinkType(rawValue: 163)
    /// Per-Packet Information: a header naming the link type of the frame that follows.
    public static let ppi = LinkType(rawValue: 192)
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
        case .ieee80211: "IEEE 802.11"
        case .ieee80211Prism: "IEEE 802.11 with Prism header"
        case .ieee80211Radiotap: "IEEE 802.11 with radiotap header"
        case .ieee80211AVS: "IEEE 802.11 with AVS header"
        case .ppi: "PPI"
        case .linuxSLL: "Linux cooked v1"
        case .ipv4: "raw IPv4"
        case .ipv6: "raw IPv6"
        case .nflog: "Linux NFLOG"
        case .linuxSLL2: "Linux cooked v2"
        default: "link type \(rawValue)"
        }
    }
}
