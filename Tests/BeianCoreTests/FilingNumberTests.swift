import BeianCore
import BeianTestSupport
import Testing

/// One row of the recognition table: the text, what must be found (in order), and the
/// verbatim text of the first match when it matters.
struct RecognitionCase: CustomTestStringConvertible, Sendable {
    let text: String
    let expected: [String]
    let verbatim: String?
    let note: String

    init(_ text: String, _ expected: [String], verbatim: String? = nil, _ note: String) {
        self.text = text
        self.expected = expected
        self.verbatim = verbatim
        self.note = note
    }

    var testDescription: String { note }
}

/// What a match is, as one string: `number 京ICP备12345678号`, `look-alike campus-scheme`,
/// `malformed icp-filing`.
func summary(_ match: FilingNumberMatch) -> String {
    switch match.classification {
    case .number(let number): "number \(number.normalized)"
    case .lookAlike(let kind): "look-alike \(kind.rawValue)"
    case .malformed(let malformed): "malformed \(malformed.kind.rawValue)"
    }
}

let recognitionTable: [RecognitionCase] = [
    // docs/findings.md, "Identifiers": every variant it names.
    RecognitionCase("京ICP备12345678号", ["number 京ICP备12345678号"], "§2 sponsor number"),
    RecognitionCase("京ICP备12345678号-3", ["number 京ICP备12345678号-3"], "§2 site number"),
    RecognitionCase("沪ICP证130164号", ["number 沪ICP证130164号"], "§2 ICP licence"),
    RecognitionCase("京B2-20090059", ["number 京B2-20090059"], "§2 telecom licence with province"),
    RecognitionCase("B2-20090059", ["number B2-20090059"], "§2 telecom licence without province"),
    RecognitionCase("京公网安备 11010502030143号", ["number 京公网安备11010502030143号"], verbatim: "京公网安备 11010502030143号", "§2 public security"),
    RecognitionCase("川ICP备05012345号", ["number 蜀ICP备05012345号"], "§2 plate form 川 → 蜀"),
    RecognitionCase("贵ICP备15003705号-1", ["number 黔ICP备15003705号-1"], "§2 plate form 贵 → 黔"),
    RecognitionCase("云ICP备10200001号", ["number 滇ICP备10200001号"], "§2 plate form 云 → 滇"),
    RecognitionCase("甘ICP备09001234号", ["number 陇ICP备09001234号"], "§2 plate form 甘 → 陇"),
    RecognitionCase("蜀ICP备2023012345号", ["number 蜀ICP备2023012345号"], "§2 10-digit serial"),
    RecognitionCase("京ICP00000008号", ["number 京ICP备00000008号"], verbatim: "京ICP00000008号", "§2 very old number without 备"),
    RecognitionCase("沪交ICP备20180235号", ["look-alike campus-scheme"], verbatim: "沪交ICP备20180235号", "§2 campus scheme"),
    RecognitionCase("萌ICP备20223456号", ["look-alike novelty-scheme"], verbatim: "萌ICP备20223456号", "§2 novelty scheme"),
    RecognitionCase("京网文[2014]0059-0009号", ["look-alike culture-licence"], verbatim: "京网文[2014]0059-0009号", "§2 culture licence"),
    RecognitionCase("新出网证(京)字129号", ["look-alike publication-licence"], verbatim: "新出网证(京)字129号", "§2 publication licence"),
    RecognitionCase("京公网安备110105020301号", ["number 京公网安备110105020301号"], "§2 public security, 12 digits"),
    RecognitionCase("京公网安备 110105020301432", ["number 京公网安备110105020301432号"], "§2 public security, 15 digits, no 号"),
    RecognitionCase("京ICP备 1234 5678 号", ["number 京ICP备12345678号"], "§2 spaces inside"),
    RecognitionCase("京ICP备\u{00A0}12345678号", ["number 京ICP备12345678号"], "§2 &nbsp; (decoded to U+00A0)"),
    RecognitionCase("京ＩＣＰ备１２３４５６７８号－２", ["number 京ICP备12345678号-2"], "§2 full-width letters, digits and dash"),
    RecognitionCase("京ICP备1234\u{200B}5678号", ["number 京ICP备12345678号"], "§2 zero-width space inside"),
    RecognitionCase("京ICP備12345678號", ["number 京ICP备12345678号"], "§2 traditional 備 號"),
    RecognitionCase("ICP备案号：京ICP备12345678号", ["number 京ICP备12345678号"], verbatim: "京ICP备12345678号", "§2 ICP备案号： prefix"),
    RecognitionCase("京ICP备12345678", ["number 京ICP备12345678号"], "§2 missing 号"),
    RecognitionCase("滇ICP备09010050-5号", ["number 滇ICP备09010050号-5"], verbatim: "滇ICP备09010050-5号", "§2 suffix before 号"),
    RecognitionCase("京ICP备1234\u{FEFF}5678号", ["number 京ICP备12345678号"], "§2 BOM as zero-width no-break space"),

    // Forty-odd more: real footer shapes, look-alikes, boundaries and malformed numbers.
    RecognitionCase("粤ICP备2021012345号-1", ["number 粤ICP备2021012345号-1"], "10-digit site number"),
    RecognitionCase("京icp备12345678号", ["number 京ICP备12345678号"], "lowercase icp"),
    RecognitionCase("京 ICP 备 12345678 号 - 2", ["number 京ICP备12345678号-2"], "spaces everywhere"),
    RecognitionCase("京ICP备12345678号—3", ["number 京ICP备12345678号-3"], "em dash suffix"),
    RecognitionCase("京ICP备12345678号–3", ["number 京ICP备12345678号-3"], "en dash suffix"),
    RecognitionCase("京ICP备12345678号−3", ["number 京ICP备12345678号-3"], "minus sign suffix"),
    RecognitionCase("京ICP备12345678号 2024", ["number 京ICP备12345678号"], "a year after the number stays outside"),
    RecognitionCase("京ICP备12345678 2024", ["number 京ICP备12345678号"], verbatim: "京ICP备12345678", "digits of a year not swallowed"),
    RecognitionCase("京ICP备12345678号-2019", ["number 京ICP备12345678号"], "four digits after a dash are a year, not a site"),
    RecognitionCase("京ICP证030173号", ["number 京ICP证030173号"], "licence with leading zero"),
    RecognitionCase("京ICP证030173号-1", ["number 京ICP证030173号-1"], "licence with site suffix"),
    RecognitionCase("滬ICP備13012345號", ["number 沪ICP备13012345号"], "traditional province 滬"),
    RecognitionCase("粵ICP備12034567號", ["number 粤ICP备12034567号"], "traditional province 粵"),
    RecognitionCase("隴ICP備10001234號", ["number 陇ICP备10001234号"], "traditional province 隴"),
    RecognitionCase("川公网安备 51010702001234号", ["number 川公网安备51010702001234号"], "public security keeps its plate form"),
    RecognitionCase("蜀公网安备51010702001234号", ["number 川公网安备51010702001234号"], "public security with ICP form province"),
    RecognitionCase("京公網安備 11010502030143號", ["number 京公网安备11010502030143号"], "traditional public security"),
    RecognitionCase(
        "京ICP证030173号-1 京公网安备11000002000001号", ["number 京ICP证030173号-1", "number 京公网安备11000002000001号"], "two numbers in a footer"),
    RecognitionCase(
        "©2024 百度 使用百度前必读 京ICP证030173号 京公网安备11000002000001号",
        ["number 京ICP证030173号", "number 京公网安备11000002000001号"], "a real footer line"),
    RecognitionCase(
        "增值电信业务经营许可证：京B2-20090059 京ICP备10036305号-7", ["number 京B2-20090059", "number 京ICP备10036305号-7"], "licence then filing"),
    RecognitionCase("B1.B2-20090059", ["number B2-20090059"], "two licence categories"),
    RecognitionCase("沪B2-20040001", ["number 沪B2-20040001"], "telecom licence from Shanghai"),
    RecognitionCase("ICP备12345678号", ["malformed icp-filing"], "no province"),
    RecognitionCase("京ICP备1234567号", ["malformed icp-filing"], "seven digits"),
    RecognitionCase("京ICP备123456789号", ["malformed icp-filing"], "nine digits"),
    RecognitionCase("京ICP备xxxxxxxx号", ["malformed icp-filing"], "template placeholder"),
    RecognitionCase("京ICP证13016号", ["malformed icp-licence"], "licence with five digits"),
    RecognitionCase("京公网安备 1101050203号", ["malformed public-security"], "public security with ten digits"),
    RecognitionCase("公网安备11010502030143号", ["malformed public-security"], "public security without province"),
    RecognitionCase("京ICP备12345678号-0", ["malformed icp-filing"], "site index zero"),
    RecognitionCase("浙大ICP备05012345号", ["look-alike campus-scheme"], "campus scheme with two characters"),
    RecognitionCase("喵ICP备20231234号", ["look-alike novelty-scheme"], "another novelty scheme"),
    RecognitionCase(
        "萌ICP备20223456号 京ICP备12345678号", ["look-alike novelty-scheme", "number 京ICP备12345678号"], "look-alike beside a real number"),
    RecognitionCase("文网文[2010]040号", [], "culture licence without province is not recognised"),
    RecognitionCase("粤网文〔2017〕6789-1234号", ["look-alike culture-licence"], "culture licence with 〔〕"),
    RecognitionCase("This site has no ICP licence.", [], "the word ICP in prose"),
    RecognitionCase("EPICP12345678", [], "ICP inside another word"),
    RecognitionCase("京ICP备案号：12345678号", ["number 京ICP备12345678号"], "label with digits right after it"),
    RecognitionCase("备案号：ICP备案号", [], "labels only"),
    RecognitionCase("网站备案ICP备12345678号", ["malformed icp-filing"], "a label character before ICP is not a scheme"),
    RecognitionCase("Copyright © 2024 example.com. All rights reserved.", [], "no number at all"),
    RecognitionCase(
        "京ICP备12345678号-1京公网安备11010502030143号", ["number 京ICP备12345678号-1", "number 京公网安备11010502030143号"], "two numbers without a space"),
    RecognitionCase("鲁ICP备2023000001号-15", ["number 鲁ICP备2023000001号-15"], "two-digit site index"),
    RecognitionCase("新ICP备12001234号", ["number 新ICP备12001234号"], "Xinjiang (新 is also a common word)"),
    RecognitionCase("藏ICP备16000123号", ["number 藏ICP备16000123号"], "Tibet"),
    RecognitionCase("京ICP备 第12345678号", ["number 京ICP备12345678号"], "with 第"),
    RecognitionCase(
        "京ICP备12345678号\u{3000}京公网安备11010502030143号", ["number 京ICP备12345678号", "number 京公网安备11010502030143号"], "ideographic space between"),
    RecognitionCase("京ICP备12345678号-3号", ["number 京ICP备12345678号-3"], verbatim: "京ICP备12345678号-3", "odd trailing 号 stays outside"),
    RecognitionCase("豫ICP備 ２０２２０１２３４５號－１", ["number 豫ICP备2022012345号-1"], "traditional and full width mixed"),
    RecognitionCase("浙｜ICP备12345678号", ["number 浙ICP备12345678号"], verbatim: "浙｜ICP备12345678号", "full-width bar between province and ICP"),
    RecognitionCase("粤·ICP备12345678号-2", ["number 粤ICP备12345678号-2"], verbatim: "粤·ICP备12345678号-2", "middle dot between province and ICP"),
    RecognitionCase("京・ICP备12345678号", ["number 京ICP备12345678号"], verbatim: "京・ICP备12345678号", "katakana middle dot"),
    RecognitionCase("沪 | ICP备12345678号", ["number 沪ICP备12345678号"], verbatim: "沪 | ICP备12345678号", "bar with spaces"),
    RecognitionCase("苏丨ICP备12345678号", ["number 苏ICP备12345678号"], verbatim: "苏丨ICP备12345678号", "the ideograph 丨 as a bar"),
    RecognitionCase("浙-ICP备12345678号", ["number 浙ICP备12345678号"], verbatim: "浙-ICP备12345678号", "dash between province and ICP"),
    RecognitionCase("浙备12345678号", ["malformed icp-filing"], "ICP dropped: malformed, not missing"),
    RecognitionCase("浙备2023012345号-1", ["malformed icp-filing"], verbatim: "浙备2023012345号-1", "ICP dropped, 10 digits and a site"),
    RecognitionCase("沪 备 12345678 号", ["malformed icp-filing"], verbatim: "沪 备 12345678 号", "ICP dropped, spaces"),
    RecognitionCase("设备12345678号", [], "a word ending in 备 before a number"),
    RecognitionCase("浙备12345678", [], "ICP dropped and no 号: not read"),
    RecognitionCase("京ＩＣＰ备１２３４５６７８号—１", ["number 京ICP备12345678号-1"], "full-width letters and digits, em dash"),
]

