public import BeianCore

/// One direction of a transport conversation: source and destination address and port.
struct FlowKey: Hashable {
    var source: IPAddress
    var destination: IPAddress
    var sourcePort: UInt16
    var destinationPort: UInt16

    var reversed: FlowKey {
        FlowKey(source: destination, destination: source, sourcePort: destinationPort, destinationPort: sourcePort)
    }

    /// Dictionaries hash the cheap mix below (one word), not the four fields.
    func hash(into hasher: inout Hasher) { hasher.combine(quickHash) }

    static func == (lhs: FlowKey, rhs: FlowKey) -> Bool {
        lhs.sourcePort == rhs.sourcePort && lhs.destinationPort == rhs.destinationPort && lhs.source == rhs.source
            && lhs.destination == rhs.destination
    }

    /// A cheap, well-mixed hash (not `Hasher`: used on the per-packet path).
    @inline(__always)
    var quickHash: UInt64 {
        var h = PairHash.mix(source.bits) &* 31 ^ PairHash.mix(destination.bits)
        h ^= UInt64(sourcePort) << 16 | UInt64(destinationPort)
        h = (h ^ h >> 31) &* 0xBF58_476D_1CE4_E5B9
        return h ^ h >> 29
    }
}

/// A hash of an address pair that does not depend on the order of the two: both directions
/// of a conversation, and every fragment of a datagram, go to the same worker.
public enum PairHash {
    @inline(__always)
    static func mix(_ bits: UInt128) -> UInt64 {
        (UInt64(truncatingIfNeeded: bits) ^ UInt64(truncatingIfNeeded: bits >> 64) &* 0xC2B2_AE3D_27D4_EB4F) &* 0x9E37_79B9_7F4A_7C15
    }

    @inline(__always)
    public static func of(_ a: IPAddress, _ b: IPAddress) -> UInt64 {
        var h = mix(a.bits) &+ mix(b.bits)
        h = (h ^ h >> 30) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ h >> 27) &* 0x94D0_49BB_1331_11EB
        return h ^ h >> 31
    }
}
