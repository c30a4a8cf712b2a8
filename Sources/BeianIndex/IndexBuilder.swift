public import BeianCore
public import BeianRegistry
internal import CBeianKernels
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How an index is built.
public struct IndexBuildOptions: Sendable {
    /// Which sections of the Public Suffix List count (see `PublicSuffixList.Policy`).
    public var suffixPolicy: PublicSuffixList.Policy = .icann
    /// A Public Suffix List file; the system's when nil.
    public var suffixListPath: String?
    /// The key of the keyed hash of sponsor ID numbers (at least 32 bytes). Without one, a
    /// random key is drawn for this build: ID hashes then match only within it.
    public var identifierKey: [UInt8]?
    /// When the build happens (for reproducible tests).
    public var buildTime: Timestamp?

    public init() {}
}

/// What a build saw, for `index stats` and the build report.
public struct IndexBuildReport: Sendable {
    public var counts: [String: Int] = [:]
    /// References that lead nowhere (a site of an unknown sponsor, a cancellation of an
    /// unknown record, an access record of an unknown provider…), by what was referenced.
    public var unresolved: [String: Int] = [:]
    public var sources: [(path: String, bytes: Int64, digest: String)] = []
}

/// Collects registry records, then writes the snapshot.
///
/// Records arrive in any order and from any number of files; links (site → sponsor,
/// access → site, unit ids) are resolved at `write`, when everything is there.
public final class IndexBuilder {
    public let options: IndexBuildOptions
    private var units: [ReportingUnit] = []
    private var sponsors: [Sponsor] = []
    private var sites: [Site] = []
    private var accesses: [AccessRecord] = []
    private var cancellations: [Cancellation] = []
    private var ipSources: [IPSourceRange] = []
    private var allocations: [IPAllocation] = []
    private var selfBrought: [IPSelfBroughtRange] = []
    private var registrations: [DomainName: (name: String?, organisation: String?)] = [:]
    private var sponsorBlacklist: [SponsorBlacklistEntry] = []
    private var siteBlacklist: [SiteBlacklistEntry] = []
    private var illegalAccess: [IllegalAccessEntry] = []
    private var provinces: [ProvinceEntry] = []
    private var unfiledEntries = 0
    public private(set) var report = IndexBuildReport()

    public init(options: IndexBuildOptions = IndexBuildOptions()) {
        self.options = options
    }

    /// Takes one record from a reader.
    public func add(_ record: RegistryRecord) {
        switch record {
        case .sponsor(let s): sponsors.append(s)
        case .site(let s): sites.append(s)
        case .access(let a): accesses.append(a)
        case .cancellation(let c): cancellations.append(c)
        case .ipSource(let s): ipSources.append(s)
        case .ipAllocation(let a): allocations.append(a)
        case .ipSelfBrought(let e): selfBrought.append(e)
        case .domainRegistration(let r): registrations[r.domain] = (r.registrantName, r.registrantOrganisation)
        case .sponsorBlacklist(let e): sponsorBlacklist.append(e)
        case .siteBlacklist(let e): siteBlacklist.append(e)
        case .illegalAccess(let e): illegalAccess.append(e)
        case .unfiledSite: unfiledEntries += 1
        case .reportingUnit(let u): units.append(u)
        case .province(let p): provinces.append(p)
        }
    }

    /// Records where an input came from (size and a digest of its bytes), for provenance.
    public func noteSource(path: String) {
        guard let stream = try? InputFile.open(path) else { return }
        var bytes: Int64 = 0
        var digest = SHA256()
        try? stream.forEachChunk { chunk in
            bytes += Int64(chunk.count)
            digest.update(bufferPointer: chunk)
        }
        let hex = digest.finalize().map { String(format: "%02x", $0) }.joined()
        report.sources.append((path, bytes, "sha256:" + hex))
    }

    private func unresolved(_ what: String) {
        report.unresolved[what, default: 0] += 1
    }

