public import BeianCore

#if canImport(Glibc)
    import Glibc
#endif

/// Logs followed as they grow, the way `tail -F` follows them: lines appended to a file,
/// a file rotated by rename (the old one is read to its end, then its successor from its
/// start) or by truncation (read again from the start), new files appearing in a followed
/// directory (Zeek, nginx and Squid rotate into new files), a last line held until its end
/// arrives. Every log format `LogReader` reads; each file's format is told from its first
/// lines.
///
/// Files are known by device and inode, not by name, so that a rename is not taken for a
/// new file. A `Position` — which file, bytes of complete lines read, lines read — is
/// handed out with every batch of observations: a watcher that keeps them resumes after a
/// restart where it stopped, and finishes a file rotated meanwhile before its successor.
/// Compressed files in a followed directory are left alone: they are rotated copies of what
/// was followed, and cannot be appended to.
///
/// Not thread-safe: one thread polls.
public final class LogFollower {
    /// Where reading of one file stands.
    public typealias Position = FilePosition

    /// Where files that exist when following starts are read from, when no position is known
    /// for them: their end (only what is appended from now on, like `tail -F`) or their start.
    public enum Start: Sendable {
        case end, beginning
    }

    /// Bytes read from one file per poll at most, so that one busy file cannot starve the
    /// others (the next poll goes on).
    public static let maximumReadPerPoll = 4 << 20
    /// Bytes of a file's start read to learn its format and header when resuming inside it.
    public static let maximumPrime = 64 << 10

    public let options: LogOptions
    /// The paths given: files and directories.
    public let paths: [String]
    private var tails: [FileKey: Tail] = [:]
    /// Files being finished after a rotation, read before their successors.
    private var draining: [Tail] = []
    private var firstScan = true
    private let start: Start
    private var missing: Set<String> = []
    /// Names an earlier run followed: a file found under one of them that is not the file that
    /// run read is its successor, new since, and read from its start.
    private var followedBefore: Set<String> = []
    /// Reports of files finished (rotated away, gone), and notes on the paths.
    public private(set) var finished: [InputReport] = []
    /// Problems with the followed paths (one gone, one unreadable), each once.
    public private(set) var notes: [InputReport.Issue] = []

    struct FileKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// One file being read.
    final class Tail {
        var path: String
        let key: FileKey
        let descriptor: Int32
        var offset: Int64
        var feed: LineFeed
        /// When bytes last came (for closing a rotated file).
        var lastGrowth = ContinuousClock.now
        /// The line reading started after (lines read before this run are not counted).
        var startLine = 0
        /// The last bytes read (up to `witnessLength`), to notice a file truncated and written
        /// again past where reading stood.
        var seen: [UInt8] = []
        static let witnessLength = 64

        /// Reading again from the start of the file (truncated or rewritten), lines counted on.
        func restart() {
            offset = 0
            feed.dropPending()
            seen = []
        }

