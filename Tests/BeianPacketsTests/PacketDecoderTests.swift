import BeianCore
import BeianTestSupport
import Testing

@testable import BeianPackets

@Suite struct PacketDecoderTests {
    let client: UInt32 = 0xB780_0001  // 183.128.0.1
    let server: UInt32 = 0x7001_1001  // 112.1.16.1

    func run(_ frames: [[UInt8]], link: LinkType = .ethernet, configuration: PacketDecoder.Configuration = .init()) -> PacketDecoder {
        var decoder = PacketDecoder(configuration: configuration)
        decoder.begin(file: "test")
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes {
                decoder.decode($0, link: link, nanoseconds: Int64(index) * 1_000_000, number: UInt64(index + 1))
            }
        }
        decoder.finish()
        return decoder
    }

    func tcpFrame(_ seq: UInt32, _ flags: UInt8, _ payload: [UInt8] = [], vlans: [Int] = [100, 200], toServer: Bool = true) -> [UInt8] {
        let segment = toServer ? B.tcp(40000, 443, seq: seq, flags: flags, payload) : B.tcp(443, 40000, seq: seq, flags: flags, payload)
        return B.ethernet(toServer ? B.ipv4(client, server, proto: 6, segment) : B.ipv4(server, client, proto: 6, segment), vlans: vlans)
    }

    /// A hello in three segments, sent 2-1-3 with the first retransmitted after the FIN: one
    /// observation, at the packet that completes it.
    @Test func splitHelloOutOfOrderWithRetransmission() {
        let hello = B.records(B.clientHello(host: "shop.example.cn", padding: 1500))
        let isn: UInt32 = 0xFFFF_FF00  // the sequence numbers wrap inside the hello
        let a = Array(hello[0..<600])
        let b = Array(hello[600..<1200])
        let c = Array(hello[1200...])
        let frames = [
            tcpFrame(isn, 0x02), tcpFrame(isn &+ 601, 0x18, b), tcpFrame(isn &+ 1, 0x18, a), tcpFrame(isn &+ 1201, 0x18, c),
            tcpFrame(isn &+ 1 &+ UInt32(hello.count), 0x11), tcpFrame(isn &+ 1, 0x18, a),
        ]
        let decoder = run(frames)
        #expect(decoder.observations.count == 1)
        let seen = decoder.observations.first
        #expect(seen?.host == "shop.example.cn")
        #expect(seen?.source.position == .packet(4))
        #expect(seen?.address == .v4(IPv4Address(server)))
        #expect(seen?.client == .v4(IPv4Address(client)))
        #expect(seen?.port == 443)
        #expect(decoder.statistics.reassemblyFailures == 0)
    }

    @Test func helloWithAMissingSegmentNamesNothing() {
        let hello = B.records(B.clientHello(host: "gap.example.cn", padding: 1500))
        let frames = [tcpFrame(99, 0x02), tcpFrame(100, 0x18, Array(hello[0..<700])), tcpFrame(1400, 0x18, Array(hello[1300...]))]
        let decoder = run(frames, configuration: .init())
        #expect(decoder.observations.isEmpty)
        #expect(decoder.statistics.reassemblyFailures == 1)
    }

    @Test func helloWithoutSynIsReadStatelessly() {
        let hello = B.records(B.clientHello(host: "mid.example.cn"))
        let decoder = run([tcpFrame(5000, 0x18, hello, vlans: [])])
        #expect(decoder.observations.map(\.host) == ["mid.example.cn"])
    }

    @Test func fragmentedDNSAnswerOverIPv4() {
        var message: [UInt8] = [0, 7, 0x81, 0x80] + B.be16(1) + B.be16(40) + B.be16(0) + B.be16(0)
        message += B.name("big.example.cn") + B.be16(1) + B.be16(1)
        for index in 0..<40 { message += [0xC0, 12] + B.be16(1) + B.be16(1) + B.be32(60) + B.be16(4) + [10, 0, 0, UInt8(index)] }
        let datagram = B.udp(53, 5353, message)
        let first = Array(datagram[0..<400])
        let second = Array(datagram[400...])
        let frames = [
            B.ethernet(B.ipv4(server, client, proto: 17, second, id: 9, fragment: 400 / 8)),
            B.ethernet(B.ipv4(server, client, proto: 17, first, id: 9, fragment: 0x2000)),
        ]
        let decoder = run(frames)
        #expect(decoder.observations.count == 40)
        #expect(decoder.observations.allSatisfy { $0.host == "big.example.cn" && $0.port == 0 && $0.appProtocol == .dns })
        #expect(decoder.observations.first?.source.position == .packet(2))
        #expect(decoder.statistics.reassembledDatagrams == 1)
    }

    @Test func httpPipelinedOverIPv6AndGTP() {
        let requests = Array("GET / HTTP/1.1\r\nHost: one.cn\r\n\r\nGET /b HTTP/1.1\r\nHost: two.cn:8080\r\n\r\n".utf8)
        let inner = B.ipv6(0x240E_0390 << 96 | 1, 0x240E_03A0 << 96 | 2, next: 6, B.tcp(50000, 80, seq: 1, flags: 0x18, requests))
        let gtp: [UInt8] = [0x30, 0xFF] + B.be16(inner.count) + B.be32(0x1234) + inner
        let frame = B.ethernet(B.ipv4(0x0A00_0001, 0x0A00_0002, proto: 17, B.udp(2152, 2152, gtp)))
        let decoder = run([frame])
        #expect(decoder.observations.map(\.host) == ["one.cn", "two.cn"])
        #expect(decoder.observations.first?.address.description == "240e:3a0::2")
        #expect(decoder.statistics.tunnelled == 1)
    }

    /// Random bytes under every link type: counted, never a crash.
    @Test(arguments: [
        LinkType.ethernet, .raw, .linuxSLL, .linuxSLL2, .null, .ppp, .nflog, .ieee80211, .ieee80211Radiotap, .ppi, .ieee80211Prism,
        .ieee80211AVS, LinkType(rawValue: 147),
    ])
    func randomBytesNeverCrash(link: LinkType) {
        var generator = TestRandom(state: UInt64(link.rawValue) + 1)
        var decoder = PacketDecoder()
        for number in 1...20_000 {
            let length = Int(generator.next() % 200)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Plausible starts make the fuzz reach deeper layers.
            if bytes.count > 20 && number % 3 == 0 { bytes[link == .ethernet ? 12 : 0] = link == .ethernet ? 0x08 : 0x45 }
            if bytes.count > 20 && number % 3 == 0 && link == .ethernet {
                bytes[13] = 0
                bytes[14] = 0x45
            }
            bytes.withUnsafeBytes { decoder.decode($0, link: link, nanoseconds: Int64(number), number: UInt64(number)) }
        }
        decoder.finish()
        #expect(decoder.statistics.packets == 20_000)
    }
}
