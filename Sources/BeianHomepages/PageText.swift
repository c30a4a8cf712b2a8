internal import Foundation

/// The text of an HTML page as a reader sees it, without building a DOM: what is displayed
/// (inline elements joined, blocks apart, entities decoded), where it sits (footer or not,
/// inside which link), and apart from it the text a reader does not see (comments, scripts,
/// styles, templates, attributes, hidden elements) wherever a number could hide.
public struct PageText: Sendable {
    /// Where text that is not displayed comes from.
    public enum Place: String, Sendable, Hashable {
        case text, comment, script, style, template, attribute, hidden, title
    }

    /// A stretch of `text` in one context.
    public struct Span: Sendable {
        public var start: Int
        public var end: Int
        /// Inside `<footer>` or an element whose id or class says foot, bottom, copyright or beian.
        public var footer: Bool
        /// The `href` of the innermost enclosing link, an index into `links`.
        public var link: Int?
    }

    /// Text not displayed, that holds a number anchor.
    public struct HiddenText: Sendable {
        public var place: Place
        public var text: [UInt8]
        public var footer: Bool
    }

    init() {}

    /// Between blocks in `text`.
    public static let blockBreak: UInt8 = 0x1E

    /// The displayed text, UTF-8; blocks end with `blockBreak`.
    public var text: [UInt8] = []
    public var spans: [Span] = []
    /// The `href` values of links, in order of appearance.
    public var links: [String] = []
    public var hidden: [HiddenText] = []
    public var title: String?

    /// Displayed text from this offset on is the end of the page, a footer whatever its markup.
    public var tailStart: Int {
        max(0, min(text.count - 1_500, text.count * 3 / 4))
    }

    /// Reads `html` (UTF-8).
    public init(html: [UInt8]) {
        html.withUnsafeBufferPointer { bytes in
            var reader = HTMLTextReader(bytes: bytes)
            reader.run()
            self = reader.page
        }
    }

    /// Whether some byte of `bytes` could start a filing or licence number (`ICP`, `ＩＣＰ`,
    /// `公网安备`, `网文`, `新出网证`, `B1-`/`B2-`), in any case: the cheap test before a
    /// recogniser runs.
    public static func anchors(in bytes: UnsafeBufferPointer<UInt8>, _ found: (Int) -> Void) {
        var from = 0
        while let at = firstAnchor(in: bytes, from: from) {
            found(at)
            from = at + 1
        }
    }

    /// The first offset at or after `from` where an anchor starts (see `anchors`).
    ///
    /// Only a few pairs of bytes can start one (`anchorPairs`). ASCII is passed over eight
    /// bytes at a time while it holds no `I`, `B` or high byte; elsewhere each position's pair
    /// is looked up, a test without a branch that goes either way, and only a pair in the
    /// table is looked at in full.
    static func firstAnchor(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let count = bytes.count
        guard count >= 2, let base = bytes.baseAddress else { return nil }
        return anchorPairs.withUnsafeBufferPointer { pairs -> Int? in
            guard let table = pairs.baseAddress else { return nil }
            var i = from
            while i < count - 1 {
                if i + 9 <= count {
                    // Each of eight positions with the byte after it: ASCII, and no `IC` (any
                    // case), `B1` or `B2` among the pairs.
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    let next = UnsafeRawPointer(base + i + 1).loadUnaligned(as: UInt64.self)
                    if (word | next) & 0x8080_8080_8080_8080 == 0 {
                        let folded = word | 0x2020_2020_2020_2020
                        let ic =
                            zeroBytes(folded ^ 0x6969_6969_6969_6969) & zeroBytes((next | 0x2020_2020_2020_2020) ^ 0x6363_6363_6363_6363)
                        let licence =
                            zeroBytes(folded ^ 0x6262_6262_6262_6262)
                            & (zeroBytes(next ^ 0x3131_3131_3131_3131) | zeroBytes(next ^ 0x3232_3232_3232_3232))
                        if ic | licence == 0 {
                            i += 8
                            continue
                        }
                    }
                }
                let end = min(count - 1, i + 32)
                while i < end {
                    // `table` has 65,536 entries: any pair of bytes is an index in it.
                    if table[Int(base[i]) &<< 8 | Int(base[i + 1])] != 0 && isAnchor(base, at: i, count: count) { return i }
                    i += 1
                }
            }
            return nil
        }
    }

