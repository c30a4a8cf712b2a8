import BeianCore

/// HTTP/2 in cleartext (h2c: prior knowledge, RFC 9113 §3.3, or `Upgrade: h2c` from
/// HTTP/1.1) and DNS over HTTP (RFC 8484) in cleartext, over HTTP/1.1 and h2c.
///
/// The client's direction is read frame by frame: every header block goes through the
/// connection's HPACK decoder (its dynamic table depends on all of them), and each request's
/// `:authority` is an HTTP observation. A request for a DNS message (`application/dns-message`
/// or the `/dns-query` path) marks its stream; the server's direction is then followed too,
/// and the DNS message of each such response is read as DNS answers.
enum HTTP2 {
    /// The client connection preface (§3.4).
    static let preface: StaticString = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    static let prefaceLength = 24
    static let frameHeaderLength = 9
    /// A header block (HEADERS and its CONTINUATIONs) kept at most.
    static let maximumHeaderBlock = 16 * 1024
    /// A DNS message body kept at most (a DNS message is at most 65,535 bytes).
    static let maximumDNSBody = 65_535
    /// Streams of one connection waiting for a DNS response at most.
    static let maximumDNSStreams = 64

    enum FrameType: UInt8 {
        case data = 0
        case headers = 1
        case rstStream = 3
        case continuation = 9
    }

    struct FrameHeader {
        var length: Int
        var type: UInt8
        var flags: UInt8
        var stream: UInt32

        static let endStream: UInt8 = 0x01
        static let endHeaders: UInt8 = 0x04
        static let padded: UInt8 = 0x08
        static let priority: UInt8 = 0x20

        init(_ bytes: UnsafeRawBufferPointer) {
            length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
            type = bytes[3]
            flags = bytes[4]
            stream = bytes.u32(5) & 0x7FFF_FFFF
        }

        /// What a frame's payload holds once its padding (and a HEADERS frame's priority
        /// fields) are taken off; nil when the padding is longer than the payload.
        func content(_ payload: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
            var start = 0
            var end = payload.count
            if flags & Self.padded != 0 && (type == FrameType.data.rawValue || type == FrameType.headers.rawValue) {
                guard !payload.isEmpty else { return nil }
                start = 1
                end -= Int(payload[0])
            }
            if type == FrameType.headers.rawValue && flags & Self.priority != 0 { start += 5 }
            guard start <= end else { return nil }
            return payload.slice(start, end)
        }
    }

    /// Whether a client stream starts with the connection preface (as far as it goes; at
    /// least its first six bytes).
    @inline(__always)
    static func looksLikePreface(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // "PRI " first (the per-packet test of every segment that starts nothing else).
        guard bytes.count >= 6, bytes.u32(0) == 0x5052_4920 else { return false }
        let count = min(bytes.count, prefaceLength)
        let start = preface.utf8Start
        for index in 0..<count where bytes[index] != start[index] { return false }
        return true
    }

    /// Whether the first bytes a server sends look like a frame header of HTTP/2 (a
    /// plausible length, a known type): where following the server's direction may start.
    static func looksLikeFrame(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= frameHeaderLength else { return false }
        let header = FrameHeader(bytes)
        return header.type <= 9 && header.length <= 1 << 20
    }

    /// The fields of a request that matter here.
    struct Request {
        var authority: String?
        var host: String?
        var asksForDNSMessage = false
        var badAuthority = false

        mutating func add(_ name: [UInt8], _ value: [UInt8]) {
            switch name {
            case HTTP2.authorityName, HTTP2.hostName:
                let host = value.withUnsafeBytes { HostName.fromAuthority($0) }
                if host == nil { badAuthority = true }
                if name == HTTP2.authorityName { authority = authority ?? host } else { self.host = self.host ?? host }
            case HTTP2.pathName:
                if value.starts(with: HTTP2.dnsQueryPath) { asksForDNSMessage = true }
            case HTTP2.contentTypeName, HTTP2.acceptName:
                if HTTP2.contains(value, HTTP2.dnsMessageType) { asksForDNSMessage = true }
            default: break
            }
        }
    }

    static let authorityName = Array(":authority".utf8)
    static let hostName = Array("host".utf8)
    static let pathName = Array(":path".utf8)
    static let contentTypeName = Array("content-type".utf8)
    static let acceptName = Array("accept".utf8)
    static let dnsQueryPath = Array("/dns-query".utf8)
    static let dnsMessageType = Array("application/dns-message".utf8)
    static let h2cToken = Array("h2c".utf8)

    /// Whether `haystack` holds `needle`, ASCII letters compared without case.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { contains($0, needle) }
    }

    /// The same over bytes in place (header values of HTTP/1.x requests: no copy per request).
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) {
            var index = 0
            while index < needle.count && haystack[start + index] | 0x20 == needle[index] | 0x20 { index += 1 }
            if index == needle.count { return true }
        }
        return false
    }
}

