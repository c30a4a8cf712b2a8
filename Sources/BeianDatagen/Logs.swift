import BeianCore
import Foundation

/// The same visits as the logs of the tools that watch them: Zeek (`http.log`, `ssl.log`,
/// `dns.log`, as TSV and as JSON), the web servers' own access logs (nginx/Apache
/// `vhost_combined`, one directory per server address) and the Squid proxy's native log.
struct LogWriter {
    static let zeekTSV = ["logs/zeek/http.log", "logs/zeek/ssl.log", "logs/zeek/dns.log"]
    static let zeekJSON = ["logs/zeek-json/http.log", "logs/zeek-json/ssl.log", "logs/zeek-json/dns.log"]
    static let squid = "logs/squid/access.log"
    /// Web servers that keep their own logs: the busiest HTTP servers of the world.
    static let webServers = 4

    let scenario: Scenario
    var random: SeededRandom

    init(scenario: Scenario, seed: UInt64) {
        self.scenario = scenario
        random = SeededRandom(seed: seed ^ 0x6C6F_6773_0000_0001)
    }

    struct Output {
        var files: [String] = []
        /// Observations by input family: "zeek" (the TSV logs; the JSON ones hold the same),
        /// "web", "squid".
        var observations: [String: [Observation]] = [:]
    }

    private struct Table {
        var path: String
        var fields: [(name: String, type: String)]
        var rows: [[String]] = []
    }

