public import BeianCore
public import BeianIndex
import BeianRegistry
import Foundation

/// A deterministic generator for benchmark data.
public struct BenchRandom: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// National-scale synthetic registry content, made in memory (no file parsing): nested IP
/// allocations (operator sources → access providers → customers) and filed sites with
/// domains. Sizes default to the national scale.
public struct NationalWorld: Sendable {
    public var sites = 5_000_000
    public var domainsPerSite = 2
    public var v4Ranges = 1_000_000
    public var v6Ranges = 200_000
    public var seed: UInt64 = 42

    public init() {}

    /// IPv4 prefixes, nested like real allocations: /12–/16 sources, /20–/24 provider blocks,
    /// /26–/32 customer blocks.
    public func v4Prefixes() -> [IPPrefix] {
        var random = BenchRandom(seed: seed)
        var prefixes: [IPPrefix] = []
        prefixes.reserveCapacity(v4Ranges)
        var sources: [IPPrefix] = []
        var providers: [IPPrefix] = []
        while prefixes.count < v4Ranges {
            let roll = random.next() % 100
            let prefix: IPPrefix
            if sources.count < 400 && (sources.isEmpty || roll < 1) {
                // Sources in the 1.0.0.0–223.255.255.255 range.
                let length = 12 + Int(random.next() % 5)
                let address = IPAddress.v4(IPv4Address(UInt32(truncatingIfNeeded: random.next() % 0xDF00_0000) + 0x0100_0000))
                prefix = IPPrefix(containing: address, length: length)
                sources.append(prefix)
            } else if providers.isEmpty || roll < 8 {
                let parent = sources[Int(random.next() % UInt64(sources.count))]
                let length = 20 + Int(random.next() % 5)
                prefix = sub(parent, length: length, &random)
                providers.append(prefix)
            } else {
                let parent = providers[Int(random.next() % UInt64(providers.count))]
                let length = 26 + Int(random.next() % 7)
                prefix = sub(parent, length: max(length, parent.length), &random)
            }
            prefixes.append(prefix)
        }
        return prefixes
    }

    /// IPv6 prefixes: /28–/32 sources, /40–/48 provider blocks, /56–/64 and a few /128.
    public func v6Prefixes() -> [IPPrefix] {
        var random = BenchRandom(seed: seed &+ 1)
        var prefixes: [IPPrefix] = []
        var sources: [IPPrefix] = []
        var providers: [IPPrefix] = []
        while prefixes.count < v6Ranges {
            let roll = random.next() % 100
            let prefix: IPPrefix
            if sources.count < 200 && (sources.isEmpty || roll < 1) {
                let high = UInt128(0x2400 + random.next() % 0x0C00) << 112 | UInt128(random.next() & 0xFFFF_FFFF) << 80
                prefix = IPPrefix(containing: .v6(IPv6Address(high)), length: 28 + Int(random.next() % 5))
                sources.append(prefix)
            } else if providers.isEmpty || roll < 8 {
                prefix = sub(sources[Int(random.next() % UInt64(sources.count))], length: 40 + Int(random.next() % 9), &random)
                providers.append(prefix)
            } else {
                let parent = providers[Int(random.next() % UInt64(providers.count))]
                prefix = sub(parent, length: random.next() % 20 == 0 ? 128 : 56 + Int(random.next() % 9), &random)
            }
            prefixes.append(prefix)
        }
        return prefixes
    }

    func sub(_ parent: IPPrefix, length: Int, _ random: inout BenchRandom) -> IPPrefix {
        let width = parent.family.bitWidth
        let length = max(length, parent.length)
        let free = width - parent.length
        let offset =
            free == 0 ? 0 : (UInt128(random.next()) << 64 | UInt128(random.next())) & IPPrefix.hostMask(parent.family, parent.length)
        _ = free
        return IPPrefix(containing: IPAddress(family: parent.family, bits: parent.address.bits | offset), length: length)
    }

    /// The filed domain of site `site`, number `k`.
    public func domain(site: Int, k: Int) -> String {
        let suffixes = ["com", "cn", "com.cn", "net", "net.cn", "org.cn", "xn--fiqs8s", "zj.cn", "gov.cn"]
        return "s\(site)d\(k).\(suffixes[(site &* 7 &+ k) % suffixes.count])"
    }

    /// Feeds everything to an index builder: units, sources, allocations, sponsors, sites and
    /// access records.
    public func feed(_ builder: IndexBuilder) throws {
        var unit = ReportingUnit(id: 1, name: "运营商")
        unit.licence = "A2.B1-20090001"
        builder.add(.reportingUnit(unit))
        var id: Int64 = 0
        for (family, prefixes) in [(IPAddress.Family.v4, v4Prefixes()), (.v6, v6Prefixes())] {
            _ = family
            for prefix in prefixes {
                id += 1
                var allocation = IPAllocation(
                    id: id, unitID: 1, range: prefix.range, mode: prefix.length >= 26 ? .allocatedAndUsed : .reallocated)
                allocation.userName = "用户\(id % 1000)"
                builder.add(.ipAllocation(allocation))
            }
        }
        let sponsorCount = sites * 4 / 5
        for s in 0..<sponsorCount {
            let sponsor = Sponsor(
                id: Int64(s + 1), number: FilingNumber(kind: .icpFiling, province: Province.all[s % 31], serial: String(10_000_000 + s)),
                name: "主办者\(s)")
            builder.add(.sponsor(sponsor))
        }
        for s in 0..<sites {
            let sponsor = s % sponsorCount
            let number = FilingNumber(
                kind: .icpFiling, province: Province.all[sponsor % 31], serial: String(10_000_000 + sponsor),
                siteIndex: s / sponsorCount + 1)
            let domains = (0..<domainsPerSite).map { DomainName(uncheckedASCII: domain(site: s, k: $0)) }
            builder.add(.site(Site(id: Int64(s + 1), sponsorID: Int64(sponsor + 1), number: number, names: ["站点\(s)"], domains: domains)))
            let address = IPAddress.v4(IPv4Address(UInt32(truncatingIfNeeded: (s &* 2_654_435_761) % 0xDF00_0000) + 0x0100_0000))
            builder.add(.access(AccessRecord(id: Int64(s + 1), siteID: Int64(s + 1), providerID: 1, ranges: [IPRange(address)])))
        }
    }
}
