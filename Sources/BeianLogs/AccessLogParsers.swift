import BeianCore

/// Months of the `[02/Mar/2026:00:02:33 +0800]` and syslog times.
private let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

private func month(_ bytes: UnsafeRawBufferPointer) -> Int? {
    guard bytes.count == 3 else { return nil }
    let text = Fields.string(bytes)
    return monthNames.firstIndex(of: text).map { $0 + 1 }
}

/// nginx/Apache access logs: `vhost_combined` (`host:port client ident user [time] "request"
/// status bytes "referer" "agent"`) and `combined` (the same without the first field; the host
/// is given). The server's address is the web server's own, given or taken from the path.
struct WebLogParser: LineParser {
    let file: String
    let vhost: String?
    let server: IPAddress?
    private var words: [Range<Int>] = []

    init(path: String, vhost: String?, server: IPAddress?) {
        file = path
        self.vhost = vhost
        self.server = server
    }

    /// A directory of the path named like an address (`logs/web/101.69.16.14/access.log`).
    static func serverFromPath(_ path: String) -> IPAddress? {
        path.split(separator: "/").dropLast().reversed().lazy.compactMap { IPAddress.parseLiteral($0) }.first
    }

    mutating func line(_ line: UnsafeRawBufferPointer, number: Int, into observations: inout [Observation], report: inout LineTally) {
        guard !line.isEmpty else { return }
        report.records += 1
        guard let server else {
            report.reject(number, "no server address for this web log: give it with --server")
            return
        }
        guard Fields.words(line, into: &words) else {
            report.reject(number, "unterminated quoted or bracketed field")
            return
        }
        let offset = vhost == nil ? 1 : 0
        guard words.count >= 5 + offset else {
            report.reject(number, "too few fields for the combined format", "\(words.count) fields")
            return
        }
        var host: String
        var port: UInt16 = 80
        if let vhost {
            host = vhost
        } else {
            let authority = Fields.slice(line, words[0])
            guard let name = Fields.host(authority) else {
                report.reject(number, "bad virtual host", JSONText.quoted(String(Fields.string(authority).prefix(80))))
                return
            }
            host = name
            if let colon = authority.lastIndex(of: 0x3A), let value = Fields.integer(Fields.slice(authority, (colon + 1)..<authority.count))
            {
                port = UInt16(clamping: value)
            }
        }
        guard let client = Fields.address(Fields.slice(line, words[offset])) else {
            report.reject(number, "bad client address")
            return
        }
        guard let time = Self.time(Fields.slice(line, words[offset + 3])) else {
            report.reject(number, "bad time", "[\(Fields.string(Fields.slice(line, words[offset + 3])))]")
            return
        }
        if host == "-" || host.isEmpty {
            report.withoutObservation += 1
            return
        }
        host = host.lowercased()
        observations.append(
            Observation(
                nanoseconds: time, host: host, address: server, port: port, transport: .tcp, appProtocol: .http, client: client,
                source: .init(file: file, position: .line(UInt64(number)))))
    }

    /// `02/Mar/2026:00:02:33 +0800` in nanoseconds.
    static func time(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard bytes.count >= 26, bytes[2] == 0x2F, bytes[6] == 0x2F, bytes[11] == 0x3A, bytes[20] == 0x20 else { return nil }
        guard let day = Fields.integer(Fields.slice(bytes, 0..<2)), let month = month(Fields.slice(bytes, 3..<6)),
            let year = Fields.integer(Fields.slice(bytes, 7..<11)), let hour = Fields.integer(Fields.slice(bytes, 12..<14)),
            let minute = Fields.integer(Fields.slice(bytes, 15..<17)), let second = Fields.integer(Fields.slice(bytes, 18..<20)),
            let zone = Fields.integer(Fields.slice(bytes, 22..<26)), bytes[21] == 0x2B || bytes[21] == 0x2D,
            (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        let offset = Int64((zone / 100) * 3600 + (zone % 100) * 60) * (bytes[21] == 0x2D ? -1 : 1)
        let days = Int64(Timestamp.daysFromCivil(year: year, month: month, day: day))
        return Fields.nanoseconds(seconds: days * 86400 + Int64(hour * 3600 + minute * 60 + second) - offset)
    }
}

/// Squid's native access log: `time elapsed client code/status bytes method URL ident
/// hierarchy/server type`. The server reached is in the hierarchy field (`HIER_DIRECT/addr`);
/// requests Squid answered itself (`HIER_NONE/-`) reached none.
struct SquidParser: LineParser {
    let file: String
    private var words: [Range<Int>] = []

    init(path: String) { file = path }

