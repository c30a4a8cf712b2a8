public import BeianCore
public import BeianGeo
public import BeianIndex

/// The rules of docs/findings.md applied to observations, against the frozen index, each
/// observation judged against the filings as they stood at its time. Findings are aggregated
/// by kind, independent domain and address (first and last seen, count, evidence); the
/// findings that need the whole input — empty shells and over-reported access records — are
/// made by `finish`, over the address space the input declares it covers.
///
/// One judge per scan, owned by the scan run (`Scan`); not thread-safe.
public struct Judge {
    public struct Settings: Sendable {
        /// Address space the input sees in full: only there can a filed site's absence or an
        /// access record's silence be judged (多报, 空壳).
        public var coverage: [IPRange] = []
        /// Evidence locations kept per finding at most.
        public var maximumEvidence = 5
        /// Whose view: every domestic address, or an access provider's (`--scope own --unit
        /// ID`): then only addresses whose allocation chain names the unit are judged, and only
        /// its access records are judged for silence.
        public var scope = Scope.all

        public init() {}
    }

    public let index: RegistryIndex
    public let geo: GeoDatabase?
    public let settings: Settings
    /// Findings in the order first made, and where each key's finding is.
    private var entries: [Entry] = []
    private var slots: [FindingKey: Int] = [:]
    /// Independent domains by number, so that keys hash a number, not a name, and the names
    /// by number.
    private var independentNumbers: [String: Int32] = [:]
    private var independentNames: [String] = []
    /// The independent domains served from domestic addresses that were judged, by the
    /// province of the address (`""` when none is on file): the sites checked.
    private var checked: [String: Set<Int32>] = [:]

    private struct Entry {
        var finding: Finding
        /// When the finding was first seen, to the nanosecond: its host is the one seen
        /// first, whatever order the inputs are read in.
        var firstNanoseconds: Int64
    }

    /// What findings are told apart by: kind, independent domain (by number, -1 for none),
    /// address (an address seen, or the ranges of a silent access record), hashed without
    /// making their text.
    struct FindingKey: Hashable {
        enum Address: Hashable {
            case none
            case seen(IPAddress)
            case text(String)
        }

        var kind: Finding.Kind
        var independent: Int32
        var address: Address
    }
    private var seenSites: Set<UInt32> = []
    private var seenAccess: Set<Int64> = []
    /// The latest observation time: the end of the input, for the judgements of `finish`.
    private var end: Timestamp?
    // Per-address answers, computed once per address.
    private var routes: [IPAddress: Route] = [:]
    private var chains: [ChainKey: Route] = [:]
    private var domestic: [IPAddress: Bool] = [:]
    /// What a host's name alone says (its filings, blacklists), cached: a busy site is seen
    /// thousands of times. Plain values, no references: tens of thousands are made and freed
    /// per input.
    private struct HostVerdict {
        /// Not a domain name: nothing to judge.
        static var none: HostVerdict {
            HostVerdict(independentNumber: -1, sites: UnsafeBufferPointer(start: nil, count: 0), blacklisted: false)
        }

        var independentNumber: Int32
        /// The sites' indices, in the index's own memory (the index outlives the judge's
        /// tables: the judge holds it).
        var sites: UnsafeBufferPointer<UInt32>
        var blacklisted: Bool
    }
    /// Hosts numbered as first seen, and their verdicts by number: the name is hashed once
    /// per observation, every other table hashes its number.
    private var hostNumbers: [String: Int32] = [:]
    private var hostVerdicts: [HostVerdict] = []
    private var sites: [UInt32: SiteFacts] = [:]
    private var pairs: [PairKey: PairJudgement] = [:]
    /// The slots of every pair's findings, each pair's in a run (`PairJudgement.slots`).
    private var pairSlots: [Int32] = []

    /// What judging needs of a filed site, held by reference (a site is looked at for every
    /// observation of its hosts: copying its arrays each time showed in profiles).
    final class SiteFacts {
        let number: String
        let sponsorNumber: String?
        let sponsorBlacklisted: Bool
        let access: [SiteJudgingFacts.Access]

        init(_ facts: SiteJudgingFacts) {
            number = facts.number
            sponsorNumber = facts.sponsorNumber
            sponsorBlacklisted = facts.sponsorBlacklisted
            access = facts.access
        }
    }
    /// Entries kept in each cache at most (it is emptied beyond).
    static let cacheLimit = 1 << 20
    public private(set) var judged = 0
    /// Findings so far (for progress reports).
    public var findingCount: Int { entries.count }
    public private(set) var proxied = 0
    /// Sites checked — distinct independent domains served from domestic addresses — by the
    /// province of the address (`unknown` when none is on file).
    public var sitesChecked: [String: Int] {
        Dictionary(uniqueKeysWithValues: checked.map { ($0.key.isEmpty ? "unknown" : $0.key, $0.value.count) })
    }

