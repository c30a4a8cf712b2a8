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
    private var lastFileRaw: [UInt8] = []
    private var lastSecond: Int64 = .min
    private var lastSecondText: [UInt8] = []

    /// The time zone's suffix (`Z`, `+08:00`).
    private let suffix: [UInt8]

    public init(format: Format, times: TimeStyle = .utc, anonymize: (@Sendable (IPAddress) -> String)? = nil) {
        self.format = format
        self.times = times
        suffix = Array(times.suffix.utf8)
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

    /// Bytes every line may hold besides its host, file, client text and time suffix: the
    /// literals, two addresses, two numbers and a time.
    private static let fixedBound = 320

    /// One observation written into stack memory sized for it, then appended in one copy.
    /// (Appended to the array piece by piece, with its uniqueness and capacity checked per
    /// piece, it was a fifth of extracting a Zeek log.)
    private mutating func line(_ o: Observation, _ write: (inout Line, Observation) -> Void) {
        // Caches first: the closure below only reads them.
        if o.source.file != lastFile {
            lastFile = o.source.file
            lastFileQuoted = Array(JSONText.quoted(o.source.file).utf8)
            lastFileRaw = Array(o.source.file.utf8)
        }
        let micros = o.nanoseconds >= 0 ? o.nanoseconds / 1000 : (o.nanoseconds - 999) / 1000
        let second = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        if second != lastSecond {
            lastSecond = second
            lastSecondText = Timestamp(secondsSince1970: second).dateTimeBytes(times)
        }
        let client = o.client.flatMap { address in anonymize.map { Array($0(address).utf8) } }
        let bound =
            Self.fixedBound + o.host.utf8.count + lastFileQuoted.count + (client?.count ?? 0) + lastSecondText.count + suffix.count
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
            guard let base = buffer.baseAddress else { return }
            var line = Line(
                base: base, capacity: bound, file: format == .jsonl ? lastFileQuoted : lastFileRaw, second: lastSecondText, suffix: suffix,
                client: client, micros: micros - second * 1_000_000)
            write(&line, o)
            out.bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: line.count))
        }
    }

    /// One line in the making: a cursor into memory the writer sized for it. Every write
    /// checks that it fits (a bound wrongly computed stops the process, never overwrites).
    private struct Line {
        let base: UnsafeMutablePointer<UInt8>
        let capacity: Int
        /// The file's name (quoted in JSON), the time to the second, the time zone's suffix:
        /// the writer's caches (not the writer itself, whose output buffer would then be
        /// shared and copied on the next append).
        let file: [UInt8]
        let second: [UInt8]
        let suffix: [UInt8]
        /// The anonymised client's text, when clients are anonymised.
        let client: [UInt8]?
        /// Microseconds into the observation's second.
        let micros: Int64
        var count = 0

        @inline(__always)
        mutating func byte(_ value: UInt8) {
            precondition(count < capacity)
            base[count] = value
            count += 1
        }

        @inline(__always)
        mutating func bytes(_ run: UnsafeBufferPointer<UInt8>) {
            precondition(count + run.count <= capacity)
            if let start = run.baseAddress { (base + count).update(from: start, count: run.count) }
            count += run.count
        }

        mutating func bytes(_ run: [UInt8]) { run.withUnsafeBufferPointer { bytes($0) } }

        mutating func ascii(_ text: StaticString) {
            bytes(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        mutating func string(_ text: String) {
            if text.utf8.withContiguousStorageIfAvailable({ bytes($0) }) == nil {
                for value in text.utf8 { byte(value) }
            }
        }

        mutating func number(_ value: UInt64) {
            // The length first (by multiplying, not dividing), then two digits per division.
            var digits = 1
            var limit: UInt64 = 10
            while digits < 20 && value >= limit {
                digits += 1
                limit &*= 10
            }
            precondition(count + digits <= capacity)
            let pairs = Self.pairText.utf8Start
            var rest = value
            var end = count + digits
            while rest >= 100 {
                let pair = Int(truncatingIfNeeded: rest % 100)
                rest /= 100
                end -= 2
                base[end] = pairs[pair &* 2]
                base[end + 1] = pairs[pair &* 2 + 1]
            }
            if rest >= 10 {
                base[end - 2] = pairs[Int(truncatingIfNeeded: rest) &* 2]
                base[end - 1] = pairs[Int(truncatingIfNeeded: rest) &* 2 + 1]
            } else {
                base[end - 1] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest)
            }
            count += digits
        }

        /// "00" to "99", back to back.
        private static let pairText: StaticString =
            "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

        mutating func address(_ address: IPAddress) {
            switch address {
            case .v4(let v4):
                precondition(count + IPv4Address.maximumTextLength <= capacity)
                count += v4.writeText(to: base + count)
            case .v6(let v6):
                precondition(count + IPv6Address.maximumTextLength <= capacity)
                count += v6.writeText(to: base + count)
            }
        }

        mutating func client(_ address: IPAddress) {
            if let client { bytes(client) } else { self.address(address) }
        }

        /// `2026-03-01T15:55:00.457437Z`: the part to the second cached by the writer.
        mutating func time() {
            bytes(second)
            byte(UInt8(ascii: "."))
            let fraction = Int(micros)
            var divisor = 100_000
            while divisor > 0 {
                byte(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction / divisor % 10))
                divisor /= 10
            }
            bytes(suffix)
        }

        mutating func position(_ position: Observation.Source.Position) {
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
    }

    /// One line, its fixed parts written as literals (keys in order, no escaping needed:
    /// host names are checked ASCII without quotes or escapes, addresses and numbers are
    /// digits).
    private mutating func json(_ o: Observation) {
        line(o) { line, o in
            line.ascii("{\"address\":\"")
            line.address(o.address)
            if let c = o.client {
                line.ascii("\",\"client\":\"")
                line.client(c)
            }
            line.ascii(o.ech ? "\",\"ech\":true,\"file\":" : "\",\"file\":")
            line.bytes(line.file)  // quoted once per file
            line.ascii(",\"host\":\"")
            line.string(o.host)
            switch o.source.position {
            case .packet(let n):
                line.ascii("\",\"packet\":")
                line.number(n)
            case .line(let n):
                line.ascii("\",\"line\":")
                line.number(n)
            case .offset(let n):
                line.ascii("\",\"offset\":")
                line.number(n)
            }
            line.ascii(",\"port\":")
            line.number(UInt64(o.port))
            switch o.appProtocol {
            case .http: line.ascii(",\"protocol\":\"http\"")
            case .tls: line.ascii(",\"protocol\":\"tls\"")
            case .quic: line.ascii(",\"protocol\":\"quic\"")
            case .dns: line.ascii(",\"protocol\":\"dns\"")
            }
            if o.proxy { line.ascii(",\"proxy\":true") }
            line.ascii(",\"time\":\"")
            line.time()
            switch o.transport {
            case .tcp: line.ascii("\",\"transport\":\"tcp\"}\n")
            case .udp: line.ascii("\",\"transport\":\"udp\"}\n")
            }
        }
    }

    /// time, host, address, port, transport, protocol, client, flags, file, position.
    private mutating func tsv(_ o: Observation) {
        line(o) { line, o in
            line.time()
            line.byte(0x09)
            line.string(o.host)
            line.byte(0x09)
            line.address(o.address)
            line.byte(0x09)
            line.number(UInt64(o.port))
            line.byte(0x09)
            switch o.transport {
            case .tcp: line.ascii("tcp\t")
            case .udp: line.ascii("udp\t")
            }
            line.string(o.appProtocol.rawValue)
            line.byte(0x09)
            if let c = o.client { line.client(c) } else { line.byte(UInt8(ascii: "-")) }
            line.byte(0x09)
            switch (o.ech, o.proxy) {
            case (true, true): line.ascii("ech,proxy")
            case (true, false): line.ascii("ech")
            case (false, true): line.ascii("proxy")
            case (false, false): line.byte(UInt8(ascii: "-"))
            }
            line.byte(0x09)
            line.bytes(line.file)
            line.byte(0x09)
            line.position(o.source.position)
            line.byte(0x0A)
        }
    }
}
