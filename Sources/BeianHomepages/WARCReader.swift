public import BeianCore

/// One WARC record (WARC 1.0 or 1.1): its named fields and its block.
public struct WARCRecord: Sendable {
    /// `WARC-Type`, lower-cased (`response`, `resource`, `revisit`, `request`, `warcinfo`…).
    public var type: String
    public var targetURI: String?
    public var date: String?
    /// `WARC-IP-Address`: the server the crawler reached.
    public var ipAddress: String?
    /// `Content-Type` of the block (`application/http;msgtype=response`, `text/html`…).
    public var contentType: String?
    public var recordID: String?
    /// Where the record starts: the offset of its gzip member in the file when each record is
    /// compressed on its own (the offset CDX indexes and `warcio` give), else its offset in the
    /// (decompressed) content.
    public var offset: Int64
    /// Whether `offset` counts compressed bytes of the file (a member's start).
    public var offsetIsCompressed: Bool
    /// The block, at most `WARCReader.maximumBlock` bytes of it.
    public var block: [UInt8]
    /// The declared block length (`block` holds less when the record was over the limit).
    public var declaredLength: Int64

    /// `offset 123` or `offset 123 (decompressed)`: where to find the record.
    public var location: String {
        offsetIsCompressed ? "offset \(offset)" : "offset \(offset) (decompressed)"
    }
}

/// Reads WARC records from a file, plain or gzip (a member per record or the whole file),
/// one record at a time and in bounded memory. Damaged records are reported with the byte
/// offset, and the reader resynchronises on the next `WARC/` header line.
public final class WARCReader {
    /// Largest block kept of one record; the rest of a larger record is skipped (counted).
    public static let maximumBlock = 16 << 20
    /// Largest header section of one record.
    public static let maximumHeader = 64 << 10
    /// Problems kept in the report (all are counted).
    public static let maximumProblems = 100

    public struct Report: Sendable {
        public var records = 0
        public var recordsByType: [String: Int] = [:]
        /// Records whose block was longer than `maximumBlock` (kept cut).
        public var oversized = 0
        /// Damaged records skipped.
        public var rejected = 0
        /// Bytes skipped while looking for the next record after damage.
        public var skippedBytes: Int64 = 0
        public var problems: [String] = []
    }

    public let path: String
    public private(set) var report = Report()
    private let stream: any ByteStream
    private let members: (any GzipMemberOffsets)?
    private var buffer: [UInt8] = []
    private var start = 0
    /// Offset in the (decompressed) content of `buffer[0]`.
    private var bufferBase: Int64 = 0
    private var ended = false

    public init(path: String) throws(InputError) {
        self.path = path
        stream = try InputFile.open(path)
        members = stream as? any GzipMemberOffsets
    }

    /// The next record, nil at the end of the file. Throws only when the file cannot be read
    /// on (a read error, corrupt compression): damage inside the WARC is reported and skipped.
    public func next() throws(InputError) -> WARCRecord? {
        while true {
            // Blank lines between records are allowed.
            while let first = try byte(at: 0), first == 0x0D || first == 0x0A { start += 1 }
            guard try byte(at: 0) != nil else { return nil }
            let recordOffset = bufferBase + Int64(start)
            guard try hasPrefix("WARC/") else {
                problem(at: recordOffset, "no WARC/ version line where a record should start")
                report.rejected += 1
                try resynchronise()
                continue
            }
            guard let headerEnd = try find([0x0D, 0x0A, 0x0D, 0x0A], within: Self.maximumHeader) else {
                problem(at: recordOffset, "record header has no end within \(Self.maximumHeader) bytes")
                report.rejected += 1
                start += 5
                try resynchronise()
                continue
            }
            let header = Array(buffer[start..<(start + headerEnd)])
            start += headerEnd + 4
            guard var record = parseHeader(header, offset: recordOffset) else {
                report.rejected += 1
                try resynchronise()
                continue
            }
            // The block, then the two CRLF that end every record.
            let length = record.declaredLength
            let kept = Int(min(length, Int64(Self.maximumBlock)))
            try fill(kept)
            let available = min(kept, buffer.count - start)
            record.block = Array(buffer[start..<(start + available)])
            start += available
            if Int64(available) < length {
                if available < kept {
                    problem(at: recordOffset, "file ends inside the record's block (\(available) of \(length) bytes)")
                    report.rejected += 1
                    return finish(record)
                }
                report.oversized += 1
                try skip(length - Int64(available))
            }
            return finish(record)
        }
    }

    private func finish(_ record: WARCRecord) -> WARCRecord {
        report.records += 1
        report.recordsByType[record.type, default: 0] += 1
        return record
    }

