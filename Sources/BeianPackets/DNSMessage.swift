import BeianCore

/// The name → address bindings of a DNS response: A and AAAA answers, CNAME chains (every
/// name of a chain is bound to the addresses at its end) and the address hints of HTTPS and
/// SVCB records.
enum DNSMessage {
    struct Binding: Equatable {
        var name: String
        var address: IPAddress
    }

    /// Compression pointers followed per name at most (loops end here).
    static let maximumPointerJumps = 32
    /// Records read per section at most.
    static let maximumRecords = 512
    /// CNAME links followed from one name at most.
    static let maximumChain = 16

    private struct Record {
        var owner: String
        var type: UInt16
        var rdata: Range<Int>
    }

    /// The bindings of a response; `nil` when the message is malformed, empty for queries.
    static func bindings(_ message: UnsafeRawBufferPointer) -> [Binding]? {
        guard message.count >= 12 else { return nil }
        let flags = message.u16(2)
        guard flags & 0x8000 != 0 else { return [] }  // a query
        let questions = Int(message.u16(4))
        let answers = Int(message.u16(6))
        let authority = Int(message.u16(8))
        let additional = Int(message.u16(10))
        guard questions <= maximumRecords, answers <= maximumRecords else { return nil }
        var offset = 12
        for _ in 0..<questions {
            guard let end = skipName(message, offset), end + 4 <= message.count else { return nil }
            offset = end + 4
        }
        var records: [Record] = []
        // Answers, then the additional section (hints may sit there); authority is skipped.
        for section in 0..<3 {
            let count = section == 0 ? answers : section == 1 ? authority : additional
            for _ in 0..<min(count, maximumRecords) {
                guard let (owner, end) = readName(message, offset), end + 10 <= message.count else {
                    // A truncated additional section still leaves the answers usable.
                    if section == 0 { return nil } else { return resolve(records, message) }
                }
                let type = message.u16(end)
                let length = Int(message.u16(end + 8))
                let start = end + 10
                guard start + length <= message.count else {
                    if section == 0 { return nil } else { return resolve(records, message) }
                }
                if section != 1 { records.append(Record(owner: owner, type: type, rdata: start..<start + length)) }
                offset = start + length
            }
        }
        return resolve(records, message)
    }

    private static func resolve(_ records: [Record], _ message: UnsafeRawBufferPointer) -> [Binding] {
        var addresses: [(owner: String, address: IPAddress)] = []
        var aliases: [String: [String]] = [:]  // target → names pointing at it
        for record in records {
            let rdata = message.slice(record.rdata.lowerBound, record.rdata.upperBound)
            switch record.type {
            case 1 where rdata.count == 4:
                addresses.append((record.owner, .v4(IPv4Address(rdata.u32(0)))))
            case 28 where rdata.count == 16:
                addresses.append((record.owner, .v6(IPv6Address(rdata.u128(0)))))
            case 5:
                if let (target, _) = readName(message, record.rdata.lowerBound), target != record.owner {
                    aliases[target, default: []].append(record.owner)
                }
            case 64, 65:
                for hint in serviceHints(message, record.rdata) { addresses.append((record.owner, hint)) }
            default: continue
            }
        }
        var bindings: [Binding] = []
        var seen: Set<Pair> = []
        for (owner, address) in addresses {
            // The owner and every name that reaches it through CNAMEs.
            var names = [owner]
            var index = 0
            while index < names.count && names.count <= maximumChain {
                for alias in aliases[names[index]] ?? [] where !names.contains(alias) { names.append(alias) }
                index += 1
            }
            // From the head of the chain (the name asked) down to the address's owner.
            for name in names.reversed() where seen.insert(Pair(name: name, address: address)).inserted {
                bindings.append(Binding(name: name, address: address))
            }
        }
        return bindings
    }

    private struct Pair: Hashable {
        var name: String
        var address: IPAddress
    }

    /// ipv4hint (4) and ipv6hint (6) of an SVCB/HTTPS record's parameters.
    private static func serviceHints(_ message: UnsafeRawBufferPointer, _ rdata: Range<Int>) -> [IPAddress] {
        guard rdata.count >= 3, let targetEnd = skipName(message, rdata.lowerBound + 2), targetEnd <= rdata.upperBound else { return [] }
        var hints: [IPAddress] = []
        var offset = targetEnd
        while offset + 4 <= rdata.upperBound {
            let key = message.u16(offset)
            let length = Int(message.u16(offset + 2))
            let start = offset + 4
            guard start + length <= rdata.upperBound else { break }
            if key == 4 {
                for position in stride(from: start, to: start + length - 3, by: 4) { hints.append(.v4(IPv4Address(message.u32(position)))) }
            } else if key == 6 {
                for position in stride(from: start, to: start + length - 15, by: 16) {
                    hints.append(.v6(IPv6Address(message.u128(position))))
                }
            }
            offset = start + length
        }
        return hints
    }

    /// The end of the name at `offset` (past its terminator or first pointer).
    static func skipName(_ message: UnsafeRawBufferPointer, _ offset: Int) -> Int? {
        var position = offset
        while position < message.count {
            let length = Int(message[position])
            if length == 0 { return position + 1 }
            if length & 0xC0 == 0xC0 { return position + 2 <= message.count ? position + 2 : nil }
            guard length & 0xC0 == 0 else { return nil }
            position += 1 + length
        }
        return nil
    }

    /// The name at `offset`, normalised, and the offset after it in the message. Labels that
    /// are not host-name bytes make the whole name invalid (nil).
    static func readName(_ message: UnsafeRawBufferPointer, _ offset: Int) -> (String, Int)? {
        var bytes: [UInt8] = []
        var position = offset
        var end: Int?
        var jumps = 0
        while true {
            guard position < message.count else { return nil }
            let length = Int(message[position])
            if length == 0 {
                if end == nil { end = position + 1 }
                break
            }
            if length & 0xC0 == 0xC0 {
                guard position + 1 < message.count, jumps < maximumPointerJumps else { return nil }
                if end == nil { end = position + 2 }
                position = Int(message.u16(position) & 0x3FFF)
                jumps += 1
                continue
            }
            guard length & 0xC0 == 0, position + 1 + length <= message.count else { return nil }
            if !bytes.isEmpty { bytes.append(UInt8(ascii: ".")) }
            bytes.append(contentsOf: message.slice(position + 1, position + 1 + length))
            guard bytes.count <= HostName.maximumLength else { return nil }
            position += 1 + length
        }
        guard let end else { return nil }
        if bytes.isEmpty { return (".", end) }
        guard let name = bytes.withUnsafeBytes({ HostName.normalise($0) }) else { return nil }
        return (name, end)
    }
}