@Suite struct FilingNumberTests {
    @Test(arguments: recognitionTable)
    func recognises(_ row: RecognitionCase) {
        let matches = FilingNumberRecognizer.matches(in: row.text)
        #expect(matches.map(summary) == row.expected, "\(row.note): \(row.text)")
        if let verbatim = row.verbatim {
            #expect(matches.first?.verbatim == verbatim, "\(row.note)")
        }
        for match in matches {
            #expect(String(row.text[match.range]) == match.verbatim)
        }
    }

    @Test func tableCoversDomainAndFortyMore() {
        #expect(recognitionTable.filter { $0.note.hasPrefix("§2") }.count >= 25)
        #expect(recognitionTable.filter { !$0.note.hasPrefix("§2") }.count >= 40)
    }

    @Test func sponsorNumberOfASite() throws {
        let site = try FilingNumber.parse("京ICP备12345678号-3")
        #expect(site.isSiteNumber)
        #expect(site.siteIndex == 3)
        #expect(site.sponsorNumber.normalized == "京ICP备12345678号")
        #expect(site.sponsorNumber == (try FilingNumber.parse("京ICP备12345678号")))
        #expect(site != site.sponsorNumber)
    }

    @Test func equalityIgnoresWriting() throws {
        let a = try FilingNumber.parse("川ICP备05012345号")
        let b = try FilingNumber.parse(" 蜀ＩＣＰ備 0501 2345 號 ")
        #expect(a == b)
        #expect(a.province?.code == 51)
    }

