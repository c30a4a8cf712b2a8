public import BeianCore
public import BeianRegistry
internal import CBeianKernels
import Foundation

/// A reporting unit as the index knows it.
public struct UnitInfo: Hashable, Sendable {
    public let id: Int64
    public let name: String
    public let licence: String?
    public let province: Province?
    public let isValid: Bool
    /// Holds an operating licence (a telecom or ICP licence number is on record).
    public let isLicensed: Bool
}

/// A sponsor as the index knows it (no personal data).
public struct FiledSponsor: Hashable, Sendable {
    public let id: Int64
    public let number: String
    public let name: String
    public let nature: Int?
    public let province: Province?
    public let approved: Timestamp?
    public let cancelled: Timestamp?
    public let isBlacklistedByName: Bool
    public let isBlacklistedByIdentifier: Bool
}

/// A domain filed for a site.
public struct FiledDomain: Hashable, Sendable {
    public let name: String
    public let registration: RegistrationStatus
}

/// One access record of a filed site.
public struct FiledAccess: Hashable, Sendable {
    public let id: Int64
    public let siteIndex: UInt32
    public let provider: UnitInfo?
    public let providerID: Int64
    public let ranges: [IPRange]
    public let cancelled: Timestamp?
}

/// What judging an observation needs of a filed site, read without the names, domains and
/// units a `FiledSite` carries.
public struct SiteJudgingFacts: Sendable {
    public struct Access: Sendable {
        public let id: Int64
        public let providerID: Int64
        public let ranges: [IPRange]
        public let cancelled: Timestamp?
    }

    public let number: String
    public let sponsorNumber: String?
    /// The sponsor is on the sponsor blacklist (by name or keyed ID).
    public let sponsorBlacklisted: Bool
    public let access: [Access]
}

/// A filed site with what the index holds about it.
public struct FiledSite: Hashable, Sendable {
    public let index: UInt32
    public let id: Int64
    public let number: String
    public let names: [String]
    public let homepage: String?
    public let firstFiled: Timestamp?
    public let cancelled: Timestamp?
    public let sponsor: FiledSponsor?
    public let domains: [FiledDomain]
    public let access: [FiledAccess]

    /// Whether the site's filing was in force at `time`: not cancelled by then, sponsor not
    /// cancelled by then.
    public func isActive(at time: Timestamp) -> Bool {
        if let cancelled, cancelled <= time { return false }
        if let cancelled = sponsor?.cancelled, cancelled <= time { return false }
        return true
    }

    /// Whether the site was filed at `time`: first filed by then (when the export says when)
    /// and in force — the filing system's answer as it stood then.
    public func isFiled(at time: Timestamp) -> Bool {
        if let firstFiled, time < firstFiled { return false }
        return isActive(at: time)
    }
}

/// One record of an allocation chain.
public struct AllocationLink: Hashable, Sendable {
    public let index: UInt32
    public let kind: IPRecordKind
    public let id: Int64
    public let range: IPRange
    public let mode: AllocationMode?
    public let unitID: Int64
    public let unit: UnitInfo?
    public let targetID: Int64?
    public let target: UnitInfo?
    public let userName: String?
    public let userNature: Int?
    public let province: Province?
    public let allocated: Timestamp?
}

extension [AllocationLink] {
    /// The access provider an allocation chain (most specific first) names: the most
    /// specific licensed unit below the source records.
    public var accessProvider: UnitInfo? {
        lazy.filter { $0.kind != .source }.compactMap(\.unit).first { $0.licence != nil }
    }
}

/// What an address's allocation chain says, for judging (`RegistryIndex.chainFacts`).
public struct ChainFacts: Sendable {
    /// Whether any IP filing covers the address.
    public var filed: Bool
    public var provider: UnitInfo?
    public var operatorUnit: UnitInfo?
    public var province: Province?
    /// Every unit the chain names, as holder or as target.
    public var units: Set<Int64> = []

    init(filed: Bool) {
        self.filed = filed
    }
}

/// How a host matched the filings.
public enum HostMatch: String, Sendable {
    /// The host, or one of its parent names, is a filed domain (the longest such counts).
    case filedName = "filed-name"
    /// No filed name covers the host, but a filed domain shares its independent domain.
    case independentDomain = "independent-domain"
    /// Nothing filed covers the host.
    case none
}

/// An entry of the illegal-access list.
public struct IllegalAccessHit: Hashable, Sendable {
    public let id: Int64
    public let domain: String?
    public let address: IPAddress?
    public let provider: UnitInfo?
    public let providerID: Int64?
    public let detected: Timestamp?
}

