public import BeianCore
internal import Dispatch
internal import Foundation
internal import Synchronization

/// A page a crawl fetched, read.
public struct CrawledPage: Sendable {
    public var url: String
    public var host: String
    /// The input file and where in it (`offset 123`, `file x.html`).
    public var file: String
    public var location: String
    public var position: UInt64
    public var date: Timestamp?
    /// The server the crawler reached (`WARC-IP-Address`).
    public var address: IPAddress?
    public var status: Int
    /// Nil when the body is not HTML.
    public var reading: PageReading?
    public var problems: [String]

    /// The root page of its host (`/`, `/index.html`…): the page whose footer is judged.
    public var isHomepage: Bool { CrawlInput.isHomepagePath(url) }
}

/// A `bazs.cert` a crawl fetched.
public struct CrawledCertificate: Sendable {
    public var url: String
    public var host: String
    public var file: String
    public var location: String
    public var date: Timestamp?
    public var certificate: BazsCertificate?
    /// Why it could not be read, when it could not.
    public var problem: String?
}

/// Hands out indices to threads, each once.
final class WorkCounter: Sendable {
    private let value = Atomic<Int>(0)

    func take() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}

/// Reads crawls: WARC files (any gzip layout), folders of saved pages with a manifest, and
/// single HTML files.
public enum CrawlInput {
    public enum Item: Sendable {
        case page(CrawledPage)
        case certificate(CrawledCertificate)
    }

    /// What a crawl's records were, counted in its report (`InputReport.counters`): every
    /// record read is one of these, or rejected.
    enum RecordCount {
        static let pages = "pages"
        static let certificates = "bazs.cert"
        static let otherResponses = "other responses"
        static let revisits = "revisits"
        static let withoutResponse = "without a response"
    }

    /// The manifest of a folder of saved pages: lines `host<TAB>file`.
    public static let manifestName = "manifest.tsv"
    /// Largest saved page read from a folder.
    public static let maximumPage = HTTPResponse.maximumBody

