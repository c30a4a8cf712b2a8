import Crypto
import CryptoExtras
import Foundation

/// Client Initial packets of QUIC v1 (RFC 9000/9001) and v2 (RFC 9369): header protection
/// removed and the payload decrypted with the Initial keys derived from the Destination
/// Connection ID, then the CRYPTO frames gathered (out of order, across packets) into the
/// ClientHello.
enum QUICInitial {
    static let version1: UInt32 = 0x0000_0001
    static let version2: UInt32 = 0x6B33_43CF
    /// Connection IDs are at most 20 bytes (RFC 9000 §17.2).
    static let maximumConnectionIDLength = 20
    /// A client's first datagram is at least 1,200 bytes; smaller ones are still tried.
    static let minimumPacketLength = 20 + 16

    struct Keys {
        var key: SymmetricKey
        var iv: [UInt8]
        var headerProtection: SymmetricKey
    }

    private static let salt1: [UInt8] = [
        0x38, 0x76, 0x2C, 0xF7, 0xF5, 0x59, 0x34, 0xB3, 0x4D, 0x17, 0x9A, 0xE6, 0xA4, 0xC8, 0x0C, 0xAD, 0xCC, 0xBB, 0x7F, 0x0A,
    ]
    private static let salt2: [UInt8] = [
        0x0D, 0xED, 0xE3, 0xDE, 0xF7, 0x00, 0xA6, 0xDB, 0x81, 0x93, 0x81, 0xBE, 0x6E, 0x26, 0x9D, 0xCB, 0xF9, 0xBD, 0x2E, 0xD9,
    ]

    private static let saltDraft29: [UInt8] = [
        0xAF, 0xBF, 0xEC, 0x28, 0x99, 0x93, 0xD2, 0x4C, 0x9E, 0x97, 0x86, 0xF1, 0x9C, 0x61, 0x11, 0xE0, 0x43, 0x90, 0xA8, 0x99,
    ]
    private static let saltDraft23: [UInt8] = [
        0xC3, 0xEE, 0xF7, 0x12, 0xC7, 0x2E, 0xBB, 0x5A, 0x11, 0xA7, 0xD2, 0x43, 0x2B, 0xB4, 0x63, 0x65, 0xBE, 0xF9, 0xF5, 0x02,
    ]
    private static let saltDraft22: [UInt8] = [
        0x7F, 0xBC, 0xDB, 0x0E, 0x7C, 0x66, 0xBB, 0xE9, 0x19, 0x3A, 0x96, 0xCD, 0x21, 0x51, 0x9E, 0xBD, 0x7A, 0x02, 0x64, 0x4A,
    ]
    /// Google's QUIC with TLS (T051).
    private static let saltT051: [UInt8] = [
        0x7A, 0x4E, 0xDE, 0xF4, 0xE7, 0xCC, 0xEE, 0x5F, 0xA4, 0x50, 0x6C, 0x19, 0x12, 0x4F, 0xC8, 0xCC, 0xDA, 0x6E, 0x03, 0x3D,
    ]

    /// The Initial salts to try for a version: v1 and v2, the IETF drafts 22–34 still seen
    /// in captures, Facebook's mvfst drafts, Google's T051, and the reserved versions clients
    /// send to force version negotiation (RFC 9000 §15.1: protected with the salt of the
    /// version the client would otherwise use, draft-29 or v1). Nil for versions whose
    /// Initials are not read.
    static func salts(for version: UInt32) -> [[UInt8]]? {
        switch version {
        case version1: [salt1]
        case version2: [salt2]
        case 0xFF00_001D...0xFF00_0022: [saltDraft29]
        case 0xFF00_0017...0xFF00_001C, 0xFACE_B002, 0xFACE_B00E: [saltDraft23]
        case 0xFF00_0016, 0xFACE_B001: [saltDraft22]
        case 0x5430_3531: [saltT051]
        default: version & 0x0F0F_0F0F == 0x0A0A_0A0A ? [saltDraft29, salt1] : nil
        }
    }

    /// Whether the long-header type bits of `first` say Initial in `version` (v2 renumbered them).
    @inline(__always)
    static func isInitial(_ first: UInt8, version: UInt32) -> Bool {
        (first >> 4) & 0x03 == (version == version2 ? 1 : 0)
    }

    /// Whether a UDP payload starts with a long-header Initial of a version read here.
    @inline(__always)
    static func looksLikeInitial(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 7 + minimumPacketLength, bytes[0] & 0xC0 == 0xC0 else { return false }
        let version = bytes.u32(1)
        return salts(for: version) != nil && isInitial(bytes[0], version: version)
    }

