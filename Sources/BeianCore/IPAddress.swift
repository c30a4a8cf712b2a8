/// An IPv4 address, stored as its 32-bit value in host order.
public struct IPv4Address: Hashable, Comparable, Sendable {
    /// The address as an integer: `1.2.3.4` is `0x0102_0304`.
    public var value: UInt32

    @inlinable
    public init(_ value: UInt32) {
        self.value = value
    }

    /// The address from its four bytes in network order.
    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    @inlinable
    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool {
        lhs.value < rhs.value
    }
}

/// An IPv6 address, stored as its 128-bit value in host order.
public struct IPv6Address: Hashable, Comparable, Sendable {
    public var value: UInt128

    @inlinable
    public init(_ value: UInt128) {
        self.value = value
    }

    /// The address from sixteen bytes in network order.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var value: UInt128 = 0
        for byte in bytes {
            value = value << 8 | UInt128(byte)
        }
        self.value = value
    }

    /// The IPv4 address embedded in an IPv4-mapped address (`::ffff:a.b.c.d`), or nil.
    public var ipv4Mapped: IPv4Address? {
        value >> 32 == 0xFFFF ? IPv4Address(UInt32(truncatingIfNeeded: value)) : nil
    }

    /// `::ffff:a.b.c.d` for an IPv4 address.
    public init(mapping address: IPv4Address) {
        value = UInt128(0xFFFF) << 32 | UInt128(address.value)
    }

    @inlinable
    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        lhs.value < rhs.value
    }
}

/// An address of either family.
public enum IPAddress: Hashable, Comparable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public enum Family: String, Sendable, Hashable, Codable {
        case v4 = "ipv4"
        case v6 = "ipv6"

        /// Number of bits in an address of this family.
        public var bitWidth: Int { self == .v4 ? 32 : 128 }
    }

    public var family: Family {
        switch self {
        case .v4: .v4
        case .v6: .v6
        }
    }

    /// The value widened to 128 bits (IPv4 in the low 32 bits); compare only within a family.
    @inlinable
    public var bits: UInt128 {
        switch self {
        case .v4(let a): UInt128(a.value)
        case .v6(let a): a.value
        }
    }

    /// An address of `family` from its value in the low bits of `bits`.
    public init(family: Family, bits: UInt128) {
        switch family {
        case .v4: self = .v4(IPv4Address(UInt32(truncatingIfNeeded: bits)))
        case .v6: self = .v6(IPv6Address(bits))
        }
    }

    /// IPv4-mapped IPv6 addresses become plain IPv4; everything else is unchanged.
    public var unmapped: IPAddress {
        if case .v6(let a) = self, let v4 = a.ipv4Mapped { return .v4(v4) }
        return self
    }

    /// IPv4 sorts before IPv6; within a family by value.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

extension IPAddress.Family {
    /// All ones in the bits of this family.
    @inlinable
    public var allOnes: UInt128 { self == .v4 ? UInt128(UInt32.max) : UInt128.max }
}
