import BeianCore

/// The host of HTTP/1.x requests at the start of a TCP client stream, pipelined ones included.
enum HTTPRequest {
    struct Head: Equatable {
        /// The host: the target's in absolute form or `CONNECT`, else the `Host` header's.
        var host: String?
        /// Absolute-form target or `CONNECT`: the request went to a proxy.
        var proxy: Bool
        /// Bytes from the start of this request to the start of the next one; nil when the
        /// body's length is unknown (chunked) or the connection changes protocol.
        var length: Int?
        /// `Upgrade: h2c`: after this request the client speaks HTTP/2.
        var upgradeToHTTP2 = false
        /// A DNS-over-HTTP request (`application/dns-message`, or the `/dns-query` path).
        var asksForDNSMessage = false
    }

    enum Outcome: Equatable {
        case head(Head)
        case needMore
        case invalid(MalformedReason)
    }

    /// The longest request head accepted.
    static let maximumHeadLength = 64 * 1024

    /// Whether four bytes (big-endian) start a method of HTTP/1.x or WebDAV.
    @inline(__always)
    private static func isMethodPrefix(_ word: UInt32) -> Bool {
        switch word {
        case 0x4745_5420,  // "GET "
            0x504F_5354,  // "POST"
            0x4845_4144,  // "HEAD"
            0x5055_5420,  // "PUT "
            0x4445_4C45,  // "DELE"
            0x4F50_5449,  // "OPTI"
            0x434F_4E4E,  // "CONN"
            0x5041_5443,  // "PATC"
            0x5452_4143,  // "TRAC"
            0x5052_4F50,  // "PROP"
            0x4D4B_434F,  // "MKCO"
            0x434F_5059,  // "COPY"
            0x4D4F_5645,  // "MOVE"
            0x4C4F_434B,  // "LOCK"
            0x554E_4C4F:  // "UNLO"
            true
        default: false
        }
    }

    /// Whether bytes starting a segment look like the start of a request (the stateless test):
    /// a known method, or any upper-case token (`CCM_POST`) followed by a space and `/`.
    @inline(__always)
    static func looksLikeStart(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 4, bytes[0] >= UInt8(ascii: "A"), bytes[0] <= UInt8(ascii: "Z") else { return false }
        if isMethodPrefix(bytes.u32(0)) { return true }
        return unknownMethod(bytes)
    }

    private static func unknownMethod(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let limit = min(bytes.count - 1, 24)
        var index = 0
        while index < limit {
            let byte = bytes[index]
            if byte == 0x20 { return index >= 3 && bytes[index + 1] == UInt8(ascii: "/") }
            guard isMethodByte(byte) else { return false }
            index += 1
        }
        return false
    }

