import BeianTestSupport
import Foundation
import Testing

@Suite struct RegistryCommandTests {
    var sample: String { Fixtures.packageRoot.appendingPathComponent("Datasets/sample/registry").path }

    @Test func validatePrintsCountsThatAddUp() throws {
        let result = try Tool.run(
            "beian", ["registry", "validate", "\(sample)/xml/icp.xml", "\(sample)/xml/sync.xml", "\(sample)/xml/codes.xml"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("icp.xml: xml, gb18030"))
        #expect(result.stdout.contains("rejected 0"))
        let total = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("total over 3 file(s)") })
        #expect(total.contains("read 3693, accepted 3693"))
    }

    @Test func validateJSONReportsIssuesWithoutPersonalData() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("bad.csv").path
        try "sponsor_number,sponsor_id,name,id_number\n浙ICP备123号,1,名,330106199001011234\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let result = try Tool.run("beian", ["registry", "validate", "--json", path])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let files = try #require(object["files"] as? [[String: Any]])
        let issues = try #require(files.first?["issues"] as? [[String: Any]])
        #expect(issues.first?["line"] as? Int == 2)
        #expect(issues.first?["field"] as? String == "sponsor_number")
        #expect(!result.stdout.contains("330106199001011234"))
    }

    @Test func strictStopsWithStatusOne() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("bad.csv").path
        try "sponsor_number,sponsor_id,name\n浙ICP备123号,1,名\n浙ICP备12345678号,2,名\n".write(toFile: path, atomically: true, encoding: .utf8)
        let lenient = try Tool.run("beian", ["registry", "validate", path])
        #expect(lenient.status == 0)
        let strict = try Tool.run("beian", ["registry", "validate", "--strict", path])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("bad.csv:2"))
    }

    @Test func missingFileIsAnErrorNamingIt() throws {
        let result = try Tool.run("beian", ["registry", "validate", "/nonexistent/registry.xml"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/registry.xml"))
    }

    @Test func convertToCSVAndBackValidates() throws {
        let directory = try Fixtures.temporaryDirectory()
        let result = try Tool.run("beian", ["registry", "convert", "\(sample)/xml/icp.xml", "--to", "csv", "--output", directory.path])
        #expect(result.status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.contains("sponsor.csv") && files.contains("site.csv") && files.contains("access.csv"))
        let sponsors = try String(contentsOfFile: directory.appendingPathComponent("sponsor.csv").path, encoding: .utf8)
        // Personal data stays out: no e-mail, no ID number, no phone.
        #expect(sponsors.hasPrefix("sponsor_number,sponsor_id,name,"))
        #expect(!sponsors.contains("@mail.example.cn"))
        #expect(!sponsors.contains("MA2"))
        #expect(!sponsors.contains("0571-8"))
        let back = try Tool.run("beian", ["registry", "validate"] + files.map { directory.appendingPathComponent($0).path })
        #expect(back.status == 0)
        #expect(back.stdout.contains("rejected 0"))
    }

    @Test func convertToJSONLOnStdout() throws {
        let result = try Tool.run("beian", ["registry", "convert", "\(sample)/csv/reporting_unit.csv", "--to", "jsonl"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 16)
        #expect(lines.allSatisfy { $0.hasPrefix("{\"kind\":\"reporting_unit\"") })
    }

    @Test func versionNamesTheLibraries() throws {
        let result = try Tool.run("beian", ["version"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("libpcap version"))
        #expect(result.stdout.contains("libmaxminddb"))
        #expect(result.stdout.contains("libidn2"))
        #expect(result.stdout.contains("public suffix list"))
    }
}
