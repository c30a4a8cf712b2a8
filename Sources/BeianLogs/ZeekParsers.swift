import BeianCore

/// Which Zeek log a file is, by its `#path` (TSV), `_path` (JSON) or name.
enum ZeekLog {
    case http, ssl, quic, dns

    init?(path: String) {
        switch path {
        case "http": self = .http
        case "ssl": self = .ssl
        case "quic": self = .quic
        case "dns": self = .dns
        default: return nil
        }
    }

    /// From a file name: `dns.log`, `ssl.09:00:00-10:00:00.log.gz`, `http.json`.
    init?(fileName: String) {
        let base = fileName.split(separator: "/").last.map(String.init) ?? fileName
        guard let stem = base.split(separator: ".").first else { return nil }
        self.init(path: String(stem))
    }
}

/// Zeek's tab-separated logs: the `#separator`, `#set_separator`, `#empty_field`,
/// `#unset_field`, `#path` and `#fields` header lines say how to read the rest; values
/// escape bytes as `\xHH`. Reads `http.log` (host), `ssl.log` and `quic.log` (server_name)
/// and `dns.log` (query and answers: every name of a CNAME chain is bound to the addresses).
struct ZeekTSVParser: LineParser {
    let file: String
    private var separator: UInt8 = 0x09
    private var setSeparator: UInt8 = 0x2C
    private var unset: [UInt8] = [0x2D]
    private var empty: [UInt8] = Array("(empty)".utf8)
    private var log: ZeekLog?
    private var columns: [String: Int] = [:]
    private var fields: [Range<Int>] = []
    // Column indices of the fields used (-1: absent).
    private var ts = -1, origin = -1, responder = -1, responderPort = -1, host = -1, serverName = -1, query = -1, answers = -1,
        proto = -1, uri = -1, method = -1, nextProtocol = -1
    private var needed = 0
    /// Columns split per line: up to the last one read.
    private var splitLimit = 0

    init(path: String) {
        file = path
        log = ZeekLog(fileName: path)
    }

    mutating func line(_ line: UnsafeRawBufferPointer, number: Int, into observations: inout [Observation], report: inout LineTally) {
        if line.first == 0x23 {  // '#'
            header(line, number: number, report: &report)
            return
        }
        guard !line.isEmpty else { return }
        report.records += 1
        guard let log, needed > 0 else {
            report.reject(number, "a data line before the #fields header (or not an http, ssl, quic or dns log)")
            return
        }
        Fields.split(line, by: separator, into: &fields, limit: splitLimit)
        guard fields.count >= needed else {
            report.reject(
                number, "field count differs from the #fields header", "\(fields.count) fields, the header names \(columns.count)")
            return
        }
        guard let time = Fields.epoch(value(line, ts)) else {
            report.reject(number, "bad ts", quoted(line, ts))
            return
        }
        guard let client = Fields.address(value(line, origin)), let server = Fields.address(value(line, responder)) else {
            report.reject(number, "bad id.orig_h or id.resp_h")
            return
        }
        let source = Observation.Source(file: file, position: .line(UInt64(number)))
        switch log {
        case .http, .ssl, .quic:
            let port = UInt16(clamping: Fields.integer(value(line, responderPort)) ?? 0)
            let column = log == .http ? host : serverName
            let raw = value(line, column)
            guard !raw.isEmpty else {
                report.withoutObservation += 1
                return
            }
            guard let name = unescaped(raw, { Fields.host($0) }) else {
                report.reject(number, "bad host", quoted(line, column))
                return
            }
            // A request in absolute form or a CONNECT went to a proxy; a TLS session whose ALPN
            // is HTTP/3 ran over QUIC (Zeek logs QUIC handshakes in ssl.log too).
            let proxy = log == .http && (Fields.equals(value(line, method), "CONNECT") || ZeekFields.isAbsolute(value(line, uri)))
            let quic = log == .quic || (log == .ssl && ZeekFields.isHTTP3(value(line, nextProtocol)))
            observations.append(
                Observation(
                    nanoseconds: time, host: name, address: server, port: port, transport: quic ? .udp : .tcp,
                    appProtocol: log == .http ? .http : quic ? .quic : .tls, client: client, proxy: proxy, source: source))
        case .dns:
            let transport: Observation.Transport = proto >= 0 && Fields.equals(value(line, proto), "tcp") ? .tcp : .udp
            let name = value(line, query)
            // A query that is no host name (`*`, mDNS service names with spaces) is a valid
            // record with nothing to observe, as in the JSON reader.
            guard !name.isEmpty, let queried = unescaped(name, { HostName.normalise($0) }) else {
                report.withoutObservation += 1
                return
            }
            var names = [queried]
            var addresses: [IPAddress] = []
            let list = value(line, answers)
            if !list.isEmpty {
                var start = 0
                for index in 0...list.count where index == list.count || list[index] == setSeparator {
                    let item = Fields.slice(list, start..<index)
                    start = index + 1
                    if let address = Fields.address(item) {
                        addresses.append(address)
                    } else if let alias = HostName.normalise(item), !names.contains(alias) {
                        names.append(alias)  // a CNAME target
                    }
                }
            }
            ZeekFields.bind(
                names, to: addresses, time: time, transport: transport, client: client, source: source, into: &observations, report: &report
            )
        }
    }

