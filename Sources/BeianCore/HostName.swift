/// Host names as they arrive in SNI, Host headers and DNS: checked and normalised
/// (lower-cased, trailing dot and port removed) without Foundation.
package enum HostName {
    /// The longest name accepted (RFC 1035 presentation form).
    package static let maximumLength = 253

    /// A name made of letters, digits, `-`, `_` and dots, lower-cased, without a trailing
    /// dot; nil for anything else (empty, too long, other bytes).
    package static func normalise(_ bytes: UnsafeRawBufferPointer) -> String? {
        var count = bytes.count
        while count > 0 && bytes[count - 1] == UInt8(ascii: ".") { count -= 1 }
        guard count > 0, count <= maximumLength else { return nil }
        var upper = false
        for index in 0..<count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): upper = true
            default: return nil
            }
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
        if !upper { return String(decoding: slice, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: count) { buffer in
            for index in 0..<count {
                let byte = slice[index]
                buffer[index] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            }
            return count
        }
    }

    /// The host of an authority (`host`, `host:port`, `[v6]:port`, `user@host`): the name
    /// normalised, or an address literal as written (without brackets); nil when invalid.
    package static func fromAuthority(_ bytes: UnsafeRawBufferPointer) -> String? {
        var start = 0
        var end = bytes.count
        // Trim spaces and tabs.
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        if let at = (start..<end).last(where: { bytes[$0] == UInt8(ascii: "@") }) { start = at + 1 }
        guard start < end else { return nil }
        if bytes[start] == UInt8(ascii: "[") {
            guard let close = (start..<end).first(where: { bytes[$0] == UInt8(ascii: "]") }), close > start + 1 else { return nil }
            let literal = UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<close])
            for byte in literal {
                let hex =
                    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
                guard hex || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".") else { return nil }
            }
            return normaliseLiteral(literal)
        }
        var hostEnd = end
        if let colon = (start..<end).last(where: { bytes[$0] == UInt8(ascii: ":") }) {
            guard (colon + 1..<end).allSatisfy({ bytes[$0] >= UInt8(ascii: "0") && bytes[$0] <= UInt8(ascii: "9") }) else { return nil }
            hostEnd = colon
        }
        return normalise(UnsafeRawBufferPointer(rebasing: bytes[start..<hostEnd]))
    }

    private static func normaliseLiteral(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
