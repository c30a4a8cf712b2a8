public import BeianCore
import Foundation
import ZIPFoundation

/// The exchange formats of registry exports.
public enum RegistryFormat: String, Sendable, CaseIterable, Codable {
    /// MIIT V3.0 `DownloadData`/`UploadData` XML, GBK or UTF-8, plain, gzip or zip.
    case xml
    /// RFC 4180 CSV, one record kind per file, identified by its header.
    case csv
    /// JSON Lines, one record per line with a `kind` key.
    case jsonl
}

/// How many records of one kind were read, accepted and refused: `read` is always
/// `accepted + rejected`.
public struct RecordCounts: Hashable, Sendable, Codable {
    public var read = 0
    public var accepted = 0
    public var rejected = 0

    public init() {}

    public static func + (lhs: RecordCounts, rhs: RecordCounts) -> RecordCounts {
        var sum = lhs
        sum.read += rhs.read
        sum.accepted += rhs.accepted
        sum.rejected += rhs.rejected
        return sum
    }
}

/// What reading one file produced: counts per kind, the issues, what was skipped.
public struct FileReport: Sendable {
    public let file: String
    public internal(set) var format: RegistryFormat?
    public internal(set) var encoding: TextEncoding?
    /// Counts per kind (kinds with no record are absent).
    public var counts: [RecordKind: RecordCounts] {
        var result: [RecordKind: RecordCounts] = [:]
        for kind in RecordKind.allCases where countsByOrdinal[kind.ordinal].read > 0 { result[kind] = countsByOrdinal[kind.ordinal] }
        return result
    }
    /// The counts, indexed by `RecordKind.ordinal` (no hashing on the per-record path).
    var countsByOrdinal = [RecordCounts](repeating: RecordCounts(), count: RecordKind.allCases.count)
    /// The first `RegistryReadOptions.maximumIssuesKept` issues, in input order.
    public internal(set) var issues: [RegistryIssue] = []
    /// All issues by severity, including those not kept.
    public internal(set) var issueCounts: [RegistryIssue.Severity: Int] = [:]
    /// XML elements beian does not use (check results, other code tables), by path.
    public internal(set) var skipped: [String: Int] = [:]
    /// Set when the rest of the file could not be read.
    public internal(set) var fatal: RegistryIssue?
    /// Bytes that did not decode in the file's encoding (replaced by U+FFFD).
    public internal(set) var undecodableBytes = 0
    /// Records refused before their kind could be told (a JSON line without a known `kind`).
    public internal(set) var unknownKind = RecordCounts()

    init(file: String) {
        self.file = file
    }

    /// Sum of the counts of every kind.
    public var total: RecordCounts { countsByOrdinal.reduce(unknownKind, +) }
}

/// Options of a registry read.
public struct RegistryReadOptions: Sendable {
    /// Forces the encoding instead of detecting it.
    public var encoding: TextEncoding?
    /// Stop at the first refused record.
    public var strict = false
    /// Issues kept per file (all are counted).
    public var maximumIssuesKept = RegistryLimits.maximumIssuesKept

    public init(encoding: TextEncoding? = nil, strict: Bool = false) {
        self.encoding = encoding
        self.strict = strict
    }
}

/// Why a read stopped.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable {
        public let name: String
        public static let strict = Code(name: "strict")
        public static let unreadable = Code(name: "unreadable")
    }

    public let code: Code
    public let message: String
    /// The report of the file up to the stop.
    public let report: FileReport?

    public var description: String { message }
}

/// How far a file has been read.
public struct RegistryReadProgress: Sendable {
    public var file: String
    /// Bytes read (after decompression for `.gz`).
    public var bytes: Int64
    /// The file's size, when the bytes read count towards it (not for `.gz`).
    public var fileBytes: Int64?
    /// Records read so far from the file.
    public var records: Int
}

/// Reads registry exports of every format and kind, checking every value, counting every
/// record, and finding duplicate numbers and ids across all the files it reads.
///
/// One reader is used by one thread; read several files with the same reader to find
/// duplicates between them.
public final class RegistryReader {
    public let options: RegistryReadOptions
    private(set) var duplicates = DuplicateTable()
    private var files: [String] = []
    /// Called after every chunk of a file read (on the reading thread): for a progress line.
    public var progress: ((RegistryReadProgress) -> Void)?

