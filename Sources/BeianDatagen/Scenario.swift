import BeianCore

/// The address space of a world as a geolocation database sees it: the province's operator
/// space and an unfiled Chinese block are domestic (CN), a few CDN and cloud blocks are
/// foreign.
struct GeoPlan {
    struct Entry {
        var block: RegistryWorld.Block
        var country: String
        var asn: Int
        var organisation: String
    }

    var entries: [Entry] = []
    /// Chinese space no IP filing covers (IP filing 未报 when a site is served from it).
    var unreported: [RegistryWorld.Block] = []
    /// Foreign space, where unfiled sites are not flagged.
    var foreign: [RegistryWorld.Block] = []
    /// Broadband and mobile users (clients), domestic.
    var clients: [RegistryWorld.Block] = []

    init(world: RegistryWorld) {
        let networks: [Int64: (Int, String)] = [
            10: (4134, "CHINANET-BACKBONE"), 11: (4837, "CHINA169-BACKBONE"), 12: (56041, "CMNET-ZHEJIANG-AP"),
        ]
        for source in world.sources {
            let (asn, name) = networks[source.unit] ?? (4134, "CHINANET-BACKBONE")
            entries.append(Entry(block: source.block, country: "CN", asn: asn, organisation: name))
        }
        for brought in world.selfBrought {
            entries.append(Entry(block: brought.block, country: "CN", asn: 137_718, organisation: "Self-brought space"))
        }
        let unreportedV4 = RegistryWorld.Block.v4(0x2460_0000, 16)  // 36.96.0.0/16
        let unreportedV6 = RegistryWorld.Block.v6(UInt128(0x240A_A000) << 96, 20)
        unreported = [unreportedV4, unreportedV6]
        for block in unreported { entries.append(Entry(block: block, country: "CN", asn: 4134, organisation: "CHINANET-ZJ")) }
        let clientV4 = RegistryWorld.Block.v4(0xB780_0000, 16)  // 183.128.0.0/16
        let clientV6 = RegistryWorld.Block.v6(UInt128(0x240E_0390) << 96, 32)
        clients = [clientV4, clientV6]
        for block in clients { entries.append(Entry(block: block, country: "CN", asn: 4134, organisation: "CHINANET-ZJ-BROADBAND")) }
        let abroad: [(RegistryWorld.Block, String, Int, String)] = [
            (.v4(0x6810_0000, 13), "US", 13335, "CLOUDFLARENET"),  // 104.16.0.0/13
            (.v4(0x9765_0000, 16), "US", 54113, "FASTLY"),  // 151.101.0.0/16
            (.v4(0x2BFC_0000, 16), "HK", 45102, "Alibaba (HK)"),  // 43.252.0.0/16
            (.v4(0x0DE0_0000, 14), "JP", 16509, "AMAZON-02"),  // 13.224.0.0/14
            (.v6(UInt128(0x2606_4700) << 96, 32), "US", 13335, "CLOUDFLARENET"),
            (.v6(UInt128(0x2A04_4E42) << 96, 32), "US", 54113, "FASTLY"),
        ]
        for (block, country, asn, organisation) in abroad {
            entries.append(Entry(block: block, country: country, asn: asn, organisation: organisation))
            foreign.append(block)
        }
    }

    func country(of address: RegistryWorld.Address) -> String? {
        // The most specific entry wins, as in an MMDB tree.
        entries.filter { $0.block.contains(address) }.min { $0.block.size < $1.block.size }?.country
    }
}

extension RegistryWorld.Block {
    func contains(_ address: RegistryWorld.Address) -> Bool {
        address.v6 == first.v6 && first.value <= address.value && address.value <= last.value
    }

    func contains(_ block: RegistryWorld.Block) -> Bool {
        contains(block.first) && contains(block.last)
    }

    /// The text form used in reports: a prefix when the block is one, else `first-last`.
    var text: String {
        if first == last { return first.text }
        let width = first.v6 ? 128 : 32
        let span = last.value - first.value
        if (span & (span &+ 1)) == 0, first.value & span == 0 {
            let length = width - (span == UInt128.max ? 128 : (span &+ 1).trailingZeroBitCount)
            return "\(first.text)/\(length)"
        }
        return "\(first.text)-\(last.text)"
    }
}

