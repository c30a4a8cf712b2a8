/// HPACK (RFC 7541): header blocks of HTTP/2 decoded with the static table, a dynamic
/// table of the connection's direction and Huffman-coded strings. One decoder per direction
/// of a connection, fed every header block in order (the dynamic table depends on all of
/// them).
struct HPACKDecoder {
    /// The largest dynamic table a size update may ask for. HTTP/2 peers agree on 4,096
    /// bytes unless a SETTINGS frame says otherwise; larger tables are refused here (with the
    /// connection count, this bounds what h2c state can hold: 4,096 × 16 KiB per decoder).
    static let maximumTableSize = 16 * 1024
    /// Header fields of one block decoded at most, and the longest string.
    static let maximumFields = 256
    static let maximumStringLength = 16 * 1024

    private var entries: [(name: [UInt8], value: [UInt8])] = []  // newest first
    private var size = 0
    private(set) var capacity = 4096

    /// Decodes one whole header block, calling `field` with each name and value; false when
    /// the block is malformed (the connection's table is then unknown: stop decoding it).
    mutating func decode(_ block: UnsafeRawBufferPointer, _ field: (_ name: [UInt8], _ value: [UInt8]) -> Void) -> Bool {
        var offset = 0
        var fields = 0
        while offset < block.count {
            let first = block[offset]
            if first & 0x80 != 0 {  // indexed field
                guard let index = Self.integer(block, &offset, prefix: 7), let entry = entry(index) else { return false }
                field(entry.name, entry.value)
            } else if first & 0xE0 == 0x20 {  // dynamic table size update
                guard let size = Self.integer(block, &offset, prefix: 5), size <= Self.maximumTableSize else { return false }
                capacity = size
                evict(toFit: 0)
                continue
            } else {
                // Literal: with incremental indexing (01), without (0000) or never indexed (0001).
                let indexing = first & 0xC0 == 0x40
                guard let index = Self.integer(block, &offset, prefix: indexing ? 6 : 4) else { return false }
                let name: [UInt8]
                if index == 0 {
                    guard let literal = Self.string(block, &offset) else { return false }
                    name = literal
                } else {
                    guard let entry = entry(index) else { return false }
                    name = entry.name
                }
                guard let value = Self.string(block, &offset) else { return false }
                if indexing { insert(name, value) }
                field(name, value)
            }
            fields += 1
            guard fields <= Self.maximumFields else { return false }
        }
        return true
    }

    private func entry(_ index: Int) -> (name: [UInt8], value: [UInt8])? {
        if index >= 1 && index <= Self.staticTable.count { return Self.staticTable[index - 1] }
        let dynamic = index - Self.staticTable.count - 1
        guard dynamic >= 0, dynamic < entries.count else { return nil }
        return entries[dynamic]
    }

    private mutating func insert(_ name: [UInt8], _ value: [UInt8]) {
        let entrySize = name.count + value.count + 32
        evict(toFit: entrySize)
        // An entry larger than the table empties it and is not kept (§4.4).
        guard entrySize <= capacity else { return }
        entries.insert((name, value), at: 0)
        size += entrySize
    }

    private mutating func evict(toFit incoming: Int) {
        while size + incoming > capacity, let last = entries.popLast() {
            size -= last.name.count + last.value.count + 32
        }
    }

