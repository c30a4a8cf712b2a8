/// Text as a JSON string literal: quotes, backslashes, control characters and the two line
/// separators JavaScript refuses (U+2028, U+2029) escaped; everything else as it is (UTF-8).
/// The one escaper of beian's JSON writers.
public enum JSONText {
    /// Appends `text` as a JSON string literal to `out` (the same escaping as `quoted`),
    /// without making a string of it.
    public static func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { append(utf8: $0, to: &out) }
    }

    /// Appends UTF-8 `bytes` as a JSON string literal to `out`.
    public static func append(utf8 bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Runs that need no escape are copied whole; a byte is looked at closely only when it
        // may need one (a control character, a quote, a backslash, the lead byte of U+2028/9).
        var start = 0
        var i = 0
        let count = bytes.count
        while i < count {
            // Eight bytes at a time while none of them may need an escape.
            if i + 8 <= count, let base = bytes.baseAddress,
                !mayNeedEscape(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            {
                i += 8
                continue
            }
            let b = bytes[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == 0xE2 else {
                i += 1
                continue
            }
            let escape: String
            switch b {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x00..<0x20:
                let hex = String(b, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            case 0xE2 where i + 2 < count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                escape = bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"
            default:
                i += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            out.append(contentsOf: escape.utf8)
            i += b == 0xE2 ? 3 : 1
            start = i
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<count]))
        out.append(UInt8(ascii: "\""))
    }

    /// Whether any byte of `word` is a control character, a quote, a backslash or 0xE2 (exact:
    /// the zero-byte tests of "Bit Twiddling Hacks", for values below 0x80 and equality).
    @inline(__always)
    static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        let below = (word &- ones &* 0x20) & ~word & highs
        return (below | hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C)) | hasZero(word ^ (ones &* 0xE2))) != 0
    }

    public static func quoted(_ text: String) -> String {
        // Most values (names, addresses, numbers as text) need no escaping at all.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0xE2 }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// A JSON value, for documents built piece by piece (reports, lookups, the generator's truth).
/// Written by `JSONWriter`: objects with their keys sorted, so that the same value always
/// gives the same bytes.
public enum JSONValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object(JSONObject)

    /// The value written compactly (one line), or indented by two spaces.
    public func text(pretty: Bool = false) -> String {
        var writer = JSONWriter(pretty: pretty)
        writer.value(self)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// A JSON object: members by key, written in key order. Setting nil leaves a key out.
public struct JSONObject: Sendable, Equatable {
    /// The members, kept sorted by key (the order they are written in): objects here have a
    /// handful of keys, which a sorted array holds with less work than a dictionary sorted at
    /// each write.
    public private(set) var members: [(key: String, value: JSONValue)] = []

    public init() {}

    public init(_ members: [String: JSONValue]) {
        self.members = members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Where `key` is, or where it would go.
    private func position(of key: String) -> (index: Int, found: Bool) {
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            let candidate = members[middle].key
            if candidate == key { return (middle, true) }
            if candidate < key { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    public subscript(key: String) -> JSONValue? {
        get {
            let (index, found) = position(of: key)
            return found ? members[index].value : nil
        }
        set {
            let (index, found) = position(of: key)
            switch (found, newValue) {
            case (true, let value?): members[index].value = value
            case (true, nil): members.remove(at: index)
            case (false, let value?): members.insert((key, value), at: index)
            case (false, nil): break
            }
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public mutating func set(_ key: String, _ value: String?) { self[key] = value.map { .string($0) } }
    public mutating func set(_ key: String, _ value: Int?) { self[key] = value.map { .integer(Int64($0)) } }
    public mutating func set(_ key: String, _ value: Int64?) { self[key] = value.map { .integer($0) } }
    public mutating func set(_ key: String, _ value: Double?) { self[key] = value.map { .number($0) } }
    /// Sets a flag; `false` leaves the key out (flags are written only when set).
    public mutating func set(_ key: String, _ value: Bool) { self[key] = value ? .bool(true) : nil }
    public mutating func set(_ key: String, array: [JSONObject]) { self[key] = .array(array.map { .object($0) }) }
    public mutating func set(_ key: String, object: JSONObject?) { self[key] = object.map { .object($0) } }

    /// The object on one line.
    public var text: String { JSONValue.object(self).text() }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
    public init(nilLiteral: ()) { self = .null }

    /// A string, or null.
    public init(_ text: String?) { self = text.map { .string($0) } ?? .null }
    public init(_ number: some BinaryInteger) { self = .integer(Int64(clamping: number)) }
    public init(_ flag: Bool) { self = .bool(flag) }
    /// Strings as an array.
    public init(_ texts: [String]) { self = .array(texts.map { .string($0) }) }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }
}

/// Writes JSON straight to bytes: the one JSON writer of beian. Hot paths (findings,
/// observations) write members in order as they go — keys in the order given, commas placed
/// by the writer; documents write a `JSONValue`. Strings are escaped by `JSONText`.
public struct JSONWriter {
    public var bytes: [UInt8] = []
    /// Whether the next value is the first of its object or array (no comma before it).
    private var first = true
    /// A key was just written: its value takes neither a comma nor a new line.
    private var afterKey = false
    private let pretty: Bool
    private var depth = 0

    public init(pretty: Bool = false, capacity: Int = 0) {
        self.pretty = pretty
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its memory.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        first = true
        afterKey = false
        depth = 0
    }

    // MARK: Containers

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Ends a line (JSON Lines): the next value starts a new document.
    public mutating func endLine() {
        bytes.append(0x0A)
        first = true
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        first = true
        depth += 1
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        if pretty && !first { newline() }
        bytes.append(bracket)
        first = false
    }

    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        if !first { bytes.append(UInt8(ascii: ",")) }
        if pretty && depth > 0 { newline() }
        first = false
    }

    private mutating func newline() {
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
    }

    // MARK: Members and values

    /// A member's key; its value follows.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        colon()
    }

    /// A key that is not a literal (escaped).
    public mutating func key(_ name: String) {
        separate()
        JSONText.append(name, to: &bytes)
        colon()
    }

    private mutating func colon() {
        bytes.append(UInt8(ascii: ":"))
        if pretty { bytes.append(UInt8(ascii: " ")) }
        afterKey = true
    }

    public mutating func string(_ text: String) {
        separate()
        JSONText.append(text, to: &bytes)
    }

    /// A string given as UTF-8 bytes.
    public mutating func string(utf8 text: UnsafeRawBufferPointer) {
        separate()
        JSONText.append(utf8: text.assumingMemoryBound(to: UInt8.self), to: &bytes)
    }

    public mutating func member(_ name: StaticString, utf8 text: UnsafeRawBufferPointer) {
        key(name)
        string(utf8: text)
    }

    /// Bytes that are already a JSON value (a string quoted once and reused).
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
    }

    public mutating func integer(_ value: some BinaryInteger) {
        separate()
        guard let small = Int64(exactly: value) else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        // Digits written in place (no string made): the common case of counts and numbers.
        if small < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = small.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(24 - count)...])
        }
    }

    public mutating func number(_ value: Double) {
        separate()
        bytes.append(contentsOf: (value.isFinite ? "\(value)" : "null").utf8)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A string member, left out when `value` is nil.
    public mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    public mutating func member(_ name: StaticString, _ value: Int) {
        key(name)
        integer(value)
    }

    /// Any value, objects with their keys sorted.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .string(let text): string(text)
        case .integer(let number): integer(number)
        case .number(let number): self.number(number)
        case .bool(let flag): bool(flag)
        case .null: null()
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let object):
            beginObject()
            for member in object.members {
                key(member.key)
                self.value(member.value)
            }
            endObject()
        }
    }
}
