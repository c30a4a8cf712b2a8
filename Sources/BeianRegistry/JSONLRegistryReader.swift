import BeianCore
import Foundation

/// A JSON value as the JSON Lines reader sees it.
enum JSONValue: Decodable {
    case text(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case list([JSONValue])
    case object
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .text(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .list(value)
        } else {
            self = .object
        }
    }

    /// The value as column text, or nil when it cannot be one (an object, a fraction).
    var texts: [String]? {
        switch self {
        case .text(let value): return [value]
        case .integer(let value): return [String(value)]
        case .number(let value): return value == value.rounded() && abs(value) < 9e15 ? [String(Int64(value))] : nil
        case .bool(let value): return [value ? "1" : "0"]
        case .null: return []
        case .object: return nil
        case .list(let values):
            var result: [String] = []
            for value in values {
                if case .list = value { return nil }
                guard let texts = value.texts else { return nil }
                result += texts
            }
            return result
        }
    }
}

/// Reads JSON Lines: one object per line, with a `kind` key naming the record kind and the
/// columns of that kind as keys (lists as arrays).
final class JSONLRegistryReader: PushReader {
    private let sink: RecordSink
    private var pending: [UInt8] = []
    private var line = 1
    private var warnedKeys: Set<String> = []
    private let decoder = JSONDecoder()
    private var skippingLongLine = false

    init(sink: RecordSink) {
        self.sink = sink
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        for index in 0..<bytes.count where bytes[index] == 0x0A {
            if skippingLongLine {
                skippingLongLine = false
            } else if pending.isEmpty {
                try handle(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            } else {
                pending.append(contentsOf: bytes[start..<index])
                let line = pending
                pending.removeAll(keepingCapacity: true)
                try line.withUnsafeBytes { try handle($0) }
            }
            self.line += 1
            start = index + 1
        }
        guard !skippingLongLine else { return }
        pending.append(contentsOf: bytes[start...])
        if pending.count > RegistryLimits.maximumRecordBytes {
            try sink.refuse(
                nil, at: RecordLocation(file: sink.currentName, line: line), "line longer than \(RegistryLimits.maximumRecordBytes) bytes")
            pending.removeAll()
            skippingLongLine = true
        }
    }

    func finish() throws {
        if !pending.isEmpty && !skippingLongLine {
            let line = pending
            pending.removeAll()
            try line.withUnsafeBytes { try handle($0) }
        }
    }

    private func handle(_ bytes: UnsafeRawBufferPointer) throws {
        var slice = bytes[...]
        while let last = slice.last, last == 0x0D || last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        guard slice.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        let location = RecordLocation(file: sink.currentName, line: line)
        if let invalid = firstInvalidUTF8(in: UnsafeRawBufferPointer(rebasing: slice), allowTruncatedEnd: false) {
            try sink.refuse(nil, at: location, "invalid UTF-8 at byte \(invalid) of the line (is the file GBK? pass --encoding gb18030)")
            return
        }
        let object: [String: JSONValue]
        do {
            object = try decoder.decode([String: JSONValue].self, from: Data(UnsafeRawBufferPointer(rebasing: slice)))
        } catch {
            try sink.refuse(nil, at: location, "not a JSON object: \(JSONLRegistryReader.describe(error))")
            return
        }
        guard case .text(let kindName) = object["kind"] else {
            try sink.refuse(nil, at: location, "no \"kind\" (one of \(RecordKind.rowKinds.map(\.rawValue).joined(separator: ", ")))")
            return
        }
        guard let kind = RecordKind(rawValue: kindName), RecordKind.rowKinds.contains(kind) else {
            try sink.refuse(nil, at: location, "unknown kind \(quoted(kindName))")
            return
        }
        var row = RegistryRow(kind: kind, location: location)
        let columns = RegistrySchema.index(of: kind)
        for (key, value) in object where key != "kind" {
            guard let column = columns[key] else {
                if warnedKeys.insert("\(kind.rawValue).\(key)").inserted {
                    try sink.note(
                        RegistryIssue(.warning, at: location, kind: kind, field: key, "key not used for \(kind.rawValue) records, ignored"))
                }
                continue
            }
            guard let texts = value.texts else {
                try sink.refuse(kind, at: location, "field \(key) is not a string, an integer or a list of them")
                return
            }
            for text in texts { row.append(column, text) }
        }
        try sink.accept(row)
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription)
        }
        return "\(error)"
    }
}
