import BeianCore

/// IPv4 and IPv6 datagrams being put together from fragments (RFC 791, RFC 8200 §4.5).
/// Bounded: at most `capacity` datagrams of at most 65,535 bytes; sets idle too long or
/// pushed out by newer ones are dropped and counted.
struct FragmentTable {
    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        /// IPv4's protocol field (part of the key); 0 for IPv6.
        var proto: UInt8
    }

    enum Result {
        case waiting
        case overflow
        /// Older sets were dropped to make room (how many); this fragment is kept.
        case evicted(Int)
        /// The whole datagram, and (IPv6) the next header of the first fragment.
        case complete([UInt8], UInt8)
    }

    static let maximumDatagram = 65_535

    private struct Entry {
        var assembly = StreamAssembly(limit: FragmentTable.maximumDatagram)
        var total: Int?
        var nextHeader: UInt8 = 0
        var firstSeen: Int64
    }

    private var table: [Key: Entry] = [:]
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func add(_ key: Key, _ piece: UnsafeRawBufferPointer, offset: Int, more: Bool, now: Int64, nextHeader: UInt8?) -> Result {
        guard offset + piece.count <= Self.maximumDatagram else {
            table.removeValue(forKey: key)
            return .overflow
        }
        var evicted = 0
        if table[key] == nil && table.count >= capacity {
            // Drop the oldest half.
            let oldest = table.sorted { $0.value.firstSeen < $1.value.firstSeen }.prefix(max(1, capacity / 2))
            for (old, _) in oldest { table.removeValue(forKey: old) }
            evicted = oldest.count
        }
        var entry = table.removeValue(forKey: key) ?? Entry(firstSeen: now)
        entry.assembly.insert(piece, at: offset)
        if offset == 0, let nextHeader { entry.nextHeader = nextHeader }
        if !more { entry.total = offset + piece.count }
        if let total = entry.total, entry.assembly.contiguous >= total {
            return .complete(Array(entry.assembly.bytes[0..<total]), entry.nextHeader)
        }
        table[key] = entry
        return evicted > 0 ? .evicted(evicted) : .waiting
    }

    /// Drops sets started before `horizon`; returns how many.
    mutating func evict(idleBefore horizon: Int64) -> Int {
        let before = table.count
        table = table.filter { $0.value.firstSeen >= horizon }
        return before - table.count
    }

    mutating func removeAll() -> Int {
        defer { table.removeAll() }
        return table.count
    }
}
