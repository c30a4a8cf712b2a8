internal import CDeflate
internal import CZlibBeian
import Synchronization

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Why an input could not be read: the file, where in it, and what went wrong.
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let cannotOpen = Code("cannot-open")
        public static let readFailed = Code("read-failed")
        public static let corruptCompression = Code("corrupt-compression")
        public static let truncated = Code("truncated")
        public static let tooLarge = Code("too-large")
        public static let unsupported = Code("unsupported")
    }

    public let code: Code
    public let file: String
    /// Byte offset in the file (compressed offset for compressed inputs), when known.
    public let offset: Int64?
    public let reason: String

    public init(_ code: Code, file: String, offset: Int64? = nil, _ reason: String) {
        self.code = code
        self.file = file
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        offset.map { "\(file): at byte \($0): \(reason)" } ?? "\(file): \(reason)"
    }

    public static func == (lhs: InputError, rhs: InputError) -> Bool { lhs.code == rhs.code && lhs.file == rhs.file }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(file)
    }
}

/// A source of bytes read front to back: a file, or the decompressed content of one.
///
/// Not thread-safe: one reader owns it.
public protocol ByteStream: AnyObject {
    /// The name used in messages (the path).
    var name: String { get }
    /// Fills the front of `buffer`; returns how many bytes were written, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
    /// Bytes consumed from the underlying file so far (for progress and error offsets).
    var fileOffset: Int64 { get }
}

/// Opens inputs, undoing gzip compression transparently.
public enum InputFile {
    /// Size of the chunks handed to readers.
    public static let chunkSize = 1 << 20

    /// Opens `path` (`-` is standard input). A gzip file (magic `1f 8b`) is decompressed on
    /// the fly, including files of several concatenated members.
    public static func open(_ path: String) throws(InputError) -> any ByteStream {
        let file = try FileByteStream.reopen(path)
        let magic = try file.peek(2)
        if magic == [0x1F, 0x8B] {
            return try GzipByteStream(source: file)
        }
        return file
    }

    /// The first `count` bytes of `path` (fewer for a shorter file), without decompression.
    public static func magic(of path: String, count: Int = 8) throws(InputError) -> [UInt8] {
        guard isStream(path) else { return try FileByteStream(path: path).peek(count) }
        let file = try FileByteStream.reopen(path)
        defer { HeldStreams.hold(file, for: path) }
        return try file.peek(count)
    }

    /// The first `count` bytes of `path` after gzip is undone (fewer for a shorter file); nil
    /// when it cannot be opened.
    public static func head(of path: String, count: Int) -> [UInt8]? {
        guard isStream(path) else { return (try? open(path)).map { Self.head(of: $0, count: count) } }
        // A stream is read once: its first bytes are kept with it (raw, as the reader that
        // opens it next must see them) and decompressed here from a copy.
        guard let file = try? FileByteStream.reopen(path) else { return nil }
        defer { HeldStreams.hold(file, for: path) }
        guard let raw = try? file.peek(max(count, streamHeadBytes)) else { return nil }
        guard raw.starts(with: [0x1F, 0x8B]) else { return Array(raw.prefix(count)) }
        guard let inflated = try? GzipByteStream(source: BytesByteStream(name: path, bytes: raw)) else { return [] }
        return Self.head(of: inflated, count: count)
    }

    /// Raw bytes looked at, at most, to tell what a stream holds: enough for a gzip member's
    /// first decompressed bytes.
    static let streamHeadBytes = 1 << 16

    private static func head(of stream: any ByteStream, count: Int) -> [UInt8] {
        var head = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = head.withUnsafeMutableBytes { (try? stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]))) ?? 0 }
            if got == 0 { break }
            filled += got
        }
        return Array(head[..<filled])
    }

    /// Whether `path` can be read only once, front to back: standard input (`-`), a FIFO (a
    /// shell's `<(…)` included), a character device or a socket. Such an input is looked at
    /// and then read through one open descriptor (`HeldStreams`), never opened twice.
    public static func isStream(_ path: String) -> Bool {
        if path == "-" { return true }
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR && type != S_IFBLK
    }

    /// Size of the file at `path`, when it is a regular file.
    public static func size(of path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}