    /// Reads `path` (a WARC or ARC file, a folder of saved pages, a saved page), calling
    /// `body` for each page and certificate in order, on the calling thread. With `threads`
    /// above 1, WARC records are examined (HTTP, charset, text, numbers) in batches on that
    /// many threads, and `examine` — what the caller makes of a page, its footer's judgement
    /// say — runs there too, its result handed to `body` with the page.
    ///
    /// Never throws: a crawl that cannot be read, or stops early, says so in the report's
    /// `failure`; damaged records are counted by reason and reading goes on.
    public static func read(
        _ path: String, threads: Int = 1, stop: () -> Bool = { false }, examine: @escaping @Sendable (CrawledPage) -> HomepageJudgement?,
        each body: (Item, HomepageJudgement?) -> Void
    ) -> InputReport {
        let started = ContinuousClock.now
        var report = InputReport(input: path, source: .crawl, unit: "records")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            readFolder(path, stop: stop, into: &report, examine: examine, body)
        } else if isArchive(path) {
            readWARC(path, threads: threads, stop: stop, into: &report, examine: examine, body)
        } else {
            report.format = "html"
            do {
                let bytes = try InputFile.open(path).readAll(limit: maximumPage)
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                let page = savedPage(bytes, host: name, file: path)
                report.read = 1
                report.used = 1
                report.counters.add(RecordCount.pages)
                body(.page(page), examine(page))
            } catch {
                report.failure = error
            }
        }
        report.used = report.counters[RecordCount.pages] + report.counters[RecordCount.certificates]
        report.seconds = (ContinuousClock.now - started).seconds
        return report
    }

    /// Reads `path` as `read(_:threads:stop:examine:each:)` does, without examining pages.
    public static func read(_ path: String, threads: Int = 1, _ body: (Item) -> Void) -> InputReport {
        read(path, threads: threads, examine: { _ in nil }, each: { item, _ in body(item) })
    }

    /// Whether `path` holds WARC or ARC records (plain or gzip), not a saved page.
    static func isArchive(_ path: String) -> Bool {
        guard let head = InputFile.head(of: path, count: 11) else { return true }  // the reader reports it
        return head.starts(with: "WARC/".utf8) || head.starts(with: "filedesc://".utf8)
    }

    static func savedPage(_ bytes: [UInt8], host: String, file: String) -> CrawledPage {
        CrawledPage(
            url: "http://\(host)/", host: host, file: file, location: "file", position: 0, date: nil, address: nil, status: 200,
            reading: PageReading(body: bytes, headerCharset: nil), problems: [])
    }

    static func readFolder(
        _ path: String, stop: () -> Bool, into report: inout InputReport, examine: @Sendable (CrawledPage) -> HomepageJudgement?,
        _ body: (Item, HomepageJudgement?) -> Void
    ) {
        report.format = "folder"
        let folder = URL(fileURLWithPath: path)
        var entries: [(host: String, file: String)] = []
        let manifest = folder.appendingPathComponent(manifestName).path
        if FileManager.default.fileExists(atPath: manifest) {
            let bytes: [UInt8]
            do { bytes = try InputFile.open(manifest).readAll(limit: maximumManifest) } catch {
                report.failure = error
                return
            }
            for (number, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated() where !line.isEmpty
            {
                let fields = line.split(separator: "\t")
                guard fields.count >= 2 else {
                    report.rejected.add("manifest line without host<TAB>file")
                    report.note(
                        InputReport.Issue(file: manifest, position: .line(UInt64(number + 1)), message: "expected host<TAB>file"))
                    continue
                }
                entries.append((String(fields[0]), folder.appendingPathComponent(String(fields[1])).path))
            }
        } else {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                report.failure = InputError(.cannotOpen, file: path, "cannot list the folder")
                return
            }
            for name in names.sorted() where name.hasSuffix(".html") || name.hasSuffix(".htm") {
                entries.append(
                    (URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent, folder.appendingPathComponent(name).path))
            }
            // A folder is read as saved pages; one without any was most likely given by mistake.
            guard !entries.isEmpty else {
                report.failure = InputError(
                    .unsupported, file: path,
                    "a folder is read as saved pages, and this one has none (*.html, *.htm) nor a \(manifestName); give captures and logs as files"
                )
                return
            }
        }
        for entry in entries where !stop() {
            report.read += 1
            do {
                let bytes = try InputFile.open(entry.file).readAll(limit: maximumPage)
                let page = savedPage(bytes, host: entry.host, file: entry.file)
                report.counters.add(RecordCount.pages)
                body(.page(page), examine(page))
            } catch {
                report.rejected.add("page \(error.code)")
                report.note(InputReport.Issue(file: entry.file, position: nil, message: error.reason))
            }
        }
    }

    static func readWARC(
        _ path: String, threads: Int, stop: () -> Bool, into report: inout InputReport,
        examine: @escaping @Sendable (CrawledPage) -> HomepageJudgement?,
        _ body: (Item, HomepageJudgement?) -> Void
    ) {
        report.format = "warc"
        let reader: WARCReader
        do { reader = try WARCReader(path: path) } catch {
            report.failure = error
            return
        }
        var rejections = InputReport.Tally()
        var issues: [InputReport.Issue] = []
        do {
            try readRecords(
                reader, threads: threads, stop: stop, examine: examine, counters: &report.counters, rejections: &rejections,
                issues: &issues, body)
        } catch {
            report.failure = error
        }
        report.format = reader.isARC ? "arc" : "warc"
        report.read = reader.report.records
        report.bytes = reader.fileOffset
        for (reason, count) in reader.report.rejected { report.rejected.add(reason, count) }
        for (reason, count) in rejections { report.rejected.add(reason, count) }
        for issue in reader.report.issues + issues { report.note(issue) }
        if reader.report.oversized > 0 { report.counters.add("blocks cut at \(WARCReader.maximumBlock) bytes", reader.report.oversized) }
    }

    /// What one record is to the audit.
    enum Examined: Sendable {
        /// Not a response (warcinfo, request, metadata).
        case skipped
        case revisit
        case other
        case rejected(String, InputReport.Issue)
        case page(CrawledPage)
        case certificate(CrawledCertificate)
    }

    /// Records examined together (on `threads` threads), then handed on in order.
    static let batchRecords = 256
    /// Largest manifest read from a folder of saved pages.
    static let maximumManifest = 64 << 20

    private static func readRecords(
        _ reader: WARCReader, threads: Int, stop: () -> Bool, examine: @escaping @Sendable (CrawledPage) -> HomepageJudgement?,
        counters: inout InputReport.Tally,
        rejections: inout InputReport.Tally, issues: inout [InputReport.Issue], _ body: (Item, HomepageJudgement?) -> Void
    ) throws(InputError) {
        let path = reader.path
        let converters = (0..<max(1, threads)).map { _ in TextConverters() }
        func handOn(_ results: [Examined], _ verdicts: [HomepageJudgement?]) {
            for (result, verdict) in zip(results, verdicts) {
                switch result {
                case .skipped: counters.add(RecordCount.withoutResponse)
                case .revisit: counters.add(RecordCount.revisits)
                case .other: counters.add(RecordCount.otherResponses)
                case .rejected(let reason, let issue):
                    rejections.add(reason)
                    if issues.count < WARCReader.maximumProblems { issues.append(issue) }
                case .page(let page):
                    counters.add(RecordCount.pages)
                    body(.page(page), verdict)
                case .certificate(let certificate):
                    counters.add(RecordCount.certificates)
                    body(.certificate(certificate), nil)
                }
            }
        }
        guard threads > 1 else {
            while !stop(), let record = try reader.next() {
                let result = Self.examine(record, path: path, converters: converters[0])
                handOn([result], [{ if case .page(let page) = result { examine(page) } else { nil } }()])
            }
            return
        }
        // A pipeline of two batches: while the workers examine one, this thread reads the
        // next and hands on the one before (with the batches one after the other, the workers
        // waited while a gzip crawl was decompressed).
        var inFlight: Examination?
        var ended = false
        while !ended && !stop() {
            var batch: [WARCRecord] = []
            batch.reserveCapacity(batchRecords)
            do {
                while batch.count < batchRecords, let record = try reader.next() { batch.append(record) }
            } catch {
                // What was read before the error is handed on, as one thread hands it on.
                if let examined = inFlight.take()?.finish() { handOn(examined.0, examined.1) }
                if !batch.isEmpty {
                    let last = Examination(batch, path: path, converters: converters, examine: examine).finish()
                    handOn(last.0, last.1)
                }
                throw error
            }
            ended = batch.count < batchRecords
            let previous = inFlight.take()?.finish()
            if !batch.isEmpty { inFlight = Examination(batch, path: path, converters: converters, examine: examine) }
            if let previous { handOn(previous.0, previous.1) }
        }
        if let last = inFlight.take()?.finish() { handOn(last.0, last.1) }
    }

    /// A batch of records examined on worker threads, one `TextConverters` each, records taken
    /// one at a time from a shared counter (requests and responses alternate in WARC files,
    /// so a fixed split would give one thread all the pages). `finish` waits for it and
    /// gives the results in the batch's order; it must be called once.
    final class Examination: @unchecked Sendable {
        // Safe: the buffers are written by the workers, each element once, and read by
        // `finish` only after the group says every worker is done.
        private let results: UnsafeMutableBufferPointer<Examined>
        private let verdicts: UnsafeMutableBufferPointer<HomepageJudgement?>
        private let group = DispatchGroup()
        private let count: Int

        init(
            _ batch: [WARCRecord], path: String, converters: [TextConverters],
            examine: @escaping @Sendable (CrawledPage) -> HomepageJudgement?
        ) {
            count = batch.count
            results = .allocate(capacity: batch.count)
            verdicts = .allocate(capacity: batch.count)
            nonisolated(unsafe) let output = results
            nonisolated(unsafe) let judged = verdicts
            nonisolated(unsafe) let perThread = converters
            let next = WorkCounter()
            for worker in 0..<min(converters.count, batch.count) {
                DispatchQueue.global().async(group: group) {
                    while case let index = next.take(), index < batch.count {
                        let result = CrawlInput.examine(batch[index], path: path, converters: perThread[worker])
                        output.initializeElement(at: index, to: result)
                        judged.initializeElement(at: index, to: { if case .page(let page) = result { examine(page) } else { nil } }())
                    }
                }
            }
        }

        func finish() -> ([Examined], [HomepageJudgement?]) {
            group.wait()
            let ordered = (Array(results), Array(verdicts))
            _ = results.deinitialize()
            _ = verdicts.deinitialize()
            results.deallocate()
            verdicts.deallocate()
            return ordered
        }
    }

    /// What one record is: a page read (charset, text, numbers), a certificate, or what else.
    static func examine(_ record: WARCRecord, path: String, converters: TextConverters) -> Examined {
        switch record.type {
        case "revisit": return .revisit
        case "response", "resource": break
        default: return .skipped
        }
        guard let url = record.targetURI, let host = FilingSystemHosts.host(ofHref: url) else { return .other }
        let date = record.date.flatMap { try? Timestamp.parse($0) }
        var status = 200
        var bodyBytes = record.block
        var headerCharset: String?
        var contentType = record.contentType ?? ""
        var problems: [String] = []
        if record.type == "response" {
            guard let response = HTTPResponse(message: record.block) else {
                let reason = "response record without an HTTP response"
                return .rejected(reason, InputReport.Issue(file: path, position: .offset(UInt64(clamping: record.offset)), message: reason))
            }
            status = response.status
            bodyBytes = response.body
            headerCharset = response.declaredCharset
            contentType = response.header("content-type") ?? ""
            problems = response.problems
        } else {
            headerCharset = HTTPResponse.charset(inContentType: contentType)
        }
        if isCertificatePath(url) {
            guard status == 200 else { return .other }
            var item = CrawledCertificate(url: url, host: host, file: path, location: record.location, date: date)
            do {
                item.certificate = try BazsCertificate(der: bodyBytes)
            } catch {
                item.problem = error.description
            }
            return .certificate(item)
        }
        guard (200..<300).contains(status), isHTML(contentType: contentType, body: bodyBytes) else { return .other }
        let page = CrawledPage(
            url: url, host: host, file: path, location: record.location, position: UInt64(clamping: record.offset), date: date,
            address: record.ipAddress.flatMap { IPAddress($0) }, status: status,
            reading: PageReading(body: bodyBytes, headerCharset: headerCharset, converters: converters), problems: problems)
        return .page(page)
    }

    static func isHTML(contentType: String, body: [UInt8]) -> Bool {
        let type = contentType.lowercased()
        if type.contains("html") { return true }
        if !type.isEmpty && !type.hasPrefix("text/plain") && !type.contains("octet-stream") { return false }
        // No or a vague type: a page starts with markup.
        let start = body.prefix(512).drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        return start.first == 0x3C
    }

    static func path(of url: String) -> String {
        var bytes = Array(url.utf8)[...]
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: Array("://".utf8)) {
            bytes = bytes[(colon + 3)...]
        }
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return "/" }
        return String(decoding: bytes[slash...].prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }, as: UTF8.self)
    }

    static func isHomepagePath(_ url: String) -> Bool {
        let path = path(of: url).lowercased()
        if path == "/" || path.isEmpty { return true }
        let name = path.dropFirst()
        return !name.contains("/") && (name.hasPrefix("index.") || name.hasPrefix("default.") || name.hasPrefix("home."))
    }

    static func isCertificatePath(_ url: String) -> Bool {
        let path = path(of: url).lowercased()
        return path == "/cert/bazs.cert" || path == "/bazs.cert"
    }
}
