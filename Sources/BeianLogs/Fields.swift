import BeianCore

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Byte-level helpers shared by the log parsers: fields are ranges of the line, values are
/// parsed straight from bytes.
enum Fields {
    /// The ranges of `line` between `separator` bytes: all of them, or the first `limit` (a
    /// reader that uses the first columns only does not look for the ends of the others).
    static func split(_ line: UnsafeRawBufferPointer, by separator: UInt8, into ranges: inout [Range<Int>], limit: Int = .max) {
        ranges.removeAll(keepingCapacity: true)
        guard let base = line.baseAddress else {
            ranges.append(0..<0)
            return
        }
        // memchr from separator to separator: fields are long, separators few.
        var start = 0
        while ranges.count < limit {
            guard start < line.count, let found = memchr(base + start, Int32(separator), line.count - start) else {
                ranges.append(start..<line.count)
                return
            }
            let index = UnsafeRawPointer(found) - base
            ranges.append(start..<index)
            start = index + 1
        }
    }

    /// Fields separated by runs of spaces, and quoted (`"…"`) or bracketed (`[…]`) fields taken
    /// whole (their delimiters removed), as web and proxy logs write them.
    static func words(_ line: UnsafeRawBufferPointer, into ranges: inout [Range<Int>]) -> Bool {
        ranges.removeAll(keepingCapacity: true)
        var index = 0
        let count = line.count
        while index < count {
            while index < count && line[index] == 0x20 { index += 1 }
            guard index < count else { break }
            let opener = line[index]
            if opener == 0x22 || opener == 0x5B {
                let closer: UInt8 = opener == 0x22 ? 0x22 : 0x5D
                var end = index + 1
                while end < count && line[end] != closer {
                    if line[end] == 0x5C && opener == 0x22 { end += 1 }  // \" inside quotes
                    end += 1
                }
                guard end < count else { return false }
                ranges.append((index + 1)..<end)
                index = end + 1
            } else {
                var end = index
                while end < count && line[end] != 0x20 { end += 1 }
                ranges.append(index..<end)
                index = end
            }
        }
        return true
    }

    static func slice(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[range])
    }

    static func equals(_ bytes: UnsafeRawBufferPointer, _ other: [UInt8]) -> Bool {
        guard bytes.count == other.count else { return false }
        return other.withUnsafeBytes { other in
            guard let left = bytes.baseAddress, let right = other.baseAddress else { return true }  // both empty
            return memcmp(left, right, bytes.count) == 0
        }
    }

    static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let start = text.utf8Start
        for index in 0..<bytes.count where bytes[index] != start[index] { return false }
        return true
    }

    static func string(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

    static func address(_ bytes: UnsafeRawBufferPointer) -> IPAddress? {
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        return bytes.withMemoryRebound(to: UInt8.self) { try? IPAddress.parse(utf8: $0) }
    }

    static func integer(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// Seconds since 1970 with an optional fraction (`1772380500.442098`), in nanoseconds.
    static func epoch(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 32 else { return nil }
        var seconds: Int64 = 0
        var index = 0
        var digits = 0
        while index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 {
            guard digits < 10 else { return nil }  // ten digits at most: the multiplication below cannot overflow
            seconds = seconds * 10 + Int64(bytes[index] - 0x30)
            index += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        var nanoseconds: Int64 = 0
        if index < bytes.count {
            guard bytes[index] == 0x2E else { return nil }
            index += 1
            var scale: Int64 = 100_000_000
            while index < bytes.count {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                nanoseconds += Int64(byte - 0x30) * scale
                scale /= 10
                index += 1
            }
        }
        // Ten digits of seconds reach the year 2286; nanoseconds in 64 bits end in 2262.
        guard let whole = Self.nanoseconds(seconds: seconds) else { return nil }
        let (value, overflow) = whole.addingReportingOverflow(nanoseconds)
        return overflow ? nil : value
    }

    /// Seconds in nanoseconds, nil beyond what 64 bits hold (years past 2262 or before 1677).
    static func nanoseconds(seconds: Int64) -> Int64? {
        let (value, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? nil : value
    }

    /// A host name (checked and normalised), or nil.
    static func host(_ bytes: UnsafeRawBufferPointer) -> String? { HostName.fromAuthority(bytes) }
}
