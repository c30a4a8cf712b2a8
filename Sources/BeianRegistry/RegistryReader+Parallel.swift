import BeianCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What receives the records of one piece of the input read on its own thread.
public protocol RegistryPieceConsumer: AnyObject, Sendable {
    /// Takes one accepted record of the piece, in the piece's order.
    func add(_ record: RegistryRecord)
    /// Leaves out the `ordinal`-th record of `kind` added (from 0): it repeats the key of a
    /// record of an earlier piece. Called before the piece is committed.
    func drop(_ kind: RecordKind, ordinal: Int)
}

/// A piece of the input: a whole file, or a byte range of a large JSON Lines or CSV file that
/// starts at a record.
struct RegistryPiece {
    var fileIndex: Int
    var path: String
    /// The byte range, for a piece of a split file.
    var range: Range<Int64>?
    /// The file's format, encoding and header, for the pieces after a split file's first.
    var context: PieceContext?
}

extension RegistryLimits {
    /// The size of the pieces large JSON Lines and CSV files are read in on several threads.
    public static let parallelPieceBytes: Int64 = 32 << 20
}

extension RegistryReader {
    /// Reads `paths` on up to `threads` threads and hands their records to consumers: one per
    /// piece (`makeConsumer`, called on the reading threads, several at once), committed
    /// (`commit`) in input order, one at a time, on one of the reading threads. Large JSON Lines and CSV files are read in byte ranges that start
    /// at a record; other files whole, several at a time.
    ///
    /// Every check of a one-thread read is made, and duplicates are found across pieces and
    /// files as they would be in order: a record whose key an earlier piece holds is dropped
    /// from its consumer before it is committed, counted as refused, and reported ("duplicate
    /// …, first at line N"). The pieces are the same whatever the number of threads. In
    /// strict mode the files are read whole, one after the other, and the first refused record
    /// stops the read.
    ///
    /// Returns each file's report in the order of `paths`, or why it could not be read.
    public func read<Consumer: RegistryPieceConsumer>(
        _ paths: [String], threads: Int, pieceBytes: Int64 = RegistryLimits.parallelPieceBytes,
        makeConsumer: @escaping () -> Consumer, commit: @escaping (Consumer) -> Void
    ) -> [Result<FileReport, RegistryError>] {
        if options.strict {
            var results: [Result<FileReport, RegistryError>] = []
            for path in paths {
                let consumer = makeConsumer()
                do {
                    results.append(.success(try read(path) { consumer.add($0) }))
                    commit(consumer)
                } catch let error as RegistryError {
                    results.append(.failure(error))
                    if error.code == .strict { break }
                } catch {
                    results.append(.failure(RegistryError(code: .unreadable, message: "\(error)", report: nil)))
                }
            }
            return results
        }
        var pieces: [RegistryPiece] = []
        var failures: [Int: RegistryError] = [:]
        for (offset, path) in paths.enumerated() {
            registerFile(path)
            do {
                pieces += try plan(path, fileIndex: fileCount - 1, pieceBytes: pieceBytes)
            } catch let error as RegistryError {
                failures[offset] = error
            } catch {
                failures[offset] = RegistryError(code: .unreadable, message: "\(error)", report: nil)
            }
        }
        let firstFile = fileCount - paths.count
        let run = ParallelRead(reader: self, pieces: pieces, makeConsumer: makeConsumer, commit: commit)
        run.start(threads: threads)
        let reports = run.reports
        return paths.indices.map { offset -> Result<FileReport, RegistryError> in
            if let failure = failures[offset] { return .failure(failure) }
            guard let report = reports[firstFile + offset] else {
                return .failure(RegistryError(code: .unreadable, message: "\(paths[offset]): not read", report: nil))
            }
            return .success(report)
        }
    }