    /// The client's Initial keys for each salt the version may use.
    static func keys(destinationID: UnsafeRawBufferPointer, version: UInt32) -> [Keys] {
        (salts(for: version) ?? [salt1]).map { keys(destinationID: destinationID, salt: $0, v2: version == version2) }
    }

    private static func keys(destinationID: UnsafeRawBufferPointer, salt: [UInt8], v2: Bool) -> Keys {
        // HKDF-Extract is HMAC(salt, input keying material) (RFC 5869 §2.2).
        let initial = HMACKey(salt).code(destinationID)
        let client = HMACKey(expandLabel(HMACKey(initial), "client in", 32))
        let iv = expandLabel(client, v2 ? "quicv2 iv" : "quic iv", 12)
        return Keys(
            key: SymmetricKey(data: expandLabel(client, v2 ? "quicv2 key" : "quic key", 16)), iv: iv,
            headerProtection: SymmetricKey(data: expandLabel(client, v2 ? "quicv2 hp" : "quic hp", 16)))
    }

    /// HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context. Every output here
    /// is at most one SHA-256 block, so HKDF-Expand is a single HMAC of `info || 0x01`
    /// (RFC 5869 §2.3).
    private static func expandLabel(_ secret: HMACKey, _ label: StaticString, _ length: Int) -> [UInt8] {
        var info: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // at most 3 + 6 + 10 + 2 bytes
        let count = 3 + 6 + label.utf8CodeUnitCount + 2
        return withUnsafeMutableBytes(of: &info) { buffer in
            buffer[0] = UInt8(length >> 8)
            buffer[1] = UInt8(length & 0xFF)
            buffer[2] = UInt8(6 + label.utf8CodeUnitCount)
            for (index, byte) in [0x74, 0x6C, 0x73, 0x31, 0x33, 0x20].enumerated() { buffer[3 + index] = UInt8(byte) }  // "tls13 "
            for index in 0..<label.utf8CodeUnitCount { buffer[9 + index] = label.utf8Start[index] }
            buffer[count - 2] = 0
            buffer[count - 1] = 1
            return Array(secret.code(UnsafeRawBufferPointer(rebasing: buffer[0..<count])).prefix(length))
        }
    }

    /// HMAC-SHA256 (RFC 2104) with its key's inner and outer pads hashed once: each code then
    /// costs two SHA-256 blocks over short messages. The key derivation above runs once per
    /// QUIC connection, and the generic `HMAC` of swift-crypto cost three times as much here.
    struct HMACKey {
        private var inner = SHA256()
        private var outer = SHA256()

        /// A key of at most one SHA-256 block (64 bytes): salts and secrets here are 20–32.
        init(_ key: [UInt8]) {
            var innerPad = [UInt8](repeating: 0x36, count: 64)
            var outerPad = [UInt8](repeating: 0x5C, count: 64)
            for (index, byte) in key.prefix(64).enumerated() {
                innerPad[index] ^= byte
                outerPad[index] ^= byte
            }
            innerPad.withUnsafeBytes { inner.update(bufferPointer: $0) }
            outerPad.withUnsafeBytes { outer.update(bufferPointer: $0) }
        }

        func code(_ message: UnsafeRawBufferPointer) -> [UInt8] {
            var inner = self.inner
            inner.update(bufferPointer: message)
            var outer = self.outer
            inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
            return outer.finalize().withUnsafeBytes { Array($0) }
        }
    }

    /// A long-header packet's fields, before decryption.
    struct PacketLayout {
        var start: Int
        var version: UInt32
        var initial: Bool
        var destinationID: Range<Int>
        var numberOffset: Int
        /// End of the packet (its Length field counts from the packet number).
        var end: Int
    }

    /// The long-header packets coalesced in a datagram (RFC 9000 §12.2); stops at the first
    /// short-header or malformed one.
    static func packets(in datagram: UnsafeRawBufferPointer) -> [PacketLayout] {
        var layouts: [PacketLayout] = []
        var offset = 0
        while offset + 7 <= datagram.count, datagram[offset] & 0xC0 == 0xC0 {
            let version = datagram.u32(offset + 1)
            guard salts(for: version) != nil else { break }
            let type = (datagram[offset] >> 4) & 0x03
            let initial = isInitial(datagram[offset], version: version)
            let retry = version == version2 ? type == 0 : type == 3
            if retry { break }
            var position = offset + 5
            let destinationLength = Int(datagram[position])
            guard destinationLength <= maximumConnectionIDLength, position + 1 + destinationLength < datagram.count else { break }
            let destination = position + 1..<position + 1 + destinationLength
            position = destination.upperBound
            let sourceLength = Int(datagram[position])
            guard sourceLength <= maximumConnectionIDLength else { break }
            position += 1 + sourceLength
            if initial {
                guard let (tokenLength, next) = varint(datagram, position), tokenLength <= datagram.count else { break }
                position = next + Int(tokenLength)
            }
            guard let (length, next) = varint(datagram, position), next + Int(length) <= datagram.count, length >= 20 else { break }
            layouts.append(
                PacketLayout(
                    start: offset, version: version, initial: initial, destinationID: destination, numberOffset: next,
                    end: next + Int(length)))
            offset = next + Int(length)
        }
        return layouts
    }