    @Test(arguments: [
        "", "沪交ICP备20180235号", "京ICP备1234567号", "京ICP备12345678号 京ICP备87654321号", "京ICP备12345678号 extra",
        "京网文[2014]0059-0009号",
    ])
    func parseRefuses(text: String) {
        #expect(throws: ValueError.self) { try FilingNumber.parse(text) }
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2015-03-01", "2015-03-01", Int64(1_425_139_200)),
        ("2015-03-01 09:30:00", "2015-03-01 09:30:00", Int64(1_425_173_400)),
        ("2015/03/01", "2015-03-01", Int64(1_425_139_200)),
        ("20150301", "2015-03-01", Int64(1_425_139_200)),
        ("2015-03-01T01:30:00Z", "2015-03-01 09:30:00", Int64(1_425_173_400)),
        ("2015-03-01T09:30:00+08:00", "2015-03-01 09:30:00", Int64(1_425_173_400)),
        ("2015-03-01 09:30:00.123", "2015-03-01 09:30:00", Int64(1_425_173_400)),
        ("2016-02-29 23:59:59", "2016-02-29 23:59:59", Int64(1_456_761_599)),
        ("1969-12-31T16:00:00Z", "1970-01-01", Int64(-28800)),
    ])
    func parses(text: String, printed: String, seconds: Int64) throws {
        let time = try Timestamp.parse(text)
        #expect(time.secondsSince1970 == seconds)
        #expect(time.description == printed)
        #expect(try Timestamp.parse(time.description) == time)
    }

    @Test(arguments: ["", "2015-13-01", "2015-02-30", "2015-3-1", "2015-03-01 25:00:00", "yesterday", "2015-03-01X", "2015-03/01"])
    func refuses(text: String) {
        #expect(throws: ValueError.self) { try Timestamp.parse(text) }
    }

    /// The writers' byte form is the text form without its suffix, in both zones, at every
    /// edge (days, leap years, the ends of what nanoseconds since 1970 can hold) and at
    /// random times.
    @Test func dateTimeBytesAreTheText() {
        var random = TestRandom(state: 18)
        let edges: [Int64] = [
            0, -1, 86_399, 86_400, 951_782_400, 1_709_251_199, 1_772_380_500, -9_223_372_037, 9_223_372_036, 253_402_300_799,
        ]
        let times = edges + (0..<20_000).map { _ in Int64.random(in: -9_223_372_037...9_223_372_036, using: &random) }
        for seconds in times {
            for style in TimeStyle.allCases {
                let time = Timestamp(secondsSince1970: seconds)
                #expect(String(decoding: time.dateTimeBytes(style), as: UTF8.self) + style.suffix == time.text(style), "\(seconds)")
            }
        }
    }
}