    /// An integer with an N-bit prefix (§5.1); nil when cut short or beyond 2^28.
    static func integer(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int, prefix: Int) -> Int? {
        guard offset < bytes.count else { return nil }
        let mask = (1 << prefix) - 1
        var value = Int(bytes[offset]) & mask
        offset += 1
        guard value == mask else { return value }
        var shift = 0
        while true {
            guard offset < bytes.count, shift <= 21 else { return nil }
            let byte = bytes[offset]
            offset += 1
            value += Int(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { return value }
        }
    }

    /// A string literal (§5.2): a Huffman flag, a length, then the octets.
    static func string(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> [UInt8]? {
        guard offset < bytes.count else { return nil }
        let huffman = bytes[offset] & 0x80 != 0
        guard let length = integer(bytes, &offset, prefix: 7), length <= maximumStringLength, offset + length <= bytes.count else {
            return nil
        }
        let raw = bytes.slice(offset, offset + length)
        offset += length
        return huffman ? Self.huffmanDecode(raw) : Array(raw)
    }

    /// Decodes a Huffman-coded string (Appendix B): bit by bit down a tree of the codes. The
    /// end must be padding of at most 7 one bits (the start of EOS); EOS itself is an error.
    static func huffmanDecode(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 8 / 5)
        var node = 0
        var depth = 0
        var ones = true
        for byte in bytes {
            for bit in stride(from: 7, through: 0, by: -1) {
                let one = (byte >> UInt8(bit)) & 1 == 1
                node = huffmanTree[node * 2 + (one ? 1 : 0)]
                depth += 1
                ones = ones && one
                guard node != 0 else { return nil }
                if node < 0 {
                    let symbol = -node - 1
                    guard symbol < 256 else { return nil }  // EOS
                    out.append(UInt8(symbol))
                    node = 0
                    depth = 0
                    ones = true
                }
            }
        }
        // Padding: fewer than 8 bits, all ones.
        guard depth < 8, ones else { return nil }
        return out
    }

    /// The code tree as pairs of children (0: none yet; negative: the leaf of symbol -n-1).
    private static let huffmanTree: [Int] = {
        var tree = [0, 0]
        for symbol in 0..<huffmanCodes.count {
            let code = huffmanCodes[symbol]
            let length = Int(huffmanLengths[symbol])
            var node = 0
            for position in stride(from: length - 1, through: 0, by: -1) {
                let slot = node * 2 + Int((code >> UInt32(position)) & 1)
                if position == 0 {
                    tree[slot] = -symbol - 1
                } else {
                    if tree[slot] == 0 {
                        tree[slot] = tree.count / 2
                        tree += [0, 0]
                    }
                    node = tree[slot]
                }
            }
        }
        return tree
    }()

    /// RFC 7541 Appendix B: each symbol's code (0–255, then EOS), right-aligned.
    private static let huffmanCodes: [UInt32] = [
        0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
        0xfffffe8, 0xffffea, 0x3fff_fffc, 0xfffffe9, 0xfffffea, 0x3fff_fffd, 0xfffffeb, 0xfffffec,
        0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3fff_fffe, 0xffffff3,
        0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
        0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
        0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
        0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
        0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
        0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
        0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
        0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
        0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
        0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
        0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
        0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
        0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
        0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
        0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
        0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
        0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
        0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
        0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
        0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
        0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
        0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
        0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
        0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
        0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
        0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
        0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
        0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
        0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
        0x3fff_ffff,
    ]

    /// RFC 7541 Appendix B: the length in bits of each symbol's code.
    private static let huffmanLengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ]

    /// RFC 7541 Appendix A: the static table, entries 1–61.
    static let staticTable: [(name: [UInt8], value: [UInt8])] = [
        (":authority", ""),
        (":method", "GET"),
        (":method", "POST"),
        (":path", "/"),
        (":path", "/index.html"),
        (":scheme", "http"),
        (":scheme", "https"),
        (":status", "200"),
        (":status", "204"),
        (":status", "206"),
        (":status", "304"),
        (":status", "400"),
        (":status", "404"),
        (":status", "500"),
        ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"),
        ("accept-language", ""),
        ("accept-ranges", ""),
        ("accept", ""),
        ("access-control-allow-origin", ""),
        ("age", ""),
        ("allow", ""),
        ("authorization", ""),
        ("cache-control", ""),
        ("content-disposition", ""),
        ("content-encoding", ""),
        ("content-language", ""),
        ("content-length", ""),
        ("content-location", ""),
        ("content-range", ""),
        ("content-type", ""),
        ("cookie", ""),
        ("date", ""),
        ("etag", ""),
        ("expect", ""),
        ("expires", ""),
        ("from", ""),
        ("host", ""),
        ("if-match", ""),
        ("if-modified-since", ""),
        ("if-none-match", ""),
        ("if-range", ""),
        ("if-unmodified-since", ""),
        ("last-modified", ""),
        ("link", ""),
        ("location", ""),
        ("max-forwards", ""),
        ("proxy-authenticate", ""),
        ("proxy-authorization", ""),
        ("range", ""),
        ("referer", ""),
        ("refresh", ""),
        ("retry-after", ""),
        ("server", ""),
        ("set-cookie", ""),
        ("strict-transport-security", ""),
        ("transfer-encoding", ""),
        ("user-agent", ""),
        ("vary", ""),
        ("via", ""),
        ("www-authenticate", ""),
    ].map { (Array($0.utf8), Array($1.utf8)) }
}