    public init(options: RegistryReadOptions = RegistryReadOptions()) {
        self.options = options
    }

    /// Reads `path` (`.xml`, `.csv`, `.jsonl`, each possibly `.gz`; `.zip` of those; or
    /// detected from the content) and hands every accepted record to `body` in input order.
    ///
    /// Returns the file's report. Throws `RegistryError` when the file cannot be opened, or
    /// in strict mode at the first refused record; errors thrown by `body` pass through.
    public func read(_ path: String, _ body: (RegistryRecord) throws -> Void) throws -> FileReport {
        try withoutActuallyEscaping(body) { try read(path, escaping: $0) }
    }

    private func read(_ path: String, escaping body: @escaping (RegistryRecord) throws -> Void) throws -> FileReport {
        registerFile(path)
        let sink = RecordSink(file: path, fileIndex: fileCount - 1, options: options, duplicates: duplicates, deliver: body)
        var done: Int64 = 0
        let fileBytes = path.lowercased().hasSuffix(".gz") ? nil : InputFile.size(of: path)
        try readWhole(path, sink: sink) { bytes in
            guard let progress else { return }
            done += bytes
            progress(RegistryReadProgress(file: path, bytes: done, fileBytes: fileBytes, records: sink.recordsRead))
        }
        return sink.report
    }

    /// Frees the keys of the records read so far (a national export's take a gigabyte): files
    /// read after this are checked for duplicates only among themselves.
    public func forgetKeys() {
        duplicates = DuplicateTable()
    }

    /// Notes a file read (duplicates name files by their place in the reader's list).
    func registerFile(_ path: String) {
        files.append(path)
    }

    /// Files read so far.
    var fileCount: Int { files.count }

    /// Reads the whole file at `path` into `sink`, telling `advanced` how many bytes each
    /// chunk had. Throws `RegistryError` when the file cannot be opened, or in strict mode at
    /// the first refused record.
    func readWhole(_ path: String, sink: RecordSink, advanced: (Int64) -> Void) throws {
        let isZip: Bool
        do {
            isZip = try InputFile.magic(of: path, count: 4) == [0x50, 0x4B, 0x03, 0x04]
        } catch {
            throw RegistryError(code: .unreadable, message: error.description, report: nil)
        }
        if isZip {
            try readZip(path, sink: sink)
            return
        }
        let stream: any ByteStream
        do {
            stream = try InputFile.open(path)
        } catch {
            throw RegistryError(code: .unreadable, message: error.description, report: nil)
        }
        let input = InputPipeline(sink: sink, formatHint: RegistryReader.format(forName: path))
        do {
            try stream.forEachChunk { chunk in
                try input.feed(chunk)
                advanced(Int64(chunk.count))
            }
            try input.finish()
        } catch let error as InputError {
            sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: path, byteOffset: error.offset), kind: nil, error.reason))
        } catch let stop as StrictStop {
            throw RegistryError(code: .strict, message: stop.issue.description, report: sink.report)
        }
    }

    private func readZip(_ path: String, sink: RecordSink) throws {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: path), kind: nil, "not a readable zip archive: \(error)"))
            return
        }
        var entries = 0
        for entry in archive where entry.type == .file {
            entries += 1
            guard entries <= RegistryLimits.maximumZipEntries else {
                sink.fatal(
                    RegistryIssue(
                        .fatal, at: RecordLocation(file: path), kind: nil, "more than \(RegistryLimits.maximumZipEntries) entries"))
                break
            }
            let entryName = "\(path)!\(entry.path)"
            sink.currentName = entryName
            let input = InputPipeline(sink: sink, formatHint: RegistryReader.format(forName: entry.path))
            do {
                _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { data in
                    try data.withUnsafeBytes { try input.feed($0) }
                }
                try input.finish()
            } catch let stop as StrictStop {
                throw RegistryError(code: .strict, message: stop.issue.description, report: sink.report)
            } catch {
                sink.fatal(RegistryIssue(.fatal, at: RecordLocation(file: entryName), kind: nil, "cannot extract: \(error)"))
            }
        }
    }

    /// The format a file name announces (`.xml`, `.csv`, `.jsonl`/`.ndjson`, with or without
    /// `.gz`), or nil.
    static func format(forName name: String) -> RegistryFormat? {
        var lower = name.lowercased()
        if lower.hasSuffix(".gz") { lower.removeLast(3) }
        if lower.hasSuffix(".xml") { return .xml }
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") { return .jsonl }
        return nil
    }
}