    /// A field's bytes; empty for the unset and empty markers and absent columns.
    private func value(_ line: UnsafeRawBufferPointer, _ column: Int) -> UnsafeRawBufferPointer {
        guard column >= 0, column < fields.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let bytes = Fields.slice(line, fields[column])
        if Fields.equals(bytes, unset) || Fields.equals(bytes, empty) { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return bytes
    }

    private func quoted(_ line: UnsafeRawBufferPointer, _ column: Int) -> String {
        "\"" + Fields.string(value(line, column)).prefix(80) + "\""
    }

    /// `body` of `bytes` with Zeek's `\xHH` escapes undone (the bytes themselves when they
    /// hold no backslash, as nearly all do).
    private func unescaped<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        guard bytes.contains(0x5C) else { return body(bytes) }
        return unescaped(bytes).withUnsafeBytes(body)
    }

    /// Undoes Zeek's `\xHH` escapes.
    private func unescaped(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x5C, index + 3 < bytes.count, bytes[index + 1] == 0x78, let high = hex(bytes[index + 2]),
                let low = hex(bytes[index + 3])
            {
                out.append(high << 4 | low)
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }

    private mutating func header(_ line: UnsafeRawBufferPointer, number: Int, report: inout LineTally) {
        let text = Fields.string(line)
        if text.hasPrefix("#separator ") {
            let value = text.dropFirst("#separator ".count)
            if value.hasPrefix("\\x"), let byte = UInt8(value.dropFirst(2), radix: 16) {
                separator = byte
            } else if let byte = value.utf8.first {
                separator = byte
            }
            return
        }
        let parts = text.split(separator: Character(UnicodeScalar(separator)), omittingEmptySubsequences: false).map(String.init)
        guard let key = parts.first, parts.count >= 2 else { return }
        switch key {
        case "#set_separator": setSeparator = parts[1].utf8.first ?? 0x2C
        case "#empty_field": empty = Array(parts[1].utf8)
        case "#unset_field": unset = Array(parts[1].utf8)
        case "#path":
            if let named = ZeekLog(path: parts[1]) { log = named } else { log = nil }
        case "#fields":
            columns = [:]
            for (index, name) in parts.dropFirst().enumerated() { columns[name] = index }
            ts = columns["ts"] ?? -1
            origin = columns["id.orig_h"] ?? -1
            responder = columns["id.resp_h"] ?? -1
            responderPort = columns["id.resp_p"] ?? -1
            host = columns["host"] ?? -1
            serverName = columns["server_name"] ?? -1
            query = columns["query"] ?? -1
            answers = columns["answers"] ?? -1
            proto = columns["proto"] ?? -1
            uri = columns["uri"] ?? -1
            method = columns["method"] ?? -1
            nextProtocol = columns["next_protocol"] ?? -1
            let required: [Int]
            switch log {
            case .http: required = [ts, origin, responder, responderPort, host]
            case .ssl, .quic: required = [ts, origin, responder, responderPort, serverName]
            case .dns: required = [ts, origin, responder, query, answers]
            case nil: required = []
            }
            if required.contains(-1) || required.isEmpty {
                report.reject(
                    number,
                    "the #fields header lacks a column this log needs (ts, id.orig_h, id.resp_h, and host, server_name or query/answers)")
                needed = 0
            } else {
                needed = (required.max() ?? 0) + 1
            }
            splitLimit = max(needed, proto + 1, uri + 1, method + 1, nextProtocol + 1)
        default: return
        }
    }
}

/// Zeek's JSON logs: one object per line, the same fields as the TSV logs (`id.orig_h`…),
/// `ts` as seconds (or an ISO 8601 text), arrays for `answers`.
struct ZeekJSONParser: LineParser {
    let file: String
    private let fileLog: ZeekLog?
    /// The members read, in `Field` order; the rest of a record is passed over uncopied.
    private var object = FlatJSONObject(selecting: [
        "ts", "id.orig_h", "id.resp_h", "id.resp_p", "host", "server_name", "query", "answers", "proto", "_path", "client_initial_dcid",
        "uri", "method", "next_protocol",
    ])
    private enum Field: Int, CaseIterable {
        case ts, origH, respH, respP, host, serverName, query, answers, proto, path, dcid, uri, method, nextProtocol
    }

    init(path: String) {
        file = path
        fileLog = ZeekLog(fileName: path)
    }

