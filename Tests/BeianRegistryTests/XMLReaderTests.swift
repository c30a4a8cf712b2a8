import BeianCore
import BeianRegistry
import Foundation
import Testing

@Suite struct XMLReaderTests {
    @Test func readsAFilingRecordByRecord() throws {
        let path = try temporaryFile(
            "icp.xml",
            icpXML([baxx(domains: ["Example.com", "中国移动.中国"], ranges: [("16843009", "16843010"), ("240e:3a0::1", "240e:3a0::ff")])]))
        let (records, reports) = try readAll([path])
        #expect(reports[0].format == .xml)
        #expect(reports[0].encoding == .utf8)
        #expect(records.count == 3)
        guard case .sponsor(let sponsor) = records[0], case .site(let site) = records[1], case .access(let access) = records[2] else {
            Issue.record("expected sponsor, site, access in document order, got \(records.map(\.kind))")
            return
        }
        #expect(sponsor.id == 1)
        #expect(sponsor.number.normalized == "浙ICP备12345678号")
        #expect(sponsor.name == "杭州测试科技有限公司")
        #expect(sponsor.nature == 4)
        #expect(sponsor.province?.code == 33)
        #expect(sponsor.idNumber?.revealed == "330106199001011234")
        #expect(sponsor.phone?.revealed == "13800138000")
        #expect(sponsor.firstFiled == (try Timestamp.parse("2015-03-01")))
        #expect(site.id == 11)
        #expect(site.sponsorID == 1)
        #expect(site.number.siteIndex == 1)
        #expect(site.names == ["测试网"])
        #expect(site.domains.map(\.ascii) == ["example.com", "xn--fiq02ib9d179b.xn--fiqs8s"])
        #expect(access.id == 21)
        #expect(access.siteID == 11)
        #expect(access.providerID == 100)
        #expect(access.ranges.map(\.description) == ["1.1.1.1-1.1.1.2", "240e:3a0::1-240e:3a0::ff"])
        #expect(reports[0].count(.siteDomain).accepted == 2)
        #expect(reports[0].count(.accessRange).accepted == 2)
    }

    @Test func refusedSponsorTakesItsSitesAndAccessRecordsWithIt() throws {
        let path = try temporaryFile(
            "icp.xml",
            icpXML([
                baxx(number: "浙ICP备1234567号"),
                baxx(sponsorID: "2", number: "浙ICP备87654321号", siteID: "12", siteNumber: "浙ICP备87654321号-1", accessID: "22"),
            ]))
        let (records, reports) = try readAll([path])
        let report = reports[0]
        #expect(records.count == 3)
        #expect(report.count(.sponsor).rejected == 1)
        #expect(report.count(.site).rejected == 1)
        #expect(report.count(.access).rejected == 1)
        #expect(report.count(.siteDomain).rejected == 1)
        #expect(report.countsAddUp)
        let first = try #require(report.rejectedIssues.first)
        #expect(first.location.line == 5)
        #expect(first.location.element == "DownloadData/ICP/BASJ/Baxx[1]/Zt_xx[1]/Baxh[1]")
        #expect(first.field == "sponsor_number")
        #expect(first.reason.contains("7 digits"))
        #expect(report.rejectedIssues.contains { $0.kind == .site && $0.reason.contains("its sponsor") })
    }

    @Test func badDomainsAndRangesAreRefusedOneByOne() throws {
        let path = try temporaryFile(
            "icp.xml",
            icpXML([
                baxx(
                    domains: ["ok.example.com", "bad..example.com"], ranges: [("16843010", "16843009"), ("1.2.3.4", "1.2.3.9"), ("0", "5")])
            ]))
        let (records, reports) = try readAll([path])
        let report = reports[0]
        #expect(records.count == 3)
        #expect(report.count(.siteDomain).accepted == 1)
        #expect(report.count(.siteDomain).rejected == 1)
        #expect(report.count(.accessRange).accepted == 1)
        #expect(report.count(.accessRange).rejected == 2)
        #expect(report.rejectedIssues.contains { $0.kind == .accessRange && $0.reason.contains("after its end") })
        #expect(report.rejectedIssues.contains { $0.kind == .accessRange && $0.reason.contains("1…4294967295") })
        #expect(report.rejectedIssues.contains { $0.kind == .siteDomain && $0.location.element?.hasSuffix("Ym_xx[2]/Ym[1]") == true })
        #expect(report.countsAddUp)
    }

    @Test func unknownProvinceCodeIsAWarningNotALostFiling() throws {
        let path = try temporaryFile("icp.xml", icpXML([baxx(province: "990000")]))
        let (records, reports) = try readAll([path])
        #expect(records.count == 3)
        guard case .sponsor(let sponsor) = records[0] else { return }
        #expect(sponsor.province == nil)
        let warning = try #require(reports[0].issues.first { $0.severity == .warning })
        #expect(warning.field == "province")
        #expect(warning.reason.contains("unknown province code"))
    }

