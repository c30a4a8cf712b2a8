import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the fuzz targets share: the input as a file (for readers that take paths), and a
/// reader of small integers off the front of the input (to choose a format or a split).
public enum FuzzInput {
    /// Runs `body` with the path of a file holding `bytes`, named with `suffix` (readers pick
    /// formats by it). The file is in memory (`/dev/shm` when there is one) and rewritten for
    /// every input.
    public static func withFile<R>(_ bytes: UnsafeRawBufferPointer, suffix: String, _ body: (String) -> R) -> R {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(directory)/beian-fuzz-\(getpid())\(suffix)"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { fatalError("cannot write \(path)") }
        var written = 0
        while written < bytes.count, let base = bytes.baseAddress {
            let result = write(descriptor, base + written, bytes.count - written)
            guard result > 0 else { fatalError("cannot write \(path)") }
            written += result
        }
        close(descriptor)
        return body(path)
    }
}

/// Reads choices off the front of a fuzz input; the rest is the data.
public struct FuzzBytes {
    public private(set) var rest: UnsafeRawBufferPointer

    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        rest = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    }

    /// The next byte, or 0 when the input is used up.
    public mutating func byte() -> UInt8 {
        guard let first = rest.first else { return 0 }
        rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst())
        return first
    }

    /// The next two bytes, big-endian.
    public mutating func uint16() -> Int {
        Int(byte()) << 8 | Int(byte())
    }

    /// The next `count` bytes (fewer at the end).
    public mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let taken = UnsafeRawBufferPointer(rebasing: rest.prefix(count))
        rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(taken.count))
        return taken
    }

    /// The rest cut into pieces, each preceded by its two-byte length.
    public mutating func pieces() -> [UnsafeRawBufferPointer] {
        var pieces: [UnsafeRawBufferPointer] = []
        while !rest.isEmpty { pieces.append(take(uint16())) }
        return pieces
    }
}

/// Fails loudly when a reader breaks one of its own promises (libFuzzer counts it a crash).
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data("fuzz check failed: \(message())\n".utf8))
        abort()
    }
}
