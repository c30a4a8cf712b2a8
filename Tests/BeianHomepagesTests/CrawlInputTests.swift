import BeianCore
import BeianHomepages
import BeianTestSupport
import Foundation
import Testing

/// WARC and ARC files written here by hand: layouts, offsets, damage; `bazs.cert`.
@Suite struct CrawlInputTests {
    static func record(_ type: String, uri: String?, block: [UInt8], contentType: String = "application/http;msgtype=response") -> [UInt8] {
        var head = "WARC/1.1\r\nWARC-Type: \(type)\r\nWARC-Record-ID: <urn:uuid:\(UUID().uuidString.lowercased())>\r\n"
        head += "WARC-Date: 2026-03-01T04:00:00Z\r\n"
        if let uri { head += "WARC-Target-URI: \(uri)\r\nWARC-IP-Address: 115.236.16.7\r\n" }
        head += "Content-Type: \(contentType)\r\nContent-Length: \(block.count)\r\n\r\n"
        return Array(head.utf8) + block + Array("\r\n\r\n".utf8)
    }

    static func response(_ html: String, charset: String = "utf-8") -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\(charset)\r\n\r\n".utf8) + Array(html.utf8)
    }

    static let pages = [
        record("warcinfo", uri: nil, block: Array("software: test\r\n".utf8), contentType: "application/warc-fields"),
        record("request", uri: "http://a.example.cn/", block: Array("GET / HTTP/1.1\r\nHost: a.example.cn\r\n\r\n".utf8)),
        record("response", uri: "http://a.example.cn/", block: response("<p>浙ICP备12345678号</p>")),
        record("revisit", uri: "http://a.example.cn/", block: []),
        record(
            "response", uri: "http://a.example.cn/logo.png",
            block: Array("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\u{89}PNG".utf8)),
        record("resource", uri: "https://b.example.cn/index.html", block: Array("<p>浙ICP备87654321号-2</p>".utf8), contentType: "text/html"),
    ]

    func items(_ path: String) throws -> ([CrawledPage], InputReport) {
        var pages: [CrawledPage] = []
        let report = CrawlInput.read(path) { item in
            if case .page(let page) = item { pages.append(page) }
        }
        return (pages, report)
    }

    @Test func everyLayoutGivesThePagesWithTheirOffsets() throws {
        let directory = try Fixtures.temporaryDirectory()
        // Gzip per record: offsets are the members' in the file, as CDX indexes give them.
        var perRecord: [UInt8] = []
        var offsets: [Int] = []
        for record in Self.pages {
            offsets.append(perRecord.count)
            perRecord += try #require(Compression.compress(record))
        }
        let plain = Self.pages.flatMap { $0 }
        let whole = try #require(Compression.compress(plain))
        let files = [("per-record.warc.gz", perRecord), ("plain.warc", plain), ("whole.warc.gz", whole)]
        for (name, bytes) in files {
            let path = directory.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(InputKind.detect(path: path) == .crawl)
            let (pages, report) = try items(path)
            let counts = report.counters
            #expect(report.read == 6 && counts["pages"] == 2 && counts["revisits"] == 1 && counts["other responses"] == 1, "\(name)")
            // Nothing read goes uncounted.
            #expect(counts["without a response"] == 2)
            #expect(report.read == counts.total + report.rejected.total)
            #expect(report.used == 2)
            #expect(pages.map(\.url) == ["http://a.example.cn/", "https://b.example.cn/index.html"], "\(name)")
            #expect(pages.allSatisfy { $0.isHomepage })
            #expect(pages[0].address == IPAddress("115.236.16.7"))
            #expect(pages[0].date == (try? Timestamp.parse("2026-03-01T04:00:00Z")))
            #expect(pages[1].reading?.numbers.first?.number?.normalized == "浙ICP备87654321号-2")
            switch name {
            case "per-record.warc.gz": #expect(pages.map(\.location) == ["offset \(offsets[2])", "offset \(offsets[5])"])
            case "plain.warc":
                let plainOffsets = Self.pages.indices.map { Self.pages[..<$0].reduce(0) { $0 + $1.count } }
                #expect(pages.map(\.location) == ["offset \(plainOffsets[2])", "offset \(plainOffsets[5])"])
            default: #expect(pages[0].location.hasSuffix("(decompressed)"))
            }
        }
    }

    @Test func damageIsReportedAndReadingGoesOn() throws {
        let directory = try Fixtures.temporaryDirectory()
        let garbage = Array("this is not a record\r\nnor this\r\n".utf8)
        var noLength = Self.record("response", uri: "http://x.example.cn/", block: Self.response("<p>x</p>"))
        let text = String(decoding: noLength, as: UTF8.self).replacingOccurrences(of: "Content-Length:", with: "Content-Size:")
        noLength = Array(text.utf8)
        let truncated = Array(
            Self.record("response", uri: "http://c.example.cn/", block: Self.response("<p>浙ICP备11112222号</p>")).dropLast(10))
        let bytes = Self.pages[2] + garbage + noLength + Self.pages[5] + truncated
        let path = directory.appendingPathComponent("damaged.warc").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (pages, report) = try items(path)
        #expect(pages.map(\.url) == ["http://a.example.cn/", "https://b.example.cn/index.html", "http://c.example.cn/"])
        #expect(report.rejected.total == 3)
        let problems = report.issues.map(\.description)
        #expect(problems.contains { $0.contains("no WARC/ version line") && $0.contains("damaged.warc: offset ") })
        #expect(problems.contains { $0.contains("no valid Content-Length") })
        #expect(problems.contains { $0.contains("file ends inside the record's block") })
    }

    /// Worker threads change nothing: over batches and a half of records, with damage and
    /// verdicts, and with a gzip file that breaks off mid-way (a read failure), two and three
    /// threads give one thread's pages, verdicts, counts, issues and failure, in its order.
    @Test func threadsChangeNothing() throws {
        let directory = try Fixtures.temporaryDirectory()
        var plain: [UInt8] = []
        for k in 0..<1_200 {
            plain += Self.record("request", uri: "http://s\(k).example.cn/", block: Array("GET / HTTP/1.1\r\n\r\n".utf8))
            let footer = k % 3 == 0 ? "<p>浙ICP备\(10_000_000 + k)号</p>" : "<p>site \(k)</p>"
            plain += Self.record("response", uri: "http://s\(k).example.cn/", block: Self.response(footer))
            if k % 97 == 5 { plain += Array("damage between records \(k)\r\n".utf8) }
        }
        let cut = try #require(Compression.compress(plain))
        let files = [("plain.warc", plain), ("cut.warc.gz", Array(cut.prefix(cut.count * 2 / 3)))]
        for (name, bytes) in files {
            let path = directory.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            func run(_ threads: Int) -> (items: [String], report: InputReport) {
                var items: [String] = []
                let report = CrawlInput.read(
                    path, threads: threads,
                    examine: { page in
                        HomepageJudgement(
                            kind: nil, detail: page.url, shown: page.reading?.numbers.first?.verbatim, siteNumber: "", sponsorNumber: nil,
                            independentDomain: page.host, provider: nil, siteSuffixDiffers: false)
                    },
                    each: { item, verdict in
                        guard case .page(let page) = item else { return }
                        items.append("\(page.url) \(page.location) \(verdict?.detail ?? "-") \(verdict?.shown ?? "-")")
                    })
                return (items, report)
            }
            let one = run(1)
            #expect(one.items.count > 2 * 256, "\(name): \(one.items.count) pages")
            #expect((one.report.failure != nil) == (name == "cut.warc.gz"))
            for threads in [2, 3] {
                let other = run(threads)
                #expect(other.items == one.items, "\(name), \(threads) threads")
                #expect(other.report.read == one.report.read && other.report.counters == one.report.counters)
                #expect(other.report.rejected == one.report.rejected)
                #expect(other.report.issues.map(\.description) == one.report.issues.map(\.description))
                #expect(other.report.failure?.description == one.report.failure?.description)
            }
        }
    }

    @Test func arcFilesAreReadAsWARC() throws {
        let directory = try Fixtures.temporaryDirectory()
        let page = Self.response("<p>浙ICP备12345678号</p>")
        let header = "1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
        var arc = Array("filedesc://test.arc 0.0.0.0 20140216050221 text/plain \(header.utf8.count)\n\(header)\n".utf8)
        let offset = arc.count
        arc += Array("http://a.example.cn/ 93.184.216.119 20140216050221 text/html \(page.count)\n".utf8) + page + [0x0A]
        let path = directory.appendingPathComponent("test.arc").path
        try Data(arc).write(to: URL(fileURLWithPath: path))
        let (pages, report) = try items(path)
        #expect(report.format == "arc" && report.read == 2 && report.rejected.total == 0)
        #expect(pages.map(\.location) == ["offset \(offset)"])
        #expect(pages.first?.date == (try? Timestamp.parse("2014-02-16T05:02:21Z")))
        #expect(pages.first?.reading?.numbers.first?.number?.normalized == "浙ICP备12345678号")
    }

    /// Found by fuzz-warc: each damaged ARC header line was skipped by calling the reader
    /// again, so a file of many such lines overflowed the stack.
    @Test func manyDamagedARCLinesAreSkippedWithoutRecursion() throws {
        let directory = try Fixtures.temporaryDirectory()
        let page = Self.response("<p>浙ICP备12345678号</p>")
        var arc = Array("filedesc://test.arc 0.0.0.0 20140216050221 text/plain 0\n".utf8)
        arc += Array(String(repeating: "not an ARC header\n", count: 200_000).utf8)
        arc += Array("http://a.example.cn/ 93.184.216.119 20140216050221 text/html \(page.count)\n".utf8) + page + [0x0A]
        let path = directory.appendingPathComponent("damaged.arc").path
        try Data(arc).write(to: URL(fileURLWithPath: path))
        let (pages, report) = try items(path)
        #expect(pages.map(\.url) == ["http://a.example.cn/"])
        #expect(report.rejected.total == 200_000)
    }

    @Test func aFolderWithoutPagesIsAClearFailure() throws {
        let directory = try Fixtures.temporaryDirectory()
        try Data("not a page".utf8).write(to: directory.appendingPathComponent("notes.txt"))
        let (pages, report) = try items(directory.path)
        #expect(pages.isEmpty)
        #expect(report.failure?.description.contains("this one has none") == true)
    }

    @Test func savedPagesWithAManifest() throws {
        let directory = try Fixtures.temporaryDirectory()
        try Data(GB18030Encoder.encode("<meta charset=gbk><p>浙ICP备12345678号</p>")).write(to: directory.appendingPathComponent("a.html"))
        try Data("www.a.example.cn\ta.html\nbroken line\n".utf8).write(to: directory.appendingPathComponent("manifest.tsv"))
        let (pages, report) = try items(directory.path)
        #expect(pages.map(\.host) == ["www.a.example.cn"])
        #expect(pages.first?.reading?.charset.encoding == .gb18030)
        #expect(report.rejected.total == 1 && report.issues.first?.description.contains("line 2") == true)
    }

    /// `bazs.cert` as the filing system issues it: DER, the number in GBK in the private
    /// extension 1.2.156.901372.310.5.1.
    @Test func theCertificateGivesItsNumber() throws {
        func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
            content.count < 128 ? [tag, UInt8(content.count)] + content : [tag, 0x81, UInt8(content.count)] + content
        }
        let oid: [UInt8] = [0x06, 0x0A, 0x2A, 0x81, 0x1C, 0xB7, 0x81, 0x7C, 0x82, 0x36, 0x05, 0x01]
        let number = GB18030Encoder.encode("浙ICP备12345678号-1")
        let extensions = tlv(0x30, tlv(0x30, oid + tlv(0x01, [0xFF]) + tlv(0x04, number)))
        let info = tlv(0x30, tlv(0x02, [0x01]) + tlv(0xA0, tlv(0x30, [])) + extensions)
        let der = tlv(0x30, info + tlv(0x30, [0x06, 0x01, 0x2A]) + tlv(0x03, [0x00, 0x01]))
        let certificate = try BazsCertificate(der: der)
        #expect(certificate.number?.normalized == "浙ICP备12345678号-1")
        #expect(throws: ValueError.self) { try BazsCertificate(der: Array(der.prefix(10))) }
        #expect(throws: ValueError.self) { try BazsCertificate(der: Array("not a certificate".utf8)) }
    }
}
