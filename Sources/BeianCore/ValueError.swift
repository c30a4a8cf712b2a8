/// Why a value read from input (an address, a domain name, a filing number, a time) was refused.
///
/// Value parsers do not know where their text came from; readers wrap this error with the
/// file, line or element path. Equality looks at the code only, so tests compare kinds of
/// failure, not wording. The reason never contains personal data: parsers of personal fields
/// do not quote their input.
public struct ValueError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let invalidAddress = Code("invalid-address")
        public static let invalidPrefix = Code("invalid-prefix")
        public static let invalidRange = Code("invalid-range")
        public static let invalidDomain = Code("invalid-domain")
        public static let invalidFilingNumber = Code("invalid-filing-number")
        public static let invalidTime = Code("invalid-time")
        public static let invalidNumber = Code("invalid-number")
        public static let unknownTableEntry = Code("unknown-table-entry")
        public static let tooLong = Code("too-long")
        public static let invalidValue = Code("invalid-value")
    }

    public let code: Code
    /// A message a user can act on.
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }

    public static func == (lhs: ValueError, rhs: ValueError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// Quotes input text in a message, cut to a readable length and with control characters escaped.
package func quoted(_ text: some StringProtocol, limit: Int = 80) -> String {
    var out = "\u{201C}"
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            out += "…"
            break
        }
        if scalar.value < 0x20 || scalar.value == 0x7F {
            out += scalar.escaped(asASCII: true)
        } else {
            out.unicodeScalars.append(scalar)
        }
        count += 1
    }
    return out + "\u{201D}"
}
