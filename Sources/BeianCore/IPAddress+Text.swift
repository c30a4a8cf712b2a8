// Textual forms of addresses: dotted quads, every RFC 4291 form of IPv6 (compressed,
// embedded IPv4, IPv4-mapped), RFC 5952 output, and the V3.0 integer form.

extension IPv4Address: CustomStringConvertible, LosslessStringConvertible {
    /// Parses a dotted quad. Each part is 1…3 decimal digits, 0…255. Leading zeros are read
    /// as decimal (`010.001.002.003` is 10.1.2.3): registry exports pad addresses that way,
    /// and none of them means octal.
    public init?(_ text: String) {
        guard let address = try? IPv4Address.parse(text) else { return nil }
        self = address
    }

    public static func parse(_ text: some StringProtocol) throws(ValueError) -> IPv4Address {
        guard let address = Array(text.utf8).withUnsafeBufferPointer({ parseDotted($0) }) else {
            throw ValueError(.invalidAddress, "not an IPv4 address: \(quoted(text))")
        }
        return address
    }

    /// Parses `bytes` as a dotted quad, or returns nil.
    public static func parseDotted(_ bytes: UnsafeBufferPointer<UInt8>) -> IPv4Address? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        for byte in bytes {
            if byte >= 0x30 && byte <= 0x39 {
                part = part * 10 + UInt32(byte - 0x30)
                digits += 1
                if digits > 3 || part > 255 { return nil }
            } else if byte == 0x2E {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return IPv4Address(value << 8 | part)
    }

    /// Parses the V3.0 integer form (`Qsip`/`Zzip`): a decimal number 1…4294967295.
    public static func parse(integer text: some StringProtocol) throws(ValueError) -> IPv4Address {
        try Array(text.utf8).withUnsafeBufferPointer { (bytes) throws(ValueError) -> IPv4Address in try parse(integerUTF8: bytes) }
    }

    /// Parses the V3.0 integer form from UTF-8 bytes.
    public static func parse(integerUTF8 bytes: UnsafeBufferPointer<UInt8>) throws(ValueError) -> IPv4Address {
        guard !bytes.isEmpty, bytes.count <= 10, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw ValueError(.invalidAddress, "not an integer IPv4 address: \(quoted(String(decoding: bytes, as: UTF8.self)))")
        }
        var value: UInt64 = 0
        for byte in bytes { value = value * 10 + UInt64(byte - 0x30) }
        guard value >= 1, value <= UInt64(UInt32.max) else {
            throw ValueError(.invalidAddress, "integer IPv4 address \(value) is outside 1…4294967295")
        }
        return IPv4Address(UInt32(value))
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}

extension IPv4Address {
    /// The longest dotted quad.
    public static let maximumTextLength = 15

    /// Writes the dotted quad (as `description`) at `out`, which has room for
    /// `maximumTextLength` bytes; returns how many it wrote.
    public func writeText(to out: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        var shift: UInt32 = 24
        while true {
            count += writeDecimal(UInt8(truncatingIfNeeded: value >> shift), to: out + count)
            guard shift > 0 else { return count }
            out[count] = UInt8(ascii: ".")
            count += 1
            shift -= 8
        }
    }
}

/// Writes `value` in decimal at `out` (at most three bytes); returns how many.
private func writeDecimal(_ value: UInt8, to out: UnsafeMutablePointer<UInt8>) -> Int {
    if value >= 100 {
        out[0] = 0x30 + value / 100
        out[1] = 0x30 + value / 10 % 10
        out[2] = 0x30 + value % 10
        return 3
    }
    if value >= 10 {
        out[0] = 0x30 + value / 10
        out[1] = 0x30 + value % 10
        return 2
    }
    out[0] = 0x30 + value
    return 1
}

extension IPv6Address: CustomStringConvertible, LosslessStringConvertible {
    public init?(_ text: String) {
        guard let address = try? IPv6Address.parse(text) else { return nil }
        self = address
    }

    /// Parses any RFC 4291 text form: full, `::`-compressed, with an embedded dotted quad in
    /// the last 32 bits. Zone indexes (`fe80::1%eth0`) and brackets are refused: they name an
    /// interface, not an address.
    public static func parse(_ text: some StringProtocol) throws(ValueError) -> IPv6Address {
        try Array(text.utf8).withUnsafeBufferPointer { (bytes) throws(ValueError) -> IPv6Address in try parse(utf8: bytes) }
    }

    /// Parses UTF-8 bytes, as `parse(_:)` does text.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ValueError) -> IPv6Address {
        if bytes.contains(0x25) {
            throw ValueError(.invalidAddress, "IPv6 zone index not allowed: \(quoted(String(decoding: bytes, as: UTF8.self)))")
        }
        guard let value = parseIPv6(bytes) else {
            throw ValueError(.invalidAddress, "not an IPv6 address: \(quoted(String(decoding: bytes, as: UTF8.self)))")
        }
        return IPv6Address(value)
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups
    /// compressed (the first when tied), IPv4-mapped addresses as `::ffff:a.b.c.d`.
    public var description: String {
        var text: [UInt8] = []
        appendText(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends the RFC 5952 text (as `description`) as UTF-8 to `out`, without making a
    /// string: writers of many addresses call this.
    public func appendText(to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maximumTextLength) { buffer in
            guard let base = buffer.baseAddress else { return }
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: writeText(to: base)))
        }
    }

    /// The longest RFC 5952 text: eight groups of four digits and seven colons.
    public static let maximumTextLength = 39