    @Test func duplicateNumbersAreRefusedWithTheFirstPlace() throws {
        let path = try temporaryFile(
            "icp.xml", icpXML([baxx(), baxx(sponsorID: "2", siteID: "12", siteNumber: "浙ICP备12345678号-2", accessID: "22")]))
        let (records, reports) = try readAll([path])
        #expect(reports[0].count(.sponsor).rejected == 1)
        let issue = try #require(reports[0].rejectedIssues.first { $0.kind == .sponsor })
        #expect(issue.reason.contains("duplicate sponsor number 浙ICP备12345678号 (first at line 5)"))
        // The site of the duplicate goes with its sponsor.
        #expect(records.count == 3)
        // Across files read by the same reader too.
        let other = try temporaryFile("again.xml", icpXML([baxx()]))
        let reader = RegistryReader()
        _ = try reader.read(path) { _ in }
        let second = try reader.read(other) { _ in }
        #expect(second.count(.sponsor).rejected == 1)
        #expect(second.rejectedIssues.first?.reason.contains("file #1") == true)
    }

    @Test func siteNumberOfAnotherSponsorIsRefused() throws {
        let path = try temporaryFile("icp.xml", icpXML([baxx(siteNumber: "浙ICP备99999999号-1")]))
        let (_, reports) = try readAll([path])
        #expect(reports[0].count(.site).rejected == 1)
        #expect(reports[0].rejectedIssues.contains { $0.reason.contains("does not belong to its sponsor") })
    }

    @Test func personalDataNeverAppearsInMessages() throws {
        let secret = "330106199001019999"
        // Every field of the sponsor is wrong except the personal ones.
        let path = try temporaryFile(
            "icp.xml",
            icpXML([
                baxx(
                    sponsorID: "x", number: "bad", province: "1", idNumber: secret, siteID: "y", siteNumber: "no", domains: ["-"],
                    accessID: "z")
            ]))
        let (_, reports) = try readAll([path])
        #expect(!reports[0].issues.isEmpty)
        for issue in reports[0].issues {
            #expect(!issue.description.contains(secret))
            #expect(!issue.description.contains("13800138000"))
            #expect(!issue.description.contains("a@example.cn"))
        }
    }

    @Test func truncatedFileKeepsWhatCameBeforeAndSaysWhere() throws {
        let full = icpXML([
            baxx(), baxx(sponsorID: "2", number: "浙ICP备87654321号", siteID: "12", siteNumber: "浙ICP备87654321号-1", accessID: "22"),
        ])
        let cut = String(full.prefix(full.count - 120))
        let path = try temporaryFile("cut.xml", cut)
        let (records, reports) = try readAll([path])
        #expect(records.count == 3)
        let fatal = try #require(reports[0].fatal)
        #expect(fatal.reason.contains("malformed XML"))
        #expect(fatal.location.line != nil)
        #expect(reports[0].countsAddUp)
    }

    @Test func malformedMarkupIsFatalWithItsLine() throws {
        let path = try temporaryFile(
            "bad.xml", "<?xml version=\"1.0\"?>\n<DownloadData><ICP><BASJ>\n<Baxx><Zt_xx></Baxx>\n</BASJ></ICP></DownloadData>\n")
        let (_, reports) = try readAll([path])
        let fatal = try #require(reports[0].fatal)
        #expect(fatal.location.line == 3)
    }

    @Test func gbkDeclaredAndGB2312DeclaredFilesDecode() throws {
        // 镕 is in GBK but not in GB2312: files that declare gb2312 and hold GBK must still read.
        for label in ["GBK", "gb2312", "GB18030"] {
            let path = try temporaryFile("gbk.xml", gbk(icpXML([baxx(name: "朱镕基科技有限公司")], encoding: label)))
            let (records, reports) = try readAll([path])
            #expect(reports[0].encoding == .gb18030)
            #expect(reports[0].undecodableBytes == 0)
            guard case .sponsor(let sponsor) = records.first else {
                Issue.record("no sponsor read with \(label)")
                continue
            }
            #expect(sponsor.name == "朱镕基科技有限公司")
        }
    }

    @Test func gbkBytesDeclaredUTF8AreAClearErrorAndEncodingOverrideFixesIt() throws {
        let path = try temporaryFile("lying.xml", gbk(icpXML([baxx()], encoding: "UTF-8")))
        let (records, reports) = try readAll([path])
        #expect(records.isEmpty)
        let fatal = try #require(reports[0].fatal)
        #expect(fatal.reason.contains("--encoding gb18030"))
        let fixed = try readAll([path], options: RegistryReadOptions(encoding: .gb18030))
        #expect(fixed.records.count == 3)
        #expect(fixed.reports[0].fatal == nil)
    }