extension RegistryLimits {
    /// Most entries read from one zip archive.
    public static let maximumZipEntries = 10_000
}

/// Thrown through the readers to stop at the first refused record in strict mode.
struct StrictStop: Error {
    let issue: RegistryIssue
}

/// Receives the rows of one file: decodes, counts, finds duplicates, hands records on.
final class RecordSink {
    private var partialReport: FileReport
    /// Counts per kind by ordinal, kept apart from the report so the per-record path touches
    /// one small array.
    private var counts = [RecordCounts](repeating: RecordCounts(), count: RecordKind.allCases.count)

    /// Records read so far, of every kind.
    var recordsRead: Int { counts.reduce(unknownRead) { $0 + $1.read } }
    private var unknownRead: Int { partialReport.unknownKind.read }

    /// The report so far.
    var report: FileReport {
        var report = partialReport
        report.countsByOrdinal = counts
        return report
    }
    /// The name in messages: the file, or `archive.zip!entry.xml`.
    var currentName: String
    let fileIndex: Int
    let options: RegistryReadOptions
    /// The keys seen, when duplicates are found as records arrive (lines must be the file's).
    let duplicates: DuplicateTable?
    let deliver: (RegistryRecord) throws -> Void
    /// When set, the key of every record handed on is kept here too, for duplicates to be
    /// found between pieces read apart (`RegistryReader.read(_:threads:…)`).
    var deferredKeys: [DeferredKey]?
    /// Records handed on, by kind ordinal: the next one's position among its kind.
    private(set) var delivered = [Int](repeating: 0, count: RecordKind.allCases.count)

    /// A record's key, kept to be checked against earlier pieces: `ordinal` is its position
    /// among the records of its kind handed on by this sink.
    struct DeferredKey {
        var hash: Int
        var line: Int
        var ordinal: Int32
        var items: Int32
        var kind: RecordKind
    }

    init(
        file: String, fileIndex: Int, options: RegistryReadOptions, duplicates: DuplicateTable?,
        deliver: @escaping (RegistryRecord) throws -> Void
    ) {
        partialReport = FileReport(file: file)
        currentName = file
        self.fileIndex = fileIndex
        self.options = options
        self.duplicates = duplicates
        self.deliver = deliver
    }

    func setFormat(_ format: RegistryFormat, encoding: TextEncoding) {
        partialReport.format = format
        partialReport.encoding = encoding
    }

    func addUndecodable(_ count: Int) {
        partialReport.undecodableBytes += count
    }

    /// Records an issue; in strict mode a refused record stops the read.
    func note(_ issue: RegistryIssue) throws {
        partialReport.issueCounts[issue.severity, default: 0] += 1
        if partialReport.issues.count < options.maximumIssuesKept { partialReport.issues.append(issue) }
        if options.strict && issue.severity == .rejected { throw StrictStop(issue: issue) }
    }

    func fatal(_ issue: RegistryIssue) {
        partialReport.issueCounts[.fatal, default: 0] += 1
        if partialReport.fatal == nil { partialReport.fatal = issue }
        partialReport.issues.append(issue)
    }

    func skip(_ path: String) {
        partialReport.skipped[path, default: 0] += 1
    }

    func count(_ kind: RecordKind, accepted: Int, rejected: Int) {
        counts[kind.ordinal].read += accepted + rejected
        counts[kind.ordinal].accepted += accepted
        counts[kind.ordinal].rejected += rejected
    }

