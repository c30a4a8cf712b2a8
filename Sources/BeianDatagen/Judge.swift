import BeianCore

/// One thing the traffic or a log shows: a host reached at an address, when, how, and where
/// in which file.
struct Observation {
    var time: Int64
    var host: String
    var address: RegistryWorld.Address
    var port: Int
    var transport: String
    var proto: Scenario.Service
    var client: RegistryWorld.Address
    var ech = false
    var proxy = false
    /// The file (relative to the world's directory) and the packet number or line in it.
    var file: String
    var packet: Int?
    var line: Int?
}

/// A finding the scanner must report, as the truth states it.
struct TruthFinding {
    var kind: String
    var host: String?
    var independentDomain: String?
    var address: String?
    var sponsorNumber: String?
    var siteNumber: String?
    var provider: RegistryWorld.Unit?
    var operatorUnit: RegistryWorld.Unit?
    var province: Province?
    var firstSeen: Int64?
    var lastSeen: Int64?
    var count: Int

    /// What findings are matched by when scoring.
    var key: String { "\(kind)|\(independentDomain ?? "")|\(address ?? "")" }
}

/// The reference judge: the rules of docs/findings.md applied, by brute force, to the world's own records
/// (not to the scanner's index) and to the observations the writers recorded. The rules are
/// spelled out in Datasets/README.md ("Ground truth").
struct Judge {
    let world: RegistryWorld
    let geo: GeoPlan
    let scenario: Scenario
    private var filedNames: [String: [Int]] = [:]
    private var independentSites: [String: [Int]] = [:]
    private var accessesBySite: [Int: [Int]] = [:]
    private var siteCancelled: [Int64: Int64] = [:]
    private var sponsorCancelled: [Int64: Int64] = [:]
    private var accessCancelled: [Int64: Int64] = [:]
    private var blacklistedDomains: Set<String> = []
    private var blacklistedSponsorNames: Set<String> = []
    private let units: [Int64: RegistryWorld.Unit]

    init(world: RegistryWorld, geo: GeoPlan, scenario: Scenario) {
        self.world = world
        self.geo = geo
        self.scenario = scenario
        for (index, site) in world.sites.enumerated() {
            for domain in site.domains {
                filedNames[domain.ascii, default: []].append(index)
                let independent = scenario.independent[domain.ascii] ?? Judge.registrable(domain.ascii)
                independentSites[independent, default: []].append(index)
            }
        }
        for (index, access) in world.accesses.enumerated() { accessesBySite[access.site, default: []].append(index) }
        for cancellation in world.cancellations {
            let time = Judge.chinaMidnight(cancellation.date)
            switch cancellation.target {
            case 0: sponsorCancelled[cancellation.recordID] = min(sponsorCancelled[cancellation.recordID] ?? .max, time)
            case 1: siteCancelled[cancellation.recordID] = min(siteCancelled[cancellation.recordID] ?? .max, time)
            default: accessCancelled[cancellation.recordID] = min(accessCancelled[cancellation.recordID] ?? .max, time)
            }
        }
        for entry in world.siteBlacklist { for domain in entry.domains { blacklistedDomains.insert(domain.ascii) } }
        for entry in world.sponsorBlacklist { blacklistedSponsorNames.insert(entry.name) }
        var units: [Int64: RegistryWorld.Unit] = [:]
        for unit in world.units { units[unit.id] = unit }
        self.units = units
    }

    /// The world's filed domains are registrable except `shop.` sub-domains.
    static func registrable(_ ascii: String) -> String {
        ascii.hasPrefix("shop.") ? String(ascii.dropFirst(5)) : ascii
    }

