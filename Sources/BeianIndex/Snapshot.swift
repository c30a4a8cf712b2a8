import BeianCore
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why an index could not be built, written or loaded.
public struct IndexError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let cannotOpen = Code("cannot-open")
        public static let notASnapshot = Code("not-a-snapshot")
        public static let wrongVersion = Code("wrong-version")
        public static let truncated = Code("truncated")
        public static let corrupted = Code("corrupted")
        public static let cannotWrite = Code("cannot-write")
        public static let invalidInput = Code("invalid-input")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: IndexError, rhs: IndexError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// A section of a snapshot, named by four ASCII characters.
struct SectionID: Hashable, Sendable, CustomStringConvertible {
    let rawValue: UInt32

    init(_ name: StaticString) {
        precondition(name.utf8CodeUnitCount == 4, "section names have four characters")
        var value: UInt32 = 0
        name.withUTF8Buffer { for byte in $0.reversed() { value = value << 8 | UInt32(byte) } }
        rawValue = value
    }

    init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) }, as: UTF8.self)
    }
}

/// The layout of a snapshot file (all integers little-endian):
///
/// ```
/// 0   magic "BEIANIDX"          8 bytes
/// 8   format version            UInt32
/// 12  header size (64)          UInt32
/// 16  build time (s since 1970) Int64
/// 24  section count             UInt32
/// 28  reserved                  UInt32
/// 32  XXH64 of the section table UInt64
/// 40  file size                 UInt64
/// 48  reserved                  16 bytes
/// 64  section table: per section id UInt32, reserved UInt32, offset UInt64,
///     length UInt64, XXH64 of the bytes UInt64 (32 bytes each)
/// …   sections, each at a 64-byte aligned offset after room for 256 table entries
/// ```
///
/// Sections hold flat arrays of fixed-size records: loading maps the file and points into it,
/// with no parsing. The format version changes whenever a record layout does.
enum SnapshotFormat {
    static let magic: [UInt8] = Array("BEIANIDX".utf8)
    static let version: UInt32 = 2
    static let headerSize = 64
    static let sectionEntrySize = 32
    static let alignment = 64
    /// Most sections a snapshot may declare.
    static let maximumSections = 256
    /// Where the first section may start: after the header and a full section table.
    static let sectionsStart = headerSize + maximumSections * sectionEntrySize
    /// Sections are checksummed in pieces of this size, so that loading checks them on all
    /// cores.
    static let checksumPiece = 32 << 20

    /// XXH64 of the section, or, for sections larger than one piece, XXH64 of the XXH64s of
    /// its pieces (computed on all cores).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard bytes.count > checksumPiece else { return XXHash64.hash(bytes) }
        let pieces = (bytes.count + checksumPiece - 1) / checksumPiece
        let hashes = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: pieces)
        defer { hashes.deallocate() }
        let output = UncheckedSendable(hashes)
        let input = UncheckedSendable(bytes)
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let start = piece * checksumPiece
            let end = min(start + checksumPiece, input.value.count)
            output.value[piece] = XXHash64.hash(UnsafeRawBufferPointer(rebasing: input.value[start..<end]))
        }
        return XXHash64.hash(UnsafeRawBufferPointer(hashes))
    }
}

/// Writes a snapshot file section by section, atomically: sections go to a temporary file as
/// they are added (so the builder never holds a second copy of its tables), the header and
/// section table are written last, and the file is renamed over the target, so readers see the
/// old snapshot or the new one, never half of one. The section table has room for
/// `SnapshotFormat.maximumSections` entries before the first section.
final class SnapshotWriter {
    private let path: String
    private let temporary: String
    private var handle: UnsafeMutablePointer<FILE>?
    private var table: [UInt8] = []
    private var ids: Set<SectionID> = []
    private var offset: Int
    private var failure: Int32 = 0