extension ByteStream {
    /// Calls `body` with successive chunks until the end of the stream.
    public func forEachChunk(size: Int = InputFile.chunkSize, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try read(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Reads everything, refusing more than `limit` bytes.
    public func readAll(limit: Int) throws(InputError) -> [UInt8] {
        var result: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try read(into: buffer)
            if count == 0 { return result }
            guard result.count + count <= limit else {
                throw InputError(.tooLarge, file: name, "larger than the limit of \(limit) bytes")
            }
            result.append(contentsOf: buffer[..<count])
        }
    }
}

/// Inputs that can be read only once (`InputFile.isStream`), opened to look at their first
/// bytes and kept open, with those bytes, for the reader that opens them next: reading
/// `<(zcat capture.pcap.gz)` or standard input must not lose what format detection read.
enum HeldStreams {
    /// `@unchecked Sendable`: a held stream belongs to the table until `take` hands it, whole,
    /// to one reader; nobody else keeps a reference.
    private final class Held: @unchecked Sendable {
        let stream: FileByteStream
        init(_ stream: FileByteStream) { self.stream = stream }
    }

    private static let table = Mutex<[String: Held]>([:])

    static func hold(_ stream: FileByteStream, for path: String) {
        let held = Held(stream)
        table.withLock { $0[path] = held }
    }

    static func take(_ path: String) -> FileByteStream? {
        table.withLock { $0.removeValue(forKey: path) }?.stream
    }
}

/// Bytes already in memory, read as a stream (the head of a held stream, decompressed).
final class BytesByteStream: ByteStream {
    let name: String
    private let bytes: [UInt8]
    private var position = 0
    var fileOffset: Int64 { Int64(position) }

    init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let count = min(buffer.count, bytes.count - position)
        buffer.copyBytes(from: bytes[position..<(position + count)])
        position += count
        return count
    }
}

/// A file read with `read(2)`, with a small look-ahead for format detection.
final class FileByteStream: ByteStream {
    let name: String
    private let descriptor: Int32
    private var pending: [UInt8] = []
    private(set) var fileOffset: Int64 = 0

    init(path: String) throws(InputError) {
        name = path
        if path == "-" {
            descriptor = 0
            return
        }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputError(.cannotOpen, file: path, String(cString: strerror(errno)))
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw InputError(.cannotOpen, file: path, "is a directory")
        }
        descriptor = fd
    }

    deinit {
        if descriptor > 0 { close(descriptor) }
    }

    /// The held stream of `path` when format detection left one, else the file opened anew.
    static func reopen(_ path: String) throws(InputError) -> FileByteStream {
        if let held = HeldStreams.take(path) { return held }
        return try FileByteStream(path: path)
    }

    /// The next `count` bytes without consuming them.
    func peek(_ count: Int) throws(InputError) -> [UInt8] {
        while pending.count < count {
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: count - pending.count, alignment: 1)
            defer { chunk.deallocate() }
            let got = try readRaw(into: chunk)
            if got == 0 { break }
            pending += chunk[..<got]
        }
        return Array(pending.prefix(count))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if !pending.isEmpty {
            let count = min(pending.count, buffer.count)
            buffer.copyBytes(from: pending[..<count])
            pending.removeFirst(count)
            return count
        }
        return try readRaw(into: buffer)
    }

    private func readRaw(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        while true {
            let got = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if got >= 0 {
                fileOffset += Int64(got)
                return got
            }
            if errno == EINTR { continue }
            throw InputError(.readFailed, file: name, offset: fileOffset, String(cString: strerror(errno)))
        }
    }
}

/// A stream that knows where the gzip members of its file start: WARC files compress each
/// record as a member of its own, and tools name a record by its member's offset in the file.
public protocol GzipMemberOffsets: AnyObject {
    /// The offset in the compressed file of the member that starts at `decompressed` (an
    /// offset in the decompressed content), or nil when no member starts there. Members
    /// before it are forgotten: ask in increasing order.
    func compressedOffset(ofMemberStartingAt decompressed: Int64) -> Int64?
}

/// The decompressed content of a gzip stream (RFC 1952), member after member.
final class GzipByteStream: ByteStream, GzipMemberOffsets {
    /// Where members start (decompressed offset, compressed offset), oldest first; bounded by
    /// the readers asking (`compressedOffset(ofMemberStartingAt:)` drops what it passed).
    private var memberStarts: [(decompressed: Int64, compressed: Int64)] = [(0, 0)]
    private var memberCursor = 0
    private var decompressedTotal: Int64 = 0
    /// Member starts kept at most when nobody asks.
    private static let maximumMemberStarts = 1 << 16

    func compressedOffset(ofMemberStartingAt decompressed: Int64) -> Int64? {
        while memberCursor < memberStarts.count && memberStarts[memberCursor].decompressed < decompressed { memberCursor += 1 }
        if memberCursor > 4096 {
            memberStarts.removeFirst(memberCursor)
            memberCursor = 0
        }
        guard memberCursor < memberStarts.count, memberStarts[memberCursor].decompressed == decompressed else { return nil }
        return memberStarts[memberCursor].compressed
    }

