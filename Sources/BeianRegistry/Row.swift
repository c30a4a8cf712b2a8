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

/// Where one value of a row came from, resolved to an element path only when a message
/// needs it.
struct ValueOrigin {
    var line: Int
    /// Index of the XML leaf in its record, for `ElementPaths`.
    var leaf: Int
}

/// Builds XML element paths of the leaves of one record on demand.
protocol ElementPaths: AnyObject {
    func path(ofLeaf leaf: Int) -> String
}

/// A record as text, column by column, before its values are checked: what every reader
/// produces and the one decoder turns into typed records.
struct RegistryRow {
    let kind: RecordKind
    /// Values per column of `RegistrySchema.columns(of: kind)`; empty when absent.
    var values: [[String]]
    /// Per value, where it came from (XML leaves); nil when the row location says it all (CSV
    /// and JSON Lines).
    var origins: [[ValueOrigin]]?
    var paths: (any ElementPaths)?
    /// Where the row starts.
    let location: RecordLocation

    init(kind: RecordKind, location: RecordLocation, paths: (any ElementPaths)? = nil) {
        self.kind = kind
        self.location = location
        self.paths = paths
        let count = RegistrySchema.columns(of: kind).count
        values = Array(repeating: [], count: count)
        origins = paths == nil ? nil : Array(repeating: [], count: count)
    }

    /// Adds a value to `column` (ignored when the kind has no such column).
    mutating func append(_ value: String, to column: String, origin: ValueOrigin? = nil) {
        guard let index = RegistrySchema.index(of: kind)[column] else { return }
        values[index].append(value)
        if origins != nil { origins?[index].append(origin ?? ValueOrigin(line: location.line ?? 0, leaf: -1)) }
    }

    mutating func set(_ value: String, for column: String) {
        guard let index = RegistrySchema.index(of: kind)[column] else { return }
        values[index] = [value]
        if origins != nil { origins?[index] = [ValueOrigin(line: location.line ?? 0, leaf: -1)] }
    }

    func values(of column: String) -> [String] {
        guard let index = RegistrySchema.index(of: kind)[column] else { return [] }
        return values[index]
    }

    func has(_ column: String) -> Bool { !values(of: column).isEmpty }

    /// Where the `position`th value of `column` came from.
    func origin(of column: String, at position: Int = 0) -> RecordLocation {
        guard let origins, let index = RegistrySchema.index(of: kind)[column], position < origins[index].count else { return location }
        let origin = origins[index][position]
        guard origin.leaf >= 0, let paths else { return location }
        return RecordLocation(file: location.file, line: origin.line, element: paths.path(ofLeaf: origin.leaf))
    }
}
