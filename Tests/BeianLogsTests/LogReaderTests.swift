import BeianCore
import BeianLogs
import BeianTestSupport
import Foundation
import Testing

@Suite struct LogReaderTests {
    func read(_ text: String, name: String = "x.log", options: LogOptions = LogOptions(), gzip: Bool = false) throws -> (
        [Observation], InputReport
    ) {
        let url = try Fixtures.temporaryDirectory().appendingPathComponent(name)
        var bytes = Array(text.utf8)
        if gzip { bytes = try #require(Compression.compress(bytes)) }
        try Data(bytes).write(to: url)
        var seen: [Observation] = []
        let report = LogReader.read(path: url.path, options: options) { seen += $0 }
        return (seen, report)
    }

    let zeekHeader = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tdns
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tanswers
        #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tvector[string]

        """

    @Test func zeekDNSBindsCNAMEChainsAndCountsBadLines() throws {
        let text =
            zeekHeader
            + "1772380502.5\tC1\t10.0.0.5\t5353\t10.0.0.1\t53\ttcp\tWWW.A.CN\tcdn.b.net,1.2.3.4,2400:da00::1\n"
            + "1772380503\tC2\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\tnoanswer.cn\t-\n"
            + "garbage\n"
            + "1772380504\tC3\tnot-an-address\t5353\t10.0.0.1\t53\tudp\tq.cn\t1.1.1.1\n"
        let (seen, report) = try read(text, name: "dns.log.gz", gzip: true)
        #expect(report.format == "zeek")
        #expect(
            Set(seen.map { "\($0.host) \($0.address)" }) == [
                "www.a.cn 1.2.3.4", "cdn.b.net 1.2.3.4", "www.a.cn 2400:da00::1", "cdn.b.net 2400:da00::1",
            ])
        #expect(seen.allSatisfy { $0.transport == .tcp && $0.port == 0 && $0.source.position == .line(8) })
        #expect(seen.first?.nanoseconds == 1_772_380_502_500_000_000)
        #expect(report.counters["records"] == 4)
        #expect(report.counters["without a host or server"] == 1)
        #expect(report.rejected.total == 2)
        #expect(report.issues.first?.position == .line(10))
        #expect(report.issues.last?.position == .line(11))
    }

    /// Found by fuzz-zeek: ten digits of seconds (up to the year 2286) overflowed 64 bits of
    /// nanoseconds, which end in 2262. Such a time is refused with its line, not a trap.
    @Test func aTimeBeyond2262IsRejectedNotATrap() throws {
        let text =
            zeekHeader
            + "9999999999.5\tC1\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\tfar.cn\t1.2.3.4\n"
            + "9223372036.854775807\tC2\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\tedge.cn\t1.2.3.4\n"
            + "9223372036.854775808\tC3\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\tpast.cn\t1.2.3.4\n"
        let (seen, report) = try read(text)
        #expect(seen.map(\.host) == ["edge.cn"])
        #expect(seen.first?.nanoseconds == .max)
        #expect(report.rejected.total == 2)
    }

    @Test func zeekJSONHTTPThroughAProxyAndSSLOverQUIC() throws {
        let text = """
            {"ts":1772380770.621868,"uid":"C","id.orig_h":"10.0.0.7","id.orig_p":5000,"id.resp_h":"10.0.0.9","id.resp_p":3128,"method":"GET","host":"Origin.cn:8080","uri":"http://origin.cn:8080/"}
            {"ts":1772380771.0,"uid":"D","id.orig_h":"10.0.0.7","id.orig_p":5001,"id.resp_h":"1.2.3.4","id.resp_p":443,"server_name":"h3.example.cn","next_protocol":"h3"}
            {"ts":1772380772,"uid":"E","id.orig_h":"10.0.0.7","id.resp_h":"1.2.3.4","id.resp_p":443,"server_name":"tls.example.cn"}
            {"broken
            """
        let (seen, report) = try read(text, name: "mixed.json")
        #expect(report.format == "zeek-json")
        #expect(seen.map(\.host) == ["origin.cn", "h3.example.cn", "tls.example.cn"])
        #expect(seen.map(\.proxy) == [true, false, false])
        #expect(seen.map(\.appProtocol) == [.http, .quic, .tls])
        #expect(report.rejected.total == 1)
    }

    /// Keys are matched on their bytes: the last of a repeated key counts, `_path` names the
    /// log before the file name does, a file named otherwise is told by its keys, and a key
    /// with an empty array has no value.
    @Test func zeekJSONKeysAsAJSONReaderReadsThem() throws {
        let text = """
            {"ts":1772380770,"id.orig_h":"10.0.0.7","id.resp_h":"1.2.3.4","host":"first.cn","host":"last.cn"}
            {"_path":"dns","ts":1772380771,"id.orig_h":"10.0.0.7","id.resp_h":"10.0.0.1","proto":"tcp","query":"Q.example.cn","answers":["cdn.example.net","1.2.3.5","2400:da00::6"]}
            {"ts":1772380772,"id.orig_h":"10.0.0.7","id.resp_h":"1.2.3.4","client_initial_dcid":"ab","server_name":"quic.example.cn"}
            {"ts":[],"id.orig_h":"10.0.0.7","id.resp_h":"1.2.3.4","host":"a.cn"}
            {"ts":1772380773,"id.orig_h":"10.0.0.7","id.resp_h":"1.2.3.4","server_name":"bad host.cn"}
            {"ts":"2026-03-02 00:00:00","id.orig_h":"10.0.0.7","id.resp_h":"1.2.3.4","server_name":"iso.example.cn","id.resp_p":8443}
            {"ts":1772380774,"id.orig_h":"10.0.0.7","id.resp_h":"1.2.3.4","uid":"C"}
            """
        let (seen, report) = try read(text, name: "events.json")
        #expect(
            seen.map(\.host) == [
                "last.cn", "q.example.cn", "q.example.cn", "cdn.example.net", "cdn.example.net", "quic.example.cn", "iso.example.cn",
            ])
        #expect(seen.map(\.appProtocol) == [.http, .dns, .dns, .dns, .dns, .quic, .tls])
        #expect(seen[1].transport == .tcp && seen[5].transport == .udp)
        #expect(seen.last?.port == 8443)
        #expect(report.rejected.total == 3)
        #expect(report.rejected["bad or missing ts"] == 1)
        #expect(report.rejected["bad host"] == 1)
        #expect(report.rejected["not an http, ssl, quic or dns record"] == 1)
        #expect(seen.last?.time == (try Timestamp.parse("2026-03-02 00:00:00")))
    }

    @Test func webSquidAndDnsmasq() throws {
        let web = "www.a.cn:8080 10.0.0.5 - - [02/Mar/2026:00:02:33 +0800] \"GET / HTTP/1.1\" 200 39 \"-\" \"Mozilla/5.0 (X11)\"\n"
        var options = LogOptions()
        options.server = IPAddress("1.2.3.4")
        let (vhost, _) = try read(web, options: options)
        #expect(vhost.first?.host == "www.a.cn")
        #expect(vhost.first?.port == 8080)
        #expect(vhost.first?.time == (try Timestamp.parse("2026-03-02 00:02:33")))
        let combined = "10.0.0.5 - - [02/Mar/2026:00:02:33 +0800] \"GET / HTTP/1.1\" 200 39 \"-\" \"curl\"\n"
        options.vhost = "site.cn"
        #expect(try read(combined, options: options).0.map(\.host) == ["site.cn"])
        let (_, refused) = try read(combined)
        #expect(refused.failure?.description.contains("--vhost") == true)

        let squid = """
            1772380770.621    168 10.0.0.7 TCP_MISS/200 3177 GET http://a.cn:8080/x - HIER_DIRECT/1.2.3.4 text/html
            1772380787.175    256 10.0.0.7 TCP_TUNNEL/200 828 CONNECT b.cn:443 - HIER_DIRECT/1.2.3.5 -
            1772380788.000      1 10.0.0.7 TCP_HIT/200 828 GET http://c.cn/ - HIER_NONE/- text/html
            """
        let (proxied, report) = try read(squid)
        #expect(report.format == "squid")
        #expect(proxied.map { "\($0.host):\($0.port) \($0.address)" } == ["a.cn:8080 1.2.3.4", "b.cn:443 1.2.3.5"])
        #expect(report.counters["without a host or server"] == 1)

        let dnsmasq = """
            Mar  1 23:55:02 gw dnsmasq[77]: query[A] www.a.cn from 10.0.0.5
            Mar  1 23:55:02 gw dnsmasq[77]: forwarded www.a.cn to 8.8.8.8
            Mar  1 23:55:02 gw dnsmasq[77]: reply www.a.cn is <CNAME>
            Mar  1 23:55:02 gw dnsmasq[77]: reply cdn.b.net is 1.2.3.4
            Mar  1 23:55:03 gw sshd[8]: unrelated
            """
        options = LogOptions()
        options.year = 2026
        let (resolved, dnsReport) = try read(dnsmasq, options: options)
        #expect(dnsReport.format == "dnsmasq")
        #expect(
            resolved.map { "\($0.host) \($0.address) \($0.client?.description ?? "-")" } == [
                "www.a.cn 1.2.3.4 10.0.0.5", "cdn.b.net 1.2.3.4 10.0.0.5",
            ])
        #expect(resolved.first?.time == (try Timestamp.parse("2026-03-01 23:55:02")))
    }

    @Test func mappedCSVAndJSONLines() throws {
        var options = LogOptions()
        options.format = .mapped
        options.mapping = try FieldMapping(parsing: "host=domain, ip=server, time=seen, port=p")
        let csv = "\u{FEFF}seen,domain,server,p\n2026-03-01 23:55:00,\"a.cn\",1.2.3.4,8443\n1772380500.5,b.cn,bad,80\n"
        let (rows, report) = try read(csv, options: options)
        #expect(rows.map(\.host) == ["a.cn"])
        #expect(rows.first?.port == 8443)
        #expect(report.rejected.total == 1)
        let jsonl = "{\"domain\":\"c.cn\",\"server\":\"1.2.3.5\",\"seen\":1772380500}\n"
        #expect(try read(jsonl, options: options).0.map(\.host) == ["c.cn"])
        #expect(throws: ValueError.self) { try FieldMapping(parsing: "host=a") }
        // A header that lacks every mapped column is one line refused once, naming them all
        // (it was refused once per column: more refusals than lines; found by fuzz-access-log).
        let (none, lacking) = try read("ts,name\n1772380500,a.cn\n", options: options)
        #expect(none.isEmpty)
        #expect(lacking.rejected.total == 1)
        #expect(lacking.rejected.total <= lacking.read)
        #expect(lacking.issues.first?.description.contains("\"domain\", \"server\", \"seen\"") == true)
    }

    @Test func unknownFormatsAreRefusedWithAReason() throws {
        let (_, report) = try read("just some text\n")
        #expect(report.failure?.code == .unsupported)
    }
}

@Suite struct LogFuzzTests {
    /// Lines of random bytes (biased towards digits, separators and the formats' punctuation)
    /// under every format: counted, never a crash.
    @Test(arguments: LogFormat.allCases)
    func randomLinesNeverCrash(format: LogFormat) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(format.rawValue.utf8.count)
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let alphabet = Array("0123456789.:-/[]\"\t ,{}abcdefxX\\#=<>".utf8) + [0xE4, 0xB8, 0xAD, 0x00, 0xFF]
        var text = format == .zeekTSV ? "#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tid.resp_h\tquery\tanswers\n" : ""
        if format == .mapped { text += "a,b,c\n" }
        for _ in 0..<3000 {
            let length = Int(next() % 120)
            text += String(decoding: (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }, as: UTF8.self) + "\n"
        }
        var options = LogOptions()
        options.format = format
        options.vhost = "a.cn"
        options.server = IPAddress("1.2.3.4")
        options.year = 2026
        options.mapping = try FieldMapping(parsing: "host=a,ip=b,time=c")
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("fuzz.log")
        try Data(text.utf8).write(to: url)
        let report = LogReader.read(path: url.path, options: options) { _ in }
        #expect(report.read >= 3000)
    }

    /// More observations in one chunk than a batch holds: they are handed on in batches while
    /// the chunk is read, in order, none lost (and no overlapping access in debug builds).
    @Test func largeChunksAreHandedOnInBatches() throws {
        var text = LogReaderTests().zeekHeader
        for n in 0..<10_000 {
            text += "\(1_772_380_500 + n).5\tC\(n)\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\th\(n).example.cn\t1.2.\(n / 250).\(n % 250)\n"
        }
        var batches: [Int] = []
        var hosts: [String] = []
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("dns.log")
        try Data(text.utf8).write(to: url)
        let report = LogReader.read(path: url.path, options: LogOptions()) { batch in
            batches.append(batch.count)
            hosts += batch.map(\.host)
        }
        #expect(report.observations == 10_000 && hosts.count == 10_000)
        #expect(hosts == (0..<10_000).map { "h\($0).example.cn" })
        #expect(batches.count >= 3 && batches.allSatisfy { $0 <= 4096 })
    }
}