    @inline(__always)
    private static func isMethodByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    /// Parses the request starting at the front of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let headEnd = endOfHead(bytes) else {
            return bytes.count >= maximumHeadLength ? .invalid(.badHTTPRequest) : .needMore
        }
        // Request line: METHOD SP target SP version; servers and tshark accept a missing
        // version (HTTP/0.9 style) or target, and so does this.
        guard let lineEnd = (0..<headEnd).first(where: { bytes[$0] == 0x0A }) else { return .invalid(.badHTTPRequest) }
        var lineLength = lineEnd
        if lineLength > 0 && bytes[lineLength - 1] == 0x0D { lineLength -= 1 }
        // A line of the method alone ("OPTIONS") has neither target nor version.
        let space = (0..<lineLength).first(where: { bytes[$0] == 0x20 }) ?? lineLength
        guard space >= 3 else { return .invalid(.badHTTPRequest) }
        for index in 0..<space where !isMethodByte(bytes[index]) { return .invalid(.badHTTPRequest) }
        var targetEnd = lineEnd
        while targetEnd > space + 1 && (bytes[targetEnd - 1] == 0x0D || bytes[targetEnd - 1] == 0x20) { targetEnd -= 1 }
        if let versionSpace = (space..<targetEnd).last(where: { bytes[$0] == 0x20 }), bytes.hasPrefix("HTTP/", at: versionSpace + 1) {
            targetEnd = versionSpace
        } else if bytes.hasPrefix("HTTP/", at: space + 1) {
            targetEnd = space + 1
        }
        targetEnd = max(targetEnd, min(space + 1, lineLength))
        let target = bytes.slice(min(space + 1, targetEnd), targetEnd)
        let connect = space == 7 && bytes.hasPrefix("CONNECT")
        var head = Head(host: nil, proxy: false, length: headEnd)
        head.asksForDNSMessage = target.hasPrefix("/dns-query")
        if connect, let host = HostName.fromAuthority(target) {
            head.proxy = true
            head.length = nil
            head.host = host
        } else if let authority = absoluteAuthority(target) {
            head.proxy = true
            guard let host = HostName.fromAuthority(authority) else { return .invalid(.badHostName) }
            head.host = host
        }
        // Header fields.
        var lineStart = lineEnd + 1
        var badHost = false
        var upgradeElsewhere = false
        while lineStart < headEnd {
            guard let end = (lineStart..<headEnd).first(where: { bytes[$0] == 0x0A }) else { break }
            let line = bytes.slice(lineStart, end)
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                let name = line.slice(0, colon)
                var value = line.slice(colon + 1, line.count)
                if value.last == 0x0D { value = value.slice(0, value.count - 1) }
                if equalsIgnoringCase(name, "host") {
                    if head.host == nil {
                        if let host = HostName.fromAuthority(value) { head.host = host } else { badHost = true }
                    }
                } else if equalsIgnoringCase(name, "content-length") {
                    if let length = decimal(value), let total = head.length { head.length = total + length }
                } else if equalsIgnoringCase(name, "upgrade") {
                    if HTTP2.contains(value, HTTP2.h2cToken) { head.upgradeToHTTP2 = true } else { upgradeElsewhere = true }
                } else if equalsIgnoringCase(name, "transfer-encoding") {
                    head.length = nil
                } else if equalsIgnoringCase(name, "content-type") || equalsIgnoringCase(name, "accept") {
                    if HTTP2.contains(value, HTTP2.dnsMessageType) { head.asksForDNSMessage = true }
                }
            }
            lineStart = end + 1
        }
        if head.host == nil && badHost { return .invalid(.badHostName) }
        // Another protocol than h2c (WebSocket…) follows: nothing more to read here.
        if upgradeElsewhere { head.length = nil }
        return .head(head)
    }

    /// The index just past the blank line ending the head, if it is there.
    private static func endOfHead(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let limit = min(bytes.count, maximumHeadLength)
        var index = 0
        while index < limit {
            guard let newline = (index..<limit).first(where: { bytes[$0] == 0x0A }) else { return nil }
            // "\n\n" or "\n\r\n" ends the head.
            if newline + 1 < limit && bytes[newline + 1] == 0x0A { return newline + 2 }
            if newline + 2 < limit && bytes[newline + 1] == 0x0D && bytes[newline + 2] == 0x0A { return newline + 3 }
            index = newline + 1
        }
        return nil
    }

    /// The authority of an absolute-form target (`http://host:port/path`).
    private static func absoluteAuthority(_ target: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let separator = (0..<min(target.count, 16)).first(where: { target[$0] == UInt8(ascii: ":") }),
            target.hasPrefix("//", at: separator + 1)
        else { return nil }
        for index in 0..<separator {
            let byte = target[index] | 0x20
            guard (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            else { return nil }
        }
        let start = separator + 3
        var end = start
        while end < target.count && target[end] != UInt8(ascii: "/") && target[end] != UInt8(ascii: "?") && target[end] != UInt8(ascii: "#")
        {
            end += 1
        }
        return target.slice(start, end)
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        let start = name.utf8Start
        for index in 0..<bytes.count where bytes[index] | 0x20 != start[index] { return false }
        return true
    }

    /// A decimal number (spaces around allowed); nil when absent or above 2^40.
    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var value = 0
        var digits = 0
        for byte in bytes {
            if byte == 0x20 || byte == 0x09 { continue }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"), digits < 13 else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
