public import BeianCore
internal import Crypto
internal import Foundation
internal import Synchronization

/// Writes WARC 1.1 records, each compressed as a gzip member of its own (so that any record
/// can be read from its offset), to a file. Safe to call from many threads.
public final class WARCWriter: Sendable {
    public struct Record: Sendable {
        public var type: String
        public var targetURI: String?
        /// When it was fetched; nil for now.
        public var date: Timestamp?
        public var contentType: String
        public var block: [UInt8]
        /// More named fields (`WARC-IP-Address`, `WARC-Truncated`…).
        public var fields: [(String, String)]
        public var recordID: String

        public init(
            type: String, targetURI: String?, date: Timestamp? = nil, contentType: String, block: [UInt8], fields: [(String, String)] = [],
            recordID: String = WARCWriter.newRecordID()
        ) {
            self.type = type
            self.targetURI = targetURI
            self.date = date
            self.contentType = contentType
            self.block = block
            self.fields = fields
            self.recordID = recordID
        }
    }

    public let path: String
    private let state: Mutex<State>

    private struct State {
        var file: AtomicOutput
        var written: Int64 = 0
        var records = 0
    }

    /// Creates (or truncates) the file and writes a `warcinfo` record naming the software.
    public init(path: String, software: String) throws {
        self.path = path
        state = Mutex(State(file: try AtomicOutput(path: path)))
        let info =
            "software: \(software)\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n"
        try write(
            Record(
                type: "warcinfo", targetURI: nil, contentType: "application/warc-fields", block: Array(info.utf8),
                fields: [("WARC-Filename", URL(fileURLWithPath: path).lastPathComponent)]))
    }

    /// Records written so far (the warcinfo included) and bytes of the file.
    public var counts: (records: Int, bytes: Int64) {
        state.withLock { ($0.records, $0.written) }
    }

    /// Writes one record; returns its offset in the file.
    @discardableResult
    public func write(_ record: Record) throws -> Int64 {
        let bytes = Self.encode(record)
        return try state.withLock { state in
            let offset = state.written
            try state.file.write(bytes)
            state.written += Int64(bytes.count)
            state.records += 1
            return offset
        }
    }

    /// Flushes the file to the disk and gives it its name: until then it is `NAME.partial-PID`
    /// (a crawl killed before the end leaves no WARC under the final name).
    public func close() throws {
        try state.withLock { try $0.file.commit() }
    }

    /// One record as a gzip member of its own: the header fields in a fixed order (version,
    /// type, record ID, date, target URI, the record's own fields, block digest, content type
    /// and length), the block, the two line ends that close a record. The same record always
    /// gives the same bytes (its date is now when it has none).
    public static func encode(_ record: Record) -> [UInt8] {
        var head = "WARC/1.1\r\nWARC-Type: \(record.type)\r\nWARC-Record-ID: \(record.recordID)\r\n"
        head += "WARC-Date: \((record.date ?? .now).iso8601)\r\n"
        if let uri = record.targetURI { head += "WARC-Target-URI: \(uri)\r\n" }
        for (name, value) in record.fields { head += "\(name): \(value)\r\n" }
        head += "WARC-Block-Digest: \(digest(record.block))\r\n"
        head += "Content-Type: \(record.contentType)\r\nContent-Length: \(record.block.count)\r\n\r\n"
        let plain = Array(head.utf8) + record.block + Array("\r\n\r\n".utf8)
        return Compression.compress(plain) ?? plain
    }

    public static func newRecordID() -> String {
        "<urn:uuid:\(UUID().uuidString.lowercased())>"
    }

    /// `sha1:` and the base32 of the SHA-1 of `bytes`, as WARC writers give it.
    static func digest(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var out: [UInt8] = Array("sha1:".utf8)
        var buffer = 0
        var bits = 0
        for byte in Insecure.SHA1.hash(data: bytes) {
            buffer = (buffer << 8 | Int(byte)) & 0xFFFF
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }
}
