import Foundation

/// Finds filing numbers, licences, public-security numbers and their look-alikes in text.
///
/// The text is normalised first, keeping a map back to the input: NFKC (full-width `ＩＣＰ`,
/// `１２３`, `－`, the ideographic space), zero-width characters and soft hyphens removed,
/// every dash folded to `-`, every space to one space, traditional 備 號 證 網 to their
/// simplified forms. Then the scanner anchors on `ICP`, `公网安备`, `B1-`/`B2-`, `网文` and
/// `新出网证`, looks back for the province and forward for the serial, the `号` and the site
/// suffix (before or after `号`). Spaces inside a number are allowed; a run of digit groups is
/// cut where the digits already form a valid serial, so `京ICP备12345678 2024` does not
/// swallow the year.
///
/// Works on plain text: markup (entities, tags, comments, scripts) is the caller's to remove.
public enum FilingNumberRecognizer {
    /// Longest text scanned in one call; longer input is scanned up to this many characters.
    public static let maximumTextLength = 4 << 20

    /// Every match in `text`, in order.
    public static func matches(in text: String) -> [FilingNumberMatch] {
        let normalized = NormalizedText(text)
        var scanner = Scanner(text: normalized, source: text)
        return scanner.run()
    }
}

/// Text after normalisation, with each scalar's origin in the input.
struct NormalizedText {
    var scalars: [Unicode.Scalar] = []
    var origins: [Range<String.Index>] = []

    init(_ text: String) {
        scalars.reserveCapacity(text.utf8.count)
        origins.reserveCapacity(text.utf8.count)
        // Scalar by scalar (no grapheme breaking: each scalar is normalised on its own anyway).
        let view = text.unicodeScalars
        var index = view.startIndex
        var count = 0
        // The scalars normalised so far, by value (at most one entry per Unicode scalar).
        var normalised: [UInt32: [Unicode.Scalar]] = [:]
        while index < view.endIndex, count < FilingNumberRecognizer.maximumTextLength {
            let next = view.index(after: index)
            let scalar = view[index]
            let origin = index..<next
            if scalar.isASCII {
                // Line breaks and tabs are spaces (`粤公网安备\n      44030002000001号`).
                switch scalar.value {
                case 0x09, 0x0A, 0x0B, 0x0C, 0x0D: append(" ", origin)
                default: append(scalar, origin)
                }
            } else if !NormalizedText.isInvisible(scalar) {
                if NormalizedText.isCompatibilityStable(scalar) {
                    append(NormalizedText.fold(scalar), origin)
                } else if (0xFF01...0xFF5E).contains(scalar.value), let ascii = Unicode.Scalar(scalar.value - 0xFEE0) {
                    // Full-width ASCII (`ＩＣＰ１２３－`): NFKC maps it to ASCII, done here at once.
                    append(NormalizedText.fold(ascii), origin)
                } else {
                    // Foundation's NFKC costs microseconds a call: each scalar is normalised
                    // once per text (a text of damaged bytes is all U+FFFD).
                    let parts: [Unicode.Scalar]
                    if let known = normalised[scalar.value] {
                        parts = known
                    } else {
                        parts = String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars.map(NormalizedText.fold)
                        normalised[scalar.value] = parts
                    }
                    for part in parts { append(part, origin) }
                }
            }
            index = next
            count += 1
        }
    }

    private mutating func append(_ scalar: Unicode.Scalar, _ origin: Range<String.Index>) {
        // Runs of spaces become one.
        if scalar == " " && scalars.last == " " { return }
        scalars.append(scalar)
        origins.append(origin)
    }