    /// The plaintext frames of an Initial, or nil when it does not decrypt with `keys`.
    static func decrypt(_ datagram: UnsafeRawBufferPointer, _ layout: PacketLayout, keys: Keys) -> [UInt8]? {
        let sampleStart = layout.numberOffset + 4
        guard sampleStart + 16 <= layout.end else { return nil }
        var mask = Array(datagram.slice(sampleStart, sampleStart + 16))
        guard (try? AES.permute(&mask, key: keys.headerProtection)) != nil else { return nil }
        let first = datagram[layout.start] ^ (mask[0] & 0x0F)
        let numberLength = Int(first & 0x03) + 1
        guard layout.numberOffset + numberLength + 16 <= layout.end else { return nil }
        var header = Array(datagram.slice(layout.start, layout.numberOffset + numberLength))
        header[0] = first
        var number: UInt64 = 0
        for index in 0..<numberLength {
            let byte = datagram[layout.numberOffset + index] ^ mask[1 + index]
            header[layout.numberOffset - layout.start + index] = byte
            number = number << 8 | UInt64(byte)
        }
        var nonce = keys.iv
        for index in 0..<8 { nonce[11 - index] ^= UInt8(truncatingIfNeeded: number >> (8 * UInt64(index))) }
        let ciphertextStart = layout.numberOffset + numberLength
        guard let gcmNonce = try? AES.GCM.Nonce(data: nonce),
            let box = try? AES.GCM.SealedBox(
                nonce: gcmNonce, ciphertext: datagram.slice(ciphertextStart, layout.end - 16),
                tag: datagram.slice(layout.end - 16, layout.end)),
            let plain = try? AES.GCM.open(box, using: keys.key, authenticating: header)
        else { return nil }
        return Array(plain)
    }

    /// A CRYPTO frame's data and where it goes in the stream.
    struct CryptoData {
        var offset: Int
        var bytes: ArraySlice<UInt8>
    }

    /// The CRYPTO frames of an Initial's plaintext; nil when a frame is malformed or not one
    /// an Initial may carry.
    static func cryptoFrames(_ plaintext: [UInt8], version: UInt32) -> [CryptoData]? {
        // Google's T05x numbers the CRYPTO frame 0x08.
        let cryptoType: UInt8 = version & 0xFFFF_FF00 == 0x5430_3500 ? 0x08 : 0x06
        return plaintext.withUnsafeBytes { bytes -> [CryptoData]? in
            var frames: [CryptoData] = []
            var offset = 0
            while offset < bytes.count {
                let type = bytes[offset]
                offset += 1
                switch type {
                case 0x00, 0x01: continue  // PADDING, PING
                case 0x02, 0x03:  // ACK
                    var fields = 4
                    var index = 0
                    while index < fields {
                        guard let (value, next) = varint(bytes, offset) else { return nil }
                        if index == 2 {
                            guard value <= 256 else { return nil }
                            fields += 2 * Int(value)
                        }
                        offset = next
                        index += 1
                    }
                    if type == 0x03 {
                        for _ in 0..<3 {
                            guard let (_, next) = varint(bytes, offset) else { return nil }
                            offset = next
                        }
                    }
                case cryptoType:
                    guard let (start, afterOffset) = varint(bytes, offset), let (length, afterLength) = varint(bytes, afterOffset),
                        afterLength + Int(length) <= bytes.count, start < 1 << 20
                    else { return nil }
                    frames.append(CryptoData(offset: Int(start), bytes: plaintext[afterLength..<afterLength + Int(length)]))
                    offset = afterLength + Int(length)
                case 0x1C:  // CONNECTION_CLOSE
                    guard let (_, a) = varint(bytes, offset), let (_, b) = varint(bytes, a), let (length, c) = varint(bytes, b),
                        c + Int(length) <= bytes.count
                    else { return nil }
                    offset = c + Int(length)
                default: return nil
                }
            }
            return frames
        }
    }

    /// A variable-length integer (RFC 9000 §16) and the offset after it.
    @inline(__always)
    static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> (UInt64, Int)? {
        guard offset < bytes.count else { return nil }
        let length = 1 << Int(bytes[offset] >> 6)
        guard offset + length <= bytes.count else { return nil }
        var value = UInt64(bytes[offset] & 0x3F)
        for index in 1..<length { value = value << 8 | UInt64(bytes[offset + index]) }
        return (value, offset + length)
    }
}
