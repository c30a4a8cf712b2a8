import BeianCore

/// The fixed-size records of a snapshot. Each is a plain struct of fixed-width fields with
/// explicit padding, written and mapped as is (little-endian, as every machine beian runs on);
/// a change to any of them changes `SnapshotFormat.version`.

/// A string in the snapshot's string pool: offset in the low 40 bits, length in the high 24.
struct StringRef: Hashable, BitwiseCopyable {
    var raw: UInt64

    static let empty = StringRef(raw: 0)

    init(raw: UInt64) {
        self.raw = raw
    }

    init(offset: Int, length: Int) {
        raw = UInt64(offset) | UInt64(length) << 40
    }

    var offset: Int { Int(raw & 0xFF_FFFF_FFFF) }
    var length: Int { Int(raw >> 40) }
}

/// "Never" for cancellation times.
let never = Int64.max
/// "Unknown" for times.
let unknownTime = Int64.min

/// A reporting unit (报备单位).
struct UnitRow: BitwiseCopyable {
    var id: Int64
    var name: StringRef
    var licence: StringRef
    var province: UInt16
    var unitClass: UInt16
    /// Bit 0: valid; bit 1: holds an operating licence.
    var flags: UInt32
}

/// A sponsor (主办者). No personal data: the ID number is only ever hashed.
struct SponsorRow: BitwiseCopyable {
    var id: Int64
    var number: StringRef
    var name: StringRef
    var nature: UInt16
    var province: UInt16
    /// Bit 0: blacklisted by name; bit 1: blacklisted by ID (keyed hash).
    var flags: UInt32
    var approved: Int64
    var cancelled: Int64
}

/// A filed site (网站).
struct SiteRow: BitwiseCopyable {
    var id: Int64
    var sponsor: UInt32
    var siteIndex: UInt32
    var number: StringRef
    var names: StringRef
    var homepage: StringRef
    var firstFiled: Int64
    var cancelled: Int64
    /// The site's access records are `access[accessStart ..< accessStart + accessCount]`.
    var accessStart: UInt32
    var accessCount: UInt32
    /// The site's domains are `siteDomains[domainStart ..< domainStart + domainCount]`.
    var domainStart: UInt32
    var domainCount: UInt32
    /// The earlier of the site's and its sponsor's cancellation (`never`, `unknownTime` or a
    /// time): whether the filing is in force is read from this row alone.
    var inForceUntil: Int64
}

/// An access record (接入).
struct AccessRow: BitwiseCopyable {
    var id: Int64
    var site: UInt32
    /// The access provider: an index into `units`, or `noValue` when its unit is not in the
    /// code tables (then `providerID` still says which).
    var provider: UInt32
    var providerID: Int64
    var cancelled: Int64
    /// Its ranges are `accessRanges[rangeStart ..< rangeStart + rangeCount]`.
    var rangeStart: UInt32
    var rangeCount: UInt32
}

/// An address range (a filed access range, or the range of an IP filing record).
struct RangeRow: BitwiseCopyable {
    var firstHigh: UInt64
    var firstLow: UInt64
    var lastHigh: UInt64
    var lastLow: UInt64
    /// 4 or 6.
    var family: UInt8
    var padding: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0)

    init(_ range: IPRange) {
        firstHigh = UInt64(truncatingIfNeeded: range.first.bits >> 64)
        firstLow = UInt64(truncatingIfNeeded: range.first.bits)
        lastHigh = UInt64(truncatingIfNeeded: range.last.bits >> 64)
        lastLow = UInt64(truncatingIfNeeded: range.last.bits)
        family = range.family == .v4 ? 4 : 6
    }

    var range: IPRange {
        let fam: IPAddress.Family = family == 4 ? .v4 : .v6
        let first = IPAddress(family: fam, bits: UInt128(firstHigh) << 64 | UInt128(firstLow))
        let last = IPAddress(family: fam, bits: UInt128(lastHigh) << 64 | UInt128(lastLow))
        return (try? IPRange(first: first, last: last)) ?? IPRange(first)
    }
}

/// A domain filed for a site, with what the registration data say of it.
struct SiteDomainRow: BitwiseCopyable {
    var name: StringRef
    var site: UInt32
    /// `RegistrationStatus` raw value.
    var registration: UInt8
    var padding: (UInt8, UInt8, UInt8) = (0, 0, 0)
}

/// An IP filing record: a source range (来源), an allocation (分配) or a self-brought range
/// (自带).
struct IPRecordRow: BitwiseCopyable {
    var id: Int64
    var range: RangeRow
    /// `IPRecordKind` raw value.
    var kind: UInt8
    /// `Fpfs` for allocations, 0 otherwise.
    var mode: UInt8
    var userNature: UInt16
    var province: UInt16
    var padding: UInt16 = 0
    /// The reporting unit (allocating unit, or holder of a source or self-brought range), as an
    /// index into `units` or `noValue`; `unitID` always.
    var unit: UInt32
    var target: UInt32
    var unitID: Int64
    var targetID: Int64
    var userName: StringRef
    var allocated: Int64
}