    /// Builds every table and writes the snapshot to `path`.
    @discardableResult
    public func write(to path: String) throws -> IndexBuildReport {
        let buildTime = options.buildTime ?? Timestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))
        let suffixes: PublicSuffixList
        do {
            suffixes = try PublicSuffixList.load(path: options.suffixListPath, policy: options.suffixPolicy)
        } catch {
            throw IndexError(.invalidInput, error.reason)
        }
        var pool = StringPoolBuilder()
        let writer = try SnapshotWriter(path: path)

        // Units.
        var unitIndex: [Int64: UInt32] = [:]
        var unitRows: [UnitRow] = []
        for unit in units where unitIndex[unit.id] == nil {
            unitIndex[unit.id] = UInt32(unitRows.count)
            let licensed = !(unit.licence ?? "").trimmingCharacters(in: .whitespaces).isEmpty
            unitRows.append(
                UnitRow(
                    id: unit.id, name: pool.add(unit.name), licence: pool.add(unit.licence), province: UInt16(unit.province?.code ?? 0),
                    unitClass: UInt16(clamping: unit.unitClass ?? 0), flags: (unit.valid == false ? 0 : 1) | (licensed ? 2 : 0)))
        }
        func unit(_ id: Int64?, _ what: String) -> UInt32 {
            guard let id else { return noValue }
            if let index = unitIndex[id] { return index }
            unresolved(what)
            return noValue
        }

        // Cancellations by target.
        var cancelledSponsors: [Int64: Int64] = [:]
        var cancelledSites: [Int64: Int64] = [:]
        var cancelledAccess: [Int64: Int64] = [:]
        for cancellation in cancellations {
            // Without a date the cancellation counts from the beginning of time.
            let time = cancellation.cancelled?.secondsSince1970 ?? unknownTime
            switch cancellation.target {
            case .sponsor: cancelledSponsors[cancellation.recordID] = min(cancelledSponsors[cancellation.recordID] ?? never, time)
            case .site: cancelledSites[cancellation.recordID] = min(cancelledSites[cancellation.recordID] ?? never, time)
            case .access: cancelledAccess[cancellation.recordID] = min(cancelledAccess[cancellation.recordID] ?? never, time)
            }
        }

        // Sponsors, with blacklist flags.
        let key = SymmetricKey(data: options.identifierKey ?? Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
        var blacklistedNames: Set<String> = []
        var blacklistedIDs: Set<String> = []
        var sponsorNames = NameTableBuilder()
        var sponsorIDs = NameTableBuilder()
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
        for name in blacklistedNames.sorted() { sponsorNames.flag(name, 1) }
        for id in blacklistedIDs.sorted() { sponsorIDs.flag(id, 1) }
        var sponsorIndex: [Int64: UInt32] = [:]
        var sponsorRows: [SponsorRow] = []
        sponsorRows.reserveCapacity(sponsors.count)
        // Normalised names (NFKC) cost; they are made only when something compares them.
        let compareNames = !registrations.isEmpty || !blacklistedNames.isEmpty
        var sponsorRegistrantNames: [String] = []
        for sponsor in sponsors where sponsorIndex[sponsor.id] == nil {
            sponsorIndex[sponsor.id] = UInt32(sponsorRows.count)
            var flags: UInt32 = 0
            let normalised = compareNames ? IndexBuilder.normalisedName(sponsor.name) : ""
            if compareNames && blacklistedNames.contains(normalised) { flags |= 1 }
            if let id = sponsor.idNumber, blacklistedIDs.contains(IndexBuilder.identifierDigest(id.revealed, key: key)) { flags |= 2 }
            sponsorRows.append(
                SponsorRow(
                    id: sponsor.id, number: pool.addUnique(sponsor.number.normalized), name: pool.addUnique(sponsor.name),
                    nature: UInt16(clamping: sponsor.nature ?? 0),
                    province: UInt16(sponsor.province?.code ?? 0), flags: flags,
                    approved: sponsor.approved?.secondsSince1970 ?? sponsor.firstFiled?.secondsSince1970 ?? unknownTime,
                    cancelled: cancelledSponsors.removeValue(forKey: sponsor.id) ?? never))
            if compareNames { sponsorRegistrantNames.append(normalised) }
        }
        report.unresolved["cancelled sponsor not in the filings", default: 0] += cancelledSponsors.count

        // Sites, grouped with their access records and domains.
        // (Positions into `sites` and `accesses`, not copies: at national scale the records
        // are gigabytes.)
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
        var nextAccess = 0
        var siteRows: [SiteRow] = []
        var accessRows: [AccessRow] = []
        var accessRanges: [RangeRow] = []
        var siteDomainRows: [SiteDomainRow] = []
        siteRows.reserveCapacity(orderedSites.count)
        accessRows.reserveCapacity(accesses.count)
        accessRanges.reserveCapacity(accesses.count)
        siteDomainRows.reserveCapacity(orderedSites.count * 2)
        var domains = NameTableBuilder()
        var filedRanges: [(range: IPRange, record: UInt32)] = []
        var bareAddressSites: [(range: IPRange, record: UInt32)] = []
        let registrationsLoaded = !registrations.isEmpty
        for (index, position) in orderedSites.enumerated() {
            let site = sites[position]
            let sponsor = sponsorIndex[site.sponsorID] ?? noValue
            if sponsor == noValue { unresolved("site of a sponsor not in the filings") }
            let accessStart = UInt32(accessRows.count)
            while nextAccess < accessOrder.count && accessOrder[nextAccess].site == UInt32(index) {
                let access = accesses[Int(accessOrder[nextAccess].position)]
                nextAccess += 1
                let rangeStart = UInt32(accessRanges.count)
                for range in access.ranges {
                    filedRanges.append((range, UInt32(accessRows.count)))
                    accessRanges.append(RangeRow(range))
                }
                accessRows.append(
                    AccessRow(
                        id: access.id, site: UInt32(index), provider: unit(access.providerID, "access provider not in the code tables"),
                        providerID: access.providerID, cancelled: cancelledAccess.removeValue(forKey: access.id) ?? never,
                        rangeStart: rangeStart,
                        rangeCount: UInt32(access.ranges.count)))
            }
            let domainStart = UInt32(siteDomainRows.count)
            for domain in site.domains {
                let independent = suffixes.independentDomain(of: domain)
                domains.add(domain.ascii, posting: UInt32(index), flags: DomainFlags.filed, rank: 1)
                if let independent {
                    let flags = independent == domain ? DomainFlags.independent : DomainFlags.independent | DomainFlags.filedBelow
                    domains.add(independent.ascii, posting: UInt32(index), flags: flags, rank: 0)
                }
                var status = RegistrationStatus.unknown
                if independent != domain {
                    status = .notApplicable
                } else if registrationsLoaded {
                    if let registration = registrations[domain] {
                        let owner = sponsor == noValue || !compareNames ? nil : sponsorRegistrantNames[Int(sponsor)]
                        let names = [registration.name, registration.organisation].compactMap { $0 }.map(IndexBuilder.normalisedName)
                        status = owner.map { names.contains($0) } == true ? .registeredToSponsor : .registeredToOther
                    } else {
                        status = .unregistered
                    }
                }
                siteDomainRows.append(SiteDomainRow(name: pool.addUnique(domain.ascii), site: UInt32(index), registration: status.rawValue))
            }
            if let homepage = site.homepage, let address = IndexBuilder.address(inURL: homepage) {
                bareAddressSites.append((IPRange(address), UInt32(index)))
            }
            let siteCancelled = cancelledSites.removeValue(forKey: site.id) ?? never
            siteRows.append(
                SiteRow(
                    id: site.id, sponsor: sponsor, siteIndex: UInt32(site.number.siteIndex ?? 0),
                    number: pool.addUnique(site.number.normalized),
                    names: pool.addUnique(site.names.joined(separator: ";")), homepage: pool.addUnique(site.homepage),
                    firstFiled: site.firstFiled?.secondsSince1970 ?? unknownTime,
                    cancelled: siteCancelled,
                    accessStart: accessStart, accessCount: UInt32(accessRows.count) - accessStart, domainStart: domainStart,
                    domainCount: UInt32(siteDomainRows.count) - domainStart,
                    inForceUntil: min(siteCancelled, sponsor == noValue ? never : sponsorRows[Int(sponsor)].cancelled)))
        }
        report.unresolved["cancelled site not in the filings", default: 0] += cancelledSites.count
        report.unresolved["cancelled access record not in the filings", default: 0] += cancelledAccess.count

        // The domain table is sorted and laid out on another core while this one builds the
        // address tables.
        let domainBuild = BackgroundWork(taking: &domains, leaving: NameTableBuilder()) { builder in builder.build() }

        // IP filing records and their chains.
        var ipRows: [IPRecordRow] = []
        var ipRanges: [(range: IPRange, record: UInt32)] = []
        func addIP(
            _ id: Int64, _ range: IPRange, _ kind: IPRecordKind, mode: Int, unitID: Int64, targetID: Int64?, name: String?, nature: Int?,
            province: Province?, allocated: Timestamp?
        ) {
            ipRanges.append((range, UInt32(ipRows.count)))
            ipRows.append(
                IPRecordRow(
                    id: id, range: RangeRow(range), kind: kind.rawValue, mode: UInt8(mode), userNature: UInt16(clamping: nature ?? 0),
                    province: UInt16(province?.code ?? 0), unit: unit(unitID, "IP filing unit not in the code tables"),
                    target: targetID.map { unit($0, "IP allocation target not in the code tables") } ?? noValue, unitID: unitID,
                    targetID: targetID ?? 0,
                    userName: pool.add(name), allocated: allocated?.secondsSince1970 ?? unknownTime))
        }
        for s in ipSources {
            addIP(s.id, s.range, .source, mode: 0, unitID: s.unitID, targetID: nil, name: nil, nature: nil, province: nil, allocated: nil)
        }
        for a in allocations {
            addIP(
                a.id, a.range, .allocation, mode: a.mode.rawValue, unitID: a.unitID, targetID: a.targetUnitID, name: a.userName,
                nature: a.userNature,
                province: a.province, allocated: a.allocated)
        }
        for e in selfBrought {
            addIP(
                e.id, e.range, .selfBrought, mode: 0, unitID: e.unitID, targetID: nil, name: e.userName, nature: e.userNature,
                province: e.province, allocated: e.allocated)
        }
        let rows = ipRows
        func rank(_ row: IPRecordRow) -> Int {
            switch IPRecordKind(rawValue: row.kind) {
            case .source: 3
            case .allocation: row.mode == AllocationMode.reallocated.rawValue ? 2 : 1
            default: 0
            }
        }
        func precedes(_ a: UInt32, _ b: UInt32) -> Bool {
            let x = rows[Int(a)]
            let y = rows[Int(b)]
            let sizeX = x.range.range.spanMinusOne
            let sizeY = y.range.range.spanMinusOne
            if sizeX != sizeY { return sizeX < sizeY }
            // The same block at two levels: the unit that received it is deeper.
            if x.unitID == y.targetID && y.targetID != 0 { return true }
            if y.unitID == x.targetID && x.targetID != 0 { return false }
            if rank(x) != rank(y) { return rank(x) < rank(y) }
            return a > b
        }
        var ipChains = IntervalBuilder()
        let ipTable = AddressTableBuild(
            v4: ipChains.intervals(family: .v4, ranges: ipRanges, precedes: precedes),
            v6: ipChains.intervals(family: .v6, ranges: ipRanges, precedes: precedes))
        var filedChains = IntervalBuilder()
        let filedTable = AddressTableBuild(
            v4: filedChains.intervals(family: .v4, ranges: filedRanges, precedes: <),
            v6: filedChains.intervals(family: .v6, ranges: filedRanges, precedes: <))
        var bareChains = IntervalBuilder()
        let bareTable = AddressTableBuild(
            v4: bareChains.intervals(family: .v4, ranges: bareAddressSites, precedes: <),
            v6: bareChains.intervals(family: .v6, ranges: bareAddressSites, precedes: <))

        // Blacklisted sites (their domains cover sub-domains) and the illegal-access list.
        var blacklistedDomains: Set<String> = []
        for entry in siteBlacklist {
            for domain in entry.domains {
                if entry.operation == .delete { blacklistedDomains.remove(domain.ascii) } else { blacklistedDomains.insert(domain.ascii) }
            }
        }
        var blacklistTable = NameTableBuilder()
        for domain in blacklistedDomains.sorted() { blacklistTable.flag(domain, 1) }
        var illegalRows: [IllegalAccessRow] = []
        var illegalDomains = NameTableBuilder()
        var illegalRanges: [(range: IPRange, record: UInt32)] = []
        for entry in illegalAccess {
            let index = UInt32(illegalRows.count)
            if let domain = entry.domain { illegalDomains.add(domain.ascii, posting: index) }
            if let address = entry.address { illegalRanges.append((IPRange(address), index)) }
            illegalRows.append(
                IllegalAccessRow(
                    id: entry.id, domain: pool.add(entry.domain?.ascii), address: RangeRow(IPRange(entry.address ?? .v4(IPv4Address(0)))),
                    hasAddress: entry.address == nil ? 0 : 1,
                    provider: unit(entry.providerID, "illegal-access provider not in the code tables"),
                    providerID: entry.providerID ?? 0, detected: entry.detected?.secondsSince1970 ?? unknownTime))
        }
        var illegalChains = IntervalBuilder()
        let illegalTable = AddressTableBuild(
            v4: illegalChains.intervals(family: .v4, ranges: illegalRanges, precedes: <),
            v6: illegalChains.intervals(family: .v6, ranges: illegalRanges, precedes: <))

        // The public suffix rules travel with the index, so a scan judges as the build did.
        var rules = NameTableBuilder()
        // Each proper suffix of a rule is marked as having longer rules, so that lookups walk
        // from the top-level domain leftwards and stop at the first name without any.
        for (name, flags) in suffixes.ruleFlags {
            rules.flag(name, UInt8(truncatingIfNeeded: flags))
            var rest = Substring(name)
            while let dot = rest.firstIndex(of: ".") {
                rest = rest[rest.index(after: dot)...]
                rules.flag(String(rest), SuffixRuleFlags.longer)
            }
        }

        // Tables into sections.
        var domainTable = domainBuild.wait()
        func addNames(_ id: Character, _ table: BuiltNameTable) {
            writer.add(Sections.names(id, "S"), array: table.slots)
            writer.add(Sections.names(id, "P"), array: table.postings)
            writer.add(Sections.names(id, "N"), array: table.longNames)
        }
        func addNames(_ id: Character, _ table: NameTableBuilder) {
            var table = table
            addNames(id, table.build())
        }
        addNames("D", domainTable)
        let filedNameCount = domainTable.flagCounts[0]
        let independentCount = domainTable.flagCounts[2]
        domainTable = BuiltNameTable()
        addNames("B", blacklistTable)
        addNames("S", sponsorNames)
        addNames("K", sponsorIDs)
        addNames("L", illegalDomains)
        addNames("P", rules)
        func addTable(_ id: Character, _ table: AddressTableBuild, _ chains: IntervalBuilder) {
            writer.add(Sections.table(id, "k"), array: [UInt32(table.v4KeyBits)])
            writer.add(Sections.table(id, "b"), array: table.v4Buckets)
            // Per IPv4 interval, its start and its chain's first record: a most-specific lookup
            // reads the bucket and one line of pairs, no chain.
            writer.add(Sections.table(id, "p"), array: table.v4Pairs { chains.first(ofChain: $0) })
            writer.add(Sections.table(id, "v"), array: table.v4Values)
            writer.add(Sections.table(id, "B"), array: table.v6Buckets)
            writer.add(Sections.table(id, "H"), array: table.v6StartsHigh)
            writer.add(Sections.table(id, "S"), array: table.v6Samples)
            writer.add(Sections.table(id, "L"), array: table.v6StartsLow)
            writer.add(Sections.table(id, "V"), array: table.v6Values)
            writer.add(Sections.table(id, "c"), array: chains.chainStarts)
            writer.add(Sections.table(id, "e"), array: chains.chainEntries)
            // The first record of each chain, for lookups that want only the most specific one.
            writer.add(Sections.table(id, "f"), array: (0..<chains.chainCount).map { chains.first(ofChain: UInt32($0)) })
        }
        addTable("I", ipTable, ipChains)
        addTable("F", filedTable, filedChains)
        addTable("H", bareTable, bareChains)
        addTable("L", illegalTable, illegalChains)
        writer.add(Sections.units, array: unitRows)
        writer.add(Sections.sponsors, array: sponsorRows)
        writer.add(Sections.sites, array: siteRows)
        writer.add(Sections.access, array: accessRows)
        writer.add(Sections.accessRanges, array: accessRanges)
        writer.add(Sections.siteDomains, array: siteDomainRows)
        writer.add(Sections.ipRecords, array: ipRows)
        writer.add(Sections.illegalAccess, array: illegalRows)

        report.counts = [
            "reporting units": unitRows.count, "sponsors": sponsorRows.count, "sites": siteRows.count, "access records": accessRows.count,
            "filed ranges": accessRanges.count, "filed domains": siteDomainRows.count, "filed domain names": filedNameCount,
            "independent domains": independentCount, "IP filing records": ipRows.count, "IP chains": ipChains.chainCount,
            "IPv4 intervals": ipTable.v4Values.count, "IPv6 intervals": ipTable.v6Values.count, "domain registrations": registrations.count,
            "blacklisted sponsor names": blacklistedNames.count, "blacklisted sponsor IDs": blacklistedIDs.count,
            "blacklisted domains": blacklistedDomains.count, "illegal-access entries": illegalRows.count,
            "sites reached by address": bareAddressSites.count,
            "public suffix rules": suffixes.ruleCount, "unfiled-list entries (not indexed)": unfiledEntries, "provinces": provinces.count,
        ]
        report.unresolved = report.unresolved.filter { $0.value > 0 }
        let info = IndexInfo(
            formatVersion: Int(SnapshotFormat.version), buildTime: buildTime.iso8601, suffixPolicy: options.suffixPolicy.rawValue,
            suffixRules: suffixes.ruleCount, identifierKey: options.identifierKey == nil ? "random per build" : "given",
            counts: report.counts, unresolved: report.unresolved,
            sources: report.sources.map { IndexInfo.Source(path: $0.path, bytes: $0.bytes, digest: $0.digest) })
        writer.add(Sections.info, bytes: Array((try JSONEncoder().encode(info))))
        writer.add(Sections.strings, bytes: pool.bytes)
        try writer.finish(buildTime: buildTime)
        return report
    }

    /// Tunes the C allocator of this process for a large build: memory freed by one stage is
    /// kept for the next instead of being returned to the kernel and faulted in again, zeroed,
    /// page by page (which costs a national build a third of its time). Process-wide: for
    /// commands whose whole job is the build.
    public static func tuneAllocatorForLargeBuilds() {
        beian_tune_allocator_for_large_builds()
    }

    /// Names compared across sources (sponsor blacklist, registrants): NFKC, no spaces,
    /// Latin letters folded to lowercase.
    static func normalisedName(_ name: String) -> String {
        name.precomposedStringWithCompatibilityMapping.filter { !$0.isWhitespace }.lowercased()
    }

    /// The keyed hash of an ID number: HMAC-SHA-256 of its normalised form, hex.
    static func identifierDigest(_ id: String, key: SymmetricKey) -> String {
        let normalised = id.precomposedStringWithCompatibilityMapping.filter { !$0.isWhitespace }.uppercased()
        return HMAC<SHA256>.authenticationCode(for: Data(normalised.utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    /// The address a URL's host is, when it is one (`http://1.2.3.4:8080/`).
    static func address(inURL url: String) -> IPAddress? {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var host = authority.split(separator: "@").last ?? authority
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            host = host[..<colon]
        }
        guard case .address(let address)? = try? Host.parse(host) else { return nil }
        return address
    }
}

/// The `INFO` section: how the index was built (JSON).
struct IndexInfo: Codable {
    struct Source: Codable {
        var path: String
        var bytes: Int64
        var digest: String
    }

    var formatVersion: Int
    var buildTime: String
    var suffixPolicy: String
    var suffixRules: Int
    var identifierKey: String
    var counts: [String: Int]
    var unresolved: [String: Int]
    var sources: [Source]
}

/// Work handed to another thread with its input, whose result the caller collects later.
final class BackgroundWork<Input, Output>: @unchecked Sendable {
    // @unchecked: `input` is read only by the worker, `output` written only by it, and read by
    // `wait()` only after the semaphore orders the two.
    private var input: Input?
    private var output: Output?
    private let done = DispatchSemaphore(value: 0)

    /// Runs `work` on the value of `input`, which is moved out (`empty` takes its place), so
    /// that `work` mutates it in place instead of copying it.
    init(taking input: inout Input, leaving empty: Input, _ work: @escaping (inout Input) -> Output) {
        self.input = input
        input = empty
        let box = UncheckedSendable(work)
        DispatchQueue.global().async {
            if var value = self.input {
                self.input = nil
                self.output = box.value(&value)
            }
            self.done.signal()
        }
    }

    /// The result, once the work is done.
    func wait() -> Output {
        done.wait()
        guard let output else { preconditionFailure("background work produced nothing") }
        return output
    }
}