    mutating func write(to directory: URL) throws -> Output {
        var output = Output()
        var http = Table(path: "http", fields: LogWriter.httpFields)
        var ssl = Table(path: "ssl", fields: LogWriter.sslFields)
        var dns = Table(path: "dns", fields: LogWriter.dnsFields)
        var zeekSeen: [[Observation]] = [[], [], []]
        var squidLines: [String] = []
        var squidSeen: [Observation] = []
        var webLines: [RegistryWorld.Address: [String]] = [:]
        var webSeen: [RegistryWorld.Address: [Observation]] = [:]
        var httpCounts: [RegistryWorld.Address: Int] = [:]
        for visit in scenario.visits where visit.proto == .http && !visit.proxy { httpCounts[visit.server, default: 0] += 1 }
        let webServers = Set(
            httpCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(LogWriter.webServers).map(\.key))

        func observation(
            _ visit: Scenario.Visit, _ host: String, _ address: RegistryWorld.Address, _ port: Int, _ time: Int64, _ file: String,
            _ line: Int
        )
            -> Observation
        {
            Observation(
                time: time, host: host, address: address, port: port,
                transport: visit.proto == .quic || (visit.proto == .dns && !visit.dnsOverTCP) ? "udp" : "tcp",
                // Logs do not say whether a hello carried ECH (Zeek's ssl.log has no such field).
                proto: visit.proto, client: visit.client, ech: false, proxy: visit.proxy, file: file, line: line)
        }

        for visit in scenario.visits {
            let uid = self.uid()
            let ts = LogWriter.epoch(visit.time)
            let ids = [visit.client.text, String(visit.clientPort), visit.server.text, String(visit.port)]
            switch visit.proto {
            case .http:
                let hosts = [visit.host] + (visit.connect ? [] : visit.pipelined.map { [$0] } ?? [])
                for (depth, host) in hosts.enumerated() {
                    let requestTime = visit.time + 60_000 + Int64(depth) * 150
                    let uri = visit.connect ? "\(host):443" : visit.proxy ? "http://\(host)/" : depth == 0 ? "/" : "/favicon.ico"
                    http.rows.append(
                        [LogWriter.epoch(requestTime), uid] + ids + [
                            String(depth + 1), visit.connect ? "CONNECT" : "GET", host, uri, "-", "1.1", random.pick(Payloads.userAgents),
                            "-", "0",
                            String(visit.serverBytes), "200", visit.connect ? "Connection established" : "OK", "-", "-", "(empty)", "-",
                            "-", "-",
                            "-", "-", "-", "-", "-", "-",
                        ])
                    zeekSeen[0].append(
                        observation(visit, host, visit.server, visit.port, requestTime, LogWriter.zeekTSV[0], http.rows.count + 8))
                    if visit.proxy, let origin = visit.origin {
                        let millis = requestTime / 1_000
                        let target = visit.connect ? "CONNECT \(host):443" : "GET http://\(host)/"
                        squidLines.append(
                            "\(millis / 1_000).\(String(format: "%03d", Int(millis % 1_000))) \(String(120 + Int(random.next() % 900)).leftPadded(6)) "
                                + "\(visit.client.text) \(visit.connect ? "TCP_TUNNEL/200" : "TCP_MISS/200") \(visit.serverBytes) "
                                + "\(target) - HIER_DIRECT/\(origin.text) \(visit.connect ? "-" : "text/html")")
                        var seen = observation(
                            visit, host, origin, visit.connect ? 443 : 80, millis * 1_000, LogWriter.squid, squidLines.count)
                        seen.proxy = false
                        squidSeen.append(seen)
                    } else if webServers.contains(visit.server) {
                        let authority = "\(host):\(visit.port)"
                        webLines[visit.server, default: []].append(
                            "\(authority) \(visit.client.text) - - [\(LogWriter.localTime(requestTime))] \"GET \(depth == 0 ? "/" : "/favicon.ico") HTTP/1.1\" 200 "
                                + "\(visit.serverBytes) \"-\" \"\(random.pick(Payloads.userAgents))\"")
                        let file = LogWriter.webLog(visit.server)
                        webSeen[visit.server, default: []].append(
                            observation(
                                visit, host, visit.server, visit.port, requestTime / 1_000_000 * 1_000_000, file,
                                webLines[visit.server, default: []].count))
                    }
                }
            case .tls, .quic:
                let version = visit.proto == .quic || visit.tls13 ? "TLSv13" : "TLSv12"
                ssl.rows.append(
                    [ts, uid] + ids + [
                        version, "TLS_AES_128_GCM_SHA256", visit.postQuantum ? "X25519MLKEM768" : "x25519", visit.host, "F",
                        "-", visit.proto == .quic ? "h3" : "h2", "T", "CsiI", "(empty)", "(empty)", "-",
                    ])
                zeekSeen[1].append(
                    observation(visit, visit.host, visit.server, visit.port, visit.time, LogWriter.zeekTSV[1], ssl.rows.count + 8))
            case .dns:
                let answers = visit.cnames + visit.answers.map(\.text)
                let v6 = visit.answers.first?.v6 ?? false
                dns.rows.append(
                    [ts, uid] + ids + [
                        visit.dnsOverTCP ? "tcp" : "udp", String(visit.dnsID), "0.001200", visit.host, "1", "C_INTERNET", v6 ? "28" : "1",
                        v6 ? "AAAA" : "A", "0", "NOERROR", "F", "F", "T", "T", "0", answers.joined(separator: ","),
                        answers.map { _ in "300.000000" }.joined(separator: ","), "F",
                    ])
                for name in [visit.host] + visit.cnames {
                    for address in visit.answers {
                        zeekSeen[2].append(observation(visit, name, address, 0, visit.time, LogWriter.zeekTSV[2], dns.rows.count + 8))
                    }
                }
            }
        }
        let tables = [http, ssl, dns]
        for (index, table) in tables.enumerated() {
            try save(directory, LogWriter.zeekTSV[index], tsv(table))
            try save(directory, LogWriter.zeekJSON[index], json(table))
        }
        output.files += LogWriter.zeekTSV + LogWriter.zeekJSON
        output.observations["zeek"] = zeekSeen.flatMap { $0 }
        try save(directory, LogWriter.squid, squidLines.map { $0 + "\n" }.joined())
        output.files.append(LogWriter.squid)
        output.observations["squid"] = squidSeen
        for server in webServers.sorted() {
            let file = LogWriter.webLog(server)
            try save(directory, file, (webLines[server] ?? []).map { $0 + "\n" }.joined())
            output.files.append(file)
            output.observations["web", default: []] += webSeen[server] ?? []
        }
        return output
    }

    static func webLog(_ server: RegistryWorld.Address) -> String {
        "logs/web/\(server.text.replacingOccurrences(of: ":", with: "_"))/access.log"
    }

