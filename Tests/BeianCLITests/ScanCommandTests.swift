import BeianCore
import BeianTestSupport
import Foundation
import Testing

/// `beian scan` on the sample world, scored against its ground truth by `beian-datagen score`:
/// precision and recall 1.000 for every kind, near-misses included.
@Suite struct ScanCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    func index() throws -> String {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("sample.beianidx").path
        let xml = ["icp.xml", "sync.xml", "codes.xml"].map { sample.appendingPathComponent("registry/xml/\($0)").path }
        let build = try Tool.run("beian", ["index", "build"] + xml + ["-o", path])
        #expect(build.status == 0)
        return path
    }

    func scoreIsPerfect(_ inputs: [String], truthFile: String?, coverage: Bool) throws {
        let directory = try Fixtures.temporaryDirectory()
        let findings = directory.appendingPathComponent("findings.jsonl").path
        var arguments = [
            "scan", "--index", try index(), "--geoip", sample.appendingPathComponent("geo/country.mmdb").path, "--output", findings,
        ]
        if coverage { arguments += ["--coverage-file", sample.appendingPathComponent("truth/coverage.txt").path] }
        let scan = try Tool.run("beian", arguments + inputs.map { sample.appendingPathComponent($0).path })
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(scan.stderr.contains("findings"))
        var score = ["score", "--truth", sample.appendingPathComponent("truth").path, "--findings", findings, "--require-perfect"]
        if let truthFile { score += ["--truth-file", truthFile] }
        let result = try Tool.run("beian-datagen", score)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test func capturesScoreOneEverywhere() throws {
        try scoreIsPerfect(["traffic/access-link.pcap", "traffic/mobile-core.pcapng"], truthFile: nil, coverage: true)
    }

    @Test func zeekLogsScoreOneEverywhere() throws {
        try scoreIsPerfect(
            ["logs/zeek/dns.log", "logs/zeek/http.log", "logs/zeek/ssl.log"], truthFile: "findings-zeek.jsonl", coverage: true)
    }

    @Test func proxyAndWebLogsScoreOneEverywhere() throws {
        try scoreIsPerfect(["logs/squid/access.log"], truthFile: "findings-squid.jsonl", coverage: false)
        let web = try FileManager.default.contentsOfDirectory(atPath: sample.appendingPathComponent("logs/web").path).map {
            "logs/web/\($0)/access.log"
        }
        try scoreIsPerfect(web, truthFile: "findings-web.jsonl", coverage: false)
    }

    @Test func homepagesScoreOneEverywhere() throws {
        try scoreIsPerfect(["homepages/homepages.warc.gz"], truthFile: "findings-homepages.jsonl", coverage: false)
    }

    /// `beian homepages --json` reads every page of the sample crawl as the truth describes it:
    /// the charset the page is really in, and every number with its place, footer and link.
    @Test func homepagesReadWhatTheTruthSays() throws {
        let warc = sample.appendingPathComponent("homepages/homepages.warc.gz").path
        let result = try Tool.run("beian", ["homepages", "--json", warc])
        #expect(result.status == 0, "\(result.stderr)")
        var pages: [String: [String: Any]] = [:]
        for line in result.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if object["charset"] != nil, let host = object["host"] as? String { pages[host] = object }
        }
        let truth = try String(contentsOf: sample.appendingPathComponent("truth/homepages.jsonl"), encoding: .utf8)
        var compared = 0
        for line in truth.split(separator: "\n") {
            let expected = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let host = try #require(expected["host"] as? String)
            let page = try #require(pages[host], "no page for \(host)")
            let charset = expected["charset"] as? String == "gbk" ? "gb18030" : "utf-8"
            #expect(page["charset"] as? String == charset, "\(host)")
            func key(_ number: [String: Any], verbatim: Bool) -> String {
                let text = verbatim ? number["verbatim"] as? String ?? "" : number["number"] as? String ?? ""
                return
                    "\(text)|\(number["place"] as? String ?? "")|\(number["footer"] as? Bool ?? false)|\(number["link_host"] as? String ?? "")"
            }
            // Numbers the truth lists (it leaves public-security numbers out); look-alikes and
            // malformed numbers compare by their text.
            let read = (page["numbers"] as? [[String: Any]] ?? []).filter { ($0["kind"] as? String) != "public-security" }.map {
                key($0, verbatim: ($0["kind"] as? String ?? "").hasPrefix("look-alike") || $0["kind"] as? String == "malformed")
            }
            let wanted = (expected["numbers"] as? [[String: Any]] ?? []).map { number -> String in
                let isNumber = (number["number"] as? String).map { (try? FilingNumber.parse($0)) != nil } ?? false
                return key(isNumber ? number : number.merging(["verbatim": number["number"] ?? ""]) { $1 }, verbatim: !isNumber)
            }
            #expect(read.sorted() == wanted.sorted(), "\(host)")
            compared += 1
        }
        #expect(compared > 100)
    }
}