    /// What the allocation chain of an address says, held by reference (looked at for
    /// every observation).
    final class Route {
        /// Whether any IP filing covers the address.
        let filed: Bool
        let provider: Finding.Unit?
        let operatorUnit: Finding.Unit?
        let province: String?
        let chainUnits: Set<Int64>
        /// On the illegal-access list by address.
        let illegal: Bool

        init(
            filed: Bool, provider: Finding.Unit?, operatorUnit: Finding.Unit?, province: String?, chainUnits: Set<Int64>, illegal: Bool
        ) {
            self.filed = filed
            self.provider = provider
            self.operatorUnit = operatorUnit
            self.province = province
            self.chainUnits = chainUnits
            self.illegal = illegal
        }

        /// The same chain, another address's illegal-access listing.
        func with(illegal: Bool) -> Route {
            illegal == self.illegal
                ? self
                : Route(
                    filed: filed, provider: provider, operatorUnit: operatorUnit, province: province, chainUnits: chainUnits,
                    illegal: illegal)
        }
    }

    public init(index: RegistryIndex, geo: GeoDatabase?, settings: Settings = Settings()) {
        self.index = index
        self.geo = geo
        self.settings = settings
        // Room for a busy input's distinct hosts and pairs from the start: grown from empty,
        // the tables were rehashed a dozen times (4 % of a capture's scan).
        pairs.reserveCapacity(Self.initialCapacity)
        hostNumbers.reserveCapacity(Self.initialCapacity)
        hostVerdicts.reserveCapacity(Self.initialCapacity)
        routes.reserveCapacity(Self.initialCapacity)
    }

    /// Entries each per-pair, per-host and per-address cache has room for before it grows.
    static let initialCapacity = 1 << 14

    /// Judges one observation.
    public mutating func judge(_ observation: Observation) {
        // Through a proxy the address is the proxy's: nothing to judge (the proxy's own log,
        // which names the server reached, is).
        guard !observation.proxy else {
            proxied += 1
            return
        }
        judged += 1
        let time = observation.time
        if end.map({ time > $0 }) ?? true { end = time }
        // A host on an address is judged the same until a filing or access record it depends
        // on is cancelled: repeated sightings only update the findings the first one made.
        let host = hostNumber(observation.host)
        let pair = PairKey(host: host, address: observation.address)
        if let known = pairs[pair], known.from <= time.secondsSince1970, time.secondsSince1970 < known.until {
            for slot in pairSlots[known.slots] {
                Self.update(&entries[Int(slot)], with: observation, time: time, limit: settings.maximumEvidence)
                noteChange(Int(slot))
            }
            return
        }
        if pairs.count >= Self.cacheLimit {
            pairs.removeAll(keepingCapacity: true)
            pairSlots.removeAll(keepingCapacity: true)
        }
        var judgement = PairJudgement(start: pairSlots.count)
        judge(observation, verdict: hostVerdicts[Int(host)], into: &judgement)
        judgement.slots = judgement.slots.lowerBound..<pairSlots.count
        pairs[pair] = judgement
    }

    /// The host (by number) and address of an observation: what its judgement depends on,
    /// with its time.
    private struct PairKey: Hashable {
        var host: Int32
        var address: IPAddress
    }

    /// The findings an observation of a pair made, and the times between which the filings it
    /// was judged against stood unchanged.
    private struct PairJudgement {
        /// Where its findings' slots are in `pairSlots`.
        var slots: Range<Int>
        var from = Int64.min
        var until = Int64.max

        init(start: Int) { slots = start..<start }

        /// Narrows the interval around `time` by a cancellation at `boundary` (a record is in
        /// force while time < boundary).
        mutating func bound(_ boundary: Int64?, around time: Int64) {
            guard let boundary else { return }
            if boundary <= time { from = max(from, boundary) } else { until = min(until, boundary) }
        }
    }

