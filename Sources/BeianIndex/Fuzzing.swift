/// Entry points for the fuzz targets (`Fuzz/`).
package enum SnapshotFuzzing {
    /// `bytes` with every checksum a loader checks made right again — each section's within
    /// the file, the section table's, the file size — so that damaged contents reach the
    /// tables' readers instead of being refused at the door (a snapshot crafted on purpose
    /// passes the checksums too).
    package static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var sealed = bytes
        guard sealed.count >= SnapshotFormat.headerSize else { return sealed }
        func load(_ offset: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(sealed[offset + $1]) << (8 * UInt64($1)) }
        }
        func store(_ value: UInt64, at offset: Int) {
            for byte in 0..<8 { sealed[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
        }
        let count = Int(load(24) & 0xFFFF_FFFF)
        let tableEnd = SnapshotFormat.headerSize + min(count, SnapshotFormat.maximumSections) * SnapshotFormat.sectionEntrySize
        guard count <= SnapshotFormat.maximumSections, tableEnd <= sealed.count else { return sealed }
        for entry in stride(from: SnapshotFormat.headerSize, to: tableEnd, by: SnapshotFormat.sectionEntrySize) {
            let offset = load(entry + 8)
            let length = load(entry + 16)
            guard offset <= UInt64(sealed.count), length <= UInt64(sealed.count) - offset else { continue }
            let checksum = sealed.withUnsafeBytes {
                SnapshotFormat.checksum(UnsafeRawBufferPointer(rebasing: $0[Int(offset)..<Int(offset + length)]))
            }
            store(checksum, at: entry + 24)
        }
        let table = sealed.withUnsafeBytes { XXHash64.hash(UnsafeRawBufferPointer(rebasing: $0[SnapshotFormat.headerSize..<tableEnd])) }
        store(table, at: 32)
        store(UInt64(sealed.count), at: 40)
        return sealed
    }
}
