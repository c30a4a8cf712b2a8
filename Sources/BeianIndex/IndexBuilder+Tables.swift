import BeianCore
import BeianRegistry
import Crypto
import Foundation

// The stages of `IndexBuilder.write`, in the order it runs them: each turns some of the
// records collected into rows of the snapshot's tables, strings into the pool, and counts
// the references that lead nowhere.

/// The reporting units (code tables), by ID.
struct UnitTable {
    var rows: [UnitRow] = []
    var index: [Int64: UInt32] = [:]
}

/// When each cancelled sponsor, site and access record stopped being in force (the earliest
/// cancellation of each). Stages take the entries they resolve: what is left was never
/// matched.
struct CancellationTimes {
    var sponsors: [Int64: Int64] = [:]
    var sites: [Int64: Int64] = [:]
    var access: [Int64: Int64] = [:]
}

/// The sponsors with their blacklist flags, and the blacklist's name and ID tables.
struct SponsorTables {
    var rows: [SponsorRow] = []
    var index: [Int64: UInt32] = [:]
    /// The hash of each row's normalised name, compared with registrants' names.
    var nameHashes: [UInt64] = []
    var names = NameTableBuilder()
    var identifiers = NameTableBuilder()
    var blacklistedNames = 0
    var blacklistedIdentifiers = 0
}

/// The filings: sites with their access records, address ranges and domains.
struct FilingTables {
    var siteRows: [SiteRow] = []
    var accessRows: [AccessRow] = []
    var accessRanges: [RangeRow] = []
    var siteDomainRows: [SiteDomainRow] = []
    /// Filed names and independent domains, to the sites that file them.
    var domains = NameTableBuilder()
    /// Distinct domains in the registrations.
    var registrationCount = 0
    /// The ranges of access records, to the record.
    var filedRanges: [(range: IPRange, record: UInt32)] = []
    /// Sites whose homepage is a bare address, to the site.
    var bareAddressSites: [(range: IPRange, record: UInt32)] = []
}

/// The IP filing records and their allocation chains.
struct IPTables {
    var rows: [IPRecordRow] = []
    var tables: AddressTables
}

/// The site blacklist and the illegal-access list.
struct BlacklistTables {
    var blacklistTable = NameTableBuilder()
    var blacklistedDomains = 0
    var illegalRows: [IllegalAccessRow] = []
    var illegalDomains = NameTableBuilder()
    var illegalRanges: [(range: IPRange, record: UInt32)] = []
}

/// Ranges to records, as an address table with its interval chains.
struct AddressTables {
    var chains = IntervalBuilder()
    let table: AddressTableBuild

    /// `precedes` orders the records covering one interval, most specific first.
    init(_ ranges: [(range: IPRange, record: UInt32)], precedes: (UInt32, UInt32) -> Bool) {
        var chains = IntervalBuilder()
        table = AddressTableBuild(
            v4: chains.intervals(family: .v4, ranges: ranges, precedes: precedes),
            v6: chains.intervals(family: .v6, ranges: ranges, precedes: precedes))
        self.chains = chains
    }
}

extension IndexBuilder {
    /// The reporting units, the first of each ID.
    func unitTable(_ pool: inout StringPoolBuilder) -> UnitTable {
        var table = UnitTable()
        for unit in records.units where table.index[unit.id] == nil {
            table.index[unit.id] = UInt32(table.rows.count)
            let licensed = !(unit.licence ?? "").trimmingCharacters(in: .whitespaces).isEmpty
            table.rows.append(
                UnitRow(
                    id: unit.id, name: pool.add(unit.name), licence: pool.add(unit.licence), province: UInt16(unit.province?.code ?? 0),
                    unitClass: UInt16(clamping: unit.unitClass ?? 0), flags: (unit.valid == false ? 0 : 1) | (licensed ? 2 : 0)))
        }
        return table
    }

    /// The row of unit `id`, or `noValue` (counted as unresolved `what`).
    func resolve(_ id: Int64?, in units: UnitTable, _ what: String) -> UInt32 {
        guard let id else { return noValue }
        if let index = units.index[id] { return index }
        unresolved(what)
        return noValue
    }

