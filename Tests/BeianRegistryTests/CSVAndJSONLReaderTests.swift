import BeianCore
import BeianRegistry
import Foundation
import Testing

@Suite struct CSVReaderTests {
    static let header = "sponsor_number,sponsor_id,name,province\n"

    @Test func quotedFieldsWithCommasQuotesAndNewlines() throws {
        let csv =
            "site_number,site_id,sponsor_id,names,domains\r\n"
            + "浙ICP备12345678号-1,11,1,\"测试网, \"\"官方\"\"\",example.com;www.example.org\r\n"
            + "浙ICP备12345678号-2,12,1,\"两行\n的名字\",bad..domain\r\n"
            + "浙ICP备12345678号-3,13,1,第三,ok.cn\r\n"
        let (records, reports) = try readAll([try temporaryFile("site.csv", csv)])
        #expect(records.count == 3)
        guard case .site(let first) = records[0], case .site(let second) = records[1] else { return }
        #expect(first.names == ["测试网, \"官方\""])
        #expect(first.domains.map(\.ascii) == ["example.com", "www.example.org"])
        #expect(second.names == ["两行\n的名字"])
        // The bad domain is on line 3, the line its record starts on.
        let issue = try #require(reports[0].rejectedIssues.first)
        #expect(issue.kind == .siteDomain)
        #expect(issue.location.line == 3)
        #expect(reports[0].count(.siteDomain).rejected == 1)
        #expect(reports[0].countsAddUp)
    }

    @Test func lineNumbersCountNewlinesInsideQuotes() throws {
        let csv = Self.header + "浙ICP备12345678号,1,\"多\n行\n名\",330000\n浙ICP备1234567号,2,错,330000\n"
        let (_, reports) = try readAll([try temporaryFile("sponsor.csv", csv)])
        #expect(reports[0].rejectedIssues.first?.location.line == 5)
    }

    @Test func encodingIsDetectedAndCanBeForced() throws {
        let text = Self.header + "浙ICP备12345678号,1,杭州测试科技有限公司,330000\n"
        let gbkPath = try temporaryFile("sponsor.csv", gbk(text))
        let detected = try readAll([gbkPath])
        #expect(detected.reports[0].encoding == .gb18030)
        #expect(detected.records.count == 1)
        let bomPath = try temporaryFile("bom.csv", Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8))
        let bom = try readAll([bomPath])
        #expect(bom.reports[0].encoding == .utf8)
        #expect(bom.records == detected.records)
        // Forced to UTF-8, GBK bytes refuse the record with a hint, never garble it.
        let forced = try readAll([gbkPath], options: RegistryReadOptions(encoding: .utf8))
        #expect(forced.records.isEmpty)
        #expect(forced.reports[0].rejectedIssues.first?.reason.contains("--encoding gb18030") == true)
        #expect(forced.reports[0].countsAddUp)
    }

    @Test func wrongFieldCountIsRefusedWithItsLine() throws {
        let csv = Self.header + "浙ICP备12345678号,1,名\n浙ICP备87654321号,2,名,330000\n"
        let (records, reports) = try readAll([try temporaryFile("sponsor.csv", csv)])
        #expect(records.count == 1)
        let issue = try #require(reports[0].rejectedIssues.first)
        #expect(issue.location.line == 2)
        #expect(issue.reason.contains("has 3 fields, the header has 4"))
    }

    @Test func headersAreChecked() throws {
        let unknown = try readAll([try temporaryFile("x.csv", "foo,bar\n1,2\n")])
        #expect(unknown.reports[0].fatal?.reason.contains("no known record kind") == true)
        let missing = try readAll([try temporaryFile("x.csv", "sponsor_number,name\n浙ICP备12345678号,名\n")])
        #expect(missing.reports[0].fatal?.reason.contains("sponsor_id") == true)
        let extra = try readAll([try temporaryFile("x.csv", "sponsor_id,sponsor_number,name,colour\n1,浙ICP备12345678号,名,blue\n")])
        #expect(extra.records.count == 1)
        #expect(extra.reports[0].issues.first?.reason.contains("colour") == true)
    }

    @Test func unclosedQuoteStopsWithItsLine() throws {
        let csv = Self.header + "浙ICP备12345678号,1,\"never closed,330000\n浙ICP备87654321号,2,名,330000\n"
        let (records, reports) = try readAll([try temporaryFile("sponsor.csv", csv)])
        #expect(records.isEmpty)
        #expect(reports[0].fatal?.location.line == 2)
    }

    @Test func invalidValuesAreRefusedAndCounted() throws {
        let csv =
            "allocation_id,unit_id,start,end,mode,province\n"
            + "1,10,1.2.3.0,1.2.3.255,1,330000\n"
            + "2,10,1.2.3.9,1.2.3.0,1,330000\n"
            + "3,10,1.2.3.0,1.2.3.255,9,330000\n"
            + "4,10,1.2.3.0,::1,1,330000\n"
            + "5,10,300.1.1.1,300.1.1.2,1,330000\n"
            + "6,10,1.2.3.0,1.2.3.255,2,999999\n"
        let (records, reports) = try readAll([try temporaryFile("alloc.csv", csv)])
        #expect(records.count == 2)
        #expect(reports[0].count(.ipAllocation).rejected == 4)
        let reasons = reports[0].rejectedIssues.map(\.reason)
        #expect(reasons.contains { $0.contains("after its end") })
        #expect(reasons.contains { $0.contains("not one of 1, 2, 3, 4") })
        #expect(reasons.contains { $0.contains("mixes families") })
        #expect(reasons.contains { $0.contains("not an IPv4 address") })
        #expect(reports[0].issues.contains { $0.severity == .warning && $0.reason.contains("unknown province code") })
    }

    @Test func largeFileStreamsAcrossChunks() throws {
        // More than one read chunk (1 MiB), with a quoted field spanning a chunk boundary somewhere.
        var csv = Self.header
        for i in 1...40_000 { csv += "浙ICP备\(10_000_000 + i)号,\(i),\"名称, 第\(i)号\",330000\n" }
        let (records, reports) = try readAll([try temporaryFile("big.csv", csv)])
        #expect(records.count == 40_000)
        #expect(reports[0].total.rejected == 0)
    }
}

