import BeianCore
import BeianIndex
import BeianScan
import BeianTestSupport
import Testing

/// The judge against the sample registry, with observations made by hand: each rule, the
/// time of the filings, aggregation.
@Suite struct JudgeTests {
    static let path: String = (try? buildIndex(try sampleRegistry()).path) ?? ""

    func observation(_ host: String, _ address: String, at time: Timestamp, proxy: Bool = false, packet: UInt64 = 1) throws -> Observation {
        Observation(
            nanoseconds: time.secondsSince1970 * 1_000_000_000, host: host, address: try #require(IPAddress(address)), port: 443,
            transport: .tcp, appProtocol: .tls, client: IPAddress("183.128.0.1"), proxy: proxy,
            source: .init(file: "test.pcap", position: .packet(packet)))
    }

    /// A filed site whose filing was cancelled, with a domain and an address of its access.
    func cancelledSite(_ index: RegistryIndex) -> (domain: String, address: IPAddress, cancelled: Timestamp)? {
        for i in 0..<index.siteCount {
            let site = index.site(i)
            guard let cancelled = site.cancelled, cancelled.secondsSince1970 > 0, let domain = site.domains.first?.name,
                let range = site.access.first(where: { $0.cancelled == nil })?.ranges.first
            else { continue }
            return (domain, range.first, cancelled)
        }
        return nil
    }

    @Test func aFilingIsJudgedAsItStoodAtTheObservationsTime() throws {
        let index = try RegistryIndex(path: Self.path)
        let (domain, address, cancelled) = try #require(cancelledSite(index))
        var before = Judge(index: index, geo: nil)
        before.judge(try observation(domain, address.description, at: Timestamp(secondsSince1970: cancelled.secondsSince1970 - 1)))
        #expect(!before.finish().contains { $0.kind == .cancelledFilingServed })
        var after = Judge(index: index, geo: nil)
        after.judge(try observation(domain, address.description, at: cancelled))
        #expect(after.finish().contains { $0.kind == .cancelledFilingServed })
    }

    /// Repeated sightings of a host on an address reuse its judgement only while the filings
    /// it depends on stand unchanged: one judge sees the pair on both sides of the
    /// cancellation, in either order.
    @Test func aRepeatedSightingIsJudgedAgainAcrossACancellation() throws {
        let index = try RegistryIndex(path: Self.path)
        let (domain, address, cancelled) = try #require(cancelledSite(index))
        let before = Timestamp(secondsSince1970: cancelled.secondsSince1970 - 10)
        let after = Timestamp(secondsSince1970: cancelled.secondsSince1970 + 10)
        for times in [[before, before, after, after], [after, before, after, before]] {
            var judge = Judge(index: index, geo: nil)
            for (n, time) in times.enumerated() {
                judge.judge(try observation(domain, address.description, at: time, packet: UInt64(n + 1)))
            }
            let served = judge.finish().filter { $0.kind == .cancelledFilingServed }
            #expect(served.count == 1)
            #expect(served.first?.count == 2)
            #expect(served.first?.firstSeen == after)
            #expect(judge.judged == 4)
        }
    }

    @Test func unfiledHostsInFiledSpaceAggregateWithTheirTimes() throws {
        let index = try RegistryIndex(path: Self.path)
        let (_, address, _) = try #require(cancelledSite(index))
        let t = try Timestamp.parse("2026-03-01 12:00:00")
        var judge = Judge(index: index, geo: nil)
        judge.judge(
            try observation(
                "www.no-such-site-at-all.cn", address.description, at: Timestamp(secondsSince1970: t.secondsSince1970 + 60), packet: 9))
        judge.judge(try observation("no-such-site-at-all.cn", address.description, at: t, packet: 3))
        let findings = judge.finish().filter { $0.kind == .unfiledSite }
        #expect(findings.count == 1)
        let finding = try #require(findings.first)
        #expect(finding.independentDomain == "no-such-site-at-all.cn")
        #expect(finding.host == "no-such-site-at-all.cn")  // the one seen first
        #expect(finding.count == 2)
        #expect(finding.firstSeen == t)
        #expect(finding.lastSeen?.secondsSince1970 == t.secondsSince1970 + 60)
        #expect(finding.evidence.map(\.location) == ["packet 3", "packet 9"])
        #expect(finding.provider != nil)
    }

    @Test func foreignAddressesAndProxiesAreNotJudged() throws {
        let index = try RegistryIndex(path: Self.path)
        let t = try Timestamp.parse("2026-03-01 12:00:00")
        var judge = Judge(index: index, geo: nil)
        // Outside the filed space and no geolocation to say CN: out of scope.
        judge.judge(try observation("foreign-unfiled.example.com", "8.8.8.8", at: t))
        let (_, address, _) = try #require(cancelledSite(index))
        judge.judge(try observation("via-proxy-unfiled.cn", address.description, at: t, proxy: true))
        #expect(judge.finish().isEmpty)
        #expect(judge.proxied == 1)
    }
}