    private func parseHeader(_ header: [UInt8], offset: Int64) -> WARCRecord? {
        let text = String(decoding: header, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        guard let version = lines.first, version == "WARC/1.0" || version == "WARC/1.1" || version.hasPrefix("WARC/0.") else {
            problem(at: offset, "unsupported WARC version \(JSONText.quoted(String(lines.first?.prefix(20) ?? "")))")
            return nil
        }
        lines.removeFirst()
        var record = WARCRecord(
            type: "", offset: offset, offsetIsCompressed: false, block: [], declaredLength: -1)
        if let compressed = members?.compressedOffset(ofMemberStartingAt: offset) {
            record.offset = compressed
            record.offsetIsCompressed = true
        }
        var lastName = ""
        for line in lines where !line.isEmpty {
            // A line starting with space or tab continues the previous field.
            if line.first == " " || line.first == "\t" {
                if lastName == "warc-target-uri" { record.targetURI = (record.targetURI ?? "") + line.trimmingSpaces }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                problem(at: offset, "header line without a colon: \(JSONText.quoted(String(line.prefix(60))))")
                continue
            }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...]).trimmingSpaces
            lastName = name
            switch name {
            case "warc-type": record.type = value.lowercased()
            case "warc-target-uri":
                // WARC 1.0 writers put angle brackets around it.
                record.targetURI = value.hasPrefix("<") && value.hasSuffix(">") ? String(value.dropFirst().dropLast()) : value
            case "warc-date": record.date = value
            case "warc-ip-address": record.ipAddress = value
            case "content-type": record.contentType = value
            case "warc-record-id": record.recordID = value
            case "content-length": record.declaredLength = Int64(value) ?? -1
            default: break
            }
        }
        guard record.declaredLength >= 0 else {
            problem(at: offset, "record has no valid Content-Length")
            return nil
        }
        if record.type.isEmpty { record.type = "unknown" }
        return record
    }

    // MARK: Buffer

    /// The byte `index` bytes ahead, reading more when needed; nil at the end.
    private func byte(at index: Int) throws(InputError) -> UInt8? {
        if start + index >= buffer.count { try fill(index + 1) }
        return start + index < buffer.count ? buffer[start + index] : nil
    }

    private func hasPrefix(_ text: String) throws(InputError) -> Bool {
        let bytes = Array(text.utf8)
        try fill(bytes.count)
        guard buffer.count - start >= bytes.count else { return false }
        return buffer[start..<(start + bytes.count)].elementsEqual(bytes)
    }

    /// Makes `count` bytes available from `start` when the stream has them.
    private func fill(_ count: Int) throws(InputError) {
        guard buffer.count - start < count, !ended else { return }
        if start > 0 {
            buffer.removeFirst(start)
            bufferBase += Int64(start)
            start = 0
        }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while buffer.count < count && !ended {
            let got = try stream.read(into: chunk)
            if got == 0 {
                ended = true
            } else {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<got]))
            }
        }
    }

    /// Where `pattern` starts, counted from `start`, looking at most `limit` bytes ahead.
    private func find(_ pattern: [UInt8], within limit: Int) throws(InputError) -> Int? {
        var searched = 0
        while true {
            let end = min(buffer.count, start + limit)
            if end - start >= pattern.count {
                var i = start + max(0, searched - pattern.count + 1)
                while i + pattern.count <= end {
                    if buffer[i] == pattern[0] && buffer[i + 1] == pattern[1] && buffer[i + 2] == pattern[2] && buffer[i + 3] == pattern[3]
                    {
                        return i - start
                    }
                    i += 1
                }
                searched = end - start
            }
            if end - start >= limit || ended { return nil }
            try fill(min(limit, buffer.count - start + (1 << 16)))
        }
    }

    private func skip(_ count: Int64) throws(InputError) {
        var left = count
        while left > 0 {
            let here = min(Int64(buffer.count - start), left)
            start += Int(here)
            left -= here
            if left > 0 {
                try fill(Int(min(left, 1 << 20)))
                if buffer.count - start == 0 { return }
            }
        }
    }

    /// Skips to the next line that starts with `WARC/`.
    private func resynchronise() throws(InputError) {
        let from = bufferBase + Int64(start)
        while true {
            guard let newline = try find([0x0A, 0x57, 0x41, 0x52], within: 1 << 20) else {
                if ended && buffer.count - start < 4 {
                    report.skippedBytes += bufferBase + Int64(buffer.count) - from
                    start = buffer.count
                    return
                }
                start = max(start, buffer.count - 3)
                try fill(4)
                continue
            }
            start += newline + 1
            if try hasPrefix("WARC/") {
                report.skippedBytes += bufferBase + Int64(start) - from
                return
            }
        }
    }

    private func problem(at offset: Int64, _ text: String) {
        if report.problems.count < Self.maximumProblems { report.problems.append("\(path): offset \(offset): \(text)") }
    }
}

extension String {
    var trimmingSpaces: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return String(view)
    }
}
