/// The client streams a decoder follows: from a SYN until the first bytes are known, while a
/// hello, request head or DNS message is incomplete, and afterwards as a marker that
/// recognises retransmissions of what was already read.
///
/// Bounded: at most `capacity` streams of at most `limit` bytes each. A counting filter
/// over the waiting streams lets the per-packet path skip the table for the segments of
/// every other connection.
struct StreamTable {
    enum Kind {
        /// SYN seen, first bytes not yet.
        case pending
        case tls, http, dns
        /// A client speaking HTTP/2 (h2c).
        case h2
        /// The server's direction of an h2c connection with DNS-over-HTTP requests.
        case h2Server
        /// The server's direction of an HTTP/1.x connection with DNS-over-HTTP or h2c
        /// upgrade requests.
        case httpResponse
    }

    struct Stream {
        /// Sequence number of stream offset 0.
        var base: UInt32
        var kind: Kind
        var assembly: StreamAssembly
        var lastSeen: Int64
        /// Read to the end: later segments below `end` are retransmissions.
        var done = false
        var end = 0
    }

    enum SegmentResult {
        case ignored
        case ready
        case evicted(Int)
    }

    private var table: [FlowKey: Stream] = [:]
    private var filter = [UInt16](repeating: 0, count: 1 << 16)
    let limit: Int
    let capacity: Int
    /// Bytes held by all waiting streams together at most: beyond it the least recently
    /// seen are given up (so a flood of half-sent hellos cannot exhaust memory).
    let budget: Int
    /// Bytes held by waiting streams now.
    private(set) var bufferedBytes = 0
    /// Incomplete streams given up for the budget since the decoder last looked.
    var givenUp = 0

    init(limit: Int, capacity: Int, budget: Int) {
        self.limit = limit
        self.capacity = capacity
        self.budget = budget
    }

    var count: Int { table.count }

    @inline(__always)
    private static func slot(_ key: FlowKey) -> Int { Int(key.quickHash & 0xFFFF) }

    /// Whether a waiting stream may exist for `key` (false: certainly not).
    @inline(__always)
    func mayHold(_ key: FlowKey) -> Bool { filter[Self.slot(key)] != 0 }

    private mutating func waiting(_ key: FlowKey, _ on: Bool) {
        let slot = Self.slot(key)
        if on { filter[slot] &+= 1 } else if filter[slot] > 0 { filter[slot] -= 1 }
    }

    /// Starts following a stream whose byte 0 has sequence number `base`. Returns how many
    /// streams were evicted to make room.
    mutating func open(_ key: FlowKey, base: UInt32, kind: Kind, now: Int64) -> Int {
        if let old = table[key] {
            if !old.done { waiting(key, false) }
            bufferedBytes -= old.assembly.bytes.count
        }
        let evicted = table.count >= capacity ? makeRoom() : 0
        table[key] = Stream(base: base, kind: kind, assembly: StreamAssembly(limit: limit), lastSeen: now)
        waiting(key, true)
        return evicted
    }

    /// Adds a segment's payload. `candidate` is what the payload's first bytes look like
    /// when it starts something (nil otherwise).
    mutating func segment(_ key: FlowKey, _ payload: UnsafeRawBufferPointer, sequence: UInt32, candidate: Kind?, now: Int64)
        -> SegmentResult
    {
        guard let index = table.index(forKey: key) else {
            guard let candidate else { return .ignored }
            let evicted = open(key, base: sequence, kind: candidate, now: now)
            insert(key, payload, sequence: sequence, now: now)
            return evicted > 0 ? .evicted(evicted) : .ready
        }
        let stream = table.values[index]
        let offset = Int(Int32(bitPattern: sequence &- stream.base))
        if stream.done {
            // Beyond what was read and starting something: a new hello or request.
            guard let candidate, offset >= stream.end else { return .ignored }
            table.values[index] = Stream(base: sequence, kind: candidate, assembly: StreamAssembly(limit: limit), lastSeen: now)
            waiting(key, true)
            insert(key, payload, sequence: sequence, now: now)
            return .ready
        }
        insert(key, payload, sequence: sequence, now: now)
        return .ready
    }

    private mutating func insert(_ key: FlowKey, _ payload: UnsafeRawBufferPointer, sequence: UInt32, now: Int64) {
        guard let index = table.index(forKey: key) else { return }
        let offset = Int(Int32(bitPattern: sequence &- table.values[index].base))
        table.values[index].lastSeen = now
        let before = table.values[index].assembly.bytes.count
        defer {
            if let index = table.index(forKey: key) {
                bufferedBytes += table.values[index].assembly.bytes.count - before
            } else {
                bufferedBytes -= before
            }
            if bufferedBytes > budget { shed() }
        }
        if offset < 0 {
            // Overlaps the start (an old retransmission): keep the new part.
            guard offset + payload.count > 0 else { return }
            table.values[index].assembly.insert(payload.slice(-offset, payload.count), at: 0)
        } else {
            table.values[index].assembly.insert(payload, at: offset)
        }
        if table.values[index].kind == .pending && table.values[index].assembly.contiguous >= 6 {
            let kind: Kind? = table.values[index].assembly.bytes.withUnsafeBytes { bytes in
                let head = bytes.slice(0, table.values[index].assembly.contiguous)
                if TLSClientHello.looksLikeStart(head) { return .tls }
                if HTTPRequest.looksLikeStart(head) { return .http }
                if HTTP2.looksLikePreface(head) { return .h2 }
                return nil
            }
            if let kind {
                table.values[index].kind = kind
            } else {
                // Not a protocol read here: forget the connection.
                table.remove(at: index)
                waiting(key, false)
            }
        }
    }

