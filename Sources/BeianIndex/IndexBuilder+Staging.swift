import BeianCore
public import BeianRegistry
import Foundation

// What the builder keeps of each record from the moment it arrives: fixed-size rows whose
// text is already in the snapshot's string pool, and the values derived from a record alone
// (a domain's independent domain, a sponsor's normalised name hash, a homepage's address)
// worked out then — on the thread that read the record. No record object is held to the end:
// a national export is tens of millions of them.

/// A sponsor as the build needs it.
struct StagedSponsor {
    var id: Int64
    var number: StringRef
    var name: StringRef
    /// `IndexBuilder.nameHash` of the name: compared with the blacklist and with registrants.
    var nameHash: UInt64
    /// A hash of the normalised ID number (0 without one): compared with the blacklist's, in
    /// memory only. The snapshot holds only keyed hashes of blacklisted numbers.
    var identifierHash: UInt64
    var approved: Int64
    var nature: UInt16
    var province: UInt16
}

/// A site; its domains are `domains[domainStart ..< domainStart + domainCount]`.
struct StagedSite {
    var id: Int64
    var sponsorID: Int64
    var number: StringRef
    var names: StringRef
    var homepage: StringRef
    var firstFiled: Int64
    var siteIndex: UInt32
    var domainStart: UInt32
    var domainCount: UInt32
}

/// A filed domain: its name in the pool, and how long its independent domain (a suffix of
/// it) is — 0 when the name is itself a public suffix.
struct StagedDomain {
    var name: StringRef
    var independentLength: UInt16
}

/// An access record; its ranges are `accessRanges[rangeStart ..< rangeStart + rangeCount]`.
struct StagedAccess {
    var id: Int64
    var siteID: Int64
    var providerID: Int64
    var rangeStart: UInt32
    var rangeCount: UInt32
}

/// An IP filing record (source, allocation, self-brought) before its units are resolved.
struct StagedIPRecord {
    var id: Int64
    var range: IPRange
    var unitID: Int64
    /// 0 when the record names no target unit (`hasTarget` false).
    var targetID: Int64
    /// In `StagedRecords.userNames` (shared in the pool at `write`: many blocks have one user).
    var userName: StringRef
    var allocated: Int64
    var nature: UInt16
    var province: UInt16
    var mode: UInt8
    var hasTarget: Bool
}

/// A domain registration: by a 128-bit hash of the domain, the name hashes of the
/// registrant (0 when absent).
struct StagedRegistration {
    var key: IndexBuilder.RegistrationKey
    var name: UInt64
    var organisation: UInt64
    var hasName: Bool
    var hasOrganisation: Bool
}

/// The records of one part of the input (a whole build, or one piece of a file read on one
/// thread), staged. Text is added to the pool as it comes, never shared between records, so
/// that the snapshot is the same however the input was cut into parts.
struct StagedRecords {
    var pool = StringPoolBuilder()
    /// The user names of IP filing records, apart from the pool.
    var userNames = StringPoolBuilder()
    var sponsors: [StagedSponsor] = []
    var sites: [StagedSite] = []
    var domains: [StagedDomain] = []
    /// Sites whose homepage is a bare address: (index into `sites`, the address).
    var bareAddresses: [(site: Int, address: IPAddress)] = []
    var accesses: [StagedAccess] = []
    var accessRanges: [IPRange] = []
    var cancellations: [Cancellation] = []
    var ipSources: [StagedIPRecord] = []
    var allocations: [StagedIPRecord] = []
    var selfBrought: [StagedIPRecord] = []
    var registrations: [StagedRegistration] = []
    var units: [ReportingUnit] = []
    var provinces: [ProvinceEntry] = []
    var sponsorBlacklist: [SponsorBlacklistEntry] = []
    var siteBlacklist: [SiteBlacklistEntry] = []
    var illegalAccess: [IllegalAccessEntry] = []
    var unfiledEntries = 0

