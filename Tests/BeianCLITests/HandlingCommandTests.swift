import BeianTestSupport
import Foundation
import Testing

/// `beian history handle` and `beian report handling`: every unfiled site of a provider in the
/// report, each with the result recorded for it or the table's 未处理; the V3.0 `WBACLJG`
/// upload valid against the interface's schema; results imported from the report's own CSV
/// filled in as a spreadsheet would; a site seen again after handling is persisting again.
@Suite(.serialized) struct HandlingCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")
    var codes: String { sample.appendingPathComponent("registry/xml/codes.xml").path }

    /// The CSV's rows as cells (the report's cells hold no line breaks; quotes doubled).
    func rows(_ path: String) throws -> [[String]] {
        var text = try String(contentsOfFile: path, encoding: .utf8)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { line in
            var cells: [String] = []
            var cell = ""
            var quoted = false
            var previous: Character = " "
            for character in line {
                if character == "\"" {
                    if quoted, previous == "\"" { cell.append("\"") }
                    quoted.toggle()
                } else if character == ",", !quoted {
                    cells.append(cell)
                    cell = ""
                } else {
                    cell.append(character)
                }
                previous = character
            }
            cells.append(cell)
            return cells
        }
    }

    @Test func aProvidersUnfiledSitesTheirResultsAndTheUpload() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = try ScanCommandTests().index()
        let history = directory.appendingPathComponent("history.sqlite").path
        let zeek = ["ssl.log", "dns.log", "http.log"].map { sample.appendingPathComponent("logs/zeek/\($0)").path }
        let common = [
            "scan", "--index", index, "--coverage-file", sample.appendingPathComponent("truth/coverage.txt").path, "--history", history,
        ]
        let scan = try Tool.run("beian", common + zeek)
        #expect(scan.status == 0, "\(scan.stderr)")

        // The unfiled sites of each provider, as the findings file says.
        var sites: [Int: Set<String>] = [:]
        for line in scan.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard object["kind"] as? String == "unfiled-site", let provider = (object["provider"] as? [String: Any])?["id"] as? Int else {
                continue
            }
            let domain = object["independent_domain"] as? String ?? object["host"] as? String ?? ""
            sites[provider, default: []].insert("\(domain)|\(object["address"] as? String ?? "")")
        }
        let (unit, expected) = try #require(
            sites.max { $0.value.count != $1.value.count ? $0.value.count < $1.value.count : $0.key > $1.key })
        #expect(expected.count >= 3)

        // Before any result: every site, status 1 (未处理).
        let report = ["report", "handling", "--history", history, "--unit", String(unit), "--codes", codes]
        let csv = directory.appendingPathComponent("handling.csv").path
        let first = try Tool.run("beian", report + ["-o", csv])
        #expect(first.status == 0, "\(first.stderr)")
        let table = try rows(csv)
        let header = try #require(table.first)
        let (domainColumn, addressColumn, statusColumn, opinionColumn, timeColumn) = (
            try #require(header.firstIndex(of: "域名")), try #require(header.firstIndex(of: "IP地址")),
            try #require(header.firstIndex(of: "处理结果ID")), try #require(header.firstIndex(of: "处理意见")),
            try #require(header.firstIndex(of: "处理时间"))
        )
        let body = Array(table.dropFirst())
        #expect(Set(body.map { "\($0[domainColumn])|\($0[addressColumn])" }) == expected)
        #expect(body.allSatisfy { $0[statusColumn] == "1" })

        // One result by command for the first site (every address), then the report's CSV
        // filled in as a spreadsheet saves it (GBK): a result, a status the table lacks, a
        // domain the history does not know, the rest left as they were.
        let firstDomain = body[0][domainColumn]
        let byCommand = try Tool.run(
            "beian",
            ["history", "handle", "--history", history, "--codes", codes, "--domain", firstDomain, "--status", "3", "--at", "2026-03-04"])
        #expect(byCommand.status == 0, "\(byCommand.stderr)")
        var filled = body
        filled[1][statusColumn] = "2"
        filled[1][opinionColumn] = "已关闭, 网站下线（\"首页\"已删除）"
        filled[1][timeColumn] = "2026-03-05 10:00:00"
        filled[2][statusColumn] = "77"
        if filled.count > 3 {
            filled[3][domainColumn] = "not-in-the-history.example"
            filled[3][statusColumn] = "4"
        }
        let lines = ([header] + filled).map { row in
            row.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
                .joined(separator: ",")
        }
        let filledFile = directory.appendingPathComponent("filled.csv").path
        let gbk = try #require((lines.joined(separator: "\r\n") + "\r\n").data(using: String.Encoding(rawValue: 0x8000_0632)))
        try gbk.write(to: URL(fileURLWithPath: filledFile))
        let imported = try Tool.run("beian", ["history", "handle", "--history", history, "--codes", codes, "--import", filledFile])
        #expect(imported.status == 1)
        #expect(imported.stderr.contains("\(filledFile):4: status: 77 is not in the handling-status table"), "\(imported.stderr)")
        if filled.count > 3 { #expect(imported.stderr.contains("not-in-the-history.example"), "\(imported.stderr)") }
        #expect(imported.stderr.contains("handle: 1 result(s) recorded"), "\(imported.stderr)")

        // The results in the report, the findings handled.
        let json = try Tool.run("beian", report + ["--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let reported = try #require(object["rows"] as? [[String: Any]])
        #expect(reported.count == expected.count)
        for row in reported {
            let domain = row["domain"] as? String ?? ""
            let address = row["address"] as? String ?? ""
            let status = row["status"] as? Int
            if domain == firstDomain {
                #expect(status == 3 && row["state"] as? String == "handled" && row["opinion"] as? String == "已停止接入")
            } else if domain == body[1][domainColumn] && address == body[1][addressColumn] {
                #expect(status == 2 && row["opinion"] as? String == "已关闭, 网站下线（\"首页\"已删除）")
                #expect(row["handled_at"] as? String == "2026-03-05T10:00:00+08:00")
            } else {
                #expect(status == 1 && row["state"] as? String != "handled", "\(row)")
            }
        }
        let handled = try Tool.run("beian", ["history", "findings", "--history", history, "--state", "handled", "--json"])
        #expect(handled.stdout.split(separator: "\n").count == reported.filter { $0["state"] as? String == "handled" }.count)

        // The upload: valid against the interface's schema, GBK, the reporter named there only.
        let upload = directory.appendingPathComponent("wbacljg.xml").path
        let written = try Tool.run(
            "beian",
            report + ["--reporter-name", "王五", "--reporter-phone", "0571-88880000", "--reporter-email", "noc@example.cn", "-o", upload])
        #expect(written.status == 0, "\(written.stderr)")
        let lint = try Schemas.validate([upload], against: "upload-data.xsd")
        #expect(lint.valid, "\(lint.messages)")
        let xml = try #require(
            String(data: try Data(contentsOf: URL(fileURLWithPath: upload)), encoding: String.Encoding(rawValue: 0x8000_0632)))
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"GBK\"?>\n<UploadData version=\"3.0\">"))
        #expect(xml.components(separatedBy: "<Clxx>").count - 1 == expected.count)
        #expect(xml.contains("<Sbrxm>王五</Sbrxm>") && xml.contains("<Qqdwid>\(unit)</Qqdwid>"))
        #expect(!written.stderr.contains("0571-88880000") && !json.stdout.contains("0571-88880000") && !json.stdout.contains("王五"))
        let badPhone = try Tool.run("beian", report + ["--reporter-phone", "12345", "-o", upload])
        #expect(badPhone.status != 0 && !badPhone.stderr.contains("12345"))

        // The page, as a browser reads it.
        let page = directory.appendingPathComponent("handling.html").path
        #expect(try Tool.run("beian", report + ["-o", page]).status == 0)
        let browser = try Browser.dumpDOM(page)
        #expect(browser.console.isEmpty, "\(browser.console)")
        let siteRows =
            browser.dom.components(separatedBy: "<table id=\"sites\">")[1].components(separatedBy: "</table>")[0]
            .components(separatedBy: "<tr>").count - 2
        #expect(siteRows == expected.count)
        #expect(browser.dom.contains("<svg id=\"status-chart\""))

        // Seen again by a later run: persisting, the result kept.
        let again = try Tool.run("beian", common + zeek)
        #expect(again.status == 0, "\(again.stderr)")
        let later = try Tool.run("beian", report + ["--format", "json"])
        let laterRows =
            (try JSONSerialization.jsonObject(with: Data(later.stdout.utf8)) as? [String: Any])?["rows"] as? [[String: Any]] ?? []
        for row in laterRows where row["domain"] as? String == firstDomain {
            #expect(row["state"] as? String == "persisting" && row["status"] as? Int == 3)
        }
    }
}
