public import BeianCore

/// Observations written as JSON Lines or TSV straight into bytes: a busy capture gives
/// hundreds of thousands of lines per second, and building strings for them cost more than
/// decoding the packets. JSON keys are sorted; times follow `TimeStyle`.
public struct ObservationWriter {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl, tsv
    }

    private var out = JSONWriter(capacity: 1 << 17)
    public let format: Format
    public let times: TimeStyle
    /// Replaces client addresses (`--anonymize-clients`), when set.
    private let anonymize: (@Sendable (IPAddress) -> String)?
    // Caches: consecutive observations share the file and usually the second.
    private var lastFile = ""
    private var lastFileQuoted: [UInt8] = []
    private var lastSecond: Int64 = .min
    private var lastSecondText: [UInt8] = []

    public init(format: Format, times: TimeStyle = .utc, anonymize: (@Sendable (IPAddress) -> String)? = nil) {
        self.format = format
        self.times = times
        self.anonymize = anonymize
    }

    /// What was written since the last `removeAll`.
    public var bytes: [UInt8] { out.bytes }

    public mutating func removeAll() { out.removeAll() }

    /// Writes one observation in the writer's format.
    public mutating func write(_ observation: Observation) {
        switch format {
        case .jsonl: json(observation)
        case .tsv: tsv(observation)
        }
    }

    private mutating func ascii(_ text: StaticString) {
        out.bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func string(_ text: String) { out.bytes.append(contentsOf: text.utf8) }

    private mutating func number(_ value: UInt64) {
        if value < 10 {
            out.bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var start = 20
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            // From the last digit back, then appended in one piece.
            while rest > 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            out.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<20]).assumingMemoryBound(to: UInt8.self))
        }
    }

    private mutating func address(_ address: IPAddress) {
        guard case .v4(let v4) = address else {
            if case .v6(let v6) = address { v6.appendText(to: &out.bytes) }
            return
        }
        let value = v4.value
        number(UInt64(value >> 24))
        out.bytes.append(UInt8(ascii: "."))
        number(UInt64((value >> 16) & 0xFF))
        out.bytes.append(UInt8(ascii: "."))
        number(UInt64((value >> 8) & 0xFF))
        out.bytes.append(UInt8(ascii: "."))
        number(UInt64(value & 0xFF))
    }

    private mutating func client(_ address: IPAddress) {
        if let anonymize { string(anonymize(address)) } else { self.address(address) }
    }

    /// `2026-03-01T15:55:00.457437Z`: the part to the second is cached.
    private mutating func time(_ nanoseconds: Int64) {
        let micros = nanoseconds >= 0 ? nanoseconds / 1000 : (nanoseconds - 999) / 1000
        let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        if second != lastSecond {
            lastSecond = second
            lastSecondText = Array(Timestamp(secondsSince1970: second).text(times).utf8.prefix(19))
        }
        out.bytes.append(contentsOf: lastSecondText)
        out.bytes.append(UInt8(ascii: "."))
        let fraction = Int(micros - second * 1_000_000)
        var divisor = 100_000
        while divisor > 0 {
            out.bytes.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
            divisor /= 10
        }
        string(times.suffix)
    }

    private mutating func position(_ position: Observation.Source.Position) {
        switch position {
        case .packet(let n):
            ascii("packet ")
            number(n)
        case .line(let n):
            ascii("line ")
            number(n)
        case .offset(let n):
            ascii("offset ")
            number(n)
        }
    }

    /// One line, its fixed parts written as literals (keys in order, no escaping needed:
    /// host names are checked ASCII without quotes or escapes, addresses and numbers are
    /// digits).
    private mutating func json(_ o: Observation) {
        ascii("{\"address\":\"")
        address(o.address)
        if let c = o.client {
            ascii("\",\"client\":\"")
            client(c)
        }
        ascii(o.ech ? "\",\"ech\":true,\"file\":" : "\",\"file\":")
        if o.source.file != lastFile {
            lastFile = o.source.file
            lastFileQuoted = Array(JSONText.quoted(o.source.file).utf8)
        }
        out.bytes.append(contentsOf: lastFileQuoted)  // quoted once per file
        ascii(",\"host\":\"")
        string(o.host)
        switch o.source.position {
        case .packet(let n):
            ascii("\",\"packet\":")
            number(n)
        case .line(let n):
            ascii("\",\"line\":")
            number(n)
        case .offset(let n):
            ascii("\",\"offset\":")
            number(n)
        }
        ascii(",\"port\":")
        number(UInt64(o.port))
        switch o.appProtocol {
        case .http: ascii(",\"protocol\":\"http\"")
        case .tls: ascii(",\"protocol\":\"tls\"")
        case .quic: ascii(",\"protocol\":\"quic\"")
        case .dns: ascii(",\"protocol\":\"dns\"")
        }
        if o.proxy { ascii(",\"proxy\":true") }
        ascii(",\"time\":\"")
        time(o.nanoseconds)
        switch o.transport {
        case .tcp: ascii("\",\"transport\":\"tcp\"}\n")
        case .udp: ascii("\",\"transport\":\"udp\"}\n")
        }
    }

    /// time, host, address, port, transport, protocol, client, flags, file, position.
    private mutating func tsv(_ o: Observation) {
        time(o.nanoseconds)
        out.bytes.append(0x09)
        string(o.host)
        out.bytes.append(0x09)
        address(o.address)
        out.bytes.append(0x09)
        number(UInt64(o.port))
        out.bytes.append(0x09)
        string(o.transport.rawValue)
        out.bytes.append(0x09)
        string(o.appProtocol.rawValue)
        out.bytes.append(0x09)
        if let c = o.client { client(c) } else { out.bytes.append(UInt8(ascii: "-")) }
        out.bytes.append(0x09)
        switch (o.ech, o.proxy) {
        case (true, true): ascii("ech,proxy")
        case (true, false): ascii("ech")
        case (false, true): ascii("proxy")
        case (false, false): out.bytes.append(UInt8(ascii: "-"))
        }
        out.bytes.append(0x09)
        string(o.source.file)
        out.bytes.append(0x09)
        position(o.source.position)
        out.bytes.append(0x0A)
    }
}