@Suite struct PersonalDataTests {
    @Test func neverPrinted() {
        let id = Personal("110101199003071234")
        #expect("\(id)" == "‹redacted›")
        #expect(String(describing: id) == "‹redacted›")
        #expect(String(reflecting: id) == "‹redacted›")
        var dumped = ""
        dump(id, to: &dumped)
        #expect(!dumped.contains("1234"))
        #expect(id.revealed == "110101199003071234")
    }
}

@Suite struct ProvinceTests {
    @Test func codesAndAbbreviations() {
        #expect(Province.all.count == 31)
        #expect(Province.coded(110000)?.abbreviation == "京")
        #expect(Province.coded(510104)?.abbreviation == "蜀")
        #expect(Province.coded(44)?.name == "广东省")
        #expect(Province.coded(710000) == nil)
        #expect(Province.coded(99) == nil)
        #expect(Province.abbreviated("川")?.code == 51)
        #expect(Province.abbreviated("滬")?.code == 31)
        #expect(Province.abbreviated("港") == nil)
        #expect(Set(Province.all.map(\.abbreviation)).count == 31)
    }
}

@Suite struct ByteParserTests {
    /// The fast path for canonical numbers agrees with the general recogniser on every shape.
    @Test(arguments: [
        "浙ICP备12345678号", "浙ICP备12345678号-1", "浙ICP备2021012345号-15", "京ICP证030173号", "京ICP证030173号-2", "蜀ICP备05012345号",
        "川ICP备05012345号", "浙ICP备1234567号", "浙ICP备12345678号-0", "浙ICP备12345678号-1234", "沪交ICP备20180235号", "浙ICP备12345678",
        " 浙ICP备12345678号", "浙ICP备12345678号 ", "港ICP备12345678号", "浙ICP备１２３４５６７８号",
    ])
    func canonicalFastPathAgrees(text: String) {
        let general = try? FilingNumber.parse(text)
        var copy = text
        let fast = copy.withUTF8 { try? FilingNumber.parse(utf8: $0) }
        #expect(fast == general, "\(text)")
    }