    /// The pairs of bytes an anchor can start with: 1 at `first << 8 | second`.
    static let anchorPairs: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 1 << 16)
        let pairs: [(UInt8, UInt8)] = [
            (0x49, 0x43), (0x49, 0x63), (0x69, 0x43), (0x69, 0x63),  // I C
            (0x42, 0x31), (0x42, 0x32), (0x62, 0x31), (0x62, 0x32),  // B1 B2
            (0xEF, 0xBC), (0xEF, 0xBD),  // Ｉ ｉ
            (0xE5, 0x85), (0xE5, 0xA4), (0xE5, 0x82),  // 公 备 備
            (0xE7, 0xBD), (0xE7, 0xB6),  // 网 網
            (0xE6, 0x96),  // 新
        ]
        for (first, second) in pairs { table[Int(first) << 8 | Int(second)] = 1 }
        return table
    }()

    /// Whether an anchor starts at `i` (`i + 1 < count`).
    static func isAnchor(_ base: UnsafePointer<UInt8>, at i: Int, count: Int) -> Bool {
        switch base[i] {
        case 0x49, 0x69:  // I i
            return i + 2 < count && base[i + 1] | 0x20 == 0x63 && base[i + 2] | 0x20 == 0x70
        case 0x42, 0x62:  // B b: B1- B2- (a licence)
            return (base[i + 1] == 0x31 || base[i + 1] == 0x32) && (i == 0 || !isAlphanumeric(base[i - 1]))
        case 0xEF:  // full-width Ｉ ｉ: EF BC A9, EF BD 89
            return i + 2 < count && ((base[i + 1] == 0xBC && base[i + 2] == 0xA9) || (base[i + 1] == 0xBD && base[i + 2] == 0x89))
        case 0xE5:  // 公 E5 85 AC; 备 E5 A4 87 or 備 E5 82 99 before digits (`浙备12345678号`, ICP left out)
            guard i + 2 < count else { return false }
            if base[i + 1] == 0x85 && base[i + 2] == 0xAC { return true }
            return ((base[i + 1] == 0xA4 && base[i + 2] == 0x87) || (base[i + 1] == 0x82 && base[i + 2] == 0x99))
                && startsDigits(base, from: i + 3, count: count)
        case 0xE7:  // 网 E7 BD 91, 網 E7 B6 B2 (网文, 網文)
            return i + 5 < count && ((base[i + 1] == 0xBD && base[i + 2] == 0x91) || (base[i + 1] == 0xB6 && base[i + 2] == 0xB2))
                && base[i + 3] == 0xE6 && base[i + 4] == 0x96 && base[i + 5] == 0x87
        case 0xE6:  // 新 E6 96 B0
            return i + 2 < count && base[i + 1] == 0x96 && base[i + 2] == 0xB0
        default:
            return false
        }
    }

    /// 0x80 in each byte of `word` that is zero, 0 in the others (exact: no borrow crosses bytes).
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        ~(((word & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | word | 0x7F7F_7F7F_7F7F_7F7F)
    }

    /// Whether an ASCII or full-width digit starts at `start`, after up to three spaces.
    static func startsDigits(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Bool {
        var j = start
        while j < count && j < start + 3 && base[j] == 0x20 { j += 1 }
        guard j < count else { return false }
        if base[j] >= 0x30 && base[j] <= 0x39 { return true }
        return j + 2 < count && base[j] == 0xEF && base[j + 1] == 0xBC && base[j + 2] >= 0x90 && base[j + 2] <= 0x99
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }

    static func hasAnchor(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        firstAnchor(in: bytes, from: 0) != nil
    }
}

/// The tokenizer behind `PageText`: one pass over the bytes.
private struct HTMLTextReader {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The names looked at per tag, held here rather than read from statics per tag.
    let names = TagNames.shared
    var page = PageText()
    var i = 0

    struct Element {
        var name: TagName
        var footer: Bool
        var link: Int?
        var hidden: Bool
    }
    var stack: [Element] = []
    var footerDepth = 0
    var hiddenDepth = 0
    var link: Int? { stack.last(where: { $0.link != nil })?.link }
    /// Elements deeper than this are not tracked (their text is kept, their context is that of
    /// the deepest tracked element).
    static let maximumDepth = 512

    /// The attributes of the tag being read (kept to save an allocation per tag).
    var attributes: [Attribute] = []

    struct Attribute {
        var name: TagName
        var value: Range<Int>
    }

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        page.text.reserveCapacity(bytes.count / 2)
    }

    mutating func run() {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return }
        while i < count {
            // Text up to the next tag.
            let rest = count - i
            let next = memchr(base + i, 0x3C, rest).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? count
            if next > i { appendText(from: i, to: next) }
            i = next
            guard i < count else { break }
            tag()
        }
    }

    // MARK: Text

    mutating func appendText(from start: Int, to end: Int) {
        if hiddenDepth > 0 {
            let run = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if PageText.hasAnchor(run) {
                page.hidden.append(PageText.HiddenText(place: .hidden, text: decodeEntities(run), footer: footerDepth > 0))
            }
            return
        }
        let before = page.text.count
        appendDecodingEntities(UnsafeBufferPointer(rebasing: bytes[start..<end]), to: &page.text)
        let after = page.text.count
        guard after > before else { return }
        let footer = footerDepth > 0
        let link = self.link
        if let last = page.spans.last, last.end == before, last.footer == footer, last.link == link {
            page.spans[page.spans.count - 1].end = after
        } else {
            page.spans.append(PageText.Span(start: before, end: after, footer: footer, link: link))
        }
    }

    /// Ends a block: displayed text on either side does not join. The mark is U+001E, which
    /// no number holds and the recogniser does not read as a space (a line break in the
    /// source is one).
    mutating func blockBreak() {
        if let last = page.text.last, last != PageText.blockBreak { page.text.append(PageText.blockBreak) }
    }

    // MARK: Tags

    mutating func tag() {
        let count = bytes.count
        // `<` not followed by a name, `/`, `!` or `?` is text.
        guard i + 1 < count else {
            appendText(from: i, to: count)
            i = count
            return
        }
        let next = bytes[i + 1]
        if next == 0x21 {  // <!
            if i + 3 < count && bytes[i + 2] == 0x2D && bytes[i + 3] == 0x2D {
                let end = find("-->", from: i + 4) ?? count
                hiddenRun(.comment, from: i + 4, to: end)
                i = min(count, end + 3)
            } else {
                i = (find(">", from: i) ?? count - 1) + 1
            }
            return
        }
        if next == 0x3F {  // <?
            i = (find(">", from: i) ?? count - 1) + 1
            return
        }
        if next == 0x2F {  // </
            var j = i + 2
            let name = readName(&j)
            i = (find(">", from: j) ?? count - 1) + 1
            if name != TagName.none { endTag(name) }
            return
        }
        guard isLetter(next) else {
            appendText(from: i, to: i + 1)
            i += 1
            return
        }
        var j = i + 1
        let name = readName(&j)
        attributes.removeAll(keepingCapacity: true)
        var selfClosing = false
        // Attributes, to the closing `>` (outside quotes).
        while j < count {
            while j < count && isSpace(bytes[j]) { j += 1 }
            guard j < count else { break }
            if bytes[j] == 0x3E {
                j += 1
                break
            }
            if bytes[j] == 0x2F {
                selfClosing = true
                j += 1
                continue
            }
            let attributeStart = j
            while j < count && !isSpace(bytes[j]) && bytes[j] != 0x3D && bytes[j] != 0x3E && !(bytes[j] == 0x2F && j > attributeStart) {
                j += 1
            }
            let attributeName = TagName(bytes, attributeStart..<j)
            if j == attributeStart { j += 1 }
            selfClosing = false
            while j < count && isSpace(bytes[j]) { j += 1 }
            var value = j..<j
            if j < count && bytes[j] == 0x3D {
                j += 1
                while j < count && isSpace(bytes[j]) { j += 1 }
                if j < count && (bytes[j] == 0x22 || bytes[j] == 0x27) {
                    let quote = bytes[j]
                    let end = index(of: quote, from: j + 1) ?? count
                    value = (j + 1)..<end
                    j = min(count, end + 1)
                } else {
                    let start = j
                    while j < count && !isSpace(bytes[j]) && bytes[j] != 0x3E { j += 1 }
                    value = start..<j
                }
            }
            if attributeName != TagName.none { attributes.append(Attribute(name: attributeName, value: value)) }
        }
        i = j
        startTag(name, selfClosing: selfClosing)
    }

    mutating func startTag(_ name: TagName, selfClosing: Bool) {
        for attribute in attributes where !attribute.value.isEmpty {
            let value = UnsafeBufferPointer(rebasing: bytes[attribute.value])
            if PageText.hasAnchor(value) {
                page.hidden.append(PageText.HiddenText(place: .attribute, text: decodeEntities(value), footer: footerDepth > 0))
            }
        }
        switch name {
        case names.script, names.style, names.template, names.textarea, names.title, names.xmp, names.noembed,
            names.noframes:
            // Raw text to the matching end tag.
            let end = findEndTag(name, from: i)
            let place: PageText.Place =
                switch name {
                case names.script: .script
                case names.style: .style
                case names.title: .title
                case names.template: .template
                default: .hidden
                }
            if name == names.title && page.title == nil {
                page.title = String(decoding: decodeEntities(UnsafeBufferPointer(rebasing: bytes[i..<end])), as: UTF8.self)
            }
            if name == names.textarea {
                appendText(from: i, to: end)
            } else {
                hiddenRun(place, from: i, to: end)
            }
            i = (find(">", from: end) ?? bytes.count - 1) + 1
            return
        default: break
        }
        if names.blocks.contains(name) { blockBreak() }
        if name == names.br || name == names.hr {
            blockBreak()
            return
        }
        guard !names.void.contains(name), !selfClosing else { return }
        guard stack.count < Self.maximumDepth else { return }
        var element = Element(name: name, footer: false, link: nil, hidden: false)
        if name == names.footer { element.footer = true }
        for attribute in attributes {
            let value = UnsafeBufferPointer(rebasing: bytes[attribute.value])
            switch attribute.name {
            case names.id, names.`class`:
                if Self.saysFooter(value) { element.footer = true }
            case names.href where name == names.a:
                element.link = page.links.count
                page.links.append(String(decoding: value, as: UTF8.self))
            case names.hidden:
                element.hidden = true
            case names.style:
                let style = value.filter { !isSpace($0) }.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                if style.contains(subsequence: TagName.displayNone) || style.contains(subsequence: TagName.visibilityHidden) {
                    element.hidden = true
                }
            default: break
            }
        }
        if element.footer { footerDepth += 1 }
        if element.hidden { hiddenDepth += 1 }
        stack.append(element)
    }

    mutating func endTag(_ name: TagName) {
        if names.blocks.contains(name) || name == names.br { blockBreak() }
        guard let at = stack.lastIndex(where: { $0.name == name }) else { return }
        // Elements left open inside it close with it.
        for element in stack[at...] {
            if element.footer { footerDepth -= 1 }
            if element.hidden { hiddenDepth -= 1 }
        }
        stack.removeSubrange(at...)
    }

    static func saysFooter(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.count >= 4 else { return false }
        for i in 0...(value.count - 4) {
            switch value[i] | 0x20 {
            case 0x66: if value.hasLowercased("foot", at: i) { return true }
            case 0x62: if value.hasLowercased("bottom", at: i) || value.hasLowercased("beian", at: i) { return true }
            case 0x63: if value.hasLowercased("copyright", at: i) { return true }
            default: break
            }
        }
        return false
    }

    mutating func hiddenRun(_ place: PageText.Place, from start: Int, to end: Int) {
        guard end > start else { return }
        let run = UnsafeBufferPointer(rebasing: bytes[start..<end])
        guard PageText.hasAnchor(run) else { return }
        let text = place == .script || place == .style ? Array(run) : decodeEntities(run)
        page.hidden.append(PageText.HiddenText(place: place, text: text, footer: footerDepth > 0))
    }

    // MARK: Bytes

    func isLetter(_ b: UInt8) -> Bool { b | 0x20 >= 0x61 && b | 0x20 <= 0x7A }
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0C }

    func readName(_ j: inout Int) -> TagName {
        let start = j
        while j < bytes.count, PageText.isAlphanumeric(bytes[j]) || bytes[j] == 0x2D || bytes[j] == 0x3A || bytes[j] == 0x5F { j += 1 }
        return TagName(bytes, start..<j)
    }

    func index(of byte: UInt8, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress, let found = memchr(base + start, Int32(byte), bytes.count - start) else {
            return nil
        }
        return UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
    }

    func find(_ literal: StaticString, from start: Int) -> Int? {
        let needle = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard start < bytes.count else { return nil }
        return search(UnsafeBufferPointer(rebasing: bytes[start...]), needle).map { start + $0 }
    }

    /// Where `</name` starts (any case), or the end of the page.
    func findEndTag(_ name: TagName, from start: Int) -> Int {
        var j = start
        while let lt = find("</", from: j) {
            var k = lt + 2
            if readName(&k) == name { return lt }
            j = lt + 2
        }
        return bytes.count
    }

    // MARK: Entities

    func decodeEntities(_ run: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(run.count)
        appendDecodingEntities(run, to: &out)
        return out
    }

    /// Appends `run` to `out` with its character references decoded: the bytes between
    /// ampersands are copied in one piece.
    func appendDecodingEntities(_ run: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard let base = run.baseAddress else { return }
        var k = 0
        while k < run.count {
            guard let found = memchr(base + k, 0x26, run.count - k) else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: run[k...]))
                return
            }
            let ampersand = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
            out.append(contentsOf: UnsafeBufferPointer(rebasing: run[k..<ampersand]))
            if let (scalar, length) = Entities.decode(run, at: ampersand) {
                UTF8.encode(scalar) { out.append($0) }
                k = ampersand + length
            } else {
                out.append(0x26)
                k = ampersand + 1
            }
        }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Whether `word` (lower-case ASCII) is at `offset`, with the bytes' A–Z lower-cased.
    func hasLowercased(_ word: StaticString, at offset: Int) -> Bool {
        let count = word.utf8CodeUnitCount
        guard offset + count <= self.count else { return false }
        let letters = word.utf8Start
        for k in 0..<count {
            let b = self[offset + k]
            if (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) != letters[k] { return false }
        }
        return true
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        return withUnsafeBufferPointer { hay in needle.withUnsafeBufferPointer { search(hay, $0) != nil } }
    }
}

