/// A filing or licence number as the filing system issues it (docs/findings.md, "Identifiers").
///
/// Equality and hashing look at what the number means (kind, province, serial, site index,
/// licence category), never at how it was written; the written form travels beside it in
/// `FilingNumberMatch.verbatim`.
public struct FilingNumber: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, CaseIterable, Codable {
        /// ICP filing number (ICP备案号): a sponsor number, or a site number with `siteIndex`.
        case icpFiling = "icp-filing"
        /// ICP licence (经营许可证, `ICP证`).
        case icpLicence = "icp-licence"
        /// Value-added or basic telecom licence (`B1-`/`B2-`/`A1-`/`A2-`).
        case telecomLicence = "telecom-licence"
        /// Public security filing number (公网安备).
        case publicSecurity = "public-security"
    }

    public let kind: Kind
    /// Nil only for telecom licences written without a province prefix.
    public let province: Province?
    /// The serial digits as written (leading zeros are significant).
    public let serial: String
    /// The site index after `-` (网站备案号), for ICP filings and licences.
    public let siteIndex: Int?
    /// `B1`, `B2`, `A1` or `A2` for telecom licences.
    public let category: String?

    public init(kind: Kind, province: Province?, serial: String, siteIndex: Int? = nil, category: String? = nil) {
        self.kind = kind
        self.province = province
        self.serial = serial
        self.siteIndex = siteIndex
        self.category = category
    }

    /// The sponsor number (主体备案号) of a site number; the number itself otherwise.
    public var sponsorNumber: FilingNumber {
        siteIndex == nil ? self : FilingNumber(kind: kind, province: province, serial: serial, category: category)
    }

    /// True for a site number (`…号-3`).
    public var isSiteNumber: Bool { siteIndex != nil }

    /// The canonical text: `京ICP备12345678号-3`, `沪ICP证130164号`, `京B2-20090059`,
    /// `京公网安备11010502030143号`. Sichuan, Guizhou, Yunnan and Gansu appear as 蜀 黔 滇 陇
    /// in ICP numbers and in their plate form in public-security numbers, as each issuer
    /// writes them.
    public var normalized: String {
        let abbreviation = province.map { String($0.abbreviation) } ?? ""
        let suffix = siteIndex.map { "-\($0)" } ?? ""
        switch kind {
        case .icpFiling: return "\(abbreviation)ICP备\(serial)号\(suffix)"
        case .icpLicence: return "\(abbreviation)ICP证\(serial)号\(suffix)"
        case .telecomLicence: return "\(abbreviation)\(category ?? "B2")-\(serial)"
        case .publicSecurity: return "\(province.map { String($0.plate) } ?? "")公网安备\(serial)号"
        }
    }

    public var description: String { normalized }

    /// Parses UTF-8 bytes that hold exactly one number, as `parse(_:)` does text. Numbers in
    /// their canonical form (`浙ICP备12345678号-1`, what registries hold) take a fast path.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ValueError) -> FilingNumber {
        if let number = canonical(bytes) { return number }
        return try parse(String(decoding: bytes, as: UTF8.self))
    }

    /// A number in exactly the canonical ICP form, or nil.
    static func canonical(_ b: UnsafeBufferPointer<UInt8>) -> FilingNumber? {
        // Province (a 3-byte CJK character), "ICP", 备 or 证, digits, 号, optional -N.
        guard b.count >= 13, b[0] >= 0xE0, b[0] < 0xF0, b[3] == 0x49, b[4] == 0x43, b[5] == 0x50 else { return nil }
        let scalar = UInt32(b[0] & 0x0F) << 12 | UInt32(b[1] & 0x3F) << 6 | UInt32(b[2] & 0x3F)
        guard let province = Province.abbreviated(scalar: scalar), province.abbreviation.unicodeScalars.first?.value == scalar else {
            return nil
        }
        let kind: Kind
        if b[6] == 0xE5 && b[7] == 0xA4 && b[8] == 0x87 {
            kind = .icpFiling  // 备
        } else if b[6] == 0xE8 && b[7] == 0xAF && b[8] == 0x81 {
            kind = .icpLicence  // 证
        } else {
            return nil
        }
        var i = 9
        while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
        let digits = i - 9
        guard kind == .icpFiling ? (digits == 8 || digits == 10) : digits == 6 else { return nil }
        guard i + 3 <= b.count, b[i] == 0xE5, b[i + 1] == 0x8F, b[i + 2] == 0xB7 else { return nil }  // 号
        let serial = String(decoding: UnsafeBufferPointer(rebasing: b[9..<(9 + digits)]), as: UTF8.self)
        i += 3
        if i == b.count { return FilingNumber(kind: kind, province: province, serial: serial) }
        guard b[i] == 0x2D, b.count - i - 1 >= 1, b.count - i - 1 <= 3 else { return nil }
        var index = 0
        for k in (i + 1)..<b.count {
            guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
            index = index * 10 + Int(b[k] - 0x30)
        }
        guard index > 0 else { return nil }
        return FilingNumber(kind: kind, province: province, serial: serial, siteIndex: index)
    }

    /// Parses text that holds exactly one number (a registry field). Surrounding spaces and
    /// a leading label (`ICP备案号：`) are allowed; look-alikes and malformed numbers are
    /// refused with the reason.
    public static func parse(_ text: some StringProtocol) throws(ValueError) -> FilingNumber {
        let matches = FilingNumberRecognizer.matches(in: String(text))
        guard let match = matches.first else {
            throw ValueError(.invalidFilingNumber, "no filing number in \(quoted(text))")
        }
        guard matches.count == 1 else {
            throw ValueError(.invalidFilingNumber, "more than one number in \(quoted(text))")
        }
        let rest = String(text[match.range.upperBound...]).trimmingASCIISpaces()
        guard rest.isEmpty else {
            throw ValueError(.invalidFilingNumber, "unexpected text after the number in \(quoted(text))")
        }
        switch match.classification {
        case .number(let number): return number
        case .lookAlike(let kind):
            throw ValueError(.invalidFilingNumber, "\(quoted(text)) is a look-alike (\(kind.description)), not a filing number")
        case .malformed(let malformed):
            throw ValueError(.invalidFilingNumber, "malformed \(malformed.kind.rawValue) number \(quoted(text)): \(malformed.reason)")
        }
    }
}

