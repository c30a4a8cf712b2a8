/// HTML character references: numeric (`&#20140;`, `&#x4EAC;`) and the named ones Chinese
/// pages use around footers, with or without the closing `;` for the legacy few.
enum Entities {
    /// Longest reference read (`&#x10FFFF;`, `&thinsp;`…).
    static let maximumLength = 12

    static let named: [String: Unicode.Scalar] = [
        "nbsp": "\u{A0}", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "copy": "\u{A9}", "reg": "\u{AE}",
        "middot": "\u{B7}", "ensp": "\u{2002}", "emsp": "\u{2003}", "thinsp": "\u{2009}", "zwj": "\u{200D}", "zwnj": "\u{200C}",
        "hellip": "\u{2026}", "mdash": "\u{2014}", "ndash": "\u{2013}", "laquo": "\u{AB}", "raquo": "\u{BB}", "times": "\u{D7}",
        "yen": "\u{A5}", "bull": "\u{2022}", "trade": "\u{2122}", "shy": "\u{AD}", "ldquo": "\u{201C}", "rdquo": "\u{201D}",
        "lsquo": "\u{2018}", "rsquo": "\u{2019}", "colon": ":", "hyphen": "-", "dash": "\u{2010}", "minus": "\u{2212}",
        "numsp": "\u{2007}", "puncsp": "\u{2008}", "nobreak": "\u{2060}", "lpar": "(", "rpar": ")", "sol": "/", "verbar": "|",
    ]
    /// Names browsers also read without `;`.
    static let legacy: Set<String> = ["nbsp", "amp", "lt", "gt", "quot", "copy", "reg", "middot", "times", "yen", "laquo", "raquo", "shy"]

    /// The character of the reference at `start` (an `&`) and its length, or nil.
    static func decode(_ run: UnsafeBufferPointer<UInt8>, at start: Int) -> (Unicode.Scalar, Int)? {
        var k = start + 1
        guard k < run.count else { return nil }
        if run[k] == 0x23 {  // &#
            k += 1
            var hex = false
            if k < run.count && run[k] | 0x20 == 0x78 {
                hex = true
                k += 1
            }
            var value: UInt32 = 0
            var digits = 0
            while k < run.count, digits < 8 {
                let b = run[k]
                let digit: UInt32
                switch b {
                case 0x30...0x39: digit = UInt32(b - 0x30)
                case 0x61...0x66 where hex: digit = UInt32(b - 0x61 + 10)
                case 0x41...0x46 where hex: digit = UInt32(b - 0x41 + 10)
                default: digit = 99
                }
                guard digit < 99 else { break }
                value = value * (hex ? 16 : 10) + digit
                digits += 1
                k += 1
            }
            guard digits > 0 else { return nil }
            if k < run.count && run[k] == 0x3B { k += 1 }
            // NUL, surrogates and out-of-range values read as U+FFFD, as browsers do.
            return (Unicode.Scalar(value == 0 ? 0xFFFD : value) ?? "\u{FFFD}", k - start)
        }
        var name = ""
        while k < run.count, k - start <= maximumLength, PageText.isAlphanumeric(run[k]) {
            name.unicodeScalars.append(Unicode.Scalar(run[k]))
            k += 1
        }
        guard !name.isEmpty else { return nil }
        if k < run.count && run[k] == 0x3B, let scalar = named[name] ?? named[name.lowercased()] { return (scalar, k + 1 - start) }
        // Legacy names without `;` (`&nbsp` then text): the longest known prefix.
        for length in stride(from: min(name.count, 6), through: 2, by: -1) {
            let prefix = String(name.prefix(length))
            if legacy.contains(prefix), let scalar = named[prefix] { return (scalar, 1 + length) }
        }
        return nil
    }
}
