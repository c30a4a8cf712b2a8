/// A set of record keys, as 64-bit hashes, remembering where each was first seen.
///
/// Open addressing with linear probing over one flat buffer of 16-byte slots (hash, file and
/// line), kept at most 70 % full: about 23 bytes per key, so the keys of a national export
/// (10 million) fit in a quarter of a gigabyte and a 1 GB file's in a few tens of megabytes.
/// Two distinct keys collide with probability about n²/2⁶⁵ (10⁻⁵ for 10 million keys); a
/// collision reports a false duplicate, never hides a true one.
///
/// The buffer is managed by hand: the per-record path does no bounds or exclusivity checks.
final class DuplicateTable {
    private struct Slot {
        var hash: UInt64
        /// Occupied flag in bit 63, file index in bits 48…62, line in the low 48; 0 means empty.
        var place: UInt64
    }

    private var slots: UnsafeMutableBufferPointer<Slot>
    private var count = 0

    init(capacity: Int = 1 << 12) {
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(hash: 0, place: 0))
    }

    deinit {
        slots.deallocate()
    }

    /// Adds `key`; returns where it was first seen when it was already there.
    func insert(_ key: RecordSink.DuplicateKey, file: Int, line: Int) -> (file: Int, line: Int)? {
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let hash = UInt64(bitPattern: Int64(key.hash))
        let place = UInt64(file & 0x7FFF) << 48 | UInt64(max(line, 0) & 0xFFFF_FFFF_FFFF) | 1 << 63
        let table = slots
        let mask = table.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while table[index].place != 0 {
            if table[index].hash == hash {
                let found = table[index].place & ~(1 << 63)
                return (Int(found >> 48 & 0x7FFF), Int(found & 0xFFFF_FFFF_FFFF))
            }
            index = (index + 1) & mask
        }
        table[index] = Slot(hash: hash, place: place)
        count += 1
        return nil
    }

    private func grow() {
        let old = slots
        let table = UnsafeMutableBufferPointer<Slot>.allocate(capacity: old.count * 2)
        table.initialize(repeating: Slot(hash: 0, place: 0))
        let mask = table.count - 1
        for slot in old where slot.place != 0 {
            var index = Int(truncatingIfNeeded: slot.hash) & mask
            while table[index].place != 0 { index = (index + 1) & mask }
            table[index] = slot
        }
        old.deallocate()
        slots = table
    }
}