    /// Stages one record. `suffixes` gives filed domains their independent domains.
    mutating func add(_ record: RegistryRecord, suffixes: PublicSuffixList) {
        switch record {
        case .sponsor(let s):
            // The index keeps none of a sponsor's contact details: they are not even staged.
            sponsors.append(
                StagedSponsor(
                    id: s.id, number: pool.addUnique(s.number.normalized), name: pool.addUnique(s.name),
                    nameHash: IndexBuilder.nameHash(s.name),
                    identifierHash: s.idNumber.map { IndexBuilder.identifierHash($0.revealed) } ?? 0,
                    approved: s.approved?.secondsSince1970 ?? s.firstFiled?.secondsSince1970 ?? unknownTime,
                    nature: UInt16(clamping: s.nature ?? 0), province: UInt16(s.province?.code ?? 0)))
        case .site(let s):
            let domainStart = UInt32(domains.count)
            for domain in s.domains {
                let independent = suffixes.independentDomain(of: domain)
                domains.append(
                    StagedDomain(name: pool.addUnique(domain.ascii), independentLength: UInt16(independent?.ascii.utf8.count ?? 0)))
            }
            if let homepage = s.homepage, let address = IndexBuilder.address(inURL: homepage) {
                bareAddresses.append((sites.count, address))
            }
            sites.append(
                StagedSite(
                    id: s.id, sponsorID: s.sponsorID, number: pool.addUnique(s.number.normalized),
                    names: pool.addUnique(s.names.joined(separator: ";")), homepage: pool.addUnique(s.homepage),
                    firstFiled: s.firstFiled?.secondsSince1970 ?? unknownTime, siteIndex: UInt32(clamping: s.number.siteIndex ?? 0),
                    domainStart: domainStart, domainCount: UInt32(domains.count) - domainStart))
        case .access(let a):
            accesses.append(
                StagedAccess(
                    id: a.id, siteID: a.siteID, providerID: a.providerID, rangeStart: UInt32(accessRanges.count),
                    rangeCount: UInt32(a.ranges.count)))
            accessRanges += a.ranges
        case .cancellation(let c): cancellations.append(c)
        case .ipSource(let s):
            ipSources.append(
                ipRecord(s.id, s.range, unitID: s.unitID, targetID: nil, name: nil, nature: nil, province: nil, allocated: nil))
        case .ipAllocation(let a):
            var staged = ipRecord(
                a.id, a.range, unitID: a.unitID, targetID: a.targetUnitID, name: a.userName, nature: a.userNature, province: a.province,
                allocated: a.allocated)
            staged.mode = UInt8(a.mode.rawValue)
            allocations.append(staged)
        case .ipSelfBrought(let e):
            selfBrought.append(
                ipRecord(
                    e.id, e.range, unitID: e.unitID, targetID: nil, name: e.userName, nature: e.userNature, province: e.province,
                    allocated: e.allocated))
        case .domainRegistration(let r):
            registrations.append(
                StagedRegistration(
                    key: IndexBuilder.RegistrationKey(r.domain), name: r.registrantName.map(IndexBuilder.nameHash) ?? 0,
                    organisation: r.registrantOrganisation.map(IndexBuilder.nameHash) ?? 0, hasName: r.registrantName != nil,
                    hasOrganisation: r.registrantOrganisation != nil))
        case .sponsorBlacklist(let e): sponsorBlacklist.append(e)
        case .siteBlacklist(let e): siteBlacklist.append(e)
        case .illegalAccess(let e): illegalAccess.append(e)
        case .unfiledSite: unfiledEntries += 1
        case .reportingUnit(let u): units.append(u)
        case .province(let p): provinces.append(p)
        }
    }

    private mutating func ipRecord(
        _ id: Int64, _ range: IPRange, unitID: Int64, targetID: Int64?, name: String?, nature: Int?, province: Province?,
        allocated: Timestamp?
    ) -> StagedIPRecord {
        StagedIPRecord(
            id: id, range: range, unitID: unitID, targetID: targetID ?? 0, userName: userNames.addUnique(name),
            allocated: allocated?.secondsSince1970 ?? unknownTime, nature: UInt16(clamping: nature ?? 0),
            province: UInt16(province?.code ?? 0), mode: 0, hasTarget: targetID != nil)
    }

