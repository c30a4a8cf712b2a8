import BeianCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("1.2.3.4", "1.2.3.4"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("010.001.002.003", "10.1.2.3"),
        ("::", "::"),
        ("::1", "::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8::0:1", "2001:db8::1"),
        ("2001:db8:1:1:1:1:1:0", "2001:db8:1:1:1:1:1:0"),
        ("2001:0:0:1::", "2001:0:0:1::"),
        ("fe80::", "fe80::"),
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("::FFFF:0102:0304", "::ffff:1.2.3.4"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1::8", "1::8"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("240e:3a1:4c30:1d0::2", "240e:3a1:4c30:1d0::2"),
    ])
    func parsesAndPrints(text: String, printed: String) throws {
        let address = try IPAddress.parse(text)
        #expect(address.description == printed)
        #expect(try IPAddress.parse(printed) == address)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", "1..2.3", "1.2.3.4 ", "a.b.c.d", "1234.1.1.1",
        ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::1", "::1%eth0",
        "[::1]", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "1:", ":1", "1::2:",
    ])
    func refuses(text: String) {
        #expect(throws: ValueError.self) { try IPAddress.parse(text) }
    }

    @Test func integerForm() throws {
        #expect(try IPv4Address.parse(integer: "16843009") == IPv4Address(1, 1, 1, 1))
        #expect(try IPv4Address.parse(integer: "4294967295") == IPv4Address(255, 255, 255, 255))
        #expect(try IPv4Address.parse(integer: "1") == IPv4Address(0, 0, 0, 1))
        #expect(throws: ValueError.self) { try IPv4Address.parse(integer: "0") }
        #expect(throws: ValueError.self) { try IPv4Address.parse(integer: "4294967296") }
        #expect(throws: ValueError.self) { try IPv4Address.parse(integer: "-5") }
        #expect(throws: ValueError.self) { try IPv4Address.parse(integer: "12345678901") }
        #expect(try IPAddress.parse(registryText: "3232235777") == .v4(IPv4Address(192, 168, 1, 1)))
    }

    @Test func mappedAddressesUnmap() throws {
        #expect(try IPAddress.parse("::ffff:10.0.0.1").unmapped == .v4(IPv4Address(10, 0, 0, 1)))
        #expect(try IPAddress.parse("::10.0.0.1").unmapped.family == .v6)
    }

    @Test func ordering() throws {
        #expect(try IPAddress.parse("9.9.9.9") < IPAddress.parse("::"))
        #expect(try IPAddress.parse("1.2.3.4") < IPAddress.parse("1.2.3.5"))
    }

    /// IPv6 text is read as glibc's inet_pton reads it: every way of writing random
    /// addresses (compressed anywhere, upper case, leading zeros, a dotted tail) and damaged
    /// forms of them.
    @Test func ipv6ReadsAsInetPtonReadsIt() {
        var generator = SystemRandomNumberGenerator()
        func reference(_ text: String) -> UInt128? {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { bytes in bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
        }
        for round in 0..<20_000 {
            // Groups mostly zero or small, so that runs of zeros and short groups are common.
            var groups = (0..<8).map { _ -> UInt16 in
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: 0
                case 1: UInt16.random(in: 0...0xF, using: &generator)
                default: UInt16.random(in: 0...0xFFFF, using: &generator)
                }
            }
            if round % 7 == 0 { groups[0...5] = [0, 0, 0, 0, 0, 0xFFFF] }
            var parts = groups.map { group -> String in
                var text = String(group, radix: 16, uppercase: Bool.random(using: &generator))
                if Int.random(in: 0..<5, using: &generator) == 0 && text.count < 4 { text = "0" + text }
                return text
            }
            if Bool.random(using: &generator) {
                parts[6...7] = ["\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)"]
            }
            var text = parts.joined(separator: ":")
            // `::` in place of a run of zero groups, when there is one.
            if let start = parts.indices.first(where: { parts[$0] == "0" }) {
                var end = start
                while end + 1 < parts.count && parts[end + 1] == "0" { end += 1 }
                text = parts[..<start].joined(separator: ":") + "::" + parts[(end + 1)...].joined(separator: ":")
            }
            var damaged = Array(text.utf8)
            if round % 3 == 0 {
                let alphabet = Array(":.0123456789abcdefgABCDEF%".utf8)
                for _ in 0..<Int.random(in: 1...2, using: &generator) {
                    let at = Int.random(in: 0...damaged.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0 where at < damaged.count: damaged.remove(at: at)
                    case 1 where at < damaged.count: damaged[at] = alphabet.randomElement(using: &generator) ?? 0x3A
                    default: damaged.insert(alphabet.randomElement(using: &generator) ?? 0x3A, at: at)
                    }
                }
            }
            let written = String(decoding: damaged, as: UTF8.self)
            // The one known difference: a dotted tail's number with a leading zero (`1.2.3.07`)
            // is decimal here, as the dotted-quad reader takes it, where inet_pton refuses it.
            let dotted = written.split(separator: ":").last.map { $0.contains(".") } ?? false
            if dotted,
                written.split(separator: ":").last?.split(separator: ".").contains(where: { $0.count > 1 && $0.first == "0" }) == true
            {
                continue
            }
            let parsed = try? IPv6Address.parse(written)
            #expect(parsed?.value == reference(written), "\(written)")
        }
    }
}

