import BeianCore
import Foundation

/// Reads RFC 4180 CSV: `,` separators, `"` quoting with `""` escapes, quoted fields across
/// lines, CRLF or LF. The header names the columns (any order) and its identifying column
/// the record kind; every following line is one record of that kind.
final class CSVRegistryReader: PushReader {
    private let sink: RecordSink
    private var pending: [UInt8] = []
    /// Line number of the first byte of `pending`.
    private var line = 1
    private var header: [String]?
    private var kind: RecordKind?
    /// Column index of each header field in the kind's schema, -1 for unknown columns.
    private var columnIndexes: [Int] = []
    /// The row reused for every record.
    private var row: RegistryRow?
    private var failed = false

    init(sink: RecordSink) {
        self.sink = sink
    }

    /// A reader of a piece of a file after its first: the header is the file's (read by the
    /// reader of the first piece, which reports on it), and the piece holds only rows.
    init(sink: RecordSink, continuing header: [String]) {
        self.sink = sink
        let header = CSVRegistryReader.normalisedHeader(header)
        self.header = header
        guard let kind = RegistrySchema.kind(identifiedBy: header) else {
            failed = true
            return
        }
        self.kind = kind
        let index = RegistrySchema.index(of: kind)
        columnIndexes = header.map { index[$0] ?? -1 }
        failed = RegistrySchema.columns(of: kind).contains { $0.required && !header.contains($0.name) }
    }

    /// Lines read so far, less one: the newlines of a piece that ends with one.
    var newlinesRead: Int { line - 1 }