    init(path: String) throws(IndexError) {
        self.path = path
        temporary = path + ".partial-\(getpid())"
        // Renamed into place at the end: over a device or a pipe that would replace it.
        guard !AtomicOutput.isSpecialFile(path) else {
            throw IndexError(.cannotWrite, "\(path) is not a regular file: a snapshot is written to a file (and mapped from it)")
        }
        guard let handle = fopen(temporary, "wb") else {
            throw IndexError(.cannotWrite, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        self.handle = handle
        offset = 0
        put(UnsafeRawBufferPointer(start: nil, count: 0), padTo: SnapshotFormat.sectionsStart)
    }

    deinit {
        if let handle {
            fclose(handle)
            unlink(temporary)
        }
    }

    private func put(_ bytes: UnsafeRawBufferPointer, padTo position: Int? = nil) {
        guard let handle, failure == 0 else { return }
        if let position, position > offset {
            let zeros = [UInt8](repeating: 0, count: position - offset)
            if fwrite(zeros, 1, zeros.count, handle) != zeros.count { failure = errno }
            offset = position
        }
        if !bytes.isEmpty, fwrite(bytes.baseAddress, 1, bytes.count, handle) != bytes.count { failure = errno }
        offset += bytes.count
    }

    func add(_ id: SectionID, bytes: UnsafeRawBufferPointer) {
        precondition(!ids.contains(id), "section \(id) added twice")
        precondition(ids.count < SnapshotFormat.maximumSections, "too many sections")
        ids.insert(id)
        let start = (offset + SnapshotFormat.alignment - 1) / SnapshotFormat.alignment * SnapshotFormat.alignment
        table.append(littleEndian: id.rawValue)
        table.append(littleEndian: UInt32(0))
        table.append(littleEndian: UInt64(start))
        table.append(littleEndian: UInt64(bytes.count))
        table.append(littleEndian: SnapshotFormat.checksum(bytes))
        put(bytes, padTo: start)
    }

    func add(_ id: SectionID, bytes: [UInt8]) {
        bytes.withUnsafeBytes { add(id, bytes: $0) }
    }

    /// Adds an array of fixed-size values as raw bytes.
    func add<T: BitwiseCopyable>(_ id: SectionID, array: [T]) {
        array.withUnsafeBytes { add(id, bytes: $0) }
    }

    /// Writes the header and the section table and moves the file into place.
    func finish(buildTime: Timestamp) throws(IndexError) {
        guard let handle else { throw IndexError(.cannotWrite, "\(path): snapshot already written") }
        var header: [UInt8] = SnapshotFormat.magic
        header.append(littleEndian: SnapshotFormat.version)
        header.append(littleEndian: UInt32(SnapshotFormat.headerSize))
        header.append(littleEndian: buildTime.secondsSince1970)
        header.append(littleEndian: UInt32(ids.count))
        header.append(littleEndian: UInt32(0))
        header.append(littleEndian: table.withUnsafeBytes { XXHash64.hash($0) })
        header.append(littleEndian: UInt64(offset))
        header += [UInt8](repeating: 0, count: SnapshotFormat.headerSize - header.count)
        header += table
        if failure == 0 && (fseek(handle, 0, SEEK_SET) != 0 || fwrite(header, 1, header.count, handle) != header.count) {
            failure = errno
        }
        // On the disk before it takes its name: a crash after the rename finds it whole.
        if failure == 0 && (fflush(handle) != 0 || fsync(fileno(handle)) != 0) { failure = errno }
        if fclose(handle) != 0 && failure == 0 { failure = errno }
        self.handle = nil
        guard failure == 0 else {
            unlink(temporary)
            throw IndexError(.cannotWrite, "cannot write \(temporary): \(String(cString: strerror(failure)))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw IndexError(.cannotWrite, "cannot move the snapshot into \(path): \(String(cString: strerror(errno)))")
        }
        AtomicOutput.synchronizeFolder(of: path)
    }
}

extension [UInt8] {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// A snapshot file mapped into memory, read-only.
///
/// `@unchecked Sendable`: the mapping is made read-only (`PROT_READ`), is never written after
/// `init`, and lives until `deinit`; every view handed out points into it.
final class Snapshot: @unchecked Sendable {
    let path: String
    let buildTime: Timestamp
    /// The checksum of the section table, which holds every section's checksum: the
    /// snapshot's content in 64 bits.
    let contentChecksum: UInt64
    let size: Int
    /// Whether pages read while loading are handed back (see `RegistryIndex.init`).
    let releasingPages: Bool
    private let base: UnsafeMutableRawPointer
    private let sections: [SectionID: UnsafeRawBufferPointer]

    /// Maps `path` and checks it: magic, format version, sizes, and the checksum of every
    /// section (in parallel on all cores) unless `verify` is false; with `releasingPages`, the
    /// pages verification read are dropped from the mapping afterwards (see `RegistryIndex`).
    init(path: String, verify: Bool = true, releasingPages: Bool = false) throws(IndexError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IndexError(.cannotOpen, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { throw IndexError(.cannotOpen, "cannot read the size of \(path): \(String(cString: strerror(errno)))") }
        size = Int(end)
        guard size >= SnapshotFormat.headerSize else {
            throw IndexError(.notASnapshot, "\(path) is not a beian index snapshot (\(size) bytes)")
        }
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
            throw IndexError(.cannotOpen, "cannot map \(path): \(String(cString: strerror(errno)))")
        }
        base = mapping
        let file = UnsafeRawBufferPointer(start: mapping, count: size)
        do {
            (buildTime, sections, contentChecksum) = try Snapshot.validate(
                file, path: path, verify: verify, releasingPages: releasingPages)
        } catch {
            munmap(mapping, size)
            throw error
        }
        self.releasingPages = releasingPages
    }

    /// Drops every page of the mapping (read-only, private, of a file: nothing is lost; what
    /// is read again comes back from the page cache).
    func releasePages() {
        _ = madvise(base, size, MADV_DONTNEED)
    }

    deinit {
        munmap(base, size)
    }

    private static func validate(_ file: UnsafeRawBufferPointer, path: String, verify: Bool, releasingPages: Bool) throws(IndexError) -> (
        Timestamp, [SectionID: UnsafeRawBufferPointer], UInt64
    ) {
        guard Array(file[0..<8]) == SnapshotFormat.magic else {
            throw IndexError(.notASnapshot, "\(path) is not a beian index snapshot (wrong magic)")
        }
        let version = file.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
        guard version == SnapshotFormat.version else {
            throw IndexError(
                .wrongVersion,
                "\(path) has snapshot format version \(version); this beian reads version \(SnapshotFormat.version): rebuild it with `beian index build`"
            )
        }
        let buildTime = Timestamp(secondsSince1970: file.loadUnaligned(fromByteOffset: 16, as: Int64.self).littleEndian)
        let count = Int(file.loadUnaligned(fromByteOffset: 24, as: UInt32.self).littleEndian)
        let tableChecksum = file.loadUnaligned(fromByteOffset: 32, as: UInt64.self).littleEndian
        let declaredSize = Int(exactly: file.loadUnaligned(fromByteOffset: 40, as: UInt64.self).littleEndian) ?? -1
        guard declaredSize == file.count else {
            throw IndexError(
                declaredSize > file.count ? .truncated : .corrupted,
                "\(path) is \(file.count) bytes but its header says \(declaredSize): \(declaredSize > file.count ? "truncated" : "damaged")"
            )
        }
        guard count <= SnapshotFormat.maximumSections, SnapshotFormat.headerSize + count * SnapshotFormat.sectionEntrySize <= file.count
        else {
            throw IndexError(.corrupted, "\(path): damaged section table")
        }
        let table = UnsafeRawBufferPointer(
            rebasing: file[SnapshotFormat.headerSize..<(SnapshotFormat.headerSize + count * SnapshotFormat.sectionEntrySize)])
        guard XXHash64.hash(table) == tableChecksum else {
            throw IndexError(.corrupted, "\(path): the section table does not match its checksum (damaged file)")
        }
        var sections: [SectionID: UnsafeRawBufferPointer] = [:]
        var checks: [(SectionID, UnsafeRawBufferPointer, UInt64)] = []
        for index in 0..<count {
            let entry = index * SnapshotFormat.sectionEntrySize
            let id = SectionID(rawValue: table.loadUnaligned(fromByteOffset: entry, as: UInt32.self).littleEndian)
            // Sizes read from the file: anything beyond it (or beyond Int) is damage, never a trap.
            let offset = Int(exactly: table.loadUnaligned(fromByteOffset: entry + 8, as: UInt64.self).littleEndian) ?? -1
            let length = Int(exactly: table.loadUnaligned(fromByteOffset: entry + 16, as: UInt64.self).littleEndian) ?? -1
            let checksum = table.loadUnaligned(fromByteOffset: entry + 24, as: UInt64.self).littleEndian
            guard offset >= 0, length >= 0, offset % SnapshotFormat.alignment == 0, offset <= file.count, length <= file.count - offset
            else {
                throw IndexError(.corrupted, "\(path): section \(id) lies outside the file")
            }
            let bytes = UnsafeRawBufferPointer(rebasing: file[offset..<(offset + length)])
            sections[id] = bytes
            checks.append((id, bytes, checksum))
        }
        if verify {
            let failures = Snapshot.verify(checks, releasingPages: releasingPages)
            if let failed = failures.first {
                throw IndexError(.corrupted, "\(path): section \(failed) does not match its checksum (damaged file)")
            }
        }
        return (buildTime, sections, tableChecksum)
    }

    /// The sections whose checksum does not match. Small sections are checked together on
    /// all cores; large ones piece by piece, each on all cores.
    private static func verify(_ checks: [(SectionID, UnsafeRawBufferPointer, UInt64)], releasingPages: Bool) -> [SectionID] {
        var failed: [SectionID] = []
        let small = checks.filter { $0.1.count <= SnapshotFormat.checksumPiece }
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: max(small.count, 1))
        results.initialize(repeating: true)
        defer { results.deallocate() }
        let output = UncheckedSendable(results)
        let input = UncheckedSendable(small)
        DispatchQueue.concurrentPerform(iterations: small.count) { index in
            let (_, bytes, expected) = input.value[index]
            output.value[index] = XXHash64.hash(bytes) == expected
        }
        failed += small.indices.filter { !results[$0] }.map { small[$0].0 }
        for (id, bytes, expected) in checks where bytes.count > SnapshotFormat.checksumPiece {
            if SnapshotFormat.checksum(bytes) != expected { failed.append(id) }
            // A large section's pages go as soon as it is checked: loading holds little more
            // than the largest section at a time.
            if releasingPages { release(bytes) }
        }
        return failed
    }

    /// Drops the whole pages of `bytes` from a read-only private file mapping.
    private static func release(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + bytes.count) / page * page
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, end - start, MADV_DONTNEED)
    }

    func section(_ id: SectionID) throws(IndexError) -> UnsafeRawBufferPointer {
        guard let bytes = sections[id] else {
            throw IndexError(.corrupted, "\(path): section \(id) is missing")
        }
        return bytes
    }

    func has(_ id: SectionID) -> Bool { sections[id] != nil }

    /// A section as an array of fixed-size values.
    func array<T: BitwiseCopyable>(_ id: SectionID, of type: T.Type) throws(IndexError) -> UnsafeBufferPointer<T> {
        let bytes = try section(id)
        guard bytes.count % MemoryLayout<T>.stride == 0 else {
            throw IndexError(.corrupted, "\(path): section \(id) is not a whole number of \(T.self) records")
        }
        guard bytes.isEmpty || Int(bitPattern: bytes.baseAddress) % MemoryLayout<T>.alignment == 0 else {
            throw IndexError(.corrupted, "\(path): section \(id) is misaligned")
        }
        guard let base = bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: bytes.count / MemoryLayout<T>.stride)
    }

    /// All section names with their sizes.
    var sectionSizes: [(String, Int)] {
        sections.map { ($0.key.description, $0.value.count) }.sorted { $0.0 < $1.0 }
    }
}

/// Hands a value to concurrent work when the caller guarantees the accesses do not overlap.
struct UncheckedSendable<Value>: @unchecked Sendable {
    // Safe: used only for buffers whose elements each task writes alone.
    let value: Value
    init(_ value: Value) { self.value = value }
}