    /// The cancellations by target. Without a date, a cancellation counts from the beginning
    /// of time.
    func cancellationTimes() -> CancellationTimes {
        var times = CancellationTimes()
        for cancellation in records.cancellations {
            let time = cancellation.cancelled?.secondsSince1970 ?? unknownTime
            switch cancellation.target {
            case .sponsor: times.sponsors[cancellation.recordID] = min(times.sponsors[cancellation.recordID] ?? never, time)
            case .site: times.sites[cancellation.recordID] = min(times.sites[cancellation.recordID] ?? never, time)
            case .access: times.access[cancellation.recordID] = min(times.access[cancellation.recordID] ?? never, time)
            }
        }
        return times
    }

    /// The sponsors, flagged when their name (normalised) or their ID number (through the
    /// keyed hash) is on the sponsor blacklist as it stands after every add, modify and delete.
    func sponsorTables(cancelled: inout CancellationTimes) -> SponsorTables {
        var tables = SponsorTables()
        var blacklistedNames: [String: UInt64] = [:]
        var blacklistedIDs: [String: UInt64] = [:]
        for entry in records.sponsorBlacklist {
            let name = IndexBuilder.normalisedName(entry.name)
            let id = entry.idNumber.map { IndexBuilder.identifierDigest($0.revealed, key: identifierKey) }
            switch entry.operation {
            case .add, .modify:
                blacklistedNames[name] = Array(name.utf8).withUnsafeBytes { XXHash64.hash($0) }
                if let id, let number = entry.idNumber { blacklistedIDs[id] = IndexBuilder.identifierHash(number.revealed) }
            case .delete:
                blacklistedNames[name] = nil
                if let id { blacklistedIDs[id] = nil }
            }
        }
        for name in blacklistedNames.keys.sorted() { tables.names.flag(name, 1) }
        for id in blacklistedIDs.keys.sorted() { tables.identifiers.flag(id, 1) }
        tables.blacklistedNames = blacklistedNames.count
        tables.blacklistedIdentifiers = blacklistedIDs.count
        let nameHashes = Set(blacklistedNames.values)
        let identifierHashes = Set(blacklistedIDs.values)
        tables.rows.reserveCapacity(records.sponsors.count)
        tables.nameHashes.reserveCapacity(records.sponsors.count)
        tables.index.reserveCapacity(records.sponsors.count)
        for sponsor in records.sponsors where tables.index[sponsor.id] == nil {
            tables.index[sponsor.id] = UInt32(tables.rows.count)
            var flags: UInt32 = 0
            if nameHashes.contains(sponsor.nameHash) { flags |= 1 }
            if sponsor.identifierHash != 0 && identifierHashes.contains(sponsor.identifierHash) { flags |= 2 }
            tables.rows.append(
                SponsorRow(
                    id: sponsor.id, number: sponsor.number, name: sponsor.name, nature: sponsor.nature, province: sponsor.province,
                    flags: flags, approved: sponsor.approved, cancelled: cancelled.sponsors.removeValue(forKey: sponsor.id) ?? never))
            tables.nameHashes.append(sponsor.nameHash)
        }
        records.sponsors = []
        return tables
    }

