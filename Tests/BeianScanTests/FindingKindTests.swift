import BeianCore
import BeianScan
import Testing

// The rules of docs/findings.md, one suite per finding kind of the traffic judge, each with
// cases that make the finding, cases that must not, and cases where the time decides.
// The world is `RulesWorld`'s.

@Suite struct UnfiledSiteTests {
    @Test func aHostWithoutAFilingOnAFiledAddressIsUnfiled() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("www.unfiled.cn", at: "60.1.1.99")]).of(.unfiledSite)
        let finding = try #require(findings.first)
        #expect(findings.count == 1)
        #expect(finding.independentDomain == "unfiled.cn")
        #expect(finding.address == "60.1.1.99")
        // Routed to the nearest licensed unit of the allocation chain, the operator above it.
        #expect(finding.provider?.id == 101)
        #expect(finding.operatorUnit?.id == 10)
        #expect(finding.province == "浙")
        #expect(finding.evidence.first?.location == "packet 1")
    }

    @Test func aFilingCoversItsIndependentDomainAndEveryNameBelow() throws {
        let findings = try RulesWorld.judge([
            RulesWorld.seen("filed-a.cn", at: "60.1.1.10"), RulesWorld.seen("www.filed-a.cn", at: "60.1.1.10"),
            RulesWorld.seen("deep.cdn.filed-a.cn", at: "60.1.1.10"),
        ])
        #expect(findings.isEmpty)
    }

    @Test func anAddressOutsideTheFiledSpaceIsJudgedOnlyWhenLocatedInChina() throws {
        let foreign = RulesWorld.seen("www.unfiled.cn", at: "8.8.8.8")
        #expect(try RulesWorld.judge([foreign], geo: true).isEmpty)
        let domestic = RulesWorld.seen("www.unfiled.cn", at: "60.191.5.5")
        let findings = try RulesWorld.judge([domestic], geo: true)
        #expect(findings.of(.unfiledSite).count == 1)
        #expect(findings.of(.unfiledSite).first?.provider == nil)
    }

    @Test func sightingsAggregateByIndependentDomainAndAddress() throws {
        let t = RulesWorld.march
        let findings = try RulesWorld.judge([
            RulesWorld.seen("b.unfiled.cn", at: "60.1.1.99", time: Timestamp(secondsSince1970: t.secondsSince1970 + 60), packet: 9),
            RulesWorld.seen("a.unfiled.cn", at: "60.1.1.99", time: t, packet: 3),
            RulesWorld.seen("a.unfiled.cn", at: "60.1.1.98", time: t, packet: 4),
        ]).of(.unfiledSite)
        #expect(findings.count == 2)
        let first = try #require(findings.first { $0.address == "60.1.1.99" })
        #expect(first.count == 2 && first.host == "a.unfiled.cn")
        #expect(first.firstSeen == t && first.lastSeen?.secondsSince1970 == t.secondsSince1970 + 60)
        #expect(first.evidence.map(\.location) == ["packet 3", "packet 9"])
    }

    @Test func proxiedSightingsAreNotJudged() throws {
        #expect(try RulesWorld.judge([RulesWorld.seen("www.unfiled.cn", at: "60.1.1.99", proxy: true)]).isEmpty)
    }
}

@Suite struct CancelledFilingServedTests {
    @Test func aSiteWhoseSponsorWasCancelledIsReportedFromTheCancellationOn() throws {
        let after = try RulesWorld.judge([RulesWorld.seen("gone.cn", at: "60.1.1.60")])
        #expect(after.of(.cancelledFilingServed).count == 1)
        #expect(after.of(.cancelledFilingServed).first?.siteNumber == "浙ICP备20250002号-1")
        #expect(after.of(.unfiledSite).isEmpty)
        let before = try RulesWorld.judge([RulesWorld.seen("gone.cn", at: "60.1.1.60", time: RulesWorld.december)])
        #expect(before.isEmpty)
    }

