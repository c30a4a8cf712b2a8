import BeianTestSupport
import Foundation
import Testing

/// `beian crawl` against the sample world's sites served on loopback by `beian-datagen serve`
/// (a proxy that refuses TLS, so every host falls back to HTTP; bare domains redirect to
/// their `www.` name): the crawl's WARC audits to the same findings as the generator's.
@Suite(.serialized) struct CrawlCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    /// Starts the server; returns it and its port.
    func serve() throws -> (Process, Int) {
        let process = Process()
        process.executableURL = Tool.productsDirectory.appendingPathComponent("beian-datagen")
        process.arguments = ["serve", "--warc", sample.appendingPathComponent("homepages/homepages.warc.gz").path, "--port", "0"]
        let out = Pipe()
        process.standardOutput = out
        // Not the test's own output: a server left behind must not hold its pipes open.
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        let port = text.split(separator: ":").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
        return (process, try #require(port, "server said: \(text)"))
    }

    func stop(_ server: Process) {
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }

    @Test func theCrawlAuditsLikeTheGeneratorsCrawl() throws {
        let (server, port) = try serve()
        defer { stop(server) }
        let directory = try Fixtures.temporaryDirectory()
        let truth = try String(contentsOf: sample.appendingPathComponent("truth/homepages.jsonl"), encoding: .utf8)
        var hosts: [String] = []
        for (k, line) in truth.split(separator: "\n").enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let host = try #require(object["host"] as? String)
            // Every third www host is asked by its bare domain, which redirects.
            hosts.append(k % 3 == 0 && host.hasPrefix("www.") ? String(host.dropFirst(4)) : host)
        }
        let list = directory.appendingPathComponent("hosts.txt")
        try Data((hosts.joined(separator: "\n") + "\n# a comment\nno-such-host.example.cn\n").utf8).write(to: list)
        let warc = directory.appendingPathComponent("crawl.warc.gz").path
        let crawl = try Tool.run(
            "beian", ["crawl", "--hosts-file", list.path, "--proxy", "127.0.0.1:\(port)", "--out", warc, "--cert", "--politeness", "0"])
        #expect(crawl.status == 0, "\(crawl.stderr)")
        #expect(crawl.stderr.contains("\(hosts.count + 1) hosts, \(hosts.count + 1) answered"), "\(crawl.stderr)")
        #expect(crawl.stderr.contains("bazs.cert"))

        // Every hop and the certificates are in the WARC, as records other tools read.
        let read = try Tool.run("beian", ["homepages", "--json", warc])
        #expect(read.status == 0)
        #expect(read.stderr.contains("pages \(hosts.count),"), "\(read.stderr)")
        #expect(read.stdout.contains("\"cert_number\""))

        let index = try ScanCommandTests().index()
        let findings = directory.appendingPathComponent("findings.jsonl").path
        let scan = try Tool.run("beian", ["scan", "--index", index, "--output", findings, warc])
        #expect(scan.status == 0, "\(scan.stderr)")
        let score = try Tool.run(
            "beian-datagen",
            [
                "score", "--truth", sample.appendingPathComponent("truth").path, "--findings", findings, "--truth-file",
                "findings-homepages.jsonl", "--require-perfect",
            ])
        #expect(score.status == 0, "\(score.stdout)")
    }

    /// `beian scan --crawl`: the hosts the captures showed are crawled after the captures and
    /// audited in the same run — every finding kind of traffic and homepages at once, as the
    /// truth has them.
    @Test func aScanCrawlsTheHostsItSawAndAuditsThemInTheSameRun() throws {
        let (server, port) = try serve()
        defer { stop(server) }
        let directory = try Fixtures.temporaryDirectory()
        let findings = directory.appendingPathComponent("findings.jsonl").path
        let kept = directory.appendingPathComponent("observed.warc.gz").path
        let scan = try Tool.run(
            "beian",
            [
                "scan", "--index", try ScanCommandTests().index(), "--geoip", sample.appendingPathComponent("geo/country.mmdb").path,
                "--coverage-file", sample.appendingPathComponent("truth/coverage.txt").path, "-o", findings, "--crawl",
                "--crawl-proxy", "127.0.0.1:\(port)", "--crawl-out", kept,
                sample.appendingPathComponent("traffic/access-link.pcap").path,
                sample.appendingPathComponent("traffic/mobile-core.pcapng").path,
            ])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(scan.stderr.contains("crawl: ") && scan.stderr.contains("homepages: "), "\(scan.stderr)")
        #expect(FileManager.default.fileExists(atPath: kept))
        let score = try Tool.run(
            "beian-datagen",
            [
                "score", "--truth", sample.appendingPathComponent("truth").path, "--findings", findings, "--truth-file", "findings.jsonl",
                "--truth-file", "findings-homepages.jsonl", "--require-perfect",
            ])
        #expect(score.status == 0, "\(score.stdout)")
    }

    @Test func limitsAndFailuresAreReported() throws {
        let (server, port) = try serve()
        defer { stop(server) }
        let directory = try Fixtures.temporaryDirectory()
        let warc = directory.appendingPathComponent("small.warc.gz").path
        // A body limit smaller than every page: each is cut and marked; a closed port answers nothing.
        let crawl = try Tool.run(
            "beian",
            ["crawl", "www.tearuifeng2.com", "--proxy", "127.0.0.1:\(port)", "--out", warc, "--max-body", "100", "--politeness", "0"])
        #expect(crawl.status == 0, "\(crawl.stderr)")
        #expect(crawl.stderr.contains("1 cut at the size limit"), "\(crawl.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: warc))
        #expect(!bytes.isEmpty)
        let refused = try Tool.run(
            "beian", ["crawl", "www.tearuifeng2.com", "--proxy", "127.0.0.1:1", "--out", warc, "--timeout", "2", "--politeness", "0"])
        #expect(refused.status == 0)
        #expect(refused.stderr.contains("0 answered"), "\(refused.stderr)")
        #expect(refused.stderr.contains("no answer: 1 hosts"), "\(refused.stderr)")
        let usage = try Tool.run("beian", ["crawl", "--out", warc])
        #expect(usage.status != 0)
    }
}
