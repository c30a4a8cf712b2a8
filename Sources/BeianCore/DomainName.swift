internal import CIDN2

/// A domain name in its lookup form: lowercase A-labels, no trailing dot.
///
/// `中国移动.中国`, `XN--FIQ02IB9D179B.xn--fiqs8s.` and `中国移动。中国` are the same key.
/// Unicode input is mapped with UTS #46 (non-transitional, as browsers do) and converted to
/// A-labels by libidn2 (Debian `libidn2-0`, IDNA2008 + TR46 tables of the installed
/// version; updated with the system's packages). ASCII input takes a fast path that never
/// calls the library, except to check that an `xn--` label really is a valid A-label.
///
/// ASCII labels follow the hostname rules that real traffic obeys: letters, digits, `-` and
/// `_` (service names and some CDNs use it), 1…63 bytes, no `-` at either end. Names are at
/// most 253 bytes, and the last label is not all digits (that would be an IPv4 address).
public struct DomainName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The lookup form: lowercase A-labels joined by dots.
    public let ascii: String

    /// Longest name accepted (RFC 1035 text form without the trailing dot).
    public static let maximumLength = 253
    /// Longest label accepted.
    public static let maximumLabelLength = 63
    /// Longest input considered at all: longer text is refused before any mapping.
    public static let maximumInputLength = 1024

    public init(_ text: some StringProtocol) throws(ValueError) {
        try self.init(String(text))
    }

    /// A name from text. Not generic, so that callers in other modules reach the fast path
    /// (the generic form ran the ASCII test through unspecialised code: 4.5 % of a scan).
    public init(_ text: String) throws(ValueError) {
        let original = text
        var text = text
        let name = text.withUTF8 { bytes in Result { () throws(ValueError) in try DomainName.lookupForm(bytes, unchanged: original) } }
        ascii = try name.get()
    }

    /// A name from UTF-8 bytes (a Host header, an SNI, a registry field), with the same rules.
    public init(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ValueError) {
        ascii = try DomainName.lookupForm(bytes, unchanged: nil)
    }

    /// A name already in lookup form (from an index or a trusted table). Not checked.
    package init(uncheckedASCII: String) {
        ascii = uncheckedASCII
    }

    /// The version of libidn2 in use (`2.3.3`).
    public static var libraryVersion: String {
        idn2_check_version(nil).map { String(cString: $0) } ?? "unknown"
    }

    /// The labels, leftmost first.
    public var labels: [Substring] { ascii.split(separator: ".", omittingEmptySubsequences: false) }

    /// The name with A-labels shown as Unicode (for reports), or the ASCII form when a label
    /// cannot be decoded.
    public var unicode: String {
        guard ascii.contains("xn--") else { return ascii }
        var output: UnsafeMutablePointer<CChar>? = nil
        let rc = idn2_to_unicode_8z8z(ascii, &output, 0)
        defer { idn2_free(output) }
        guard rc == Int32(IDN2_OK.rawValue), let output else { return ascii }
        return String(cString: output)
    }

    /// True when this name is `other` or lies below it.
    public func isSubdomain(of other: DomainName) -> Bool {
        ascii == other.ascii || ascii.hasSuffix("." + other.ascii)
    }

    /// The parent name (one label removed), or nil for a single label.
    public var parent: DomainName? {
        guard let dot = ascii.firstIndex(of: ".") else { return nil }
        return DomainName(uncheckedASCII: String(ascii[ascii.index(after: dot)...]))
    }

    public var description: String { ascii }

    public static func < (lhs: DomainName, rhs: DomainName) -> Bool { lhs.ascii < rhs.ascii }

    /// The lookup form of `input`: ASCII input checked and lowercased in place of any
    /// library call, other input mapped by libidn2 first. `unchanged` is `input` as a string,
    /// when the caller has one: returned as it is when it already is the lookup form (most
    /// names on the wire are), so that no new string is made.
    private static func lookupForm(_ input: UnsafeBufferPointer<UInt8>, unchanged: String?) throws(ValueError) -> String {
        guard input.count <= DomainName.maximumInputLength else {
            throw ValueError(.tooLong, "domain name longer than \(DomainName.maximumInputLength) bytes")
        }
        var nonASCII: UInt8 = 0
        for byte in input { nonASCII |= byte }
        guard nonASCII < 0x80 else {
            let mapped = try toASCII(String(decoding: input, as: UTF8.self))
            var bytes = mapped
            return try bytes.withUTF8 { bytes in
                Result { () throws(ValueError) in try checkASCII(bytes, unchanged: mapped, original: input) }
            }.get()
        }
        return try checkASCII(input, unchanged: unchanged, original: input)
    }

    /// Checks an ASCII name and returns its lookup form (lowercase, no trailing dot):
    /// `unchanged` when that is already it, else a new string. `original` is what the
    /// caller gave, for messages.
    private static func checkASCII(
        _ input: UnsafeBufferPointer<UInt8>, unchanged: String?, original: UnsafeBufferPointer<UInt8>
    ) throws(ValueError) -> String {
        func shown() -> String { quoted(String(decoding: original, as: UTF8.self)) }
        let count = input.last == 0x2E ? input.count - 1 : input.count
        guard count > 0 else { throw ValueError(.invalidDomain, "empty domain name") }
        guard count <= maximumLength else {
            throw ValueError(.invalidDomain, "domain name longer than \(maximumLength) bytes: \(shown())")
        }
        var labelStart = 0
        var hasALabel = false
        var hasUpper = false
        var lastLabelNumeric = true
        for i in 0...count {
            if i == count || input[i] == 0x2E {
                let length = i - labelStart
                guard length > 0 else {
                    throw ValueError(.invalidDomain, "empty label in \(shown())")
                }
                guard length <= maximumLabelLength else {
                    throw ValueError(.invalidDomain, "label longer than \(maximumLabelLength) bytes in \(shown())")
                }
                if input[labelStart] == 0x2D || input[i - 1] == 0x2D {
                    throw ValueError(.invalidDomain, "label starts or ends with a hyphen in \(shown())")
                }
                // `xn--` in any case.
                if length > 4 && input[labelStart] | 0x20 == 0x78 && input[labelStart + 1] | 0x20 == 0x6E
                    && input[labelStart + 2] == 0x2D && input[labelStart + 3] == 0x2D
                {
                    hasALabel = true
                }
                labelStart = i + 1
                continue
            }
            var byte = input[i]
            if byte >= 0x41 && byte <= 0x5A {
                byte += 0x20
                hasUpper = true
            }
            let isDigit = byte >= 0x30 && byte <= 0x39
            if i == labelStart { lastLabelNumeric = true }
            if !isDigit { lastLabelNumeric = false }
            guard isDigit || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F else {
                let character =
                    byte >= 0x20 && byte < 0x7F ? "\u{201C}\(Character(Unicode.Scalar(byte)))\u{201D}" : "byte 0x\(String(byte, radix: 16))"
                throw ValueError(.invalidDomain, "character \(character) not allowed in \(shown())")
            }
        }
        if lastLabelNumeric {
            throw ValueError(.invalidDomain, "last label is numeric (an address, not a name): \(shown())")
        }
        let name: String
        if !hasUpper && count == input.count, let unchanged {
            name = unchanged
        } else {
            name = String(unsafeUninitializedCapacity: count) { output in
                for i in 0..<count {
                    let byte = input[i]
                    output[i] = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
                }
                return count
            }
        }
        if hasALabel {
            var output: UnsafeMutablePointer<CChar>? = nil
            let rc = idn2_to_unicode_8z8z(name, &output, 0)
            idn2_free(output)
            guard rc == Int32(IDN2_OK.rawValue) else {
                throw ValueError(.invalidDomain, "invalid A-label (punycode) in \(shown()): \(String(cString: idn2_strerror(rc)))")
            }
        }
        return name
    }

    /// UTS #46 mapping and IDNA2008 conversion of a name with non-ASCII characters.
    private static func toASCII(_ text: String) throws(ValueError) -> String {
        var output: UnsafeMutablePointer<UInt8>? = nil
        let flags = Int32(IDN2_NFC_INPUT.rawValue | IDN2_NONTRANSITIONAL.rawValue)
        let rc = text.withCString { pointer in
            pointer.withMemoryRebound(to: UInt8.self, capacity: text.utf8.count + 1) { idn2_lookup_u8($0, &output, flags) }
        }
        defer { idn2_free(output) }
        guard rc == Int32(IDN2_OK.rawValue), let output else {
            throw ValueError(.invalidDomain, "not a valid internationalised name \(quoted(text)): \(String(cString: idn2_strerror(rc)))")
        }
        return String(cString: output)
    }
}

extension DomainName: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try DomainName(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(ascii)
    }
}

/// What a host field names: a domain, or an address (sites reached by bare IP count as sites).
public enum Host: Hashable, Sendable, CustomStringConvertible {
    case name(DomainName)
    case address(IPAddress)

    /// Parses a host: an IPv4 address, an IPv6 address with or without brackets, or a name.
    public static func parse(_ text: some StringProtocol) throws(ValueError) -> Host {
        var body = Substring(text)
        if body.hasPrefix("[") && body.hasSuffix("]") {
            body = body.dropFirst().dropLast()
            return .address(try IPAddress.parse(body).unmapped)
        }
        if body.contains(":") { return .address(try IPAddress.parse(body).unmapped) }
        if let v4 = try? IPv4Address.parse(body) { return .address(.v4(v4)) }
        return .name(try DomainName(body))
    }

    public var description: String {
        switch self {
        case .name(let name): name.ascii
        case .address(.v6(let address)): "[\(address)]"
        case .address(let address): address.description
        }
    }
}
