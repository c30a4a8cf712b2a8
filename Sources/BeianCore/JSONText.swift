/// Text as a JSON string literal: quotes, backslashes, control characters and the two line
/// separators JavaScript refuses (U+2028, U+2029) escaped; everything else as it is (UTF-8).
/// The one escaper of beian's JSON writers.
public enum JSONText {
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