    /// The sites, each with its run of access records (and their ranges) and of domains (with
    /// their registration status against the sponsor).
    func filingTables(
        _ pool: StringPoolBuilder, units: UnitTable, sponsors: SponsorTables, registrations: RegistrationTable,
        cancelled: inout CancellationTimes
    )
        -> FilingTables
    {
        // Taken out of the staged records, so that each is freed as soon as its rows are made.
        let sites = records.sites
        let accesses = records.accesses
        let domains = records.domains
        let accessRanges = records.accessRanges
        records.sites = []
        records.accesses = []
        records.domains = []
        records.accessRanges = []
        var siteIndex: [Int64: UInt32] = [:]
        siteIndex.reserveCapacity(sites.count)
        var orderedSites: [Int] = []
        orderedSites.reserveCapacity(sites.count)
        for (position, site) in sites.enumerated() where siteIndex[site.id] == nil {
            siteIndex[site.id] = UInt32(orderedSites.count)
            orderedSites.append(position)
        }
        // Access records by site: (site, position) pairs sorted, then each site's run.
        var accessOrder: [(site: UInt32, position: UInt32)] = []
        accessOrder.reserveCapacity(accesses.count)
        for (position, access) in accesses.enumerated() {
            guard let site = siteIndex[access.siteID] else {
                unresolved("access record of a site not in the filings")
                continue
            }
            accessOrder.append((site, UInt32(position)))
        }
        siteIndex = [:]
        accessOrder.sort { $0.site != $1.site ? $0.site < $1.site : $0.position < $1.position }
        var bare = records.bareAddresses.sorted { $0.site < $1.site }[...]
        var tables = FilingTables()
        tables.registrationCount = registrations.count
        tables.siteRows.reserveCapacity(orderedSites.count)
        tables.accessRows.reserveCapacity(accesses.count)
        tables.accessRanges.reserveCapacity(accessRanges.count)
        tables.siteDomainRows.reserveCapacity(domains.count)
        tables.filedRanges.reserveCapacity(accessRanges.count)
        // Each domain and its independent domain (never longer than the domain).
        tables.domains.reserve(2 * domains.count, bytes: 2 * domains.reduce(0) { $0 + $1.name.length })
        var nextAccess = 0
        for (index, position) in orderedSites.enumerated() {
            let site = sites[position]
            let sponsor = sponsors.index[site.sponsorID] ?? noValue
            if sponsor == noValue { unresolved("site of a sponsor not in the filings") }
            let accessStart = UInt32(tables.accessRows.count)
            while nextAccess < accessOrder.count && accessOrder[nextAccess].site == UInt32(index) {
                let access = accesses[Int(accessOrder[nextAccess].position)]
                nextAccess += 1
                let rangeStart = UInt32(tables.accessRanges.count)
                for range in accessRanges[Int(access.rangeStart)..<Int(access.rangeStart + access.rangeCount)] {
                    tables.filedRanges.append((range, UInt32(tables.accessRows.count)))
                    tables.accessRanges.append(RangeRow(range))
                }
                tables.accessRows.append(
                    AccessRow(
                        id: access.id, site: UInt32(index),
                        provider: resolve(access.providerID, in: units, "access provider not in the code tables"),
                        providerID: access.providerID, cancelled: cancelled.access.removeValue(forKey: access.id) ?? never,
                        rangeStart: rangeStart, rangeCount: access.rangeCount))
            }
            let domainStart = UInt32(tables.siteDomainRows.count)
            for domain in domains[Int(site.domainStart)..<Int(site.domainStart + site.domainCount)] {
                let status = pool.withBytes(domain.name) { name in
                    domainEntry(
                        name, independentLength: Int(domain.independentLength), site: UInt32(index), sponsor: sponsor, sponsors: sponsors,
                        registrations: registrations, into: &tables)
                }
                tables.siteDomainRows.append(SiteDomainRow(name: domain.name, site: UInt32(index), registration: status.rawValue))
            }
            while let first = bare.first, first.site < position { bare = bare.dropFirst() }
            if let first = bare.first, first.site == position { tables.bareAddressSites.append((IPRange(first.address), UInt32(index))) }
            let siteCancelled = cancelled.sites.removeValue(forKey: site.id) ?? never
            tables.siteRows.append(
                SiteRow(
                    id: site.id, sponsor: sponsor, siteIndex: site.siteIndex, number: site.number, names: site.names,
                    homepage: site.homepage, firstFiled: site.firstFiled, cancelled: siteCancelled,
                    accessStart: accessStart, accessCount: UInt32(tables.accessRows.count) - accessStart, domainStart: domainStart,
                    domainCount: UInt32(tables.siteDomainRows.count) - domainStart,
                    inForceUntil: min(siteCancelled, sponsor == noValue ? never : sponsors.rows[Int(sponsor)].cancelled)))
        }
        return tables
    }

    /// Files `name` (and its independent domain, the last `independentLength` bytes of it) for
    /// `site` in the domain table; returns its registration status: registered to the
    /// sponsor, to someone else, not at all, or not known (no registrations loaded; a
    /// sub-domain is not registered on its own).
    private func domainEntry(
        _ name: UnsafeRawBufferPointer, independentLength: Int, site: UInt32, sponsor: UInt32, sponsors: SponsorTables,
        registrations: RegistrationTable, into tables: inout FilingTables
    ) -> RegistrationStatus {
        tables.domains.add(bytes: name, posting: site, flags: DomainFlags.filed, rank: 1)
        guard independentLength > 0 else { return .notApplicable }
        let isIndependent = independentLength == name.count
        let flags = isIndependent ? DomainFlags.independent : DomainFlags.independent | DomainFlags.filedBelow
        tables.domains.add(
            bytes: UnsafeRawBufferPointer(rebasing: name[(name.count - independentLength)...]), posting: site, flags: flags, rank: 0)
        guard isIndependent else { return .notApplicable }
        guard !registrations.isEmpty else { return .unknown }
        guard let registration = registrations.find(RegistrationKey(ascii: name)) else { return .unregistered }
        guard sponsor != noValue else { return .registeredToOther }
        let owner = sponsors.nameHashes[Int(sponsor)]
        return (registration.hasName && registration.name == owner) || (registration.hasOrganisation && registration.organisation == owner)
            ? .registeredToSponsor : .registeredToOther
    }