/// What the decoder keeps of one h2c or DNS-over-HTTP connection, keyed by the client's
/// direction.
struct HTTP2Connection {
    enum Mode {
        /// HTTP/1.1 requests for DNS messages: the server's responses are read as HTTP/1.1.
        case http1
        /// `Upgrade: h2c` asked: HTTP/1.1 until the server's 101, then HTTP/2.
        case upgrading
        case http2
    }

    var mode: Mode
    var lastSeen: Int64
    /// The client's header blocks.
    var requests = HPACKDecoder()
    /// A header block not yet ended (HEADERS without END_HEADERS), and its stream.
    var block: [UInt8] = []
    var blockStream: UInt32?
    /// Streams whose request asked for a DNS message, with the response body so far.
    var dnsStreams: [UInt32: [UInt8]] = [:]
    /// The client's preface has been read.
    var prefaceRead = false
    /// The server's direction is being followed.
    var serverFollowed = false

    init(mode: Mode, now: Int64) {
        self.mode = mode
        lastSeen = now
    }

    /// Marks `stream` as waiting for a DNS response (bounded per connection).
    mutating func expectDNS(on stream: UInt32) {
        guard dnsStreams.count < HTTP2.maximumDNSStreams else { return }
        dnsStreams[stream] = []
    }
}

/// An HTTP/1.x response head at the start of a server stream: what a DNS-over-HTTP reader
/// needs of it.
struct HTTPResponseHead {
    var status: Int
    var headLength: Int
    var contentLength: Int?
    var chunked = false
    var dnsMessage = false

    enum Outcome {
        case head(HTTPResponseHead)
        case needMore
        case invalid
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard bytes.count >= 12 else { return .needMore }
        guard bytes.hasPrefix("HTTP/1."), bytes[8] == 0x20 else { return .invalid }
        var status = 0
        for index in 9..<12 {
            let digit = bytes[index]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return .invalid }
            status = status * 10 + Int(digit - UInt8(ascii: "0"))
        }
        let limit = min(bytes.count, HTTPRequest.maximumHeadLength)
        var lineStart = 0
        var head = HTTPResponseHead(status: status, headLength: 0)
        while lineStart < limit {
            guard let newline = (lineStart..<limit).first(where: { bytes[$0] == 0x0A }) else {
                return bytes.count >= HTTPRequest.maximumHeadLength ? .invalid : .needMore
            }
            var line = bytes.slice(lineStart, newline)
            if line.last == 0x0D { line = line.slice(0, line.count - 1) }
            lineStart = newline + 1
            if line.isEmpty {
                head.headLength = lineStart
                return .head(head)
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = Array(line.slice(0, colon)).map { $0 | 0x20 }
            let value = Array(line.slice(colon + 1, line.count))
            if name == Array("content-length".utf8) {
                head.contentLength = Int(String(decoding: value, as: UTF8.self).trimmingSpaces)
            } else if name == Array("transfer-encoding".utf8) {
                head.chunked = HTTP2.contains(value, Array("chunked".utf8))
            } else if name == Array("content-type".utf8) {
                head.dnsMessage = HTTP2.contains(value, HTTP2.dnsMessageType)
            }
        }
        return .needMore
    }

    /// A chunked body's content when it is whole in `bytes`, with the bytes it took; nil
    /// when more is needed, `.invalid` when the chunk sizes are not hexadecimal.
    static func dechunk(_ bytes: UnsafeRawBufferPointer, limit: Int) -> (body: [UInt8], length: Int)?? {
        var body: [UInt8] = []
        var offset = 0
        while true {
            guard let newline = (offset..<bytes.count).first(where: { bytes[$0] == 0x0A }) else { return .some(nil) }
            var size = 0
            var digits = 0
            for byte in bytes.slice(offset, newline) {
                guard let value = hexValue(byte) else { break }
                size = size * 16 + value
                digits += 1
                guard digits <= 6 else { return nil }
            }
            guard digits > 0 else { return nil }
            offset = newline + 1
            if size == 0 {
                // Trailers (none expected): up to the blank line.
                while true {
                    guard let end = (offset..<bytes.count).first(where: { bytes[$0] == 0x0A }) else { return .some(nil) }
                    let empty = end == offset || (end == offset + 1 && bytes[offset] == 0x0D)
                    offset = end + 1
                    if empty { return .some((body, offset)) }
                }
            }
            guard body.count + size <= limit else { return nil }
            guard offset + size + 1 <= bytes.count else { return .some(nil) }
            body += bytes.slice(offset, offset + size)
            offset += size
            // The chunk's CRLF.
            if offset < bytes.count && bytes[offset] == 0x0D { offset += 1 }
            guard offset < bytes.count else { return .some(nil) }
            guard bytes[offset] == 0x0A else { return nil }
            offset += 1
        }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let trimmed = drop(while: { $0 == " " || $0 == "\t" })
        return trimmed.prefix(while: { $0 != " " && $0 != "\t" })
    }
}