    /// The pieces of one file.
    private func plan(_ path: String, fileIndex: Int, pieceBytes: Int64) throws -> [RegistryPiece] {
        let whole = [RegistryPiece(fileIndex: fileIndex, path: path)]
        let magic: [UInt8]
        do {
            magic = try InputFile.magic(of: path, count: 4)
        } catch {
            throw RegistryError(code: .unreadable, message: error.description, report: nil)
        }
        guard let size = InputFile.size(of: path), size > 2 * pieceBytes, magic.count == 4, magic != [0x50, 0x4B, 0x03, 0x04],
            magic.prefix(2) != [0x1F, 0x8B], !path.lowercased().hasSuffix(".gz"),
            let head = InputFile.head(of: path, count: Int(InputPipeline.sniffLength)), !head.isEmpty
        else { return whole }
        var body = head[...]
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { body = head.dropFirst(3) }
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) { return whole }
        let format = RegistryReader.format(forName: path) ?? InputPipeline.sniffFormat(body)
        guard format != .xml else { return whole }
        let encoding: TextEncoding
        if let forced = options.encoding {
            encoding = forced
        } else if head.starts(with: [0xEF, 0xBB, 0xBF]) {
            encoding = .utf8
        } else {
            encoding = body.withUnsafeBytes { firstInvalidUTF8(in: $0, allowTruncatedEnd: true) == nil } ? .utf8 : .gb18030
        }
        var header: [String]?
        if format == .csv {
            guard let fields = CSVRegistryReader.header(of: body) else { return whole }
            header = fields
        }
        guard let starts = RegistryReader.recordStarts(path, size: size, every: pieceBytes, quoted: format == .csv) else { return whole }
        var pieces: [RegistryPiece] = []
        for (index, start) in starts.enumerated() {
            let end = index + 1 < starts.count ? starts[index + 1] : size
            let context = index == 0 ? nil : PieceContext(format: format, encoding: encoding, csvHeader: header, byteOffset: start)
            pieces.append(RegistryPiece(fileIndex: fileIndex, path: path, range: start..<end, context: context))
        }
        return pieces
    }

    /// Offsets about `every` bytes apart (the first 0) at which a record of the file starts:
    /// after a newline — for CSV (`quoted`), one outside quoted fields, as `CSVRegistryReader`
    /// reads them (a quote opens a field only at its start; `""` inside is a quote). The file
    /// is read with `pread`, not mapped: one that shrinks meanwhile ends the search early (its
    /// pieces then report where it ends) instead of faulting. Nil when it cannot be opened.
    static func recordStarts(_ path: String, size: Int64, every: Int64, quoted: Bool) -> [Int64]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return recordStarts(size: Int(size), every: Int(every), quoted: quoted) { offset, buffer in
            while true {
                let got = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
                if got < 0 && errno == EINTR { continue }
                return max(got, 0)
            }
        }.map(Int64.init)
    }

    /// `recordStarts` over bytes in memory, read `chunk` bytes at a time.
    static func recordStarts(in bytes: UnsafeRawBufferPointer, every: Int, quoted: Bool, chunk: Int = 8 << 20) -> [Int] {
        recordStarts(size: bytes.count, every: every, quoted: quoted, chunk: chunk) { offset, buffer in
            let count = min(buffer.count, bytes.count - offset)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            return count
        }
    }

    /// `recordStarts` over a file of `size` bytes that `read(offset, buffer)` reads front to
    /// back (returning the bytes read, 0 at its end). For CSV every byte is looked at (quotes
    /// decide where records end); for JSON Lines only the bytes from each target to the next
    /// newline. The last piece is at least half of `every`.
    static func recordStarts(
        size: Int, every: Int, quoted: Bool, chunk: Int = 8 << 20, read: (Int, UnsafeMutableRawBufferPointer) -> Int
    ) -> [Int] {
        var starts = [0]
        var target = every
        guard target < size, every > 0 else { return starts }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, chunk), alignment: 16)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress else { return starts }
        let quote: UInt8 = 0x22
        let newline: UInt8 = 0x0A
        func find(_ byte: UInt8, _ range: Range<Int>) -> Int? {
            guard !range.isEmpty, let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
            return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
        }
        // The scanner's state across chunks: inside a quoted field; a quote inside one ended the
        // last chunk (the next byte tells `""` from the field's end); the byte before the chunk
        // (the file's start counts as a line's).
        var inQuotes = false
        var quoteAtEnd = false
        var previous = newline
        var offset = 0
        while offset < size {
            if !quoted { offset = max(offset, target) }
            let got = read(offset, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, size - offset)]))
            guard got > 0 else { break }
            var i = 0
            if quoteAtEnd {
                quoteAtEnd = false
                if buffer[0] == quote { i = 1 } else { inQuotes = false }
            }
            while i < got {
                if inQuotes {
                    guard let closing = find(quote, i..<got) else { break }
                    if closing + 1 == got {
                        quoteAtEnd = true
                        i = got
                    } else if buffer[closing + 1] == quote {
                        i = closing + 2
                    } else {
                        inQuotes = false
                        i = closing + 1
                    }
                    continue
                }
                // Outside quotes up to the next quote: every newline there ends a record.
                let next = quoted ? find(quote, i..<got) ?? got : got
                var from = max(i, target - offset)
                while from < next, let end = find(newline, from..<next) {
                    let start = offset + end + 1
                    guard start < size, size - start >= every / 2 else { return starts }
                    starts.append(start)
                    target = start + every
                    from = max(end + 1, target - offset)
                }
                guard next < got else { break }
                let before = next > 0 ? buffer[next - 1] : previous
                if before == 0x2C || before == newline { inQuotes = true }
                i = next + 1
            }
            previous = buffer[got - 1]
            offset += got
        }
        return starts
    }
}