    private let source: any ByteStream
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnd = false
    private var finished = false
    private var memberDone = false

    /// Members are read whole by libdeflate (two to three times zlib's speed) while each fits
    /// in `maximumMember` bytes, compressed and decompressed. The first that does not, or that
    /// libdeflate refuses (cut, corrupt, not gzip), and everything after it, go through zlib
    /// as a stream: errors, their offsets and what comes out before them are zlib's.
    private var wholeMembers: Bool
    private let maximumMember: Int
    /// Compressed bytes held for whole members: `window[windowStart..<windowEnd]`, which starts
    /// at `windowOffset` in the file.
    private var window: UnsafeMutableRawBufferPointer
    private var windowStart = 0
    private var windowEnd = 0
    private var windowOffset: Int64 = 0
    /// The member read last, handed out from `pendingStart`.
    private var pending: UnsafeMutableRawBufferPointer
    private var pendingStart = 0
    private var pendingEnd = 0
    private var decompressor: OpaquePointer?

    var name: String { source.name }
    var fileOffset: Int64 { wholeMembers ? windowOffset + Int64(windowStart) : streamOffset }

    /// Members up to this size (compressed and decompressed) are read whole. A file gzipped
    /// as one large member costs at most about twice this in decompression before zlib takes over.
    static let defaultMaximumMember = 8 << 20

