public import BeianCore
public import BeianHistory
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a watch's events go: JSON Lines on standard output, or a file rotated daily
/// (`FILE` is today's; at the first event of a new day it becomes `FILE.YYYY-MM-DD` and a new
/// `FILE` starts). Never truncated. Every event line starts with its number (`{"seq":N,`):
/// on opening, the last number already in the file is read back, so that events committed
/// but not yet known to have been written (the process was killed in between) are written
/// once, not twice. Standard output cannot be read back: there, events are delivered at least
/// once.
public final class EventLog {
    public enum Destination: Sendable, Equatable {
        case standardOutput
        case file(String)
    }

    public let destination: Destination
    public let times: TimeStyle
    private var handle: FileHandle?
    /// The path names a device or a pipe (`/dev/null`, a FIFO): written as it comes, never
    /// read back, rotated or flushed to a disk.
    private let special: Bool
    /// The day (`YYYY-MM-DD` in the time style) the current file is for.
    private var day: String
    /// Bytes read back from a file's end to find its last event.
    static let tailLength = 256 << 10

    public init(destination: Destination, times: TimeStyle = .utc) throws {
        self.destination = destination
        self.times = times
        day = Self.day(of: .now, times)
        if case .file(let path) = destination, AtomicOutput.isSpecialFile(path) {
            special = true
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } else if case .file(let path) = destination {
            special = false
            // A file left from an earlier day is rotated away first.
            try Self.dropTornTail(path)
            var info = stat()
            if stat(path, &info) == 0, info.st_size > 0 {
                let written = Self.day(of: Timestamp(secondsSince1970: Int64(info.st_mtim.tv_sec)), times)
                if written != day { try Self.rotate(path, to: written) }
            }
            handle = try Self.open(path)
        } else {
            special = false
        }
    }

    deinit { try? handle?.close() }

    /// The highest event number already written (0 when none can be read back).
    public func lastWritten() -> Int64 {
        guard case .file(let path) = destination, !special else { return 0 }
        for file in [path] + Self.rotated(path).reversed() {
            if let last = Self.lastSequence(in: file) { return last }
        }
        return 0
    }

    /// Appends `events` (their lines as the store holds them) and flushes them to disk.
    public func write(_ events: [WatchStore.Event]) throws {
        guard !events.isEmpty else { return }
        var bytes: [UInt8] = []
        for event in events {
            bytes.append(contentsOf: event.line.utf8)
            bytes.append(0x0A)
        }
        try append(bytes)
    }

    /// Appends a line that is not a numbered event (a summary).
    public func write(line: String) throws {
        try append(Array((line + "\n").utf8))
    }

    private func append(_ bytes: [UInt8]) throws {
        switch destination {
        case .standardOutput:
            FileHandle.standardOutput.write(Data(bytes))
        case .file(let path):
            let today = Self.day(of: .now, times)
            if today != day && special {
                day = today
            } else if today != day {
                try handle?.close()
                try Self.rotate(path, to: day)
                handle = try Self.open(path)
                day = today
            }
            guard let handle else { throw CocoaError(.fileWriteUnknown) }
            try handle.write(contentsOf: Data(bytes))
            if !special { try handle.synchronize() }
        }
    }

    static func open(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        return handle
    }

    /// Cuts off an event line that a killed process left half-written at the end of `path`
    /// (the file does not end in a newline): that event was never whole, is not counted as
    /// written, and is written again whole; the next line must not be glued to the fragment.
    static func dropTornTail(_ path: String) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { return }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size > 0 else { return }
        let start = size > UInt64(tailLength) ? size - UInt64(tailLength) : 0
        try handle.seek(toOffset: start)
        let tail = Array(try handle.readToEnd() ?? Data())
        guard tail.last != 0x0A else { return }
        if let newline = tail.lastIndex(of: 0x0A) {
            try handle.truncate(atOffset: start + UInt64(newline + 1))
        } else if start == 0 {
            try handle.truncate(atOffset: 0)
        } else {
            // A line longer than the tail read back is no event line: end it, keep it.
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([0x0A]))
        }
        try handle.synchronize()
    }

    /// Renames `path` to `path.DAY` (`path.DAY.2`, … when taken).
    static func rotate(_ path: String, to day: String) throws {
        var target = "\(path).\(day)"
        var suffix = 2
        while FileManager.default.fileExists(atPath: target) {
            target = "\(path).\(day).\(suffix)"
            suffix += 1
        }
        guard rename(path, target) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// The rotated files of `path`, oldest first.
    static func rotated(_ path: String) -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        return names.filter { $0.hasPrefix(name + ".") }.sorted().map { directory.isEmpty ? $0 : directory + "/" + $0 }
    }

    /// The number of the last event line in `file`.
    static func lastSequence(in file: String) -> Int64? {
        guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(tailLength) ? size - UInt64(tailLength) : 0
        try? handle.seek(toOffset: start)
        guard let data = try? handle.readToEnd() else { return nil }
        let prefix = Array("{\"seq\":".utf8)
        var best: Int64?
        // Only whole lines: an unterminated last line is an event cut off by a kill.
        let whole = data.lastIndex(of: 0x0A).map { data[...$0] } ?? data[data.startIndex..<data.startIndex]
        for line in whole.split(separator: 0x0A) where line.starts(with: prefix) {
            let digits = line.dropFirst(prefix.count).prefix { $0 >= 0x30 && $0 <= 0x39 }
            if let value = Int64(String(decoding: digits, as: UTF8.self)) { best = max(best ?? value, value) }
        }
        return best
    }

    /// `YYYY-MM-DD` of `time` in `times`.
    static func day(of time: Timestamp, _ times: TimeStyle) -> String {
        String(time.text(times).prefix(10))
    }
}
