/// A CIDR prefix: an address whose host bits are zero, and a length.
public struct IPPrefix: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    /// The prefix of `length` bits containing `address` (host bits are cleared).
    public init(containing address: IPAddress, length: Int) {
        precondition(length >= 0 && length <= address.family.bitWidth, "prefix length out of range")
        self.address = IPAddress(family: address.family, bits: address.bits & IPPrefix.networkMask(address.family, length))
        self.length = length
    }

    /// A prefix from an address with no host bits set, or an error naming the bits.
    public init(address: IPAddress, length: Int) throws(ValueError) {
        guard length >= 0 && length <= address.family.bitWidth else {
            throw ValueError(.invalidPrefix, "prefix length /\(length) is outside 0…\(address.family.bitWidth)")
        }
        let network = address.bits & IPPrefix.networkMask(address.family, length)
        guard network == address.bits else {
            throw ValueError(
                .invalidPrefix,
                "\(address)/\(length) has host bits set (the network is \(IPAddress(family: address.family, bits: network))/\(length))")
        }
        self.address = address
        self.length = length
    }

    /// Parses `address/length`.
    public static func parse(_ text: some StringProtocol) throws(ValueError) -> IPPrefix {
        guard let slash = text.firstIndex(of: "/") else {
            throw ValueError(.invalidPrefix, "not a prefix (no /length): \(quoted(text))")
        }
        let lengthText = text[text.index(after: slash)...]
        guard !lengthText.isEmpty, lengthText.count <= 3, let length = Int(lengthText) else {
            throw ValueError(.invalidPrefix, "invalid prefix length in \(quoted(text))")
        }
        return try IPPrefix(address: IPAddress.parse(text[..<slash]), length: length)
    }

    public var family: IPAddress.Family { address.family }

    /// The first address of the prefix.
    public var first: IPAddress { address }

    /// The last address of the prefix.
    public var last: IPAddress {
        IPAddress(family: family, bits: address.bits | IPPrefix.hostMask(family, length))
    }

    public var range: IPRange { IPRange(uncheckedFirst: first, last: last) }

    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && other.bits & IPPrefix.networkMask(family, length) == address.bits
    }

    public var description: String { "\(address)/\(length)" }

    public static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.length < rhs.length
    }

    /// The mask of the network bits of a `length`-bit prefix, in the low bits of the family.
    @inlinable
    public static func networkMask(_ family: IPAddress.Family, _ length: Int) -> UInt128 {
        family.allOnes & ~hostMask(family, length)
    }

    /// The mask of the host bits of a `length`-bit prefix.
    @inlinable
    public static func hostMask(_ family: IPAddress.Family, _ length: Int) -> UInt128 {
        let hostBits = family.bitWidth - length
        return hostBits == 128 ? UInt128.max : (UInt128(1) << hostBits) - 1
    }
}

/// An inclusive range of addresses of one family, `first` ≤ `last`: the shape of every V3.0
/// IP record (`Qsip`…`Zzip`).
public struct IPRange: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let first: IPAddress
    public let last: IPAddress

    /// A range, or an error when the families differ or `first` > `last`.
    public init(first: IPAddress, last: IPAddress) throws(ValueError) {
        guard first.family == last.family else {
            throw ValueError(.invalidRange, "range mixes families: \(first) – \(last)")
        }
        guard first <= last else {
            throw ValueError(.invalidRange, "range start \(first) is after its end \(last)")
        }
        self.first = first
        self.last = last
    }

    package init(uncheckedFirst first: IPAddress, last: IPAddress) {
        self.first = first
        self.last = last
    }

    /// A single-address range.
    public init(_ address: IPAddress) {
        first = address
        last = address
    }

    /// Parses `a-b` (spaces allowed around the dash; each end in any registry form, see
    /// `IPAddress.parse(registryText:)`), `address/length`, or a single address.
    public static func parse(_ text: some StringProtocol) throws(ValueError) -> IPRange {
        try Array(text.utf8).withUnsafeBufferPointer { (bytes) throws(ValueError) -> IPRange in try parse(utf8: bytes) }
    }

    /// Parses UTF-8 bytes, as `parse(_:)` does text.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ValueError) -> IPRange {
        let trimmed = bytes.trimmingASCIISpaces()
        if let dash = trimmed.firstIndex(of: 0x2D) {
            let start = try IPAddress.parse(registryUTF8: UnsafeBufferPointer(rebasing: trimmed[..<dash]).trimmingASCIISpaces())
            let end = try IPAddress.parse(registryUTF8: UnsafeBufferPointer(rebasing: trimmed[(dash + 1)...]).trimmingASCIISpaces())
            return try IPRange(first: start, last: end)
        }
        if trimmed.contains(0x2F) {
            return try IPPrefix.parse(String(decoding: trimmed, as: UTF8.self)).range
        }
        return IPRange(try IPAddress.parse(registryUTF8: trimmed))
    }

    public var family: IPAddress.Family { first.family }

    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && first <= address && address <= last
    }

    public func contains(_ other: IPRange) -> Bool {
        other.family == family && first <= other.first && other.last <= last
    }

    public func overlaps(_ other: IPRange) -> Bool {
        other.family == family && first <= other.last && other.first <= last
    }

    /// Number of addresses minus one (the full IPv6 space does not fit otherwise).
    public var spanMinusOne: UInt128 { last.bits - first.bits }

    /// `a-b`, or a single address when the range holds one.
    public var description: String { first == last ? first.description : "\(first)-\(last)" }

    public static func < (lhs: IPRange, rhs: IPRange) -> Bool {
        lhs.first != rhs.first ? lhs.first < rhs.first : lhs.last < rhs.last
    }

    /// The minimal list of prefixes that covers exactly this range, in address order.
    ///
    /// At each step the largest block that starts at the current address (limited by its
    /// alignment) and does not pass `last` is taken. At most 2 × bit width prefixes result;
    /// O(bit width²) time.
    public var prefixes: [IPPrefix] {
        let family = self.family
        let width = family.bitWidth
        let end = last.bits
        var start = first.bits
        var result: [IPPrefix] = []
        while true {
            var length = start == 0 ? 0 : width - min(start.trailingZeroBitCount, width)
            while start | IPPrefix.hostMask(family, length) > end { length += 1 }
            result.append(IPPrefix(containing: IPAddress(family: family, bits: start), length: length))
            let blockEnd = start | IPPrefix.hostMask(family, length)
            if blockEnd >= end { break }
            start = blockEnd + 1
        }
        return result
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The bytes without leading and trailing ASCII spaces and tabs.
    package func trimmingASCIISpaces() -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = count
        while start < end, self[start] == 0x20 || self[start] == 0x09 { start += 1 }
        while end > start, self[end - 1] == 0x20 || self[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(rebasing: self[start..<end])
    }
}

extension StringProtocol {
    /// The text without leading and trailing ASCII spaces and tabs.
    package func trimmingASCIISpaces() -> SubSequence {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start {
            let before = index(before: end)
            guard self[before] == " " || self[before] == "\t" else { break }
            end = before
        }
        return self[start..<end]
    }
}