    @Test func notAnExportIsRefused() throws {
        let path = try temporaryFile("other.xml", "<?xml version=\"1.0\"?><html><body/></html>")
        let (_, reports) = try readAll([path])
        #expect(reports[0].fatal?.reason.contains("not a MIIT V3.0 export") == true)
        let empty = try temporaryFile("empty.xml", "")
        #expect(try readAll([empty]).reports[0].fatal != nil)
    }

    @Test func gzipAndZipInputsReadTheSame() throws {
        let text = icpXML([baxx()])
        let plain = try temporaryFile("icp.xml", text)
        let directory = URL(fileURLWithPath: plain).deletingLastPathComponent()
        try run("/usr/bin/gzip", ["-k", plain])
        try run("/usr/bin/zip", ["-q", "-j", directory.appendingPathComponent("icp.zip").path, plain])
        let expected = try readAll([plain]).records
        #expect(try readAll([plain + ".gz"]).records == expected)
        let zipped = try readAll([directory.appendingPathComponent("icp.zip").path])
        #expect(zipped.records == expected)
        // A truncated gzip file is an error with its offset, after what could be read.
        let data = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        let truncated = try temporaryFile("cut.xml.gz", data.prefix(data.count - 30))
        #expect(try readAll([truncated]).reports[0].fatal != nil)
    }

    @Test func uploadIPFilingsTakeTheirUnitFromQqdwidWhereverItIs() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <UploadData><IP><XZBA>
            <Xzly><Ly><IspId>501</IspId><Qsip>16843008</Qsip><Zzip>16843263</Zzip><Lydw>1</Lydw></Ly></Xzly>
            <Xzfp><Fpsy><IspId>502</IspId><Qsip>16843008</Qsip><Zzip>16843023</Zzip><Fpfs>1</Fpfs><Dwmc>某公司</Dwmc></Fpsy></Xzfp>
            </XZBA><Qqdwid>100</Qqdwid></IP></UploadData>
            """
        let (records, reports) = try readAll([try temporaryFile("upload.xml", xml)])
        #expect(reports[0].total.rejected == 0)
        #expect(records.count == 2)
        for record in records {
            switch record {
            case .ipSource(let source): #expect(source.unitID == 100 && source.id == 501)
            case .ipAllocation(let allocation): #expect(allocation.unitID == 100 && allocation.mode == .allocatedAndUsed)
            default: Issue.record("unexpected \(record.kind)")
            }
        }
    }

    @Test func unusedSectionsAreCountedNotDropped() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <DownloadData><ICP><HCJG><Jgxx><Jrhc><Wzid>1</Wzid><Hcjg>1</Hcjg></Jrhc></Jgxx><Jgxx><Kkwzhc><Wzid>2</Wzid></Kkwzhc></Jgxx></HCJG>
            <ZXSJ><Zxxx><Zxlb>1</Zxlb><Jlid>11</Jlid><Zxsj>2025-01-02</Zxsj></Zxxx><Zxxx><Zxlb>7</Zxlb><Jlid>12</Jlid></Zxxx></ZXSJ></ICP></DownloadData>
            """
        let (records, reports) = try readAll([try temporaryFile("mixed.xml", xml)])
        #expect(reports[0].skipped["DownloadData/ICP/HCJG/Jgxx"] == 2)
        #expect(records == [.cancellation(Cancellation(target: .site, recordID: 11, cancelled: try Timestamp.parse("2025-01-02")))])
        #expect(reports[0].count(.cancellation).rejected == 1)
    }

    @Test func strictModeStopsAtTheFirstRefusedRecord() throws {
        let path = try temporaryFile(
            "icp.xml",
            icpXML([
                baxx(number: "bad"),
                baxx(sponsorID: "2", number: "浙ICP备87654321号", siteID: "12", siteNumber: "浙ICP备87654321号-1", accessID: "22"),
            ]))
        var delivered = 0
        #expect(throws: RegistryError.self) {
            _ = try RegistryReader(options: RegistryReadOptions(strict: true)).read(path) { _ in delivered += 1 }
        }
        #expect(delivered == 0)
    }

    @Test func entitiesAndCDATAAreText() throws {
        let path = try temporaryFile("icp.xml", icpXML([baxx(name: "A&amp;B<![CDATA[ & C]]>&#20140;")]))
        let (records, _) = try readAll([path])
        guard case .sponsor(let sponsor) = records.first else {
            Issue.record("no sponsor")
            return
        }
        #expect(sponsor.name == "A&B & C京")
    }
}

/// Runs a tool and waits for it.
func run(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
}
