import BeianCore
internal import CBeianKernels

#if canImport(Glibc)
    import Glibc
#endif

/// The strings of a snapshot, back to back. Strings that repeat (unit names, licences, user
/// names) are stored once through `add`; strings known to be unique (domain names, filing
/// numbers) are appended with `addUnique`, which keeps no table of them.
struct StringPoolBuilder {
    private(set) var bytes: [UInt8] = []
    private var known: [String: StringRef] = [:]

    mutating func add(_ text: String) -> StringRef {
        if text.isEmpty { return .empty }
        if let ref = known[text] { return ref }
        let ref = addUnique(text)
        known[text] = ref
        return ref
    }

    mutating func add(_ text: String?) -> StringRef {
        text.map { add($0) } ?? .empty
    }

    mutating func addUnique(_ text: String) -> StringRef {
        if text.isEmpty { return .empty }
        let ref = StringRef(offset: bytes.count, length: text.utf8.count)
        bytes.append(contentsOf: text.utf8)
        return ref
    }

    mutating func addUnique(_ text: String?) -> StringRef {
        text.map { addUnique($0) } ?? .empty
    }

    /// Appends bytes as they are (another pool's: its references move by this pool's size).
    mutating func appendBytes(_ other: [UInt8]) {
        bytes += other
    }

    /// The text of `ref`.
    func string(_ ref: StringRef) -> String {
        withBytes(ref) { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes of `ref`.
    func withBytes<R>(_ ref: StringRef, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.withUnsafeBytes { all in body(UnsafeRawBufferPointer(rebasing: all[ref.offset..<(ref.offset + ref.length)])) }
    }
}

/// The string pool of a loaded snapshot.
struct StringPool: @unchecked Sendable {
    // @unchecked: a view of an immutable mapping that outlives it.
    let bytes: UnsafeRawBufferPointer

    /// The UTF-8 of `ref` inside the mapping (empty when it is out of bounds).
    func utf8(_ ref: StringRef) -> UnsafeRawBufferPointer {
        guard ref.length > 0, ref.offset + ref.length <= bytes.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes[ref.offset..<(ref.offset + ref.length)])
    }

    func string(_ ref: StringRef) -> String {
        guard ref.length > 0, ref.offset + ref.length <= bytes.count else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[ref.offset..<(ref.offset + ref.length)]), as: UTF8.self)
    }
}

/// The hash of names in name tables: XXH64 with a fixed seed (tables outlive processes, so
/// Swift's per-process `Hasher` cannot be used).
@inline(__always)
func nameHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    XXHash64.hash(bytes, seed: 0x6265_6961_6E00_0001)
}

/// The slot tag of a hash: its high half, never 0 (which marks empty slots).
@inline(__always)
func nameTag(_ hash: UInt64) -> UInt32 {
    UInt32(truncatingIfNeeded: hash >> 32) | 1
}

/// The home slot of a hash in a table of `capacity` slots.
@inline(__always)
func nameHome(_ hash: UInt64, capacity: Int) -> Int {
    Int(truncatingIfNeeded: (UInt64(UInt32(truncatingIfNeeded: hash)) &* UInt64(capacity)) >> 32)
}

/// A name table ready to be written: its slots (`NameSlotLayout`), postings and long names.
struct BuiltNameTable {
    var slots: [UInt8] = []
    var postings: [UInt32] = []
    var longNames: [UInt8] = []
    /// Distinct names, and how many carry each flag bit.
    var count = 0
    var flagCounts = [Int](repeating: 0, count: 8)
}

/// Builds a name → postings table (or name → flag bits) without a dictionary: names are
/// appended to one byte buffer, then sorted by hash and grouped.
///
/// A name may be added many times. Its postings are those of the additions of the highest
/// `rank`, unique, in the order they were added; its flags are the union of all additions'.
struct NameTableBuilder {
    private struct Item {
        var key: UInt64
        var offset: Int
        var posting: UInt32
        var sequence: UInt32
        var length: UInt16
        var flags: UInt8
        var rank: UInt8
    }

    private var names: [UInt8] = []
    private var items: [Item] = []
    /// Names refused for their length.
    private(set) var refused = 0

    /// Makes room for `count` more names of `bytes` bytes in all.
    mutating func reserve(_ count: Int, bytes: Int) {
        items.reserveCapacity(items.count + count)
        names.reserveCapacity(names.count + bytes)
    }

    var isEmpty: Bool { items.isEmpty }

    /// Adds `posting` under `name`.
    mutating func add(_ name: String, posting: UInt32, flags: UInt8 = 0, rank: UInt8 = 0) {
        var copy = name
        copy.withUTF8 { append(UnsafeRawBufferPointer($0), posting: posting, flags: flags, rank: rank) }
    }