/// The frozen index of a registry: IP allocations and filed ranges by address, filed domains
/// by name, blacklists, units. Loaded from a snapshot by mapping it, shared by every thread
/// without locks.
///
/// `@unchecked Sendable`: every field is either a constant or a view of the snapshot's
/// read-only mapping, which this object keeps alive.
public final class RegistryIndex: @unchecked Sendable {
    let snapshot: Snapshot
    let pool: StringPool
    let units: UnsafeBufferPointer<UnitRow>
    let sponsors: UnsafeBufferPointer<SponsorRow>
    let sites: UnsafeBufferPointer<SiteRow>
    let access: UnsafeBufferPointer<AccessRow>
    let accessRanges: UnsafeBufferPointer<RangeRow>
    let siteDomains: UnsafeBufferPointer<SiteDomainRow>
    let ipRecords: UnsafeBufferPointer<IPRecordRow>
    let illegalRows: UnsafeBufferPointer<IllegalAccessRow>
    let ipTable: AddressTable
    let ipChains: Chains
    let filedTable: AddressTable
    let filedChains: Chains
    let bareTable: AddressTable
    let bareChains: Chains
    let illegalTable: AddressTable
    let illegalChains: Chains
    /// Filed names and their independent domains (`DomainFlags`).
    let domains: NameTable
    let blacklistedDomains: NameTable
    let blacklistedSponsorNames: NameTable
    let blacklistedSponsorIDs: NameTable
    let illegalDomains: NameTable
    let suffixRules: NameTable
    let info: IndexInfo
    private let unitIndex: [Int64: UInt32]

    /// The lists of records an address table's values name.
    struct Chains: @unchecked Sendable {
        // @unchecked: views of the immutable mapping.
        let starts: UnsafeBufferPointer<UInt32>
        let entries: UnsafeBufferPointer<UInt32>
        /// The first entry of each chain.
        let first: UnsafeBufferPointer<UInt32>

        @inline(__always)
        func firstEntry(_ id: UInt32) -> UInt32 {
            id == noValue || Int(id) >= first.count ? noValue : first[Int(id)]
        }

        @inline(__always)
        func chain(_ id: UInt32) -> UnsafeBufferPointer<UInt32> {
            guard id != noValue, Int(id) + 1 < starts.count else { return UnsafeBufferPointer(start: nil, count: 0) }
            let start = Int(starts[Int(id)])
            let end = Int(starts[Int(id) + 1])
            guard start <= end, end <= entries.count else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(rebasing: entries[start..<end])
        }
    }

    /// Maps the snapshot at `path` and checks it (see `Snapshot`). With `releasingPages`, the
    /// pages read to verify it are handed back once it is verified (they stay in the page cache
    /// and come back on a minor fault when a lookup needs them): a long-running service then
    /// holds only what its lookups touch, not the whole file — at the cost of those faults,
    /// which a scan that reads most of the index would rather not pay.
    public convenience init(path: String, verify: Bool = true, releasingPages: Bool = false) throws(IndexError) {
        try self.init(snapshot: Snapshot(path: path, verify: verify, releasingPages: releasingPages))
    }