    /// Writes the RFC 5952 text (as `description`) as UTF-8 at `out`, which has room for
    /// `maximumTextLength` bytes; returns how many it wrote.
    public func writeText(to out: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        func ascii(_ text: StaticString) {
            for k in 0..<text.utf8CodeUnitCount {
                out[count] = text.utf8Start[k]
                count += 1
            }
        }
        if let v4 = ipv4Mapped {
            ascii("::ffff:")
            return count + v4.writeText(to: out + count)
        }
        var bestStart = -1
        var bestLength = 1
        var i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8 && group(j) == 0 { j += 1 }
                if j - i > bestLength {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        i = 0
        while i < 8 {
            if i == bestStart {
                ascii("::")
                i += bestLength
                continue
            }
            if i > 0 && i != bestStart + bestLength { ascii(":") }
            let digits: StaticString = "0123456789abcdef"
            let value = group(i)
            var shift = 12
            while shift > 0 && (value >> UInt16(shift)) == 0 { shift -= 4 }
            while shift >= 0 {
                out[count] = digits.utf8Start[Int((value >> UInt16(shift)) & 0xF)]
                count += 1
                shift -= 4
            }
            i += 1
        }
        return count
    }

    private func group(_ index: Int) -> UInt16 { UInt16(truncatingIfNeeded: value >> (112 - 16 * index)) }
}

/// Parses an IPv6 text form into its value, or nil.
private func parseIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt128? {
    guard bytes.count >= 2, bytes.count <= 45 else { return nil }
    // The groups before `::` and after it, accumulated as numbers (no array per address).
    var head: UInt128 = 0
    var headCount = 0
    var tail: UInt128 = 0
    var tailCount = 0
    var sawDoubleColon = false
    func push(_ group: UInt16) {
        if sawDoubleColon {
            tail = tail << 16 | UInt128(group)
            tailCount += 1
        } else {
            head = head << 16 | UInt128(group)
            headCount += 1
        }
    }
    var index = 0
    if bytes[0] == 0x3A {
        guard bytes[1] == 0x3A else { return nil }
        sawDoubleColon = true
        index = 2
    }
    while index < bytes.count {
        // One group, or a dotted quad at the end.
        var end = index
        var isDotted = false
        while end < bytes.count && bytes[end] != 0x3A {
            if bytes[end] == 0x2E { isDotted = true }
            end += 1
        }
        let groupCount = headCount + tailCount
        if isDotted {
            guard end == bytes.count, groupCount <= 6 else { return nil }
            guard let v4 = IPv4Address.parseDotted(UnsafeBufferPointer(rebasing: bytes[index..<end])) else { return nil }
            push(UInt16(v4.value >> 16))
            push(UInt16(v4.value & 0xFFFF))
            index = end
            break
        }
        guard end > index, end - index <= 4, groupCount < 8 else { return nil }
        var group: UInt16 = 0
        for byte in bytes[index..<end] {
            guard let digit = hexDigit(byte) else { return nil }
            group = group << 4 | UInt16(digit)
        }
        push(group)
        index = end
        if index == bytes.count { break }
        // At a colon: a single one separates, a double one compresses.
        index += 1
        if index < bytes.count && bytes[index] == 0x3A {
            guard !sawDoubleColon else { return nil }
            sawDoubleColon = true
            index += 1
        } else if index == bytes.count {
            return nil  // a trailing single colon
        }
    }
    let total = headCount + tailCount
    if sawDoubleColon {
        guard total <= 7 else { return nil }
    } else {
        guard total == 8 else { return nil }
    }
    // The head's groups at the top, zeros for `::`, the tail's at the bottom (a shift by 128,
    // for an empty head, gives 0).
    return head << (16 * (8 - headCount)) | tail
}

/// The value of a hexadecimal digit (either case), or nil.
@inline(__always)
public func hexDigit(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x41...0x46: byte - 0x41 + 10
    case 0x61...0x66: byte - 0x61 + 10
    default: nil
    }
}

extension IPAddress: CustomStringConvertible, LosslessStringConvertible {
    public init?(_ text: String) {
        guard let address = try? IPAddress.parse(text) else { return nil }
        self = address
    }

    /// Parses a dotted quad or an IPv6 text form (an IPv4-mapped address stays IPv6; use
    /// `unmapped` to fold it).
    public static func parse(_ text: some StringProtocol) throws(ValueError) -> IPAddress {
        if text.utf8.contains(0x3A) {
            return .v6(try IPv6Address.parse(text))
        }
        return .v4(try IPv4Address.parse(text))
    }

    /// Parses an address given in any registry form: dotted quad, IPv6 text, or the V3.0
    /// integer form (1…4294967295, always IPv4).
    public static func parse(registryText text: some StringProtocol) throws(ValueError) -> IPAddress {
        try Array(text.utf8).withUnsafeBufferPointer { (bytes) throws(ValueError) -> IPAddress in try parse(registryUTF8: bytes) }
    }

    /// Parses UTF-8 bytes holding a dotted quad or an IPv6 text form.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ValueError) -> IPAddress {
        if bytes.contains(0x3A) { return .v6(try IPv6Address.parse(utf8: bytes)) }
        guard let address = IPv4Address.parseDotted(bytes) else {
            throw ValueError(.invalidAddress, "not an IPv4 address: \(quoted(String(decoding: bytes, as: UTF8.self)))")
        }
        return .v4(address)
    }

    /// Parses UTF-8 bytes holding an address in any registry form (see `parse(registryText:)`).
    public static func parse(registryUTF8 bytes: UnsafeBufferPointer<UInt8>) throws(ValueError) -> IPAddress {
        if !bytes.isEmpty && bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return .v4(try IPv4Address.parse(integerUTF8: bytes))
        }
        return try parse(utf8: bytes)
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }
}