    /// Scalars NFKC leaves alone (CJK ideographs, kana, Hangul syllables, Latin-1 letters):
    /// they skip the costly normalisation call. Everything else is normalised.
    static func isCompatibilityStable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3041...0x3096, 0x30A1...0x30FA, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0xC0...0xFF: true
        // Punctuation and signs of Chinese pages that NFKC leaves alone (or that `fold` maps):
        // ¡…§ © « ¬ ® ° ± ¶ · » ¿, dashes, quotes, bullets, the CJK symbols and the
        // ideographic space.
        case 0xA0...0xA7, 0xA9, 0xAB, 0xAC, 0xAE, 0xB0, 0xB1, 0xB6, 0xB7, 0xBB, 0xBF, 0x2010...0x2015, 0x2018...0x201F, 0x2020...0x2022,
            0x2030, 0x3000...0x3035:
            true
        default: false
        }
    }

    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00AD, 0x200B...0x200F, 0x2060...0x2064, 0xFEFF, 0x180E: true
        default: false
        }
    }

    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x0C, 0x0B, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
            0x3000:
            return " "
        case 0x2010...0x2015, 0x2212, 0xFE58, 0xFE63, 0xFF0D, 0x2E3A, 0x2E3B: return "-"
        case 0x5099: return "备"  // 備
        case 0x865F: return "号"  // 號
        case 0x8B49: return "证"  // 證
        case 0x7DB2: return "网"  // 網
        default: return scalar
        }
    }
}

private struct Scanner {
    let text: [Unicode.Scalar]
    let origins: [Range<String.Index>]
    let source: String
    var matches: [FilingNumberMatch] = []

    init(text: NormalizedText, source: String) {
        self.text = text.scalars
        self.origins = text.origins
        self.source = source
    }

    /// Characters that label a number rather than name a scheme when they stand right
    /// before `ICP` (`网站备案ICP备…`, `备案号:ICP…`).
    static let labelCharacters: Set<Unicode.Scalar> = ["案", "号", "备", "证", "的", "为", "是", "：", "（", "）"]

    mutating func run() -> [FilingNumberMatch] {
        var i = 0
        while i < text.count {
            // Only a few scalars can start a keyword: the rest are passed over at once.
            switch text[i] {
            case "I", "i", "公", "A", "B", "网", "新", "备": break
            default:
                i += 1
                continue
            }
            if let end = scanICP(at: i) ?? scanPublicSecurity(at: i) ?? scanTelecom(at: i) ?? scanOtherLicence(at: i)
                ?? scanWithoutICP(at: i)
            {
                i = max(end, i + 1)
            } else {
                i += 1
            }
        }
        return matches
    }

    // MARK: Helpers over the normalised text

    func at(_ i: Int) -> Unicode.Scalar? { i >= 0 && i < text.count ? text[i] : nil }

    func isDigit(_ i: Int) -> Bool {
        guard let scalar = at(i) else { return false }
        return scalar.value >= 0x30 && scalar.value <= 0x39
    }

    func isASCIIAlphanumeric(_ i: Int) -> Bool {
        guard let scalar = at(i), scalar.isASCII else { return false }
        return scalar.properties.isAlphabetic || isDigit(i)
    }

    func isIdeograph(_ i: Int) -> Bool {
        guard let scalar = at(i) else { return false }
        return (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value)
    }

    func skipSpaces(_ i: Int) -> Int {
        var j = i
        while at(j) == " " { j += 1 }
        return j
    }

    func skipSpacesBackward(_ i: Int) -> Int {
        var j = i
        while at(j) == " " { j -= 1 }
        return j
    }

    func matches(_ literal: String, at i: Int, caseInsensitive: Bool = false) -> Bool {
        var j = i
        for scalar in literal.unicodeScalars {
            guard let here = at(j) else { return false }
            if caseInsensitive && here.isASCII && scalar.isASCII {
                guard here.value | 0x20 == scalar.value | 0x20 else { return false }
            } else if here != scalar {
                return false
            }
            j += 1
        }
        return true
    }

    func province(at i: Int) -> Province? {
        guard let scalar = at(i) else { return nil }
        return Province.abbreviated(Character(scalar))
    }