    /// Judges a pair seen for the first time (or again after a filing it depends on changed),
    /// appending the slots of the findings it makes to `pairSlots`.
    private mutating func judge(_ observation: Observation, verdict: HostVerdict, into judgement: inout PairJudgement) {
        let time = observation.time
        let address = observation.address
        guard verdict.independentNumber >= 0 else { return }
        let route = self.route(address)
        guard settings.scope.admits(chainUnits: route.chainUnits) else { return }

        // Blacklists apply wherever the site is served.
        if verdict.blacklisted || route.illegal {
            pairSlots.append(report(.blacklisted, observation, independent: verdict, route: route))
        }
        // Domestic scope: filed address space, or China by geolocation.
        let filedSpace = route.filed
        guard filedSpace || isChinese(address) else { return }
        checked[route.province ?? "", default: []].insert(verdict.independentNumber)
        if !filedSpace { pairSlots.append(report(.ipUnreported, observation, independent: nil, route: route)) }

        let sites = verdict.sites
        guard !sites.isEmpty else {
            pairSlots.append(report(.unfiledSite, observation, independent: verdict, route: route))
            return
        }
        let seconds = time.secondsSince1970
        var first: SiteFacts?
        var blacklistedSponsor = false
        var listed = false
        var cancelledListing = false
        var providerFiled = false
        var providerInChain = false
        for siteIndex in sites {
            judgement.bound(index.siteInForceUntil(siteIndex), around: seconds)
            guard index.isSiteActive(siteIndex, at: time) else { continue }
            seenSites.insert(siteIndex)
            let facts = filedSite(siteIndex)
            if first == nil { first = facts }
            if facts.sponsorBlacklisted { blacklistedSponsor = true }
            for record in facts.access {
                judgement.bound(record.cancelled?.secondsSince1970, around: seconds)
                let inForce = record.cancelled.map { $0 > time } ?? true
                let lists = record.ranges.contains { $0.contains(address) }
                if inForce {
                    providerFiled = true
                    if !providerInChain && route.chainUnits.contains(record.providerID) { providerInChain = true }
                    if lists {
                        listed = true
                        seenAccess.insert(record.id)
                    }
                } else if lists {
                    cancelledListing = true
                }
            }
        }
        guard let site = first else {
            pairSlots.append(
                report(.cancelledFilingServed, observation, independent: verdict, route: route, site: filedSite(sites[0])))
            return
        }
        if blacklistedSponsor {
            pairSlots.append(report(.blacklisted, observation, independent: verdict, route: route, site: site))
        }
        if !listed {
            pairSlots.append(
                report(
                    cancelledListing ? .cancelledFilingServed : .accessUnderReported, observation, independent: verdict,
                    route: route, site: site))
        }
        if filedSpace && providerFiled && !providerInChain {
            pairSlots.append(report(.providerMismatch, observation, independent: verdict, route: route, site: site))
        }
    }

    /// Adds a finding made elsewhere (a homepage's footer), aggregated with the others of its
    /// kind and independent domain: counts add up, times and evidence merge, the host is the
    /// one seen first.
    public mutating func add(_ finding: Finding, nanoseconds: Int64) {
        let independent = finding.independentDomain.map { number(ofIndependent: $0) } ?? -1
        let key = FindingKey(kind: finding.kind, independent: independent, address: finding.address.map { .text($0) } ?? .none)
        guard let slot = slots[key] else {
            slots[key] = entries.count
            entries.append(Entry(finding: finding, firstNanoseconds: nanoseconds))
            return
        }
        var entry = entries[slot].finding
        entry.count += finding.count
        if let first = finding.firstSeen, first < entry.firstSeen ?? first { entry.firstSeen = first }
        if let last = finding.lastSeen, last > entry.lastSeen ?? last { entry.lastSeen = last }
        // The finding as first seen (on a tie, by the smaller host): whatever order the
        // findings come in — one scan's inputs, or partial scans merged.
        if nanoseconds < entries[slot].firstNanoseconds
            || (nanoseconds == entries[slot].firstNanoseconds && (finding.host ?? "") < (entry.host ?? ""))
        {
            entries[slot].firstNanoseconds = nanoseconds
            entry.host = finding.host
            entry.detail = finding.detail
        }
        for item in finding.evidence { Self.keep(item, in: &entry.evidence, limit: settings.maximumEvidence) }
        entries[slot].finding = entry
        noteChange(slot)
    }

    // MARK: Partial scans

    /// What a judge holds before its end-of-input pass: its findings (each with the time it
    /// was first seen, to the nanosecond), the filed sites and access records it saw served,
    /// and its latest observation. Judges of disjoint inputs absorbed into one (`absorb`)
    /// then finished make the findings one judge of all the inputs makes, whatever the order.
    public struct Partial: Sendable {
        public var findings: [(finding: Finding, firstNanoseconds: Int64)]
        public var seenSites: [UInt32]
        public var seenAccess: [Int64]
        public var end: Timestamp?

