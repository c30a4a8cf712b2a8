import BeianCapture
import BeianCore
import BeianPackets
import BeianTestSupport
import Foundation
import Testing

@Suite struct CaptureFileTests {
    func u16(_ v: Int, _ little: Bool) -> [UInt8] {
        little ? [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] : [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    func u32(_ v: UInt32, _ little: Bool) -> [UInt8] {
        let bytes = [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        return little ? bytes.reversed() : bytes
    }

    /// A classic pcap with `count` packets of `size` bytes, one second apart.
    func pcap(little: Bool, nano: Bool, link: UInt32, count: Int, size: Int) -> [UInt8] {
        var out = u32(nano ? 0xA1B2_3C4D : 0xA1B2_C3D4, little) + u16(2, little) + u16(4, little) + u32(0, little) + u32(0, little)
        out += u32(65535, little) + u32(link, little)
        for index in 0..<count {
            out += u32(UInt32(1_700_000_000 + index), little) + u32(nano ? 123_456_789 : 123_456, little)
            out += u32(UInt32(size), little) + u32(UInt32(size), little) + [UInt8](repeating: UInt8(index & 0xFF), count: size)
        }
        return out
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = try Fixtures.temporaryDirectory().appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func packets(_ path: String) throws -> (packets: [(LinkType, Int64, UInt64, Int)], file: CaptureFile) {
        let file = try CaptureFile(path: path)
        var seen: [(LinkType, Int64, UInt64, Int)] = []
        while let chunk = try file.nextChunk() {
            chunk.forEachPacket { seen.append(($0.link, $0.nanoseconds, $0.number, $0.bytes.count)) }
        }
        return (seen, file)
    }

    @Test(arguments: [(true, false), (false, false), (true, true), (false, true)])
    func classicPcapInEveryByteOrderAndPrecision(little: Bool, nano: Bool) throws {
        // 3,000 packets of 1,500 bytes: more than one chunk.
        let path = try write(pcap(little: little, nano: nano, link: 1, count: 3000, size: 1500), "a.pcap")
        let (seen, file) = try packets(path)
        #expect(seen.count == 3000)
        #expect(seen.first?.0 == .ethernet)
        let expected: Int64 = 1_700_000_000 * 1_000_000_000 + (nano ? 123_456_789 : 123_456_000)
        #expect(seen.first?.1 == expected)
        #expect(seen.map(\.2) == Array(1...3000))
        #expect(file.issues.isEmpty)
    }

    @Test func gzipCompressedAndTruncated() throws {
        var bytes = pcap(little: true, nano: false, link: 101, count: 10, size: 100)
        bytes.removeLast(30)
        let compressed = try #require(Compression.compress(bytes))
        let (seen, file) = try packets(try write(compressed, "b.pcap.gz"))
        #expect(seen.count == 9)
        #expect(seen.first?.0 == .raw)
        #expect(file.issues.count == 1)
        #expect(file.issues.first?.code == .truncated)
        #expect(file.issues.first?.description.contains("packet 10") == true)
    }

    @Test func oversizedRecordStopsWithAnError() throws {
        var bytes = pcap(little: true, nano: false, link: 1, count: 3, size: 60)
        // The second record claims 10 MB.
        let second = 24 + 16 + 60 + 8
        bytes.replaceSubrange(second..<second + 4, with: u32(10_000_000, true))
        let (seen, file) = try packets(try write(bytes, "c.pcap"))
        #expect(seen.count == 1)
        #expect(file.issues.first?.code == .tooLarge)
    }

    @Test func notACapture() throws {
        let path = try write(Array("hello, world\n".utf8), "d.pcap")
        #expect(throws: InputError.self) { try CaptureFile(path: path) }
    }

    /// pcapng: two sections (the second big-endian), interfaces of different link types and
    /// timestamp resolutions, enhanced, simple and obsolete packet blocks.
    @Test func pcapngWithSeveralInterfacesAndSections() throws {
        func block(_ type: UInt32, _ body: [UInt8], _ little: Bool) -> [UInt8] {
            let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
            let length = UInt32(12 + padded.count)
            return u32(type, little) + u32(length, little) + padded + u32(length, little)
        }
        func section(_ little: Bool) -> [UInt8] {
            block(0x0A0D_0D0A, u32(0x1A2B_3C4D, little) + u16(1, little) + u16(0, little) + [UInt8](repeating: 0xFF, count: 8), little)
        }
        func interface(_ link: Int, resolution: UInt8?, _ little: Bool) -> [UInt8] {
            var body = u16(link, little) + u16(0, little) + u32(0, little)
            if let resolution { body += u16(9, little) + u16(1, little) + [resolution, 0, 0, 0] + u16(0, little) + u16(0, little) }
            return block(1, body, little)
        }
        func enhanced(_ interface: UInt32, _ stamp: UInt64, _ data: [UInt8], _ little: Bool) -> [UInt8] {
            block(
                6,
                u32(interface, little) + u32(UInt32(stamp >> 32), little) + u32(UInt32(stamp & 0xFFFF_FFFF), little)
                    + u32(UInt32(data.count), little) + u32(UInt32(data.count), little) + data, little)
        }
        var bytes = section(true) + interface(1, resolution: nil, true) + interface(101, resolution: 9, true)
        bytes += enhanced(0, 1_700_000_000_000_000, [1, 2, 3], true)  // microseconds
        bytes += enhanced(1, 1_700_000_000_000_000_001, [4, 5], true)  // nanoseconds
        bytes += block(3, u32(7, true) + [9, 9, 9, 9, 9, 9, 9], true)  // simple: interface 0
        bytes += section(false) + interface(113, resolution: 0x80 | 10, false)  // 2^-10 s
        bytes += enhanced(0, 1024 * 5, [7], false)
        bytes += enhanced(3, 0, [8], false)  // no such interface
        let (seen, file) = try packets(try write(bytes, "e.pcapng"))
        #expect(seen.map(\.0) == [.ethernet, .raw, .ethernet, .linuxSLL, LinkType(rawValue: 0xFFFF_FFFF)])
        #expect(seen.map(\.1) == [1_700_000_000_000_000_000, 1_700_000_000_000_000_001, 0, 5_000_000_000, 0])
        #expect(seen.map(\.2) == [1, 2, 3, 4, 5])
        #expect(seen.map(\.3) == [3, 2, 7, 1, 1])
        #expect(file.issues.isEmpty)
    }
}