    /// The contiguous bytes of a waiting stream whose kind is known.
    func available(_ key: FlowKey) -> (Kind, ArraySlice<UInt8>)? {
        guard let stream = table[key], !stream.done, stream.kind != .pending else { return nil }
        let count = stream.assembly.contiguous
        guard count > 0 else { return nil }
        return (stream.kind, stream.assembly.bytes[0..<count])
    }

    /// The stream goes on as another protocol (an HTTP/1.1 connection upgraded to h2c).
    mutating func setKind(_ key: FlowKey, _ kind: Kind) {
        guard let index = table.index(forKey: key) else { return }
        table.values[index].kind = kind
    }

    /// The first `count` bytes were read (or are to be skipped, when more than what is
    /// held): the stream now starts after them.
    mutating func consume(_ key: FlowKey, _ count: Int) {
        guard let index = table.index(forKey: key) else { return }
        let before = table.values[index].assembly.bytes.count
        table.values[index].base &+= UInt32(truncatingIfNeeded: count)
        table.values[index].assembly.drop(count)
        bufferedBytes -= before - table.values[index].assembly.bytes.count
    }

    /// Gives up the least recently seen waiting streams holding bytes until a quarter of the
    /// budget is free again.
    private mutating func shed() {
        let holding = table.filter { !$0.value.done && !$0.value.assembly.bytes.isEmpty }.sorted { $0.value.lastSeen < $1.value.lastSeen }
        for (key, _) in holding {
            guard bufferedBytes > budget - budget / 4 else { break }
            finish(key)
            givenUp += 1
        }
    }

    /// Nothing more to read from this stream: keep a marker for retransmissions.
    mutating func finish(_ key: FlowKey) {
        guard let index = table.index(forKey: key), !table.values[index].done else { return }
        table.values[index].done = true
        table.values[index].end = max(table.values[index].assembly.ranges.last?.upperBound ?? 0, 1)
        bufferedBytes -= table.values[index].assembly.bytes.count
        table.values[index].assembly = StreamAssembly(limit: 0)
        waiting(key, false)
    }

    /// The connection is closing (FIN or RST): a waiting stream is given up, and a marker
    /// stays so that late retransmissions are recognised. Returns whether the stream ended
    /// incomplete (nil when it was not followed).
    mutating func close(_ key: FlowKey) -> Bool? {
        guard let index = table.index(forKey: key) else { return nil }
        let stream = table.values[index]
        if stream.done { return false }
        if stream.kind == .pending {
            table.remove(at: index)
            waiting(key, false)
            bufferedBytes -= stream.assembly.bytes.count
            return false
        }
        finish(key)
        return Self.incomplete(stream)
    }

    /// A waiting stream holding bytes of a hello, request or message it never completed.
    private static func incomplete(_ stream: Stream) -> Bool {
        !stream.done && stream.kind != .pending && !stream.assembly.ranges.isEmpty
    }

    /// Forgets streams idle since before `horizon`: (incomplete ones, all removed).
    mutating func evict(idleBefore horizon: Int64) -> (Int, Int) {
        var failed = 0
        var evicted = 0
        // Collected first: removing while iterating would copy the whole table.
        let idle = table.filter { $0.value.lastSeen < horizon }
        for (key, stream) in idle {
            table.removeValue(forKey: key)
            bufferedBytes -= stream.assembly.bytes.count
            if !stream.done {
                waiting(key, false)
                if Self.incomplete(stream) { failed += 1 }
                evicted += 1
            }
        }
        return (failed, evicted)
    }

    /// Frees an eighth of the table, markers first, then the least recently seen.
    private mutating func makeRoom() -> Int {
        let target = max(1, capacity / 8)
        var removed = 0
        let markers = Array(table.lazy.filter { $0.value.done }.prefix(target).map(\.key))
        for key in markers {
            if let stream = table.removeValue(forKey: key) { bufferedBytes -= stream.assembly.bytes.count }
            removed += 1
        }
        if removed >= target { return 0 }
        let oldest = table.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(target - removed)
        for (key, stream) in oldest {
            table.removeValue(forKey: key)
            waiting(key, false)
            bufferedBytes -= stream.assembly.bytes.count
        }
        return oldest.count
    }

    /// Forgets everything; returns how many streams were incomplete.
    mutating func removeAll() -> Int {
        let failed = table.values.filter(Self.incomplete).count
        table.removeAll()
        bufferedBytes = 0
        filter.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return failed
    }
}