    /// Adds `posting` under the name of UTF-8 `bytes`.
    mutating func add(bytes: UnsafeRawBufferPointer, posting: UInt32, flags: UInt8 = 0, rank: UInt8 = 0) {
        append(bytes, posting: posting, flags: flags, rank: rank)
    }

    /// Marks `name` with flag bits, without postings (tables of flags: suffix rules, lists).
    mutating func flag(_ name: String, _ bits: UInt8) {
        add(name, posting: noValue, flags: bits)
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer, posting: UInt32, flags: UInt8, rank: UInt8) {
        guard !bytes.isEmpty, bytes.count <= NameSlotLayout.maximumNameLength else {
            refused += 1
            return
        }
        let hash = nameHash(bytes)
        // Sorted by home slot (the low half of the hash), so that slots fill in order.
        let key = hash << 32 | hash >> 32
        items.append(
            Item(
                key: key, offset: names.count, posting: posting, sequence: UInt32(truncatingIfNeeded: items.count),
                length: UInt16(bytes.count), flags: flags, rank: rank))
        names.append(contentsOf: bytes)
    }

    /// The table: slots for a load of at most two thirds.
    mutating func build() -> BuiltNameTable {
        items.sort { $0.key != $1.key ? $0.key < $1.key : $0.sequence < $1.sequence }
        var built = BuiltNameTable()
        // Distinct names are runs of items; two different names with one 64-bit hash share a
        // run, which is ordered by name (then input order) to split it.
        var distinct = 0
        var index = 0
        while index < items.count {
            var end = index + 1
            while end < items.count && items[end].key == items[index].key { end += 1 }
            if end - index > 1 && !(index + 1..<end).allSatisfy({ same(items[$0], items[index]) }) {
                let names = self.names
                items[index..<end].sort { a, b in
                    let left = names[a.offset..<(a.offset + Int(a.length))]
                    let right = names[b.offset..<(b.offset + Int(b.length))]
                    return left.elementsEqual(right) ? a.sequence < b.sequence : left.lexicographicallyPrecedes(right)
                }
            }
            for start in index..<end where start == index || !same(items[start], items[start - 1]) { distinct += 1 }
            index = end
        }
        /// The next distinct name's items from `start`.
        func group(from start: Int) -> Range<Int> {
            var end = start + 1
            while end < items.count && items[end].key == items[start].key && same(items[end], items[start]) { end += 1 }
            return start..<end
        }
        let capacity = distinct == 0 ? 0 : max(4, distinct + distinct / 2 + 1)
        built.count = distinct
        built.slots = [UInt8](repeating: 0, count: capacity * NameSlotLayout.size)
        built.slots.withUnsafeMutableBytes { slots in
            var next = 0
            while next < items.count {
                let members = group(from: next)
                next = members.upperBound
                let hash = items[members.lowerBound].key >> 32 | items[members.lowerBound].key << 32
                let maximumRank = members.map { items[$0].rank }.max() ?? 0
                var flags: UInt8 = 0
                var postings: [UInt32] = []
                var bits: UInt32 = 0
                for member in members {
                    let item = items[member]
                    flags |= item.flags
                    guard item.rank == maximumRank, item.posting != noValue else { continue }
                    if postings.last != item.posting && (postings.count > 16 ? true : !postings.contains(item.posting)) {
                        postings.append(item.posting)
                    }
                }
                if postings.count > 16 {
                    var seen = Set<UInt32>()
                    postings = postings.filter { seen.insert($0).inserted }
                }
                postings = Array(postings.prefix(NameSlotLayout.maximumPostings))
                for bit in 0..<8 where flags & (1 << bit) != 0 { built.flagCounts[bit] += 1 }
                let value: UInt32
                switch postings.count {
                case 0:
                    bits = UInt32(flags)
                    value = bits
                case 1: value = postings[0]
                default:
                    value = UInt32(built.postings.count)
                    built.postings += postings
                }
                var slot = nameHome(hash, capacity: capacity)
                while slots.load(fromByteOffset: slot * NameSlotLayout.size, as: UInt32.self) != 0 {
                    slot = slot + 1 == capacity ? 0 : slot + 1
                }
                let base = slot * NameSlotLayout.size
                let first = items[members[members.startIndex]]
                slots.storeBytes(of: nameTag(hash).littleEndian, toByteOffset: base, as: UInt32.self)
                slots.storeBytes(of: value.littleEndian, toByteOffset: base + 4, as: UInt32.self)
                slots.storeBytes(of: (UInt32(postings.count) | UInt32(flags) << 24).littleEndian, toByteOffset: base + 8, as: UInt32.self)
                slots.storeBytes(of: first.length.littleEndian, toByteOffset: base + 12, as: UInt16.self)
                let length = Int(first.length)
                if length <= NameSlotLayout.inlineCapacity {
                    for k in 0..<length { slots[base + NameSlotLayout.nameOffset + k] = names[first.offset + k] }
                } else {
                    let offset = UInt32(clamping: built.longNames.count)
                    slots.storeBytes(of: offset.littleEndian, toByteOffset: base + 16, as: UInt32.self)
                    built.longNames += names[first.offset..<(first.offset + length)]
                }
            }
        }
        return built
    }