    init(snapshot: Snapshot) throws(IndexError) {
        self.snapshot = snapshot
        let stringPool = StringPool(bytes: try snapshot.section(Sections.strings))
        pool = stringPool
        units = try snapshot.array(Sections.units, of: UnitRow.self)
        sponsors = try snapshot.array(Sections.sponsors, of: SponsorRow.self)
        sites = try snapshot.array(Sections.sites, of: SiteRow.self)
        access = try snapshot.array(Sections.access, of: AccessRow.self)
        accessRanges = try snapshot.array(Sections.accessRanges, of: RangeRow.self)
        siteDomains = try snapshot.array(Sections.siteDomains, of: SiteDomainRow.self)
        ipRecords = try snapshot.array(Sections.ipRecords, of: IPRecordRow.self)
        illegalRows = try snapshot.array(Sections.illegalAccess, of: IllegalAccessRow.self)
        func table(_ id: Character) throws(IndexError) -> (AddressTable, Chains) {
            let keyBits = try snapshot.array(Sections.table(id, "k"), of: UInt32.self)
            guard keyBits.count == 1, keyBits[0] == 12 || keyBits[0] == 16 else {
                throw IndexError(.corrupted, "\(snapshot.path): address table \(id) has no valid bucket width")
            }
            let table = AddressTable(
                v4KeyBits: Int(keyBits[0]),
                v4Buckets: try snapshot.array(Sections.table(id, "b"), of: UInt32.self),
                v4Pairs: try snapshot.array(Sections.table(id, "p"), of: UInt64.self),
                v4Values: try snapshot.array(Sections.table(id, "v"), of: UInt32.self),
                v6Buckets: try snapshot.array(Sections.table(id, "B"), of: UInt32.self),
                v6StartsHigh: try snapshot.array(Sections.table(id, "H"), of: UInt64.self),
                v6StartsLow: try snapshot.array(Sections.table(id, "L"), of: UInt64.self),
                v6Values: try snapshot.array(Sections.table(id, "V"), of: UInt32.self),
                v6Samples: try snapshot.array(Sections.table(id, "S"), of: UInt64.self))
            guard table.v4Buckets.count == (1 << (32 - table.v4KeyBits)) + 1, table.v6Buckets.count == 65537,
                table.v4Pairs.count == table.v4Values.count,
                table.v6StartsHigh.count == table.v6Values.count, table.v6StartsLow.count == table.v6Values.count,
                table.v6Samples.count == (table.v6Values.count + AddressTableBuild.v6SampleStride - 1) / AddressTableBuild.v6SampleStride,
                let lastV4 = table.v4Buckets.last, Int(lastV4) == table.v4Values.count, let lastV6 = table.v6Buckets.last,
                Int(lastV6) == table.v6Values.count
            else {
                throw IndexError(.corrupted, "\(snapshot.path): address table \(id) is inconsistent")
            }
            let chains = Chains(
                starts: try snapshot.array(Sections.table(id, "c"), of: UInt32.self),
                entries: try snapshot.array(Sections.table(id, "e"), of: UInt32.self),
                first: try snapshot.array(Sections.table(id, "f"), of: UInt32.self))
            guard chains.first.count + 1 == chains.starts.count else {
                throw IndexError(.corrupted, "\(snapshot.path): chain table \(id) is inconsistent")
            }
            return (table, chains)
        }
        (ipTable, ipChains) = try table("I")
        (filedTable, filedChains) = try table("F")
        (bareTable, bareChains) = try table("H")
        (illegalTable, illegalChains) = try table("L")
        func names(_ id: Character) throws(IndexError) -> NameTable {
            guard
                let table = NameTable(
                    slots: try snapshot.section(Sections.names(id, "S")),
                    postings: try snapshot.array(Sections.names(id, "P"), of: UInt32.self),
                    longNames: try snapshot.section(Sections.names(id, "N")))
            else { throw IndexError(.corrupted, "\(snapshot.path): name table \(id) is damaged") }
            return table
        }
        domains = try names("D")
        blacklistedDomains = try names("B")
        blacklistedSponsorNames = try names("S")
        blacklistedSponsorIDs = try names("K")
        illegalDomains = try names("L")
        suffixRules = try names("P")
        do {
            info = try JSONDecoder().decode(IndexInfo.self, from: Data(try snapshot.section(Sections.info)))
        } catch let error as IndexError {
            throw error
        } catch {
            throw IndexError(.corrupted, "\(snapshot.path): unreadable INFO section")
        }
        var unitIndex: [Int64: UInt32] = [:]
        for (index, unit) in units.enumerated() { unitIndex[unit.id] = UInt32(index) }
        self.unitIndex = unitIndex
        // Every cross-reference must land inside its table: a damaged file is refused here,
        // not met later as an out-of-bounds read.
        for site in sites
        where !(site.sponsor == noValue || Int(site.sponsor) < sponsors.count)
            || Int(site.accessStart) + Int(site.accessCount) > access.count
            || Int(site.domainStart) + Int(site.domainCount) > siteDomains.count
        {
            throw IndexError(.corrupted, "\(snapshot.path): site \(site.id) points outside the tables")
        }
        for row in access
        where Int(row.site) >= sites.count || Int(row.rangeStart) + Int(row.rangeCount) > accessRanges.count
            || !(row.provider == noValue || Int(row.provider) < units.count)
        {
            throw IndexError(.corrupted, "\(snapshot.path): access record \(row.id) points outside the tables")
        }
        for (table, chains, count) in [
            (ipTable, ipChains, ipRecords.count), (filedTable, filedChains, access.count), (bareTable, bareChains, sites.count),
            (illegalTable, illegalChains, illegalRows.count),
        ] {
            guard chains.entries.allSatisfy({ Int($0) < count }),
                table.v4Pairs.allSatisfy({ UInt32(truncatingIfNeeded: $0) == noValue || Int(UInt32(truncatingIfNeeded: $0)) < count }),
                chains.first.allSatisfy({ $0 == noValue || Int($0) < count }),
                chains.starts.first == 0 || chains.starts.isEmpty,
                table.v4Values.allSatisfy({ $0 == noValue || Int($0) + 1 < chains.starts.count }),
                table.v6Values.allSatisfy({ $0 == noValue || Int($0) + 1 < chains.starts.count })
            else { throw IndexError(.corrupted, "\(snapshot.path): an address table points outside its records") }
        }
        // The checks above read every row: their pages go too.
        if snapshot.releasingPages { snapshot.releasePages() }
    }

    // MARK: Facts about the index