    @Test func anAddressOnlyACancelledAccessRecordListsIsCancelledNotUnderReported() throws {
        let after = try RulesWorld.judge([RulesWorld.seen("filed-b.cn", at: "60.1.1.21")])
        #expect(after.of(.cancelledFilingServed).count == 1)
        #expect(after.of(.accessUnderReported).isEmpty)
        let before = try RulesWorld.judge([RulesWorld.seen("filed-b.cn", at: "60.1.1.21", time: RulesWorld.december)])
        #expect(before.isEmpty)
        // Its access record still in force: nothing.
        #expect(try RulesWorld.judge([RulesWorld.seen("filed-b.cn", at: "60.1.1.20")]).isEmpty)
    }

    @Test func theSamePairIsJudgedAgainOnEachSideOfTheCancellation() throws {
        let findings = try RulesWorld.judge([
            RulesWorld.seen("gone.cn", at: "60.1.1.60", time: RulesWorld.december, packet: 1),
            RulesWorld.seen("gone.cn", at: "60.1.1.60", time: RulesWorld.march, packet: 2),
            RulesWorld.seen("gone.cn", at: "60.1.1.60", time: RulesWorld.december, packet: 3),
        ])
        let served = try #require(findings.of(.cancelledFilingServed).first)
        #expect(served.count == 1 && served.firstSeen == RulesWorld.march)
    }
}

@Suite struct BlacklistedTests {
    @Test func aBlacklistedDomainIsReportedWhereverItIsServed() throws {
        let abroad = try RulesWorld.judge([RulesWorld.seen("www.banned.cn", at: "8.8.8.8")])
        #expect(abroad.of(.blacklisted).count == 1)
        #expect(abroad.of(.unfiledSite).isEmpty)  // abroad: out of scope for the filing rules
        let home = try RulesWorld.judge([RulesWorld.seen("www.banned.cn", at: "60.1.1.99")])
        #expect(home.of(.blacklisted).count == 1 && home.of(.unfiledSite).count == 1)
    }

    @Test func theIllegalAccessListMatchesByDomainAndByAddress() throws {
        #expect(try RulesWorld.judge([RulesWorld.seen("illegal.cn", at: "8.8.8.8")]).of(.blacklisted).count == 1)
        #expect(try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "60.1.2.99")]).of(.blacklisted).count == 1)
        #expect(try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "60.1.2.98")]).of(.blacklisted).isEmpty)
    }

    @Test func aSiteWhoseSponsorIsBlacklistedIsReported() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("black-sponsor.cn", at: "60.1.1.70")])
        #expect(findings.map(\.kind) == [.blacklisted])
        #expect(findings.first?.sponsorNumber == "浙ICP备20250003号")
    }

    @Test func aNameThatOnlyEndsLikeABlacklistedOneIsNot() throws {
        #expect(try RulesWorld.judge([RulesWorld.seen("notbanned.cn", at: "8.8.8.8")]).isEmpty)
    }
}

@Suite struct AccessUnderReportedTests {
    @Test func aFiledSiteOnAnAddressItsAccessRecordsDoNotListIsUnderReported() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("www.filed-a.cn", at: "60.1.1.11")])
        let finding = try #require(findings.of(.accessUnderReported).first)
        #expect(findings.count == 1)
        #expect(finding.siteNumber == "浙ICP备20250001号-1" && finding.sponsorNumber == "浙ICP备20250001号")
        #expect(finding.independentDomain == "filed-a.cn")
    }

    @Test func aListedAddressIsNot() throws {
        #expect(try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "60.1.1.10")]).isEmpty)
    }

    @Test func aDNSAnswerAbroadIsUnderReportedOnlyWhenLocatedInChina() throws {
        #expect(try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "8.8.8.8")], geo: true).isEmpty)
        let domestic = try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "60.191.5.5")], geo: true)
        #expect(domestic.of(.accessUnderReported).count == 1)
    }
}

@Suite struct ProviderMismatchTests {
    @Test func anAddressAllocatedToAnotherProviderThanTheFiledOneIsAMismatch() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("mismatch.cn", at: "60.1.1.40")])
        #expect(findings.map(\.kind) == [.providerMismatch])
        #expect(findings.first?.provider?.id == 101)  // the unit the address belongs to
    }

    @Test func theFiledProviderAnywhereInTheChainIsNoMismatch() throws {
        // filed-a.cn is filed through 101, and 60.1.1.10 is allocated to 101.
        #expect(try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "60.1.1.10")]).isEmpty)
    }

    @Test func outsideTheFiledSpaceThereIsNoChainToDisagreeWith() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("mismatch.cn", at: "60.191.5.5")], geo: true)
        #expect(findings.of(.providerMismatch).isEmpty)
        #expect(findings.of(.ipUnreported).count == 1)
    }
}