/// The traffic side of a world: who reaches which host at which address, how and when. Every
/// visit becomes packets in a capture, lines in logs, and observations in the truth.
struct Scenario {
    enum Service: String { case http, tls, quic, dns }

    /// The framing of a visit's packets.
    enum Link: String, CaseIterable {
        case ethernet, vlan, qinq, mpls, gtp, raw
    }

    struct Visit {
        var time: Int64
        var proto: Service
        /// The name sent (SNI, Host, DNS question); the ECH outer name for ECH hellos.
        var host: String
        /// Where the client connects: the site's server, a proxy, or (DNS) the resolver.
        var server: RegistryWorld.Address
        var port: Int
        var client: RegistryWorld.Address
        var clientPort: Int
        var link: Link
        /// 0: the access-link pcap; 1: the mobile-core pcapng.
        var capture: Int
        var serverBytes: Int
        // TLS and QUIC hellos.
        var sniFirst = true
        var grease = false
        var postQuantum = false
        var padding = false
        var ech = false
        var tls13 = true
        var quicSplit = false
        // HTTP.
        var hostPort: Int?
        var proxy = false
        var connect = false
        /// Through a proxy: the server the proxy reached (its log shows it).
        var origin: RegistryWorld.Address?
        var pipelined: String?
        // TCP behaviour.
        var retransmit = false
        var outOfOrder = false
        // DNS: the chain after the question, and the final addresses.
        var cnames: [String] = []
        var answers: [RegistryWorld.Address] = []
        var dnsOverTCP = false
        var dnsID: UInt16 = 0
    }

    var start: Int64
    var end: Int64
    var visits: [Visit] = []
    /// Address space the capture sees in full (for 多报 and empty shells).
    var coverage: [RegistryWorld.Block] = []
    /// The independent domain of every host the scenario uses, by construction.
    var independent: [String: String] = [:]
    /// The resolvers clients ask.
    var resolvers: [RegistryWorld.Address] = []
    /// HTTP proxies clients go through (their requests are in absolute form or CONNECT).
    var proxies: [RegistryWorld.Address] = []
}

extension String {
    /// Dots turned into dashes (a host folded into one label of a CDN name).
    var replacingDots: String { String(map { $0 == "." ? "-" : $0 }) }
}

/// How many of each planted kind a preset gets, and the traffic volume.
struct ScenarioPreset {
    var minutes: Int
    /// Visits per served site over the window.
    var visitsPerSite: ClosedRange<Int>
    /// Bytes the server sends after the handshake, per flow.
    var serverBytes: ClosedRange<Int>
    /// Share of sites outside the coverage that are seen at all.
    var servedOutside: Double
    var unfiledDomestic: Int
    var unfiledForeign: Int
    var unreported: Int

    static let sample = ScenarioPreset(
        minutes: 10, visitsPerSite: 1...3, serverBytes: 600...6_000, servedOutside: 0.25, unfiledDomestic: 12, unfiledForeign: 8,
        unreported: 4)
    static let province = ScenarioPreset(
        minutes: 60, visitsPerSite: 1...4, serverBytes: 2_000...40_000, servedOutside: 0.35, unfiledDomestic: 800, unfiledForeign: 500,
        unreported: 60)
    static let national = ScenarioPreset(
        minutes: 60, visitsPerSite: 1...3, serverBytes: 2_000...200_000, servedOutside: 0.05, unfiledDomestic: 20_000,
        unfiledForeign: 10_000, unreported: 800)
}

/// Plans the visits of a world. Choices are drawn from their own random stream, so the
/// registry of a seed stays the same whatever the traffic does.
struct ScenarioBuilder {
    let world: RegistryWorld
    let geo: GeoPlan
    let preset: ScenarioPreset
    var random: SeededRandom
    var scenario: Scenario
    private var clientCursor: UInt32 = 0
    private var portCursor = 0
    private var dnsID: UInt16 = 0
    private var unusedCursor: [Int: UInt128] = [:]