@Suite struct IPRangeTests {
    @Test(arguments: [
        ("10.0.0.0-10.0.0.255", ["10.0.0.0/24"]),
        ("10.0.0.1-10.0.0.1", ["10.0.0.1/32"]),
        ("0.0.0.0-255.255.255.255", ["0.0.0.0/0"]),
        ("10.0.0.1-10.0.0.6", ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]),
        ("1.1.1.0 - 1.1.2.127", ["1.1.1.0/24", "1.1.2.0/25"]),
        ("16843008-16843263", ["1.1.1.0/24"]),
        ("192.168.0.0/16", ["192.168.0.0/16"]),
        ("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["::/0"]),
        ("2001:db8::-2001:db8::ffff", ["2001:db8::/112"]),
        ("2001:db8::1-2001:db8::2", ["2001:db8::1/128", "2001:db8::2/128"]),
        ("255.255.255.254-255.255.255.255", ["255.255.255.254/31"]),
        ("0.0.0.0-0.0.0.0", ["0.0.0.0/32"]),
    ])
    func decomposes(text: String, expected: [String]) throws {
        let range = try IPRange.parse(text)
        #expect(range.prefixes.map(\.description) == expected)
    }

    @Test func decompositionIsMinimalAndExact() throws {
        // Every start/end pair over a small window: prefixes tile the range, in order,
        // without overlap, and no two neighbours could merge into one prefix.
        for start in UInt32(0)..<64 {
            for end in start..<70 {
                let range = try IPRange(first: .v4(IPv4Address(1000 + start)), last: .v4(IPv4Address(1000 + end)))
                let prefixes = range.prefixes
                var next = UInt128(1000 + start)
                for prefix in prefixes {
                    #expect(prefix.first.bits == next)
                    next = prefix.last.bits + 1
                }
                #expect(next == UInt128(1000 + end) + 1)
                for (a, b) in zip(prefixes, prefixes.dropFirst()) where a.length == b.length {
                    let merged = IPPrefix(containing: a.address, length: a.length - 1)
                    #expect(!(merged.first == a.first && merged.last == b.last))
                }
            }
        }
    }

    @Test func refusesReversedAndMixedRanges() {
        #expect(throws: ValueError.self) { try IPRange.parse("10.0.0.2-10.0.0.1") }
        #expect(throws: ValueError.self) { try IPRange.parse("10.0.0.1-::1") }
        #expect(throws: ValueError.self) { try IPRange.parse("10.0.0.1/8") }
        #expect(throws: ValueError.self) { try IPRange.parse("10.0.0.0/33") }
    }

    @Test func prefixContainment() throws {
        let prefix = try IPPrefix.parse("2001:db8::/32")
        #expect(prefix.contains(try IPAddress.parse("2001:db8:ffff::1")))
        #expect(!prefix.contains(try IPAddress.parse("2001:db9::")))
        #expect(!prefix.contains(try IPAddress.parse("1.2.3.4")))
        #expect(prefix.last.description == "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")
        #expect(try IPPrefix.parse("0.0.0.0/0").contains(try IPAddress.parse("255.1.1.1")))
    }
}
