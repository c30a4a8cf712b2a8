/// Application payloads: TLS hellos, HTTP/1.1 messages, DNS messages, as real clients and
/// servers write them.
enum Payloads {
    static let greaseValues: [Int] = (0..<16).map { $0 << 12 | 0x0A00 | $0 << 4 | 0x0A }

    struct HelloOptions {
        var serverName: String
        var sniFirst = true
        var grease = false
        var postQuantum = false
        var padding = false
        var ech = false
        var tls13 = true
        /// A QUIC hello: TLS 1.3 only, ALPN h3, transport parameters, no session id.
        var quic = false
        var quicSourceID: [UInt8] = []
    }

    private static func randomBytes(_ count: Int, _ random: inout SeededRandom) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let value = random.next()
            for shift in stride(from: 0, to: 64, by: 8) where bytes.count < count {
                bytes.append(UInt8(truncatingIfNeeded: value >> shift))
            }
        }
        return bytes
    }

    private static func extensionBytes(_ type: Int, _ body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        Wire.append16(&bytes, type)
        Wire.append16(&bytes, body.count)
        return bytes + body
    }

    private static func list16(_ items: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        Wire.append16(&bytes, items.count * 2)
        for item in items { Wire.append16(&bytes, item) }
        return bytes
    }

    /// A ClientHello handshake message (type 1, 24-bit length, body).
    static func clientHello(_ options: HelloOptions, _ random: inout SeededRandom) -> [UInt8] {
        let grease = greaseValues[Int(random.next() % 16)]
        let greaseExtension = greaseValues[Int(random.next() % 16)]
        var body: [UInt8] = [0x03, 0x03]
        body += randomBytes(32, &random)
        if options.quic {
            body.append(0)
        } else {
            body.append(32)
            body += randomBytes(32, &random)
        }
        var suites =
            options.quic
            ? [0x1301, 0x1302, 0x1303]
            : [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
        if !options.tls13 { suites.removeFirst(3) }
        if options.grease { suites.insert(grease, at: 0) }
        body += list16(suites)
        body += [0x01, 0x00]

        var name: [UInt8] = [0x00]
        Wire.append16(&name, options.serverName.utf8.count)
        name += Array(options.serverName.utf8)
        var nameList: [UInt8] = []
        Wire.append16(&nameList, name.count)
        let sni = extensionBytes(0x0000, nameList + name)

        var extensions: [[UInt8]] = []
        if options.grease { extensions.append(extensionBytes(greaseExtension, [])) }
        if options.sniFirst { extensions.append(sni) }
        if !options.quic {
            extensions.append(extensionBytes(0x0017, []))
            extensions.append(extensionBytes(0xFF01, [0x00]))
        }
        var groups = [0x001D, 0x0017, 0x0018]
        if options.postQuantum { groups.insert(0x11EC, at: 0) }
        if options.grease { groups.insert(grease, at: 0) }
        extensions.append(extensionBytes(0x000A, list16(groups)))
        if !options.quic {
            extensions.append(extensionBytes(0x000B, [0x01, 0x00]))
            extensions.append(extensionBytes(0x0023, []))
        }
        let protocols = options.quic ? ["h3"] : ["h2", "http/1.1"]
        var alpn: [UInt8] = []
        for proto in protocols {
            alpn.append(UInt8(proto.utf8.count))
            alpn += Array(proto.utf8)
        }
        var alpnList: [UInt8] = []
        Wire.append16(&alpnList, alpn.count)
        extensions.append(extensionBytes(0x0010, alpnList + alpn))
        if !options.sniFirst { extensions.append(sni) }
        extensions.append(extensionBytes(0x0005, [0x01, 0x00, 0x00, 0x00, 0x00]))
        extensions.append(extensionBytes(0x000D, list16([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601])))
        extensions.append(extensionBytes(0x0012, []))
        if options.tls13 {
            var shares: [UInt8] = []
            if options.grease {
                Wire.append16(&shares, grease)
                Wire.append16(&shares, 1)
                shares.append(0)
            }
            if options.postQuantum {
                // X25519MLKEM768: an ML-KEM-768 encapsulation key (1,184 bytes) and an X25519 share.
                Wire.append16(&shares, 0x11EC)
                Wire.append16(&shares, 1216)
                shares += randomBytes(1216, &random)
            }
            Wire.append16(&shares, 0x001D)
            Wire.append16(&shares, 32)
            shares += randomBytes(32, &random)
            var keyShare: [UInt8] = []
            Wire.append16(&keyShare, shares.count)
            extensions.append(extensionBytes(0x0033, keyShare + shares))
            extensions.append(extensionBytes(0x002D, [0x01, 0x01]))
            var versions = [0x0304, 0x0303]
            if options.grease { versions.insert(grease, at: 0) }
            var versionBytes: [UInt8] = [UInt8(versions.count * 2)]
            for version in versions { Wire.append16(&versionBytes, version) }
            extensions.append(extensionBytes(0x002B, versionBytes))
        }
        extensions.append(extensionBytes(0x001B, [0x02, 0x00, 0x02]))
        if options.quic {
            var parameters: [UInt8] = []
            func parameter(_ id: UInt8, _ value: [UInt8]) {
                parameters.append(id)
                parameters.append(UInt8(value.count))
                parameters += value
            }
            parameter(0x01, [0x80, 0x00, 0x75, 0x30])  // max_idle_timeout 30000
            parameter(0x04, [0x80, 0x98, 0x96, 0x80])  // initial_max_data
            parameter(0x08, [0x40, 0x64])  // initial_max_streams_bidi 100
            parameter(0x0F, options.quicSourceID)  // initial_source_connection_id
            extensions.append(extensionBytes(0x0039, parameters))
        }
        if options.ech {
            // encrypted_client_hello, outer: HPKE suite, config id, encapsulated key, payload.
            var ech: [UInt8] = [0x00, 0x00, 0x01, 0x00, 0x01, UInt8(random.next() & 0xFF)]
            Wire.append16(&ech, 32)
            ech += randomBytes(32, &random)
            let payload = 144 + Int(random.next() % 4) * 32
            Wire.append16(&ech, payload)
            ech += randomBytes(payload, &random)
            extensions.append(extensionBytes(0xFE0D, ech))
        }
        if options.grease { extensions.append(extensionBytes(greaseValues[Int(random.next() % 16)], [0x00])) }
        var extensionBlock = extensions.flatMap { $0 }
        if options.padding {
            // BoringSSL's rule: pad hellos of 256–511 bytes to 512.
            let unpadded = 4 + body.count + 2 + extensionBlock.count
            let target = max(512, unpadded + 5)
            extensionBlock += extensionBytes(0x0015, [UInt8](repeating: 0, count: max(1, target - unpadded - 4)))
        }
        Wire.append16(&body, extensionBlock.count)
        body += extensionBlock
        var message: [UInt8] = [0x01]
        Wire.append24(&message, body.count)
        return message + body
    }

    /// A TLS record holding `handshake` (content type 22).
    static func handshakeRecord(_ handshake: [UInt8]) -> [UInt8] {
        var record: [UInt8] = [0x16, 0x03, 0x01]
        Wire.append16(&record, handshake.count)
        return record + handshake
    }

    /// What a TLS 1.3 server sends back: ServerHello, ChangeCipherSpec, then encrypted records
    /// filling `bytes`.
    static func serverFlight(bytes: Int, _ random: inout SeededRandom) -> [UInt8] {
        var hello: [UInt8] = [0x03, 0x03]
        hello += randomBytes(32, &random)
        hello.append(32)
        hello += randomBytes(32, &random)
        hello += [0x13, 0x01, 0x00]
        var extensions = extensionBytes(0x002B, [0x03, 0x04])
        var share: [UInt8] = []
        Wire.append16(&share, 0x001D)
        Wire.append16(&share, 32)
        share += randomBytes(32, &random)
        extensions += extensionBytes(0x0033, share)
        Wire.append16(&hello, extensions.count)
        hello += extensions
        var message: [UInt8] = [0x02]
        Wire.append24(&message, hello.count)
        var flight = handshakeRecord(message + hello)
        flight[1] = 0x03
        flight[2] = 0x03
        flight += [0x14, 0x03, 0x03, 0x00, 0x01, 0x01]
        var remaining = max(64, bytes - flight.count)
        while remaining > 0 {
            let length = min(remaining, 16_384 + 17)
            var record: [UInt8] = [0x17, 0x03, 0x03]
            Wire.append16(&record, length)
            flight += record
            flight += randomBytes(length, &random)
            remaining -= length + 5
        }
        return flight
    }

    static let userAgents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.54",
        "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.95 Mobile Safari/537.36",
        "okhttp/4.12.0",
    ]

    /// An HTTP/1.1 request for `host`: origin form with a Host header (with a port when asked),
    /// absolute form through a proxy, or CONNECT.
    static func httpRequest(host: String, port: Int?, proxy: Bool, connect: Bool, path: String, agent: String) -> [UInt8] {
        let authority = port.map { "\(host):\($0)" } ?? host
        var text: String
        if connect {
            text = "CONNECT \(host):443 HTTP/1.1\r\nHost: \(host):443\r\nProxy-Connection: keep-alive\r\nUser-Agent: \(agent)\r\n\r\n"
        } else {
            let target = proxy ? "http://\(authority)\(path)" : path
            text =
                "GET \(target) HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: \(agent)\r\n"
                + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
                + "Accept-Language: zh-CN,zh;q=0.9\r\n\(proxy ? "Proxy-Connection" : "Connection"): keep-alive\r\n\r\n"
        }
        return Array(text.utf8)
    }

    static func httpResponse(bytes: Int, connect: Bool, _ random: inout SeededRandom) -> [UInt8] {
        if connect { return Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8) }
        let filler = "<div class=\"item\"><a href=\"/news/\(random.int(1000...9999)).html\">新闻动态 产品中心 关于我们</a></div>\n"
        var body = "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>首页</title></head><body>\n"
        while body.utf8.count < bytes { body += filler }
        body += "</body></html>\n"
        let head =
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: keep-alive\r\n\r\n"
        return Array((head + body).utf8)
    }

    // MARK: DNS

    /// A DNS name in wire form, compressed against the names already in `message`.
    static func appendName(_ name: String, to message: inout [UInt8], offsets: inout [String: Int]) {
        var rest = Substring(name)
        while !rest.isEmpty {
            if let offset = offsets[String(rest)] {
                Wire.append16(&message, 0xC000 | offset)
                return
            }
            if message.count < 0x3FFF { offsets[String(rest)] = message.count }
            let label = rest.prefix { $0 != "." }
            message.append(UInt8(label.utf8.count))
            message += Array(label.utf8)
            rest = rest.dropFirst(label.count)
            if rest.hasPrefix(".") { rest = rest.dropFirst() }
        }
        message.append(0)
    }

    static func dnsQuery(id: UInt16, name: String, v6: Bool) -> [UInt8] {
        var message: [UInt8] = []
        Wire.append16(&message, Int(id))
        message += [0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]
        var offsets: [String: Int] = [:]
        appendName(name, to: &message, offsets: &offsets)
        Wire.append16(&message, v6 ? 28 : 1)
        Wire.append16(&message, 1)
        // EDNS(0) OPT record, 1232-byte payload.
        message += [0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        return message
    }

    /// The answer: the question, a CNAME chain (each target compressed against earlier names),
    /// then the addresses of the last name.
    static func dnsResponse(id: UInt16, name: String, chain: [String], answers: [RegistryWorld.Address], v6: Bool) -> [UInt8] {
        var message: [UInt8] = []
        Wire.append16(&message, Int(id))
        message += [0x81, 0x80, 0x00, 0x01]
        Wire.append16(&message, chain.count + answers.count)
        message += [0x00, 0x00, 0x00, 0x00]
        var offsets: [String: Int] = [:]
        appendName(name, to: &message, offsets: &offsets)
        Wire.append16(&message, v6 ? 28 : 1)
        Wire.append16(&message, 1)
        var owner = name
        for target in chain {
            appendName(owner, to: &message, offsets: &offsets)
            Wire.append16(&message, 5)
            Wire.append16(&message, 1)
            Wire.append32(&message, 300)
            let lengthAt = message.count
            Wire.append16(&message, 0)
            appendName(target, to: &message, offsets: &offsets)
            let length = message.count - lengthAt - 2
            message[lengthAt] = UInt8(length >> 8)
            message[lengthAt + 1] = UInt8(length & 0xFF)
            owner = target
        }
        for address in answers {
            appendName(owner, to: &message, offsets: &offsets)
            Wire.append16(&message, address.v6 ? 28 : 1)
            Wire.append16(&message, 1)
            Wire.append32(&message, 600)
            let bytes = Wire.addressBytes(address)
            Wire.append16(&message, bytes.count)
            message += bytes
        }
        return message
    }
}
