/// QUIC connections whose client Initials are being read: the Initial keys (from the first
/// Destination Connection ID, which later Initials keep using even after the ID changes)
/// and the CRYPTO stream so far.
struct QUICTable {
    enum Result {
        case nothing
        case malformed(MalformedReason)
        /// Initials decrypted, the hello not complete yet.
        case decrypted
        /// The hello (or why it cannot be read), after `packets` Initials of this datagram.
        case hello(TLSClientHello.Outcome, packets: Int)
    }

    private struct Connection {
        var keys: QUICInitial.Keys
        var crypto = StreamAssembly(limit: TLSClientHello.maximumHelloLength)
        var done = false
        var lastSeen: Int64
    }

    private var table: [FlowKey: Connection] = [:]
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
    }

    func contains(_ key: FlowKey) -> Bool { table[key] != nil }

    mutating func datagram(_ datagram: UnsafeRawBufferPointer, key: FlowKey, now: Int64) -> Result {
        let layouts = QUICInitial.packets(in: datagram).filter(\.initial)
        if let connection = table[key], connection.done {
            // One hello per connection: what follows (a Retry's answer, acknowledgements)
            // repeats it or carries none.
            table[key]?.lastSeen = now
            return .nothing
        }
        guard !layouts.isEmpty else { return .malformed(.badQUICPacket) }
        var connection = table[key]
        var decrypted = 0
        for layout in layouts {
            var plaintext: [UInt8]?
            if let keys = connection?.keys { plaintext = QUICInitial.decrypt(datagram, layout, keys: keys) }
            if plaintext == nil {
                let destination = datagram.slice(layout.destinationID.lowerBound, layout.destinationID.upperBound)
                for keys in QUICInitial.keys(destinationID: destination, version: layout.version) {
                    plaintext = QUICInitial.decrypt(datagram, layout, keys: keys)
                    if plaintext == nil { continue }
                    if connection == nil { connection = Connection(keys: keys, lastSeen: now) }
                    break
                }
            }
            guard let plaintext else { continue }
            decrypted += 1
            guard let frames = QUICInitial.cryptoFrames(plaintext, version: layout.version) else {
                if let connection { store(key, connection) }
                return .malformed(.badQUICFrames)
            }
            for frame in frames {
                frame.bytes.withUnsafeBytes { connection?.crypto.insert($0, at: frame.offset) }
            }
        }
        guard decrypted > 0, var connection else { return .malformed(.quicDecryptionFailed) }
        connection.lastSeen = now
        let available = connection.crypto.contiguous
        guard available >= 4 else {
            store(key, connection)
            return .decrypted
        }
        let outcome = connection.crypto.bytes.withUnsafeBytes { TLSClientHello.parse(handshake: $0.slice(0, available)) }
        if case .needMore = outcome, !connection.crypto.overflowed {
            store(key, connection)
            return .hello(outcome, packets: decrypted)
        }
        connection.done = true
        connection.crypto = StreamAssembly(limit: 0)
        store(key, connection)
        if case .needMore = outcome { return .hello(.invalid(.badClientHello), packets: decrypted) }
        return .hello(outcome, packets: decrypted)
    }

    private mutating func store(_ key: FlowKey, _ connection: Connection) {
        if table[key] == nil && table.count >= capacity {
            let oldest = table.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(capacity / 2)
            for (old, _) in oldest { table.removeValue(forKey: old) }
        }
        table[key] = connection
    }

    mutating func evict(idleBefore horizon: Int64) {
        table = table.filter { $0.value.lastSeen >= horizon }
    }

    mutating func removeAll() { table.removeAll() }
}
