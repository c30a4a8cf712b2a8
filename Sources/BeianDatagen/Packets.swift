/// Packet builders of the generator: link layers, IP, TCP, UDP, GTP-U. Written for this
/// generator alone (they share nothing with beian's decoders, so that each checks the other),
/// and checked by tshark in the conformance run.
enum Wire {
    static func append16(_ bytes: inout [UInt8], _ value: Int) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    static func append24(_ bytes: inout [UInt8], _ value: Int) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        append16(&bytes, value)
    }

    static func append32(_ bytes: inout [UInt8], _ value: UInt32) {
        append16(&bytes, Int(value >> 16))
        append16(&bytes, Int(value & 0xFFFF))
    }

    static func addressBytes(_ address: RegistryWorld.Address) -> [UInt8] {
        let count = address.v6 ? 16 : 4
        return (0..<count).map { UInt8(truncatingIfNeeded: address.value >> (8 * (count - 1 - $0))) }
    }

    /// The Internet checksum (RFC 1071) of `bytes`, starting from `initial`.
    static func checksum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt16 {
        var sum = UInt64(initial)
        bytes.withUnsafeBytes { raw in
            var index = 0
            // Eight bytes at a time; the carries fold in at the end.
            while index + 8 <= raw.count {
                let word = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                sum &+= word >> 32
                sum &+= word & 0xFFFF_FFFF
                index += 8
            }
            while index + 2 <= raw.count {
                sum &+= UInt64(raw[index]) << 8 | UInt64(raw[index + 1])
                index += 2
            }
            if index < raw.count { sum &+= UInt64(raw[index]) << 8 }
        }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(truncatingIfNeeded: sum)
    }

    static func pseudoHeaderSum(_ source: RegistryWorld.Address, _ destination: RegistryWorld.Address, protocol number: UInt8, length: Int)
        -> UInt32
    {
        var sum: UInt32 = 0
        for bytes in [addressBytes(source), addressBytes(destination)] {
            var index = 0
            while index < bytes.count {
                sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
                index += 2
            }
        }
        sum &+= UInt32(number)
        sum &+= UInt32(length & 0xFFFF) + UInt32(length >> 16)
        return sum
    }

    // MARK: Transport

    struct TCPFlags: OptionSet {
        let rawValue: UInt8
        static let fin = TCPFlags(rawValue: 0x01)
        static let syn = TCPFlags(rawValue: 0x02)
        static let rst = TCPFlags(rawValue: 0x04)
        static let psh = TCPFlags(rawValue: 0x08)
        static let ack = TCPFlags(rawValue: 0x10)
    }

    static func tcp(
        from source: RegistryWorld.Address, _ sourcePort: Int, to destination: RegistryWorld.Address, _ destinationPort: Int,
        seq: UInt32, ack: UInt32, flags: TCPFlags, payload: ArraySlice<UInt8>, window: Int = 502
    ) -> [UInt8] {
        let options: [UInt8] = flags.contains(.syn) ? [0x02, 0x04, 0x05, 0xB4, 0x01, 0x03, 0x03, 0x07, 0x04, 0x02, 0x00, 0x00] : []
        var segment: [UInt8] = []
        segment.reserveCapacity(20 + options.count + payload.count)
        append16(&segment, sourcePort)
        append16(&segment, destinationPort)
        append32(&segment, seq)
        append32(&segment, flags.contains(.ack) ? ack : 0)
        segment.append(UInt8((20 + options.count) / 4) << 4)
        segment.append(flags.rawValue)
        append16(&segment, window)
        append16(&segment, 0)  // checksum
        append16(&segment, 0)  // urgent pointer
        segment += options
        segment += payload
        let sum = checksum(segment, initial: pseudoHeaderSum(source, destination, protocol: 6, length: segment.count))
        segment[16] = UInt8(sum >> 8)
        segment[17] = UInt8(sum & 0xFF)
        return ip(from: source, to: destination, protocol: 6, payload: segment)
    }

    static func udp(
        from source: RegistryWorld.Address, _ sourcePort: Int, to destination: RegistryWorld.Address, _ destinationPort: Int,
        payload: [UInt8]
    ) -> [UInt8] {
        var datagram: [UInt8] = []
        datagram.reserveCapacity(8 + payload.count)
        append16(&datagram, sourcePort)
        append16(&datagram, destinationPort)
        append16(&datagram, 8 + payload.count)
        append16(&datagram, 0)
        datagram += payload
        var sum = checksum(datagram, initial: pseudoHeaderSum(source, destination, protocol: 17, length: datagram.count))
        if sum == 0 { sum = 0xFFFF }
        datagram[6] = UInt8(sum >> 8)
        datagram[7] = UInt8(sum & 0xFF)
        return ip(from: source, to: destination, protocol: 17, payload: datagram)
    }

    // MARK: IP

    static func ip(from source: RegistryWorld.Address, to destination: RegistryWorld.Address, protocol number: UInt8, payload: [UInt8])
        -> [UInt8]
    {
        var packet: [UInt8] = []
        packet.reserveCapacity(40 + payload.count)
        if source.v6 {
            packet += [0x60, 0x00, 0x00, 0x00]
            append16(&packet, payload.count)
            packet.append(number)
            packet.append(64)
            packet += addressBytes(source)
            packet += addressBytes(destination)
        } else {
            packet += [0x45, 0x00]
            append16(&packet, 20 + payload.count)
            // Identification from the addresses and length: deterministic, varied.
            let id = Int(truncatingIfNeeded: (source.value &* 31 &+ destination.value &+ UInt128(payload.count)) & 0xFFFF)
            append16(&packet, id)
            packet += [0x40, 0x00, 0x40, number, 0x00, 0x00]  // don't fragment, TTL 64
            packet += addressBytes(source)
            packet += addressBytes(destination)
            let sum = checksum(Array(packet[0..<20]))
            packet[10] = UInt8(sum >> 8)
            packet[11] = UInt8(sum & 0xFF)
        }
        return packet + payload
    }

    // MARK: Links

    /// MAC addresses of the capture point's two sides.
    static let clientSideMAC: [UInt8] = [0x00, 0x1B, 0x21, 0x3A, 0x4C, 0x01]
    static let serverSideMAC: [UInt8] = [0x3C, 0xFD, 0xFE, 0x9E, 0x7B, 0x02]

    /// An IP packet framed for `link` (Ethernet types; GTP-U wraps it in an outer IPv4/UDP
    /// between two core-network tunnel endpoints; `raw` leaves it as is).
    static func frame(_ packet: [UInt8], link: Scenario.Link, towardsServer: Bool, tunnel: UInt32) -> [UInt8] {
        let v6 = packet.first.map { $0 >> 4 == 6 } ?? false
        let ipType = v6 ? 0x86DD : 0x0800
        var frame: [UInt8] = []
        frame.reserveCapacity(packet.count + 64)
        frame += towardsServer ? serverSideMAC : clientSideMAC
        frame += towardsServer ? clientSideMAC : serverSideMAC
        switch link {
        case .raw:
            return packet
        case .ethernet:
            append16(&frame, ipType)
        case .vlan:
            append16(&frame, 0x8100)
            append16(&frame, 100 + Int(tunnel % 50))
            append16(&frame, ipType)
        case .qinq:
            append16(&frame, 0x88A8)
            append16(&frame, 2000 + Int(tunnel % 10))
            append16(&frame, 0x8100)
            append16(&frame, 300 + Int(tunnel % 200))
            append16(&frame, ipType)
        case .mpls:
            append16(&frame, 0x8847)
            // Two labels: transport, then service (bottom of stack), TTL 64.
            append32(&frame, UInt32(16_000 + tunnel % 1000) << 12 | 0x040)
            append32(&frame, UInt32(24_000 + tunnel % 500) << 12 | 0x140)
        case .gtp:
            append16(&frame, 0x0800)
            var gtp: [UInt8] = [0x30, 0xFF]
            append16(&gtp, packet.count)
            append32(&gtp, 0x1000_0000 | tunnel)
            let enodeB = RegistryWorld.Address(value: 0x0AC8_0000 + UInt128(tunnel % 200), v6: false)  // 10.200.0.x
            let gateway = RegistryWorld.Address(value: 0x0AC9_0001, v6: false)  // 10.201.0.1
            let outer = udp(from: towardsServer ? enodeB : gateway, 2152, to: towardsServer ? gateway : enodeB, 2152, payload: gtp + packet)
            return frame + outer
        }
        return frame + packet
    }
}
