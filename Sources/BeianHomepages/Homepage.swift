public import BeianCore
internal import Foundation

/// A number seen on a page, with where and how it was seen.
public struct PageNumber: Sendable, Hashable {
    public var classification: FilingNumberMatch.Classification
    /// The text as the page shows it (after entities and markup, before normalisation).
    public var verbatim: String
    public var place: PageText.Place
    /// In the footer (footer markup, or the end of the page).
    public var footer: Bool
    /// The host of the link around it, when it sits inside one.
    public var linkHost: String?

    /// Displayed to a reader (not in a comment, script, attribute or hidden element).
    public var visible: Bool { place == .text }
    /// Linked to the filing system (docs/findings.md: matched on the host).
    public var linkedToFilingSystem: Bool { linkHost.map(FilingSystemHosts.contains) ?? false }
    public var number: FilingNumber? {
        if case .number(let number) = classification { return number }
        return nil
    }

    /// The normalised number, or what the look-alike or malformed text is.
    public var normalized: String {
        switch classification {
        case .number(let number): number.normalized
        case .lookAlike(let kind): "\(kind.description): \(verbatim)"
        case .malformed(let malformed): "malformed \(malformed.kind.rawValue) (\(malformed.reason)): \(verbatim)"
        }
    }

    /// An ICP filing number, or something that poses as one (look-alike scheme, malformed).
    public var isFilingLike: Bool {
        switch classification {
        case .number(let number): number.kind == .icpFiling
        case .lookAlike: true
        case .malformed(let malformed): malformed.kind == .icpFiling || malformed.kind == .icpLicence
        }
    }
}

/// The hosts of the filing system (docs/findings.md, "Homepages"), matched on the host, never on a substring.
public enum FilingSystemHosts {
    static let exact: Set<String> = [
        "beian.miit.gov.cn", "www.beian.miit.gov.cn", "miibeian.gov.cn", "www.miibeian.gov.cn", "miitbeian.gov.cn",
        "www.miitbeian.gov.cn",
    ]

    public static func contains(_ host: String) -> Bool {
        exact.contains(host) || host.hasSuffix(".miitbeian.gov.cn") || host.hasSuffix(".beian.miit.gov.cn")
    }

