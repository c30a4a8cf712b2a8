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
    /// Where the record starts in the file (the offset CDX indexes and `warcio` give): in a
    /// plain file, or at its own gzip member; in a file compressed as a whole, its offset in
    /// the decompressed content.
    public var offset: Int64
    /// Whether `offset` is a position in the file (not in decompressed content).
    public var offsetIsInFile: Bool
    /// The block, at most `WARCReader.maximumBlock` bytes of it.
    public var block: [UInt8]
    /// The declared block length (`block` holds less when the record was over the limit).
    public var declaredLength: Int64

    /// `offset 123` or `offset 123 (decompressed)`: where to find the record.
    public var location: String {
        offsetIsInFile ? "offset \(offset)" : "offset \(offset) (decompressed)"
    }
}

/// Reads WARC records from a file, plain or gzip (a member per record or the whole file),
/// one record at a time and in bounded memory. Damaged records are reported with the byte
/// offset, and the reader resynchronises on the next `WARC/` header line. ARC files (the
/// Internet Archive's format before WARC, versions 1 and 2) are read too, as WARC records.
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
        /// Damaged records, by reason (skipped, or kept as far as the file goes).
        public var rejected = InputReport.Tally()
        /// Bytes skipped while looking for the next record after damage.
        public var skippedBytes: Int64 = 0
        /// The first problems, at their record's offset.
        public var issues: [InputReport.Issue] = []
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
    /// The file is an ARC file (its first record starts `filedesc://`).
    public private(set) var isARC = false
    private var arcVersion = 1
    private var started = false

    /// Bytes of the file read so far (compressed bytes for gzip files).
    public var fileOffset: Int64 { stream.fileOffset }

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
            if !started {
                started = true
                isARC = try hasPrefix("filedesc://")
            }
            if isARC {
                // A damaged ARC header line is skipped here, in the loop: a file of many
                // damaged lines must not recurse once per line.
                guard let record = try nextARC(at: recordOffset) else { continue }
                return record
            }
            guard try hasPrefix("WARC/") else {
                reject(at: recordOffset, "no WARC/ version line where a record should start")
                try resynchronise()
                continue
            }
            guard let (headerEnd, blockStart) = try findHeaderEnd() else {
                reject(at: recordOffset, "record header has no end", "within \(Self.maximumHeader) bytes")
                start += 5
                try resynchronise()
                continue
            }
            let header = Array(buffer[start..<(start + headerEnd)])
            start += blockStart
            guard var record = parseHeader(header, offset: recordOffset) else {
                try resynchronise()
                continue
            }
            // The block (the two CRLF that end every record are skipped as blank lines).
            try readBlock(into: &record, what: "the record's block")
            return finish(record)
        }
    }

    /// An ARC record: a header line (URL, address, date, type, …, length), then the block;
    /// nil when the line was damaged (reported and skipped).
    private func nextARC(at recordOffset: Int64) throws(InputError) -> WARCRecord? {
        guard let lineEnd = try find([0x0A], within: 8192) else {
            reject(at: recordOffset, "ARC header line has no end", "within 8192 bytes")
            report.skippedBytes += Int64(buffer.count - start)
            start = buffer.count
            try fill(1 << 20)
            return nil
        }
        let line = String(decoding: buffer[start..<(start + lineEnd)], as: UTF8.self)
        start += lineEnd + 1
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count >= 5, let length = Int64(fields[fields.count - 1]), length >= 0 else {
            reject(at: recordOffset, "not an ARC header line", JSONText.quoted(String(line.prefix(80))))
            return nil
        }
        var record = WARCRecord(type: "response", offset: recordOffset, offsetIsInFile: members == nil, block: [], declaredLength: length)
        if let compressed = members?.compressedOffset(ofMemberStartingAt: recordOffset) {
            record.offset = compressed
            record.offsetIsInFile = true
        }
        // Version 1: URL IP date type length (a URL may hold spaces); version 2 adds result
        // code, checksum, location, offset and file name before the length.
        let tail = arcVersion == 2 && fields.count >= 10 ? 9 : 4
        let url = fields[0..<(fields.count - tail)].joined(separator: "%20")
        let rest = Array(fields[(fields.count - tail)...])
        record.targetURI = url
        record.ipAddress = rest[0]
        record.date = Self.arcDate(rest[1])
        record.contentType = rest[2]
        try readBlock(into: &record, what: "the ARC record")
        if url.hasPrefix("filedesc://") {
            record.type = "warcinfo"
            // The second line of the file header names the version.
            if record.block.first == UInt8(ascii: "2") { arcVersion = 2 }
        } else if !record.block.starts(with: Array("HTTP/".utf8)) {
            record.type = "resource"
        }
        return finish(record)
    }

    /// Reads the record's block, at most `maximumBlock` bytes of it (the rest skipped and
    /// counted); a file that ends inside it is reported and the record kept as far as it goes.
    private func readBlock(into record: inout WARCRecord, what: String) throws(InputError) {
        let length = record.declaredLength
        let kept = Int(min(length, Int64(Self.maximumBlock)))
        try fill(kept)
        let available = min(kept, buffer.count - start)
        record.block = Array(buffer[start..<(start + available)])
        start += available
        guard Int64(available) < length else { return }
        if available < kept {
            reject(at: record.offset, "file ends inside \(what)", "\(available) of \(length) bytes")
        } else {
            report.oversized += 1
            try skip(length - Int64(available))
        }
    }

    /// `19961104142103` as `1996-11-04T14:21:03Z`.
    static func arcDate(_ text: String) -> String? {
        let digits = Array(text)
        guard digits.count >= 14, digits.allSatisfy(\.isASCII), digits.prefix(14).allSatisfy(\.isNumber) else { return nil }
        let d = String(digits.prefix(14))
        func part(_ from: Int, _ count: Int) -> Substring {
            d.dropFirst(from).prefix(count)
        }
        return "\(part(0, 4))-\(part(4, 2))-\(part(6, 2))T\(part(8, 2)):\(part(10, 2)):\(part(12, 2))Z"
    }

    private func finish(_ record: WARCRecord) -> WARCRecord {
        report.records += 1
        report.recordsByType[record.type, default: 0] += 1
        return record
    }

    private func parseHeader(_ header: [UInt8], offset: Int64) -> WARCRecord? {
        var record = WARCRecord(type: "", offset: offset, offsetIsInFile: members == nil, block: [], declaredLength: -1)
        if let compressed = members?.compressedOffset(ofMemberStartingAt: offset) {
            record.offset = compressed
            record.offsetIsInFile = true
        }
        var lastField: Field?
        var first = true
        var ok = true
        HeaderLines.forEach(header) { name, value, continuation in
            if first {
                first = false
                let version = String(decoding: name, as: UTF8.self)
                if !(version == "WARC/1.0" || version == "WARC/1.1" || version.hasPrefix("WARC/0.")) {
                    reject(at: offset, "unsupported WARC version", JSONText.quoted(String(version.prefix(20))))
                    ok = false
                }
                return
            }
            if continuation {
                // A line starting with space or tab continues the previous field.
                if lastField == .targetURI { record.targetURI = (record.targetURI ?? "") + String(decoding: value ?? [], as: UTF8.self) }
                return
            }
            guard let value else {
                note(at: offset, "header line without a colon: \(JSONText.quoted(String(decoding: name.prefix(60), as: UTF8.self)))")
                return
            }
            let field = Field(name)
            lastField = field
            switch field {
            case .type: record.type = String(decoding: value.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
            case .targetURI:
                // WARC 1.0 writers put angle brackets around it.
                let uri = value.first == UInt8(ascii: "<") && value.last == UInt8(ascii: ">") ? value.dropFirst().dropLast() : value
                record.targetURI = String(decoding: uri, as: UTF8.self)
            case .date: record.date = String(decoding: value, as: UTF8.self)
            case .ipAddress: record.ipAddress = String(decoding: value, as: UTF8.self)
            case .contentType: record.contentType = String(decoding: value, as: UTF8.self)
            case .recordID: record.recordID = String(decoding: value, as: UTF8.self)
            case .contentLength: record.declaredLength = HeaderLines.integer(value) ?? -1
            case .other: break
            }
        }
        guard ok else { return nil }
        guard record.declaredLength >= 0 else {
            reject(at: offset, "record has no valid Content-Length")
            return nil
        }
        if record.type.isEmpty { record.type = "unknown" }
        return record
    }

    /// The named fields a record's reading needs.
    private enum Field {
        case type, targetURI, date, ipAddress, contentType, recordID, contentLength, other

        init(_ name: ArraySlice<UInt8>) {
            switch name.count {
            case 9 where HeaderLines.equal(name, "warc-type"): self = .type
            case 15 where HeaderLines.equal(name, "warc-target-uri"): self = .targetURI
            case 9 where HeaderLines.equal(name, "warc-date"): self = .date
            case 15 where HeaderLines.equal(name, "warc-ip-address"): self = .ipAddress
            case 12 where HeaderLines.equal(name, "content-type"): self = .contentType
            case 14 where HeaderLines.equal(name, "warc-record-id"): self = .recordID
            case 14 where HeaderLines.equal(name, "content-length"): self = .contentLength
            default: self = .other
            }
        }
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
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<got]).assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// The end of the header section (an empty line: CRLF CRLF, or as sloppy writers end
    /// lines, LF LF and CR CR LF CR CR LF) and where the block starts, counted from `start`.
    private func findHeaderEnd() throws(InputError) -> (Int, Int)? {
        var from = 0
        while let newline = try find([0x0A], from: from, within: Self.maximumHeader) {
            var k = newline + 1
            while try byte(at: k) == 0x0D { k += 1 }
            if try byte(at: k) == 0x0A { return (newline + 1, k + 1) }
            from = newline + 1
        }
        return nil
    }

    /// Where `pattern` starts, counted from `start`, looking at most `limit` bytes ahead.
    private func find(_ pattern: [UInt8], within limit: Int) throws(InputError) -> Int? {
        try find(pattern, from: 0, within: limit)
    }

    /// Where `pattern` starts at or after `from` (counted from `start`), within `limit`.
    private func find(_ pattern: [UInt8], from offset: Int, within limit: Int) throws(InputError) -> Int? {
        var searched = offset
        while true {
            let end = min(buffer.count, start + limit)
            if end - start >= pattern.count {
                let from = start + max(0, searched - pattern.count + 1)
                let found = buffer.withUnsafeBufferPointer { all in
                    pattern.withUnsafeBufferPointer { search(UnsafeBufferPointer(rebasing: all[from..<end]), $0) }
                }
                if let found { return from + found - start }
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

    /// Counts a damaged record by `reason` and keeps the problem.
    private func reject(at offset: Int64, _ reason: String, _ detail: String? = nil) {
        report.rejected.add(reason)
        note(at: offset, detail.map { "\(reason): \($0)" } ?? reason)
    }

    /// Keeps a problem that does not cost the record.
    private func note(at offset: Int64, _ text: String) {
        if report.issues.count < Self.maximumProblems {
            report.issues.append(InputReport.Issue(file: path, position: .offset(UInt64(clamping: offset)), message: text))
        }
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

/// Header sections (WARC, HTTP) read as bytes: lines split on LF (CRs before it dropped),
/// names and values trimmed, without making text of what is not needed.
enum HeaderLines {
    /// Calls `body` with each line's name and value (nil when the line has no colon; the first
    /// line comes whole as the name) and whether the line continues the previous one.
    static func forEach(_ header: [UInt8], _ body: (ArraySlice<UInt8>, ArraySlice<UInt8>?, Bool) -> Void) {
        var start = 0
        let count = header.count
        while start < count {
            var end = header[start...].firstIndex(of: 0x0A) ?? count
            let next = end + 1
            while end > start && header[end - 1] == 0x0D { end -= 1 }
            let line = header[start..<end]
            start = next
            guard !line.isEmpty else { continue }
            if line.first == 0x20 || line.first == 0x09 {
                body([], trim(line), true)
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                body(line, nil, false)
                continue
            }
            body(trim(line[..<colon]), trim(line[(colon + 1)...]), false)
        }
    }

    static func trim(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var bytes = bytes
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        return bytes
    }

    /// Whether `name` equals the lower-case `literal`, ignoring ASCII case.
    static func equal(_ name: ArraySlice<UInt8>, _ literal: StaticString) -> Bool {
        guard name.count == literal.utf8CodeUnitCount else { return false }
        let pointer = literal.utf8Start
        var k = 0
        for byte in name {
            let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            guard lower == pointer[k] else { return false }
            k += 1
        }
        return true
    }

    /// A non-negative decimal integer (at most 18 digits), or nil.
    static func integer(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value
    }
}