        public init(findings: [(finding: Finding, firstNanoseconds: Int64)], seenSites: [UInt32], seenAccess: [Int64], end: Timestamp?) {
            self.findings = findings
            self.seenSites = seenSites
            self.seenAccess = seenAccess
            self.end = end
        }
    }

    /// The judge's state before `finish`.
    public func partial() -> Partial {
        Partial(
            findings: entries.map { ($0.finding, $0.firstNanoseconds) }, seenSites: seenSites.sorted(), seenAccess: seenAccess.sorted(),
            end: end)
    }

    /// Takes in another judge's partial state (of other inputs, against the same index).
    public mutating func absorb(_ partial: Partial) {
        for (finding, nanoseconds) in partial.findings { add(finding, nanoseconds: nanoseconds) }
        seenSites.formUnion(partial.seenSites)
        seenAccess.formUnion(partial.seenAccess)
        if let other = partial.end, end.map({ other > $0 }) ?? true { end = other }
    }

    // MARK: Changes, for the events of a running scan

    /// Whether the judge notes which findings it made or updated since `takeChanges` (a scan
    /// that streams its findings as events turns it on; a batch scan leaves it off).
    public var tracksChanges = false
    /// Findings before this slot were handed out by `takeChanges` as made.
    private var handedOut = 0
    /// Slots updated since the last `takeChanges`, each once.
    private var changed: [Int] = []
    private var changeMarks: [Bool] = []

    private mutating func noteChange(_ slot: Int) {
        guard tracksChanges, slot < handedOut, !changeMarks[slot] else { return }
        changeMarks[slot] = true
        changed.append(slot)
    }

    /// The findings made and (with `updates`) the findings updated since the last call, each
    /// once, in the order they were made or first updated. Without `updates`, the updates wait
    /// for a later call (a finding touched by every batch is then copied once per call, not
    /// once per batch).
    public mutating func takeChanges(updates: Bool = true) -> (made: [Finding], updated: [Finding]) {
        let made = entries[handedOut...].map(\.finding)
        handedOut = entries.count
        changeMarks.append(contentsOf: repeatElement(false, count: entries.count - changeMarks.count))
        guard updates else { return (made, []) }
        let updated = changed.map { entries[$0].finding }
        for slot in changed { changeMarks[slot] = false }
        changed.removeAll(keepingCapacity: true)
        return (made, updated)
    }

    /// The judgements that need the whole input: filed sites in force at its end whose access
    /// records all lie in the coverage and that were never seen (空壳), and access records in
    /// the coverage that never served their (seen) site (多报). Then every finding, sorted.
    public mutating func finish() -> [Finding] {
        if !settings.coverage.isEmpty, let end {
            // Locals, not `self`, in the closures below: capturing `self` would copy the judge.
            let coverage = settings.coverage
            let scope = settings.scope
            for siteIndex in 0..<index.siteCount
            where index.isSiteActive(UInt32(siteIndex), at: end) && index.siteHasAccess(siteIndex, within: coverage) {
                let site = index.site(siteIndex)
                let live = site.access.filter { $0.cancelled.map { $0 > end } ?? true }
                let covered = live.filter { record in
                    !record.ranges.isEmpty && record.ranges.allSatisfy { range in coverage.contains { $0.contains(range) } }
                        && scope.admits(accessRecordOf: record.providerID)
                }
                guard let firstCovered = covered.first else { continue }
                let independent = site.domains.first.flatMap { try? DomainName($0.name) }.map { name in
                    index.filedSites(forHost: name).independentDomain ?? name.ascii
                }
                let province = firstCovered.ranges.first.flatMap { route($0.first).province }
                let provider = firstCovered.provider.map { Finding.Unit(id: $0.id, name: $0.name) }
                if !seenSites.contains(UInt32(siteIndex)) {
                    if covered.count == live.count {
                        add(.emptyShell, independent: independent, address: nil, site: site, provider: provider, province: province)
                    }
                    continue
                }
                for record in covered where !seenAccess.contains(record.id) {
                    add(
                        .accessOverReported, independent: independent, address: record.ranges.map(\.description).joined(separator: ","),
                        site: site, provider: record.provider.map { Finding.Unit(id: $0.id, name: $0.name) }, province: province)
                }
            }
        }
        // The order of the output: by kind, independent domain, address text.
        let order = entries.indices.map {
            (entries[$0].finding.kind.rawValue, entries[$0].finding.independentDomain ?? "", entries[$0].finding.address ?? "", $0)
        }
        .sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        return order.map { entries[$0.3].finding }
    }