@Suite struct ScanOutputTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    /// The same findings as CSV (BOM, Chinese headers) and as the V3.0 unfiled-site list,
    /// which beian's own registry reader accepts.
    @Test func csvAndTheUnfiledSiteList() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = directory.appendingPathComponent("s.beianidx").path
        let xml = ["icp.xml", "sync.xml", "codes.xml"].map { sample.appendingPathComponent("registry/xml/\($0)").path }
        #expect(try Tool.run("beian", ["index", "build"] + xml + ["-o", index]).status == 0)
        let capture = sample.appendingPathComponent("traffic/access-link.pcap").path
        let geo = sample.appendingPathComponent("geo/country.mmdb").path
        let json = try Tool.run("beian", ["scan", "--index", index, "--geoip", geo, capture])
        let unfiled = json.stdout.split(separator: "\n").filter { $0.contains("\"kind\":\"unfiled-site\"") }.count
        #expect(unfiled > 0)

        let csv = directory.appendingPathComponent("f.csv")
        #expect(
            try Tool.run("beian", ["scan", "--index", index, "--geoip", geo, capture, "--output", csv.path, "--headers", "zh"]).status == 0)
        let bytes = try Data(contentsOf: csv)
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("首次检测时间"))
        #expect(text.split(separator: "\r\n").count == json.stdout.split(separator: "\n").count + 1)

        let list = directory.appendingPathComponent("wbawzlb.xml")
        let written = try Tool.run("beian", ["scan", "--index", index, "--geoip", geo, capture, "--output", list.path])
        #expect(written.status == 0)
        // The sample serves one unfiled site over IPv6, which the V3.0 list cannot hold: said, not lost silently.
        let ipv6 = json.stdout.split(separator: "\n").filter { $0.contains("\"kind\":\"unfiled-site\"") && $0.contains("\"address\":\"2") }
        #expect(ipv6.count == 1)
        #expect(written.stderr.contains("1 unfiled sites are not in the V3.0 list"), "\(written.stderr)")
        let check = try Tool.run("beian", ["registry", "validate", list.path])
        #expect(check.status == 0)
        #expect(check.stdout.contains("read \(unfiled - 1), accepted \(unfiled - 1), rejected 0"))
        // What an access provider's system checks first: the interface's own schema.
        let lint = try Schemas.validate([list.path], against: "download-data.xsd")
        #expect(lint.valid, "\(lint.messages)")
    }
}

