import BeianTestSupport
import Testing

@testable import BeianIndex

@Suite struct NameTableTests {
    /// Random names (short ones held in the slot, long ones out of it), added several times
    /// with postings of two ranks: every lookup agrees with a dictionary, and names never added
    /// are not found.
    @Test func agreesWithADictionary() throws {
        var random = TestRandom(state: 7)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-.中国".utf8)
        func name() -> String {
            let length = 1 + Int(random.next() % 40)
            return String(decoding: (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self)
        }
        let names = Set((0..<3000).map { _ in name() })
        var builder = NameTableBuilder()
        var expected: [String: (rank: UInt8, postings: [UInt32], flags: UInt8)] = [:]
        for (index, name) in names.enumerated() {
            for _ in 0..<(1 + index % 3) {
                let rank = UInt8(random.next() % 2)
                let posting = UInt32(random.next() % 5)
                let flags = UInt8(1) << (random.next() % 8)
                builder.add(name, posting: posting, flags: flags, rank: rank)
                var entry = expected[name] ?? (rank, [], 0)
                entry.flags |= flags
                if rank > entry.rank { entry = (rank, [], entry.flags) }
                if rank == entry.rank && !entry.postings.contains(posting) { entry.postings.append(posting) }
                expected[name] = entry
            }
        }
        let built = builder.build()
        #expect(built.count == names.count)
        #expect(built.slots.count / NameSlotLayout.size >= names.count * 3 / 2)
        try built.slots.withUnsafeBytes { slots in
            try built.postings.withUnsafeBufferPointer { postings in
                try built.longNames.withUnsafeBytes { long in
                    let table = try #require(NameTable(slots: slots, postings: postings, longNames: long))
                    #expect(table.count == names.count)
                    for (name, entry) in expected {
                        let hit = try #require(table.find(name), "\(name)")
                        #expect(hit.flags == entry.flags)
                        #expect(Array(table.postings(of: hit)) == entry.postings, "\(name)")
                    }
                    for _ in 0..<3000 {
                        let other = name()
                        if !names.contains(other) { #expect(table.find(other) == nil) }
                    }
                    #expect(table.find("") == nil)
                }
            }
        }
    }

    /// Tables of flags keep the union of the bits in the slot, without postings.
    @Test func flagTables() throws {
        var builder = NameTableBuilder()
        builder.flag("com.cn", 1)
        builder.flag("com.cn", 4)
        builder.flag("a-rather-long-public-suffix-rule.example", 2)
        let built = builder.build()
        #expect(built.postings.isEmpty)
        try built.slots.withUnsafeBytes { slots in
            try built.postings.withUnsafeBufferPointer { postings in
                try built.longNames.withUnsafeBytes { long in
                    let table = try #require(NameTable(slots: slots, postings: postings, longNames: long))
                    #expect(table.find("com.cn")?.flags == 5)
                    #expect(table.find("com.cn")?.count == 0)
                    #expect(table.find("a-rather-long-public-suffix-rule.example")?.flags == 2)
                    #expect(table.find("cn") == nil)
                }
            }
        }
    }

    /// An empty table answers nothing, and a slot section of a wrong size is refused.
    @Test func emptyAndDamaged() throws {
        var builder = NameTableBuilder()
        let built = builder.build()
        #expect(built.slots.isEmpty)
        let table = try #require(
            NameTable(
                slots: UnsafeRawBufferPointer(start: nil, count: 0), postings: .init(start: nil, count: 0),
                longNames: UnsafeRawBufferPointer(start: nil, count: 0)))
        #expect(table.find("example.com") == nil)
        let odd = [UInt8](repeating: 0, count: 33)
        odd.withUnsafeBytes { #expect(NameTable(slots: $0, postings: .init(start: nil, count: 0), longNames: $0) == nil) }
    }
}