    private func save(_ directory: URL, _ relative: String, _ text: String) throws {
        let url = directory.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    private mutating func uid() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return "C" + String((0..<17).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }

    /// Seconds since 1970 with six decimals, as Zeek writes `ts`.
    static func epoch(_ microseconds: Int64) -> String {
        let fraction = String(microseconds % 1_000_000)
        return "\(microseconds / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// `01/Mar/2026:23:55:00 +0800`, as nginx writes `$time_local` in China.
    static func localTime(_ microseconds: Int64) -> String {
        let iso = TruthWriter.time(microseconds)  // 2026-03-01T23:55:00.123456+08:00
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let year = iso.prefix(4)
        let month = months[(Int(iso.dropFirst(5).prefix(2)) ?? 1) - 1]
        let day = iso.dropFirst(8).prefix(2)
        let clock = iso.dropFirst(11).prefix(8)
        return "\(day)/\(month)/\(year):\(clock) +0800"
    }

    private func header(_ table: Table, open: String) -> [String] {
        [
            "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\t\(table.path)", "#open\t\(open)",
            "#fields\t" + table.fields.map(\.name).joined(separator: "\t"), "#types\t" + table.fields.map(\.type).joined(separator: "\t"),
        ]
    }

    private func tsv(_ table: Table) -> String {
        let open = LogWriter.zeekStamp(scenario.start)
        let close = LogWriter.zeekStamp(scenario.end)
        return (header(table, open: open) + table.rows.map { $0.joined(separator: "\t") } + ["#close\t\(close)"]).map { $0 + "\n" }.joined()
    }

    /// Zeek's JSON logs: one object per line, unset fields left out, sets and vectors as arrays.
    private func json(_ table: Table) -> String {
        table.rows.map { row in
            var parts: [String] = []
            for (index, field) in table.fields.enumerated() {
                let value = row[index]
                if value == "-" { continue }
                let text: String
                switch field.type {
                case "time", "count", "port", "interval":
                    text = field.type == "interval" ? String(Double(value) ?? 0) : value
                case "bool": text = value == "T" ? "true" : "false"
                default:
                    if field.type.hasPrefix("set") || field.type.hasPrefix("vector") {
                        let items = value == "(empty)" ? [] : value.split(separator: ",").map(String.init)
                        text =
                            "["
                            + items.map { field.type.contains("interval") ? String(Double($0) ?? 0) : JSONText.quoted($0) }.joined(
                                separator: ",") + "]"
                    } else {
                        text = JSONText.quoted(value)
                    }
                }
                parts.append("\(JSONText.quoted(field.name)):\(text)")
            }
            return "{" + parts.joined(separator: ",") + "}\n"
        }.joined()
    }

    /// `2026-03-01-23-55-00`, as Zeek stamps `#open` and `#close` (UTC).
    static func zeekStamp(_ microseconds: Int64) -> String {
        let iso = TruthWriter.time(microseconds - 8 * 3_600_000_000)
        return String(iso.prefix(19)).replacingOccurrences(of: "T", with: "-").replacingOccurrences(of: ":", with: "-")
    }

    static let connectionFields: [(String, String)] = [
        ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"), ("id.resp_p", "port"),
    ]
    static let httpFields: [(name: String, type: String)] =
        connectionFields + [
            ("trans_depth", "count"), ("method", "string"), ("host", "string"), ("uri", "string"), ("referrer", "string"),
            ("version", "string"),
            ("user_agent", "string"), ("origin", "string"), ("request_body_len", "count"), ("response_body_len", "count"),
            ("status_code", "count"), ("status_msg", "string"), ("info_code", "count"), ("info_msg", "string"), ("tags", "set[enum]"),
            ("username", "string"), ("password", "string"), ("proxied", "set[string]"), ("orig_fuids", "vector[string]"),
            ("orig_filenames", "vector[string]"), ("orig_mime_types", "vector[string]"), ("resp_fuids", "vector[string]"),
            ("resp_filenames", "vector[string]"), ("resp_mime_types", "vector[string]"),
        ]
    static let sslFields: [(name: String, type: String)] =
        connectionFields + [
            ("version", "string"), ("cipher", "string"), ("curve", "string"), ("server_name", "string"), ("resumed", "bool"),
            ("last_alert", "string"), ("next_protocol", "string"), ("established", "bool"), ("ssl_history", "string"),
            ("cert_chain_fps", "vector[string]"), ("client_cert_chain_fps", "vector[string]"), ("sni_matches_cert", "bool"),
        ]
    static let dnsFields: [(name: String, type: String)] =
        connectionFields + [
            ("proto", "enum"), ("trans_id", "count"), ("rtt", "interval"), ("query", "string"), ("qclass", "count"),
            ("qclass_name", "string"), ("qtype", "count"), ("qtype_name", "string"), ("rcode", "count"), ("rcode_name", "string"),
            ("AA", "bool"), ("TC", "bool"), ("RD", "bool"), ("RA", "bool"), ("Z", "count"), ("answers", "vector[string]"),
            ("TTLs", "vector[interval]"), ("rejected", "bool"),
        ]
}
