import BeianCore
import Foundation

/// Reads JSON Lines: one object per line, with a `kind` key naming the record kind and the
/// columns of that kind as keys (lists as arrays).
final class JSONLRegistryReader: PushReader {
    private let sink: RecordSink
    private var pending: [UInt8] = []
    private var line = 1
    private var warnedKeys: Set<String> = []
    private var object = FlatJSONObject()
    /// The row reused for every record of the same kind.
    private var row: RegistryRow?
    private var skippingLongLine = false

    init(sink: RecordSink) {
        self.sink = sink
    }

    /// Lines read so far, less one: the newlines of a piece that ends with one.
    var newlinesRead: Int { line - 1 }

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
        let text = UnsafeRawBufferPointer(rebasing: slice)
        if let invalid = firstInvalidUTF8(in: text, allowTruncatedEnd: false) {
            try sink.refuse(nil, at: location, "invalid UTF-8 at byte \(invalid) of the line (is the file GBK? pass --encoding gb18030)")
            return
        }
        if let error = object.parse(text) {
            try sink.refuse(nil, at: location, "not a JSON object: \(error)")
            return
        }
        let object = self.object
        func key(_ member: FlatJSONObject.Member) -> String {
            object.scratch.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[member.key]), as: UTF8.self) }
        }
        guard let kindMember = object.members.first(where: { key($0) == "kind" }), kindMember.values.count == 1, kindMember.unusable == nil
        else {
            try sink.refuse(nil, at: location, "no \"kind\" (one of \(RecordKind.rowKinds.map(\.rawValue).joined(separator: ", ")))")
            return
        }
        let kindName = object.scratch.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[object.values[kindMember.values.lowerBound]]), as: UTF8.self)
        }
        guard let kind = RecordKind(rawValue: kindName), RecordKind.rowKinds.contains(kind) else {
            try sink.refuse(nil, at: location, "unknown kind \(quoted(kindName))")
            return
        }
        if row == nil || row?.kind != kind { row = RegistryRow(kind: kind, location: location) }
        row?.reset(location: location)
        let columns = RegistrySchema.index(of: kind)
        for member in object.members {
            let name = key(member)
            guard name != "kind" else { continue }
            guard let column = columns[name] else {
                if warnedKeys.insert("\(kind.rawValue).\(name)").inserted {
                    try sink.note(
                        RegistryIssue(.warning, at: location, kind: kind, field: name, "key not used for \(kind.rawValue) records, ignored")
                    )
                }
                continue
            }
            if let unusable = member.unusable {
                try sink.refuse(kind, at: location, "field \(name) \(unusable): a value is a string, an integer or a list of them")
                return
            }
            object.scratch.withUnsafeBufferPointer { scratch in
                for value in object.values[member.values] { row?.append(column, utf8: UnsafeBufferPointer(rebasing: scratch[value])) }
            }
        }
        if let row { try sink.accept(row) }
    }
}
