/// Text as a JSON string literal: quotes, backslashes, control characters and the two line
/// separators JavaScript refuses (U+2028, U+2029) escaped; everything else as it is (UTF-8).
/// The one escaper of beian's JSON writers.
public enum JSONText {
    /// Appends `text` as a JSON string literal to `out` (the same escaping as `quoted`),
    /// without making a string of it.
    public static func append(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Runs that need no escape are copied whole.
            var start = 0
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                let escape: [UInt8]?
                switch b {
                case UInt8(ascii: "\""): escape = Array("\\\"".utf8)
                case UInt8(ascii: "\\"): escape = Array("\\\\".utf8)
                case 0x0A: escape = Array("\\n".utf8)
                case 0x0D: escape = Array("\\r".utf8)
                case 0x09: escape = Array("\\t".utf8)
                case 0x00..<0x20:
                    let hex = String(b, radix: 16)
                    escape = Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    escape = Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                default: escape = nil
                }
                guard let escape else {
                    i += 1
                    continue
                }
                out.append(contentsOf: bytes[start..<i])
                out.append(contentsOf: escape)
                i += b == 0xE2 ? 3 : 1
                start = i
            }
            out.append(contentsOf: bytes[start..<bytes.count])
        }
        out.append(UInt8(ascii: "\""))
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

/// One JSON object, keys sorted, written by hand (deterministic bytes, no Foundation encoder
/// whose formatting could change between releases).
package struct JSONObject {
    package init() {}

    private var fields: [(String, String)] = []

    package mutating func set(_ key: String, _ value: String?) {
        guard let value else { return }
        fields.append((key, JSONObject.quote(value)))
    }

    package mutating func set(_ key: String, _ value: Int?) {
        guard let value else { return }
        fields.append((key, String(value)))
    }

    package mutating func set(_ key: String, _ value: Bool) {
        if value { fields.append((key, "true")) }
    }

    package mutating func set(_ key: String, array: [JSONObject]) {
        fields.append((key, "[" + array.map(\.text).joined(separator: ",") + "]"))
    }

    package mutating func set(_ key: String, object: JSONObject?) {
        guard let object else { return }
        fields.append((key, object.text))
    }

    package var text: String {
        "{" + fields.sorted { $0.0 < $1.0 }.map { "\(JSONObject.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    package static func quote(_ text: String) -> String { JSONText.quoted(text) }
}
