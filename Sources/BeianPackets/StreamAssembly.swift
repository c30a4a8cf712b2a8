/// The first bytes of a byte stream put together from pieces that arrive out of order,
/// repeated or overlapping (TCP segments, QUIC CRYPTO frames), up to a limit.
///
/// Memory: at most `limit` bytes plus the list of filled ranges (bounded by
/// `maximumRanges`; a stream more fragmented than that is given up).
struct StreamAssembly {
    /// Separate filled ranges kept at most before the stream is given up.
    static let maximumRanges = 64

    private(set) var bytes: [UInt8] = []
    /// Filled ranges, sorted and disjoint, not touching.
    private(set) var ranges: [Range<Int>] = []
    let limit: Int
    /// A piece fell beyond the limit or the ranges overflowed: the stream is incomplete.
    private(set) var overflowed = false

    init(limit: Int) {
        self.limit = limit
    }

    /// Bytes available from offset 0 without a gap.
    var contiguous: Int { ranges.first.map { $0.lowerBound == 0 ? $0.upperBound : 0 } ?? 0 }

    /// Whether anything beyond the contiguous prefix has arrived (a gap).
    var hasGap: Bool { ranges.count > 1 || (ranges.first.map { $0.lowerBound > 0 } ?? false) }

    /// Puts `piece` at stream offset `offset`. Bytes at or past `limit` are dropped and mark
    /// the stream as overflowed.
    mutating func insert(_ piece: UnsafeRawBufferPointer, at offset: Int) {
        guard offset >= 0, !piece.isEmpty else { return }
        var end = offset + piece.count
        if end > limit {
            overflowed = true
            end = limit
        }
        guard offset < end else { return }
        if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
        bytes.withUnsafeMutableBytes { target in
            UnsafeMutableRawBufferPointer(rebasing: target[offset..<end]).copyMemory(from: piece.slice(0, end - offset))
        }
        add(offset..<end)
    }

    private mutating func add(_ range: Range<Int>) {
        var merged = range
        var kept: [Range<Int>] = []
        kept.reserveCapacity(ranges.count + 1)
        var placed = false
        for existing in ranges {
            if existing.upperBound < merged.lowerBound {
                kept.append(existing)
            } else if existing.lowerBound > merged.upperBound {
                if !placed {
                    kept.append(merged)
                    placed = true
                }
                kept.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)..<max(existing.upperBound, merged.upperBound)
            }
        }
        if !placed { kept.append(merged) }
        if kept.count > Self.maximumRanges { overflowed = true }
        ranges = kept
    }

    /// Forgets the first `count` bytes (consumed), shifting the rest to offset 0.
    mutating func drop(_ count: Int) {
        guard count > 0 else { return }
        bytes.removeFirst(min(count, bytes.count))
        ranges = ranges.compactMap { range in
            let lower = max(range.lowerBound - count, 0)
            let upper = range.upperBound - count
            return upper > lower ? lower..<upper : nil
        }
    }
}