    /// The fields of the header of CSV text starting at `bytes`, when its first line is
    /// complete there, holds no quote, and is UTF-8.
    static func header(of bytes: ArraySlice<UInt8>) -> [String]? {
        guard let newline = bytes.firstIndex(of: 0x0A), !bytes[..<newline].contains(0x22) else { return nil }
        var line = bytes[..<newline]
        if line.last == 0x0D { line = line.dropLast() }
        guard let text = String(validating: line, as: UTF8.self) else { return nil }
        return text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    private static func normalisedHeader(_ names: [String]) -> [String] {
        names.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard !failed else { return }
        // As typed bytes: a raw buffer is appended byte by byte, this in one copy.
        pending.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
        try parse(final: false)
    }

    func finish() throws {
        guard !failed else { return }
        try parse(final: true)
        if header == nil {
            sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: sink.currentName, line: 1), kind: nil, "empty CSV file (no header)"))
        }
    }

    /// Parses every complete record in `pending`, keeping the incomplete tail.
    private func parse(final: Bool) throws {
        var consumed = 0
        try pending.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            var fields: [(start: Int, end: Int, quoted: Bool)] = []
            var recordStart = 0
            var fieldStart = 0
            var index = 0
            var inQuotes = false
            var quotedField = false
            var newlines = 0
            while index < count {
                let byte = buffer[index]
                if inQuotes {
                    if byte == 0x22 {
                        if index + 1 < count {
                            if buffer[index + 1] == 0x22 {
                                index += 2
                                continue
                            }
                            inQuotes = false
                        } else if !final {
                            break  // cannot tell `""` from a closing quote yet
                        } else {
                            inQuotes = false
                        }
                    } else if byte == 0x0A {
                        newlines += 1
                    }
                    index += 1
                    continue
                }
                switch byte {
                case 0x22 where index == fieldStart:
                    inQuotes = true
                    quotedField = true
                case 0x2C:
                    fields.append((fieldStart, index, quotedField))
                    fieldStart = index + 1
                    quotedField = false
                case 0x0A:
                    var end = index
                    if end > fieldStart && buffer[end - 1] == 0x0D { end -= 1 }
                    fields.append((fieldStart, end, quotedField))
                    try record(buffer, fields, startLine: line, bytes: index - recordStart)
                    line += newlines + 1
                    newlines = 0
                    fields.removeAll(keepingCapacity: true)
                    recordStart = index + 1
                    fieldStart = recordStart
                    quotedField = false
                    consumed = recordStart
                default:
                    break
                }
                index += 1
            }
            if final && recordStart < count {
                if inQuotes {
                    failed = true
                    sink.fatal(
                        RegistryIssue(
                            .fatal, at: RecordLocation(file: sink.currentName, line: line), kind: kind,
                            "a quoted field opened here is never closed; the rest of the file was not read"))
                } else {
                    fields.append((fieldStart, count, quotedField))
                    try record(buffer, fields, startLine: line, bytes: count - recordStart)
                }
                consumed = count
            } else if count - recordStart > RegistryLimits.maximumRecordBytes {
                failed = true
                sink.fatal(
                    RegistryIssue(
                        .fatal, at: RecordLocation(file: sink.currentName, line: line), kind: kind,
                        "record longer than \(RegistryLimits.maximumRecordBytes) bytes (an unclosed quote?); the rest of the file was not read"
                    ))
                consumed = count
            }
        }
        pending.removeFirst(consumed)
    }

    /// Handles one record (the header, or a row).
    private func record(_ buffer: UnsafeBufferPointer<UInt8>, _ fields: [(start: Int, end: Int, quoted: Bool)], startLine: Int, bytes: Int)
        throws
    {
        // A blank line is no record.
        if fields.count == 1 && fields[0].end == fields[0].start { return }
        let location = RecordLocation(file: sink.currentName, line: startLine)
        let span = UnsafeBufferPointer(rebasing: buffer[(fields.first?.start ?? 0)..<(fields.last?.end ?? 0)])
        if let invalid = firstInvalidUTF8(in: UnsafeRawBufferPointer(span), allowTruncatedEnd: false) {
            try sink.refuse(kind, at: location, "invalid UTF-8 at byte \(invalid) of the record (is the file GBK? pass --encoding gb18030)")
            return
        }
        guard let header else {
            try readHeader(fields.map { CSVRegistryReader.text(buffer, $0) }, location: location)
            return
        }
        guard let kind, !failed else { return }
        guard fields.count == header.count else {
            try sink.refuse(kind, at: location, "has \(fields.count) fields, the header has \(header.count)")
            return
        }
        if row == nil { row = RegistryRow(kind: kind, location: location) }
        row?.reset(location: location)
        for (field, column) in zip(fields, columnIndexes) where column >= 0 && field.end > field.start {
            row?.append(column) { bytes in CSVRegistryReader.appendUnquoted(buffer, field, to: &bytes) }
        }
        if let row { try sink.accept(row) }
    }

    private func readHeader(_ names: [String], location: RecordLocation) throws {
        let header = CSVRegistryReader.normalisedHeader(names)
        self.header = header
        guard let kind = RegistrySchema.kind(identifiedBy: header) else {
            failed = true
            let expected = RecordKind.rowKinds.compactMap { RegistrySchema.columns(of: $0).first?.name }.joined(separator: ", ")
            sink.fatal(
                RegistryIssue(
                    .fatal, at: location, kind: nil, "the header names no known record kind (one of its columns must be \(expected))"))
            return
        }
        self.kind = kind
        let columns = RegistrySchema.columns(of: kind)
        let known = Set(columns.map(\.name))
        let index = RegistrySchema.index(of: kind)
        columnIndexes = header.map { index[$0] ?? -1 }
        let unknown = header.filter { !known.contains($0) && !$0.isEmpty }
        if !unknown.isEmpty {
            try sink.note(
                RegistryIssue(
                    .warning, at: location, kind: kind,
                    "columns not used for \(kind.rawValue) records are ignored: \(unknown.joined(separator: ", "))"))
        }
        let missing = columns.filter { $0.required && !header.contains($0.name) }.map(\.name)
        if !missing.isEmpty {
            failed = true
            sink.fatal(
                RegistryIssue(.fatal, at: location, kind: kind, "the header lacks required column(s) \(missing.joined(separator: ", "))"))
        }
    }

    private static func text(_ buffer: UnsafeBufferPointer<UInt8>, _ field: (start: Int, end: Int, quoted: Bool)) -> String {
        var bytes: [UInt8] = []
        appendUnquoted(buffer, field, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends a field's bytes: quotes stripped (text after the closing quote is kept, as most
    /// readers do) and `""` undone.
    private static func appendUnquoted(
        _ buffer: UnsafeBufferPointer<UInt8>, _ field: (start: Int, end: Int, quoted: Bool), to bytes: inout [UInt8]
    ) {
        guard field.quoted else {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[field.start..<field.end]))
            return
        }
        var index = field.start + 1
        var closed = false
        while index < field.end {
            let byte = buffer[index]
            if byte == 0x22 && !closed {
                if index + 1 < field.end && buffer[index + 1] == 0x22 {
                    bytes.append(0x22)
                    index += 2
                    continue
                }
                closed = true
                index += 1
                continue
            }
            bytes.append(byte)
            index += 1
        }
    }
}
