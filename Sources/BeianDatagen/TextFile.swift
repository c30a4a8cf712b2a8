import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A text file written in chunks: text is gathered up to `chunkSize` bytes, then encoded and
/// written, so that files of many gigabytes cost a few megabytes of memory. Chunks end on
/// character boundaries, so each converts to GBK on its own.
final class TextFile {
    enum Encoding {
        case utf8
        /// UTF-8 behind the byte order mark Excel writes.
        case utf8WithBOM
        /// GBK, via iconv's GB18030, which agrees with GBK on every character the generator uses.
        case gbk
    }

    static let chunkSize = 1 << 20

    private let handle: FileHandle
    private let encoding: Encoding
    private let newline: String
    private var pending = ""

    private init(url: URL, encoding: Encoding, newline: String) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw DatagenError("cannot create \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
        self.encoding = encoding
        self.newline = newline
        pending.reserveCapacity(Self.chunkSize + 4096)
        if encoding == .utf8WithBOM { try handle.write(contentsOf: [0xEF, 0xBB, 0xBF]) }
    }

    /// Creates `relative` under `directory`, lets `body` write it, and closes it.
    static func write(
        _ directory: URL, _ relative: String, _ encoding: Encoding, newline: String = "\n", _ body: (TextFile) throws -> Void
    ) throws {
        let file = try TextFile(url: directory.appendingPathComponent(relative), encoding: encoding, newline: newline)
        defer { try? file.handle.close() }
        try body(file)
        try file.flush()
    }

    static func += (file: TextFile, text: String) {
        file.pending += text
        if file.pending.utf8.count >= chunkSize { file.flushOrRemember() }
    }

    /// Writes `text` and the file's line separator.
    func line(_ text: String) {
        self += text
        self += newline
    }

    private var failure: (any Error)?

    private func flushOrRemember() {
        do { try flush() } catch { failure = failure ?? error }
    }

    private func flush() throws {
        if let failure { throw failure }
        guard !pending.isEmpty else { return }
        switch encoding {
        case .utf8, .utf8WithBOM: try handle.write(contentsOf: Data(pending.utf8))
        case .gbk: try handle.write(contentsOf: try RegistryEmitter.gbk(pending))
        }
        pending.removeAll(keepingCapacity: true)
    }
}

/// The first error of several concurrent jobs.
final class FailureBox: Sendable {
    private let error = Mutex<(any Error)?>(nil)

    func record(_ error: any Error) {
        self.error.withLock { if $0 == nil { $0 = error } }
    }

    var first: (any Error)? { error.withLock { $0 } }
}
