import Foundation

/// The Public Suffix List, and the independent domain (独立域名) it defines: the name
/// registered directly under a public suffix (`sina.com.cn` for `news.sina.com.cn`).
///
/// Data: the list file of Debian's `publicsuffix` package
/// (`/usr/share/publicsuffix/public_suffix_list.dat`), updated with the system's packages; a
/// newer copy from publicsuffix.org can be given explicitly. Rules in Unicode are converted
/// to A-labels when loaded, so `.中国`, `.公司` and `.网络` work in both forms.
///
/// Policy on the private section: by default only the ICANN section counts
/// (`Policy.icann`). The filing system compares the domains that registrars and CNNIC
/// report, which are names registered under ICANN suffixes; a name under a company's
/// private suffix (`x.github.io`, a cloud's customer sub-domains) is that company's domain,
/// and the company's own filing is the one that covers it. `Policy.all` includes the private
/// section for operators who want each customer sub-domain judged on its own.
public struct PublicSuffixList: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Policy: String, Sendable, CaseIterable {
        /// ICANN section only (the default).
        case icann
        /// ICANN and private sections.
        case all
    }

    /// Where the list is looked for when no file is given, in order.
    public static let defaultLocations = [
        "/usr/share/publicsuffix/public_suffix_list.dat",
        "/usr/share/publicsuffix/effective_tld_names.dat",
    ]

    /// Largest list file read (the real one is about 250 KB).
    public static let maximumFileSize = 16 << 20

    private var rules: Set<String> = []
    private var wildcards: Set<String> = []
    private var exceptions: Set<String> = []
    /// The kind bits of every rule name (one lookup per candidate suffix).
    private var flagsByName: [String: UInt32] = [:]
    public let policy: Policy
    /// Counts of rules loaded, for `beian version` and index statistics.
    public private(set) var ruleCount = 0

    /// Parses list text in the publicsuffix.org format.
    public init(text: String, policy: Policy = .icann) {
        self.policy = policy
        var inPrivate = false
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingASCIISpaces()
            if line.hasPrefix("//") {
                if line.contains("===BEGIN PRIVATE DOMAINS===") { inPrivate = true }
                if line.contains("===END PRIVATE DOMAINS===") { inPrivate = false }
                continue
            }
            if line.isEmpty || (inPrivate && policy == .icann) { continue }
            // A rule ends at the first whitespace.
            let rule = line.prefix { $0 != " " && $0 != "\t" }
            if rule.hasPrefix("!") {
                if let name = try? DomainName(rule.dropFirst()) { exceptions.insert(name.ascii) }
            } else if rule.hasPrefix("*.") {
                if let name = try? DomainName(rule.dropFirst(2)) { wildcards.insert(name.ascii) }
            } else if let name = try? DomainName(rule) {
                rules.insert(name.ascii)
            } else {
                continue
            }
            ruleCount += 1
        }
        for name in rules { flagsByName[name, default: 0] |= PublicSuffixList.plainRule }
        for name in wildcards { flagsByName[name, default: 0] |= PublicSuffixList.wildcardRule }
        for name in exceptions { flagsByName[name, default: 0] |= PublicSuffixList.exceptionRule }
    }

    /// Loads the list from `path`, or from the first of `defaultLocations` that exists.
    public static func load(path: String? = nil, policy: Policy = .icann) throws(ValueError) -> PublicSuffixList {
        let candidates = path.map { [$0] } ?? defaultLocations
        for candidate in candidates {
            guard FileManager.default.fileExists(atPath: candidate) else { continue }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: candidate),
                let size = attributes[.size] as? Int, size <= maximumFileSize
            else {
                throw ValueError(.tooLong, "public suffix list \(candidate) is missing or larger than \(maximumFileSize) bytes")
            }
            guard let data = FileManager.default.contents(atPath: candidate) else {
                throw ValueError(.invalidDomain, "cannot read the public suffix list \(candidate)")
            }
            return PublicSuffixList(text: String(decoding: data, as: UTF8.self), policy: policy)
        }
        throw ValueError(
            .invalidDomain,
            path.map { "public suffix list \($0) not found" }
                ?? "public suffix list not found in \(defaultLocations.joined(separator: ", ")); install Debian's publicsuffix package or pass --psl FILE"
        )
    }

    /// Rule kinds, as bits: a plain rule, the base of a wildcard rule (`*.name`), an exception
    /// (`!name`).
    public static let plainRule: UInt32 = 1
    public static let wildcardRule: UInt32 = 2
    public static let exceptionRule: UInt32 = 4

    /// Every rule name with its kind bits, sorted (to carry the list inside an index).
    public var ruleFlags: [(String, UInt32)] {
        flagsByName.sorted { $0.key < $1.key }
    }

    /// The public suffix of `name` (`com.cn` for `news.sina.com.cn`). An unknown TLD is its
    /// own suffix (the list's implicit `*` rule).
    public func publicSuffix(of name: DomainName) -> Substring {
        PublicSuffixList.publicSuffix(of: name.ascii) { candidate in flagsByName[String(candidate)] ?? 0 }
    }

    /// The public suffix of the lookup-form name `ascii`, with rules given by `flags` (the kind
    /// bits of a name, 0 when it names no rule). Walks from the longest candidate (the whole
    /// name) to the shortest (the TLD); the first match is the longest rule, which prevails.
    public static func publicSuffix(of ascii: String, flags: (Substring) -> UInt32) -> Substring {
        // Indices move over the UTF-8 view: the name is ASCII, and no character is made.
        let utf8 = ascii.utf8
        var labelStart = ascii.startIndex
        while true {
            let candidate = ascii[labelStart...]
            let dot = utf8[labelStart...].firstIndex(of: 0x2E)
            let own = flags(candidate)
            if own & exceptionRule != 0 {
                // An exception rule: its parent is the suffix.
                return dot.map { ascii[utf8.index(after: $0)...] } ?? candidate
            }
            if own & plainRule != 0 { return candidate }
            if let dot, flags(ascii[utf8.index(after: dot)...]) & wildcardRule != 0 { return candidate }
            guard let dot else { return candidate }
            labelStart = ascii.index(after: dot)
        }
    }

    /// The independent domain of `name`: its public suffix plus one label. Nil when the name
    /// is itself a public suffix (`com.cn`, `中国`).
    public func independentDomain(of name: DomainName) -> DomainName? {
        PublicSuffixList.independentDomain(of: name.ascii, suffix: publicSuffix(of: name)).map { DomainName(uncheckedASCII: $0) }
    }

    /// The independent domain of `ascii` given its public suffix (a slice of it).
    public static func independentDomain(of ascii: String, suffix: Substring) -> String? {
        guard suffix.startIndex > ascii.startIndex else { return nil }
        let utf8 = ascii.utf8
        let beforeSuffix = utf8[..<utf8.index(before: suffix.startIndex)]
        let start = beforeSuffix.lastIndex(of: 0x2E).map { utf8.index(after: $0) } ?? ascii.startIndex
        return String(ascii[start...])
    }

    /// True when `name` is exactly a public suffix.
    public func isPublicSuffix(_ name: DomainName) -> Bool {
        publicSuffix(of: name).startIndex == name.ascii.startIndex
    }

    public var description: String { "public suffix list (\(policy.rawValue), \(ruleCount) rules)" }
    public var debugDescription: String { description }

}
