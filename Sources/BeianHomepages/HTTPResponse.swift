internal import BeianCore
internal import CBrotli

/// An HTTP/1.x response as a crawler stored it: status, headers, and the body with its
/// transfer and content encodings undone.
public struct HTTPResponse: Sendable {
    /// Largest decoded body kept (a homepage larger than this is audited on its first part).
    public static let maximumBody = 8 << 20
    /// Largest header section read.
    public static let maximumHeader = 64 << 10

    public var status: Int
    /// Header fields in order, names lower-cased.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// What went wrong decoding the body (bad chunking, corrupt compression, unknown
    /// encoding); the body holds what could be decoded.
    public var problems: [String] = []

    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }

    /// The `charset` parameter of the `Content-Type` header, if any.
    public var declaredCharset: String? {
        header("content-type").flatMap(HTTPResponse.charset(inContentType:))
    }

    /// Parses `message` (status line, headers, body). Nil when it is not an HTTP response.
    public init?(message: [UInt8]) {
        // Lenient like browsers and replay tools: `HTTP` then anything up to the status code.
        guard message.count >= 12, message.starts(with: Array("HTTP".utf8)) else { return nil }
        // The header ends at the first empty line (CRLF CRLF, or bare LF LF from sloppy writers).
        var end = -1
        var bodyStart = -1
        var i = 0
        let limit = min(message.count, Self.maximumHeader)
        while i < limit {
            if message[i] == 0x0A {
                if i + 1 < message.count && message[i + 1] == 0x0A {
                    end = i
                    bodyStart = i + 2
                    break
                }
                if i + 2 < message.count && message[i + 1] == 0x0D && message[i + 2] == 0x0A {
                    end = i
                    bodyStart = i + 3
                    break
                }
            }
            i += 1
        }
        if end < 0 {
            // Headers only, no body.
            end = limit
            bodyStart = limit
        }
        var status: Int?
        var headers: [(name: String, value: String)] = []
        HeaderLines.forEach(Array(message[..<end])) { name, value, continuation in
            guard status != nil else {
                // `HTTP/1.1 200 OK`: the status is the second word.
                let words = name.split(separator: 0x20, maxSplits: 2)
                status = words.count >= 2 ? HeaderLines.integer(words[1]).map { Int($0) } : nil
                if status == nil { status = -1 }
                return
            }
            guard !continuation, let value else { return }
            headers.append(
                (
                    String(decoding: name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self),
                    String(decoding: value, as: UTF8.self)
                ))
        }
        guard let status, status >= 0 else { return nil }
        self.status = status
        self.headers = headers
        body = []
        var raw = Array(message[bodyStart...])
        if header("transfer-encoding")?.lowercased().contains("chunked") == true {
            raw = dechunk(raw)
        }
        let encodings = (header("content-encoding") ?? "").lowercased().split(separator: ",").map { $0.trimmingSpaces }
            .filter { !$0.isEmpty && $0 != "identity" }
        // Encodings apply in order: undo them last first.
        for encoding in encodings.reversed() {
            switch encoding {
            case "gzip", "x-gzip", "deflate":
                let decoded = raw.withUnsafeBytes { Compression.decompress($0, limit: Self.maximumBody) }
                if let problem = decoded.problem { problems.append("\(encoding) body: \(problem)") }
                raw = decoded.bytes
            case "br":
                let decoded = Self.brotli(raw, limit: Self.maximumBody)
                if let problem = decoded.problem { problems.append("br body: \(problem)") }
                raw = decoded.bytes
            default:
                problems.append("unknown content encoding \(JSONText.quoted(encoding)): body left as stored")
            }
        }
        if raw.count > Self.maximumBody {
            problems.append("body over \(Self.maximumBody) bytes: the first part audited")
            raw.removeLast(raw.count - Self.maximumBody)
        }
        body = raw
    }

    /// Undoes chunked transfer coding; a damaged or cut stream keeps what came before.
    private mutating func dechunk(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            var j = i
            var size = 0
            var digits = 0
            while j < raw.count, let digit = Self.hexValue(raw[j]) {
                guard size < (1 << 40) else { break }
                size = size * 16 + digit
                digits += 1
                j += 1
            }
            guard digits > 0 else {
                problems.append("chunked body: no chunk size at byte \(i)")
                return out
            }
            // Chunk extensions run to the end of the line.
            while j < raw.count && raw[j] != 0x0A { j += 1 }
            j += 1
            if size == 0 { return out }
            guard j + size <= raw.count else {
                problems.append("chunked body: cut inside a chunk")
                out.append(contentsOf: raw[min(j, raw.count)...])
                return out
            }
            out.append(contentsOf: raw[j..<(j + size)])
            if out.count > Self.maximumBody { return out }
            i = j + size
            if i < raw.count && raw[i] == 0x0D { i += 1 }
            if i < raw.count && raw[i] == 0x0A { i += 1 }
        }
        problems.append("chunked body: no last chunk")
        return out
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }

    static func brotli(_ input: [UInt8], limit: Int) -> Compression.Decompressed {
        guard let state = BrotliDecoderCreateInstance(nil, nil, nil) else {
            return Compression.Decompressed(bytes: [], problem: "brotli decoder could not start")
        }
        defer { BrotliDecoderDestroyInstance(state) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        return input.withUnsafeBufferPointer { source in
            var availableIn = source.count
            var nextIn = source.baseAddress
            while true {
                var availableOut = chunk.count
                let result = chunk.withUnsafeMutableBufferPointer { target in
                    var nextOut = target.baseAddress
                    return BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                }
                let produced = chunk.count - availableOut
                output.append(contentsOf: chunk[..<min(produced, limit - output.count)])
                if output.count >= limit {
                    return Compression.Decompressed(bytes: output, problem: "larger than \(limit) bytes decompressed")
                }
                switch result {
                case BROTLI_DECODER_RESULT_SUCCESS: return Compression.Decompressed(bytes: output, problem: nil)
                case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: continue
                case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                    return Compression.Decompressed(bytes: output, problem: "compressed body ends early (truncated)")
                default:
                    let code = BrotliDecoderGetErrorCode(state)
                    let name = BrotliDecoderErrorString(code).map { String(cString: $0) } ?? "error"
                    return Compression.Decompressed(bytes: output, problem: "corrupt brotli body: \(name)")
                }
            }
        }
    }

    /// The charset parameter of a media type (`text/html; charset="GBK"`).
    public static func charset(inContentType value: String) -> String? {
        let bytes = Array(value.utf8)
        let key = Array("charset".utf8)
        var i = 0
        while i + key.count < bytes.count {
            // After a `;` (and spaces), `charset` then `=`.
            guard bytes[i] == UInt8(ascii: ";") else {
                i += 1
                continue
            }
            var j = i + 1
            while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
            i = j
            guard j + key.count < bytes.count, zip(bytes[j..<(j + key.count)], key).allSatisfy({ $0 | 0x20 == $1 }) else { continue }
            j += key.count
            while j < bytes.count && bytes[j] == 0x20 { j += 1 }
            guard j < bytes.count, bytes[j] == UInt8(ascii: "=") else { continue }
            j += 1
            while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x22 || bytes[j] == 0x27) { j += 1 }
            let start = j
            while j < bytes.count && bytes[j] != 0x22 && bytes[j] != 0x27 && bytes[j] != UInt8(ascii: ";") && bytes[j] != 0x20 { j += 1 }
            return j > start ? String(decoding: bytes[start..<j], as: UTF8.self) : nil
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: String { String(self).trimmingSpaces }
}
