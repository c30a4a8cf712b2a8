public import BeianCore

/// One direction of a transport conversation: source and destination address and port.
/// Stored compactly (48 bytes: two 128-bit address values, the ports, the family), as flow
/// tables hold millions of these.
struct FlowKey: Hashable {
    private let sourceBits: UInt128
    private let destinationBits: UInt128
    let sourcePort: UInt16
    let destinationPort: UInt16
    private let v6: Bool

    init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16) {
        sourceBits = source.bits
        destinationBits = destination.bits
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        v6 = source.family == .v6
    }

    var source: IPAddress { IPAddress(family: v6 ? .v6 : .v4, bits: sourceBits) }
    var destination: IPAddress { IPAddress(family: v6 ? .v6 : .v4, bits: destinationBits) }

    var reversed: FlowKey {
        FlowKey(source: destination, destination: source, sourcePort: destinationPort, destinationPort: sourcePort)
    }

    /// Dictionaries hash the cheap mix below (one word), not the fields.
    func hash(into hasher: inout Hasher) { hasher.combine(quickHash) }

    static func == (lhs: FlowKey, rhs: FlowKey) -> Bool {
        lhs.sourcePort == rhs.sourcePort && lhs.destinationPort == rhs.destinationPort && lhs.sourceBits == rhs.sourceBits
            && lhs.destinationBits == rhs.destinationBits && lhs.v6 == rhs.v6
    }

    /// A cheap, well-mixed hash (not `Hasher`: used on the per-packet path).
    @inline(__always)
    var quickHash: UInt64 {
        var h = PairHash.mix(sourceBits) &* 31 ^ PairHash.mix(destinationBits)
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
