import BeianCore

/// Hand-built frames for the decoder's tests (checksums are left zero: nothing checks them).
enum PacketBuilder {
    static func be16(_ value: Int) -> [UInt8] { [UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func ethernet(_ payload: [UInt8], type: Int = 0x0800, vlans: [Int] = []) -> [UInt8] {
        var frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]
        for vlan in vlans { frame += be16(0x8100) + be16(vlan) }
        return frame + be16(type) + payload
    }

    static func ipv4(_ source: UInt32, _ destination: UInt32, proto: UInt8, _ payload: [UInt8], id: Int = 1, fragment: Int = 0) -> [UInt8] {
        var header: [UInt8] = [0x45, 0] + be16(20 + payload.count) + be16(id) + be16(fragment) + [64, proto, 0, 0]
        header += be32(source) + be32(destination)
        return header + payload
    }

    static func ipv6(_ source: UInt128, _ destination: UInt128, next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [0x60, 0, 0, 0] + be16(payload.count) + [next, 64]
        for shift in stride(from: 120, through: 0, by: -8) { header.append(UInt8((source >> UInt128(shift)) & 0xFF)) }
        for shift in stride(from: 120, through: 0, by: -8) { header.append(UInt8((destination >> UInt128(shift)) & 0xFF)) }
        return header + payload
    }

    static func tcp(_ sourcePort: Int, _ destinationPort: Int, seq: UInt32, flags: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be32(seq) + be32(0) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
    }

    static func udp(_ sourcePort: Int, _ destinationPort: Int, _ payload: [UInt8]) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(8 + payload.count) + [0, 0] + payload
    }

    /// A ClientHello handshake message naming `host` (and an ECH extension when asked).
    static func clientHello(host: String?, ech: Bool = false, padding: Int = 0) -> [UInt8] {
        var extensions: [UInt8] = []
        extensions += be16(0x0A0A) + be16(0)  // GREASE first
        if let host {
            let name = Array(host.utf8)
            let entry: [UInt8] = [0] + be16(name.count) + name
            extensions += be16(0) + be16(entry.count + 2) + be16(entry.count) + entry
        }
        if ech { extensions += be16(0xFE0D) + be16(4) + [0, 0, 1, 0] }
        if padding > 0 { extensions += be16(0x0015) + be16(padding) + [UInt8](repeating: 0, count: padding) }
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0]
        body += be16(2) + [0x13, 0x01] + [1, 0]
        body += be16(extensions.count) + extensions
        return [1, UInt8(body.count >> 16), UInt8((body.count >> 8) & 0xFF), UInt8(body.count & 0xFF)] + body
    }

    /// `message` in TLS handshake records of at most `recordSize` bytes of payload.
    static func records(_ message: [UInt8], recordSize: Int = 16_384) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        while offset < message.count {
            let end = min(message.count, offset + recordSize)
            out += [0x16, 0x03, 0x01] + be16(end - offset) + message[offset..<end]
            offset = end
        }
        return out
    }

    /// A DNS name in wire form.
    static func name(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in text.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        return out + [0]
    }
}