@Suite struct ScanScopeTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    /// The access provider's view: only its allocations are judged, every finding is routed to it,
    /// and each is one of the findings of the whole scan.
    @Test func ownScopeIsTheProvidersShare() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = directory.appendingPathComponent("s.beianidx").path
        let xml = ["icp.xml", "sync.xml", "codes.xml"].map { sample.appendingPathComponent("registry/xml/\($0)").path }
        #expect(try Tool.run("beian", ["index", "build"] + xml + ["-o", index]).status == 0)
        let common = [
            "scan", "--index", index, "--geoip", sample.appendingPathComponent("geo/country.mmdb").path, "--coverage-file",
            sample.appendingPathComponent("truth/coverage.txt").path,
        ]
        let captures = ["traffic/access-link.pcap", "traffic/mobile-core.pcapng", "homepages/homepages.warc.gz"].map {
            sample.appendingPathComponent($0).path
        }
        let all = try Tool.run("beian", common + captures)
        let own = try Tool.run("beian", common + ["--scope", "own", "--unit", "101"] + captures)
        #expect(own.status == 0)
        let ownLines = own.stdout.split(separator: "\n")
        #expect(!ownLines.isEmpty)
        #expect(ownLines.allSatisfy { $0.contains("\"provider\":{\"id\":101,") })
        let allKeys = Set(all.stdout.split(separator: "\n").map(key))
        #expect(ownLines.allSatisfy { allKeys.contains(key($0)) })
        #expect(try Tool.run("beian", common + ["--scope", "own"] + captures).status != 0)
    }

    @Test func threadsChangeNothing() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = directory.appendingPathComponent("s.beianidx").path
        let xml = ["icp.xml", "sync.xml", "codes.xml"].map { sample.appendingPathComponent("registry/xml/\($0)").path }
        #expect(try Tool.run("beian", ["index", "build"] + xml + ["-o", index]).status == 0)
        let captures = ["traffic/access-link.pcap", "traffic/mobile-core.pcapng", "homepages/homepages.warc.gz"].map {
            sample.appendingPathComponent($0).path
        }
        let one = try Tool.run("beian", ["scan", "--index", index, "--threads", "1"] + captures)
        let three = try Tool.run("beian", ["scan", "--index", index, "--threads", "3"] + captures)
        #expect(!one.stdout.isEmpty)
        #expect(one.stdout.contains("footer-number-wrong"))
        #expect(one.stdout == three.stdout)
    }

    func key(_ line: Substring) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        return "\(object["kind"] ?? "")|\(object["independent_domain"] ?? "")|\(object["address"] ?? "")"
    }
}

@Suite struct ScanRunCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    func index() throws -> String { try ScanCommandTests().index() }

    /// `-o` and `--time china`: the same findings, times in China time with their offset;
    /// `--json-summary` names every input with its report.
    @Test func shortOutputChinaTimeAndTheJSONSummary() throws {
        let directory = try Fixtures.temporaryDirectory()
        let capture = sample.appendingPathComponent("traffic/access-link.pcap").path
        let utc = directory.appendingPathComponent("utc.jsonl").path
        let china = directory.appendingPathComponent("china.jsonl").path
        let base = ["scan", "--index", try index(), capture]
        let first = try Tool.run("beian", base + ["-o", utc, "--json-summary"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try Tool.run("beian", base + ["-o", china, "--time", "china"]).status == 0)
        let utcLines = try String(contentsOfFile: utc, encoding: .utf8).split(separator: "\n")
        let chinaLines = try String(contentsOfFile: china, encoding: .utf8).split(separator: "\n")
        #expect(utcLines.count == chinaLines.count && !utcLines.isEmpty)
        #expect(utcLines.allSatisfy { !$0.contains("+08:00") } && chinaLines.allSatisfy { !$0.contains("Z\"") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first.stderr.utf8)) as? [String: Any])
        let inputs = try #require(object["inputs"] as? [[String: Any]])
        #expect(inputs.count == 1 && inputs.first?["format"] as? String == "pcap" && (inputs.first?["read"] as? Int ?? 0) > 1000)
        #expect(object["findings"] as? Int == utcLines.count)
    }

    /// A live scan on an interface that carries nothing ends at its duration, not at the next
    /// packet; SIGINT ends one without a duration, and the findings so far are written.
    @Test func aQuietInterfaceEndsOnTimeAndOnSIGINT() throws {
        let started = Date()
        let timed = try Tool.run(
            "beian", ["scan", "--index", try index(), "--interface", "lo", "--filter", "ether proto 0x88b6", "--duration", "1"])
        #expect(timed.status == 0, "\(timed.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(timed.stderr.contains("lo: 0 packets (live interface)"), "\(timed.stderr)")

        let process = Process()
        process.executableURL = Tool.productsDirectory.appendingPathComponent("beian")
        process.arguments = ["scan", "--index", try index(), "--interface", "lo", "--filter", "ether proto 0x88b6"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1)
        let signalled = Date()
        kill(process.processIdentifier, SIGINT)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(signalled) < 5)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("interrupted"), "\(text)")
    }
}