    public var buildTime: Timestamp { snapshot.buildTime }
    /// What the snapshot holds, in 64 bits (`xxh64:…`, the checksum of its section table,
    /// which holds every section's checksum): two snapshots with the same digest judge alike.
    public var digest: String { "xxh64:" + String(snapshot.contentChecksum, radix: 16) }
    public var fileSize: Int { snapshot.size }
    public var counts: [String: Int] { info.counts }
    public var unresolved: [String: Int] { info.unresolved }
    public var sources: [(path: String, bytes: Int64, digest: String)] { info.sources.map { ($0.path, $0.bytes, $0.digest) } }
    public var suffixPolicy: String { info.suffixPolicy }
    public var sectionSizes: [(String, Int)] { snapshot.sectionSizes }
    public var siteCount: Int { sites.count }
    public var unitCount: Int { units.count }
    public var ipRecordCount: Int { ipRecords.count }

    // MARK: Addresses

    /// The allocation chain of `address`: indices of IP filing records, most specific first.
    /// O(1) for most IPv4 addresses (see `AddressTable`); no allocation.
    @inline(__always)
    public func allocationChain(_ address: IPAddress) -> UnsafeBufferPointer<UInt32> {
        ipChains.chain(ipTable.value(address))
    }

    /// The most specific IP filing record covering an IPv4 address, or `UInt32.max`.
    @inline(__always)
    public func mostSpecificAllocation(v4 address: UInt32) -> UInt32 {
        ipTable.payload(v4: address)
    }

    /// The most specific IP filing record of each IPv4 address (`UInt32.max` where none),
    /// looked up in groups whose memory reads overlap: the fast path for batches of packets.
    public func mostSpecificAllocations(v4 addresses: UnsafeBufferPointer<UInt32>, into output: UnsafeMutableBufferPointer<UInt32>) {
        precondition(output.count >= addresses.count, "the output holds one value per address")
        ipTable.positions(v4: addresses, into: output)
        for i in 0..<addresses.count { output[i] = UInt32(truncatingIfNeeded: ipTable.v4Pairs[Int(output[i])]) }
    }

    /// The most specific IP filing record of each IPv6 address (`UInt32.max` where none), in
    /// groups whose memory reads overlap.
    public func mostSpecificAllocations(v6 addresses: UnsafeBufferPointer<UInt128>, into output: UnsafeMutableBufferPointer<UInt32>) {
        precondition(output.count >= addresses.count, "the output holds one value per address")
        ipTable.values(v6: addresses, into: output)
        for i in 0..<addresses.count where output[i] != noValue {
            output[i] = Int(output[i]) < ipChains.first.count ? ipChains.first[Int(output[i])] : noValue
        }
    }

    /// The chain as records.
    public func allocationLinks(_ address: IPAddress) -> [AllocationLink] {
        allocationChain(address).map(link)
    }

    /// What judging needs of an address's allocation chain, read from its rows without making
    /// the records: whether it is filed space, the access provider (the most specific holder
    /// with an operating licence, below the source blocks), the operator (the holder of the
    /// outermost source block), the first province on file, and every unit the chain names.
    /// The same as working it out from `allocationLinks`, at a fraction of the cost: a chain
    /// can hold a thousand records where filings overlap.
    public func chainFacts(_ address: IPAddress) -> ChainFacts {
        let chain = allocationChain(address)
        var facts = ChainFacts(filed: !chain.isEmpty)
        var providerFound = false
        for record in chain {
            let row = ipRecords[Int(record)]
            facts.units.insert(row.unitID)
            if row.targetID != 0 { facts.units.insert(row.targetID) }
            if facts.province == nil { facts.province = Province.coded(Int(row.province)) }
            let kind = IPRecordKind(rawValue: row.kind) ?? .allocation
            if !providerFound, kind != .source, row.unit != noValue, units[Int(row.unit)].licence.length > 0 {
                let candidate = unit(Int(row.unit))
                if candidate.licence != nil {
                    facts.provider = candidate
                    providerFound = true
                }
            }
        }
        for record in chain.reversed() {
            let row = ipRecords[Int(record)]
            guard (IPRecordKind(rawValue: row.kind) ?? .allocation) == .source else { continue }
            facts.operatorUnit = row.unit == noValue ? nil : unit(Int(row.unit))
            break
        }
        return facts
    }

    /// Access records that list `address` among their ranges (several sites may share one).
    public func filedAccess(at address: IPAddress) -> [FiledAccess] {
        filedChains.chain(filedTable.value(address)).map { accessRecord(Int($0)) }
    }

    /// Indices of the access records listing `address`.
    @inline(__always)
    public func filedAccessIndices(_ address: IPAddress) -> UnsafeBufferPointer<UInt32> {
        filedChains.chain(filedTable.value(address))
    }