        /// Whether the bytes before the read offset are still those read.
        func stillHoldsWhatWasRead() -> Bool {
            guard !seen.isEmpty, offset >= Int64(seen.count) else { return true }
            var now = [UInt8](repeating: 0, count: seen.count)
            let got = now.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset - Int64(seen.count))) }
            return got == seen.count && now == seen
        }

        init(path: String, key: FileKey, descriptor: Int32, offset: Int64, feed: LineFeed) {
            self.path = path
            self.key = key
            self.descriptor = descriptor
            self.offset = offset
            self.feed = feed
        }

        deinit { close(descriptor) }

        var position: Position {
            let end = offset - Int64(feed.pending.count)
            return Position(
                path: path, device: key.device, inode: key.inode, offset: end, line: feed.lineNumber,
                witness: LogFollower.witness(of: descriptor, before: end))
        }
    }

    /// Follows `paths` (files and directories). `positions` (from an earlier run) say where to
    /// resume each file they name; files without one are read from `start`, files that appear
    /// later from their beginning.
    public init(paths: [String], options: LogOptions = LogOptions(), start: Start = .end, positions: [Position] = []) {
        self.paths = paths
        self.options = options
        self.start = start
        for position in positions {
            followedBefore.insert(position.path)
            resume(position)
        }
    }

    /// The position of every file followed, for a watcher's state.
    public var positions: [Position] { (draining + Array(tails.values)).map(\.position).sorted { $0.path < $1.path } }

    /// Reads what was appended since the last poll to every followed file (files being
    /// finished after a rotation first), giving each file's observations with its position
    /// after them. Returns whether anything was read.
    @discardableResult
    public func poll(_ output: (_ observations: [Observation], _ position: Position) -> Void) -> Bool {
        var progressed = false
        scan()
        // Rotated files first: what was appended to them comes before their successors'
        // lines. One is closed once a successor has appeared under its name and it has not
        // grown for `rotationGrace` (a writer may log to the renamed file until it reopens).
        let now = ContinuousClock.now
        draining.removeAll { tail in
            if read(tail, output) {
                progressed = true
                tail.lastGrowth = now
            }
            let successor = tails.values.contains { $0.path == tail.path } || !paths.contains(tail.path)
            guard successor, now - tail.lastGrowth >= Self.rotationGrace else { return false }
            var observations: [Observation] = []
            tail.feed.finish(into: &observations)
            tail.feed.tally.report.observations += observations.count
            output(observations, tail.position)
            retire(tail)
            return true
        }
        for tail in tails.values.sorted(by: { $0.path < $1.path }) where read(tail, output) { progressed = true }
        return progressed
    }

    /// How long a rotated file is still read after it stopped growing, once a successor is
    /// there.
    public static let rotationGrace: Duration = .seconds(1)

    /// Reports of the files followed now (their counts so far).
    public var reports: [InputReport] {
        tails.values.sorted { $0.path < $1.path }.map { tail in
            var report = tail.feed.tally.finished
            report.read = tail.feed.lineNumber - tail.startLine
            return report
        }
    }

    // MARK: Files

    /// Looks at the paths: new files, files renamed or truncated, files gone.
    private func scan() {
        var seen: Set<FileKey> = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                if missing.insert(path).inserted { note(path, "gone (or not there yet); followed again when it appears") }
                continue
            }
            missing.remove(path)
            if (info.st_mode & S_IFMT) == S_IFDIR {
                for name in Self.entries(of: path) {
                    let file = path.hasSuffix("/") ? path + name : path + "/" + name
                    var entry = stat()
                    guard stat(file, &entry) == 0, (entry.st_mode & S_IFMT) == S_IFREG, !Self.isCompressed(file) else { continue }
                    seen.insert(follow(file, entry))
                }
            } else {
                seen.insert(follow(path, info))
            }
        }
        // A file no longer under any followed name: rotated away (or deleted). It is finished
        // before its successor is read on.
        for (key, tail) in tails where !seen.contains(key) {
            tails[key] = nil
            tail.lastGrowth = ContinuousClock.now
            draining.append(tail)
        }
        firstScan = false
    }

    /// The tail of `path` (known by `info`'s device and inode), opened when it is new.
    private func follow(_ path: String, _ info: stat) -> FileKey {
        let key = FileKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if let tail = tails[key] {
            tail.path = path
            // Truncated in place (copytruncate): read again from the start. A file truncated and
            // written past where reading stood shows it by other bytes there.
            if Int64(info.st_size) < tail.offset || !tail.stillHoldsWhatWasRead() {
                note(path, "truncated: read again from its start")
                tail.restart()
            }
            return key
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            note(path, "cannot be opened: \(String(cString: strerror(errno)))")
            return key
        }
        let offset: Int64 = firstScan && start == .end && !followedBefore.contains(path) ? Int64(info.st_size) : 0
        let tail = Tail(path: path, key: key, descriptor: descriptor, offset: 0, feed: LineFeed(path: path, options: options))
        // Started at the end: the lines before it are counted, so that line numbers in evidence
        // stay the file's own.
        if offset > 0 { prime(tail, upTo: offset, line: Self.lines(in: descriptor, upTo: offset)) }
        tails[key] = tail
        return key
    }

    /// Takes up a file where an earlier run stopped: at its name, or renamed in the same
    /// directory (then it is finished first), or gone (noted; nothing to resume).
    private func resume(_ position: Position) {
        let key = FileKey(device: position.device, inode: position.inode)
        var candidates = [position.path]
        let directory = position.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        candidates += Self.entries(of: directory.isEmpty ? "." : directory).map { directory.isEmpty ? $0 : directory + "/" + $0 }
        for path in candidates {
            var info = stat()
            guard stat(path, &info) == 0, UInt64(info.st_dev) == key.device, UInt64(info.st_ino) == key.inode else { continue }
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            let tail = Tail(path: path, key: key, descriptor: descriptor, offset: 0, feed: LineFeed(path: path, options: options))
            // A file shorter than the position, or holding other bytes before it, was truncated
            // (and written again) since: read from its start. The bytes compared are the ones
            // kept to watch the file from now on, read once: a file rewritten while it is being
            // taken up is caught either here or at the next poll.
            if Int64(info.st_size) < position.offset {
                note(path, "shorter than where reading stopped: read again from its start")
            } else {
                prime(tail, upTo: position.offset, line: position.line)
                if position.witness != 0 && Self.hash(tail.seen) != position.witness {
                    note(path, "rewritten since reading stopped: read again from its start")
                    tail.restart()
                }
            }
            tails[key] = tail
            return
        }
        note(position.path, "where reading stopped (\(position.offset) bytes, line \(position.line)) is gone: the file was rotated away")
    }

    /// Learns a file's format (and a Zeek header) from its start, then sets reading at
    /// `offset`, line `line`.
    private func prime(_ tail: Tail, upTo offset: Int64, line: Int) {
        let length = Int(min(offset, Int64(Self.maximumPrime)))
        var head = [UInt8](repeating: 0, count: length)
        let got = head.withUnsafeMutableBytes { pread(tail.descriptor, $0.baseAddress, length, 0) }
        var discarded: [Observation] = []
        if got > 0 {
            head.withUnsafeBytes { tail.feed.feed(UnsafeRawBufferPointer(rebasing: $0[..<got]), into: &discarded) }
        }
        tail.feed.dropPending()
        tail.feed.startFresh(atLine: line)
        tail.startLine = line
        tail.offset = offset
        // The bytes before the offset, to notice the file truncated and written again past it.
        let witness = Int(min(offset, Int64(Tail.witnessLength)))
        var seen = [UInt8](repeating: 0, count: witness)
        let read = seen.withUnsafeMutableBytes { pread(tail.descriptor, $0.baseAddress, witness, off_t(offset - Int64(witness))) }
        tail.seen = read == witness ? seen : []
    }

    /// Reads what is new in `tail`'s file, at most `maximumReadPerPoll` bytes; gives the
    /// observations (possibly none) with the position after them. Returns whether bytes came.
    private func read(_ tail: Tail, _ output: ([Observation], Position) -> Void) -> Bool {
        guard !tail.feed.failed else { return false }
        var buffer = [UInt8](repeating: 0, count: min(Self.maximumReadPerPoll, 1 << 20))
        var total = 0
        var observations: [Observation] = []
        while total < Self.maximumReadPerPoll {
            let got = buffer.withUnsafeMutableBytes { pread(tail.descriptor, $0.baseAddress, $0.count, off_t(tail.offset)) }
            guard got > 0 else { break }
            tail.offset += Int64(got)
            total += got
            let keep = min(got, Tail.witnessLength)
            buffer.withUnsafeBytes { bytes in
                if keep == Tail.witnessLength {
                    tail.seen = Array(bytes[(got - keep)..<got])
                } else {
                    tail.seen = Array((tail.seen + bytes[(got - keep)..<got]).suffix(Tail.witnessLength))
                }
            }
            buffer.withUnsafeBytes { tail.feed.feed(UnsafeRawBufferPointer(rebasing: $0[..<got]), into: &observations) }
            if tail.feed.failed {
                if let failure = tail.feed.tally.report.failure { note(tail.path, failure.reason) }
                break
            }
        }
        guard total > 0 else { return false }
        tail.feed.tally.report.observations += observations.count
        output(observations, tail.position)
        return true
    }

    private func retire(_ tail: Tail) {
        var report = tail.feed.tally.finished
        report.read = tail.feed.lineNumber - tail.startLine
        finished.append(report)
    }

    private func note(_ path: String, _ message: String) {
        if notes.count < InputReport.maximumIssues { notes.append(InputReport.Issue(file: path, position: nil, message: message)) }
    }

    /// Bytes before an offset that a position's witness covers.
    static let witnessLength = 64

    /// FNV-1a of the `witnessLength` bytes (or fewer, at a file's start) before `offset`; 0 for
    /// none.
    static func witness(of descriptor: Int32, before offset: Int64) -> UInt64 {
        let length = Int(min(offset, Int64(witnessLength)))
        guard length > 0 else { return 0 }
        var bytes = [UInt8](repeating: 0, count: length)
        let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, length, off_t(offset - Int64(length))) }
        guard got == length else { return 0 }
        return hash(bytes)
    }

    /// FNV-1a of `bytes`, never 0 (0 stands for "not known").
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        guard !bytes.isEmpty else { return 0 }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01B3
        }
        return hash == 0 ? 1 : hash
    }

    /// Newlines in the first `length` bytes of a file.
    static func lines(in descriptor: Int32, upTo length: Int64) -> Int {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        var count = 0
        while offset < length {
            let wanted = Int(min(Int64(buffer.count), length - offset))
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, wanted, off_t(offset)) }
            guard got > 0 else { break }
            buffer.withUnsafeBytes { bytes in
                guard var start = bytes.baseAddress else { return }
                var left = got
                while left > 0, let found = memchr(start, 0x0A, left) {
                    count += 1
                    let step = found - UnsafeMutableRawPointer(mutating: start) + 1
                    start += step
                    left -= step
                }
            }
            offset += Int64(got)
        }
        return count
    }

    /// The names in a directory, sorted (nothing when it cannot be read).
    static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Rotated, compressed copies (`.gz`, `.bz2`, `.xz`, `.zst`).
    static func isCompressed(_ path: String) -> Bool {
        [".gz", ".bz2", ".xz", ".zst", ".zip"].contains { path.hasSuffix($0) }
    }
}
