import BeianCore
import Foundation
import Testing

/// The one JSON string escaper, in both forms: the text read back by Foundation's JSON parser
/// is the text given, and appending bytes gives the same literal as quoting.
@Suite struct JSONTextTests {
    static let samples = [
        "", "plain", "浙ICP备12345678号", "quote \" and backslash \\", "lines\nand\rtabs\t", "\u{01}\u{1F} control",
        "separators \u{2028} \u{2029} end", "mixed 中文\u{2028}\"\\\n", "\u{2027}\u{202A} neighbours",
    ]

    @Test func bothFormsAgreeAndReadBack() throws {
        for text in Self.samples {
            var bytes: [UInt8] = []
            JSONText.append(text, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == JSONText.quoted(text), "\(text)")
            let parsed = try JSONSerialization.jsonObject(with: Data(("[" + JSONText.quoted(text) + "]").utf8)) as? [String]
            #expect(parsed == [text], "\(text)")
        }
    }
}
