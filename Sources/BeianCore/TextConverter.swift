#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Character encodings of Chinese text that readers meet besides UTF-8.
public enum TextEncoding: String, Sendable, CaseIterable, Hashable {
    case utf8 = "utf-8"
    /// GB18030, a superset of GBK and GB2312 (which are read as GB18030).
    case gb18030
    case big5

    /// The encoding a declared name means (`GBK`, `gb2312`, `UTF8`, `x-gbk`, `big5-hkscs`…), or nil.
    public init?(label: some StringProtocol) {
        let name = label.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " }
        switch name {
        case "utf8", "unicode11utf8", "unicode20utf8", "xunicode20utf8": self = .utf8
        case "gbk", "gb2312", "gb18030", "xgbk", "cp936", "windows936", "ms936", "euccn", "csgb2312", "chinese",
            "gb231280", "isoir58", "csiso58gb231280", "hzgb2312":
            self = .gb18030
        case "big5", "big5hkscs", "cnbig5", "csbig5", "xxbig5", "cp950": self = .big5
        default: return nil
        }
    }

    var iconvName: String {
        switch self {
        case .utf8: "UTF-8"
        case .gb18030: "GB18030"
        case .big5: "BIG5-HKSCS"
        }
    }
}

/// Streaming conversion of GB18030 or Big5 bytes to UTF-8 (glibc iconv).
///
/// Bytes that do not decode are replaced by U+FFFD and counted with their offsets, never
/// fatal. A multibyte sequence cut by a chunk boundary is carried to the next chunk.
public final class TextConverter {
    public let encoding: TextEncoding
    private let handle: iconv_t
    private var carry: [UInt8] = []
    /// Offsets (from the start of the stream) of bytes that did not decode; at most
    /// `maximumRecordedErrors` are kept, `invalidByteCount` counts them all.
    public private(set) var invalidOffsets: [Int64] = []
    public private(set) var invalidByteCount = 0
    public static let maximumRecordedErrors = 100
    private var consumed: Int64 = 0

    public init(from encoding: TextEncoding) {
        self.encoding = encoding
        // glibc always provides UTF-8, GB18030 and BIG5-HKSCS.
        handle = iconv_open("UTF-8", encoding.iconvName)
        precondition(handle != iconv_t(bitPattern: -1), "iconv cannot convert \(encoding.iconvName)")
    }

    deinit {
        iconv_close(handle)
    }

    /// Converts `input`, appending UTF-8 to `output`. With `final`, an incomplete sequence
    /// at the end is replaced instead of carried.
    public func convert(_ input: UnsafeRawBufferPointer, final: Bool = false, into output: inout [UInt8]) {
        if carry.isEmpty {
            convertBytes(input, final: final, into: &output)
        } else {
            var joined = carry
            joined.append(contentsOf: input)
            carry.removeAll()
            joined.withUnsafeBytes { convertBytes($0, final: final, into: &output) }
        }
    }

    /// Forgets everything converted so far (state, carried bytes, counts): ready for another
    /// stream, without the cost of opening a new converter.
    public func reset() {
        iconv(handle, nil, nil, nil, nil)
        carry.removeAll()
        invalidOffsets.removeAll()
        invalidByteCount = 0
        consumed = 0
    }

    /// Converts a whole string's bytes.
    public func convert(_ input: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        Array(input).withUnsafeBytes { convert($0, final: true, into: &output) }
        return output
    }

    private func convertBytes(_ input: UnsafeRawBufferPointer, final: Bool, into output: inout [UInt8]) {
        if encoding == .gb18030 {
            convertGB18030(input, final: final, into: &output)
        } else {
            convertWithIconv(input, final: final, into: &output)
        }
    }

