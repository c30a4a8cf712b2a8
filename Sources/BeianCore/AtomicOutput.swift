#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Why an output could not be written: the file and what the system said.
public struct OutputError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    /// The system's error number (`ENOSPC` for a full disk), 0 when there is none.
    public let code: Int32

    public init(path: String, _ reason: String, code: Int32 = 0) {
        self.path = path
        self.reason = reason
        self.code = code
    }

    public var description: String { "\(path): \(reason)" }
}

/// An output file that is either whole or absent under its name: written under a temporary
/// name beside it (`NAME.partial-PID`), flushed to the disk (`fsync`) and renamed into place
/// by `commit()`, then the folder flushed so that the rename survives a crash. A process
/// killed before `commit()` leaves the previous file (or none) and at most a `.partial-PID`
/// file; a failed write (a full disk) removes the temporary file and throws. `-` (or nil) is
/// standard output, written as it comes; so is a path that names something other than a
/// regular file (`/dev/null`, a FIFO, a shell's `>(…)`): renaming over it would replace the
/// device or pipe with a file.
///
/// Not thread-safe: one writer owns it.
public final class AtomicOutput {
    /// The final name (`-` for standard output).
    public let path: String
    /// The name written to until `commit()`; nil for standard output.
    public let temporaryPath: String?
    private var descriptor: Int32
    private var done = false
    /// Written in place: a device or a pipe named by its path (closed at the end).
    private var direct = false
    /// Bytes written so far.
    public private(set) var bytesWritten: Int64 = 0

    public init(path: String?) throws(OutputError) {
        guard let path, path != "-" else {
            self.path = "-"
            temporaryPath = nil
            descriptor = 1
            return
        }
        self.path = path
        if Self.isSpecialFile(path) {
            temporaryPath = nil
            descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                let code = errno
                throw OutputError(path: path, "cannot open: \(String(cString: strerror(code)))", code: code)
            }
            direct = true
            return
        }
        let temporary = "\(path).partial-\(getpid())"
        temporaryPath = temporary
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            throw OutputError(path: path, "cannot create \(temporary): \(String(cString: strerror(code)))", code: code)
        }
    }

    deinit { abandon() }

    /// Whether this writes to standard output.
    public var isStandardOutput: Bool { temporaryPath == nil && !direct }

    /// Whether `path` exists and is not a regular file (a device, a FIFO, a socket).
    public static func isSpecialFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & S_IFMT != S_IFREG && info.st_mode & S_IFMT != S_IFDIR
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        guard !done else { throw OutputError(path: path, "written after it was closed") }
        guard let base = bytes.baseAddress else { return }
        var written = 0
        while written < bytes.count {
            let result = Glibc.write(descriptor, base + written, bytes.count - written)
            if result > 0 {
                written += result
                continue
            }
            if result < 0 && errno == EINTR { continue }
            let code = result < 0 ? errno : ENOSPC
            abandon()
            throw OutputError(path: path, "cannot write: \(String(cString: strerror(code)))", code: code)
        }
        bytesWritten += Int64(bytes.count)
    }

    public func write(_ bytes: [UInt8]) throws(OutputError) {
        var failure: OutputError?
        bytes.withUnsafeBytes { buffer in
            do throws(OutputError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Flushes the file to the disk and moves it into place (standard output: nothing).
    public func commit() throws(OutputError) {
        guard !done else { return }
        guard let temporaryPath else {
            done = true
            if direct && close(descriptor) != 0 {
                let code = errno
                throw OutputError(path: path, "cannot write: \(String(cString: strerror(code)))", code: code)
            }
            return
        }
        var code: Int32 = 0
        if fsync(descriptor) != 0 { code = errno }
        if close(descriptor) != 0 && code == 0 { code = errno }
        done = true
        guard code == 0 else {
            unlink(temporaryPath)
            throw OutputError(path: path, "cannot write: \(String(cString: strerror(code)))", code: code)
        }
        guard rename(temporaryPath, path) == 0 else {
            code = errno
            unlink(temporaryPath)
            throw OutputError(path: path, "cannot move \(temporaryPath) into place: \(String(cString: strerror(code)))", code: code)
        }
        Self.synchronizeFolder(of: path)
    }

    /// Gives the output up: the temporary file is removed, a previous file keeps its place.
    public func abandon() {
        guard !done else { return }
        done = true
        guard let temporaryPath else {
            if direct { close(descriptor) }
            return
        }
        close(descriptor)
        unlink(temporaryPath)
    }

    /// Flushes the folder holding `path`, so that a rename into it survives a crash.
    public static func synchronizeFolder(of path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// Writes `bytes` whole to `path` (standard output for nil or `-`).
    public static func write(_ bytes: [UInt8], to path: String?) throws(OutputError) {
        let output = try AtomicOutput(path: path)
        try output.write(bytes)
        try output.commit()
    }
}
