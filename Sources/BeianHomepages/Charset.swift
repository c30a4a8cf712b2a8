public import BeianCore

/// The character encoding a page is read in, and how it was decided.
public struct CharsetDecision: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable {
        /// A byte order mark.
        case bom
        /// The HTTP `Content-Type` header.
        case header
        /// `<meta charset>` or `<meta http-equiv="Content-Type">`.
        case meta
        /// No declaration (or an unknown one): the bytes decided.
        case sniffed
        /// A declaration the bytes contradict (a page declaring gb2312 written in UTF-8, or
        /// the reverse): the bytes decided.
        case overridden
    }

    public var encoding: TextEncoding
    public var source: Source
    /// The declaration as written, when there was one.
    public var declared: String?

    /// Looks only at the first bytes of a page for `<meta … charset>`.
    public static let metaScanLength = 4096

    /// Decides how to read `body`: a BOM, else the declaration (header, then meta) when the
    /// bytes agree with it; valid UTF-8 with multibyte characters is UTF-8 whatever is
    /// declared, and bytes that are not UTF-8 are GB18030 (or Big5 when declared so, or when
    /// GB18030 cannot read them and Big5 can).
    public static func decide(body: UnsafeRawBufferPointer, headerCharset: String?, converters: TextConverters = TextConverters())
        -> CharsetDecision
    {
        if body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF {
            return CharsetDecision(encoding: .utf8, source: .bom, declared: nil)
        }
        var declared: String?
        var source = Source.sniffed
        if let headerCharset {
            declared = headerCharset
            source = .header
        } else if let meta = metaCharset(body) {
            declared = meta
            source = .meta
        }
        let declaredEncoding = declared.flatMap { TextEncoding(label: $0) }
        if declaredEncoding == nil { source = .sniffed }
        // Only the high bytes tell encodings apart.
        guard body.contains(where: { $0 >= 0x80 }) else {
            return CharsetDecision(encoding: declaredEncoding ?? .utf8, source: source, declared: declared)
        }
        let utf8 = firstInvalidUTF8(in: body, allowTruncatedEnd: true) == nil
        let sniffed: TextEncoding
        if utf8 {
            sniffed = .utf8
        } else if declaredEncoding == .big5 {
            sniffed = .big5
        } else {
            // Big5 is read only when GB18030 leaves bytes undecoded: it cannot leave fewer than none.
            let unreadAsGB = invalidCount(body, .gb18030, converters)
            sniffed = unreadAsGB == 0 || unreadAsGB <= invalidCount(body, .big5, converters) ? .gb18030 : .big5
        }
        guard let declaredEncoding else { return CharsetDecision(encoding: sniffed, source: .sniffed, declared: declared) }
        let agrees = declaredEncoding == sniffed || (!utf8 && declaredEncoding != .utf8)
        return CharsetDecision(encoding: agrees ? declaredEncoding : sniffed, source: agrees ? source : .overridden, declared: declared)
    }

    /// Bytes GB18030 or Big5 cannot read in the first 64 KiB.
    private static func invalidCount(_ body: UnsafeRawBufferPointer, _ encoding: TextEncoding, _ converters: TextConverters) -> Int {
        let converter = converters.converter(for: encoding)
        var output: [UInt8] = []
        converter.convert(UnsafeRawBufferPointer(rebasing: body.prefix(1 << 16)), final: true, into: &output)
        return converter.invalidByteCount
    }

    /// The charset a `<meta>` element declares in the first bytes, if any.
    static func metaCharset(_ body: UnsafeRawBufferPointer) -> String? {
        let head = Array(body.prefix(metaScanLength)).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let meta = Array("<meta".utf8)
        let charset = Array("charset".utf8)
        var i = 0
        while i + meta.count < head.count {
            guard head[i] == 0x3C, head[i..<(i + meta.count)].elementsEqual(meta) else {
                i += 1
                continue
            }
            let end = head[i...].firstIndex(of: 0x3E) ?? head.count
            var j = i
            while j + charset.count < end {
                if head[j..<(j + charset.count)].elementsEqual(charset) {
                    var k = j + charset.count
                    while k < end && (head[k] == 0x20 || head[k] == 0x3D || head[k] == 0x22 || head[k] == 0x27) { k += 1 }
                    let start = k
                    while k < end, head[k] != 0x22, head[k] != 0x27, head[k] != 0x3B, head[k] != 0x20, head[k] != 0x2F, head[k] != 0x3E {
                        k += 1
                    }
                    if k > start { return String(decoding: body[start..<k], as: UTF8.self) }
                }
                j += 1
            }
            i = end
        }
        return nil
    }

    /// `body` as UTF-8 in this encoding, with the count of bytes that did not decode.
    public func decode(_ body: UnsafeRawBufferPointer, converters: TextConverters = TextConverters()) -> (utf8: [UInt8], undecodable: Int) {
        switch encoding {
        case .utf8:
            let skip = body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF ? 3 : 0
            return (Array(body[skip...]), 0)
        case .gb18030, .big5:
            let converter = converters.converter(for: encoding)
            var output: [UInt8] = []
            output.reserveCapacity(body.count * 3 / 2)
            converter.convert(body, final: true, into: &output)
            return (output, converter.invalidByteCount)
        }
    }
}

/// Converters kept open for reuse (opening one loads iconv's tables: a cost per page when
/// made per page). One per reading thread.
public final class TextConverters {
    private var open: [TextEncoding: TextConverter] = [:]

    public init() {}

    /// The converter for `encoding`, reset.
    public func converter(for encoding: TextEncoding) -> TextConverter {
        if let known = open[encoding] {
            known.reset()
            return known
        }
        let converter = TextConverter(from: encoding)
        open[encoding] = converter
        return converter
    }
}
