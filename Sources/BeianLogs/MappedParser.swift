public import BeianCore

/// Which CSV column or JSON key holds what, for logs of any other shape:
/// `host=domain,ip=server_ip,time=ts[,port=…,client=…,protocol=…]`.
public struct FieldMapping: Sendable, Equatable {
    public var host: String
    public var address: String
    public var time: String
    public var port: String?
    public var client: String?
    /// A field holding `http`, `tls`, `quic` or `dns`; every record is `http` without it.
    public var appProtocol: String?

    /// Parses the `--map` text; throws a message naming what is missing or unknown.
    public init(parsing text: String) throws(ValueError) {
        var fields: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmed }
            guard parts.count == 2, !parts[1].isEmpty else { throw ValueError(.invalidValue, "--map: \"\(pair)\" is not name=field") }
            guard ["host", "ip", "time", "port", "client", "protocol"].contains(parts[0]) else {
                throw ValueError(.invalidValue, "--map: unknown name \"\(parts[0])\" (host, ip, time, port, client, protocol)")
            }
            fields[parts[0]] = parts[1]
        }
        guard let host = fields["host"], let address = fields["ip"], let time = fields["time"] else {
            throw ValueError(.invalidValue, "--map needs host=, ip= and time=")
        }
        self.host = host
        self.address = address
        self.time = time
        port = fields["port"]
        client = fields["client"]
        appProtocol = fields["protocol"]
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmed: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// CSV (RFC 4180, a header line) or JSON Lines records read through a `FieldMapping`. Times
/// are seconds since 1970 (with a fraction) or dates and times as the registry writes them
/// (`2026-03-01 23:55:00`, China time unless a zone is given).
struct MappedParser: LineParser {
    let file: String
    let mapping: FieldMapping
    private var json: Bool?
    private var columns: [String: Int] = [:]
    private var object = FlatJSONObject()

    init(path: String, mapping: FieldMapping) {
        file = path
        self.mapping = mapping
    }

    mutating func line(_ line: UnsafeRawBufferPointer, number: Int, into observations: inout [Observation], report: inout LineTally) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        var start = 0
        if number == 1 && line.count >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF { start = 3 }  // BOM
        let content = Fields.slice(line, start..<line.count)
        if json == nil { json = content.first == 0x7B }
        var values: [String: String] = [:]
        if json == true {
            report.records += 1
            if let problem = object.parse(content) {
                report.reject(number, "not a JSON object", problem)
                return
            }
            for member in object.members {
                let key = String(decoding: object.scratch[member.key], as: UTF8.self)
                if let first = object.values[member.values].first { values[key] = String(decoding: object.scratch[first], as: UTF8.self) }
            }
        } else {
            let cells = CSVLine.cells(Fields.string(content))
            if columns.isEmpty {
                for (index, name) in cells.enumerated() { columns[name] = index }
                // One header line, one rejection, naming every column it lacks.
                let missing = [mapping.host, mapping.address, mapping.time].filter { columns[$0] == nil }
                if !missing.isEmpty {
                    report.reject(number, "a column --map names is missing", missing.map(JSONText.quoted).joined(separator: ", "))
                }
                return
            }
            report.records += 1
            for (name, index) in columns where index < cells.count { values[name] = cells[index] }
        }
        guard let rawHost = values[mapping.host], !rawHost.isEmpty, rawHost != "-" else {
            report.withoutObservation += 1
            return
        }
        guard let host = Array(rawHost.utf8).withUnsafeBytes({ Fields.host($0) }) else {
            report.reject(number, "bad host", JSONText.quoted(String(rawHost.prefix(80))))
            return
        }
        guard let address = values[mapping.address].flatMap({ IPAddress.parseLiteral($0) }) else {
            report.reject(number, "bad or missing address", "in \(JSONText.quoted(mapping.address))")
            return
        }
        guard let text = values[mapping.time], let time = Self.time(text) else {
            report.reject(number, "bad or missing time", "in \(JSONText.quoted(mapping.time))")
            return
        }
        let appProtocol = mapping.appProtocol.flatMap { values[$0] }.flatMap { Observation.AppProtocol(rawValue: $0.lowercased()) } ?? .http
        let port = mapping.port.flatMap { values[$0] }.flatMap { UInt16($0) } ?? (appProtocol == .dns ? 0 : appProtocol == .http ? 80 : 443)
        observations.append(
            Observation(
                nanoseconds: time, host: host, address: address, port: port,
                transport: appProtocol == .quic || appProtocol == .dns ? .udp : .tcp,
                appProtocol: appProtocol, client: mapping.client.flatMap { values[$0] }.flatMap { IPAddress.parseLiteral($0) },
                source: .init(file: file, position: .line(UInt64(number)))))
    }

    static func time(_ text: String) -> Int64? {
        if let epoch = Array(text.utf8).withUnsafeBytes({ Fields.epoch($0) }) { return epoch }
        return (try? Timestamp.parse(text)).flatMap { Fields.nanoseconds(seconds: $0.secondsSince1970) }
    }

}