    /// Microseconds since 1970 of 00:00 China time on `date` (`YYYY-MM-DD`).
    static func chinaMidnight(_ date: String) -> Int64 {
        let parts = date.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return .max }
        let days = Int64(Timestamp.daysFromCivil(year: parts[0], month: parts[1], day: parts[2]))
        return (days * 86_400 - 8 * 3_600) * 1_000_000
    }

    // MARK: Records

    func isActive(site index: Int, at time: Int64) -> Bool {
        let site = world.sites[index]
        if let cancelled = siteCancelled[site.id], cancelled <= time { return false }
        if let cancelled = sponsorCancelled[world.sponsors[site.sponsor].id], cancelled <= time { return false }
        return true
    }

    func isActive(access index: Int, at time: Int64) -> Bool {
        guard let cancelled = accessCancelled[world.accesses[index].id] else { return true }
        return cancelled > time
    }

    /// The sites covering `host`: the longest filed name among it and its parents down to its
    /// independent domain, else the sites with a filed name under that independent domain.
    func sites(for host: String, independent: String) -> [Int] {
        var name = Substring(host)
        while true {
            if let sites = filedNames[String(name)] { return sites }
            if name == independent { break }
            guard let dot = name.firstIndex(of: ".") else { break }
            name = name[name.index(after: dot)...]
        }
        return independentSites[independent] ?? []
    }

    /// IP filing records covering `address`, most specific first.
    func chain(_ address: RegistryWorld.Address) -> [(
        block: RegistryWorld.Block, unit: Int64, target: Int64?, kind: Int, province: Province?
    )] {
        var records: [(block: RegistryWorld.Block, unit: Int64, target: Int64?, kind: Int, province: Province?)] = []
        for source in world.sources where source.block.contains(address) { records.append((source.block, source.unit, nil, 0, nil)) }
        for allocation in world.allocations where allocation.block.contains(address) {
            records.append((allocation.block, allocation.unit, allocation.target, 1, allocation.province))
        }
        for brought in world.selfBrought where brought.block.contains(address) {
            records.append((brought.block, brought.unit, nil, 2, brought.province))
        }
        return records.sorted { $0.block.size != $1.block.size ? $0.block.size < $1.block.size : $0.kind > $1.kind }
    }

    /// The access provider answerable for `address` (the nearest licensed unit up its chain),
    /// its operator (the holder of the source block), its province.
    func routing(_ address: RegistryWorld.Address) -> (
        provider: RegistryWorld.Unit?, operatorUnit: RegistryWorld.Unit?, province: Province?
    ) {
        let records = chain(address)
        let provider = records.filter { $0.kind != 0 }.lazy.compactMap { units[$0.unit] }.first { $0.licence != nil }
        let operatorUnit = records.last { $0.kind == 0 }.flatMap { units[$0.unit] }
        return (provider, operatorUnit, records.first { $0.province != nil }?.province)
    }

    // MARK: Judging

    /// The findings of a scan of `observations` (one input set), in a stable order. `coverage`
    /// is the address space the input declares it sees in full (none: no 多报 or 空壳).
    func findings(_ observations: [Observation], coverage: [RegistryWorld.Block]) -> [TruthFinding] {
        var found: [String: TruthFinding] = [:]
        var order: [String] = []
        func report(
            _ kind: String, _ observation: Observation?, independent: String?, address: String?, site: Int? = nil,
            routing: (provider: RegistryWorld.Unit?, operatorUnit: RegistryWorld.Unit?, province: Province?)
        ) {
            var finding = TruthFinding(
                kind: kind, host: observation?.host, independentDomain: independent, address: address, provider: routing.provider,
                operatorUnit: routing.operatorUnit, province: routing.province, count: 0)
            if let site {
                finding.siteNumber = siteNumber(site)
                finding.sponsorNumber = world.sponsors[world.sites[site].sponsor].number
            }
            let key = finding.key
            if found[key] == nil {
                found[key] = finding
                order.append(key)
            }
            if let observation, var current = found[key] {
                current.count += 1
                current.firstSeen = min(current.firstSeen ?? .max, observation.time)
                current.lastSeen = max(current.lastSeen ?? .min, observation.time)
                found[key] = current
            }
        }
        var seenSites: Set<Int> = []
        var seenAccess: Set<Int> = []
        // Chains and routing by address, computed once per address.
        var chains: [RegistryWorld.Address: [(block: RegistryWorld.Block, unit: Int64, target: Int64?, kind: Int, province: Province?)]] =
            [:]
        var routes: [RegistryWorld.Address: (provider: RegistryWorld.Unit?, operatorUnit: RegistryWorld.Unit?, province: Province?)] = [:]
        for observation in observations.sorted(by: { $0.time < $1.time }) where !observation.proxy {
            let host = observation.host
            let address = observation.address
            let time = observation.time
            let independent = scenario.independent[host] ?? host
            if chains[address] == nil {
                chains[address] = chain(address)
                routes[address] = routing(address)
            }
            let records = chains[address] ?? []
            guard let route = routes[address] else { continue }
            // Blacklists apply wherever the site is served.
            let listedDomain = blacklistedDomains.contains { host == $0 || host.hasSuffix("." + $0) }
            let illegal = world.illegalAccess.contains {
                host == $0.domain.ascii || host.hasSuffix("." + $0.domain.ascii) || $0.address == address
            }
            if listedDomain || illegal {
                report("blacklisted", observation, independent: independent, address: address.text, routing: route)
            }
            // Domestic scope: filed space, or Chinese by geolocation.
            guard !records.isEmpty || geo.country(of: address) == "CN" else { continue }
            if records.isEmpty { report("ip-unreported", observation, independent: nil, address: address.text, routing: route) }
            let sites = sites(for: host, independent: independent)
            if sites.isEmpty {
                report("unfiled-site", observation, independent: independent, address: address.text, routing: route)
                continue
            }
            let active = sites.filter { isActive(site: $0, at: time) }
            guard let site = active.first else {
                report(
                    "cancelled-filing-served", observation, independent: independent, address: address.text, site: sites[0], routing: route)
                continue
            }
            seenSites.formUnion(active)
            if active.contains(where: { blacklistedSponsorNames.contains(world.sponsors[world.sites[$0].sponsor].name) }) {
                report("blacklisted", observation, independent: independent, address: address.text, site: site, routing: route)
            }
            let accesses = active.flatMap { accessesBySite[$0] ?? [] }
            let live = accesses.filter { isActive(access: $0, at: time) }
            let listing = live.filter { world.accesses[$0].ranges.contains { $0.contains(address) } }
            seenAccess.formUnion(listing)
            if listing.isEmpty {
                let cancelledListing = accesses.contains {
                    !isActive(access: $0, at: time) && world.accesses[$0].ranges.contains { $0.contains(address) }
                }
                report(
                    cancelledListing ? "cancelled-filing-served" : "access-under-reported", observation, independent: independent,
                    address: address.text, site: site, routing: route)
            }
            let providers = Set(live.map { world.accesses[$0].provider })
            if !records.isEmpty && !providers.isEmpty {
                var chainUnits = Set(records.map(\.unit))
                chainUnits.formUnion(records.compactMap(\.target))
                if providers.isDisjoint(with: chainUnits) {
                    report("provider-mismatch", observation, independent: independent, address: address.text, site: site, routing: route)
                }
            }
        }
        // What the covered space should have shown: sites never seen (空壳), access records
        // whose addresses never served their site (多报).
        let end = scenario.end
        for (index, site) in world.sites.enumerated() where isActive(site: index, at: end) {
            let live = (accessesBySite[index] ?? []).filter { isActive(access: $0, at: end) }
            let covered = live.filter { access in
                world.accesses[access].ranges.allSatisfy { range in coverage.contains { $0.contains(range) } }
            }
            guard !covered.isEmpty else { continue }
            let independent = scenario.independent[site.domains[0].ascii] ?? Judge.registrable(site.domains[0].ascii)
            let provider = units[world.accesses[covered[0]].provider]
            let province = routing(world.accesses[covered[0]].ranges[0].first).province
            if !seenSites.contains(index) {
                if covered.count == live.count {
                    report("empty-shell", nil, independent: independent, address: nil, site: index, routing: (provider, nil, province))
                }
                continue
            }
            for access in covered where !seenAccess.contains(access) {
                let ranges = world.accesses[access].ranges.map(\.text).joined(separator: ",")
                report(
                    "access-over-reported", nil, independent: independent, address: ranges, site: index,
                    routing: (units[world.accesses[access].provider], nil, province))
            }
        }
        return order.compactMap { found[$0] }.sorted { $0.key < $1.key }
    }

    func siteNumber(_ index: Int) -> String {
        let site = world.sites[index]
        let sponsor = world.sponsors[site.sponsor]
        return "\(sponsor.province.abbreviation)ICP备\(sponsor.serial)号-\(site.index)"
    }
}
