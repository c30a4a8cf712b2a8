import BeianCore
internal import CBeianKernels

/// "No value" in address maps and tables.
let noValue = UInt32.max

/// Turns ranges carrying record numbers into disjoint elementary intervals, each naming the
/// list of records that cover it (a "chain"), most specific first.
///
/// A sweep over the sorted range ends keeps the set of ranges covering each point; each
/// distinct set, ordered by `precedes`, is interned once as a chain. O(n log n) for n ranges
/// (sets are small: ranges nest a few levels deep).
struct IntervalBuilder {
    struct Interval {
        var start: UInt128
        var value: UInt32
    }

    /// Chains by id, back to back: records covering an interval, most specific first. Chain
    /// `i` is `chainEntries[chainStarts[i] ..< chainStarts[i + 1]]`.
    private(set) var chainStarts: [UInt32] = [0]
    private(set) var chainEntries: [UInt32] = []
    private var singleChains: [UInt32: UInt32] = [:]
    private var chainIDs: [[UInt32]: UInt32] = [:]

    var chainCount: Int { chainStarts.count - 1 }

    /// The most specific record of chain `id`.
    func first(ofChain id: UInt32) -> UInt32 {
        id == noValue ? noValue : chainEntries[Int(chainStarts[Int(id)])]
    }

    /// Every chain as an array (for tests).
    var chains: [[UInt32]] {
        (0..<chainCount).map { Array(chainEntries[Int(chainStarts[$0])..<Int(chainStarts[$0 + 1])]) }
    }

    /// Elementary intervals covering the whole address space of `family` (value `noValue` where
    /// no range covers), sorted, adjacent intervals with the same value merged.
    mutating func intervals(
        family: IPAddress.Family, ranges: [(range: IPRange, record: UInt32)], precedes: (UInt32, UInt32) -> Bool
    ) -> [Interval] {
        let maximum = family.allOnes
        var events: [(position: UInt128, isEnd: Bool, record: UInt32)] = []
        events.reserveCapacity(ranges.count * 2)
        for (range, record) in ranges where range.family == family {
            events.append((range.first.bits, false, record))
            if range.last.bits != maximum { events.append((range.last.bits + 1, true, record)) }
        }
        events.sort { $0.position < $1.position }
        var intervals: [Interval] = [Interval(start: 0, value: noValue)]
        var active: [UInt32] = []
        var index = 0
        while index < events.count {
            let position = events[index].position
            while index < events.count && events[index].position == position {
                let event = events[index]
                if event.isEnd {
                    if let found = active.firstIndex(of: event.record) { active.remove(at: found) }
                } else {
                    active.append(event.record)
                }
                index += 1
            }
            let value = active.isEmpty ? noValue : chain(for: active.count == 1 ? active : active.sorted(by: precedes))
            if intervals[intervals.count - 1].start == position {
                intervals[intervals.count - 1].value = value
            } else if intervals[intervals.count - 1].value != value {
                intervals.append(Interval(start: position, value: value))
            }
        }
        // Merge neighbours that ended up equal after an in-place update.
        var merged: [Interval] = []
        merged.reserveCapacity(intervals.count)
        for interval in intervals where merged.last?.value != interval.value {
            merged.append(interval)
        }
        return merged
    }

    private mutating func chain(for records: [UInt32]) -> UInt32 {
        if records.count == 1, let id = singleChains[records[0]] { return id }
        if records.count > 1, let id = chainIDs[records] { return id }
        let id = UInt32(chainCount)
        chainEntries += records
        chainStarts.append(UInt32(chainEntries.count))
        if records.count == 1 { singleChains[records[0]] = id } else { chainIDs[records] = id }
        return id
    }
}

/// An address → value table in the style of DXR: the top bits index a direct table of
/// buckets; a bucket with one interval answers at once, others by binary search over the
/// starts of its intervals (16-bit keys for IPv4, 128-bit for IPv6). IPv4 tables with many
/// intervals use 2²⁰ buckets of 4,096 addresses (4 MiB of boundaries), small ones 2¹⁶: most
/// IPv4 lookups then read two adjacent boundaries and one interval, O(log k) for a bucket of
/// k intervals.
struct AddressTableBuild {
    /// Bits of an IPv4 address below the bucket number (16 or 12).
    var v4KeyBits = 16
    /// Bucket boundaries into the interval arrays (2^(32 − keyBits) + 1 of them).
    var v4Buckets: [UInt32] = []
    var v4Starts: [UInt16] = []
    var v4Values: [UInt32] = []
    var v6Buckets: [UInt32] = []
    var v6StartsHigh: [UInt64] = []
    var v6StartsLow: [UInt64] = []
    var v6Values: [UInt32] = []

