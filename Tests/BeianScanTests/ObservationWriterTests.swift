import BeianCore
import BeianReport
import Foundation
import Testing

/// The observation writer puts each line together in memory it sizes beforehand: every field
/// at its longest must fit, and every value must read back as written.
struct ObservationWriterTests {
    static let longHost = String(repeating: "a1234567.", count: 28) + "example.cn"
    static let addresses: [(IPAddress, String)] = [
        (.v4(IPv4Address(0)), "0.0.0.0"), (.v4(IPv4Address(0xFFFF_FFFF)), "255.255.255.255"),
        (.v4(IPv4Address(0x0A09_6401)), "10.9.100.1"),
        (.v6(IPv6Address(0x2001_0DB8 << 96 | 1)), "2001:db8::1"),
        (.v6(IPv6Address(0xFFFF << 32 | 0x0102_0304)), "::ffff:1.2.3.4"),
        (.v6(IPv6Address(UInt128.max)), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        (.v6(IPv6Address(0x0001_0002_0003_0004_0005_0006_0007_0008)), "1:2:3:4:5:6:7:8"),
        (.v6(IPv6Address(0)), "::"),
    ]
    static let positions: [(Observation.Source.Position, UInt64)] = [
        (.packet(0), 0), (.line(9), 9), (.offset(10), 10), (.packet(99), 99), (.line(100), 100),
        (.offset(UInt64.max), UInt64.max), (.line(1_000_000_007), 1_000_000_007),
    ]

    static func observations() -> [Observation] {
        var all: [Observation] = []
        let files = ["a.pcap", "dir/\"quoted\" 名字\\.log", String(repeating: "长", count: 300) + ".warc"]
        for (index, (address, _)) in addresses.enumerated() {
            let (position, _) = positions[index % positions.count]
            all.append(
                Observation(
                    nanoseconds: [0, 1_772_380_500_059_012_345, -1, 4_102_444_799_999_999_999][index % 4],
                    host: index == 2 ? longHost : "www.example.cn",
                    address: address, port: [0, 9, 10, 443, 65535][index % 5], transport: index % 2 == 0 ? .tcp : .udp,
                    appProtocol: Observation.AppProtocol.allCases[index % 4],
                    client: index % 3 == 0 ? nil : addresses[(index + 3) % addresses.count].0,
                    ech: index % 2 == 1, proxy: index % 3 == 1,
                    source: Observation.Source(file: files[index % files.count], position: position)))
        }
        return all
    }

    @Test(arguments: [TimeStyle.utc, .china])
    func jsonLinesReadBackAsWritten(times: TimeStyle) throws {
        let observations = Self.observations()
        for anonymize in [false, true] {
            let long = String(repeating: "h", count: 400)
            let replacement: @Sendable (IPAddress) -> String = { (_: IPAddress) -> String in long }
            let replace = anonymize ? replacement : nil
            var writer = ObservationWriter(format: .jsonl, times: times, anonymize: replace)
            for observation in observations { writer.write(observation) }
            let lines = writer.bytes.split(separator: 0x0A)
            try #require(lines.count == observations.count)
            for (line, o) in zip(lines, observations) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
                let address = Self.addresses.first { $0.0 == o.address }?.1
                #expect(object["address"] as? String == address)
                #expect(object["host"] as? String == o.host)
                #expect(object["file"] as? String == o.source.file)
                #expect(object["port"] as? Int == Int(o.port))
                #expect(object["time"] as? String == o.timeText(times))
                #expect(object["protocol"] as? String == o.appProtocol.rawValue)
                #expect(object["transport"] as? String == o.transport.rawValue)
                #expect((object["ech"] as? Bool ?? false) == o.ech)
                #expect((object["proxy"] as? Bool ?? false) == o.proxy)
                let client = o.client.map { c in anonymize ? long : Self.addresses.first { $0.0 == c }?.1 ?? "?" }
                #expect(object["client"] as? String == client)
                let key: String
                let number: UInt64
                switch o.source.position {
                case .packet(let n): (key, number) = ("packet", n)
                case .line(let n): (key, number) = ("line", n)
                case .offset(let n): (key, number) = ("offset", n)
                }
                // Read as text: a JSON number beyond 2^53 loses digits as a Double.
                #expect(String(decoding: line, as: UTF8.self).contains("\"\(key)\":\(number),"))
            }
        }
    }

    @Test func tabSeparatedLinesReadBackAsWritten() throws {
        let observations = Self.observations()
        var writer = ObservationWriter(format: .tsv, times: .china)
        for observation in observations { writer.write(observation) }
        let lines = String(decoding: writer.bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        try #require(lines.count == observations.count)
        for (line, o) in zip(lines, observations) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let position: String
            switch o.source.position {
            case .packet(let n): position = "packet \(n)"
            case .line(let n): position = "line \(n)"
            case .offset(let n): position = "offset \(n)"
            }
            let flags = [o.ech ? "ech" : nil, o.proxy ? "proxy" : nil].compactMap { $0 }.joined(separator: ",")
            let expected = [
                o.timeText(.china), o.host, Self.addresses.first { $0.0 == o.address }?.1 ?? "?", "\(o.port)", o.transport.rawValue,
                o.appProtocol.rawValue, o.client.map { c in Self.addresses.first { $0.0 == c }?.1 ?? "?" } ?? "-",
                flags.isEmpty ? "-" : flags,
                o.source.file, position,
            ]
            #expect(fields == expected)
        }
    }
}