    /// 2026-03-01 23:55 China time: the window crosses midnight, so that a filing cancelled
    /// on 2026-03-02 is in force for the first observations and not for the last.
    static let startSeconds: Int64 = 1_772_380_500
    /// The site whose cancellation takes effect inside the window.
    static let midnightCancellation = "2026-03-02"

    init(world: RegistryWorld, geo: GeoPlan, preset: ScenarioPreset, seed: UInt64) {
        self.world = world
        self.geo = geo
        self.preset = preset
        random = SeededRandom(seed: seed ^ 0x7472_6166_6669_6321)
        let start = ScenarioBuilder.startSeconds * 1_000_000
        scenario = Scenario(start: start, end: start + Int64(preset.minutes) * 60_000_000)
    }

    // MARK: Addresses and names

    mutating func client(v6: Bool) -> RegistryWorld.Address {
        clientCursor &+= 1
        let block = geo.clients[v6 ? 1 : 0]
        let offset = UInt128(clientCursor % 60_000) + 2
        return RegistryWorld.Address(value: block.first.value + (v6 ? offset << 16 | UInt128(random.int(1...0xFFFF)) : offset), v6: v6)
    }

    mutating func clientPort() -> Int {
        portCursor += 1
        return 32_768 + (portCursor * 7919) % 28_000
    }

    /// An address of `block` that no access record lists (allocated, in use, unfiled).
    mutating func unusedAddress(in block: RegistryWorld.Block, key: Int) -> RegistryWorld.Address {
        let used = unusedCursor[key, default: 0]
        unusedCursor[key] = used + 1
        let span = min(block.size, block.first.v6 ? 1 << 32 : 16)
        // The top of a block: the registry hands out addresses from its bottom.
        return RegistryWorld.Address(value: block.last.value - 1 - used % max(1, span - 2), v6: block.first.v6)
    }

    mutating func foreignAddress(v6: Bool) -> RegistryWorld.Address {
        let blocks = geo.foreign.filter { $0.first.v6 == v6 }
        let block = random.pick(blocks)
        let offset = UInt128(random.next()) % min(block.size - 2, 1 << 24) + 1
        return RegistryWorld.Address(value: block.first.value + offset, v6: v6)
    }

    mutating func unreportedAddress(v6: Bool) -> RegistryWorld.Address {
        let block = geo.unreported[v6 ? 1 : 0]
        return RegistryWorld.Address(value: block.first.value + UInt128(random.int(2...60_000)), v6: v6)
    }

    mutating func unfiledName(_ k: Int) -> (host: String, independent: String) {
        let words = Vocabulary.latinWords
        let base = "\(random.pick(words))\(random.pick(words))\(k)"
        let suffix = random.pick(["com", "cn", "com.cn", "net", "top", "xyz", "vip"])
        let independent = "\(base).\(suffix)"
        return (random.chance(0.7) ? "www.\(independent)" : independent, independent)
    }

    // MARK: Visits

    /// Visits of `host` at `server` over the window: a mix of protocols and variants.
    mutating func visit(host: String, independent: String, server: RegistryWorld.Address, times: Int) {
        scenario.independent[host] = independent
        for _ in 0..<times {
            let roll = random.weighted([50, 22, 15, 13])
            let proto: Scenario.Service = [.tls, .http, .quic, .dns][roll]
            add(proto: proto, host: host, server: server)
        }
    }