    /// The IPv4 interval starts paired with a 32-bit payload each (`start << 32 | payload`),
    /// so that the interval found and its payload share a cache line.
    func v4Pairs(payload: (UInt32) -> UInt32) -> [UInt64] {
        zip(v4Starts, v4Values).map { UInt64($0) << 32 | UInt64(payload($1)) }
    }

    /// Every `v6SampleStride`-th IPv6 start's high half.
    var v6Samples: [UInt64] { stride(from: 0, to: v6StartsHigh.count, by: AddressTableBuild.v6SampleStride).map { v6StartsHigh[$0] } }
    static let v6SampleStride = 16

    /// Intervals from which the wider direct table pays off.
    static let wideTableThreshold = 100_000

    /// A table of the intervals; `wide` forces (or forbids) the 2²⁰-bucket IPv4 table.
    init(v4: [IntervalBuilder.Interval], v6: [IntervalBuilder.Interval], wide: Bool? = nil) {
        v4KeyBits = wide ?? (v4.count >= AddressTableBuild.wideTableThreshold) ? 12 : 16
        (v4Buckets, v4Starts, v4Values) = AddressTableBuild.bucketsV4(v4, keyBits: v4KeyBits)
        (v6Buckets, v6StartsHigh, v6StartsLow, v6Values) = AddressTableBuild.bucketsV6(v6)
    }

    private static func bucketsV4(_ intervals: [IntervalBuilder.Interval], keyBits: Int) -> ([UInt32], [UInt16], [UInt32]) {
        let bucketCount = 1 << (32 - keyBits)
        var buckets = [UInt32](repeating: 0, count: bucketCount + 1)
        var starts: [UInt16] = []
        var values: [UInt32] = []
        var index = 0  // the interval covering the current bucket's first address
        let keyMask = UInt128(1 << keyBits) - 1
        for bucket in 0..<bucketCount {
            let bucketStart = UInt128(bucket) << keyBits
            let bucketEnd = bucketStart | keyMask
            while index + 1 < intervals.count && intervals[index + 1].start <= bucketStart { index += 1 }
            buckets[bucket] = UInt32(starts.count)
            starts.append(0)
            values.append(intervals[index].value)
            var next = index + 1
            while next < intervals.count && intervals[next].start <= bucketEnd {
                starts.append(UInt16(truncatingIfNeeded: intervals[next].start & keyMask))
                values.append(intervals[next].value)
                next += 1
            }
        }
        buckets[bucketCount] = UInt32(starts.count)
        return (buckets, starts, values)
    }

    private static func bucketsV6(_ intervals: [IntervalBuilder.Interval]) -> ([UInt32], [UInt64], [UInt64], [UInt32]) {
        var buckets = [UInt32](repeating: 0, count: 65537)
        var high: [UInt64] = []
        var low: [UInt64] = []
        var values: [UInt32] = []
        var index = 0
        for bucket in 0..<65536 {
            let bucketStart = UInt128(bucket) << 112
            let bucketEnd = bucketStart | (UInt128.max >> 16)
            while index + 1 < intervals.count && intervals[index + 1].start <= bucketStart { index += 1 }
            buckets[bucket] = UInt32(high.count)
            high.append(UInt64(truncatingIfNeeded: bucketStart >> 64))
            low.append(0)
            values.append(intervals[index].value)
            var next = index + 1
            while next < intervals.count && intervals[next].start <= bucketEnd {
                high.append(UInt64(truncatingIfNeeded: intervals[next].start >> 64))
                low.append(UInt64(truncatingIfNeeded: intervals[next].start))
                values.append(intervals[next].value)
                next += 1
            }
        }
        buckets[65536] = UInt32(high.count)
        return (buckets, high, low, values)
    }
}