    /// Appends `other` after these records (its strings after this pool's), leaving out the
    /// records `dropped` names (by kind, their positions among `other`'s records of that kind).
    mutating func absorb(_ other: consuming StagedRecords, dropping dropped: [RecordKind: Set<Int>] = [:]) {
        let base = UInt64(pool.bytes.count)
        pool.appendBytes(other.pool.bytes)
        other.pool = StringPoolBuilder()
        let namesBase = UInt64(userNames.bytes.count)
        userNames.appendBytes(other.userNames.bytes)
        other.userNames = StringPoolBuilder()
        func moved(_ ref: StringRef) -> StringRef { ref.raw == 0 ? ref : StringRef(raw: ref.raw &+ base) }
        func kept<T>(_ items: [T], _ kind: RecordKind) -> [T] {
            guard let skip = dropped[kind], !skip.isEmpty else { return items }
            return items.indices.filter { !skip.contains($0) }.map { items[$0] }
        }
        let skippedSponsors = dropped[.sponsor] ?? []
        sponsors.reserveCapacity(sponsors.count + other.sponsors.count)
        for (position, var s) in other.sponsors.enumerated() where !skippedSponsors.contains(position) {
            s.number = moved(s.number)
            s.name = moved(s.name)
            sponsors.append(s)
        }
        other.sponsors = []
        let skippedSites = dropped[.site] ?? []
        var bare = other.bareAddresses[...]
        sites.reserveCapacity(sites.count + other.sites.count)
        domains.reserveCapacity(domains.count + other.domains.count)
        for (position, var s) in other.sites.enumerated() where !skippedSites.contains(position) {
            while let first = bare.first, first.site < position { bare = bare.dropFirst() }
            if let first = bare.first, first.site == position { bareAddresses.append((sites.count, first.address)) }
            let start = Int(s.domainStart)
            s.domainStart = UInt32(domains.count)
            for domain in other.domains[start..<(start + Int(s.domainCount))] {
                domains.append(StagedDomain(name: moved(domain.name), independentLength: domain.independentLength))
            }
            s.number = moved(s.number)
            s.names = moved(s.names)
            s.homepage = moved(s.homepage)
            sites.append(s)
        }
        other.sites = []
        other.domains = []
        let skippedAccess = dropped[.access] ?? []
        accesses.reserveCapacity(accesses.count + other.accesses.count)
        for (position, var a) in other.accesses.enumerated() where !skippedAccess.contains(position) {
            let start = Int(a.rangeStart)
            a.rangeStart = UInt32(accessRanges.count)
            accessRanges += other.accessRanges[start..<(start + Int(a.rangeCount))]
            accesses.append(a)
        }
        other.accesses = []
        other.accessRanges = []
        cancellations += other.cancellations
        func ipRecords(_ records: [StagedIPRecord], _ kind: RecordKind) -> [StagedIPRecord] {
            kept(records, kind).map {
                var record = $0
                record.userName = record.userName.raw == 0 ? record.userName : StringRef(raw: record.userName.raw &+ namesBase)
                return record
            }
        }
        ipSources += ipRecords(other.ipSources, .ipSource)
        allocations += ipRecords(other.allocations, .ipAllocation)
        selfBrought += ipRecords(other.selfBrought, .ipSelfBrought)
        registrations += kept(other.registrations, .domainRegistration)
        units += kept(other.units, .reportingUnit)
        provinces += kept(other.provinces, .province)
        sponsorBlacklist += other.sponsorBlacklist
        siteBlacklist += other.siteBlacklist
        illegalAccess += kept(other.illegalAccess, .illegalAccess)
        unfiledEntries += other.unfiledEntries - (dropped[.unfiledSite]?.count ?? 0)
    }
}

/// The records of one piece of the input, staged on the thread that reads it; the builder
/// takes them (`IndexBuilder.absorb`) in input order, so that a build reads its files in
/// parallel and still writes the same snapshot.
public final class IndexBuilderPart: RegistryPieceConsumer, @unchecked Sendable {
    // @unchecked: used by one thread at a time — filled by the reader of its piece, then
    // handed to the builder.
    var records = StagedRecords()
    let suffixes: PublicSuffixList
    private var dropped: [RecordKind: Set<Int>] = [:]

    init(suffixes: PublicSuffixList) {
        self.suffixes = suffixes
    }

    /// Takes one record from a reader.
    public func add(_ record: RegistryRecord) {
        records.add(record, suffixes: suffixes)
    }

    /// Leaves out the `ordinal`-th record of `kind` added to this part (a duplicate of a
    /// record in an earlier part, found only when the parts are put in order).
    public func drop(_ kind: RecordKind, ordinal: Int) {
        dropped[kind, default: []].insert(ordinal)
    }

    /// The records, and what to leave out of them.
    func take() -> (StagedRecords, [RecordKind: Set<Int>]) {
        let result = (records, dropped)
        records = StagedRecords()
        dropped = [:]
        return result
    }
}
