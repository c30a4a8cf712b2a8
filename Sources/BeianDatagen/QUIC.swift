import Crypto
import CryptoExtras
import Foundation

/// QUIC version 1 client Initial packets, protected as RFC 9001 §5 says: keys from the
/// Destination Connection ID (HKDF with the version's salt), AES-128-GCM payload protection,
/// AES header protection. Checked by tshark, which decrypts Initials on its own.
enum QUICInitial {
    static let version1: UInt32 = 1
    static let salt1: [UInt8] = [
        0x38, 0x76, 0x2C, 0xF7, 0xF5, 0x59, 0x34, 0xB3, 0x4D, 0x17, 0x9A, 0xE6, 0xA4, 0xC8, 0x0C, 0xAD, 0xCC, 0xBB, 0x7F, 0x0A,
    ]

    struct Keys {
        var key: SymmetricKey
        var iv: [UInt8]
        var headerProtection: SymmetricKey
    }

    /// HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context.
    static func expandLabel(_ secret: SymmetricKey, _ label: String, _ length: Int) -> SymmetricKey {
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xFF)]
        let full = Array(("tls13 " + label).utf8)
        info.append(UInt8(full.count))
        info += full
        info.append(0)
        return HKDF<SHA256>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
    }

    static func clientKeys(destinationID: [UInt8]) -> Keys {
        let initial = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: destinationID), salt: salt1)
        let client = expandLabel(SymmetricKey(data: Data(initial)), "client in", 32)
        let iv = expandLabel(client, "quic iv", 12).withUnsafeBytes { Array($0) }
        return Keys(key: expandLabel(client, "quic key", 16), iv: iv, headerProtection: expandLabel(client, "quic hp", 16))
    }

    static func varint(_ value: Int) -> [UInt8] {
        switch value {
        case ..<64: return [UInt8(value)]
        case ..<16_384: return [UInt8(0x40 | value >> 8), UInt8(value & 0xFF)]
        default: return [UInt8(0x80 | (value >> 24) & 0x3F), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
    }

    /// The client's Initial datagrams carrying the ClientHello `hello` in `parts` CRYPTO frames
    /// (one per packet, packet numbers from 0), each datagram padded to 1,200 bytes.
    static func clientDatagrams(hello: [UInt8], destinationID: [UInt8], sourceID: [UInt8], parts: Int) throws -> [[UInt8]] {
        let keys = clientKeys(destinationID: destinationID)
        let count = max(1, parts)
        let pieceSize = (hello.count + count - 1) / count
        var datagrams: [[UInt8]] = []
        var offset = 0
        var packetNumber: UInt32 = 0
        while offset < hello.count {
            let piece = Array(hello[offset..<min(hello.count, offset + pieceSize)])
            var frames: [UInt8] = [0x06]
            frames += varint(offset)
            frames += varint(piece.count)
            frames += piece
            // Frames larger than one datagram go on in the next packet.
            let room = 1_200 - 1 - 4 - 1 - destinationID.count - 1 - sourceID.count - 1 - 2 - 2 - 16
            if frames.count > room {
                let fit = room - 1 - varint(offset).count - varint(room).count
                frames = [0x06] + varint(offset) + varint(fit) + Array(hello[offset..<(offset + fit)])
                offset += fit
            } else {
                offset += piece.count
            }
            datagrams.append(
                try packet(frames: frames, packetNumber: packetNumber, destinationID: destinationID, sourceID: sourceID, keys: keys))
            packetNumber += 1
        }
        return datagrams
    }

    static func packet(frames: [UInt8], packetNumber: UInt32, destinationID: [UInt8], sourceID: [UInt8], keys: Keys) throws -> [UInt8] {
        let numberLength = 2
        var header: [UInt8] = [0xC0 | UInt8(numberLength - 1)]
        Wire.append32(&header, version1)
        header.append(UInt8(destinationID.count))
        header += destinationID
        header.append(UInt8(sourceID.count))
        header += sourceID
        header.append(0)  // no token
        // Padding frames fill the datagram to 1,200 bytes.
        let fixed = header.count + 2 + numberLength + 16
        var plaintext = frames
        if fixed + plaintext.count < 1_200 { plaintext += [UInt8](repeating: 0, count: 1_200 - fixed - plaintext.count) }
        let length = numberLength + plaintext.count + 16
        header += [UInt8(0x40 | length >> 8), UInt8(length & 0xFF)]
        let numberOffset = header.count
        header += [UInt8(packetNumber >> 8 & 0xFF), UInt8(packetNumber & 0xFF)]
        var nonce = keys.iv
        for k in 0..<4 { nonce[11 - k] ^= UInt8(truncatingIfNeeded: packetNumber >> (8 * UInt32(k))) }
        let sealed = try AES.GCM.seal(plaintext, using: keys.key, nonce: AES.GCM.Nonce(data: nonce), authenticating: header)
        var datagram = header + Array(sealed.ciphertext) + Array(sealed.tag)
        // Header protection: a mask from the ciphertext sample 4 bytes after the packet number.
        var sample = Array(datagram[(numberOffset + 4)..<(numberOffset + 20)])
        try AES.permute(&sample, key: keys.headerProtection)
        datagram[0] ^= sample[0] & 0x0F
        for k in 0..<numberLength { datagram[numberOffset + k] ^= sample[1 + k] }
        return datagram
    }
}
