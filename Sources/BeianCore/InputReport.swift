/// What one input gave, in one shape for every kind of input — a capture file, a live
/// interface, a log, a crawl: how much was read, how much of it was used, what was rejected
/// and why (counted by reason), the first problems with their place in the input, and the
/// failure that stopped the reading, if one did. Counts always add up: nothing read is lost
/// without being counted.
public struct InputReport: Sendable {
    /// The kinds of source a scan reads.
    public enum Source: String, Sendable, CaseIterable {
        case capture, interface, log, crawl
    }

    /// A problem at a place in the input.
    public struct Issue: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        /// Where: a packet, a line, a byte offset; nil for the input as a whole.
        public var position: Observation.Source.Position?
        public var message: String

        public init(file: String, position: Observation.Source.Position?, message: String) {
            self.file = file
            self.position = position
            self.message = message
        }

        public var description: String {
            guard let position else { return "\(file): \(message)" }
            return "\(file): \(position): \(message)"
        }
    }

    /// Named counts in the order they were first made (a reason, a protocol, a record type).
    public struct Tally: Sendable, Equatable, Sequence {
        public private(set) var entries: [(name: String, count: Int)] = []

        public init() {}

        public mutating func add(_ name: String, _ count: Int = 1) {
            guard count != 0 else { return }
            if let index = entries.firstIndex(where: { $0.name == name }) {
                entries[index].count += count
            } else {
                entries.append((name, count))
            }
        }

        /// Sets `name` to `count`, keeping it even at zero (a counter a reader expects to see:
        /// packets dropped).
        public mutating func set(_ name: String, _ count: Int) {
            if let index = entries.firstIndex(where: { $0.name == name }) {
                entries[index].count = count
            } else {
                entries.append((name, count))
            }
        }

        public subscript(name: String) -> Int { entries.first { $0.name == name }?.count ?? 0 }
        public var total: Int { entries.reduce(0) { $0 + $1.count } }
        public var isEmpty: Bool { entries.isEmpty }

        public func makeIterator() -> IndexingIterator<[(name: String, count: Int)]> { entries.makeIterator() }

        public static func == (lhs: Tally, rhs: Tally) -> Bool {
            lhs.entries.elementsEqual(rhs.entries) { $0.name == $1.name && $0.count == $1.count }
        }
    }

    /// Problems kept with their place (all are counted among the rejections).
    public static let maximumIssues = 100

    /// The input: a path or an interface name.
    public var input: String
    public var source: Source
    /// The format read (`pcap`, `pcapng`, `zeek`, `warc`…), once known.
    public var format: String?
    /// What `read` counts: packets, lines, records.
    public var unit: String
    /// Units read.
    public var read = 0
    /// Units that gave something: packets or lines with an observation, pages and
    /// certificates of a crawl.
    public var used = 0
    public var observations = 0
    /// Bytes of the file read (compressed bytes for compressed files).
    public var bytes: Int64 = 0
    public var seconds = 0.0
    /// Units (or parts of them) not used, by reason.
    public var rejected = Tally()
    /// Kind-specific counts: observations by protocol, record types, libpcap counters.
    public var counters = Tally()
    /// The first problems, with their place.
    public private(set) var issues: [Issue] = []
    /// Problems not kept in `issues` (beyond `maximumIssues`).
    public private(set) var unlistedIssues = 0
    /// Why the input could not be read at all, or stopped early.
    public var failure: InputError?

    public init(input: String, source: Source, unit: String) {
        self.input = input
        self.source = source
        self.unit = unit
    }

    /// Counts a rejection by `reason`, keeping the problem with its place.
    public mutating func reject(_ reason: String, at position: Observation.Source.Position?, _ detail: String? = nil) {
        rejected.add(reason)
        note(Issue(file: input, position: position, message: detail.map { "\(reason): \($0)" } ?? reason))
    }

    /// Keeps a problem (already counted, or not a rejection: a file cut short after its last
    /// whole record).
    public mutating func note(_ issue: Issue) {
        if issues.count < Self.maximumIssues { issues.append(issue) } else { unlistedIssues += 1 }
    }

    /// Whether the input could not be read (or stopped early on an error).
    public var failed: Bool { failure != nil }
}

extension Observation.Source.Position: CustomStringConvertible {
    public var description: String {
        switch self {
        case .packet(let number): "packet \(number)"
        case .line(let number): "line \(number)"
        case .offset(let number): "offset \(number)"
        }
    }
}

extension Duration {
    /// The duration in seconds, as a fraction.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
