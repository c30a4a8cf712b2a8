import BeianCore

/// The strings of a snapshot, back to back, each stored once.
struct StringPoolBuilder {
    private(set) var bytes: [UInt8] = []
    private var known: [String: StringRef] = [:]

    mutating func add(_ text: String) -> StringRef {
        if text.isEmpty { return .empty }
        if let ref = known[text] { return ref }
        let ref = StringRef(offset: bytes.count, length: text.utf8.count)
        bytes.append(contentsOf: text.utf8)
        known[text] = ref
        return ref
    }

    mutating func add(_ text: String?) -> StringRef {
        text.map { add($0) } ?? .empty
    }
}

/// The string pool of a loaded snapshot.
struct StringPool: @unchecked Sendable {
    // @unchecked: a view of an immutable mapping that outlives it.
    let bytes: UnsafeRawBufferPointer

    func string(_ ref: StringRef) -> String {
        guard ref.length > 0, ref.offset + ref.length <= bytes.count else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[ref.offset..<(ref.offset + ref.length)]), as: UTF8.self)
    }

    func equals(_ ref: StringRef, _ other: UnsafeRawBufferPointer) -> Bool {
        guard ref.length == other.count else { return false }
        if other.count == 0 { return true }
        guard ref.offset + ref.length <= bytes.count, let base = bytes.baseAddress, let start = other.baseAddress else { return false }
        return memcmp(base + ref.offset, start, other.count) == 0
    }
}

/// The hash of names in name tables: XXH64 with a fixed seed (tables outlive processes, so
/// Swift's per-process `Hasher` cannot be used). Never 0, which marks empty slots.
func nameHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let hash = XXHash64.hash(bytes, seed: 0x6265_6961_6E00_0001)
    return hash == 0 ? 1 : hash
}

func nameHash(_ text: String) -> UInt64 {
    var copy = text
    return copy.withUTF8 { nameHash(UnsafeRawBufferPointer($0)) }
}

/// Builds a name → postings table (open addressing, linear probing, at most half full).
struct NameTableBuilder {
    private var entries: [(name: String, postings: [UInt32], flags: UInt32)] = []
    private var positions: [String: Int] = [:]

    var count: Int { entries.count }

    /// Adds `posting` under `name` (keeping postings unique and in insertion order).
    mutating func add(_ name: String, posting: UInt32) {
        if let position = positions[name] {
            if entries[position].postings.last != posting && !entries[position].postings.contains(posting) {
                entries[position].postings.append(posting)
            }
        } else {
            positions[name] = entries.count
            entries.append((name, [posting], 0))
        }
    }

    /// Sets flag bits on `name` (a table without postings: the public suffix rules).
    mutating func flag(_ name: String, _ bits: UInt32) {
        if let position = positions[name] {
            entries[position].flags |= bits
        } else {
            positions[name] = entries.count
            entries.append((name, [], bits))
        }
    }

    func contains(_ name: String) -> Bool { positions[name] != nil }

    /// The slots and postings, with names added to `pool`.
    func build(pool: inout StringPoolBuilder) -> (slots: [NameSlot], postings: [UInt32]) {
        var capacity = 16
        while capacity < entries.count * 2 { capacity <<= 1 }
        var slots = [NameSlot](repeating: NameSlot(hash: 0, name: .empty, start: 0, count: 0), count: capacity)
        var postings: [UInt32] = []
        let mask = capacity - 1
        for entry in entries {
            let hash = nameHash(entry.name)
            var index = Int(truncatingIfNeeded: hash) & mask
            while slots[index].hash != 0 { index = (index + 1) & mask }
            let start = entry.postings.isEmpty ? entry.flags : UInt32(postings.count)
            slots[index] = NameSlot(hash: hash, name: pool.add(entry.name), start: start, count: UInt32(entry.postings.count))
            postings += entry.postings
        }
        return (slots, postings)
    }
}

/// The lookup side of a name table.
struct NameTable: @unchecked Sendable {
    // @unchecked: views of an immutable mapping that outlives the table.
    let slots: UnsafeBufferPointer<NameSlot>
    let postings: UnsafeBufferPointer<UInt32>
    let pool: StringPool

    /// The slot of `name` (its UTF-8 bytes), or nil. One hash and, almost always, one probe.
    @inline(__always)
    func slot(_ name: UnsafeRawBufferPointer) -> NameSlot? {
        guard !slots.isEmpty else { return nil }
        let hash = nameHash(name)
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot.hash == 0 { return nil }
            if slot.hash == hash && pool.equals(slot.name, name) { return slot }
            index = (index + 1) & mask
        }
    }

    func postings(of slot: NameSlot) -> UnsafeBufferPointer<UInt32> {
        let start = Int(slot.start)
        let end = start + Int(slot.count)
        guard end <= postings.count else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(rebasing: postings[start..<end])
    }

    func postings(_ name: String) -> UnsafeBufferPointer<UInt32>? {
        var copy = name
        return copy.withUTF8 { bytes in slot(UnsafeRawBufferPointer(bytes)).map { postings(of: $0) } }
    }

    var count: Int { slots.reduce(0) { $1.hash == 0 ? $0 : $0 + 1 } }
}

#if canImport(Glibc)
    import Glibc
#endif
