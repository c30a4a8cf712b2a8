import BeianCore

/// Observations formatted as JSON Lines or TSV straight into bytes: a busy capture gives
/// hundreds of thousands of lines per second, and building Strings for them cost more than
/// decoding the packets. The JSON layout is `ObservationFormat.json`'s (keys sorted).
struct ObservationLines {
    private(set) var bytes: [UInt8] = []
    private let anonymizer: ClientAnonymizer?
    // Caches: consecutive observations share the file and usually the second.
    private var lastFile = ""
    private var lastFileQuoted: [UInt8] = []
    private var lastSecond: Int64 = .min
    private var lastSecondText: [UInt8] = []

    init(anonymizer: ClientAnonymizer?) {
        self.anonymizer = anonymizer
        bytes.reserveCapacity(1 << 17)
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    private mutating func ascii(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func string(_ text: String) { bytes.append(contentsOf: text.utf8) }

    private mutating func number(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }

    private mutating func address(_ address: IPAddress) {
        guard case .v4(let v4) = address else { return string(address.description) }
        let value = v4.value
        number(UInt64(value >> 24))
        bytes.append(UInt8(ascii: "."))
        number(UInt64((value >> 16) & 0xFF))
        bytes.append(UInt8(ascii: "."))
        number(UInt64((value >> 8) & 0xFF))
        bytes.append(UInt8(ascii: "."))
        number(UInt64(value & 0xFF))
    }

    private mutating func client(_ address: IPAddress) {
        if let anonymizer { string(anonymizer.hash(address)) } else { self.address(address) }
    }

    private mutating func file(_ name: String) {
        if name != lastFile {
            lastFile = name
            lastFileQuoted = Array(JSONText.quoted(name).utf8)
        }
        bytes.append(contentsOf: lastFileQuoted)
    }

    /// `2026-03-01T23:55:00.457437+08:00`: the part to the second is cached.
    private mutating func time(_ nanoseconds: Int64) {
        let micros = nanoseconds >= 0 ? nanoseconds / 1000 : (nanoseconds - 999) / 1000
        let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        if second != lastSecond {
            lastSecond = second
            let text = Observation(
                nanoseconds: second * 1_000_000_000, host: "", address: .v4(IPv4Address(0)), port: 0, transport: .tcp, appProtocol: .tls,
                client: nil, source: .init(file: "", position: .packet(0))
            ).isoTime
            lastSecondText = Array(text.utf8.prefix(19))
        }
        bytes.append(contentsOf: lastSecondText)
        bytes.append(UInt8(ascii: "."))
        let fraction = Int(micros - second * 1_000_000)
        var divisor = 100_000
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
            divisor /= 10
        }
        ascii("+08:00")
    }

    private mutating func position(_ position: Observation.Source.Position, json: Bool) {
        switch position {
        case .packet(let n):
            if json { ascii(",\"packet\":") } else { ascii("packet ") }
            number(n)
        case .line(let n):
            if json { ascii(",\"line\":") } else { ascii("line ") }
            number(n)
        case .offset(let n):
            if json { ascii(",\"offset\":") } else { ascii("offset ") }
            number(n)
        }
    }

    mutating func json(_ o: Observation) {
        ascii("{\"address\":\"")
        address(o.address)
        bytes.append(UInt8(ascii: "\""))
        if let c = o.client {
            ascii(",\"client\":\"")
            client(c)
            bytes.append(UInt8(ascii: "\""))
        }
        if o.ech { ascii(",\"ech\":true") }
        ascii(",\"file\":")
        file(o.source.file)
        ascii(",\"host\":\"")
        string(o.host)  // host names are checked ASCII without quotes or escapes
        bytes.append(UInt8(ascii: "\""))
        position(o.source.position, json: true)
        ascii(",\"port\":")
        number(UInt64(o.port))
        ascii(",\"protocol\":\"")
        string(o.appProtocol.rawValue)
        bytes.append(UInt8(ascii: "\""))
        if o.proxy { ascii(",\"proxy\":true") }
        ascii(",\"time\":\"")
        time(o.nanoseconds)
        ascii("\",\"transport\":\"")
        string(o.transport.rawValue)
        ascii("\"}\n")
    }

    /// time, host, address, port, transport, protocol, client, flags, file, position.
    mutating func tsv(_ o: Observation) {
        time(o.nanoseconds)
        bytes.append(0x09)
        string(o.host)
        bytes.append(0x09)
        address(o.address)
        bytes.append(0x09)
        number(UInt64(o.port))
        bytes.append(0x09)
        string(o.transport.rawValue)
        bytes.append(0x09)
        string(o.appProtocol.rawValue)
        bytes.append(0x09)
        if let c = o.client { client(c) } else { bytes.append(UInt8(ascii: "-")) }
        bytes.append(0x09)
        switch (o.ech, o.proxy) {
        case (true, true): ascii("ech,proxy")
        case (true, false): ascii("ech")
        case (false, true): ascii("proxy")
        case (false, false): bytes.append(UInt8(ascii: "-"))
        }
        bytes.append(0x09)
        string(o.source.file)
        bytes.append(0x09)
        position(o.source.position, json: false)
        bytes.append(0x0A)
    }
}