    init(source: any ByteStream, maximumMember: Int = GzipByteStream.defaultMaximumMember, libdeflate: Bool = true) throws(InputError) {
        self.source = source
        self.maximumMember = maximumMember
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        decompressor = libdeflate ? libdeflate_alloc_decompressor() : nil
        wholeMembers = decompressor != nil
        windowOffset = source.fileOffset
        window = UnsafeMutableRawBufferPointer.allocate(byteCount: wholeMembers ? min(1 << 20, maximumMember) : 0, alignment: 16)
        pending = UnsafeMutableRawBufferPointer.allocate(byteCount: wholeMembers ? min(1 << 18, maximumMember) : 0, alignment: 16)
        let rc = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            input.deallocate()
            window.deallocate()
            pending.deallocate()
            if let decompressor { libdeflate_free_decompressor(decompressor) }
            throw InputError(.corruptCompression, file: source.name, "zlib initialisation failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
        window.deallocate()
        pending.deallocate()
        if let decompressor { libdeflate_free_decompressor(decompressor) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if let error = pendingError {
            pendingError = nil
            finished = true
            throw error
        }
        guard !finished, buffer.count > 0 else { return 0 }
        var produced = 0
        while wholeMembers && produced < buffer.count {
            if pendingStart == pendingEnd {
                guard try nextWholeMember() else { break }
                continue
            }
            let count = min(buffer.count - produced, pendingEnd - pendingStart)
            guard let to = buffer.baseAddress, let from = pending.baseAddress else { break }
            (to + produced).copyMemory(from: from + pendingStart, byteCount: count)
            pendingStart += count
            produced += count
        }
        decompressedTotal += Int64(produced)
        if finished || produced == buffer.count || wholeMembers { return produced }
        do {
            return try produced + readStreaming(into: UnsafeMutableRawBufferPointer(rebasing: buffer[produced...]))
        } catch {
            // The whole members' bytes of this read go out first; the error comes next.
            guard produced > 0 else { throw error }
            pendingError = error
            return produced
        }
    }

    /// Reads the next member whole into `pending`. False when the stream has ended (then
    /// `finished`) or when zlib takes over from here (then `wholeMembers` is false).
    private func nextWholeMember() throws(InputError) -> Bool {
        guard let decompressor else { return handOverToZlib() }
        while true {
            if windowStart == windowEnd {
                guard try fillWindow() else {
                    // The end: after a whole member, the stream is done; with none, zlib says
                    // what a stream without a member is.
                    guard anyMember else { return handOverToZlib() }
                    finished = true
                    return false
                }
            }
            guard let compressed = window.baseAddress, let output = pending.baseAddress else { return handOverToZlib() }
            var used = 0
            var made = 0
            let result = libdeflate_gzip_decompress_ex(
                decompressor, compressed + windowStart, windowEnd - windowStart, output, pending.count, &used, &made)
            switch result {
            case LIBDEFLATE_SUCCESS:
                wholeDecompressed += Int64(made)
                windowStart += used
                pendingStart = 0
                pendingEnd = made
                anyMember = true
                if memberStarts.count - memberCursor < Self.maximumMemberStarts {
                    memberStarts.append((wholeDecompressed, windowOffset + Int64(windowStart)))
                }
                return true
            case LIBDEFLATE_INSUFFICIENT_SPACE:
                guard pending.count < maximumMember else { return handOverToZlib() }
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(maximumMember, pending.count * 2), alignment: 16)
                pending.deallocate()
                pending = larger
            default:
                // Cut by the window's end, or really cut or corrupt: more input, if there is
                // room for it and some to read; else zlib says what is wrong.
                guard !inputEnd, windowEnd - windowStart < maximumMember, try fillWindow() else { return handOverToZlib() }
            }
        }
    }

    /// Moves what is held to the front of the window (growing it when full, up to
    /// `maximumMember`) and reads more. False when nothing more could be read.
    private func fillWindow() throws(InputError) -> Bool {
        guard !inputEnd, let base = window.baseAddress else { return false }
        if windowStart > 0 {
            base.copyMemory(from: base + windowStart, byteCount: windowEnd - windowStart)
            windowOffset += Int64(windowStart)
            windowEnd -= windowStart
            windowStart = 0
        }
        if windowEnd == window.count {
            guard window.count < maximumMember else { return false }
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(maximumMember, window.count * 2), alignment: 16)
            if let to = larger.baseAddress { to.copyMemory(from: base, byteCount: windowEnd) }
            window.deallocate()
            window = larger
        }
        var read = 0
        while windowEnd < window.count {
            let got = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: window[windowEnd...]))
            if got == 0 {
                inputEnd = true
                break
            }
            windowEnd += got
            read += got
        }
        // The source's offset counts bytes it looked at before handing them out (a format
        // check's peek): taken after a read, it is the offset of the window's end.
        windowOffset = source.fileOffset - Int64(windowEnd)
        return read > 0
    }

    /// From here on zlib reads the stream, starting with the bytes the window holds.
    private func handOverToZlib() -> Bool {
        wholeMembers = false
        handOver = windowEnd - windowStart
        return false
    }

    /// Decompressed bytes of the whole members read (handed out or pending).
    private var wholeDecompressed: Int64 = 0
    private var anyMember = false
    /// Bytes of the window zlib reads before the source.
    private var handOver = 0

    /// An error met after some bytes of a read came out: those are handed out first, and the
    /// error with the next read (a file cut short keeps what came before the cut).
    private var pendingError: InputError?

    private func readStreaming(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        /// Hands out what this read produced before `error`, or throws it when nothing was.
        func fail(_ error: InputError) throws(InputError) -> Int {
            let produced = buffer.count - Int(stream.avail_out)
            guard produced > 0 else {
                finished = true
                throw error
            }
            pendingError = error
            decompressedTotal += Int64(produced)
            return produced
        }
        stream.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && handOver > 0, let base = window.baseAddress {
                // The window's bytes first, a piece at a time (`avail_in` is 32 bits).
                let count = min(handOver, 1 << 18)
                stream.next_in = (base + windowEnd - handOver).assumingMemoryBound(to: Bytef.self)
                stream.avail_in = UInt32(count)
                handOver -= count
            }
            if stream.avail_in == 0 && !inputEnd {
                let got = try source.read(into: input)
                if got == 0 {
                    inputEnd = true
                } else {
                    stream.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = UInt32(got)
                }
            }
            if stream.avail_in == 0 && inputEnd && handOver == 0 {
                let produced = buffer.count - Int(stream.avail_out)
                if !memberDone {
                    return try fail(
                        InputError(.truncated, file: name, offset: fileOffset, "gzip stream ends before its end marker (truncated file)"))
                }
                finished = true
                decompressedTotal += Int64(produced)
                return produced
            }
            if memberDone {
                // Another member follows the one that ended.
                inflateReset(&stream)
                memberDone = false
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            if rc == Z_STREAM_END {
                memberDone = true
                if memberStarts.count - memberCursor < Self.maximumMemberStarts {
                    memberStarts.append((decompressedTotal + Int64(buffer.count - Int(stream.avail_out)), streamOffset))
                }
                continue
            }
            if rc != Z_OK && rc != Z_BUF_ERROR {
                let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                return try fail(InputError(.corruptCompression, file: name, offset: fileOffset, "corrupt gzip data: \(message)"))
            }
        }
        decompressedTotal += Int64(buffer.count)
        return buffer.count
    }

    /// The compressed offset of zlib's next byte.
    private var streamOffset: Int64 {
        source.fileOffset - Int64(stream.avail_in) - Int64(handOver)
    }
}

