/// IEEE 802.11 data frames down to their LLC payload, and the radio headers monitor-mode
/// captures put in front of them (radiotap, PPI, Prism, AVS). Management and control frames,
/// frames without data and protected (encrypted) frames carry nothing to read; they are
/// counted by reason.
enum Wireless {
    /// What the radio header says of the 802.11 frame after it.
    struct Framing {
        /// The frame ends with its 4-byte frame check sequence.
        var checksumAtEnd = false
        /// The 802.11 header is padded to a multiple of 4 bytes (radiotap's "data pad" flag).
        var paddedHeader = false
        /// The two frame control bytes are swapped (Cisco access points in CAPWAP).
        var swappedFrameControl = false
    }

    /// Whether the first two bytes of a frame from a CAPWAP tunnel read as a swapped frame
    /// control field: the second names a data frame and the first does not. When both or
    /// neither do, swapped, as Cisco access points send them (tshark's default too).
    static func frameControlLooksSwapped(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard frame.count >= 2 else { return false }
        let first = frame[0] & 0x0F == 0x08
        let second = frame[1] & 0x0F == 0x08
        return second || !first
    }

    /// Radio headers longer than this are refused.
    static let maximumRadioHeader = 4096

    /// An 802.11 frame (IEEE 802.11-2020 §9.2): frame control, duration, three addresses,
    /// sequence control, a fourth address between two distribution systems, QoS control
    /// and HT control when present; then the body.
    static func frame(_ frame: UnsafeRawBufferPointer, framing: Framing) -> LinkLayer.Outcome {
        guard frame.count >= 2 else { return .failure(.truncatedLinkHeader) }
        let control = framing.swappedFrameControl ? frame[1] : frame[0]
        let flags = framing.swappedFrameControl ? frame[0] : frame[1]
        let type = (control >> 2) & 0x03
        let subtype = control >> 4
        // Protocol version 0; data frames (type 2) whose subtype carries data (bit 2 clear:
        // not Null, CF-Ack or CF-Poll without data).
        guard control & 0x03 == 0 else { return .failure(.unsupportedNetworkProtocol) }
        guard type == 2, subtype & 0x04 == 0 else { return .failure(.wirelessWithoutData) }
        let quality = subtype & 0x08 != 0
        var header = 24
        if flags & 0x03 == 0x03 { header += 6 }  // to and from the distribution system: a fourth address
        let qualityControl = header
        if quality {
            header += 2
            if flags & 0x80 != 0 { header += 4 }  // +HTC: an HT control field
        }
        if framing.paddedHeader { header = (header + 3) & ~3 }
        let end = frame.count - (framing.checksumAtEnd ? 4 : 0)
        guard end >= header else { return .failure(.truncatedLinkHeader) }
        if flags & 0x40 != 0 { return .failure(.encryptedWireless) }
        let body = frame.slice(header, end)
        // A-MSDU present (bit 7 of the QoS control field): the body holds subframes.
        if quality && frame[qualityControl] & 0x80 != 0 { return .aggregate(body) }
        return LinkLayer.afterLLC(body)
    }

    /// The subframes of an A-MSDU (§9.3.2.2.2): destination, source, a length, then that
    /// many bytes starting with an LLC header, padded to a multiple of 4 before the next.
    /// Calls `body` with each subframe's outcome; stops at the first that does not fit.
    static func subframes(_ aggregate: UnsafeRawBufferPointer, limit: Int, _ body: (LinkLayer.Outcome) -> Void) -> Bool {
        var offset = 0
        var count = 0
        while offset + 14 <= aggregate.count, count < limit {
            let length = Int(aggregate.u16(offset + 12))
            let start = offset + 14
            guard start + length <= aggregate.count else { return false }
            let payload = aggregate.slice(start, start + length)
            body(LinkLayer.afterLLC(payload))
            count += 1
            offset = (start + length + 3) & ~3
        }
        return offset >= aggregate.count
    }

    /// Radiotap (radiotap.org): version 0, a pad byte, the header's length (little-endian),
    /// then presence bitmaps. The Flags field (present bit 1) says whether the frame ends
    /// with its FCS and whether its header is padded; it follows the TSFT field (bit 0, 8
    /// bytes aligned to 8) when that is present.
    static func radiotap(_ packet: UnsafeRawBufferPointer) -> LinkLayer.Outcome {
        guard packet.count >= 8, packet[0] == 0 else { return .failure(.truncatedLinkHeader) }
        let length = Int(UInt16(littleEndian: packet.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        guard length >= 8, length <= packet.count, length <= maximumRadioHeader else { return .failure(.truncatedLinkHeader) }
        let present = UInt32(littleEndian: packet.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        var framing = Framing()
        if present & 0x02 != 0 {
            // Skip the extended presence bitmaps (bit 31 says another follows).
            var offset = 8
            var word = present
            while word & 0x8000_0000 != 0 {
                guard offset + 4 <= length else { return .failure(.truncatedLinkHeader) }
                word = UInt32(littleEndian: packet.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                offset += 4
            }
            if present & 0x01 != 0 { offset = ((offset + 7) & ~7) + 8 }
            guard offset < length else { return .failure(.truncatedLinkHeader) }
            framing.checksumAtEnd = packet[offset] & 0x10 != 0
            framing.paddedHeader = packet[offset] & 0x20 != 0
        }
        return frame(packet.slice(length, packet.count), framing: framing)
    }

    /// PPI (Per-Packet Information): version 0, flags, the header's length and the link
    /// type of what follows (little-endian). Only an 802.11 or Ethernet frame may follow.
    static func ppi(_ packet: UnsafeRawBufferPointer) -> LinkLayer.Outcome {
        guard packet.count >= 8, packet[0] == 0 else { return .failure(.truncatedLinkHeader) }
        let length = Int(UInt16(littleEndian: packet.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        let link = LinkType(rawValue: UInt32(littleEndian: packet.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard length >= 8, length <= packet.count, length <= maximumRadioHeader else { return .failure(.truncatedLinkHeader) }
        let inner = packet.slice(length, packet.count)
        switch link {
        case .ieee80211: return frame(inner, framing: .init())
        case .ethernet: return LinkLayer.ethernet(inner)
        default: return .failure(.unknownLinkType)
        }
    }

    /// Prism monitor-mode header: a message code, then the header's length (host byte order
    /// of the capturing machine; 144 bytes from the usual drivers).
    static func prism(_ packet: UnsafeRawBufferPointer) -> LinkLayer.Outcome {
        guard packet.count >= 8 else { return .failure(.truncatedLinkHeader) }
        let raw = packet.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let length = Int(raw > 0xFFFF ? raw.byteSwapped : raw)
        guard length >= 8, length <= packet.count, length <= maximumRadioHeader else { return .failure(.truncatedLinkHeader) }
        return frame(packet.slice(length, packet.count), framing: .init())
    }

    /// AVS monitor-mode header: a version word (0x8021100x), then its length (big-endian).
    static func avs(_ packet: UnsafeRawBufferPointer) -> LinkLayer.Outcome {
        guard packet.count >= 8, packet.u32(0) & 0xFFFF_FFF0 == 0x8021_1000 else { return .failure(.truncatedLinkHeader) }
        let length = Int(packet.u32(4))
        guard length >= 8, length <= packet.count, length <= maximumRadioHeader else { return .failure(.truncatedLinkHeader) }
        return frame(packet.slice(length, packet.count), framing: .init())
    }
}
