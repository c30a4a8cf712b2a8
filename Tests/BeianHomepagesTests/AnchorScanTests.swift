import BeianHomepages
import Testing

/// The anchor scan passes over ASCII eight bytes at a time and over three-byte characters
/// whole: it must find exactly what a look at every byte finds, on any bytes.
struct AnchorScanTests {
    /// Every byte looked at: the scan as it was before it skipped.
    static func reference(_ bytes: [UInt8]) -> [Int] {
        var found: [Int] = []
        let count = bytes.count
        guard count >= 2 else { return [] }
        func alphanumeric(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) }
        func digits(_ start: Int) -> Bool {
            var j = start
            while j < count && j < start + 3 && bytes[j] == 0x20 { j += 1 }
            guard j < count else { return false }
            if bytes[j] >= 0x30 && bytes[j] <= 0x39 { return true }
            return j + 2 < count && bytes[j] == 0xEF && bytes[j + 1] == 0xBC && bytes[j + 2] >= 0x90 && bytes[j + 2] <= 0x99
        }
        for i in 0..<(count - 1) {
            let b = bytes[i]
            switch b {
            case 0x49, 0x69:
                if i + 2 < count && bytes[i + 1] | 0x20 == 0x63 && bytes[i + 2] | 0x20 == 0x70 { found.append(i) }
            case 0x42, 0x62:
                if (bytes[i + 1] == 0x31 || bytes[i + 1] == 0x32) && (i == 0 || !alphanumeric(bytes[i - 1])) { found.append(i) }
            case 0xEF:
                if i + 2 < count && ((bytes[i + 1] == 0xBC && bytes[i + 2] == 0xA9) || (bytes[i + 1] == 0xBD && bytes[i + 2] == 0x89)) {
                    found.append(i)
                }
            case 0xE5:
                if i + 2 < count && bytes[i + 1] == 0x85 && bytes[i + 2] == 0xAC {
                    found.append(i)
                } else if i + 3 < count
                    && ((bytes[i + 1] == 0xA4 && bytes[i + 2] == 0x87) || (bytes[i + 1] == 0x82 && bytes[i + 2] == 0x99))
                    && digits(i + 3)
                {
                    found.append(i)
                }
            case 0xE7:
                if i + 5 < count && ((bytes[i + 1] == 0xBD && bytes[i + 2] == 0x91) || (bytes[i + 1] == 0xB6 && bytes[i + 2] == 0xB2))
                    && bytes[i + 3] == 0xE6 && bytes[i + 4] == 0x96 && bytes[i + 5] == 0x87
                {
                    found.append(i)
                }
            case 0xE6:
                if i + 2 < count && bytes[i + 1] == 0x96 && bytes[i + 2] == 0xB0 { found.append(i) }
            default: break
            }
        }
        return found
    }

    static func scanned(_ bytes: [UInt8]) -> [Int] {
        var found: [Int] = []
        bytes.withUnsafeBufferPointer { PageText.anchors(in: $0) { found.append($0) } }
        return found
    }

    @Test func findsWhatALookAtEveryByteFinds() {
        var generator = SystemRandomNumberGenerator()
        // Pieces anchors are made of, pieces that nearly are, and broken UTF-8.
        let pieces: [[UInt8]] = [
            Array("ICP".utf8), Array("icp".utf8), Array("iCp".utf8), Array("B1-".utf8), Array("b2".utf8), Array("AB1".utf8),
            Array("ＩＣＰ".utf8), Array("ｉ".utf8), Array("公网安备".utf8), Array("浙备".utf8), Array("備 1".utf8), Array("备１".utf8),
            Array("网文".utf8), Array("網文".utf8), Array("新出网证".utf8), Array("中文内容".utf8), Array("12345678".utf8),
            Array("<div class=\"x\">".utf8), Array(" ".utf8), Array("I".utf8), Array("B".utf8), [0xE5], [0xE5, 0xA4], [0xE7, 0xBD, 0x91],
            [0xE6, 0x96], [0xEF, 0xBC], [0x80], [0xC3, 0xA9], [0xF0, 0x9F, 0x98, 0x80], [0xE5, 0x41, 0x42],
        ]
        for _ in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                bytes += pieces.randomElement(using: &generator)!
            }
            #expect(Self.scanned(bytes) == Self.reference(bytes), "\(bytes)")
        }
        for _ in 0..<1_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Self.scanned(bytes) == Self.reference(bytes), "\(bytes)")
        }
    }
}