/// Compression with zlib, for writers (WARC records, gzip-encoded bodies).
public enum Compression {
    public enum Format: Sendable {
        /// RFC 1952: a gzip member with header and CRC.
        case gzip
        /// RFC 1950: zlib-wrapped deflate (HTTP's `Content-Encoding: deflate`).
        case zlib
    }

    /// `bytes` compressed in one member (level 6). Nil only if zlib fails, which it does not for
    /// memory it was given.
    public static func compress(_ bytes: [UInt8], format: Format = .gzip) -> [UInt8]? {
        var stream = z_stream()
        let windowBits = format == .gzip ? 16 + MAX_WBITS : MAX_WBITS
        guard
            deflateInit2_(&stream, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
                == Z_OK
        else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
        var input = bytes
        let rc = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { return nil }
        output.removeLast(Int(stream.avail_out))
        return output
    }
}

extension Compression {
    /// What `decompress` made of a body.
    public struct Decompressed: Sendable {
        public var bytes: [UInt8]
        /// Why the bytes stop early (corrupt or truncated data, over the limit), if they do.
        public var problem: String?

        public init(bytes: [UInt8], problem: String?) {
            self.bytes = bytes
            self.problem = problem
        }
    }

    /// `bytes` decompressed: gzip, zlib-wrapped or raw deflate (HTTP's `deflate` is either),
    /// at most `limit` bytes of output. What decompressed before a fault is kept.
    /// `libdeflate: false` reads with zlib alone (to compare the two).
    public static func decompress(_ bytes: UnsafeRawBufferPointer, limit: Int, libdeflate: Bool = true) -> Decompressed {
        if libdeflate, let whole = gunzipWhole(bytes, limit: limit) { return Decompressed(bytes: whole, problem: nil) }
        let first = inflateAll(bytes, windowBits: 32 + MAX_WBITS, limit: limit)
        if first.bytes.isEmpty && first.problem != nil {
            let raw = inflateAll(bytes, windowBits: -MAX_WBITS, limit: limit)
            if raw.problem == nil || !raw.bytes.isEmpty { return raw }
        }
        return first
    }

    /// The most a deflate stream expands (a run of one byte: 258 bytes per 2-bit code, about 1032:1).
    static let maximumRatio = 1_032

    /// A gzip body of one member, in one call to libdeflate (two to three times zlib's speed):
    /// its trailer gives the size. Nil for anything else, and for any fault (a cut or corrupt
    /// member, a trailer that lies, more members or bytes after it, over `limit`): zlib then
    /// reads it as before, keeping what decompresses, so the output never depends on which
    /// library read a body.
    static func gunzipWhole(_ bytes: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
        guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B, let base = bytes.baseAddress else { return nil }
        // ISIZE: the uncompressed size modulo 2^32, little-endian, in the last four bytes.
        let size = Int(bytes.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).littleEndian)
        guard size <= limit, size <= bytes.count * maximumRatio, let decompressor = libdeflate_alloc_decompressor() else { return nil }
        defer { libdeflate_free_decompressor(decompressor) }
        var used = 0
        var produced = 0
        var result = LIBDEFLATE_BAD_DATA
        let output = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, initialized in
            result = libdeflate_gzip_decompress_ex(decompressor, base, bytes.count, buffer.baseAddress, size, &used, &produced)
            initialized = result == LIBDEFLATE_SUCCESS ? produced : 0
        }
        guard result == LIBDEFLATE_SUCCESS, used == bytes.count, produced == size else { return nil }
        return output
    }

    private static func inflateAll(_ bytes: UnsafeRawBufferPointer, windowBits: Int32, limit: Int) -> Decompressed {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return Decompressed(bytes: [], problem: "zlib initialisation failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = UInt32(clamping: bytes.count)
        while true {
            let (rc, produced) = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(buffer.count)
                let rc = inflate(&stream, Z_NO_FLUSH)
                return (rc, buffer.count - Int(stream.avail_out))
            }
            output.append(contentsOf: chunk[..<min(produced, limit - output.count)])
            if output.count >= limit { return Decompressed(bytes: output, problem: "larger than \(limit) bytes decompressed") }
            switch rc {
            case Z_STREAM_END:
                // Another gzip member may follow (rare in bodies): read it too.
                if stream.avail_in > 0 && windowBits > 0 {
                    inflateReset(&stream)
                    continue
                }
                return Decompressed(bytes: output, problem: nil)
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                return Decompressed(bytes: output, problem: "compressed body ends early (truncated)")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                return Decompressed(bytes: output, problem: "corrupt compressed body: \(message)")
            }
        }
    }
}