    /// GB18030 by table for ASCII and the two-byte characters (all of GBK, nearly all of any
    /// page), iconv for the rest (four-byte sequences, lone high bytes). The output, the
    /// invalid bytes and their offsets are iconv's own: the table is made by iconv
    /// (`GB18030Pairs`), and whatever it does not hold goes to iconv as before.
    private func convertGB18030(_ input: UnsafeRawBufferPointer, final: Bool, into output: inout [UInt8]) {
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 0 else { return }
        let n = input.count
        let pairs = GB18030Pairs.utf8
        // At most three output bytes per input byte (a replaced byte), four for a four-byte sequence.
        let converted = [UInt8](unsafeUninitializedCapacity: n * 3 + 8) { out, written in
            guard let outBase = out.baseAddress else { return }
            var o = 0
            var i = 0
            while i < n {
                // Eight ASCII bytes at a time.
                if i + 8 <= n {
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 == 0 {
                        UnsafeMutableRawPointer(outBase + o).storeBytes(of: word, as: UInt64.self)
                        i += 8
                        o += 8
                        continue
                    }
                }
                let lead = base[i]
                if lead < 0x80 {
                    outBase[o] = lead
                    i += 1
                    o += 1
                    continue
                }
                if lead >= 0x81 && lead <= 0xFE && i + 1 < n {
                    let trail = base[i + 1]
                    if trail >= 0x40 {
                        // `pairs` holds 0 for a pair iconv refuses: one byte replaced, as iconv does.
                        let packed = pairs[Int(lead - 0x81) &* 192 &+ Int(trail - 0x40)]
                        if packed == 0 {
                            replaceByte(at: i, out: outBase, &o)
                            i += 1
                            continue
                        }
                        if packed != GB18030Pairs.beyondBMP {
                            // Little-endian: the low bytes are the first in memory.
                            UnsafeMutableRawPointer(outBase + o).storeBytes(of: packed, as: UInt32.self)
                            o += Int(packed >> 24 == 0 ? 3 : 2)
                            i += 2
                            continue
                        }
                    } else if trail < 0x30 || trail > 0x39 {
                        replaceByte(at: i, out: outBase, &o)
                        i += 1
                        continue
                    }
                }
                // A four-byte sequence, a pair beyond the BMP, a lone high byte or a lead at the
                // end: iconv on at most four bytes.
                let available = min(4, n - i)
                let step = iconvStep(
                    handle, UnsafeRawBufferPointer(start: base + i, count: available),
                    into: UnsafeMutableRawBufferPointer(start: outBase + o, count: out.count - o))
                if step.used > 0 {
                    o += step.produced
                    i += step.used
                    continue
                }
                if step.error == EINVAL && !final && i + available == n {
                    // An incomplete sequence at the end: keep it for the next chunk.
                    carry = Array(UnsafeRawBufferPointer(start: base + i, count: n - i))
                    consumed += Int64(i)
                    written = o
                    return
                }
                replaceByte(at: i, out: outBase, &o)
                i += 1
            }
            consumed += Int64(n)
            written = o
        }
        if output.isEmpty {
            output = converted
        } else {
            output.append(contentsOf: converted)
        }
    }

    /// Writes U+FFFD for the byte at `offset` of the current input and counts it.
    private func replaceByte(at offset: Int, out: UnsafeMutablePointer<UInt8>, _ o: inout Int) {
        let at = consumed + Int64(offset)
        if invalidOffsets.count < TextConverter.maximumRecordedErrors { invalidOffsets.append(at) }
        invalidByteCount += 1
        out[o] = 0xEF
        out[o + 1] = 0xBF
        out[o + 2] = 0xBD
        o += 3
    }

    private func convertWithIconv(_ input: UnsafeRawBufferPointer, final: Bool, into output: inout [UInt8]) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        var offset = 0
        var scratch = [UInt8](repeating: 0, count: max(input.count * 2, 64))
        while offset < input.count {
            let rest = UnsafeRawBufferPointer(start: base + offset, count: input.count - offset)
            let step = scratch.withUnsafeMutableBytes { iconvStep(handle, rest, into: $0) }
            output.append(contentsOf: scratch[..<step.produced])
            offset += step.used
            guard let error = step.error else { break }
            switch error {
            case E2BIG:
                continue
            case EINVAL where !final:
                // An incomplete sequence at the end: keep it for the next chunk.
                carry = Array(UnsafeRawBufferPointer(start: base + offset, count: input.count - offset))
                consumed += Int64(offset)
                return
            default:
                // EILSEQ, or an incomplete sequence at the very end: replace one byte.
                let at = consumed + Int64(offset)
                if invalidOffsets.count < TextConverter.maximumRecordedErrors { invalidOffsets.append(at) }
                invalidByteCount += 1
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                offset += 1
            }
        }
        consumed += Int64(input.count)
    }
}

/// One call of iconv from `input` into `output`: the bytes it read and wrote, and `errno` when
/// it stopped short (EILSEQ at a byte it refuses, EINVAL at a sequence cut by the end of the
/// input, E2BIG when the output is full).
private func iconvStep(
    _ handle: iconv_t?, _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
) -> (used: Int, produced: Int, error: Int32?) {
    var inPointer = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: CChar.self)) }
    var inLeft = input.count
    var outPointer = output.baseAddress?.assumingMemoryBound(to: CChar.self)
    var outLeft = output.count
    let rc = iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft)
    let error = rc == -1 ? errno : nil
    return (input.count - inLeft, output.count - outLeft, error)
}

