import BeianCore
import BeianRegistry
import BeianTestSupport
import Foundation
import Testing

@testable import BeianIndex

@Suite struct SampleLookupTests {
    static let built: (path: String, records: [RegistryRecord]) = (try? buildIndex(try sampleRegistry())) ?? ("", [])
    static let now = try! Timestamp.parse("2026-11-23")

    var index: RegistryIndex { get throws { try RegistryIndex(path: Self.built.path) } }

    func records<T>(_ pick: (RegistryRecord) -> T?) -> [T] { Self.built.records.compactMap(pick) }

    @Test func everyFiledDomainFindsItsSite() throws {
        let index = try index
        let sites = records { if case .site(let s) = $0 { s } else { nil } }
        #expect(sites.count == 449)
        for site in sites {
            for domain in site.domains {
                let answer = index.filedSites(forHost: domain)
                #expect(answer.match == .filedName)
                #expect(answer.matchedName == domain.ascii)
                #expect(answer.sites.contains { index.site(Int($0)).id == site.id }, "\(domain) → site \(site.id)")
                // A name below a filed domain resolves to the same filing, unless filed itself.
                let below = try DomainName("www." + domain.ascii)
                if !sites.contains(where: { $0.domains.contains(below) }) {
                    #expect(index.filedSites(forHost: below).sites.contains { index.site(Int($0)).id == site.id })
                }
            }
        }
    }

    /// The row-only status check agrees with the full record at times before, between and
    /// after the cancellations of the sample.
    @Test func siteStatusFromTheRowAlone() throws {
        let index = try index
        var cancelled = 0
        for i in 0..<index.siteCount {
            let site = index.site(i)
            if site.cancelled != nil || site.sponsor?.cancelled != nil { cancelled += 1 }
            let times = [site.cancelled, site.sponsor?.cancelled, Self.now, try Timestamp.parse("2000-01-01")].compactMap { $0 }
            for time in times.flatMap({ [$0, Timestamp(secondsSince1970: $0.secondsSince1970 - 1)] }) {
                #expect(index.isSiteActive(UInt32(i), at: time) == site.isActive(at: time), "site \(site.id) at \(time)")
            }
        }
        #expect(cancelled > 0)
        #expect(!index.isSiteActive(UInt32(index.siteCount), at: Self.now))
    }

