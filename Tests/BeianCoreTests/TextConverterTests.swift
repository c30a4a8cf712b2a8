import BeianCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The GB18030 converter reads ASCII and two-byte characters by table and the rest with
/// iconv: it must give iconv's output, invalid-byte count and offsets on any bytes, in one
/// piece or in chunks.
struct TextConverterTests {
    /// iconv alone, one invalid byte replaced at a time: what the converter did before its table.
    static func iconvReference(_ input: [UInt8]) -> (output: [UInt8], invalid: [Int64]) {
        let handle = iconv_open("UTF-8", "GB18030")
        defer { iconv_close(handle) }
        var output: [UInt8] = []
        var invalid: [Int64] = []
        var at = 0
        while at < input.count {
            var scratch = [UInt8](repeating: 0, count: (input.count - at) * 4 + 16)
            let (used, produced, failed) = input.withUnsafeBytes { inBuffer in
                scratch.withUnsafeMutableBytes { outBuffer -> (Int, Int, Bool) in
                    var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutablePointer(
                        mutating: (inBuffer.baseAddress! + at).assumingMemoryBound(to: CChar.self))
                    var inLeft = input.count - at
                    var outPointer = outBuffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                    var outLeft = outBuffer.count
                    let rc = iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (input.count - at - inLeft, outBuffer.count - outLeft, rc == -1)
                }
            }
            output.append(contentsOf: scratch[..<produced])
            at += used
            if failed {
                invalid.append(Int64(at))
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
                at += 1
            }
        }
        return (output, invalid)
    }

    static func converted(_ input: [UInt8], pieces: [Int] = []) -> (output: [UInt8], invalid: [Int64], count: Int) {
        let converter = TextConverter(from: .gb18030)
        var output: [UInt8] = []
        var start = 0
        for cut in pieces where cut > start && cut < input.count {
            input[start..<cut].withUnsafeBytes { converter.convert($0, final: false, into: &output) }
            start = cut
        }
        input[start...].withUnsafeBytes { converter.convert($0, final: true, into: &output) }
        return (output, converter.invalidOffsets, converter.invalidByteCount)
    }

    @Test func everyPairAndEveryLeadAtTheEndAgreesWithIconv() {
        var input: [UInt8] = []
        for lead in 0x80...0xFF {
            for trail in 0x00...0xFF {
                input.append(UInt8(lead))
                input.append(UInt8(trail))
                // A space after each pair, so that a refused pair cannot swallow the next one.
                input.append(0x20)
            }
        }
        let reference = Self.iconvReference(input)
        let fast = Self.converted(input)
        let same = fast.output == reference.output
        #expect(same, "the outputs differ from byte \(zip(fast.output, reference.output).prefix { $0 == $1 }.count)")
        #expect(fast.count == reference.invalid.count)
        #expect(fast.invalid == Array(reference.invalid.prefix(TextConverter.maximumRecordedErrors)))
        for lead in [0x80, 0x81, 0xA1, 0xB0, 0xFE, 0xFF] {
            let alone = Self.converted([0x41, UInt8(lead)])
            let reference = Self.iconvReference([0x41, UInt8(lead)])
            #expect(alone.output == reference.output && alone.invalid == reference.invalid)
        }
    }

    @Test func fourByteSequencesAgreeWithIconv() {
        var input: [UInt8] = []
        for first in stride(from: 0x81, through: 0xFE, by: 7) {
            for second in 0x30...0x39 {
                for third in stride(from: 0x80, through: 0xFF, by: 5) {
                    for fourth in [0x2F, 0x30, 0x35, 0x39, 0x3A] {
                        input += [UInt8(first), UInt8(second), UInt8(third), UInt8(fourth), 0x20]
                    }
                }
            }
        }
        let reference = Self.iconvReference(input)
        let fast = Self.converted(input)
        #expect(fast.output == reference.output)
        #expect(fast.count == reference.invalid.count)
    }

    @Test func randomBytesInOneOrManyPiecesAgreeWithIconv() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [
            0x20, 0x41, 0x3C, 0x30, 0x35, 0x39, 0x40, 0x7E, 0x7F, 0x80, 0x81, 0x82, 0x84, 0x95, 0xA1, 0xB0, 0xC4, 0xD6, 0xFE, 0xFF,
        ]
        for round in 0..<400 {
            let count = Int.random(in: 0...300, using: &generator)
            let input = (0..<count).map { _ in
                round % 2 == 0 ? alphabet.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            let reference = Self.iconvReference(input)
            let whole = Self.converted(input)
            #expect(whole.output == reference.output, "input \(input)")
            #expect(whole.count == reference.invalid.count, "input \(input)")
            #expect(whole.invalid == Array(reference.invalid.prefix(TextConverter.maximumRecordedErrors)))
            let cuts = (0..<Int.random(in: 1...6, using: &generator)).map { _ in Int.random(in: 0...max(1, count), using: &generator) }
                .sorted()
            let pieces = Self.converted(input, pieces: cuts)
            #expect(pieces.output == reference.output, "input \(input) cut at \(cuts)")
            #expect(pieces.invalid == whole.invalid, "input \(input) cut at \(cuts)")
        }
    }

    @Test func chineseTextRoundTrips() {
        let text = "浙ICP备12345678号-1 京公网安备 11010502030143号 © 2025 杭州某某科技有限公司 𠀀 €"
        let encoded = GB18030Encoder.encode(text)
        #expect(encoded.count > text.unicodeScalars.count)
        let back = Self.converted(encoded)
        #expect(String(decoding: back.output, as: UTF8.self) == text)
        #expect(back.count == 0)
    }
}