@Suite struct JSONLReaderTests {
    @Test func readsKindsAndValueTypes() throws {
        let text = """
            {"kind":"ip_allocation","allocation_id":7,"unit_id":"10","start":"2001:db8::","end":"2001:db8::ffff","mode":2,"target_unit_id":100,"redirect":true}
            {"kind":"reporting_unit","unit_id":100,"unit_name":"某IDC","licence":"B1-20190001","valid":false}

            {"kind":"site_blacklist","blacklisted_site_names":["赌","博"],"domains":["bad.example"],"operation":"delete"}
            """
        let (records, reports) = try readAll([try temporaryFile("r.jsonl", text)])
        #expect(reports[0].total.rejected == 0)
        #expect(records.count == 3)
        guard case .ipAllocation(let allocation) = records[0], case .reportingUnit(let unit) = records[1],
            case .siteBlacklist(let entry) = records[2]
        else { return }
        #expect(allocation.mode == .reallocated && allocation.redirect == true && allocation.range.family == .v6)
        #expect(unit.valid == false && unit.licence == "B1-20190001")
        #expect(entry.names == ["赌", "博"] && entry.operation == .delete)
    }

    @Test func badLinesAreRefusedWithTheirLineAndCounted() throws {
        let text = """
            {"kind":"province","province_code":330000,"abbreviation":"浙","name":"浙江省"}
            {"kind":"province","province_code":
            {"province_code":330000}
            {"kind":"planet","name":"Mars"}
            {"kind":"province","province_code":{"nested":1},"abbreviation":"浙","name":"x"}
            {"kind":"province","province_code":330000,"abbreviation":"京","name":"浙江省","colour":"red"}
            """
        let (records, reports) = try readAll([try temporaryFile("bad.jsonl", text)])
        let report = reports[0]
        #expect(records.count == 1)
        #expect(report.unknownKind.rejected == 3)
        #expect(report.count(.province).rejected == 2)
        #expect(report.total.read == 6)
        #expect(report.countsAddUp)
        let lines = report.rejectedIssues.compactMap(\.location.line)
        #expect(lines == [2, 3, 4, 5, 6])
        #expect(report.issues.contains { $0.severity == .warning && $0.field == "colour" })
    }

    @Test func stringEscapesNumbersAndLiterals() throws {
        let text = #"""
            {"kind":"reporting_unit","unit_id":7.0,"unit_name":"\u6d59\u6c5f \"A\" \\ \ud83d\ude00\t","valid":null,"licence":"B1-2019\/01"}
            {"kind":"reporting_unit","unit_id":1.5,"unit_name":"x"}
            {"kind":"reporting_unit","unit_id":8,"unit_name":"\ud800"}
            {"kind":"reporting_unit","unit_id":9,"unit_name":"y"} trailing
            """#
        let (records, reports) = try readAll([try temporaryFile("esc.jsonl", text)])
        #expect(records.count == 1)
        guard case .reportingUnit(let unit) = records.first else { return }
        #expect(unit.id == 7)
        #expect(unit.name == "浙江 \"A\" \\ 😀")
        #expect(unit.valid == nil)
        #expect(unit.licence == "B1-2019/01")
        let reasons = reports[0].rejectedIssues.map(\.reason)
        #expect(reasons.count == 3)
        #expect(reasons[0].contains("fraction"))
        #expect(reasons[1].contains("surrogate"))
        #expect(reasons[2].contains("text after the object"))
        #expect(reports[0].countsAddUp)
    }
}