/// One parallel read: the pieces, the threads that read them, and the in-order commit.
private final class ParallelRead<Consumer: RegistryPieceConsumer>: @unchecked Sendable {
    // @unchecked: `lock` guards the queue, the results and the reports; `commitLock` makes
    // commits one at a time, in order.
    let reader: RegistryReader
    let pieces: [RegistryPiece]
    let makeConsumer: () -> Consumer
    let commitConsumer: (Consumer) -> Void
    private let lock = NSLock()
    private let commitLock = NSLock()
    private var next = 0
    private var finished: [Int: PieceResult] = [:]
    private var committed = 0
    /// Pieces started and not yet committed are at most this many (memory stays bounded).
    private let window: DispatchSemaphore
    private let windowSize: Int
    /// Newlines of each file's pieces committed so far: the next piece's first line, less one.
    private var linesBefore: [Int: Int] = [:]
    private(set) var reports: [Int: FileReport] = [:]
    /// Bytes and records read so far, by file (for the progress line).
    private var progress: [Int: (bytes: Int64, records: Int)] = [:]

    struct PieceResult {
        var report: FileReport
        var consumer: Consumer
        var deferred: [RecordSink.DeferredKey]
        var newlines: Int
    }

    init(reader: RegistryReader, pieces: [RegistryPiece], makeConsumer: @escaping () -> Consumer, commit: @escaping (Consumer) -> Void) {
        self.reader = reader
        self.pieces = pieces
        self.makeConsumer = makeConsumer
        self.commitConsumer = commit
        windowSize = 8
        window = DispatchSemaphore(value: windowSize)
    }

    func start(threads: Int) {
        let workers = max(1, min(threads, pieces.count))
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            Thread.detachNewThread { [self] in
                work()
                group.leave()
            }
        }
        group.wait()
    }

    private func work() {
        while true {
            window.wait()
            lock.lock()
            let index = next
            next += 1
            lock.unlock()
            guard index < pieces.count else {
                window.signal()
                return
            }
            let result = read(pieces[index])
            lock.lock()
            finished[index] = result
            lock.unlock()
            commitReady()
        }
    }

    /// Reads one piece into a fresh consumer.
    private func read(_ piece: RegistryPiece) -> PieceResult {
        let consumer = makeConsumer()
        // A whole file finds its own duplicates as it goes (lines are the file's); a piece of
        // one leaves them all to the commit.
        let sink = RecordSink(
            file: piece.path, fileIndex: piece.fileIndex, options: reader.options, duplicates: piece.range == nil ? DuplicateTable() : nil,
            deliver: { consumer.add($0) })
        sink.deferredKeys = []
        var newlines = 0
        if let range = piece.range {
            let input =
                piece.context.map { InputPipeline(sink: sink, continuing: $0) }
                ?? InputPipeline(sink: sink, formatHint: RegistryReader.format(forName: piece.path))
            do {
                try RegistryReader.forEachChunk(of: piece.path, in: range) { chunk in
                    try input.feed(chunk)
                    noteProgress(piece, bytes: Int64(chunk.count), records: sink.recordsRead)
                }
                try input.finish()
            } catch let error as InputError {
                sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: piece.path, byteOffset: error.offset), kind: nil, error.reason))
            } catch {
                sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: piece.path, byteOffset: range.lowerBound), kind: nil, "\(error)"))
            }
            newlines = input.newlinesRead
        } else {
            do {
                try reader.readWhole(piece.path, sink: sink) { bytes in noteProgress(piece, bytes: bytes, records: sink.recordsRead) }
            } catch {
                // Only strict mode stops a read, and it is not read in pieces.
                sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: piece.path), kind: nil, "\(error)"))
            }
        }
        return PieceResult(report: sink.report, consumer: consumer, deferred: sink.deferredKeys ?? [], newlines: newlines)
    }

    private func noteProgress(_ piece: RegistryPiece, bytes: Int64, records: Int) {
        guard let callback = reader.progress else { return }
        lock.lock()
        defer { lock.unlock() }
        var sofar = progress[piece.fileIndex] ?? (0, 0)
        sofar.bytes += bytes
        progress[piece.fileIndex] = sofar
        callback(
            RegistryReadProgress(
                file: piece.path, bytes: sofar.bytes, fileBytes: piece.range == nil ? nil : InputFile.size(of: piece.path),
                records: sofar.records + records))
    }

    /// Commits the finished pieces that are next in order.
    private func commitReady() {
        commitLock.lock()
        defer { commitLock.unlock() }
        while true {
            lock.lock()
            let result = finished.removeValue(forKey: committed)
            lock.unlock()
            guard let result else { return }
            commit(result, piece: pieces[committed])
            committed += 1
            window.signal()
        }
    }

    private func commit(_ result: PieceResult, piece: RegistryPiece) {
        let base = linesBefore[piece.fileIndex] ?? 0
        linesBefore[piece.fileIndex] = base + result.newlines
        var report = result.report
        if base > 0 { report.moveLines(by: base) }
        // Keys against every earlier piece, in order.
        var duplicates: [RegistryIssue] = []
        for key in result.deferred {
            let line = key.line + base
            guard let first = reader.duplicates.insert(RecordSink.DuplicateKey(hash: key.hash), file: piece.fileIndex, line: line) else {
                continue
            }
            result.consumer.drop(key.kind, ordinal: Int(key.ordinal))
            report.countsByOrdinal[key.kind.ordinal].accepted -= 1
            report.countsByOrdinal[key.kind.ordinal].rejected += 1
            if let itemKind = RecordSink.itemKind(of: key.kind), key.items > 0 {
                report.countsByOrdinal[itemKind.ordinal].accepted -= Int(key.items)
                report.countsByOrdinal[itemKind.ordinal].rejected += Int(key.items)
            }
            let firstLocation = first.file == piece.fileIndex ? "line \(first.line)" : "file #\(first.file + 1) line \(first.line)"
            duplicates.append(
                RegistryIssue(
                    .rejected, at: RecordLocation(file: piece.path, line: line), kind: key.kind,
                    "duplicate \(RecordSink.keyName(of: key.kind)) (first at \(firstLocation))"))
        }
        if !duplicates.isEmpty { report.addIssues(duplicates, keeping: reader.options.maximumIssuesKept) }
        if let earlier = reports[piece.fileIndex] {
            reports[piece.fileIndex] = earlier.followed(by: report, keeping: reader.options.maximumIssuesKept)
        } else {
            reports[piece.fileIndex] = report
        }
        lock.lock()
        var sofar = progress[piece.fileIndex] ?? (0, 0)
        sofar.records += result.report.total.read
        progress[piece.fileIndex] = sofar
        lock.unlock()
        commitConsumer(result.consumer)
    }
}

