import BeianCore
import Testing

@testable import BeianPackets

/// The link layers and tunnels beyond what `Conformance/encapsulations.py` compares with
/// tshark: what is refused and counted, and headers read in forms tshark's defaults do not.
@Suite struct EncapsulationTests {
    let client: UInt32 = 0xB780_0001  // 183.128.0.1
    let server: UInt32 = 0x7001_1001  // 112.1.16.1

    func request(_ host: String, port: Int = 40000) -> [UInt8] {
        B.ipv4(client, server, proto: 6, B.tcp(port, 80, seq: 1, flags: 0x18, Array("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n".utf8)))
    }

    func decode(_ frames: [[UInt8]], link: LinkType) -> PacketDecoder {
        var decoder = PacketDecoder()
        decoder.begin(file: "test")
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes { decoder.decode($0, link: link, nanoseconds: Int64(index), number: UInt64(index + 1)) }
        }
        decoder.finish()
        return decoder
    }

    let snapIPv4: [UInt8] = [0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00]

    /// A data frame to the access point: frame control, duration, three addresses, sequence.
    func dataFrame(_ body: [UInt8], subtype: UInt8 = 0, flags: UInt8 = 0x01, qos: [UInt8]? = nil) -> [UInt8] {
        var frame: [UInt8] = [subtype << 4 | 0x08, flags, 0, 0]
        frame += [UInt8](repeating: 0x0A, count: 18) + [0x10, 0]
        if let qos { frame += qos }
        return frame + body
    }

    @Test func managementNullAndProtectedFramesAreCountedNotRead() {
        let beacon: [UInt8] = [0x80, 0x00] + [UInt8](repeating: 0, count: 40)
        let null = dataFrame([], subtype: 4)
        let protected = dataFrame(snapIPv4 + request("hidden.cn"), flags: 0x41)
        let open = dataFrame(snapIPv4 + request("open.cn"))
        let decoder = decode([beacon, null, protected, open], link: .ieee80211)
        #expect(decoder.observations.map(\.host) == ["open.cn"])
        #expect(decoder.statistics.count(of: .wirelessWithoutData) == 2)
        #expect(decoder.statistics.count(of: .encryptedWireless) == 1)
    }

    @Test func aggregateSubframesAreEachRead() {
        func subframe(_ packet: [UInt8]) -> [UInt8] {
            let body = snapIPv4 + packet
            return [UInt8](repeating: 0x0A, count: 12) + B.be16(body.count) + body
        }
        var first = subframe(request("one.cn"))
        first += [UInt8](repeating: 0, count: (4 - first.count % 4) % 4)
        let aggregate = first + subframe(request("two.cn", port: 40001))
        let frame = dataFrame(aggregate, subtype: 8, qos: [0x80, 0])
        #expect(decode([frame], link: .ieee80211).observations.map(\.host) == ["one.cn", "two.cn"])
        // A subframe longer than what is left: the whole ones are read, the rest counted.
        let cut = dataFrame(Array(aggregate.dropLast(10)), subtype: 8, qos: [0x80, 0])
        let decoder = decode([cut], link: .ieee80211)
        #expect(decoder.observations.map(\.host) == ["one.cn"])
        #expect(decoder.statistics.count(of: .truncatedLinkHeader) == 1)
    }

    /// Radiotap with a second presence bitmap and TSFT: the Flags field is found after both,
    /// and its FCS bit cuts the frame check sequence off the end.
    @Test func radiotapFlagsAfterExtendedBitmapsAndTSFT() {
        let ip = request("radio.cn")
        let frame = dataFrame(snapIPv4 + ip)
        // Presence: TSFT, Flags, Ext (bit 31); then a second word; TSFT aligned to 8 at 16.
        var header: [UInt8] = [0, 0, 0, 0] + [0x03, 0, 0, 0x80] + [0x00, 0, 0, 0] + [0, 0, 0, 0]
        header += [UInt8](repeating: 0, count: 8) + [0x10, 0, 0, 0]
        header[2] = UInt8(header.count)
        let packet = header + frame + [0xDE, 0xAD, 0xBE, 0xEF]
        packet.withUnsafeBytes { bytes in
            if case .ip(let inner) = Wireless.radiotap(bytes) {
                #expect(inner.count == ip.count)
            } else {
                Issue.record("not read")
            }
        }
        #expect(decode([packet], link: .ieee80211Radiotap).observations.map(\.host) == ["radio.cn"])
        // A header length beyond the packet.
        var long = packet
        long[2] = 0xFF
        #expect(decode([long], link: .ieee80211Radiotap).statistics.count(of: .truncatedLinkHeader) == 1)
    }

    @Test func llcOtherThanSNAPIsNotIP() {
        let spanningTree = B.ethernet([0x42, 0x42, 0x03] + [UInt8](repeating: 0, count: 35), type: 38)
        let snap = B.ethernet(snapIPv4 + request("snap.cn"), type: 8 + request("snap.cn").count)
        let decoder = decode([spanningTree, snap], link: .ethernet)
        #expect(decoder.observations.map(\.host) == ["snap.cn"])
        #expect(decoder.statistics.count(of: .unsupportedNetworkProtocol) == 1)
    }

    /// CAPWAP from an access point that keeps the frame control field in order (RFC 5415),
    /// besides the swapped form Cisco's send.
    @Test func capwapFramesInEitherByteOrder() {
        let outer: (UInt32, UInt32) = (0x0A00_0001, 0x0A00_0002)
        func capwap(_ frame: [UInt8]) -> [UInt8] {
            let header: [UInt8] = [0, 2 << 3, 0x03, 0, 0, 0, 0, 0]
            return B.ethernet(B.ipv4(outer.0, outer.1, proto: 17, B.udp(40000, 5247, header + frame)))
        }
        let frame = dataFrame(snapIPv4 + request("ordered.cn"))
        let other = dataFrame(snapIPv4 + request("swapped.cn", port: 40001))
        let swapped = [other[1], other[0]] + other.dropFirst(2)
        let decoder = decode([capwap(frame), capwap(swapped)], link: .ethernet)
        #expect(decoder.observations.map(\.host) == ["ordered.cn", "swapped.cn"])
    }

    @Test func headersThatDoNotCheckOutAreRefused() {
        // NSH of MD type 1 must be six words long.
        let nsh = B.ethernet([0x0F, 0xC2, 0x01, 0x01, 0, 0, 0x01, 0xFF] + request("nsh.cn"), type: 0x894F)
        // Cisco metadata seventeen times over: beyond the tags followed.
        var stacked: [UInt8] = []
        for _ in 0..<17 { stacked += [1, 1, 0, 1, 0, 0x10, 0x89, 0x09] }
        let metadata = B.ethernet(stacked + [1, 1, 0, 1, 0, 0x10, 0x08, 0x00] + request("deep.cn"), type: 0x8909)
        // Enhanced GRE (version 1) carrying something else than PPP.
        let gre = B.ethernet(B.ipv4(1, 2, proto: 47, [0x30, 0x01, 0x08, 0x00, 0, 0, 0, 9, 0, 0, 0, 1] + request("gre.cn")))
        let decoder = decode([nsh, metadata, gre], link: .ethernet)
        #expect(decoder.observations.isEmpty)
        #expect(decoder.statistics.count(of: .unsupportedNetworkProtocol) == 1)
        #expect(decoder.statistics.count(of: .truncatedLinkHeader) == 1)
    }

    @Test func ppiNamesTheFrameThatFollows() {
        let frame = dataFrame(snapIPv4 + request("ppi.cn"))
        let ppi: [UInt8] = [0, 0, 8, 0, 105, 0, 0, 0]
        let ethernetBehind: [UInt8] = [0, 0, 8, 0, 1, 0, 0, 0]
        let unknown: [UInt8] = [0, 0, 8, 0, 192, 0, 0, 0]
        let decoder = decode([ppi + frame, ethernetBehind + B.ethernet(request("wired.cn", port: 40001)), unknown + frame], link: .ppi)
        #expect(decoder.observations.map(\.host) == ["ppi.cn", "wired.cn"])
        #expect(decoder.statistics.count(of: .unknownLinkType) == 1)
    }
}