    /// Batched host lookups give the answers of single ones, whatever the mix and batch size.
    @Test func batchedHostLookupsAgree() throws {
        let index = try index
        let sites = records { if case .site(let s) = $0 { s } else { nil } }
        var names: [String] = ["com.cn", "cn", "a.b.c.unfiled.example.com", "x.y.bj.cn"]
        for site in sites {
            for domain in site.domains { names += [domain.ascii, "www." + domain.ascii, "a.b." + domain.ascii, "x" + domain.ascii] }
        }
        let buffers = names.map { name -> UnsafeRawBufferPointer in
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: name.utf8.count, alignment: 1)
            bytes.copyBytes(from: name.utf8)
            return UnsafeRawBufferPointer(bytes)
        }
        defer { for buffer in buffers { buffer.deallocate() } }
        for size in [1, 7, 16, 100, buffers.count] {
            var output: [RegistryIndex.HostLookup] = []
            var start = 0
            while start < buffers.count {
                let end = min(start + size, buffers.count)
                buffers[start..<end].withUnsafeBufferPointer { index.filedSites(hosts: $0, into: &output) }
                start = end
            }
            #expect(output.count == buffers.count)
            for (name, batched) in zip(buffers, output) {
                let single = index.filedSites(hostBytes: name)
                #expect(batched.match == single.match)
                #expect(Array(batched.sites) == Array(single.sites))
                #expect(batched.matchedStart == single.matchedStart && batched.independentStart == single.independentStart)
            }
        }
    }

    @Test func everyFiledRangeFindsItsAccessRecord() throws {
        let index = try index
        let access = records { if case .access(let a) = $0 { a } else { nil } }
        for record in access {
            for range in record.ranges {
                for address in [range.first, range.last] {
                    #expect(index.filedAccess(at: address).contains { $0.id == record.id }, "\(address) → access \(record.id)")
                }
            }
        }
    }

    @Test func everyIPFilingRecordIsInTheChainOfItsAddresses() throws {
        let index = try index
        let allocations = records { if case .ipAllocation(let a) = $0 { a } else { nil } }
        let sources = records { if case .ipSource(let s) = $0 { s } else { nil } }
        #expect(allocations.count == 188)
        for allocation in allocations {
            for address in [allocation.range.first, allocation.range.last] {
                let chain = index.allocationLinks(address)
                #expect(chain.contains { $0.kind == .allocation && $0.id == allocation.id }, "\(address) → allocation \(allocation.id)")
                // Most specific first: each link lies inside the next.
                for (inner, outer) in zip(chain, chain.dropFirst()) {
                    #expect(outer.range.contains(inner.range) || outer.range.overlaps(inner.range))
                }
            }
        }
        for source in sources {
            #expect(index.allocationLinks(source.range.first).last?.id == source.id)
        }
        // Outside every filing: nothing.
        #expect(index.allocationLinks(try IPAddress.parse("8.8.8.8")).isEmpty)
        #expect(index.allocationLinks(try IPAddress.parse("2001:4860::8888")).isEmpty)
    }

    @Test func spelledOutAnswers() throws {
        let index = try index
        // 101.69.16.1: a customer block of unit 101 inside unit 11's re-allocation to 101,
        // inside unit 11's source block.
        let chain = index.allocationLinks(try IPAddress.parse("101.69.16.1"))
        #expect(chain.map(\.kind) == [.allocation, .allocation, .source])
        #expect(chain.map(\.unitID) == [101, 11, 11])
        #expect(chain[0].mode == .allocatedAndUsed && chain[1].mode == .reallocated && chain[1].targetID == 101)
        #expect(chain[0].range.description == "101.69.16.0-101.69.16.15")
        #expect(chain[2].range.description == "101.69.0.0-101.69.255.255")
        #expect(chain[1].unit?.name == "中国联合网络通信有限公司浙江省分公司")
        #expect(chain[0].unit?.isLicensed == true)
        // The reseller chain ends with an unlicensed unit.
        let resold = index.allocationLinks(try IPAddress.parse("115.236.27.1"))
        #expect(resold.map(\.unitID) == [200, 100, 10, 10])
        #expect(resold[0].unit?.isLicensed == false)
        // IPv6 too.
        let v6 = index.allocationLinks(try IPAddress.parse("240e:3a0:1:1::5"))
        #expect(v6.map(\.kind) == [.allocation, .allocation, .source])
        #expect(v6[0].unitID == 100)

        // A sub-domain filed by another sponsor wins over its parent's filing.
        let sites = records { if case .site(let s) = $0 { s } else { nil } }
        let child = try #require(sites.first { $0.domains.contains { $0.ascii.hasPrefix("shop.") } })
        let childName = try #require(child.domains.first { $0.ascii.hasPrefix("shop.") })
        let answer = index.filedSites(forHost: childName)
        #expect(answer.sites.map { index.site(Int($0)).id } == [child.id])
        let parent = try #require(childName.parent)
        #expect(index.filedSites(forHost: parent).sites.allSatisfy { index.site(Int($0)).id != child.id })

        // Unfiled, public suffix, and IDN answers.
        #expect(index.filedSites(forHost: try DomainName("no-such-site.example.cn")).match == .none)
        #expect(index.filedSites(forHost: try DomainName("com.cn")).independentDomain == nil)
        #expect(index.independentDomain(of: "a.b.example.zj.cn") == "example.zj.cn")
        let idn = try #require(sites.flatMap(\.domains).first { $0.ascii.hasSuffix(".xn--fiqs8s") })
        #expect(index.filedSites(forHost: try DomainName(idn.unicode)).match == .filedName)

        // Sites reached by bare address.
        for site in sites {
            guard let homepage = site.homepage, let address = IndexBuilder.address(inURL: homepage) else { continue }
            #expect(index.sitesReachedAt(address).map(\.id) == [site.id])
        }
        #expect(sites.filter { $0.homepage.flatMap(IndexBuilder.address(inURL:)) != nil }.count == 2)
    }

    @Test func blacklistsAndCancellations() throws {
        let index = try index
        let siteBlacklist = records { if case .siteBlacklist(let e) = $0 { e } else { nil } }
        for entry in siteBlacklist {
            for domain in entry.domains {
                #expect(index.blacklistedDomain(covering: try DomainName("www." + domain.ascii)) == domain.ascii)
            }
        }
        #expect(index.blacklistedDomain(covering: try DomainName("www.example.com")) == nil)
        let illegal = records { if case .illegalAccess(let e) = $0 { e } else { nil } }
        for entry in illegal {
            if let domain = entry.domain { #expect(index.illegalAccess(covering: domain).map(\.id).contains(entry.id)) }
            if let address = entry.address { #expect(index.illegalAccess(at: address).map(\.id).contains(entry.id)) }
        }
        // The generator blacklists the name of its fourth sponsor.
        let sponsors = records { if case .sponsor(let s) = $0 { s } else { nil } }
        #expect(index.isBlacklistedSponsor(name: sponsors[3].name))
        let sites = (0..<index.siteCount).map { index.site($0) }
        #expect(sites.filter { $0.sponsor?.isBlacklistedByName == true }.allSatisfy { $0.sponsor?.name == sponsors[3].name })
        // Cancelled sites are not in force now, and were before their cancellation.
        let cancellations = records { if case .cancellation(let c) = $0, c.target == .site { c } else { nil } }
        #expect(!cancellations.isEmpty)
        for cancellation in cancellations {
            let site = try #require(sites.first { $0.id == cancellation.recordID })
            #expect(!site.isActive(at: Self.now))
            if let date = cancellation.cancelled {
                #expect(site.isActive(at: Timestamp(secondsSince1970: date.secondsSince1970 - 1)) || site.sponsor?.cancelled != nil)
            }
        }
    }
}

@Suite struct RegistryCheckTests {
    /// A small registry with one of each inconsistency, and near-misses that must pass.
    static let registry = """
        {"kind":"reporting_unit","unit_id":10,"unit_name":"运营商","licence":"A2.B1-20090001"}
        {"kind":"reporting_unit","unit_id":100,"unit_name":"IDC甲","licence":"B1-20190001"}
        {"kind":"reporting_unit","unit_id":101,"unit_name":"IDC乙","licence":"B1-20190002"}
        {"kind":"reporting_unit","unit_id":200,"unit_name":"转租工作室"}
        {"kind":"ip_source","source_id":1,"unit_id":10,"start":"10.0.0.0","end":"10.0.255.255","source_unit_id":1}
        {"kind":"ip_allocation","allocation_id":11,"unit_id":10,"start":"10.0.0.0","end":"10.0.0.255","mode":2,"target_unit_id":100}
        {"kind":"ip_allocation","allocation_id":12,"unit_id":100,"start":"10.0.0.0","end":"10.0.0.15","mode":1,"user_name":"甲客户"}
        {"kind":"ip_allocation","allocation_id":13,"unit_id":100,"start":"10.0.0.128","end":"10.0.0.255","mode":2,"target_unit_id":200}
        {"kind":"ip_allocation","allocation_id":14,"unit_id":200,"start":"10.0.0.128","end":"10.0.0.143","mode":1,"user_name":"转租客户"}
        {"kind":"ip_allocation","allocation_id":15,"unit_id":101,"start":"10.0.5.0","end":"10.0.5.15","mode":1,"user_name":"越界客户"}
        {"kind":"ip_allocation","allocation_id":16,"unit_id":10,"start":"10.0.1.0","end":"10.0.1.255","mode":2,"target_unit_id":101}
        {"kind":"ip_allocation","allocation_id":17,"unit_id":101,"start":"10.0.1.0","end":"10.0.1.15","mode":1,"user_name":"乙客户"}
        {"kind":"ip_allocation","allocation_id":18,"unit_id":101,"start":"10.0.0.0","end":"10.0.0.15","mode":1,"user_name":"冲突客户"}
        {"kind":"ip_allocation","allocation_id":19,"unit_id":10,"start":"10.0.200.0","end":"10.0.200.255","mode":3}
        {"kind":"ip_self_brought","self_brought_id":20,"unit_id":100,"start":"203.0.113.0","end":"203.0.113.255"}
        {"kind":"sponsor","sponsor_number":"浙ICP备00000001号","sponsor_id":1,"name":"甲公司"}
        {"kind":"sponsor","sponsor_number":"浙ICP备00000002号","sponsor_id":2,"name":"乙公司"}
        {"kind":"sponsor","sponsor_number":"浙ICP备00000003号","sponsor_id":3,"name":"丙公司"}
        {"kind":"site","site_number":"浙ICP备00000001号-1","site_id":1,"sponsor_id":1,"names":["甲网"],"domains":["a-example.cn"]}
        {"kind":"site","site_number":"浙ICP备00000001号-2","site_id":2,"sponsor_id":1,"names":["甲商城"],"domains":["shop.a-example.cn"]}
        {"kind":"site","site_number":"浙ICP备00000002号-1","site_id":3,"sponsor_id":2,"names":["乙网"],"domains":["b-example.com"]}
        {"kind":"site","site_number":"浙ICP备00000002号-2","site_id":4,"sponsor_id":2,"names":["乙二网"],"domains":["c-example.com"]}
        {"kind":"site","site_number":"浙ICP备00000003号-1","site_id":5,"sponsor_id":3,"names":["丙网"],"domains":["d-example.net"]}
        {"kind":"site","site_number":"浙ICP备00000003号-2","site_id":6,"sponsor_id":3,"names":["丙二网"],"domains":["e-example.net"]}
        {"kind":"site","site_number":"浙ICP备00000003号-3","site_id":7,"sponsor_id":3,"names":["丙三网"],"domains":["f-example.org"]}
        {"kind":"site","site_number":"浙ICP备00000003号-4","site_id":8,"sponsor_id":3,"names":["已注销网"],"domains":["g-example.org"]}
        {"kind":"access","access_id":1,"site_id":1,"provider_id":100,"ranges":["10.0.0.1"]}
        {"kind":"access","access_id":2,"site_id":2,"provider_id":100,"ranges":["10.0.0.130"]}
        {"kind":"access","access_id":3,"site_id":3,"provider_id":101,"ranges":["10.0.1.5"]}
        {"kind":"access","access_id":4,"site_id":4,"provider_id":101,"ranges":["10.0.3.9"]}
        {"kind":"access","access_id":6,"site_id":6,"provider_id":100,"ranges":["10.0.0.2"]}
        {"kind":"access","access_id":7,"site_id":7,"provider_id":100,"ranges":["192.0.2.10"]}
        {"kind":"access","access_id":9,"site_id":1,"provider_id":100,"ranges":["203.0.113.7"]}
        {"kind":"cancellation","cancelled_record":6,"target":"access","cancelled":"2025-01-01"}
        {"kind":"cancellation","cancelled_record":8,"target":"site","cancelled":"2025-01-01"}
        {"kind":"domain_registration","registered_domain":"a-example.cn","registrant_name":"甲公司"}
        {"kind":"domain_registration","registered_domain":"b-example.com","registrant_name":"别人"}
        {"kind":"domain_registration","registered_domain":"d-example.net","registrant_organisation":"丙公司"}
        {"kind":"domain_registration","registered_domain":"e-example.net","registrant_name":"丙 公司"}
        {"kind":"domain_registration","registered_domain":"f-example.org","registrant_name":"丙公司"}
        """

    @Test func findsEveryPlantedInconsistencyAndNothingElse() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("registry.jsonl").path
        try Self.registry.write(toFile: path, atomically: true, encoding: .utf8)
        let (indexPath, records) = try buildIndex([path])
        #expect(records.count == 40)
        let index = try RegistryIndex(path: indexPath)
        let findings = RegistryChecks(index: index, options: .init(at: try Timestamp.parse("2026-01-01"))).run()
        let found = Set(findings.map { "\($0.kind.rawValue) \($0.address ?? $0.host ?? "")" })
        let expected: Set<String> = [
            "ip-out-of-bounds 10.0.5.0-10.0.5.15",  // unit 101 never received 10.0.5.0/28
            "ip-out-of-bounds 10.0.0.0-10.0.0.15",  // unit 101 allocates inside unit 100's block
            "ip-conflict 10.0.0.0-10.0.0.15",  // units 100 and 101 both hand 10.0.0.0/28 to a user
            "sub-leasing 10.0.0.128-10.0.0.143",  // unlicensed unit 200, three levels down
            "empty-shell d-example.net",  // no access record
            "empty-shell e-example.net",  // its only access record was cancelled
            "provider-mismatch 10.0.3.9",  // unit 101 was never allocated 10.0.3.9
            "provider-mismatch 192.0.2.10",  // no IP filing covers it
            "registrant-mismatch b-example.com",
            "unregistered-domain c-example.com",
        ]
        #expect(found == expected)
        #expect(findings.count == expected.count)
        // Routing: the out-of-bounds finding names the allocating unit; the conflict cites both records.
        let conflict = try #require(findings.first { $0.kind == .ipConflict })
        #expect(conflict.evidence.compactMap(\.location).sorted() == ["allocation record 12", "allocation record 18"])
        let mismatch = try #require(findings.first { $0.kind == .providerMismatch && $0.address == "10.0.3.9" })
        #expect(mismatch.provider?.id == 101)
        #expect(mismatch.siteNumber == "浙ICP备00000002号-2")
        let leasing = try #require(findings.first { $0.kind == .subLeasing })
        #expect(leasing.provider?.id == 200)
        #expect(leasing.detail.contains("no operating licence") && leasing.detail.contains("3 levels"))
    }
}

@Suite struct IndexSuffixRuleTests {
    /// The index's leftward walk over its rule table agrees with the core Public Suffix List on
    /// every rule of the system list: the rule itself, names one and two labels below it,
    /// below wildcards, and the exceptions to them.
    @Test func agreesWithTheCoreListOnEveryRule() throws {
        let list = try PublicSuffixList.load()
        let index = try RegistryIndex(path: SampleLookupTests.built.path)
        var checked = 0
        for (rule, _) in list.ruleFlags {
            for name in [rule, "a." + rule, "b.a." + rule, "www." + rule, "c.www." + rule] {
                guard let domain = try? DomainName(name) else { continue }
                #expect(index.independentDomain(of: domain.ascii) == list.independentDomain(of: domain)?.ascii, "\(name)")
                checked += 1
            }
        }
        #expect(checked > 30_000)
        for name in ["example.unknowntld", "unknowntld", "a.b.c.d.e.f.g.h.i.j.k.com.cn", "x.bj.cn", "中国移动.中国"] {
            let domain = try DomainName(name)
            #expect(index.independentDomain(of: domain.ascii) == list.independentDomain(of: domain)?.ascii, "\(name)")
        }
    }
}