extension FilingNumber: Codable {
    public init(from decoder: any Decoder) throws {
        self = try FilingNumber.parse(decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(normalized)
    }
}

/// A scheme that looks like a filing number but is not one (counted apart, never as an ICP
/// number).
public enum FilingLookAlike: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// A campus or organisation scheme: province, another character, `ICP备` (`沪交ICP备…`).
    case campusScheme = "campus-scheme"
    /// A novelty scheme without a province (`萌ICP备…`).
    case noveltyScheme = "novelty-scheme"
    /// Internet culture licence (网络文化经营许可证, `京网文[2014]0059-0009号`).
    case cultureLicence = "culture-licence"
    /// Internet publication licence (`新出网证(京)字129号`).
    case publicationLicence = "publication-licence"

    public var description: String {
        switch self {
        case .campusScheme: "campus or organisation scheme"
        case .noveltyScheme: "novelty scheme"
        case .cultureLicence: "internet culture licence"
        case .publicationLicence: "internet publication licence"
        }
    }
}

/// Something shaped like a filing number that cannot be one (wrong serial length, no
/// province, no serial).
public struct MalformedFilingNumber: Hashable, Sendable {
    public let kind: FilingNumber.Kind
    public let province: Province?
    public let reason: String
}

/// One number found in text, with the text exactly as it was written.
public struct FilingNumberMatch: Hashable, Sendable {
    public enum Classification: Hashable, Sendable {
        case number(FilingNumber)
        case lookAlike(FilingLookAlike)
        case malformed(MalformedFilingNumber)
    }

    public let classification: Classification
    /// The input text of the match, exactly as written.
    public let verbatim: String
    /// Where `verbatim` lies in the input.
    public let range: Range<String.Index>

    /// The number, when the match is a well-formed one.
    public var number: FilingNumber? {
        if case .number(let number) = classification { return number }
        return nil
    }
}