    mutating func add(proto: Scenario.Service, host: String, server: RegistryWorld.Address) {
        let mobile = random.chance(0.3)
        let v6Client = server.v6
        var link: Scenario.Link
        if mobile {
            link = .gtp
        } else {
            link = [.ethernet, .ethernet, .vlan, .qinq, .mpls, .raw][random.int(0...5)]
        }
        let capture = link == .gtp || link == .raw ? 1 : 0
        let time = scenario.start + Int64(random.next() % UInt64(scenario.end - scenario.start - 2_000_000))
        var visit = Scenario.Visit(
            time: time, proto: proto, host: host, server: server, port: 443, client: client(v6: v6Client), clientPort: clientPort(),
            link: link, capture: capture,
            serverBytes: random.int(preset.serverBytes))
        switch proto {
        case .tls:
            visit.sniFirst = random.chance(0.6)
            visit.grease = random.chance(0.5)
            visit.postQuantum = random.chance(0.25)
            visit.padding = random.chance(0.3)
            visit.tls13 = random.chance(0.8)
            visit.retransmit = random.chance(0.08)
            visit.outOfOrder = visit.postQuantum && random.chance(0.3)
        case .quic:
            visit.quicSplit = random.chance(0.3)
            visit.grease = random.chance(0.5)
        case .http:
            visit.port = 80
            if random.chance(0.1) {
                visit.hostPort = 8080
                visit.port = 8080
            }
            visit.retransmit = random.chance(0.05)
            if random.chance(0.1) {
                // A second request on the same connection (a virtual host on the same server
                // when one shares the address; the same host otherwise).
                visit.pipelined = host
            }
        case .dns:
            visit.port = 53
            visit.answers = [server]
            visit.server = random.pick(scenario.resolvers.filter { $0.v6 == v6Client })
            visit.dnsOverTCP = random.chance(0.1)
            dnsID &+= 0x3B1D
            visit.dnsID = dnsID
            // CNAME chains: abroad, through a CDN's names; at home, `www.` to the bare domain
            // (every name of a chain is bound to the final addresses, so a chain into another
            // domain at home would report that domain too).
            if geo.country(of: server) != "CN" && random.chance(0.5) {
                visit.cnames = ["\(host.replacingDots).cdn.cloudflare.net"]
                if random.chance(0.5) { visit.cnames.append("edge\(random.int(1...40)).cloudflare.net") }
                for name in visit.cnames { scenario.independent[name] = "cloudflare.net" }
            } else if let independent = scenario.independent[host], independent != host, random.chance(0.3) {
                visit.cnames = [independent]
            }
        }
        scenario.visits.append(visit)
    }

    // MARK: The plan

    /// The plan, repeated `rounds` times in consecutive windows (for captures of any size).
    static func build(world: RegistryWorld, geo: GeoPlan, preset: ScenarioPreset, seed: UInt64, rounds: Int = 1) -> Scenario {
        var builder = ScenarioBuilder(world: world, geo: geo, preset: preset, seed: seed)
        builder.plan()
        builder.scenario.visits.sort { $0.time != $1.time ? $0.time < $1.time : $0.host < $1.host }
        guard rounds > 1 else { return builder.scenario }
        var scenario = builder.scenario
        let window = scenario.end - scenario.start
        let first = scenario.visits
        scenario.visits.reserveCapacity(first.count * rounds)
        for round in 1..<rounds {
            for visit in first {
                var again = visit
                again.time += Int64(round) * window
                again.dnsID &+= UInt16(truncatingIfNeeded: round)
                scenario.visits.append(again)
            }
        }
        scenario.end = scenario.start + Int64(rounds) * window
        return scenario
    }