    /// The IP filing records (source blocks, allocations, self-brought blocks) and their
    /// chains: for each address, the records covering it, most specific first.
    func ipTables(_ pool: inout StringPoolBuilder, units: UnitTable) -> IPTables {
        var rows: [IPRecordRow] = []
        var ranges: [(range: IPRange, record: UInt32)] = []
        let count = records.ipSources.count + records.allocations.count + records.selfBrought.count
        rows.reserveCapacity(count)
        ranges.reserveCapacity(count)
        for (kind, staged) in [
            (IPRecordKind.source, records.ipSources), (.allocation, records.allocations), (.selfBrought, records.selfBrought),
        ] {
            for record in staged {
                ranges.append((record.range, UInt32(rows.count)))
                rows.append(
                    IPRecordRow(
                        id: record.id, range: RangeRow(record.range), kind: kind.rawValue, mode: record.mode, userNature: record.nature,
                        province: record.province, unit: resolve(record.unitID, in: units, "IP filing unit not in the code tables"),
                        target: record.hasTarget
                            ? resolve(record.targetID, in: units, "IP allocation target not in the code tables") : noValue,
                        unitID: record.unitID, targetID: record.targetID,
                        userName: record.userName == .empty ? .empty : pool.add(records.userNames.string(record.userName)),
                        allocated: record.allocated))
            }
        }
        let table = AddressTables(ranges) { Self.precedes(rows[Int($0)], $0, rows[Int($1)], $1) }
        return IPTables(rows: rows, tables: table)
    }

    /// Whether record `a` is more specific than record `b` where both cover an address: the
    /// smaller block; for the same block at two levels, the unit that received it; then
    /// self-brought and allocated before re-allocated before source blocks; then the later.
    static func precedes(_ x: IPRecordRow, _ a: UInt32, _ y: IPRecordRow, _ b: UInt32) -> Bool {
        func rank(_ row: IPRecordRow) -> Int {
            switch IPRecordKind(rawValue: row.kind) {
            case .source: 3
            case .allocation: row.mode == AllocationMode.reallocated.rawValue ? 2 : 1
            default: 0
            }
        }
        let sizeX = x.range.range.spanMinusOne
        let sizeY = y.range.range.spanMinusOne
        if sizeX != sizeY { return sizeX < sizeY }
        if x.unitID == y.targetID && y.targetID != 0 { return true }
        if y.unitID == x.targetID && x.targetID != 0 { return false }
        if rank(x) != rank(y) { return rank(x) < rank(y) }
        return a > b
    }

    /// Blacklisted sites' domains (which cover their sub-domains) as the list stands after
    /// every add and delete, and the illegal-access list by domain and by address.
    func blacklistTables(_ pool: inout StringPoolBuilder, units: UnitTable) -> BlacklistTables {
        var tables = BlacklistTables()
        var blacklistedDomains: Set<String> = []
        for entry in records.siteBlacklist {
            for domain in entry.domains {
                if entry.operation == .delete { blacklistedDomains.remove(domain.ascii) } else { blacklistedDomains.insert(domain.ascii) }
            }
        }
        for domain in blacklistedDomains.sorted() { tables.blacklistTable.flag(domain, 1) }
        tables.blacklistedDomains = blacklistedDomains.count
        for entry in records.illegalAccess {
            let index = UInt32(tables.illegalRows.count)
            if let domain = entry.domain { tables.illegalDomains.add(domain.ascii, posting: index) }
            if let address = entry.address { tables.illegalRanges.append((IPRange(address), index)) }
            tables.illegalRows.append(
                IllegalAccessRow(
                    id: entry.id, domain: pool.add(entry.domain?.ascii), address: RangeRow(IPRange(entry.address ?? .v4(IPv4Address(0)))),
                    hasAddress: entry.address == nil ? 0 : 1,
                    provider: resolve(entry.providerID, in: units, "illegal-access provider not in the code tables"),
                    providerID: entry.providerID ?? 0, detected: entry.detected?.secondsSince1970 ?? unknownTime))
        }
        return tables
    }