    mutating func line(_ line: UnsafeRawBufferPointer, number: Int, into observations: inout [Observation], report: inout LineTally) {
        guard !line.isEmpty else { return }
        report.records += 1
        Fields.split(line, by: 0x20, into: &words)
        words.removeAll { $0.isEmpty }
        guard words.count >= 10 else {
            report.reject(number, "not 10 fields as the native format has", "\(words.count) fields")
            return
        }
        guard let time = Fields.epoch(Fields.slice(line, words[0])) else {
            report.reject(number, "bad time")
            return
        }
        guard let client = Fields.address(Fields.slice(line, words[2])) else {
            report.reject(number, "bad client address")
            return
        }
        let method = Fields.slice(line, words[5])
        let url = Fields.slice(line, words[6])
        let hierarchy = Fields.slice(line, words[8])
        guard let slash = hierarchy.firstIndex(of: 0x2F),
            let server = Fields.address(Fields.slice(hierarchy, (slash + 1)..<hierarchy.count))
        else {
            report.withoutObservation += 1  // answered from the cache or refused: no server reached
            return
        }
        var authority = url
        var port: UInt16 = 80
        if Fields.equals(method, "CONNECT") {
            port = 443
        } else if let scheme = url.firstIndex(of: 0x3A), scheme + 2 < url.count, url[scheme + 1] == 0x2F, url[scheme + 2] == 0x2F {
            if Fields.string(Fields.slice(url, 0..<scheme)).lowercased() == "https" { port = 443 }
            var end = scheme + 3
            while end < url.count && url[end] != 0x2F && url[end] != 0x3F { end += 1 }
            authority = Fields.slice(url, (scheme + 3)..<end)
        } else {
            report.withoutObservation += 1
            return
        }
        if let colon = authority.lastIndex(of: 0x3A), authority.first != 0x5B || authority[colon - 1] == 0x5D,
            let value = Fields.integer(Fields.slice(authority, (colon + 1)..<authority.count))
        {
            port = UInt16(clamping: value)
        }
        guard let host = Fields.host(authority) else {
            report.reject(number, "bad host in the URL", JSONText.quoted(String(Fields.string(url).prefix(80))))
            return
        }
        observations.append(
            Observation(
                nanoseconds: time, host: host, address: server, port: port, transport: .tcp, appProtocol: .http, client: client,
                source: .init(file: file, position: .line(UInt64(number)))))
    }
}

/// dnsmasq's query log in syslog form: `Mar  1 23:55:02 dnsmasq[77]: query[A] a.cn from
/// 10.0.0.5`, then `reply a.cn is <CNAME>`, `reply b.net is 1.2.3.4` (or `cached …`,
/// `forwarded …`). A reply binds its name, and the names of the CNAME chain before it, to the
/// address; the client is the one that last asked for the chain's first name. Syslog times
/// have no year and no zone: the year is given, the zone is China time.
struct DnsmasqParser: LineParser {
    let file: String
    let year: Int
    /// The client of each name asked recently (bounded).
    private var clients: [String: IPAddress] = [:]
    private var chain: [String] = []
    /// The last reply was `<CNAME>`: the next reply's name continues the chain.
    private var afterAlias = false
    static let maximumClients = 65_536

    init(path: String, year: Int) {
        file = path
        self.year = year
    }

    mutating func line(_ line: UnsafeRawBufferPointer, number: Int, into observations: inout [Observation], report: inout LineTally) {
        guard !line.isEmpty else { return }
        let text = Fields.string(line)
        guard let tag = Self.programTag(text), let colon = text[tag...].firstIndex(of: ":") else {
            return  // another program's syslog line
        }
        report.records += 1
        let message = text[text.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
        guard let verb = message.first else { return }
        if verb.hasPrefix("query[") {
            guard message.count >= 4, message[2] == "from", let client = IPAddress.parseLiteral(message[3]),
                let name = Array(message[1].utf8).withUnsafeBytes({ HostName.normalise($0) })
            else {
                report.reject(number, "bad query line")
                return
            }
            if clients.count >= Self.maximumClients { clients.removeAll(keepingCapacity: true) }
            clients[name] = client
            chain = [name]
            afterAlias = false
            return
        }
        guard verb == "reply" || verb == "cached", message.count >= 4, message[2] == "is" else {
            report.withoutObservation += 1  // forwarded, config, DHCP…
            return
        }
        guard let name = Array(message[1].utf8).withUnsafeBytes({ HostName.normalise($0) }) else {
            report.reject(number, "bad name")
            return
        }
        let answer = message[3]
        if !chain.contains(name) {
            if afterAlias { chain.append(name) } else { chain = [name] }
        }
        afterAlias = answer == "<CNAME>"
        guard let address = IPAddress.parseLiteral(answer) else {
            // <CNAME>, NXDOMAIN, NODATA: nothing to bind (a CNAME continues the chain).
            if !afterAlias { report.withoutObservation += 1 }
            return
        }
        guard let time = time(text[..<tag]) else {
            report.reject(number, "bad syslog time")
            return
        }
        let client = chain.first.flatMap { clients[$0] }
        for bound in chain.prefix(through: chain.firstIndex(of: name) ?? chain.count - 1) {
            observations.append(
                Observation(
                    nanoseconds: time, host: bound, address: address, port: 0, transport: .udp, appProtocol: .dns, client: client,
                    source: .init(file: file, position: .line(UInt64(number)))))
        }
    }

    /// Where ` dnsmasq[` or ` dnsmasq:` starts in a syslog line.
    static func programTag(_ text: String) -> String.Index? {
        var index = text.startIndex
        while let space = text[index...].firstIndex(of: " ") {
            let rest = text[text.index(after: space)...]
            if rest.hasPrefix("dnsmasq[") || rest.hasPrefix("dnsmasq:") { return space }
            index = text.index(after: space)
        }
        return nil
    }

    /// `Mar  1 23:55:02` (China time, in `year`).
    private func time(_ text: Substring) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 3, let monthIndex = monthNames.firstIndex(of: String(parts[0])), let day = Int(parts[1]) else { return nil }
        let clock = parts[2].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]), (1...31).contains(day)
        else { return nil }
        let days = Int64(Timestamp.daysFromCivil(year: year, month: monthIndex + 1, day: day))
        return Fields.nanoseconds(seconds: days * 86400 + Int64(hour * 3600 + minute * 60 + second) - Timestamp.chinaOffsetSeconds)
    }
}