    mutating func plan() {
        // Resolvers and proxies: operator space, listed nowhere as sites.
        scenario.resolvers = [
            RegistryWorld.Address(value: 0xCA65_AC23, v6: false),  // 202.101.172.35
            RegistryWorld.Address(value: UInt128(0x240E_0056_4000_0000) << 64 | 0x8000, v6: true),
        ]
        // The capture covers the customer space of the first two access providers.
        let providers = world.units.filter { $0.role == .accessProvider }.map(\.id)
        let covered = Set(providers.prefix(2))
        for allocation in world.allocations where allocation.mode == 2 && allocation.target.map(covered.contains) == true {
            scenario.coverage.append(allocation.block)
        }
        scenario.coverage.sort { $0.first < $1.first }
        let proxyBlock = world.allocations.first { $0.mode == 2 && $0.target == providers.last }?.block
        if let proxyBlock {
            scenario.proxies = [RegistryWorld.Address(value: proxyBlock.first.value + 0x3FE, v6: false)]
        }

        var accessesBySite: [Int: [RegistryWorld.Access]] = [:]
        for access in world.accesses { accessesBySite[access.site, default: []].append(access) }
        var customerBlocksByUnit: [Int64: [RegistryWorld.Block]] = [:]
        for allocation in world.allocations where allocation.mode == 1 && !allocation.block.first.v6 {
            customerBlocksByUnit[allocation.unit, default: []].append(allocation.block)
        }
        let providerIDs = Set(world.units.filter { $0.role == .accessProvider }.map(\.id))
        let cancelledSites = Set(world.cancellations.filter { $0.target == 1 }.map(\.recordID))
        let cancelledSponsors = Set(world.cancellations.filter { $0.target == 0 }.map(\.recordID))
        for (index, site) in world.sites.enumerated() {
            let accesses = accessesBySite[index] ?? []
            let inCoverage =
                !accesses.isEmpty
                && accesses.allSatisfy { access in
                    access.ranges.allSatisfy { range in scenario.coverage.contains { $0.contains(range) } }
                }
            let sponsorID = world.sponsors[site.sponsor].id
            let cancelled = cancelledSites.contains(site.id) || cancelledSponsors.contains(sponsorID)
            // Empty shells and over-reporting: some covered sites are never seen, some only at
            // one of two access records.
            if inCoverage && index % 13 == 4 { continue }
            guard inCoverage || cancelled || random.chance(preset.servedOutside) else { continue }
            var addresses = accesses.flatMap { $0.ranges.map(\.first) }
            if inCoverage && accesses.count > 1 && index % 3 == 0 { addresses = accesses[0].ranges.map(\.first) }
            if addresses.isEmpty { continue }
            let domain = site.domains[0]
            let independent = independentDomain(of: domain.ascii)
            let times = random.int(preset.visitsPerSite)
            for address in addresses {
                let host = random.chance(0.6) ? "www.\(domain.ascii)" : domain.ascii
                visit(host: host, independent: independent, server: address, times: times)
            }
            // Filed sub-domains of another sponsor's domain, at their own addresses.
            for extra in site.domains.dropFirst() where extra.ascii.hasPrefix("shop.") {
                visit(host: extra.ascii, independent: independentDomain(of: extra.ascii), server: addresses[0], times: 1)
            }
            // 少报: served at an unlisted address of the same provider; with another
            // provider's address too for some (接入商不符 as well).
            if index % 17 == 6, let access = accesses.first {
                if let block = customerBlocksByUnit[access.provider]?.first {
                    visit(host: "www.\(domain.ascii)", independent: independent, server: unusedAddress(in: block, key: index), times: 2)
                }
            }
            if index % 23 == 9, let access = accesses.first {
                let other = providerIDs.sorted().first { $0 != access.provider && customerBlocksByUnit[$0] != nil }
                if let other, let block = customerBlocksByUnit[other]?.first {
                    visit(host: "www.\(domain.ascii)", independent: independent, server: unusedAddress(in: block, key: -index), times: 1)
                }
            }
        }
        // Unfiled sites: in allocated, unlisted space (未备案), abroad (not flagged), and in
        // Chinese space no IP filing covers (未备案 and IP 未报).
        let customerBlocks = world.allocations.filter { $0.mode == 1 && !$0.block.first.v6 }
        for k in 0..<preset.unfiledDomestic where !customerBlocks.isEmpty {
            let name = unfiledName(k)
            let block = customerBlocks[(k * 7) % customerBlocks.count].block
            visit(
                host: name.host, independent: name.independent, server: unusedAddress(in: block, key: 1_000_000 + k),
                times: random.int(1...4))
        }
        for k in 0..<preset.unfiledForeign {
            let name = unfiledName(100_000 + k)
            visit(host: name.host, independent: name.independent, server: foreignAddress(v6: k % 4 == 3), times: random.int(1...3))
        }
        for k in 0..<preset.unreported {
            if k % 2 == 0, let site = world.sites.dropFirst(k).first {
                // A filed site that moved into unfiled Chinese space: IP 未报 (and 少报).
                let domain = site.domains[0]
                visit(
                    host: "www.\(domain.ascii)", independent: independentDomain(of: domain.ascii),
                    server: unreportedAddress(v6: k % 4 == 2), times: 1)
            } else {
                let name = unfiledName(200_000 + k)
                visit(host: name.host, independent: name.independent, server: unreportedAddress(v6: k % 4 == 3), times: 1)
            }
        }
        // Blacklisted sites and the illegal-access list, still served.
        for (k, entry) in world.siteBlacklist.enumerated() {
            let domain = entry.domains[0]
            let server =
                k % 2 == 0
                ? unusedAddress(in: customerBlocks[k % customerBlocks.count].block, key: 2_000_000 + k) : foreignAddress(v6: false)
            visit(host: "www.\(domain.ascii)", independent: domain.ascii, server: server, times: 1)
        }
        for entry in world.illegalAccess {
            visit(host: entry.domain.ascii, independent: entry.domain.ascii, server: entry.address, times: 1)
        }
        // ECH: the outer name is the client-facing provider's (abroad); proxies: absolute-form
        // requests and CONNECT.
        let echHosts = ["cloudflare-ech.com", "public.ech.example.net"]
        for k in 0..<max(2, preset.unfiledForeign / 4) {
            let host = echHosts[k % 2]
            scenario.independent[host] = k % 2 == 0 ? "cloudflare-ech.com" : "example.net"
            add(proto: .tls, host: host, server: foreignAddress(v6: k % 3 == 2))
            scenario.visits[scenario.visits.count - 1].ech = true
        }
        if let proxy = scenario.proxies.first {
            let served = scenario.visits.filter { $0.proto == .http && !$0.server.v6 }.prefix(max(2, preset.unfiledDomestic / 3))
            for (k, visit) in served.enumerated() {
                add(proto: .http, host: visit.host, server: proxy)
                scenario.visits[scenario.visits.count - 1].origin = visit.server
                scenario.visits[scenario.visits.count - 1].port = 3128
                scenario.visits[scenario.visits.count - 1].hostPort = nil
                scenario.visits[scenario.visits.count - 1].proxy = true
                scenario.visits[scenario.visits.count - 1].connect = k % 2 == 1
            }
        }
        // Virtual hosts: pipelined requests for two sites sharing one address.
        var byServer: [RegistryWorld.Address: [Int]] = [:]
        for (index, visit) in scenario.visits.enumerated() where visit.proto == .http && !visit.proxy {
            byServer[visit.server, default: []].append(index)
        }
        for (_, indices) in byServer.sorted(by: { $0.key < $1.key }) where indices.count > 1 {
            let hosts = Set(indices.map { scenario.visits[$0].host })
            if hosts.count > 1, let first = indices.first {
                scenario.visits[first].pipelined = hosts.sorted().first { $0 != scenario.visits[first].host }
            }
        }
    }