    /// The host of an `href` (`https://host:443/path`, `//host/path`), lower-cased; nil for a
    /// relative link, `javascript:` and the like.
    public static func host(ofHref href: String) -> String? {
        var bytes = Array(href.utf8)[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D { bytes.removeFirst() }
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: Array("://".utf8)) {
            let scheme = bytes[..<colon].map { $0 | 0x20 }
            guard scheme.elementsEqual("http".utf8) || scheme.elementsEqual("https".utf8) else { return nil }
            bytes = bytes[(colon + 3)...]
        } else if bytes.starts(with: Array("//".utf8)) {
            bytes = bytes.dropFirst(2)
        } else {
            return nil
        }
        var authority = bytes.prefix {
            $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "\\")
        }
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[(at + 1)...] }
        if authority.first != UInt8(ascii: "["), let colon = authority.lastIndex(of: UInt8(ascii: ":")) { authority = authority[..<colon] }
        while authority.last == UInt8(ascii: ".") { authority.removeLast() }
        guard !authority.isEmpty else { return nil }
        return String(decoding: authority.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

/// What a page holds: its charset and every number on it, visible or not.
public struct PageReading: Sendable {
    public var charset: CharsetDecision
    /// Bytes that did not decode in that charset.
    public var undecodable: Int
    public var title: String?
    public var numbers: [PageNumber]

    /// Reads a page's body (`headerCharset`: the charset the HTTP header declares).
    public init(body: [UInt8], headerCharset: String?, converters: TextConverters = TextConverters()) {
        let decided = body.withUnsafeBytes { CharsetDecision.decide(body: $0, headerCharset: headerCharset, converters: converters) }
        charset = decided
        let (utf8, undecodable) = body.withUnsafeBytes { decided.decode($0, converters: converters) }
        self.undecodable = undecodable
        let page = PageText(html: utf8)
        title = page.title
        numbers = PageReading.numbers(in: page)
    }

    /// Context window around an anchor: enough for a province and scheme before it and the
    /// longest number after it.
    static let before = 48
    static let after = 160

    static func numbers(in page: PageText) -> [PageNumber] {
        var found: [PageNumber] = []
        let tail = page.tailStart
        page.text.withUnsafeBufferPointer { text in
            for (window, string) in windows(text) {
                for match in FilingNumberRecognizer.matches(in: string) {
                    let start = window.lowerBound + string.utf8.distance(from: string.startIndex, to: match.range.lowerBound)
                    let end = window.lowerBound + string.utf8.distance(from: string.startIndex, to: match.range.upperBound)
                    var footer = start >= tail
                    var link: Int?
                    for span in spans(page.spans, overlapping: start..<end) {
                        if span.footer { footer = true }
                        if link == nil { link = span.link }
                    }
                    found.append(
                        PageNumber(
                            classification: match.classification, verbatim: match.verbatim, place: .text, footer: footer,
                            linkHost: link.flatMap { FilingSystemHosts.host(ofHref: page.links[$0]) }))
                }
            }
        }
        for hidden in page.hidden {
            hidden.text.withUnsafeBufferPointer { text in
                for (_, string) in windows(text) {
                    for match in FilingNumberRecognizer.matches(in: string) {
                        found.append(
                            PageNumber(
                                classification: match.classification, verbatim: match.verbatim, place: hidden.place, footer: hidden.footer,
                                linkHost: nil))
                    }
                }
            }
        }
        return found
    }

    /// The stretches of `text` around anchors (merged when they overlap), cut on character
    /// boundaries, with their text.
    static func windows(_ text: UnsafeBufferPointer<UInt8>) -> [(Range<Int>, String)] {
        var ranges: [Range<Int>] = []
        PageText.anchors(in: text) { at in
            var low = max(0, at - before)
            var high = min(text.count, at + after)
            while low > 0 && text[low] & 0xC0 == 0x80 { low -= 1 }
            while high < text.count && text[high] & 0xC0 == 0x80 { high += 1 }
            if let last = ranges.last, low <= last.upperBound {
                ranges[ranges.count - 1] = last.lowerBound..<max(high, last.upperBound)
            } else {
                ranges.append(low..<high)
            }
        }
        return ranges.map { ($0, String(decoding: UnsafeBufferPointer(rebasing: text[$0]), as: UTF8.self)) }
    }

    /// The spans that overlap `range` (spans are sorted and disjoint).
    static func spans(_ spans: [PageText.Span], overlapping range: Range<Int>) -> ArraySlice<PageText.Span> {
        var low = 0
        var high = spans.count
        while low < high {
            let middle = (low + high) / 2
            if spans[middle].end <= range.lowerBound { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < spans.count && spans[end].start < range.upperBound { end += 1 }
        return spans[low..<end]
    }
}

/// The parts of an absolute http(s) URL, read as written (no IDNA conversion either way: a
/// punycode host stays punycode).
public struct URLParts: Sendable, Hashable {
    public var scheme: String
    /// Lower-cased.
    public var host: String
    public var port: Int?
    /// Path and query (`/` at least), no fragment.
    public var target: String

    public init?(_ url: String) {
        let text = url.trimmingSpaces
        guard let schemeEnd = text.range(of: "://") else { return nil }
        scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if !authority.hasPrefix("["), let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
            authority = authority[..<colon]
        }
        host = authority.lowercased()
        guard !host.isEmpty else { return nil }
        var path = rest[authorityEnd...].prefix { $0 != "#" }
        if path.isEmpty { path = "/" }
        target = path.hasPrefix("?") ? "/" + path : String(path)
    }

    /// `scheme://host[:port]`.
    public var origin: String { "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") }
    /// `host[:port]`, for a Host header.
    public var authority: String { host + (port.map { ":\($0)" } ?? "") }
    /// The path alone.
    public var path: String { String(target.prefix { $0 != "?" }) }
}