    @Test func addressesRangesDatesAndNamesFromBytes() throws {
        func bytes<T>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
            var copy = text
            return try copy.withUTF8(body)
        }
        #expect(try bytes("16843009") { try IPAddress.parse(registryUTF8: $0) } == .v4(IPv4Address(1, 1, 1, 1)))
        #expect(try bytes("2001:db8::1") { try IPAddress.parse(utf8: $0) } == IPAddress.parse("2001:db8::1"))
        #expect(try bytes(" 1.2.3.0 - 1.2.3.255 ") { try IPRange.parse(utf8: $0) }.prefixes.map(\.description) == ["1.2.3.0/24"])
        #expect(try bytes("2015-03-01 09:30:00") { try Timestamp.parse(utf8: $0) } == Timestamp.parse("2015-03-01 09:30:00"))
        #expect(try bytes("WWW.Example.COM") { try DomainName(utf8: $0) }.ascii == "www.example.com")
        #expect(try bytes("中国移动.中国") { try DomainName(utf8: $0) }.ascii == "xn--fiq02ib9d179b.xn--fiqs8s")
        #expect(throws: ValueError.self) { try bytes("1.2.3") { try IPAddress.parse(utf8: $0) } }
        #expect(throws: ValueError.self) { try bytes("bad..name") { try DomainName(utf8: $0) } }
        #expect(throws: ValueError.self) { try bytes("2015-02-30") { try Timestamp.parse(utf8: $0) } }
    }

    @Test func utf8Validation() {
        func check(_ bytes: [UInt8], truncatedOK: Bool = false) -> Int? {
            bytes.withUnsafeBytes { firstInvalidUTF8(in: $0, allowTruncatedEnd: truncatedOK) }
        }
        #expect(check(Array("plain ascii text longer than eight bytes".utf8)) == nil)
        #expect(check(Array("混合 mixed 文本 text".utf8)) == nil)
        #expect(check([0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0xB1, 0xB1]) == 8)
        #expect(check([0xE4, 0xB8]) == 0)
        #expect(check([0xE4, 0xB8], truncatedOK: true) == nil)
        #expect(check([0xC0, 0x80]) == 0)  // overlong
        #expect(check([0xED, 0xA0, 0x80]) == 0)  // surrogate
        #expect(check([0xF4, 0x90, 0x80, 0x80]) == 0)  // beyond U+10FFFF
        #expect(check([0xE0, 0x80, 0x80]) == 0)  // overlong in three bytes
        #expect(check([0xE0, 0xA0, 0x80]) == nil)
        #expect(check([0xED, 0x9F, 0xBF]) == nil)
    }

    /// The validator's shortcuts (ASCII by words, three-byte characters at once) agree with
    /// the standard library's decoder on where the first invalid byte is.
    @Test func utf8ValidationAgreesWithTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [
            Array("abcdefgh".utf8), Array("中".utf8), Array("é".utf8), Array("😀".utf8), [0xE0, 0xA0, 0x80], [0xE0, 0x9F, 0x80],
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xE5], [0xE5, 0xA4], [0x80], [0xC0, 0xAF],
            [0xF4, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xFF], Array(" ".utf8),
        ]
        for _ in 0..<3_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &generator) { bytes += pieces.randomElement(using: &generator)! }
            // The standard library: decode scalar by scalar and stop at the first error.
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            var offset = 0
            var expected: Int?
            decoding: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar):
                    offset += UTF8.width(scalar)
                case .emptyInput:
                    break decoding
                case .error:
                    expected = offset
                    break decoding
                }
            }
            let found = bytes.withUnsafeBytes { firstInvalidUTF8(in: $0, allowTruncatedEnd: false) }
            #expect(found == expected, "\(bytes)")
        }
    }
}