    /// Cancels, on 2026-03-02, a site seen both before and after that midnight: judged by
    /// the time of each observation, its first visits are fine and its last are not.
    static func plantMidnightCancellation(in world: inout RegistryWorld, scenario: Scenario) {
        let midnight = Judge.chinaMidnight(midnightCancellation)
        let cancelled = Set(world.cancellations.filter { $0.target < 2 }.map(\.recordID))
        var before: Set<String> = []
        var after: Set<String> = []
        for visit in scenario.visits where !visit.proxy {
            if visit.time < midnight - 1_000_000 {
                before.insert(visit.host)
            } else if visit.time > midnight + 1_000_000 {
                after.insert(visit.host)
            }
        }
        for site in world.sites where !cancelled.contains(site.id) && !cancelled.contains(world.sponsors[site.sponsor].id) {
            let hosts = site.domains.flatMap { [$0.ascii, "www." + $0.ascii] }
            if hosts.contains(where: before.contains) && hosts.contains(where: after.contains) {
                world.cancellations.append(.init(target: 1, recordID: site.id, date: midnightCancellation))
                return
            }
        }
    }

    /// The independent domain of a name the world made: its filed domains are registrable
    /// themselves, except the `shop.` sub-domains filed under another sponsor's domain.
    func independentDomain(of ascii: String) -> String {
        var name = Substring(ascii)
        if name.hasPrefix("www.") { name = name.dropFirst(4) }
        if name.hasPrefix("shop.") { name = name.dropFirst(5) }
        return String(name)
    }
}
