/// Where in an input a record or value lies.
public struct RecordLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based line.
    public var line: Int?
    /// XML element path (`DownloadData/ICP/BASJ/Baxx[12]/Wz_xx[1]/Ym_xx[2]/Ym`).
    public var element: String?
    /// Byte offset, when the line is unknown.
    public var byteOffset: Int64?

    public init(file: String, line: Int? = nil, element: String? = nil, byteOffset: Int64? = nil) {
        self.file = file
        self.line = line
        self.element = element
        self.byteOffset = byteOffset
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" } else if let byteOffset { text += " at byte \(byteOffset)" }
        if let element { text += " <\(element)>" }
        return text
    }
}

/// A problem with one record or field.
public struct RegistryIssue: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Codable {
        /// A field was dropped; the record was accepted.
        case warning
        /// The record was refused.
        case rejected
        /// The rest of the file could not be read.
        case fatal
    }

    public var severity: Severity
    public var location: RecordLocation
    public var kind: RecordKind?
    public var field: String?
    public var reason: String

    public init(_ severity: Severity, at location: RecordLocation, kind: RecordKind?, field: String? = nil, _ reason: String) {
        self.severity = severity
        self.location = location
        self.kind = kind
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var text = "\(location): \(severity.rawValue)"
        if let kind { text += " \(kind.rawValue)" }
        if let field { text += " field \(field)" }
        return text + ": \(reason)"
    }
}

/// Builds XML element paths of the leaves of one record on demand.
protocol ElementPaths: AnyObject {
    func path(ofLeaf leaf: Int) -> String
}

/// One value of a row: a column, where its bytes are, and where in the input it came from.
struct ValueSpan {
    var column: Int32
    var start: Int32
    var end: Int32
    /// Input line of the value (XML leaves); 0 when the row's line says it.
    var line: Int32
    /// Index of the XML leaf in its record (for `ElementPaths`), or -1.
    var leaf: Int32
}

/// A record as text, column by column, before its values are checked: what every reader
/// produces and the one decoder turns into typed records.
///
/// Values are UTF-8 bytes back to back in one buffer, with a span per value, so that readers
/// make no string per field and the decoder parses numbers, addresses and dates straight from
/// the bytes.
struct RegistryRow {
    let kind: RecordKind
    private(set) var bytes: [UInt8] = []
    private(set) var spans: [ValueSpan] = []
    var paths: (any ElementPaths)?
    private var baseLocation: RecordLocation
    /// The row's element path, as the first `elementSteps` steps of leaf `elementLeaf`,
    /// built only when a message needs it.
    private var elementLeaf: Int32 = -1
    private var elementSteps: Int32 = 0

    /// Where the row starts.
    var location: RecordLocation {
        guard elementLeaf >= 0, let paths = paths as? XMLRecord else { return baseLocation }
        var location = baseLocation
        location.element = paths.path(ofLeaf: Int(elementLeaf), steps: Int(elementSteps))
        return location
    }

    /// The line the row starts on (cheaper than `location`, which may build an element path).
    var line: Int? { baseLocation.line }

    init(kind: RecordKind, location: RecordLocation, paths: (any ElementPaths)? = nil) {
        self.kind = kind
        baseLocation = location
        self.paths = paths
    }

    /// A row whose element is the first `steps` steps of an XML leaf's path.
    init(kind: RecordKind, file: String, line: Int, paths: XMLRecord, leaf: Int, steps: Int) {
        self.kind = kind
        baseLocation = RecordLocation(file: file, line: line)
        self.paths = paths
        elementLeaf = Int32(leaf)
        elementSteps = Int32(steps)
    }

    /// Empties the row for the next record, keeping its storage.
    mutating func reset(location: RecordLocation) {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        baseLocation = location
    }

    mutating func append(_ column: Int, utf8 value: UnsafeBufferPointer<UInt8>, line: Int = 0, leaf: Int = -1) {
        let start = Int32(truncatingIfNeeded: bytes.count)
        bytes.append(contentsOf: value)
        spans.append(
            ValueSpan(
                column: Int32(column), start: start, end: Int32(truncatingIfNeeded: bytes.count), line: Int32(truncatingIfNeeded: line),
                leaf: Int32(leaf)))
    }

    /// Adds a value whose bytes `write` appends to the buffer it is given.
    mutating func append(_ column: Int, line: Int = 0, leaf: Int = -1, writing write: (inout [UInt8]) -> Void) {
        let start = Int32(truncatingIfNeeded: bytes.count)
        write(&bytes)
        spans.append(
            ValueSpan(
                column: Int32(column), start: start, end: Int32(truncatingIfNeeded: bytes.count), line: Int32(truncatingIfNeeded: line),
                leaf: Int32(leaf)))
    }

    mutating func append(_ column: Int, _ value: String, line: Int = 0, leaf: Int = -1) {
        var value = value
        value.withUTF8 { append(column, utf8: $0, line: line, leaf: leaf) }
    }

    /// Replaces every value of `column` by `value`.
    mutating func set(_ column: Int, _ value: String) {
        spans.removeAll { $0.column == Int32(column) }
        append(column, value)
    }

    /// The first value of `column`.
    func first(_ column: Int) -> ValueSpan? {
        spans.first { $0.column == Int32(column) }
    }

    func has(_ column: Int) -> Bool { first(column) != nil }

    func withBytes<R>(_ span: ValueSpan, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[Int(span.start)..<Int(span.end)])) }
    }

    func string(_ span: ValueSpan) -> String {
        withBytes(span) { String(decoding: $0, as: UTF8.self) }
    }

    /// The text of every value of `column`, in order.
    func strings(_ column: Int) -> [String] {
        spans.filter { $0.column == Int32(column) }.map(string)
    }

    /// Where a value came from.
    func origin(_ span: ValueSpan?) -> RecordLocation {
        guard let span, span.leaf >= 0, let paths else { return location }
        return RecordLocation(file: baseLocation.file, line: Int(span.line), element: paths.path(ofLeaf: Int(span.leaf)))
    }
}
