import BeianTestSupport
import Foundation
import Testing

@testable import BeianIndex

/// Names are compared after NFKC, without whitespace, lowercased; the fast path for ASCII
/// and CJK names gives what the full normalisation gives.
@Suite struct NormalisedNameTests {
    func full(_ name: String) -> String {
        name.precomposedStringWithCompatibilityMapping.filter { !$0.isWhitespace }.lowercased()
    }

    @Test func theFastPathAgreesWithNFKC() {
        let pieces = [
            "杭州", "云帆", "数据", "科技", "有限公司", " ", "\t", "\r\n", "ABC", "xyz", "123", "-", "(", "㐀", "Ｃｏ", "（", "）", "ﬁ", "Ⅻ",
            "é", "e\u{301}", "\u{3000}", "Ltd.", "İ",
        ]
        var random = TestRandom(state: 42)
        for _ in 0..<5000 {
            let name = (0..<Int.random(in: 1...6, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "" }.joined()
            #expect(IndexBuilder.normalisedName(name) == full(name), "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