    /// Digit groups separated by single spaces, starting at `i`; the serial is the longest
    /// run of whole groups whose length is in `valid`, or the first group when none is.
    func serial(at i: Int, valid: Set<Int>) -> (digits: String, end: Int)? {
        var groups: [(digits: String, end: Int)] = []
        var j = i
        var digits = ""
        while true {
            let groupStart = j
            while isDigit(j) {
                digits.unicodeScalars.append(text[j])
                j += 1
            }
            guard j > groupStart else { break }
            groups.append((digits, j))
            // Another group follows only after one space and a digit.
            guard at(j) == " ", isDigit(j + 1), digits.count < 20 else { break }
            j += 1
        }
        guard let first = groups.first else { return nil }
        return groups.last(where: { valid.contains($0.digits.count) }) ?? first
    }

    /// A dash, optional spaces and 1…3 digits at `i`: the site index. Four digits are a
    /// year (`号 - 2019`), not a site.
    func siteSuffix(at i: Int) -> (index: Int, end: Int)? {
        guard at(i) == "-" else { return nil }
        let start = skipSpaces(i + 1)
        var j = start
        while isDigit(j) && j - start < 4 { j += 1 }
        guard j > start, j - start <= 3, !isDigit(j) else { return nil }
        guard let value = Int(String(String.UnicodeScalarView(text[start..<j]))) else { return nil }
        return (value, j)
    }

    mutating func record(_ classification: FilingNumberMatch.Classification, from start: Int, to end: Int) {
        let range = origins[start].lowerBound..<origins[end - 1].upperBound
        matches.append(FilingNumberMatch(classification: classification, verbatim: String(source[range]), range: range))
    }

    /// What pages put between the province and `ICP` besides spaces: bars (`|`, full-width
    /// `｜` folds to it, the ideograph `丨`), middle dots, bullets, slashes and dashes.
    static let separators: Set<Unicode.Scalar> = [" ", "|", "\u{4E28}", "\u{00B7}", "\u{30FB}", "\u{2022}", "\u{2027}", "/", "-"]

    func skipSeparatorsBackward(_ i: Int) -> Int {
        var j = i
        while let scalar = at(j), Scanner.separators.contains(scalar), i - j < 8 { j -= 1 }
        return j
    }

    /// Looks back from `i` (the start of a keyword) for a province, or a scheme prefix.
    /// Returns where the match starts, the province, and a look-alike when the prefix is one.
    func prefix(before i: Int) -> (start: Int, province: Province?, lookAlike: FilingLookAlike?) {
        let j = skipSpacesBackward(i - 1)
        if let province = province(at: j) { return (j, province, nil) }
        // `浙｜ICP备…`, `粤·ICP备…`: a separator between the province and the scheme.
        let separated = skipSeparatorsBackward(i - 1)
        if separated < i - 1, let province = province(at: separated) { return (separated, province, nil) }
        // Only a character written right against the keyword names a scheme.
        guard j == i - 1, isIdeograph(j), let scalar = at(j), !Scanner.labelCharacters.contains(scalar) else {
            return (i, nil, nil)
        }
        // Province + one or two characters + ICP is a campus/organisation scheme.
        for k in [j - 1, j - 2] where province(at: k) != nil {
            if k == j - 2 && !isIdeograph(j - 1) { continue }
            return (k, province(at: k), .campusScheme)
        }
        return (j, nil, .noveltyScheme)
    }

    // MARK: ICP numbers and licences