extension RegistryReader {
    /// Reads `range` of the file at `path` in chunks.
    static func forEachChunk(of path: String, in range: Range<Int64>, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw InputError(.cannotOpen, file: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: InputFile.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let wanted = Int(min(Int64(buffer.count), range.upperBound - offset))
            let got = pread(descriptor, buffer.baseAddress, wanted, off_t(offset))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                throw InputError(
                    .truncated, file: path, offset: offset,
                    "the file ends at byte \(offset) (it was \(range.upperBound) or more bytes when read began)")
            }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            offset += Int64(got)
        }
    }
}

extension FileReport {
    /// Moves every issue's line by `lines` (a piece's report, whose lines counted from its
    /// start).
    mutating func moveLines(by lines: Int) {
        for index in issues.indices {
            if let line = issues[index].location.line { issues[index].location.line = line + lines }
        }
        if let line = fatal?.location.line { fatal?.location.line = line + lines }
    }

    /// Adds issues found after the file was read (kept in line order among the others).
    mutating func addIssues(_ added: [RegistryIssue], keeping limit: Int) {
        for issue in added { issueCounts[issue.severity, default: 0] += 1 }
        issues = Array(
            (issues + added).enumerated().sorted { a, b in
                let lineA = a.element.location.line ?? Int.max
                let lineB = b.element.location.line ?? Int.max
                return lineA != lineB ? lineA < lineB : a.offset < b.offset
            }.map(\.element).prefix(limit))
    }

    /// This report and that of the file's next piece, as one.
    func followed(by next: FileReport, keeping limit: Int) -> FileReport {
        var joined = self
        for index in joined.countsByOrdinal.indices {
            joined.countsByOrdinal[index] = joined.countsByOrdinal[index] + next.countsByOrdinal[index]
        }
        joined.issues = Array((issues + next.issues).prefix(limit))
        for (severity, count) in next.issueCounts { joined.issueCounts[severity, default: 0] += count }
        for (path, count) in next.skipped { joined.skipped[path, default: 0] += count }
        if joined.fatal == nil { joined.fatal = next.fatal }
        joined.undecodableBytes += next.undecodableBytes
        joined.unknownKind = joined.unknownKind + next.unknownKind
        return joined
    }
}