    /// Decodes `row`, counts it and its items, and hands the record on; returns whether it
    /// was accepted. A row whose parent was refused is refused with it (`parentRefused` says
    /// why).
    @discardableResult
    func accept(_ row: RegistryRow, parentRefused: String? = nil, refuse extraReason: String? = nil) throws -> Bool {
        var decoded = RowDecoder.decode(row)
        if let reason = parentRefused ?? extraReason, decoded.record != nil {
            decoded.record = nil
            decoded.itemsRejected += decoded.itemsAccepted
            decoded.itemsAccepted = 0
            decoded.issues.append(RegistryIssue(.rejected, at: row.location, kind: row.kind, reason))
        }
        if let key = decoded.duplicateKey, decoded.record != nil, let duplicates {
            if let first = duplicates.insert(key, file: fileIndex, line: row.line ?? 0) {
                let label = decoded.record.map(RecordSink.duplicateLabel) ?? "record"
                decoded.record = nil
                decoded.itemsRejected += decoded.itemsAccepted
                decoded.itemsAccepted = 0
                let firstLocation = first.file == fileIndex ? "line \(first.line)" : "file #\(first.file + 1) line \(first.line)"
                decoded.issues.append(
                    RegistryIssue(.rejected, at: row.location, kind: row.kind, "duplicate \(label) (first at \(firstLocation))"))
            }
        }
        let accepted = decoded.record != nil
        count(row.kind, accepted: accepted ? 1 : 0, rejected: accepted ? 0 : 1)
        if let itemKind = decoded.itemKind {
            count(itemKind, accepted: decoded.itemsAccepted, rejected: decoded.itemsRejected)
        }
        for issue in decoded.issues { try note(issue) }
        if let record = decoded.record.take() {
            if deferredKeys != nil, let key = decoded.duplicateKey {
                deferredKeys?.append(
                    DeferredKey(
                        hash: key.hash, line: row.line ?? 0, ordinal: Int32(truncatingIfNeeded: delivered[row.kind.ordinal]),
                        items: Int32(truncatingIfNeeded: decoded.itemsAccepted), kind: row.kind))
            }
            delivered[row.kind.ordinal] += 1
            try deliver(record)
        }
        return accepted
    }

    /// Counts a row refused before decoding (wrong field count, bad JSON…).
    func refuse(_ kind: RecordKind?, at location: RecordLocation, _ reason: String) throws {
        if let kind {
            count(kind, accepted: 0, rejected: 1)
        } else {
            partialReport.unknownKind.read += 1
            partialReport.unknownKind.rejected += 1
        }
        try note(RegistryIssue(.rejected, at: location, kind: kind, reason))
    }

    struct DuplicateKey {
        let hash: Int
    }

    /// What the key of a kind's records is (in messages about duplicates found between
    /// pieces, when the record itself is gone).
    static func keyName(of kind: RecordKind) -> String {
        switch kind {
        case .sponsor: "sponsor number"
        case .site: "site number"
        case .access: "access id"
        case .ipSource: "source id"
        case .ipAllocation: "allocation id"
        case .ipSelfBrought: "self-brought id"
        case .domainRegistration: "domain registration"
        case .reportingUnit: "unit id"
        case .province: "province"
        case .unfiledSite: "unfiled-list id"
        case .illegalAccess: "illegal-access id"
        default: kind.rawValue
        }
    }

    /// The kind of the items a record of `kind` carries (counted apart), if any.
    static func itemKind(of kind: RecordKind) -> RecordKind? {
        switch kind {
        case .site: .siteDomain
        case .access: .accessRange
        default: nil
        }
    }

    /// What the duplicate key of a record is, for the message (built only for duplicates).
    static func duplicateLabel(of record: RegistryRecord) -> String {
        switch record {
        case .sponsor(let s): "sponsor number \(s.number)"
        case .site(let s): "site number \(s.number)"
        case .access(let a): "access id \(a.id)"
        case .ipSource(let s): "source id \(s.id)"
        case .ipAllocation(let a): "allocation id \(a.id)"
        case .ipSelfBrought(let e): "self-brought id \(e.id)"
        case .domainRegistration(let r): "registration of \(r.domain)"
        case .reportingUnit(let u): "unit id \(u.id)"
        case .province(let p): "province \(p.province.registryCode)"
        case .unfiledSite(let e): "unfiled-list id \(e.id)"
        case .illegalAccess(let e): "illegal-access id \(e.id)"
        case .cancellation, .sponsorBlacklist, .siteBlacklist: "record"
        }
    }
}
