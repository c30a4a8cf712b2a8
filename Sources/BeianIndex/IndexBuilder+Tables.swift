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
    /// Normalised sponsor names, by row, when something compares them (registrants).
    var registrantNames: [String] = []
    var comparesNames = false
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
        for unit in units where table.index[unit.id] == nil {
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
        for cancellation in cancellations {
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
    func sponsorTables(_ pool: inout StringPoolBuilder, cancelled: inout CancellationTimes) -> SponsorTables {
        var tables = SponsorTables()
        let key = SymmetricKey(data: options.identifierKey ?? Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
        var blacklistedNames: Set<String> = []
        var blacklistedIDs: Set<String> = []
        for entry in sponsorBlacklist {
            let name = IndexBuilder.normalisedName(entry.name)
            let id = entry.idNumber.map { IndexBuilder.identifierDigest($0.revealed, key: key) }
            switch entry.operation {
            case .add, .modify:
                blacklistedNames.insert(name)
                if let id { blacklistedIDs.insert(id) }
            case .delete:
                blacklistedNames.remove(name)
                if let id { blacklistedIDs.remove(id) }
            }
        }
        for name in blacklistedNames.sorted() { tables.names.flag(name, 1) }
        for id in blacklistedIDs.sorted() { tables.identifiers.flag(id, 1) }
        tables.blacklistedNames = blacklistedNames.count
        tables.blacklistedIdentifiers = blacklistedIDs.count
        tables.rows.reserveCapacity(sponsors.count)
        // Normalised names (NFKC) cost; they are made only when something compares them.
        tables.comparesNames = !registrations.isEmpty || !blacklistedNames.isEmpty
        for sponsor in sponsors where tables.index[sponsor.id] == nil {
            tables.index[sponsor.id] = UInt32(tables.rows.count)
            var flags: UInt32 = 0
            let normalised = tables.comparesNames ? IndexBuilder.normalisedName(sponsor.name) : ""
            if tables.comparesNames && blacklistedNames.contains(normalised) { flags |= 1 }
            if let id = sponsor.idNumber, blacklistedIDs.contains(IndexBuilder.identifierDigest(id.revealed, key: key)) { flags |= 2 }
            tables.rows.append(
                SponsorRow(
                    id: sponsor.id, number: pool.addUnique(sponsor.number.normalized), name: pool.addUnique(sponsor.name),
                    nature: UInt16(clamping: sponsor.nature ?? 0),
                    province: UInt16(sponsor.province?.code ?? 0), flags: flags,
                    approved: sponsor.approved?.secondsSince1970 ?? sponsor.firstFiled?.secondsSince1970 ?? unknownTime,
                    cancelled: cancelled.sponsors.removeValue(forKey: sponsor.id) ?? never))
            if tables.comparesNames { tables.registrantNames.append(normalised) }
        }
        return tables
    }

    /// The sites, each with its run of access records (and their ranges) and of domains (with
    /// their registration status against the sponsor). Records are reached by position, not
    /// copied: at national scale they are gigabytes.
    func filingTables(
        _ pool: inout StringPoolBuilder, units: UnitTable, sponsors: SponsorTables, cancelled: inout CancellationTimes,
        suffixes: PublicSuffixList
    ) -> FilingTables {
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
        accessOrder.sort { $0.site != $1.site ? $0.site < $1.site : $0.position < $1.position }
        var tables = FilingTables()
        tables.siteRows.reserveCapacity(orderedSites.count)
        tables.accessRows.reserveCapacity(accesses.count)
        tables.accessRanges.reserveCapacity(accesses.count)
        tables.siteDomainRows.reserveCapacity(orderedSites.count * 2)
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
                for range in access.ranges {
                    tables.filedRanges.append((range, UInt32(tables.accessRows.count)))
                    tables.accessRanges.append(RangeRow(range))
                }
                tables.accessRows.append(
                    AccessRow(
                        id: access.id, site: UInt32(index),
                        provider: resolve(access.providerID, in: units, "access provider not in the code tables"),
                        providerID: access.providerID, cancelled: cancelled.access.removeValue(forKey: access.id) ?? never,
                        rangeStart: rangeStart, rangeCount: UInt32(access.ranges.count)))
            }
            let domainStart = UInt32(tables.siteDomainRows.count)
            for domain in site.domains {
                let status = domainEntry(
                    domain, site: UInt32(index), sponsor: sponsor, sponsors: sponsors, suffixes: suffixes, into: &tables)
                tables.siteDomainRows.append(
                    SiteDomainRow(name: pool.addUnique(domain.ascii), site: UInt32(index), registration: status.rawValue))
            }
            if let homepage = site.homepage, let address = IndexBuilder.address(inURL: homepage) {
                tables.bareAddressSites.append((IPRange(address), UInt32(index)))
            }
            let siteCancelled = cancelled.sites.removeValue(forKey: site.id) ?? never
            tables.siteRows.append(
                SiteRow(
                    id: site.id, sponsor: sponsor, siteIndex: UInt32(site.number.siteIndex ?? 0),
                    number: pool.addUnique(site.number.normalized),
                    names: pool.addUnique(site.names.joined(separator: ";")), homepage: pool.addUnique(site.homepage),
                    firstFiled: site.firstFiled?.secondsSince1970 ?? unknownTime,
                    cancelled: siteCancelled,
                    accessStart: accessStart, accessCount: UInt32(tables.accessRows.count) - accessStart, domainStart: domainStart,
                    domainCount: UInt32(tables.siteDomainRows.count) - domainStart,
                    inForceUntil: min(siteCancelled, sponsor == noValue ? never : sponsors.rows[Int(sponsor)].cancelled)))
        }
        return tables
    }

    /// Files `domain` (and its independent domain) for `site` in the domain table; returns
    /// its registration status: registered to the sponsor, to someone else, not at all, or
    /// not known (no registrations loaded; a sub-domain is not registered on its own).
    private func domainEntry(
        _ domain: DomainName, site: UInt32, sponsor: UInt32, sponsors: SponsorTables, suffixes: PublicSuffixList,
        into tables: inout FilingTables
    ) -> RegistrationStatus {
        let independent = suffixes.independentDomain(of: domain)
        tables.domains.add(domain.ascii, posting: site, flags: DomainFlags.filed, rank: 1)
        if let independent {
            let flags = independent == domain ? DomainFlags.independent : DomainFlags.independent | DomainFlags.filedBelow
            tables.domains.add(independent.ascii, posting: site, flags: flags, rank: 0)
        }
        guard independent == domain else { return .notApplicable }
        guard !registrations.isEmpty else { return .unknown }
        guard let registration = registrations[IndexBuilder.RegistrationKey(domain)] else { return .unregistered }
        let owner = sponsor == noValue || !sponsors.comparesNames ? nil : sponsors.registrantNames[Int(sponsor)]
        let names = [registration.name, registration.organisation].compactMap { $0 }
        return owner.map { names.contains(Array($0.utf8).withUnsafeBytes { XXHash64.hash($0) }) } == true
            ? .registeredToSponsor : .registeredToOther
    }

    /// The IP filing records (source blocks, allocations, self-brought blocks) and their
    /// chains: for each address, the records covering it, most specific first.
    func ipTables(_ pool: inout StringPoolBuilder, units: UnitTable) -> IPTables {
        var rows: [IPRecordRow] = []
        var ranges: [(range: IPRange, record: UInt32)] = []
        func add(
            _ id: Int64, _ range: IPRange, _ kind: IPRecordKind, mode: Int, unitID: Int64, targetID: Int64?, name: String?, nature: Int?,
            province: Province?, allocated: Timestamp?
        ) {
            ranges.append((range, UInt32(rows.count)))
            rows.append(
                IPRecordRow(
                    id: id, range: RangeRow(range), kind: kind.rawValue, mode: UInt8(mode), userNature: UInt16(clamping: nature ?? 0),
                    province: UInt16(province?.code ?? 0), unit: resolve(unitID, in: units, "IP filing unit not in the code tables"),
                    target: targetID.map { resolve($0, in: units, "IP allocation target not in the code tables") } ?? noValue,
                    unitID: unitID, targetID: targetID ?? 0, userName: pool.add(name), allocated: allocated?.secondsSince1970 ?? unknownTime
                ))
        }
        for s in ipSources {
            add(s.id, s.range, .source, mode: 0, unitID: s.unitID, targetID: nil, name: nil, nature: nil, province: nil, allocated: nil)
        }
        for a in allocations {
            add(
                a.id, a.range, .allocation, mode: a.mode.rawValue, unitID: a.unitID, targetID: a.targetUnitID, name: a.userName,
                nature: a.userNature, province: a.province, allocated: a.allocated)
        }
        for e in selfBrought {
            add(
                e.id, e.range, .selfBrought, mode: 0, unitID: e.unitID, targetID: nil, name: e.userName, nature: e.userNature,
                province: e.province, allocated: e.allocated)
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
        for entry in siteBlacklist {
            for domain in entry.domains {
                if entry.operation == .delete { blacklistedDomains.remove(domain.ascii) } else { blacklistedDomains.insert(domain.ascii) }
            }
        }
        for domain in blacklistedDomains.sorted() { tables.blacklistTable.flag(domain, 1) }
        tables.blacklistedDomains = blacklistedDomains.count
        for entry in illegalAccess {
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
