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
    /// The keys of the last lines of each kind, by position, with their columns (-1 for
    /// `kind`): lines of one kind repeat their keys in one order, which are then matched by
    /// their bytes, with no string made or hashed.
    private var keysByKind: [[(key: [UInt8], column: Int)?]] = Array(repeating: [], count: RecordKind.allCases.count)

    private func knownColumn(_ kind: RecordKind, _ position: Int, _ member: FlatJSONObject.Member, _ object: FlatJSONObject) -> Int? {
        let known = keysByKind[kind.ordinal]
        guard position < known.count, let entry = known[position], entry.key.count == member.key.count else { return nil }
        return JSONLRegistryReader.equal(object, member.key, entry.key) ? entry.column : nil
    }

    /// Whether the bytes of `range` in the object's scratch are `bytes`.
    private static func equal(_ object: FlatJSONObject, _ range: Range<Int>, _ bytes: [UInt8]) -> Bool {
        guard range.count == bytes.count else { return false }
        return object.scratch.withUnsafeBufferPointer { scratch in
            bytes.withUnsafeBufferPointer { key in
                guard let left = scratch.baseAddress, let right = key.baseAddress else { return key.isEmpty }
                return memcmp(left + range.lowerBound, right, key.count) == 0
            }
        }
    }

    private static let kindKey = Array("kind".utf8)

    private func remember(_ kind: RecordKind, _ position: Int, _ member: FlatJSONObject.Member, _ object: FlatJSONObject, _ column: Int) {
        guard position < 64 else { return }
        while keysByKind[kind.ordinal].count <= position { keysByKind[kind.ordinal].append(nil) }
        keysByKind[kind.ordinal][position] = (Array(object.scratch[member.key]), column)
    }

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
        guard let kindMember = object.members.first(where: { JSONLRegistryReader.equal(object, $0.key, JSONLRegistryReader.kindKey) }),
            kindMember.values.count == 1, kindMember.unusable == nil
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
        for (position, member) in object.members.enumerated() {
            let column: Int
            if let known = knownColumn(kind, position, member, object) {
                guard known >= 0 else { continue }
                column = known
            } else {
                let name = key(member)
                let found = name == "kind" ? -1 : columns[name]
                if let found { remember(kind, position, member, object, found) }
                guard name != "kind" else { continue }
                guard let found else {
                    if warnedKeys.insert("\(kind.rawValue).\(name)").inserted {
                        try sink.note(
                            RegistryIssue(
                                .warning, at: location, kind: kind, field: name, "key not used for \(kind.rawValue) records, ignored")
                        )
                    }
                    continue
                }
                column = found
            }
            if let unusable = member.unusable {
                try sink.refuse(kind, at: location, "field \(key(member)) \(unusable): a value is a string, an integer or a list of them")
                return
            }
            object.scratch.withUnsafeBufferPointer { scratch in
                for value in object.values[member.values] { row?.append(column, utf8: UnsafeBufferPointer(rebasing: scratch[value])) }
            }
        }
        if let row { try sink.accept(row) }
    }
}