    /// The public suffix rules, which travel with the index so that a scan judges as the
    /// build did. Each proper suffix of a rule is marked as having longer rules, so that
    /// lookups walk from the top-level domain leftwards and stop at the first name without any.
    static func suffixRuleTable(_ suffixes: PublicSuffixList) -> NameTableBuilder {
        var rules = NameTableBuilder()
        for (name, flags) in suffixes.ruleFlags {
            rules.flag(name, UInt8(truncatingIfNeeded: flags))
            var rest = Substring(name)
            while let dot = rest.firstIndex(of: ".") {
                rest = rest[rest.index(after: dot)...]
                rules.flag(String(rest), SuffixRuleFlags.longer)
            }
        }
        return rules
    }
}

extension SnapshotWriter {
    /// A name table's sections.
    func addNames(_ id: Character, _ table: BuiltNameTable) {
        add(Sections.names(id, "S"), array: table.slots)
        add(Sections.names(id, "P"), array: table.postings)
        add(Sections.names(id, "N"), array: table.longNames)
    }

    /// An address table's sections.
    func addTable(_ id: Character, _ tables: AddressTables) {
        let table = tables.table
        let chains = tables.chains
        add(Sections.table(id, "k"), array: [UInt32(table.v4KeyBits)])
        add(Sections.table(id, "b"), array: table.v4Buckets)
        // Per IPv4 interval, its start and its chain's first record: a most-specific lookup
        // reads the bucket and one line of pairs, no chain.
        add(Sections.table(id, "p"), array: table.v4Pairs { chains.first(ofChain: $0) })
        add(Sections.table(id, "v"), array: table.v4Values)
        add(Sections.table(id, "B"), array: table.v6Buckets)
        add(Sections.table(id, "H"), array: table.v6StartsHigh)
        add(Sections.table(id, "S"), array: table.v6Samples)
        add(Sections.table(id, "L"), array: table.v6StartsLow)
        add(Sections.table(id, "V"), array: table.v6Values)
        add(Sections.table(id, "c"), array: chains.chainStarts)
        add(Sections.table(id, "e"), array: chains.chainEntries)
        // The first record of each chain, for lookups that want only the most specific one.
        add(Sections.table(id, "f"), array: (0..<chains.chainCount).map { chains.first(ofChain: UInt32($0)) })
    }
}

extension IndexInfo {
    /// The section's JSON (keys sorted), written by the one JSON writer; read back with
    /// `JSONDecoder` through `Codable`.
    var json: [UInt8] {
        var object = JSONObject()
        object.set("formatVersion", formatVersion)
        object.set("buildTime", buildTime)
        object.set("suffixPolicy", suffixPolicy)
        object.set("suffixRules", suffixRules)
        object.set("identifierKey", identifierKey)
        object["counts"] = .object(JSONObject(counts.mapValues { JSONValue($0) }))
        object["unresolved"] = .object(JSONObject(unresolved.mapValues { JSONValue($0) }))
        object["sources"] = .array(
            sources.map { ["path": JSONValue($0.path), "bytes": JSONValue($0.bytes), "digest": JSONValue($0.digest)] })
        return Array(JSONValue.object(object).text().utf8)
    }
}

/// The domain registrations by domain, the last of each: a map from the low half of each
/// domain's 128-bit hash to its place in the staged array (12 bytes a bucket, where a
/// dictionary of whole registrations took 56), the high half checked there.
struct RegistrationTable {
    private let registrations: [StagedRegistration]
    private var places: [UInt64: UInt32] = [:]
    /// Domains whose low half is another's (about one in 10¹² pairs).
    private var overflow: [IndexBuilder.RegistrationKey: UInt32] = [:]

    init(_ registrations: [StagedRegistration]) {
        self.registrations = registrations
        places.reserveCapacity(registrations.count)
        for (position, registration) in registrations.enumerated() {
            let key = registration.key
            if let known = places[key.low], self.registrations[Int(known)].key != key {
                overflow[key] = UInt32(position)
            } else {
                places[key.low] = UInt32(position)
            }
        }
    }

    var count: Int { places.count + overflow.count }
    var isEmpty: Bool { registrations.isEmpty }

    func find(_ key: IndexBuilder.RegistrationKey) -> StagedRegistration? {
        if let place = places[key.low], registrations[Int(place)].key == key { return registrations[Int(place)] }
        return overflow[key].map { registrations[Int($0)] }
    }
}
