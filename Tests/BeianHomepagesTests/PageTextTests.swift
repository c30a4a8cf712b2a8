import BeianCore
import BeianHomepages
import Foundation
import Testing

/// Reading pages: visible text and its context, numbers in every rendering of docs/findings.md ("Identifiers"),
/// charsets, HTTP bodies.
@Suite struct PageReadingTests {
    func read(_ html: String, charset: String? = "utf-8") -> PageReading {
        PageReading(body: Array(html.utf8), headerCharset: charset)
    }

    func page(footer: String) -> String {
        "<html><head><title>t</title></head><body><div class=\"main\"><p>正文内容。</p></div><div id=\"footer\">\(footer)</div></body></html>"
    }

    @Test func everyRenderingOfANumberReadsAsTheNumber() {
        let renderings = [
            "浙ICP备12345678号-1", "ICP备案号：浙ICP备12345678号-1", "浙ICP备&nbsp;12345678号-1", "浙ＩＣＰ备１２３４５６７８号－１",
            "&#27993;ICP&#22791;12345678&#21495;-1", "浙ICP\u{200B}备12345678号-1", "浙ICP&#8203;备12345678号-1", "浙ICP備12345678號-1",
            "浙ICP备12345678-1号", "<b>浙ICP</b><span>备12345678</span>号-1", "浙 ICP 备 12345678 号 -1", "浙ICP备\n  12345678号-1",
        ]
        for rendering in renderings {
            let reading = read(page(footer: "<p><a href=\"https://beian.miit.gov.cn/#/Integrated/index\">\(rendering)</a></p>"))
            let numbers = reading.numbers.filter(\.visible)
            #expect(numbers.count == 1, "\(rendering)")
            #expect(numbers.first?.number?.normalized == "浙ICP备12345678号-1", "\(rendering)")
            #expect(numbers.first?.footer == true, "\(rendering)")
            #expect(numbers.first?.linkedToFilingSystem == true, "\(rendering)")
        }
        // Without 号 the number still reads.
        #expect(read(page(footer: "<p>浙ICP备12345678</p>")).numbers.first?.number?.normalized == "浙ICP备12345678号")
    }

    @Test func numbersOutOfSightAreNotDisplayed() throws {
        let html = page(
            footer: """
                <!-- 浙ICP备11111111号 --><script>var icp = '浙ICP备22222222号';</script><style>/* 浙ICP备33333333号 */</style>
                <img alt="浙ICP备44444444号" src="x.png"><span style="display: none">浙ICP备55555555号</span>
                <template><p>浙ICP备66666666号</p></template><p hidden>浙ICP备77777777号</p><p>浙ICP备88888888号</p>
                """)
        let reading = read(html)
        let places = Dictionary(uniqueKeysWithValues: reading.numbers.compactMap { n in n.number.map { ($0.serial, n.place) } })
        #expect(places["11111111"] == .comment)
        #expect(places["22222222"] == .script)
        #expect(places["33333333"] == .style)
        #expect(places["44444444"] == .attribute)
        #expect(places["55555555"] == .hidden)
        #expect(places["66666666"] == .template)
        #expect(places["77777777"] == .hidden)
        #expect(places["88888888"] == .text)
    }

    @Test func blocksDoNotJoinAndLinksAreMatchedOnTheHost() {
        let split = read(page(footer: "<p>浙ICP备</p><p>12345678号</p>"))
        #expect(split.numbers.allSatisfy { $0.number == nil })
        let links = [
            ("http://beian.miit.gov.cn.evil.example/", false), ("https://www.beian.miit.gov.cn/", true),
            ("http://www.miibeian.gov.cn", true),
            ("https://zj.miitbeian.gov.cn/x", true), ("/local/page", false), ("https://evil.example/?beian.miit.gov.cn", false),
            ("//beian.miit.gov.cn/", true), ("HTTPS://BEIAN.MIIT.GOV.CN:443/", true),
        ]
        for (href, official) in links {
            let reading = read(page(footer: "<p><a href='\(href)' target=_blank>浙ICP备12345678号</a></p>"))
            #expect(reading.numbers.first?.linkedToFilingSystem == official, "\(href)")
        }
    }

    @Test func footerContextComesFromMarkupOrTheEndOfThePage() {
        let body = String(repeating: "<p>这是一段很长的正文，用来把页面撑长。</p>", count: 200)
        let top = read("<html><body><p>浙ICP备12345678号</p>\(body)</body></html>")
        #expect(top.numbers.first?.footer == false)
        let classed = read("<html><body><div class=\"site-bottom\"><p>浙ICP备12345678号</p></div>\(body)</body></html>")
        #expect(classed.numbers.first?.footer == true)
        let last = read("<html><body>\(body)<p>浙ICP备12345678号</p></body></html>")
        #expect(last.numbers.first?.footer == true)
    }