    mutating func scanICP(at i: Int) -> Int? {
        guard matches("ICP", at: i, caseInsensitive: true), !isASCIIAlphanumeric(i - 1) else { return nil }
        let (start, province, lookAlike) = prefix(before: i)
        var j = skipSpaces(i + 3)
        var kind = FilingNumber.Kind.icpFiling
        if at(j) == "备" {
            j += 1
            if at(j) == "案" {
                // `ICP备案号：` is a label, unless digits follow it directly.
                var k = j + 1
                if at(k) == "号" { k += 1 }
                if at(k) == ":" || at(k) == "：" { k += 1 }
                k = skipSpaces(k)
                guard isDigit(k) else { return j + 1 }
                j = k
            }
        } else if at(j) == "证" {
            kind = .icpLicence
            j += 1
            if at(j) == "字" { j += 1 }
            // `鄂ICP证:020001-5`: a colon between the scheme and the serial.
            let k = skipSpaces(j)
            if at(k) == ":" && isDigit(skipSpaces(k + 1)) { j = k + 1 }
        } else if !isDigit(j) {
            // `ICP` with neither 备/证 nor digits: a word, unless a province claims it.
            guard province != nil, lookAlike == nil else { return nil }
            record(
                .malformed(MalformedFilingNumber(kind: .icpFiling, province: province, reason: "no 备 or 证 and no serial after ICP")),
                from: start, to: i + 3)
            return i + 3
        }
        j = skipSpaces(j)
        if at(j) == "第" { j = skipSpaces(j + 1) }
        let valid: Set<Int> = kind == .icpFiling ? [8, 10] : [6]
        guard let serial = serial(at: j, valid: valid) else {
            // `沪ICP证：沪B2-20170116`: the licence written as its telecom number.
            if kind == .icpLicence, lookAlike == nil {
                var t = skipSpaces(at(j) == ":" ? j + 1 : j)
                if self.province(at: t) != nil { t = skipSpaces(t + 1) }
                let before = matches.count
                if let end = scanTelecom(at: t), matches.count == before + 1 {
                    let telecom = matches.removeLast()
                    record(telecom.classification, from: start, to: end)
                    return end
                }
            }
            guard province != nil || lookAlike != nil else { return nil }
            if let lookAlike {
                record(.lookAlike(lookAlike), from: start, to: j)
            } else {
                record(.malformed(MalformedFilingNumber(kind: kind, province: province, reason: "no serial digits")), from: start, to: j)
            }
            return j
        }
        var end = serial.end
        var siteIndex: Int?
        var k = skipSpaces(end)
        if let suffix = siteSuffix(at: k) {
            siteIndex = suffix.index
            end = suffix.end
            k = skipSpaces(end)
            if at(k) == "号" { end = k + 1 }
        } else if at(k) == "号" {
            end = k + 1
            if let suffix = siteSuffix(at: skipSpaces(end)) {
                siteIndex = suffix.index
                end = suffix.end
            }
        }
        if let lookAlike {
            record(.lookAlike(lookAlike), from: start, to: end)
            return end
        }
        guard let province else {
            record(
                .malformed(MalformedFilingNumber(kind: kind, province: nil, reason: "no province abbreviation before ICP")), from: start,
                to: end)
            return end
        }
        guard valid.contains(serial.digits.count) else {
            let expected = kind == .icpFiling ? "8 or 10" : "6"
            record(
                .malformed(
                    MalformedFilingNumber(
                        kind: kind, province: province, reason: "serial has \(serial.digits.count) digits, \(expected) expected")),
                from: start, to: end)
            return end
        }
        if let siteIndex, siteIndex == 0 {
            record(.malformed(MalformedFilingNumber(kind: kind, province: province, reason: "site index 0")), from: start, to: end)
            return end
        }
        record(.number(FilingNumber(kind: kind, province: province, serial: serial.digits, siteIndex: siteIndex)), from: start, to: end)
        return end
    }

    /// `浙备12345678号`: a province, 备 and a serial without `ICP` between them. People read it
    /// as a filing number, written wrong: it is reported as malformed (with 号 or a site
    /// suffix required, so that words ending in 备 before a figure are not taken).
    mutating func scanWithoutICP(at i: Int) -> Int? {
        let p = skipSpacesBackward(i - 1)
        guard at(i) == "备", let province = province(at: p), !isIdeograph(p - 1) else { return nil }
        let j = skipSpaces(i + 1)
        guard let serial = serial(at: j, valid: [8, 10]), [8, 10].contains(serial.digits.count) else { return nil }
        var end = serial.end
        var k = skipSpaces(end)
        var closed = false
        if let suffix = siteSuffix(at: k) {
            end = suffix.end
            closed = true
            k = skipSpaces(end)
            if at(k) == "号" { end = k + 1 }
        } else if at(k) == "号" {
            end = k + 1
            closed = true
            if let suffix = siteSuffix(at: skipSpaces(end)) { end = suffix.end }
        }
        guard closed else { return nil }
        record(
            .malformed(MalformedFilingNumber(kind: .icpFiling, province: province, reason: "no ICP between the province and 备")),
            from: p, to: end)
        return end
    }