    /// Sites whose filed homepage is this address (sites reached by bare IP).
    public func sitesReachedAt(_ address: IPAddress) -> [FiledSite] {
        bareChains.chain(bareTable.value(address)).map { site(Int($0)) }
    }

    /// Entries of the illegal-access list for this address.
    public func illegalAccess(at address: IPAddress) -> [IllegalAccessHit] {
        illegalChains.chain(illegalTable.value(address)).map { illegal(Int($0)) }
    }

    // MARK: Names

    /// The independent domain (独立域名) of a name in lookup form, by the rules the index was
    /// built with; nil when the name is itself a public suffix.
    public func independentDomain(of ascii: String) -> String? {
        var copy = ascii
        return copy.withUTF8 { bytes in
            independentStart(UnsafeRawBufferPointer(bytes)).map {
                String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[$0...]), as: UTF8.self)
            }
        }
    }

    /// Where the independent domain starts in `name` (lookup-form bytes), or nil when the name
    /// is a public suffix. The public suffix algorithm over the index's rule table, walking
    /// from the top-level domain leftwards: `example.com.cn` costs two probes (`cn`, `com.cn`),
    /// and the walk stops at the first suffix no longer rule ends with.
    @inline(__always)
    func independentStart(_ name: UnsafeRawBufferPointer) -> Int? {
        let count = name.count
        guard count > 0 else { return nil }
        // `start` is the start of the candidate suffix, `previous` that of the one before (one
        // label shorter); the public suffix starts at `suffix` (the top-level domain by the
        // default rule "*").
        var previous = count + 1
        var suffix = -1
        var wildcard = false
        while previous > 0 {
            var i = previous - 2
            while i >= 0 && name[i] != 0x2E { i -= 1 }
            let start = i + 1
            if suffix < 0 || wildcard { suffix = start }
            wildcard = false
            guard let entry = suffixRules.find(UnsafeRawBufferPointer(rebasing: name[start...])) else { break }
            if entry.flags & SuffixRuleFlags.exception != 0 {
                // "!www.ck": the public suffix is the candidate without its first label.
                suffix = previous <= count ? previous : start
                break
            }
            if entry.flags & SuffixRuleFlags.plain != 0 { suffix = start }
            wildcard = entry.flags & SuffixRuleFlags.wildcard != 0
            if !wildcard && entry.flags & SuffixRuleFlags.longer == 0 { break }
            previous = start
        }
        guard suffix > 0 else { return nil }
        // The label before the public suffix.
        var i = suffix - 2
        while i >= 0 && name[i] != 0x2E { i -= 1 }
        return i + 1
    }

    /// The answer of a host lookup, as offsets into the host name (no strings made).
    public struct HostLookup {
        public let match: HostMatch
        /// Indices of the sites (see `site(_:)`).
        public let sites: UnsafeBufferPointer<UInt32>
        /// Where the matched filed name starts in the host, when one matched.
        public let matchedStart: Int?
        /// Where the independent domain starts, when the host has one.
        public let independentStart: Int?
    }

    /// The filed sites that cover `host` (lookup-form bytes): the longest filed name among the
    /// host and its parents down to its independent domain; failing that, the sites with a
    /// filed domain under the same independent domain. A handful of hash probes, no
    /// allocation: the per-observation path of a scan.
    @inline(__always)
    public func filedSites(hostBytes name: UnsafeRawBufferPointer) -> HostLookup {
        let independent = independentStart(name)
        guard let independent else {
            // The host is a public suffix itself: only an exact filing of one of its suffixes
            // can cover it.
            return longestFiledSuffix(name, before: name.count, independent: nil)
        }
        return answer(name, independent: independent, entry: domains.find(UnsafeRawBufferPointer(rebasing: name[independent...])))
    }

    /// Host lookups for a batch of names, as a scan worker holds them: the same answers as
    /// `filedSites(hostBytes:)` one by one, appended to `output`, with the table slots of a
    /// whole group of names, then their first sites' rows, fetched into the cache together
    /// instead of one miss after another.
    public func filedSites(hosts: UnsafeBufferPointer<UnsafeRawBufferPointer>, into output: inout [HostLookup]) {
        let group = 16
        output.reserveCapacity(output.count + hosts.count)
        withUnsafeTemporaryAllocation(of: (start: Int, hash: UInt64).self, capacity: group) { pending in
            var base = 0
            while base < hosts.count {
                let end = min(base + group, hosts.count)
                for i in base..<end {
                    let name = hosts[i]
                    let independent = independentStart(name) ?? -1
                    var hash: UInt64 = 0
                    if independent >= 0 {
                        hash = nameHash(UnsafeRawBufferPointer(rebasing: name[independent...]))
                        domains.prefetch(hash)
                    }
                    pending[i - base] = (independent, hash)
                }
                let first = output.count
                for i in base..<end {
                    let name = hosts[i]
                    let (independent, hash) = pending[i - base]
                    if independent < 0 {
                        output.append(longestFiledSuffix(name, before: name.count, independent: nil))
                    } else {
                        let own = UnsafeRawBufferPointer(rebasing: name[independent...])
                        output.append(answer(name, independent: independent, entry: domains.find(own, hash: hash)))
                    }
                }
                if let rows = sites.baseAddress {
                    for k in first..<output.count {
                        if let site = output[k].sites.first, Int(site) < sites.count { beian_prefetch(rows + Int(site)) }
                    }
                }
                base = end
            }
        }
    }

    /// The answer for a host whose independent domain starts at `independent` and has `entry`
    /// in the domain table (or none).
    @inline(__always)
    private func answer(_ name: UnsafeRawBufferPointer, independent: Int, entry: NameHit?) -> HostLookup {
        guard let entry else {
            return HostLookup(
                match: .none, sites: UnsafeBufferPointer(start: nil, count: 0), matchedStart: nil, independentStart: independent)
        }
        // One probe answers most hosts: only when names below the independent domain are
        // filed may a longer suffix of the host be.
        if entry.flags & DomainFlags.filedBelow != 0 && independent > 0 {
            let longer = longestFiledSuffix(name, before: independent, independent: independent)
            if longer.match != .none { return longer }
        }
        let sites = domains.postings(of: entry)
        if entry.flags & DomainFlags.filed != 0 {
            return HostLookup(match: .filedName, sites: sites, matchedStart: independent, independentStart: independent)
        }
        return HostLookup(
            match: sites.isEmpty ? .none : .independentDomain, sites: sites, matchedStart: sites.isEmpty ? nil : independent,
            independentStart: independent)
    }

    /// The longest suffix of `name` starting before `limit` that is filed exactly.
    private func longestFiledSuffix(_ name: UnsafeRawBufferPointer, before limit: Int, independent: Int?) -> HostLookup {
        var start = 0
        while start < limit && start < name.count {
            if let entry = domains.find(UnsafeRawBufferPointer(rebasing: name[start...])), entry.flags & DomainFlags.filed != 0 {
                return HostLookup(match: .filedName, sites: domains.postings(of: entry), matchedStart: start, independentStart: independent)
            }
            while start < name.count && name[start] != 0x2E { start += 1 }
            start += 1
        }
        return HostLookup(match: .none, sites: UnsafeBufferPointer(start: nil, count: 0), matchedStart: nil, independentStart: independent)
    }

    /// The filed sites that cover `host`, with the matched name and independent domain as text
    /// (see `filedSites(hostBytes:)`). Sites are indices; cancelled ones included (judge them
    /// with `site(_:)` and the observation time).
    public func filedSites(forHost host: DomainName) -> (
        match: HostMatch, matchedName: String?, independentDomain: String?, sites: UnsafeBufferPointer<UInt32>
    ) {
        var ascii = host.ascii
        return ascii.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            let answer = filedSites(hostBytes: bytes)
            func text(_ start: Int?) -> String? {
                start.map { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0...]), as: UTF8.self) }
            }
            return (answer.match, text(answer.matchedStart), text(answer.independentStart), answer.sites)
        }
    }

    /// Whether `host` (lookup-form bytes) or a parent of it is a blacklisted domain or named
    /// on the illegal-access list: the per-host question of a scan, asked of the tables with
    /// no string made.
    public func isListed(hostBytes name: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        while start < name.count {
            let suffix = UnsafeRawBufferPointer(rebasing: name[start...])
            if blacklistedDomains.find(suffix) != nil || illegalDomains.find(suffix) != nil { return true }
            while start < name.count && name[start] != 0x2E { start += 1 }
            start += 1
        }
        return false
    }

    /// The blacklisted domain covering `host` (itself or a parent), if any.
    public func blacklistedDomain(covering host: DomainName) -> String? {
        var candidate = Substring(host.ascii)
        while true {
            var copy = String(candidate)
            if copy.withUTF8({ blacklistedDomains.find(UnsafeRawBufferPointer($0)) }) != nil { return String(candidate) }
            guard let dot = candidate.firstIndex(of: ".") else { return nil }
            candidate = candidate[candidate.index(after: dot)...]
        }
    }

    /// Entries of the illegal-access list naming `host` or a parent of it.
    public func illegalAccess(covering host: DomainName) -> [IllegalAccessHit] {
        var hits: [IllegalAccessHit] = []
        var candidate = Substring(host.ascii)
        while true {
            if let postings = illegalDomains.postings(String(candidate)) { hits += postings.map { illegal(Int($0)) } }
            guard let dot = candidate.firstIndex(of: ".") else { return hits }
            candidate = candidate[candidate.index(after: dot)...]
        }
    }

    // MARK: Records

    public func unit(id: Int64) -> UnitInfo? {
        unitIndex[id].map { unit(Int($0)) }
    }

    func unit(_ index: Int) -> UnitInfo {
        let row = units[index]
        let licence = pool.string(row.licence)
        return UnitInfo(
            id: row.id, name: pool.string(row.name), licence: licence.isEmpty ? nil : licence, province: Province.coded(Int(row.province)),
            isValid: row.flags & 1 != 0, isLicensed: row.flags & 2 != 0)
    }

    /// Every unit, in index order.
    public var allUnits: [UnitInfo] { (0..<units.count).map(unit) }

    func time(_ value: Int64) -> Timestamp? {
        value == never || value == unknownTime ? nil : Timestamp(secondsSince1970: value)
    }

    /// A cancellation time: `unknownTime` means "cancelled, date unknown" (the beginning of time).
    func cancellation(_ value: Int64) -> Timestamp? {
        value == never ? nil : Timestamp(secondsSince1970: value == unknownTime ? Int64.min / 2 : value)
    }

    func sponsor(_ index: Int) -> FiledSponsor {
        let row = sponsors[index]
        return FiledSponsor(
            id: row.id, number: pool.string(row.number), name: pool.string(row.name), nature: row.nature == 0 ? nil : Int(row.nature),
            province: Province.coded(Int(row.province)), approved: time(row.approved), cancelled: cancellation(row.cancelled),
            isBlacklistedByName: row.flags & 1 != 0, isBlacklistedByIdentifier: row.flags & 2 != 0)
    }

    /// The site number of site `index` and its sponsor's number, read from the mapped rows
    /// (what a homepage's footer is compared with).
    public func numbers(ofSite index: Int) -> (site: String, sponsor: String?) {
        let row = sites[index]
        let sponsor = row.sponsor == noValue ? nil : sponsors[Int(row.sponsor)]
        return (pool.string(row.number), sponsor.map { pool.string($0.number) })
    }

    /// The UTF-8 of site `index`'s number, its sponsor's number (empty when unknown) and its
    /// first name, read in place from the snapshot (no strings made: the batch answers).
    public func withFilingTexts<Result>(
        ofSite index: Int,
        _ body: (_ site: UnsafeRawBufferPointer, _ sponsor: UnsafeRawBufferPointer, _ firstName: UnsafeRawBufferPointer) -> Result
    ) -> Result {
        let row = sites[index]
        let sponsor = row.sponsor == noValue ? UnsafeRawBufferPointer(start: nil, count: 0) : pool.utf8(sponsors[Int(row.sponsor)].number)
        let names = pool.utf8(row.names)
        let first = names.firstIndex(of: UInt8(ascii: ";")).map { UnsafeRawBufferPointer(rebasing: names[..<$0]) } ?? names
        return body(pool.utf8(row.number), sponsor, first)
    }

    /// Whether the sponsor of site `index` is on the blacklist (by name or identifier).
    public func isSponsorBlacklisted(ofSite index: Int) -> Bool {
        let row = sites[index]
        return row.sponsor != noValue && sponsors[Int(row.sponsor)].flags & 3 != 0
    }

    /// What judging needs of site `index` (see `SiteJudgingFacts`).
    public func judgingFacts(ofSite index: Int) -> SiteJudgingFacts {
        let row = sites[index]
        let sponsor = row.sponsor == noValue ? nil : sponsors[Int(row.sponsor)]
        let access = (Int(row.accessStart)..<Int(row.accessStart + row.accessCount)).map { i in
            let record = self.access[i]
            return SiteJudgingFacts.Access(
                id: record.id, providerID: record.providerID,
                ranges: (Int(record.rangeStart)..<Int(record.rangeStart + record.rangeCount)).map { accessRanges[$0].range },
                cancelled: cancellation(record.cancelled))
        }
        return SiteJudgingFacts(
            number: pool.string(row.number), sponsorNumber: sponsor.map { pool.string($0.number) },
            sponsorBlacklisted: sponsor.map { $0.flags & 3 != 0 } ?? false, access: access)
    }

    func accessRecord(_ index: Int) -> FiledAccess {
        let row = access[index]
        let ranges = (Int(row.rangeStart)..<Int(row.rangeStart + row.rangeCount)).map { accessRanges[$0].range }
        return FiledAccess(
            id: row.id, siteIndex: row.site, provider: row.provider == noValue ? nil : unit(Int(row.provider)), providerID: row.providerID,
            ranges: ranges, cancelled: cancellation(row.cancelled))
    }

    /// Whether the filing of site `index` was in force at `time` (the site and its sponsor not
    /// cancelled by then), read from the mapped rows without building a `FiledSite`: the
    /// question a scan asks for every observation of a filed host.
    /// Whether site `index` was filed at `time`: first filed by then (when known) and in force.
    public func isSiteFiled(_ index: UInt32, at time: Timestamp) -> Bool {
        guard isSiteActive(index, at: time) else { return false }
        let first = sites[Int(index)].firstFiled
        return first == unknownTime || first <= time.secondsSince1970
    }

    public func isSiteActive(_ index: UInt32, at time: Timestamp) -> Bool {
        guard Int(index) < sites.count else { return false }
        let until = sites[Int(index)].inForceUntil
        return until == never || (until != unknownTime && time.secondsSince1970 < until)
    }

    /// When the filing of site `index` stops being in force (seconds since 1970; the site's
    /// or its sponsor's cancellation), nil when it never does or is not known: a judgement
    /// of the site holds until then.
    public func siteInForceUntil(_ index: UInt32) -> Int64? {
        guard Int(index) < sites.count else { return nil }
        let until = sites[Int(index)].inForceUntil
        return until == never || until == unknownTime ? nil : until
    }

    /// Whether some access record of site `index` has every range inside `coverage` — read
    /// from the mapped rows without building the site: the pre-check of a scan's end-of-input
    /// pass over every filed site (empty shells, over-reported access), which needs the whole
    /// site only for the few that pass.
    public func siteHasAccess(_ index: Int, within coverage: [IPRange]) -> Bool {
        guard index < sites.count else { return false }
        let row = sites[index]
        for accessIndex in Int(row.accessStart)..<Int(row.accessStart + row.accessCount) {
            let record = access[accessIndex]
            guard record.rangeCount > 0 else { continue }
            let ranges = Int(record.rangeStart)..<Int(record.rangeStart + record.rangeCount)
            if ranges.allSatisfy({ i in
                let range = accessRanges[i].range
                return coverage.contains { $0.contains(range) }
            }) {
                return true
            }
        }
        return false
    }

    /// The site at `index` (as given by the lookups), with its sponsor, domains and access.
    public func site(_ index: Int) -> FiledSite {
        let row = sites[index]
        let domains = (Int(row.domainStart)..<Int(row.domainStart + row.domainCount)).map { i in
            FiledDomain(
                name: pool.string(siteDomains[i].name), registration: RegistrationStatus(rawValue: siteDomains[i].registration) ?? .unknown)
        }
        let homepage = pool.string(row.homepage)
        return FiledSite(
            index: UInt32(index), id: row.id, number: pool.string(row.number),
            names: pool.string(row.names).split(separator: ";").map(String.init),
            homepage: homepage.isEmpty ? nil : homepage, firstFiled: time(row.firstFiled), cancelled: cancellation(row.cancelled),
            sponsor: row.sponsor == noValue ? nil : sponsor(Int(row.sponsor)), domains: domains,
            access: (Int(row.accessStart)..<Int(row.accessStart + row.accessCount)).map(accessRecord))
    }

    public func link(_ index: UInt32) -> AllocationLink {
        let row = ipRecords[Int(index)]
        let kind = IPRecordKind(rawValue: row.kind) ?? .allocation
        let name = pool.string(row.userName)
        return AllocationLink(
            index: index, kind: kind, id: row.id, range: row.range.range,
            mode: kind == .allocation ? AllocationMode(rawValue: Int(row.mode)) : nil,
            unitID: row.unitID, unit: row.unit == noValue ? nil : unit(Int(row.unit)), targetID: row.targetID == 0 ? nil : row.targetID,
            target: row.target == noValue ? nil : unit(Int(row.target)), userName: name.isEmpty ? nil : name,
            userNature: row.userNature == 0 ? nil : Int(row.userNature), province: Province.coded(Int(row.province)),
            allocated: time(row.allocated))
    }

    func illegal(_ index: Int) -> IllegalAccessHit {
        let row = illegalRows[index]
        let domain = pool.string(row.domain)
        return IllegalAccessHit(
            id: row.id, domain: domain.isEmpty ? nil : domain, address: row.hasAddress == 1 ? row.address.range.first : nil,
            provider: row.provider == noValue ? nil : unit(Int(row.provider)), providerID: row.providerID == 0 ? nil : row.providerID,
            detected: time(row.detected))
    }

    /// Every IP filing record, in index order.
    public var allIPRecords: [AllocationLink] { (0..<ipRecords.count).map { link(UInt32($0)) } }

    /// Whether a sponsor name (as written anywhere) is blacklisted.
    public func isBlacklistedSponsor(name: String) -> Bool {
        blacklistedSponsorNames.postings(IndexBuilder.normalisedName(name)) != nil
    }
}
