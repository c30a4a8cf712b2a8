import BeianCore
import Testing

/// A gzip body of one member is read by libdeflate, anything else by zlib: the bytes and the
/// problem reported must be zlib's whatever the body.
struct CompressionTests {
    static func both(_ bytes: [UInt8], limit: Int = 1 << 20) -> (fast: Compression.Decompressed, zlib: Compression.Decompressed) {
        bytes.withUnsafeBytes {
            (Compression.decompress($0, limit: limit), Compression.decompress($0, limit: limit, libdeflate: false))
        }
    }

    @Test func everyKindOfBodyReadsAsZlibReadsIt() throws {
        let text = Array(String(repeating: "<p>浙ICP备12345678号-1 页面正文 page text</p>\n", count: 300).utf8)
        let member = try #require(Compression.compress(text))
        let other = try #require(Compression.compress(Array("second member".utf8)))
        let zlib = try #require(Compression.compress(text, format: .zlib))
        var lyingSize = member
        lyingSize[lyingSize.count - 4] &+= 1
        var corrupt = member
        corrupt[member.count / 2] ^= 0xFF
        let bodies: [(String, [UInt8])] = [
            ("one member", member), ("two members", member + other), ("bytes after the member", member + Array("garbage".utf8)),
            ("cut", Array(member.prefix(member.count - 9))), ("trailer cut", Array(member.prefix(member.count - 2))),
            ("size that lies", lyingSize), ("corrupt", corrupt), ("zlib-wrapped", zlib), ("empty", []),
            ("not compressed", Array("plain text".utf8)), ("gzip of nothing", try #require(Compression.compress([]))),
        ]
        for (name, body) in bodies {
            let (fast, reference) = Self.both(body)
            #expect(fast.bytes == reference.bytes, "\(name)")
            #expect(fast.problem == reference.problem, "\(name)")
        }
        #expect(Self.both(member).fast.bytes == text)
        // Over the limit: zlib keeps the first part and says so.
        let (fast, reference) = Self.both(member, limit: 1_000)
        #expect(fast.bytes == reference.bytes && fast.bytes.count == 1_000)
        #expect(fast.problem == reference.problem && fast.problem != nil)
    }
}