/// Where `needle` first occurs in `hay` (memchr on its first byte, then a compare).
func search(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let base = hay.baseAddress, let first = needle.first, let needleBase = needle.baseAddress, hay.count >= needle.count else {
        return nil
    }
    var at = 0
    let last = hay.count - needle.count
    while at <= last {
        guard let found = memchr(base + at, Int32(first), last - at + 1) else { return nil }
        let offset = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
        if memcmp(base + offset, needleBase, needle.count) == 0 { return offset }
        at = offset + 1
    }
    return nil
}

/// A tag or attribute name, lower-cased and packed in a word (no allocation per tag): up to
/// eight bytes as they are; longer names keep seven and a mark, so that they never equal a
/// short one (the names that matter are all short).
struct TagName: Hashable {
    let key: UInt64

    init(key: UInt64) {
        self.key = key
    }

    init(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        var key: UInt64 = 0
        let long = range.count > 8
        for (k, index) in range.prefix(long ? 7 : 8).enumerated() {
            let byte = bytes[index]
            key |= UInt64(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) << (8 * UInt64(k))
        }
        if long { key |= 0xFF << 56 }
        self.key = key
    }

    init(_ name: StaticString) {
        self = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount).withMemoryRebound(to: UInt8.self) {
            TagName($0, 0..<$0.count)
        }
    }

    /// The empty name (a tag without one).
    static var none: TagName { TagName(key: 0) }
    static let displayNone = Array("display:none".utf8)
    static let visibilityHidden = Array("visibility:hidden".utf8)
}