/// Every two-byte GB18030 sequence (lead 0x81–0xFE, trail 0x40–0xFF) as glibc iconv decodes
/// it, in UTF-8: the bytes in the low three bytes of a word, in memory order, and 0x01 in the
/// top byte for a two-byte character (0x00 for three). 0 where iconv refuses the pair, and
/// `beyondBMP` where it reads a character outside the BMP (GB18030-2022 moved a few there).
/// Made once, by iconv itself, so that the table and iconv cannot disagree.
enum GB18030Pairs {
    static let beyondBMP: UInt32 = 0xFFFF_FFFF

    static let utf8: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 126 * 192)
        let handle = iconv_open("UTF-8", "GB18030")
        guard handle != iconv_t(bitPattern: -1) else { return table }
        defer { iconv_close(handle) }
        for lead in 0x81...0xFE {
            for trail in 0x40...0xFF {
                let input: [UInt8] = [UInt8(lead), UInt8(trail)]
                var output = [UInt8](repeating: 0, count: 8)
                let step = input.withUnsafeBytes { bytes in output.withUnsafeMutableBytes { iconvStep(handle, bytes, into: $0) } }
                let produced = step.error == nil && step.used == 2 ? step.produced : nil
                iconv(handle, nil, nil, nil, nil)
                guard let produced, produced >= 2 else { continue }
                guard produced <= 3 else {
                    table[(lead - 0x81) * 192 + (trail - 0x40)] = beyondBMP
                    continue
                }
                var packed = UInt32(output[0]) | UInt32(output[1]) << 8
                packed |= produced == 3 ? UInt32(output[2]) << 16 : 0x0100_0000
                table[(lead - 0x81) * 192 + (trail - 0x40)] = packed
            }
        }
        return table
    }()
}

/// Checks UTF-8 validity; returns the offset of the first invalid byte, or nil.
public func firstInvalidUTF8(in bytes: UnsafeRawBufferPointer, allowTruncatedEnd: Bool) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 {
            // Eight ASCII bytes at a time.
            i += i + 8 <= n && bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 ? 8 : 1
            continue
        }
        // Three bytes from E1–EC or EE–EF (most of Chinese text): any two continuation bytes
        // make a valid character (E0 can be overlong, ED a surrogate: both go the long way).
        if b0 & 0xF0 == 0xE0 && b0 != 0xE0 && b0 != 0xED && i + 3 <= n && bytes[i + 1] & 0xC0 == 0x80 && bytes[i + 2] & 0xC0 == 0x80 {
            i += 3
            continue
        }
        let length: Int
        let minimum: UInt32
        var value: UInt32
        switch b0 {
        case 0xC2...0xDF:
            length = 2
            minimum = 0x80
            value = UInt32(b0 & 0x1F)
        case 0xE0...0xEF:
            length = 3
            minimum = 0x800
            value = UInt32(b0 & 0x0F)
        case 0xF0...0xF4:
            length = 4
            minimum = 0x10000
            value = UInt32(b0 & 0x07)
        default: return i
        }
        if i + length > n {
            // A sequence cut at the end of the buffer.
            for k in (i + 1)..<n where bytes[k] & 0xC0 != 0x80 { return i }
            return allowTruncatedEnd ? nil : i
        }
        for k in 1..<length {
            let b = bytes[i + k]
            guard b & 0xC0 == 0x80 else { return i }
            value = value << 6 | UInt32(b & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return i }
        i += length
    }
    return nil
}

/// UTF-8 text to GB18030 (which agrees with GBK and GB2312 on every character they have),
/// for files exchanged with the filing system. glibc iconv.
public enum GB18030Encoder {
    /// The bytes of `text` in GB18030 (every Unicode character has one).
    public static func encode(_ text: String) -> [UInt8] {
        let handle = iconv_open("GB18030", "UTF-8")
        guard handle != iconv_t(bitPattern: -1) else { return Array(text.utf8) }
        defer { iconv_close(handle) }
        let input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        let produced = input.withUnsafeBytes { bytes in output.withUnsafeMutableBytes { iconvStep(handle, bytes, into: $0).produced } }
        return Array(output[..<produced])
    }
}