/// The layout of one slot of a name hash table: 32 bytes, so that a slot never straddles two
/// cache lines and a lookup of a short name touches one line.
///
/// ```
/// 0   tag: the high 32 bits of the name's hash, with the low bit set (0 = empty slot)
/// 4   value: the only posting when count is 1, the first posting's index when count > 1,
///     flag bits in tables without postings
/// 8   count of postings (low 24 bits) and flags (high 8 bits)
/// 12  name length in bytes (UInt16)
/// 14  the name, when at most 18 bytes; otherwise, at 16, its offset (UInt32) in the table's
///     long-name section
/// ```
///
/// Slots are found by "fast range" reduction of the hash's low 32 bits (`low × capacity >> 32`),
/// so a table can be sized for a load of two thirds instead of the next power of two.
/// Flags of the suffix rule table's entries: `PublicSuffixList`'s rule kinds, and one more.
enum SuffixRuleFlags {
    static let plain = UInt8(PublicSuffixList.plainRule)
    static let wildcard = UInt8(PublicSuffixList.wildcardRule)
    static let exception = UInt8(PublicSuffixList.exceptionRule)
    /// Some rule is longer than this name and ends with it (`com.cn` for `cn`).
    static let longer: UInt8 = 8
}

/// Flags of the domain table's entries.
enum DomainFlags {
    /// Sites file this exact name (the entry's postings are theirs).
    static let filed: UInt8 = 1
    /// Names strictly below this one are filed (look for a longer filed suffix).
    static let filedBelow: UInt8 = 2
    /// This name is the independent domain of filed names; when it is not filed itself, the
    /// postings are the sites filing names below it.
    static let independent: UInt8 = 4
}

enum NameSlotLayout {
    static let size = 32
    static let nameOffset = 14
    static let inlineCapacity = 18
    static let countMask: UInt32 = 0xFF_FFFF
    /// Most postings under one name.
    static let maximumPostings = Int(countMask)
    /// Longest name a table holds (longer ones are refused and counted by the builder).
    static let maximumNameLength = Int(UInt16.max)
    /// Most bytes of long names in one table (their offsets are 32-bit).
    static let maximumLongNameBytes = Int(UInt32.max)
}

/// One entry of the illegal-access list.
struct IllegalAccessRow: BitwiseCopyable {
    var id: Int64
    var domain: StringRef
    var address: RangeRow
    var hasAddress: UInt8
    var padding: (UInt8, UInt8, UInt8) = (0, 0, 0)
    var provider: UInt32
    var providerID: Int64
    var detected: Int64
}

/// What registrars report about a filed domain.
public enum RegistrationStatus: UInt8, Sendable, CaseIterable {
    /// No registration data were loaded: nothing can be said.
    case unknown = 0
    /// Registered, and the registrant is the sponsor.
    case registeredToSponsor = 1
    /// Registered to someone else (registrant mismatch).
    case registeredToOther = 2
    /// Registration data were loaded, and this domain is not in them.
    case unregistered = 3
    /// Not a registrable name itself (a filed sub-domain): its independent domain's status counts.
    case notApplicable = 4
}

/// The kinds of IP filing record.
public enum IPRecordKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case source = 1
    case allocation = 2
    case selfBrought = 3

    public var description: String {
        switch self {
        case .source: "source"
        case .allocation: "allocation"
        case .selfBrought: "self-brought"
        }
    }
}

/// The sections of a version-1 snapshot.
enum Sections {
    static let info = SectionID("INFO")
    static let strings = SectionID("STRS")
    static let units = SectionID("UNIT")
    static let sponsors = SectionID("SPON")
    static let sites = SectionID("SITE")
    static let access = SectionID("ACCS")
    static let accessRanges = SectionID("ACRG")
    static let siteDomains = SectionID("SDOM")
    static let ipRecords = SectionID("IPRC")
    static let ipChains = SectionID("IPCH")
    static let ipChainStarts = SectionID("IPCS")
    static let filedChains = SectionID("FLCH")
    static let filedChainStarts = SectionID("FLCS")
    static let blacklistChains = SectionID("BLCH")
    static let blacklistChainStarts = SectionID("BLCS")
    static let illegalAccess = SectionID("ILLA")
    static let suffixRules = SectionID("PSLR")
    static let suffixPostings = SectionID("PSLP")

    /// The sections of one address table, by a one-character map name.
    static func table(_ map: Character, _ part: Character) -> SectionID {
        let name = "A\(map)\(part)_"
        var value: UInt32 = 0
        for byte in name.utf8.reversed() { value = value << 8 | UInt32(byte) }
        return SectionID(rawValue: value)
    }

    /// The sections of one name table.
    static func names(_ table: Character, _ part: Character) -> SectionID {
        let name = "N\(table)\(part)_"
        var value: UInt32 = 0
        for byte in name.utf8.reversed() { value = value << 8 | UInt32(byte) }
        return SectionID(rawValue: value)
    }
}