@Suite struct IPUnreportedTests {
    @Test func aDomesticAddressNoIPFilingCoversIsUnreported() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "60.191.5.5")], geo: true).of(.ipUnreported)
        #expect(findings.count == 1)
        #expect(findings.first?.independentDomain == nil && findings.first?.address == "60.191.5.5")
    }

    @Test func filedSpaceAndForeignAddressesAreNot() throws {
        #expect(try RulesWorld.judge([RulesWorld.seen("www.unfiled.cn", at: "60.1.1.99")], geo: true).of(.ipUnreported).isEmpty)
        #expect(try RulesWorld.judge([RulesWorld.seen("www.unfiled.cn", at: "8.8.8.8")], geo: true).isEmpty)
    }
}

@Suite struct EmptyShellTests {
    @Test func aFiledSiteInTheCoverageNeverSeenIsAnEmptyShell() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "60.1.1.10")], settings: RulesWorld.coverage)
        let shells = findings.of(.emptyShell)
        #expect(shells.contains { $0.siteNumber == "浙ICP备20250001号-3" && $0.independentDomain == "shell.cn" })
        #expect(!shells.contains { $0.siteNumber == "浙ICP备20250001号-1" })
        // A cancelled site is no shell; nor one whose access lies outside the coverage.
        #expect(!shells.contains { $0.siteNumber == "浙ICP备20250002号-1" })
        #expect(shells.contains { $0.siteNumber == "浙ICP备20250001号-4" })  // its 60.1.1.40 is covered
        #expect(shells.allSatisfy { $0.count == 0 && $0.address == nil && $0.provider != nil })
    }

    @Test func withoutCoverageNothingIsJudgedForSilence() throws {
        #expect(try RulesWorld.judge([RulesWorld.seen("filed-a.cn", at: "60.1.1.10")]).isEmpty)
    }

    @Test func aSiteSeenIsNoShell() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("shell.cn", at: "60.1.1.30")], settings: RulesWorld.coverage)
        #expect(!findings.of(.emptyShell).contains { $0.independentDomain == "shell.cn" })
    }
}

@Suite struct AccessOverReportedTests {
    @Test func anAccessRecordInTheCoverageThatNeverServedItsSeenSiteIsOverReported() throws {
        let findings = try RulesWorld.judge([RulesWorld.seen("over.cn", at: "60.1.1.50")], settings: RulesWorld.coverage)
        let over = findings.of(.accessOverReported)
        #expect(over.count == 1)
        #expect(over.first?.address == "60.1.1.51")
        #expect(over.first?.independentDomain == "over.cn")
    }

    @Test func bothRecordsSeenIsNothing() throws {
        let findings = try RulesWorld.judge(
            [RulesWorld.seen("over.cn", at: "60.1.1.50"), RulesWorld.seen("over.cn", at: "60.1.1.51")], settings: RulesWorld.coverage)
        #expect(findings.of(.accessOverReported).isEmpty)
    }
}

@Suite struct ScopeTests {
    @Test func anAccessProvidersViewKeepsItsOwnAddresses() throws {
        var own = Judge.Settings()
        own.scope = .accessProvider(102)
        let observations = [RulesWorld.seen("www.unfiled.cn", at: "60.1.1.99"), RulesWorld.seen("www.unfiled2.cn", at: "60.1.2.5")]
        let findings = try RulesWorld.judge(observations, settings: own)
        #expect(findings.map(\.address) == ["60.1.2.5"])
        let all = try RulesWorld.judge(observations)
        #expect(all.count == 2)
    }

    @Test func itsViewJudgesOnlyItsOwnAccessRecordsForSilence() throws {
        var own = RulesWorld.coverage
        own.scope = .accessProvider(102)
        let shells = try RulesWorld.judge([RulesWorld.seen("www.unfiled2.cn", at: "60.1.2.5")], settings: own).of(.emptyShell)
        // Only mismatch.cn's access record (141) is unit 102's.
        #expect(shells.map(\.independentDomain) == ["mismatch.cn"])
    }
}