/// The lookup side of an address table, over memory of a snapshot (or of a build).
struct AddressTable: @unchecked Sendable {
    // @unchecked: plain pointers into an immutable mapping that outlives the table.
    /// Bits of an IPv4 address below the bucket number.
    let v4KeyBits: Int
    let v4Buckets: UnsafeBufferPointer<UInt32>
    /// Interval starts (within their bucket) in the high 32 bits, the payload in the low 32.
    let v4Pairs: UnsafeBufferPointer<UInt64>
    let v4Values: UnsafeBufferPointer<UInt32>
    let v6Buckets: UnsafeBufferPointer<UInt32>
    let v6StartsHigh: UnsafeBufferPointer<UInt64>
    let v6StartsLow: UnsafeBufferPointer<UInt64>
    let v6Values: UnsafeBufferPointer<UInt32>
    /// `v6StartsHigh[k * 16]` for every k.
    let v6Samples: UnsafeBufferPointer<UInt64>

    /// The value of the interval holding `address` (`noValue` when none).
    @inline(__always)
    func value(v4 address: UInt32) -> UInt32 {
        v4Values[position(v4: address)]
    }

    /// The payload of the interval holding `address` (the most specific record).
    @inline(__always)
    func payload(v4 address: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: v4Pairs[position(v4: address)])
    }

    /// The index of the interval holding `address` in the IPv4 interval arrays.
    @inline(__always)
    func position(v4 address: UInt32) -> Int {
        let bucket = Int(address >> UInt32(v4KeyBits))
        let low = Int(v4Buckets[bucket])
        let count = Int(v4Buckets[bucket + 1]) - low
        let key = UInt16(truncatingIfNeeded: address & ((1 << UInt32(v4KeyBits)) - 1))
        // Branch-light binary search for the last start ≤ key (the first start is 0).
        guard count > 1, let pairs = v4Pairs.baseAddress else { return low }
        return beian_search_starts16(UnsafeRawPointer(pairs).assumingMemoryBound(to: CUnsignedLongLong.self), low, count, UInt32(key))
    }

    @inline(__always)
    func value(v6 address: UInt128) -> UInt32 {
        let (low, windowEnd, end) = window(v6: address)
        return v6Values[search(v6: address, low, windowEnd, end)]
    }

    /// Where the interval holding `address` lies: `low ..< windowEnd`, in the bucket that ends
    /// at `end`. Large buckets are narrowed through the samples (every 16th start's high half,
    /// a table small enough to stay cached) to a window of at most 17 starts, 2 or 3 lines.
    @inline(__always)
    private func window(v6 address: UInt128) -> (low: Int, windowEnd: Int, end: Int) {
        let bucket = Int(address >> 112)
        var low = Int(v6Buckets[bucket])
        let end = Int(v6Buckets[bucket + 1])
        var windowEnd = end
        let stride = AddressTableBuild.v6SampleStride
        if end - low > 2 * stride, let samples = v6Samples.baseAddress {
            let first = (low + stride - 1) / stride
            let last = min((end - 1) / stride, v6Samples.count - 1)
            let below = beian_search_below64(
                UnsafeRawPointer(samples).assumingMemoryBound(to: CUnsignedLongLong.self), first, last - first + 1,
                CUnsignedLongLong(truncatingIfNeeded: address >> 64))
            if below >= first { low = below * stride }
            // The start after the window has a high half ≥ the address's: the answer lies
            // before it, unless the two are equal (then the search goes on past the window).
            windowEnd = min(end, (below >= first ? below + 1 : first) * stride + 1)
        }
        return (low, windowEnd, end)
    }

    /// The position of the interval holding `address`, searched in its window.
    @inline(__always)
    private func search(v6 address: UInt128, _ low: Int, _ windowEnd: Int, _ end: Int) -> Int {
        let high = UInt64(truncatingIfNeeded: address >> 64)
        let lowBits = UInt64(truncatingIfNeeded: address)
        var found = search(v6: low, windowEnd, high, lowBits)
        if found == windowEnd - 1 && windowEnd < end && v6StartsHigh[windowEnd] == high {
            found = search(v6: found, end, high, lowBits)
        }
        return found
    }

    /// The values of many IPv6 addresses at once, in groups whose memory reads overlap (the
    /// windows of a whole group are fetched before any is searched).
    func values(v6 addresses: UnsafeBufferPointer<UInt128>, into output: UnsafeMutableBufferPointer<UInt32>) {
        guard let high = v6StartsHigh.baseAddress, let lowBits = v6StartsLow.baseAddress, let values = v6Values.baseAddress else { return }
        let group = AddressTable.batchGroup
        withUnsafeTemporaryAllocation(of: (low: Int, windowEnd: Int, end: Int).self, capacity: group) { windows in
            var base = 0
            while base < addresses.count {
                let size = min(group, addresses.count - base)
                for j in 0..<size {
                    let window = window(v6: addresses[base + j])
                    windows[j] = window
                    var line = window.low
                    while line < window.windowEnd {
                        beian_prefetch(high + line)
                        beian_prefetch(lowBits + line)
                        line += 8
                    }
                }
                for j in 0..<size {
                    let (low, windowEnd, end) = windows[j]
                    let found = search(v6: addresses[base + j], low, windowEnd, end)
                    windows[j].low = found
                    beian_prefetch(values + found)
                }
                for j in 0..<size { output[base + j] = values[windows[j].low] }
                base += size
            }
        }
    }

    /// The last start in `low ..< end` that is ≤ the address (`low` when none after it is).
    @inline(__always)
    private func search(v6 start: Int, _ end: Int, _ high: UInt64, _ lowBits: UInt64) -> Int {
        var low = start
        var count = end - start
        while count > 1 {
            let half = count >> 1
            let probe = low + half
            let startHigh = v6StartsHigh[probe]
            if startHigh < high || (startHigh == high && v6StartsLow[probe] <= lowBits) { low = probe }
            count -= half
        }
        return low
    }

    /// The interval positions of many IPv4 addresses at once. For each group of addresses the
    /// bucket boundaries are prefetched first, then each bucket's intervals, then the searches
    /// run on cached lines: the memory reads of a group overlap instead of queueing one
    /// behind another.
    func positions(v4 addresses: UnsafeBufferPointer<UInt32>, into output: UnsafeMutableBufferPointer<UInt32>) {
        let shift = UInt32(v4KeyBits)
        guard let buckets = v4Buckets.baseAddress, let pairs = v4Pairs.baseAddress, !addresses.isEmpty else { return }
        let group = AddressTable.batchGroup
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * group) { scratch in
            guard let lows = scratch.baseAddress else { return }
            let counts = lows + group
            // Software pipeline: while one group is searched, the next group's buckets are
            // already on their way.
            for j in 0..<min(group, addresses.count) { beian_prefetch(buckets + Int(addresses[j] >> shift)) }
            var base = 0
            while base < addresses.count {
                let size = min(group, addresses.count - base)
                for j in 0..<size {
                    let bucket = Int(addresses[base + j] >> shift)
                    let low = Int(buckets[bucket])
                    lows[j] = low
                    counts[j] = Int(buckets[bucket + 1]) - low
                    // Every line of a bucket of up to 128 intervals (the searches then run on
                    // cached lines; bandwidth is plentiful, latency is not), the middle of
                    // larger ones.
                    let count = counts[j]
                    if count <= 128 {
                        var line = 0
                        while line < count {
                            beian_prefetch(pairs + low + line)
                            line += 8
                        }
                        beian_prefetch(pairs + low + count - 1)
                    } else {
                        beian_prefetch(pairs + low + count / 2)
                        beian_prefetch(pairs + low + count / 4)
                        beian_prefetch(pairs + low + 3 * count / 4)
                    }
                }
                let next = base + size
                for j in next..<min(next + group, addresses.count) { beian_prefetch(buckets + Int(addresses[j] >> shift)) }
                for j in 0..<size {
                    output[base + j] = UInt32(truncatingIfNeeded: search(low: lows[j], count: counts[j], address: addresses[base + j]))
                }
                base = next
            }
        }
    }

    /// Addresses handled together by the batched lookup.
    static let batchGroup = 32

    /// The binary search of `position(v4:)` inside one bucket.
    @inline(__always)
    private func search(low start: Int, count total: Int, address: UInt32) -> Int {
        let low = start
        let count = total
        let key = UInt16(truncatingIfNeeded: address & ((1 << UInt32(v4KeyBits)) - 1))
        guard count > 1, let pairs = v4Pairs.baseAddress else { return low }
        return beian_search_starts16(UnsafeRawPointer(pairs).assumingMemoryBound(to: CUnsignedLongLong.self), low, count, UInt32(key))
    }

    func value(_ address: IPAddress) -> UInt32 {
        switch address {
        case .v4(let a): value(v4: a.value)
        case .v6(let a): value(v6: a.value)
        }
    }
}
