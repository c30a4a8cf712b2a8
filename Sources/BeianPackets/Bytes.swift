/// Big-endian reads from raw bytes. Callers check bounds first (every length read from a
/// packet is compared with what is there before it is used); these do not.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func u8(_ offset: Int) -> UInt8 { self[offset] }

    @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func u32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func u128(_ offset: Int) -> UInt128 {
        UInt128(u64(offset)) << 64 | UInt128(u64(offset + 8))
    }

    @inline(__always)
    func u64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The bytes from `start` to `end` (both within bounds).
    @inline(__always)
    func slice(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[start..<end])
    }
}

extension UnsafeRawBufferPointer {
    /// Whether the bytes at `offset` are `prefix` (ASCII), within bounds.
    @inline(__always)
    func hasPrefix(_ prefix: StaticString, at offset: Int = 0) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard offset + count <= self.count else { return false }
        let start = prefix.utf8Start
        for index in 0..<count where self[offset + index] != start[index] { return false }
        return true
    }
}