    private func same(_ a: Item, _ b: Item) -> Bool {
        a.length == b.length && names[a.offset..<(a.offset + Int(a.length))] == names[b.offset..<(b.offset + Int(b.length))]
    }
}

/// A name found in a table.
struct NameHit {
    /// The slot holding it.
    let slot: Int
    /// The only posting (count 1), the first posting's index (count > 1), or flag bits.
    let value: UInt32
    let count: Int
    let flags: UInt8
}

/// The lookup side of a name table.
struct NameTable: @unchecked Sendable {
    // @unchecked: views of an immutable mapping that outlives the table.
    let slots: UnsafeRawBufferPointer
    let capacity: Int
    let postings: UnsafeBufferPointer<UInt32>
    let longNames: UnsafeRawBufferPointer

    /// Nil when the slot section is not a whole number of slots.
    init?(slots: UnsafeRawBufferPointer, postings: UnsafeBufferPointer<UInt32>, longNames: UnsafeRawBufferPointer) {
        guard slots.count % NameSlotLayout.size == 0, slots.count / NameSlotLayout.size <= Int(UInt32.max) else { return nil }
        self.slots = slots
        capacity = slots.count / NameSlotLayout.size
        self.postings = postings
        self.longNames = longNames
    }

    /// Starts loading the home slot of `hash` into the cache.
    @inline(__always)
    func prefetch(_ hash: UInt64) {
        guard capacity > 0, let base = slots.baseAddress else { return }
        beian_prefetch(base + nameHome(hash, capacity: capacity) * NameSlotLayout.size)
    }

    /// The entry of `name` (its UTF-8 bytes), or nil: one hash and, almost always, one cache
    /// line.
    @inline(__always)
    func find(_ name: UnsafeRawBufferPointer) -> NameHit? {
        find(name, hash: nameHash(name))
    }

    @inline(__always)
    func find(_ name: UnsafeRawBufferPointer, hash: UInt64) -> NameHit? {
        guard capacity > 0, let base = slots.baseAddress, let nameBase = name.baseAddress else { return nil }
        let tag = nameTag(hash)
        var slot = nameHome(hash, capacity: capacity)
        // A damaged table may have no empty slot: never probe more than all of them.
        for _ in 0..<capacity {
            let line = base + slot * NameSlotLayout.size
            let found = UInt32(littleEndian: line.loadUnaligned(as: UInt32.self))
            if found == 0 { return nil }
            if found == tag && Int(UInt16(littleEndian: line.loadUnaligned(fromByteOffset: 12, as: UInt16.self))) == name.count {
                let stored: UnsafeRawPointer?
                if name.count <= NameSlotLayout.inlineCapacity {
                    stored = line + NameSlotLayout.nameOffset
                } else {
                    let offset = Int(UInt32(littleEndian: line.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
                    stored = offset + name.count <= longNames.count ? longNames.baseAddress.map { $0 + offset } : nil
                }
                if let stored, memcmp(stored, nameBase, name.count) == 0 {
                    let meta = UInt32(littleEndian: line.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
                    return NameHit(
                        slot: slot, value: UInt32(littleEndian: line.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                        count: Int(meta & NameSlotLayout.countMask), flags: UInt8(truncatingIfNeeded: meta >> 24))
                }
            }
            slot = slot + 1 == capacity ? 0 : slot + 1
        }
        return nil
    }

    /// The postings of an entry (a view into the mapping: a single posting is read in place
    /// from its slot).
    func postings(of hit: NameHit) -> UnsafeBufferPointer<UInt32> {
        switch hit.count {
        case 0: return UnsafeBufferPointer(start: nil, count: 0)
        case 1:
            guard let base = slots.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
            let value = (base + hit.slot * NameSlotLayout.size + 4).assumingMemoryBound(to: UInt32.self)
            return UnsafeBufferPointer(start: value, count: 1)
        default:
            let start = Int(hit.value)
            guard start + hit.count <= postings.count else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(rebasing: postings[start..<(start + hit.count)])
        }
    }

    func find(_ name: String) -> NameHit? {
        var copy = name
        return copy.withUTF8 { find(UnsafeRawBufferPointer($0)) }
    }

    func postings(_ name: String) -> UnsafeBufferPointer<UInt32>? {
        find(name).map { postings(of: $0) }
    }

    /// Distinct names in the table.
    var count: Int {
        guard let base = slots.baseAddress else { return 0 }
        return (0..<capacity).reduce(0) {
            $0 + (base.loadUnaligned(fromByteOffset: $1 * NameSlotLayout.size, as: UInt32.self) == 0 ? 0 : 1)
        }
    }
}