    // MARK: Public-security numbers

    mutating func scanPublicSecurity(at i: Int) -> Int? {
        guard matches("公网安备", at: i) else { return nil }
        let (start, province, _) = prefix(before: i)
        let j = skipSpaces(i + 4)
        guard let serial = serial(at: j, valid: [12, 14, 15]) else {
            record(
                .malformed(MalformedFilingNumber(kind: .publicSecurity, province: province, reason: "no serial digits")), from: start,
                to: i + 4)
            return i + 4
        }
        var end = serial.end
        let k = skipSpaces(end)
        if at(k) == "号" { end = k + 1 }
        let realStart = province == nil ? i : start
        guard let province else {
            record(
                .malformed(MalformedFilingNumber(kind: .publicSecurity, province: nil, reason: "no province abbreviation before 公网安备")),
                from: realStart, to: end)
            return end
        }
        guard [12, 14, 15].contains(serial.digits.count) else {
            record(
                .malformed(
                    MalformedFilingNumber(
                        kind: .publicSecurity, province: province, reason: "serial has \(serial.digits.count) digits, 12, 14 or 15 expected"
                    )),
                from: realStart, to: end)
            return end
        }
        record(.number(FilingNumber(kind: .publicSecurity, province: province, serial: serial.digits)), from: realStart, to: end)
        return end
    }

    // MARK: Telecom licences

    mutating func scanTelecom(at i: Int) -> Int? {
        guard let letter = at(i), letter == "A" || letter == "B", let digit = at(i + 1), digit == "1" || digit == "2",
            !isASCIIAlphanumeric(i - 1)
        else { return nil }
        var j = i + 2
        // `B1.B2-2009…` and `B1、B2-…` name two categories of one licence; keep the last.
        var category = "\(letter)\(digit)"
        if at(j) == "." || at(j) == "、" || at(j) == "/", let next = at(j + 1), next == "A" || next == "B", let d = at(j + 2),
            d == "1" || d == "2"
        {
            category = "\(next)\(d)"
            j += 3
        }
        guard at(j) == "-" else { return nil }
        j = skipSpaces(j + 1)
        guard let serial = serial(at: j, valid: [8]) else { return nil }
        let prefixStart = skipSpacesBackward(i - 1)
        let province = province(at: prefixStart)
        let start = province == nil ? i : prefixStart
        guard serial.digits.count == 8 else {
            record(
                .malformed(
                    MalformedFilingNumber(
                        kind: .telecomLicence, province: province, reason: "serial has \(serial.digits.count) digits, 8 expected")),
                from: start, to: serial.end)
            return serial.end
        }
        record(
            .number(FilingNumber(kind: .telecomLicence, province: province, serial: serial.digits, category: category)), from: start,
            to: serial.end)
        return serial.end
    }

    // MARK: Other licences that look like numbers

    mutating func scanOtherLicence(at i: Int) -> Int? {
        if matches("网文", at: i) {
            let j = skipSpacesBackward(i - 1)
            guard province(at: j) != nil else { return nil }
            return recordLicence(.cultureLicence, from: j, after: i + 2)
        }
        if matches("新出网证", at: i) {
            return recordLicence(.publicationLicence, from: i, after: i + 4)
        }
        return nil
    }

    /// A look-alike licence runs to its `号`, or to the end of its digits and brackets.
    mutating func recordLicence(_ kind: FilingLookAlike, from start: Int, after keyword: Int) -> Int {
        var j = keyword
        let allowed: Set<Unicode.Scalar> = ["[", "]", "(", ")", "〔", "〕", "【", "】", "-", " ", "字", "第"]
        while j < text.count, j - keyword < 40 {
            let scalar = text[j]
            if scalar == "号" {
                j += 1
                break
            }
            guard isDigit(j) || allowed.contains(scalar) || province(at: j) != nil else { break }
            j += 1
        }
        while j > keyword && text[j - 1] == " " { j -= 1 }
        record(.lookAlike(kind), from: start, to: j)
        return j
    }
}