    mutating func line(_ line: UnsafeRawBufferPointer, number: Int, into observations: inout [Observation], report: inout LineTally) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        report.records += 1
        if let problem = object.parse(line) {
            report.reject(number, "not a JSON object", problem)
            return
        }
        let record = object
        let ranges = object.selected
        record.scratch.withUnsafeBytes { scratch in
            func present(_ field: Field) -> Bool { ranges[field.rawValue] != nil }
            /// The bytes of a field's first value.
            func first(_ field: Field) -> UnsafeRawBufferPointer? {
                guard let values = ranges[field.rawValue], !values.isEmpty else { return nil }
                return UnsafeRawBufferPointer(rebasing: scratch[record.values[values.lowerBound]])
            }
            func address(_ bytes: UnsafeRawBufferPointer) -> IPAddress? {
                bytes.withMemoryRebound(to: UInt8.self) { try? IPAddress.parse(utf8: $0) }
            }
            var log = first(.path).flatMap { ZeekLog(path: Fields.string($0)) } ?? fileLog
            if log == nil {
                if present(.query) {
                    log = .dns
                } else if present(.dcid) {
                    log = .quic
                } else if present(.serverName) {
                    log = .ssl
                } else if present(.host) {
                    log = .http
                }
            }
            guard let log else {
                report.reject(number, "not an http, ssl, quic or dns record")
                return
            }
            guard let ts = first(.ts),
                let time = Fields.epoch(ts)
                    ?? (try? Timestamp.parse(Fields.string(ts))).flatMap({ Fields.nanoseconds(seconds: $0.secondsSince1970) })
            else {
                report.reject(number, "bad or missing ts")
                return
            }
            guard let client = first(.origH).flatMap(address), let server = first(.respH).flatMap(address) else {
                report.reject(number, "bad or missing id.orig_h or id.resp_h")
                return
            }
            let source = Observation.Source(file: file, position: .line(UInt64(number)))
            let none = UnsafeRawBufferPointer(start: nil, count: 0)
            switch log {
            case .http, .ssl, .quic:
                guard let raw = first(log == .http ? .host : .serverName), !raw.isEmpty else {
                    report.withoutObservation += 1
                    return
                }
                guard let name = Fields.host(raw) else {
                    report.reject(number, "bad host", JSONText.quoted(String(Fields.string(raw).prefix(80))))
                    return
                }
                let port = UInt16(clamping: first(.respP).flatMap { Int(Fields.string($0)) } ?? 0)
                let method = first(.method) ?? none
                let proxy = log == .http && (Fields.equals(method, "CONNECT") || ZeekFields.isAbsolute(first(.uri) ?? none))
                let quic = log == .quic || (log == .ssl && ZeekFields.isHTTP3(first(.nextProtocol) ?? none))
                observations.append(
                    Observation(
                        nanoseconds: time, host: name, address: server, port: port, transport: quic ? .udp : .tcp,
                        appProtocol: log == .http ? .http : quic ? .quic : .tls, client: client, proxy: proxy, source: source))
            case .dns:
                guard let raw = first(.query), let queried = HostName.normalise(raw) else {
                    report.withoutObservation += 1
                    return
                }
                var names = [queried]
                var addresses: [IPAddress] = []
                for value in ranges[Field.answers.rawValue].map({ record.values[$0] }) ?? [] {
                    let answer = UnsafeRawBufferPointer(rebasing: scratch[value])
                    if let address = address(answer) {
                        addresses.append(address)
                    } else if let alias = HostName.normalise(answer), !names.contains(alias) {
                        names.append(alias)
                    }
                }
                let tcp = first(.proto).map { Fields.equals($0, "tcp") } ?? false
                ZeekFields.bind(
                    names, to: addresses, time: time, transport: tcp ? .tcp : .udp, client: client, source: source, into: &observations,
                    report: &report)
            }
        }
    }
}

enum ZeekFields {
    /// A DNS record's observations: every name of its chain (the query, then the CNAME
    /// targets among the answers) bound to every address answered; none is a valid record
    /// that observes nothing.
    static func bind(
        _ names: [String], to addresses: [IPAddress], time: Int64, transport: Observation.Transport, client: IPAddress,
        source: Observation.Source, into observations: inout [Observation], report: inout LineTally
    ) {
        guard !addresses.isEmpty else {
            report.withoutObservation += 1
            return
        }
        for name in names {
            for address in addresses {
                observations.append(
                    Observation(
                        nanoseconds: time, host: name, address: address, port: 0, transport: transport, appProtocol: .dns, client: client,
                        source: source))
            }
        }
    }

    /// `http://…` or `https://…`: a request target in absolute form.
    static func isAbsolute(_ uri: UnsafeRawBufferPointer) -> Bool {
        guard let colon = uri.prefix(8).firstIndex(of: 0x3A), colon + 2 < uri.count else { return false }
        return uri[colon + 1] == 0x2F && uri[colon + 2] == 0x2F
    }

    /// An ALPN of HTTP/3 (`h3`, `h3-29`…).
    static func isHTTP3(_ alpn: UnsafeRawBufferPointer) -> Bool {
        alpn.count >= 2 && alpn[0] == 0x68 && alpn[1] == 0x33 && (alpn.count == 2 || alpn[2] == 0x2D)
    }
}