    // MARK: Helpers

    /// The number of a host name, its verdict worked out when it is new.
    private mutating func hostNumber(_ name: String) -> Int32 {
        if let known = hostNumbers[name] { return known }
        if hostNumbers.count >= Self.cacheLimit {
            // Pairs name hosts by number: they go with the numbers.
            hostNumbers.removeAll(keepingCapacity: true)
            hostVerdicts.removeAll(keepingCapacity: true)
            pairs.removeAll(keepingCapacity: true)
            pairSlots.removeAll(keepingCapacity: true)
        }
        let number = Int32(hostVerdicts.count)
        hostVerdicts.append(hostVerdict(name))
        hostNumbers[name] = number
        return number
    }

    private mutating func hostVerdict(_ name: String) -> HostVerdict {
        guard var host = try? DomainName(name).ascii else { return .none }
        return host.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            let lookup = index.filedSites(hostBytes: bytes)
            let independent = String(decoding: bytes[(lookup.independentStart ?? 0)...], as: UTF8.self)
            return HostVerdict(
                independentNumber: number(ofIndependent: independent), sites: lookup.sites, blacklisted: index.isListed(hostBytes: bytes))
        }
    }

    private mutating func number(ofIndependent name: String) -> Int32 {
        if let known = independentNumbers[name] { return known }
        let number = Int32(clamping: independentNumbers.count)
        independentNumbers[name] = number
        independentNames.append(name)
        return number
    }

    private mutating func filedSite(_ index: UInt32) -> SiteFacts {
        if let known = sites[index] { return known }
        let site = SiteFacts(self.index.judgingFacts(ofSite: Int(index)))
        if sites.count >= Self.cacheLimit { sites.removeAll(keepingCapacity: true) }
        sites[index] = site
        return site
    }

    private func isChinese(_ address: IPAddress) -> Bool {
        if let known = domestic[address] { return known }
        return (try? geo?.lookup(address))?.country == "CN"
    }

    private mutating func route(_ address: IPAddress) -> Route {
        if let known = routes[address] { return known }
        // Addresses of one block share their allocation chain (the same records of the
        // mapped table): its routing is worked out once per chain.
        let chain = index.allocationChain(address)
        let chainKey = ChainKey(start: UInt(bitPattern: chain.baseAddress), count: chain.count)
        let route: Route
        if let known = chains[chainKey] {
            route = known.with(illegal: !index.illegalAccess(at: address).isEmpty)
        } else {
            route = makeRoute(address)
            if chains.count > Self.cacheLimit { chains.removeAll(keepingCapacity: true) }
            chains[chainKey] = route
        }
        if routes.count > Self.cacheLimit { routes.removeAll(keepingCapacity: true) }
        routes[address] = route
        if !route.filed {
            if domestic.count > Self.cacheLimit { domestic.removeAll(keepingCapacity: true) }
            domestic[address] = (try? geo?.lookup(address))?.country == "CN"
        }
        return route
    }

    private struct ChainKey: Hashable {
        var start: UInt
        var count: Int
    }

    private func makeRoute(_ address: IPAddress) -> Route {
        let facts = index.chainFacts(address)
        return Route(
            filed: facts.filed, provider: facts.provider.map { Finding.Unit(id: $0.id, name: $0.name) },
            operatorUnit: facts.operatorUnit.map { Finding.Unit(id: $0.id, name: $0.name) },
            province: facts.province.map { String($0.abbreviation) }, chainUnits: facts.units,
            illegal: !index.illegalAccess(at: address).isEmpty)
    }

    /// Inserts `item` in `evidence` (kept sorted by file and position), dropping the last
    /// beyond `limit`.
    static func keep(_ item: Finding.Evidence, in evidence: inout [Finding.Evidence], limit: Int) {
        let rank = (item.source, position(item.location))
        let at = evidence.firstIndex { (($0.source, position($0.location)) > rank) } ?? evidence.count
        guard at < limit else { return }
        evidence.insert(item, at: at)
        if evidence.count > limit { evidence.removeLast() }
    }

    /// The number in an evidence location (`packet 123`, `line 7`), for ordering.
    static func position(_ location: String?) -> Int {
        guard let location, let space = location.lastIndex(of: " ") else { return 0 }
        return Int(location[location.index(after: space)...]) ?? 0
    }

    @discardableResult
    private mutating func report(
        _ kind: Finding.Kind, _ observation: Observation, independent verdict: HostVerdict?, route: Route, site: SiteFacts? = nil
    ) -> Int32 {
        let key = FindingKey(kind: kind, independent: verdict?.independentNumber ?? -1, address: .seen(observation.address))
        let time = observation.time
        // Seen before: updated in place, no strings made unless the evidence is kept.
        if let slot = slots[key] {
            Self.update(&entries[slot], with: observation, time: time, limit: settings.maximumEvidence)
            noteChange(slot)
            return Int32(slot)
        }
        var finding = Finding(kind: kind, detail: Self.detail(kind), count: 1)
        finding.host = observation.host
        finding.independentDomain = verdict.map { independentNames[Int($0.independentNumber)] }
        finding.address = observation.address.description
        finding.provider = route.provider
        finding.operatorUnit = route.operatorUnit
        finding.province = route.province
        finding.firstSeen = time
        finding.lastSeen = time
        if let site {
            finding.siteNumber = site.number
            finding.sponsorNumber = site.sponsorNumber
        }
        finding.evidence = [Self.evidence(observation)]
        slots[key] = entries.count
        entries.append(Entry(finding: finding, firstNanoseconds: observation.nanoseconds))
        return Int32(entries.count - 1)
    }

    private static func update(_ entry: inout Entry, with observation: Observation, time: Timestamp, limit: Int) {
        entry.finding.count += 1
        if time < entry.finding.firstSeen ?? time { entry.finding.firstSeen = time }
        if time > entry.finding.lastSeen ?? time { entry.finding.lastSeen = time }
        if observation.nanoseconds < entry.firstNanoseconds
            || (observation.nanoseconds == entry.firstNanoseconds && observation.host < entry.finding.host ?? "")
        {
            entry.firstNanoseconds = observation.nanoseconds
            entry.finding.host = observation.host
        }
        let kept = entry.finding.evidence.count
        if kept < limit || Self.ranks(observation, before: entry.finding.evidence[kept - 1]) {
            Self.keep(Self.evidence(observation), in: &entry.finding.evidence, limit: limit)
        }
    }

    /// Where an observation was seen, as evidence.
    static func evidence(_ observation: Observation) -> Finding.Evidence {
        let location: String
        switch observation.source.position {
        case .packet(let n): location = "packet \(n)"
        case .line(let n): location = "line \(n)"
        case .offset(let n): location = "offset \(n)"
        }
        return Finding.Evidence(
            source: observation.source.file, location: location, seen: "\(observation.appProtocol.rawValue) \(observation.host)")
    }

    /// Whether an observation's place comes before `evidence`'s (file, then position).
    static func ranks(_ observation: Observation, before evidence: Finding.Evidence) -> Bool {
        let number: Int
        switch observation.source.position {
        case .packet(let n), .line(let n), .offset(let n): number = Int(clamping: n)
        }
        return (observation.source.file, number) < (evidence.source, position(evidence.location))
    }

    private mutating func add(
        _ kind: Finding.Kind, independent: String?, address: String?, site: FiledSite, provider: Finding.Unit?, province: String?
    ) {
        var finding = Finding(kind: kind, detail: Self.detail(kind), count: 0)
        finding.independentDomain = independent
        finding.address = address
        finding.siteNumber = site.number
        finding.sponsorNumber = site.sponsor?.number
        finding.provider = provider
        finding.province = province
        let independentNumber = independent.map { number(ofIndependent: $0) } ?? -1
        let key = FindingKey(kind: kind, independent: independentNumber, address: address.map { .text($0) } ?? .none)
        if slots[key] == nil {
            slots[key] = entries.count
            entries.append(Entry(finding: finding, firstNanoseconds: .max))
        }
    }

    static func detail(_ kind: Finding.Kind) -> String {
        switch kind {
        case .unfiledSite: "served from a domestic address without a filing in force"
        case .cancelledFilingServed: "the filing (site, sponsor or access record) was cancelled; the site still answers"
        case .blacklisted: "the host, its sponsor or its address is on a blacklist"
        case .accessUnderReported: "served from an address its filing's access records do not list"
        case .accessOverReported: "an access record in the covered space never served its site"
        case .providerMismatch: "served from an address allocated to a provider other than the filed ones"
        case .emptyShell: "a filed site in the covered space never seen"
        case .ipUnreported: "a domestic address in use that no IP filing record covers"
        default: kind.chineseName
        }
    }
}
