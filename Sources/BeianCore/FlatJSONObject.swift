/// One JSON Lines record: a flat object whose values are strings, numbers, booleans, null or
/// arrays of those, parsed straight from its bytes (unescaped strings go to one scratch buffer;
/// nothing is allocated per value).
///
/// Made with `selecting:` keys, it keeps only those members' values (in `selected`) and passes
/// over the rest without copying them; the whole object is still checked as JSON.
package struct FlatJSONObject {
    package struct Member {
        package var key: Range<Int>
        /// Range of this member's values in `values`.
        package var values: Range<Int>
        /// Why the value cannot be a column (an object, a nested array, a fraction).
        package var unusable: String?
    }

    /// Unescaped keys and values, back to back.
    package var scratch: [UInt8] = []
    package var members: [Member] = []
    /// Every value's bytes in `scratch`.
    package var values: [Range<Int>] = []

    /// The keys of a selective parse, and per key the range in `values` of the last member
    /// with that key (as a JSON reader keeps the last), or nil when the object has none.
    /// A selective parse fills no `members`.
    package let selecting: [[UInt8]]
    package private(set) var selected: [Range<Int>?]
    /// Whether the value being read is kept (false while passing over a member not selected).
    private var copying = true

    /// Deepest nesting skipped inside an unusable value.
    package static let maximumDepth = 64

    /// Every member is kept.
    package init() {
        selecting = []
        selected = []
    }

    /// Only the members of these keys are kept.
    package init(selecting keys: [String]) {
        precondition(keys.count <= Self.maximumSelected, "at most \(Self.maximumSelected) keys are selected")
        selecting = keys.map { Array($0.utf8) }
        selected = Array(repeating: nil, count: keys.count)
        var slots = [Int8](repeating: -1, count: Self.slotCount)
        for (index, key) in selecting.enumerated() {
            var slot = Self.slot(key.count, key.first ?? 0, key.isEmpty ? 0 : key[key.count / 2], key.last ?? 0)
            while slots[slot] >= 0 { slot = (slot + 1) & (Self.slotCount - 1) }
            slots[slot] = Int8(index)
        }
        self.slots = slots
    }

    /// An open-addressed table of the selected keys by length, first, middle and last byte: a
    /// key not selected costs one probe, mostly of an empty slot.
    private var slots: [Int8] = []
    private static let slotCount = 128
    private static let maximumSelected = 64

    @inline(__always)
    private static func slot(_ count: Int, _ first: UInt8, _ middle: UInt8, _ last: UInt8) -> Int {
        // The middle byte tells apart keys alike at both ends (`id.orig_p`, `id.resp_p`).
        let mixed = (UInt32(truncatingIfNeeded: count) << 24 | UInt32(first) << 16 | UInt32(middle) << 8 | UInt32(last)) &* 0x9E37_79B1
        return Int(mixed >> 25)
    }

    /// Which selected key the key at `bytes[range]` is (written without escapes), if any.
    private func selection(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        let count = range.count
        guard count > 0 else { return selecting.firstIndex(where: \.isEmpty) }
        var slot = Self.slot(count, bytes[range.lowerBound], bytes[range.lowerBound + count / 2], bytes[range.upperBound - 1])
        while true {
            let index = Int(slots[slot])
            guard index >= 0 else { return nil }
            let key = selecting[index]
            if key.count == count {
                let equal = key.withUnsafeBufferPointer { letters in
                    for k in 0..<count where letters[k] != bytes[range.lowerBound + k] { return false }
                    return true
                }
                if equal { return index }
            }
            slot = (slot + 1) & (Self.slotCount - 1)
        }
    }

    /// Which selected key the unescaped key at `scratch[range]` is, if any.
    private func selection(scratch range: Range<Int>) -> Int? {
        scratch.withUnsafeBytes { selection($0, range) }
    }

    /// Parses `bytes`; returns a message with the byte offset when they are not one JSON object.
    package mutating func parse(_ bytes: UnsafeRawBufferPointer) -> String? {
        scratch.removeAll(keepingCapacity: true)
        members.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        let selective = !selecting.isEmpty
        if selective {
            for index in selected.indices { selected[index] = nil }
        }
        copying = true
        var i = 0
        let n = bytes.count
        func skipSpace() {
            while i < n, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        }
        func fail(_ what: String) -> String { "\(what) at byte \(i + 1)" }

        skipSpace()
        guard i < n, bytes[i] == 0x7B else { return fail("not a JSON object: expected {") }
        i += 1
        skipSpace()
        if i < n && bytes[i] == 0x7D {
            i += 1
            skipSpace()
            return i == n ? nil : fail("text after the object")
        }
        while true {
            skipSpace()
            guard i < n, bytes[i] == 0x22 else { return fail("expected a quoted key") }
            let keyStart = scratch.count
            var chosen: Int?
            if selective {
                // A key without escapes is matched where it lies; one with escapes, unescaped.
                let quote = i
                copying = false
                if let error = string(bytes, &i) { return error }
                let written = quote + 1..<i - 1
                if !written.contains(where: { bytes[$0] == 0x5C }) {
                    chosen = selection(bytes, written)
                } else {
                    var k = quote
                    copying = true
                    if let error = string(bytes, &k) { return error }
                    chosen = selection(scratch: keyStart..<scratch.count)
                    scratch.removeSubrange(keyStart...)
                }
                copying = chosen != nil
            } else if let error = string(bytes, &i) {
                return error
            }
            let key = keyStart..<scratch.count
            skipSpace()
            guard i < n, bytes[i] == 0x3A else { return fail("expected : after a key") }
            i += 1
            skipSpace()
            let first = values.count
            var unusable: String?
            if i < n && bytes[i] == 0x5B {
                i += 1
                skipSpace()
                if i < n && bytes[i] == 0x5D {
                    i += 1
                } else {
                    while true {
                        skipSpace()
                        if i < n && (bytes[i] == 0x5B || bytes[i] == 0x7B) {
                            unusable = "holds a nested array or object"
                            if let error = skipValue(bytes, &i, depth: 0) { return error }
                        } else {
                            switch scalar(bytes, &i) {
                            case .failure(let error): return error.message
                            case .success(let problem): if let problem { unusable = problem }
                            }
                        }
                        skipSpace()
                        guard i < n else { return fail("unterminated array") }
                        if bytes[i] == 0x2C {
                            i += 1
                            continue
                        }
                        guard bytes[i] == 0x5D else { return fail("expected , or ] in an array") }
                        i += 1
                        break
                    }
                }
            } else if i < n && bytes[i] == 0x7B {
                unusable = "is an object"
                if let error = skipValue(bytes, &i, depth: 0) { return error }
            } else {
                switch scalar(bytes, &i) {
                case .failure(let error): return error.message
                case .success(let problem): unusable = problem
                }
            }
            if selective {
                if let chosen { selected[chosen] = first..<values.count }
            } else {
                members.append(Member(key: key, values: first..<values.count, unusable: unusable))
            }
            skipSpace()
            guard i < n else { return fail("unterminated object") }
            if bytes[i] == 0x2C {
                i += 1
                continue
            }
            guard bytes[i] == 0x7D else { return fail("expected , or } in the object") }
            i += 1
            skipSpace()
            return i == n ? nil : fail("text after the object")
        }
    }

    struct ParseError: Error {
        let message: String
    }

    /// A string, number, boolean or null at `i`: its text goes to `values` (null adds none).
    /// Success carries a reason when the value is valid JSON but no column value (a fraction).
    private mutating func scalar(_ b: UnsafeRawBufferPointer, _ i: inout Int) -> Result<String?, ParseError> {
        guard i < b.count else { return .failure(ParseError(message: "missing value at byte \(i + 1)")) }
        let start = scratch.count
        switch b[i] {
        case 0x22:
            if let error = string(b, &i) { return .failure(ParseError(message: error)) }
            if copying { values.append(start..<scratch.count) }
            return .success(nil)
        case 0x74, 0x66, 0x6E:  // true, false, null: `1`, `0`, no value
            if matches(b, i, "true") {
                i += 4
                if copying {
                    scratch.append(0x31)
                    values.append(start..<scratch.count)
                }
            } else if matches(b, i, "false") {
                i += 5
                if copying {
                    scratch.append(0x30)
                    values.append(start..<scratch.count)
                }
            } else if matches(b, i, "null") {
                i += 4
            } else {
                return .failure(ParseError(message: "invalid literal at byte \(i + 1)"))
            }
            return .success(nil)
        case 0x2D, 0x30...0x39:
            let numberStart = i
            if b[i] == 0x2D { i += 1 }
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            var integral = true
            if i < b.count, b[i] == 0x2E {
                i += 1
                while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                    if b[i] != 0x30 { integral = false }
                    i += 1
                }
            }
            if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
                // Read whole (it was left unread, and the record refused for the character
                // after it), but no column value.
                let mantissaEnd = i
                i += 1
                if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
                let digits = i
                while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
                guard i > digits, mantissaEnd > numberStart, b[mantissaEnd - 1] != 0x2D else {
                    return .failure(ParseError(message: "invalid number at byte \(numberStart + 1)"))
                }
                return .success("is a number in exponent form")
            }
            guard i > numberStart, b[i - 1] != 0x2D else {
                return .failure(ParseError(message: "invalid number at byte \(numberStart + 1)"))
            }
            guard copying else { return .success(integral ? nil : "is a fraction, not an integer") }
            guard integral else {
                // Kept as written, for readers that take fractions (times in logs).
                Self.append(b, numberStart..<i, to: &scratch)
                values.append(start..<scratch.count)
                return .success("is a fraction, not an integer")
            }
            // Integral: keep the digits before any `.0`.
            var end = numberStart
            while end < i, b[end] != 0x2E { end += 1 }
            Self.append(b, numberStart..<end, to: &scratch)
            values.append(start..<scratch.count)
            return .success(nil)
        default:
            return .failure(ParseError(message: "unexpected character at byte \(i + 1)"))
        }
    }

    /// Appends `b[range]` in one copy: as typed bytes, where a raw buffer is appended byte by byte.
    @inline(__always)
    private static func append(_ b: UnsafeRawBufferPointer, _ range: Range<Int>, to scratch: inout [UInt8]) {
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[range]).assumingMemoryBound(to: UInt8.self))
    }

    private func matches(_ b: UnsafeRawBufferPointer, _ i: Int, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard i + count <= b.count else { return false }
        let letters = word.utf8Start
        for k in 0..<count where b[i + k] != letters[k] { return false }
        return true
    }

    /// A quoted string at `i`, unescaped into `scratch` (checked only, while not `copying`).
    private mutating func string(_ b: UnsafeRawBufferPointer, _ i: inout Int) -> String? {
        i += 1
        while i < b.count {
            let byte = b[i]
            if byte == 0x22 {
                i += 1
                return nil
            }
            if byte < 0x20 { return "control character in a string at byte \(i + 1)" }
            if byte != 0x5C {
                // Copy the run up to the next quote or backslash at once.
                var end = i + 1
                while end + 8 <= b.count, !Self.holdsStringEnd(b.loadUnaligned(fromByteOffset: end, as: UInt64.self)) { end += 8 }
                while end < b.count, b[end] != 0x22, b[end] != 0x5C, b[end] >= 0x20 { end += 1 }
                if copying { Self.append(b, i..<end, to: &scratch) }
                i = end
                continue
            }
            guard i + 1 < b.count else { break }
            let escaped = b[i + 1]
            i += 2
            let replacement: UInt8
            switch escaped {
            case 0x22, 0x5C, 0x2F: replacement = escaped
            case 0x62: replacement = 0x08
            case 0x66: replacement = 0x0C
            case 0x6E: replacement = 0x0A
            case 0x72: replacement = 0x0D
            case 0x74: replacement = 0x09
            case 0x75:
                guard var scalar = hex4(b, i) else { return "invalid \\u escape at byte \(i - 1)" }
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 6 <= b.count, b[i] == 0x5C, b[i + 1] == 0x75, let low = hex4(b, i + 2), (0xDC00...0xDFFF).contains(low) else {
                        return "unpaired surrogate at byte \(i - 5)"
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    return "unpaired surrogate at byte \(i - 5)"
                }
                guard let unicode = Unicode.Scalar(scalar) else { return "invalid \\u escape at byte \(i - 5)" }
                if copying { UTF8.encode(unicode) { scratch.append($0) } }
                continue
            default:
                return "invalid escape at byte \(i - 1)"
            }
            if copying { scratch.append(replacement) }
        }
        return "unterminated string"
    }

    /// Whether any of eight bytes is a quote, a backslash or a control character (each test
    /// is exact for the first such byte; a byte after it may also show, which only ends the
    /// eight-byte steps early).
    @inline(__always)
    private static func holdsStringEnd(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ 0x2222_2222_2222_2222
        let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
        let zeros = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        let control = (word &- 0x2020_2020_2020_2020) & ~word
        return (zeros | control) & highs != 0
    }

    private func hex4(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt32? {
        guard i + 4 <= b.count else { return nil }
        var value: UInt32 = 0
        for k in i..<(i + 4) {
            guard let digit = hexDigit(b[k]) else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Skips any JSON value (for unusable nested values), checking its structure.
    private mutating func skipValue(_ b: UnsafeRawBufferPointer, _ i: inout Int, depth: Int) -> String? {
        guard depth < FlatJSONObject.maximumDepth else { return "nested deeper than \(FlatJSONObject.maximumDepth) at byte \(i + 1)" }
        let open = b[i]
        let close: UInt8 = open == 0x5B ? 0x5D : 0x7D
        i += 1
        while i < b.count {
            let byte = b[i]
            switch byte {
            case close:
                i += 1
                return nil
            case 0x5B, 0x7B:
                if let error = skipValue(b, &i, depth: depth + 1) { return error }
            case 0x22:
                let mark = scratch.count
                if let error = string(b, &i) { return error }
                scratch.removeSubrange(mark...)
            default:
                i += 1
            }
        }
        return "unterminated value"
    }
}