    @Test func lookAlikesAndMalformedNumbersAreClassified() {
        let reading = read(page(footer: "<p>沪交ICP备12345678号 京网文[2014]0059-0009号 浙ICP备1234号 京公网安备 11010502030143号</p>"))
        var kinds: [String] = []
        for number in reading.numbers {
            switch number.classification {
            case .number(let filing): kinds.append(filing.kind.rawValue)
            case .lookAlike(let kind): kinds.append(kind.rawValue)
            case .malformed: kinds.append("malformed")
            }
        }
        #expect(kinds == ["campus-scheme", "culture-licence", "malformed", "public-security"])
        #expect(reading.numbers.prefix(3).allSatisfy { $0.isFilingLike })
        #expect(!reading.numbers[3].isFilingLike)
    }

    @Test func charsetsFollowTheBytesWhenDeclarationsLie() {
        let text = "<html><head><meta charset=\"gb2312\"></head><body><p>浙ICP备12345678号</p></body></html>"
        let gbk = GB18030Encoder.encode(text)
        // Declared right.
        let right = PageReading(body: gbk, headerCharset: nil)
        #expect(right.charset.encoding == .gb18030 && right.charset.source == .meta)
        #expect(right.numbers.first?.number?.normalized == "浙ICP备12345678号")
        // GBK bytes declared UTF-8 by the header.
        let lying = PageReading(body: gbk, headerCharset: "utf-8")
        #expect(lying.charset.encoding == .gb18030 && lying.charset.source == .overridden)
        #expect(lying.numbers.first?.number?.normalized == "浙ICP备12345678号")
        // UTF-8 bytes whose meta says gb2312 (a browser-saved page).
        let saved = PageReading(body: Array(text.utf8), headerCharset: nil)
        #expect(saved.charset.encoding == .utf8 && saved.charset.source == .overridden)
        #expect(saved.undecodable == 0)
        // No declaration at all.
        let bare = PageReading(body: GB18030Encoder.encode("<p>浙ICP备12345678号</p>"), headerCharset: nil)
        #expect(bare.charset.encoding == .gb18030 && bare.charset.source == .sniffed)
        #expect(CharsetDecision.decide(body: UnsafeRawBufferPointer(start: nil, count: 0), headerCharset: "x-unknown").encoding == .utf8)
    }

    @Test func httpBodiesAreDecodedWhateverTheirEncodings() throws {
        let html = Array("<html><body><p>浙ICP备12345678号</p></body></html>".utf8)
        let gzip = try #require(Compression.compress(html, format: .gzip))
        var chunked: [UInt8] = []
        for piece in stride(from: 0, to: gzip.count, by: 7) {
            let part = gzip[piece..<min(piece + 7, gzip.count)]
            chunked += Array((String(part.count, radix: 16) + ";ext=1\r\n").utf8) + part + Array("\r\n".utf8)
        }
        chunked += Array("0\r\n\r\n".utf8)
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\"UTF-8\"\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        let response = try #require(HTTPResponse(message: Array(head.utf8) + chunked))
        #expect(response.status == 200)
        #expect(response.body == html)
        #expect(response.problems.isEmpty)
        #expect(response.declaredCharset == "UTF-8")

        let deflate = try #require(Compression.compress(html, format: .zlib))
        let zlib = try #require(HTTPResponse(message: Array("HTTP/1.0 200 OK\nContent-Encoding: deflate\n\n".utf8) + deflate))
        #expect(zlib.body == html)

        // An uncompressed brotli meta-block (RFC 7932 §9.2), then the last, empty one.
        let payload = Array("<p>hello</p>".utf8)
        let header = UInt32(payload.count - 1) << 4 | 1 << 20
        let brotli = [UInt8(header & 0xFF), UInt8(header >> 8 & 0xFF), UInt8(header >> 16 & 0xFF)] + payload + [0x03]
        let br = try #require(HTTPResponse(message: Array("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n".utf8) + brotli))
        #expect(br.body == payload)
        #expect(br.problems.isEmpty)

        let broken = try #require(HTTPResponse(message: Array("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n".utf8) + gzip.prefix(20)))
        #expect(!broken.problems.isEmpty)
        let cut = try #require(HTTPResponse(message: Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\nabc".utf8)))
        #expect(cut.body == Array("abc".utf8))
        #expect(cut.problems == ["chunked body: cut inside a chunk"])
        #expect(HTTPResponse(message: Array("GET / HTTP/1.1\r\n\r\n".utf8)) == nil)
    }
}
