import BeianCore
import BeianTestSupport
import Testing

@testable import BeianIndex

/// Builds a table from ranges and looks addresses up the way the index does.
struct TableUnderTest {
    let chains: [[UInt32]]
    let build: AddressTableBuild
    let pairs: [UInt64]
    let samples: [UInt64]

    init(ranges: [IPRange], precedes: (UInt32, UInt32) -> Bool, wide: Bool? = nil) {
        var builder = IntervalBuilder()
        let numbered = ranges.enumerated().map { ($1, UInt32($0)) }
        let v4 = builder.intervals(family: .v4, ranges: numbered, precedes: precedes)
        let v6 = builder.intervals(family: .v6, ranges: numbered, precedes: precedes)
        build = AddressTableBuild(v4: v4, v6: v6, wide: wide)
        chains = builder.chains
        let chainList = builder.chains
        self.pairs = build.v4Pairs { $0 == noValue ? noValue : chainList[Int($0)].first ?? noValue }
        samples = build.v6Samples
    }

    func chain(_ address: IPAddress) -> [UInt32] {
        build.v4Buckets.withUnsafeBufferPointer { b4 in
            pairs.withUnsafeBufferPointer { s4 in
                build.v4Values.withUnsafeBufferPointer { v4 in
                    build.v6Buckets.withUnsafeBufferPointer { b6 in
                        build.v6StartsHigh.withUnsafeBufferPointer { h6 in
                            build.v6StartsLow.withUnsafeBufferPointer { l6 in
                                build.v6Values.withUnsafeBufferPointer { v6 in
                                    samples.withUnsafeBufferPointer { s6 in
                                        let table = AddressTable(
                                            v4KeyBits: build.v4KeyBits, v4Buckets: b4, v4Pairs: s4, v4Values: v4, v6Buckets: b6,
                                            v6StartsHigh: h6, v6StartsLow: l6,
                                            v6Values: v6, v6Samples: s6)
                                        let value = table.value(address)
                                        let chain = value == noValue ? [] : chains[Int(value)]
                                        // The paired payload is the chain's first record.
                                        if case .v4(let a) = address {
                                            precondition(
                                                table.payload(v4: a.value) == (chain.first ?? noValue), "payload and chain disagree")
                                        }
                                        return chain
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

@Suite struct AddressTableTests {
    /// Most specific first: smaller ranges before larger, then later records first.
    static func precedes(_ ranges: [IPRange]) -> (UInt32, UInt32) -> Bool {
        { a, b in
            let x = ranges[Int(a)].spanMinusOne
            let y = ranges[Int(b)].spanMinusOne
            return x != y ? x < y : a > b
        }
    }

    /// The chain by brute force: every range that contains the address, ordered the same way.
    static func bruteForce(_ ranges: [IPRange], _ address: IPAddress) -> [UInt32] {
        ranges.indices.filter { ranges[$0].contains(address) }.map(UInt32.init).sorted(by: precedes(ranges))
    }

    /// Random nested, adjacent and overlapping ranges of one family.
    static func randomRanges(_ family: IPAddress.Family, count: Int, seed: UInt64) -> [IPRange] {
        var random = TestRandom(state: seed)
        let width = family.bitWidth
        var ranges: [IPRange] = []
        func address(_ bits: UInt128) -> IPAddress { IPAddress(family: family, bits: bits & family.allOnes) }
        // A few fixed extremes: the whole space, single addresses at both ends.
        ranges.append(IPPrefix(containing: address(0), length: 0).range)
        ranges.append(IPRange(address(0)))
        ranges.append(IPRange(address(family.allOnes)))
        for _ in 0..<count {
            let base = UInt128(random.next()) << 64 | UInt128(random.next())
            switch random.next() % 4 {
            case 0:
                // A prefix, from /1 to a host route.
                let length = Int(random.next() % UInt64(width)) + 1
                ranges.append(IPPrefix(containing: address(base), length: length).range)
            case 1:
                // Nested inside an earlier range.
                let parent = ranges[Int(random.next() % UInt64(ranges.count))]
                let span = parent.spanMinusOne
                let offset = span == 0 ? 0 : UInt128(random.next()) % span
                let first = parent.first.bits + offset
                let length = span - offset == 0 ? 0 : UInt128(random.next()) % (span - offset + 1)
                ranges.append(try! IPRange(first: address(first), last: address(first + length)))
            case 2:
                // Adjacent to an earlier range (just after it), when there is room.
                let before = ranges[Int(random.next() % UInt64(ranges.count))]
                guard before.last.bits < family.allOnes else { continue }
                let first = before.last.bits + 1
                let room = family.allOnes - first
                let length = UInt128(random.next() % 4096) % (room + 1)
                ranges.append(try! IPRange(first: address(first), last: address(first + length)))
            default:
                // Overlapping an earlier range's end.
                let other = ranges[Int(random.next() % UInt64(ranges.count))]
                let first = other.last.bits - (other.spanMinusOne / 2)
                let room = family.allOnes - first
                let (sum, overflow) = other.spanMinusOne.addingReportingOverflow(UInt128(random.next() % 1000))
                let length = overflow ? room : min(room, sum)
                ranges.append(try! IPRange(first: address(first), last: address(first + length)))
            }
        }
        return ranges
    }

    @Test(arguments: [
        (IPAddress.Family.v4, UInt64(1), false), (.v4, 2, false), (.v4, 3, true), (.v4, 7, true), (.v6, 4, false), (.v6, 5, false),
        (.v6, 6, false),
    ])
    func matchesBruteForce(family: IPAddress.Family, seed: UInt64, wide: Bool) {
        let ranges = Self.randomRanges(family, count: 300, seed: seed)
        let table = TableUnderTest(ranges: ranges, precedes: Self.precedes(ranges), wide: wide)
        var probes: [IPAddress] = []
        for range in ranges {
            probes.append(range.first)
            probes.append(range.last)
            if range.first.bits > 0 { probes.append(IPAddress(family: family, bits: range.first.bits - 1)) }
            if range.last.bits < family.allOnes { probes.append(IPAddress(family: family, bits: range.last.bits + 1)) }
        }
        var random = TestRandom(state: seed * 31)
        for _ in 0..<2000 {
            probes.append(IPAddress(family: family, bits: (UInt128(random.next()) << 64 | UInt128(random.next())) & family.allOnes))
        }
        var mismatches = 0
        for probe in probes where table.chain(probe) != Self.bruteForce(ranges, probe) {
            mismatches += 1
            if mismatches <= 3 { Issue.record("\(probe): table \(table.chain(probe)), brute force \(Self.bruteForce(ranges, probe))") }
        }
        #expect(mismatches == 0)
    }

    /// IPv6 buckets of thousands of intervals (searched through the samples), with runs of
    /// host routes that share their high half across sample boundaries.
    @Test(arguments: [UInt64(8), 9])
    func denseIPv6BucketsMatchBruteForce(seed: UInt64) throws {
        var random = TestRandom(state: seed)
        var ranges: [IPRange] = [try IPPrefix.parse("2400::/12").range]
        let base = UInt128(0x2408) << 112
        for _ in 0..<1500 {
            let bits = base | (UInt128(random.next() & 0xFFFF_FFFF) << 64) | UInt128(random.next())
            let length = [32, 40, 48, 56, 64, 64, 96, 128, 128][Int(random.next() % 9)]
            ranges.append(IPPrefix(containing: .v6(IPv6Address(bits)), length: length).range)
        }
        // 60 host routes in one /64: equal high halves across several samples.
        let shared = base | (UInt128(0x1234_5678) << 64)
        for k in 0..<60 { ranges.append(IPRange(.v6(IPv6Address(shared | UInt128(k * 7 + 1))))) }
        let table = TableUnderTest(ranges: ranges, precedes: Self.precedes(ranges))
        #expect(table.build.v6Values.count > 2000)
        var probes: [IPAddress] = []
        for range in ranges {
            probes += [range.first, range.last, IPAddress(family: .v6, bits: range.first.bits - 1)]
            if range.last.bits < IPAddress.Family.v6.allOnes { probes.append(IPAddress(family: .v6, bits: range.last.bits + 1)) }
        }
        for _ in 0..<2000 { probes.append(.v6(IPv6Address(base | UInt128(random.next()) << 48 | UInt128(random.next())))) }
        var mismatches = 0
        for probe in probes where table.chain(probe) != Self.bruteForce(ranges, probe) {
            mismatches += 1
            if mismatches <= 3 { Issue.record("\(probe): table \(table.chain(probe)), brute force \(Self.bruteForce(ranges, probe))") }
        }
        #expect(mismatches == 0)
    }

    @Test func extremesAndEmptyTables() throws {
        let whole = try IPPrefix.parse("0.0.0.0/0").range
        let host = try IPPrefix.parse("255.255.255.255/32").range
        let v6whole = try IPPrefix.parse("::/0").range
        let v6host = try IPPrefix.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128").range
        let ranges = [whole, host, v6whole, v6host]
        let table = TableUnderTest(ranges: ranges, precedes: Self.precedes(ranges))
        #expect(table.chain(try IPAddress.parse("255.255.255.255")) == [1, 0])
        #expect(table.chain(try IPAddress.parse("0.0.0.0")) == [0])
        #expect(table.chain(try IPAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) == [3, 2])
        #expect(table.chain(try IPAddress.parse("::")) == [2])
        let empty = TableUnderTest(ranges: [], precedes: { $0 < $1 })
        #expect(empty.chain(try IPAddress.parse("1.2.3.4")).isEmpty)
        #expect(empty.chain(try IPAddress.parse("2001:db8::1")).isEmpty)
    }

    @Test func xxhashMatchesReferenceVectors() {
        // Reference values of XXH64 with seed 0 (from the xxHash test suite).
        #expect(XXHash64.hash(UnsafeRawBufferPointer(start: nil, count: 0)) == 0xEF46_DB37_51D8_E999)
        let abc = Array("abc".utf8)
        #expect(abc.withUnsafeBytes { XXHash64.hash($0) } == 0x44BC_2CF5_AD77_0999)
        let long = Array("Nobody inspects the spammish repetition".utf8)
        #expect(long.withUnsafeBytes { XXHash64.hash($0) } == 0xFBCE_A83C_8A37_8BF1)
    }
}

@Suite struct BatchLookupTests {
    @Test func batchesAgreeWithSingleLookups() throws {
        let index = try RegistryIndex(path: SnapshotTests.built.path)
        var random = TestRandom(state: 5)
        var addresses = (0..<5000).map { _ in UInt32(truncatingIfNeeded: random.next()) }
        // Plus addresses inside the filed space.
        for link in index.allIPRecords where link.range.family == .v4 {
            addresses.append(UInt32(truncatingIfNeeded: link.range.first.bits))
            addresses.append(UInt32(truncatingIfNeeded: link.range.last.bits))
        }
        var output = [UInt32](repeating: 0, count: addresses.count)
        addresses.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { index.mostSpecificAllocations(v4: input, into: $0) }
        }
        for (address, value) in zip(addresses, output) {
            #expect(value == index.mostSpecificAllocation(v4: address))
            #expect(value == (index.allocationChain(.v4(IPv4Address(address))).first ?? UInt32.max))
        }
        #expect(output.contains { $0 != UInt32.max })
        // IPv6 the same way.
        var v6: [UInt128] = (0..<3000).map { _ in UInt128(random.next()) << 64 | UInt128(random.next()) }
        for link in index.allIPRecords where link.range.family == .v6 { v6 += [link.range.first.bits, link.range.last.bits] }
        var output6 = [UInt32](repeating: 0, count: v6.count)
        v6.withUnsafeBufferPointer { input in
            output6.withUnsafeMutableBufferPointer { index.mostSpecificAllocations(v6: input, into: $0) }
        }
        for (address, value) in zip(v6, output6) {
            #expect(value == (index.allocationChain(.v6(IPv6Address(address))).first ?? UInt32.max))
        }
        #expect(output6.contains { $0 != UInt32.max })
    }
}

/// `chainFacts` reads from the rows what judging once worked out from the whole chain's
/// records: both agree at every boundary of the sample's filed space and at random addresses.
@Suite struct ChainFactsTests {
    @Test func chainFactsAgreeWithTheRecords() throws {
        let index = try RegistryIndex(path: SnapshotTests.built.path)
        var random = TestRandom(state: 9)
        var addresses = (0..<3000).map { _ in IPAddress.v4(IPv4Address(UInt32(truncatingIfNeeded: random.next()))) }
        for link in index.allIPRecords {
            addresses += [link.range.first, link.range.last]
        }
        #expect(addresses.count > 3000)
        for address in addresses {
            let links = index.allocationLinks(address)
            let facts = index.chainFacts(address)
            #expect(facts.filed == !links.isEmpty)
            #expect(facts.provider?.id == links.accessProvider?.id)
            #expect(facts.operatorUnit?.id == links.last { $0.kind == .source }?.unit?.id)
            #expect(facts.province == links.first { $0.province != nil }?.province)
            #expect(facts.units == Set(links.map(\.unitID)).union(links.compactMap(\.targetID)))
        }
    }
}
