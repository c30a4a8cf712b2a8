/// Writes a MaxMind DB (format 2.0) of the world's address space: an IPv6 tree (IPv4 under
/// ::/96) with 32-bit records, each network mapped to its country and network owner in the
/// GeoLite2 layout (`country.iso_code`, `autonomous_system_number`,
/// `autonomous_system_organization`). Checked by `mmdblookup` in the conformance run.
struct MMDBWriter {
    enum Value {
        case string(String)
        case uint16(UInt16)
        case uint32(UInt32)
        case uint64(UInt64)
        case map([(String, Value)])
        case array([Value])
    }

    private static let empty: UInt32 = .max
    private var nodes: [(UInt32, UInt32)] = [(.max, .max)]
    /// Records pointing at data: (node, side) → data index.
    private var data: [[UInt8]] = []
    private var dataIndex: [[UInt8]: Int] = [:]
    private static let dataFlag: UInt32 = 0x8000_0000

    /// Adds `block` (a prefix) with `value`; later, longer prefixes override inside earlier
    /// ones, so add from the shortest.
    mutating func insert(_ block: RegistryWorld.Block, _ value: Value) {
        let span = block.last.value - block.first.value
        let hostBits = span == .max ? 128 : (span &+ 1).trailingZeroBitCount
        let length = (block.first.v6 ? 128 : 32) - hostBits
        let bits = block.first.value  // IPv4 sits at ::a.b.c.d
        let depth = block.first.v6 ? length : 96 + length
        var encoded: [UInt8] = []
        MMDBWriter.encode(value, into: &encoded)
        let index: Int
        if let known = dataIndex[encoded] {
            index = known
        } else {
            index = data.count
            data.append(encoded)
            dataIndex[encoded] = index
        }
        var node = 0
        for level in 0..<depth {
            let bit = Int((bits >> (127 - level)) & 1)
            let record = bit == 0 ? nodes[node].0 : nodes[node].1
            if level == depth - 1 {
                set(node, bit, MMDBWriter.dataFlag | UInt32(index))
                return
            }
            if record == MMDBWriter.empty || record & MMDBWriter.dataFlag != 0 {
                // A new node, inheriting what the record held on both sides.
                nodes.append((record, record))
                set(node, bit, UInt32(nodes.count - 1))
                node = nodes.count - 1
            } else {
                node = Int(record)
            }
        }
    }

    private mutating func set(_ node: Int, _ bit: Int, _ value: UInt32) {
        if bit == 0 { nodes[node].0 = value } else { nodes[node].1 = value }
    }

    /// The database's bytes.
    func bytes(databaseType: String, description: String, buildEpoch: UInt64) -> [UInt8] {
        let count = UInt32(nodes.count)
        // Data offsets in the data section.
        var offsets: [UInt32] = []
        var section: [UInt8] = []
        for item in data {
            offsets.append(UInt32(section.count))
            section += item
        }
        func record(_ value: UInt32) -> UInt32 {
            if value == MMDBWriter.empty { return count }
            if value & MMDBWriter.dataFlag != 0 { return count + 16 + offsets[Int(value & ~MMDBWriter.dataFlag)] }
            return value
        }
        var out: [UInt8] = []
        out.reserveCapacity(nodes.count * 8 + 16 + section.count + 256)
        for (left, right) in nodes {
            Wire.append32(&out, record(left))
            Wire.append32(&out, record(right))
        }
        out += [UInt8](repeating: 0, count: 16)
        out += section
        out += [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        let metadata: Value = .map([
            ("binary_format_major_version", .uint16(2)),
            ("binary_format_minor_version", .uint16(0)),
            ("build_epoch", .uint64(buildEpoch)),
            ("database_type", .string(databaseType)),
            ("description", .map([("en", .string(description))])),
            ("ip_version", .uint16(6)),
            ("languages", .array([.string("en")])),
            ("node_count", .uint32(count)),
            ("record_size", .uint16(32)),
        ])
        MMDBWriter.encode(metadata, into: &out)
        return out
    }

    // MARK: Data section encoding

    private static func control(_ type: Int, _ size: Int, into out: inout [UInt8]) {
        let extended = type > 7
        let typeBits = UInt8(extended ? 0 : type) << 5
        switch size {
        case ..<29: out.append(typeBits | UInt8(size))
        case ..<285: out += [typeBits | 29, UInt8(size - 29)]
        case ..<65_821: out += [typeBits | 30, UInt8((size - 285) >> 8), UInt8((size - 285) & 0xFF)]
        default: out += [typeBits | 31, UInt8((size - 65_821) >> 16), UInt8(((size - 65_821) >> 8) & 0xFF), UInt8((size - 65_821) & 0xFF)]
        }
        if extended { out.insert(UInt8(type - 7), at: out.count - (size < 29 ? 0 : size < 285 ? 1 : size < 65_821 ? 2 : 3)) }
    }

    private static func unsigned(_ type: Int, _ value: UInt64, into out: inout [UInt8]) {
        var bytes: [UInt8] = []
        var rest = value
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        control(type, bytes.count, into: &out)
        out += bytes
    }

    static func encode(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .string(let text):
            control(2, text.utf8.count, into: &out)
            out += Array(text.utf8)
        case .uint16(let number): unsigned(5, UInt64(number), into: &out)
        case .uint32(let number): unsigned(6, UInt64(number), into: &out)
        case .uint64(let number): unsigned(9, number, into: &out)
        case .map(let pairs):
            control(7, pairs.count, into: &out)
            for (key, item) in pairs {
                encode(.string(key), into: &out)
                encode(item, into: &out)
            }
        case .array(let items):
            control(11, items.count, into: &out)
            for item in items { encode(item, into: &out) }
        }
    }

    /// The country database of a world.
    static func country(_ geo: GeoPlan) -> [UInt8] {
        var writer = MMDBWriter()
        let names = ["CN": "China", "US": "United States", "HK": "Hong Kong", "JP": "Japan"]
        let entries = geo.entries.sorted { $0.block.size > $1.block.size }
        for entry in entries {
            writer.insert(
                entry.block,
                .map([
                    ("autonomous_system_number", .uint32(UInt32(entry.asn))),
                    ("autonomous_system_organization", .string(entry.organisation)),
                    (
                        "country",
                        .map([
                            ("iso_code", .string(entry.country)), ("names", .map([("en", .string(names[entry.country] ?? entry.country))])),
                        ])
                    ),
                ]))
        }
        return writer.bytes(
            databaseType: "beian-datagen-Country-ASN", description: "Address space of a generated filing world", buildEpoch: 1_772_380_500)
    }
}