/// The tag and attribute names the page reader looks at, and the sets it looks names up in.
struct TagNames: Sendable {
    static let shared = TagNames()

    let script = TagName("script")
    let style = TagName("style")
    let template = TagName("template")
    let textarea = TagName("textarea")
    let title = TagName("title")
    let xmp = TagName("xmp")
    let noembed = TagName("noembed")
    let noframes = TagName("noframes")
    let footer = TagName("footer")
    let a = TagName("a")
    let br = TagName("br")
    let hr = TagName("hr")
    let id = TagName("id")
    let `class` = TagName("class")
    let href = TagName("href")
    let hidden = TagName("hidden")
    let void = TagSet([
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr", "keygen",
    ])
    let blocks = TagSet([
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "html", "li", "main", "nav", "ol", "p",
        "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "option", "select", "iframe", "head",
    ])
}

/// A few tag names, looked up by their key in an open-addressed table (a multiply and a
/// compare or two per look-up, where a `Set` hashes with SipHash).
struct TagSet: Sendable {
    /// Keys, 0 for an empty slot; a power of two at least four times the names.
    private let slots: [UInt64]

    init(_ names: [String]) {
        var size = 16
        while size < names.count * 4 { size *= 2 }
        var slots = [UInt64](repeating: 0, count: size)
        for name in names {
            let key = Array(name.utf8).withUnsafeBufferPointer { TagName($0, 0..<$0.count) }.key
            var at = TagSet.slot(key, size)
            while slots[at] != 0 && slots[at] != key { at = (at + 1) & (size - 1) }
            slots[at] = key
        }
        self.slots = slots
    }

    static func slot(_ key: UInt64, _ size: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & (size - 1)
    }

    func contains(_ name: TagName) -> Bool {
        guard name.key != 0 else { return false }
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var at = TagSet.slot(name.key, slots.count)
            while true {
                let key = slots[at]
                if key == name.key { return true }
                if key == 0 { return false }
                at = (at + 1) & mask
            }
        }
    }
}
