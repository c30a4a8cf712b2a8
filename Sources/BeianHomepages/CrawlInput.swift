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
    /// The footer's judgement, when the crawl was read with a judge and this is a homepage of
    /// a host with a filing in force (made on the reading threads).
    public var judgement: HomepageJudgement?
    /// Whether a judge looked at the page (`judgement` nil then means: no filing in force).
    public var judged = false

    /// Judges the page's footer when it is a homepage.
    public mutating func judge(with judge: HomepageJudge) {
        judged = true
        guard isHomepage, let reading else { return }
        judgement = judge.judge(host: host, numbers: reading.numbers, at: date)
    }

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

    public struct Report: Sendable {
        public var format = ""
        public var records = 0
        public var pages = 0
        public var certificates = 0
        /// Responses that are neither HTML nor a certificate (images, redirects, errors).
        public var otherResponses = 0
        /// Revisit records (their payload is elsewhere; not audited).
        public var revisits = 0
        /// Records that hold no response (warcinfo, request, metadata).
        public var nonResponses = 0
        public var rejected = 0
        public var problems: [String] = []

        /// One line for summaries: every record read is in one of the counts (a record kept
        /// after damage — a file that ends inside it — is counted among its kind and among the
        /// rejected).
        public var summary: String {
            "\(format), \(records) records: \(pages) pages, \(certificates) bazs.cert, \(otherResponses) other responses, "
                + "\(revisits) revisits, \(nonResponses) without a response; \(rejected) rejected"
        }
    }

    /// The manifest of a folder of saved pages: lines `host<TAB>file`.
    public static let manifestName = "manifest.tsv"
    /// Largest saved page read from a folder.
    public static let maximumPage = HTTPResponse.maximumBody

    /// Whether `path` is a crawl: a WARC file (plain or gzip) or a folder of saved pages.
    public static func isCrawl(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return true }
        guard let stream = try? InputFile.open(path) else { return false }
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16)
        while head.count < 11 {
            let got = chunk.withUnsafeMutableBytes { (try? stream.read(into: $0)) ?? 0 }
            if got == 0 { break }
            head += chunk[..<got]
        }
        return head.starts(with: Array("WARC/".utf8)) || head.starts(with: Array("filedesc://".utf8))
    }

    /// Reads `path`, calling `body` for each page and certificate in order.
    /// With `threads` above 1, WARC records are examined (HTTP, charset, text, numbers) in
    /// batches on that many threads; `body` is still called in order, on the calling thread.
    public static func read(_ path: String, threads: Int = 1, judge: HomepageJudge? = nil, _ body: (Item) throws -> Void) throws
        -> Report
    {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return try readFolder(path, body)
        }
        if isCrawl(path) { return try readWARC(path, threads: threads, judge: judge, body) }
        var report = Report(format: "html")
        let bytes = try InputFile.open(path).readAll(limit: maximumPage)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        try body(.page(savedPage(bytes, host: name, file: path)))
        report.pages = 1
        return report
    }

    static func savedPage(_ bytes: [UInt8], host: String, file: String) -> CrawledPage {
        CrawledPage(
            url: "http://\(host)/", host: host, file: file, location: "file", position: 0, date: nil, address: nil, status: 200,
            reading: PageReading(body: bytes, headerCharset: nil), problems: [])
    }

    static func readFolder(_ path: String, _ body: (Item) throws -> Void) throws -> Report {
        var report = Report(format: "folder")
        let folder = URL(fileURLWithPath: path)
        var entries: [(host: String, file: String)] = []
        let manifest = folder.appendingPathComponent(manifestName).path
        if FileManager.default.fileExists(atPath: manifest) {
            let text = String(decoding: try InputFile.open(manifest).readAll(limit: 64 << 20), as: UTF8.self)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
                let fields = line.split(separator: "\t")
                guard fields.count >= 2 else {
                    report.rejected += 1
                    report.problems.append("\(manifest): line \(number + 1): expected host<TAB>file")
                    continue
                }
                entries.append((String(fields[0]), folder.appendingPathComponent(String(fields[1])).path))
            }
        } else {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for name in names.sorted() where name.hasSuffix(".html") || name.hasSuffix(".htm") {
                entries.append(
                    (URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent, folder.appendingPathComponent(name).path))
            }
        }
        for entry in entries {
            do {
                let bytes = try InputFile.open(entry.file).readAll(limit: maximumPage)
                try body(.page(savedPage(bytes, host: entry.host, file: entry.file)))
                report.pages += 1
            } catch let error as InputError {
                report.rejected += 1
                report.problems.append(error.description)
            }
        }
        return report
    }

    static func readWARC(_ path: String, threads: Int, judge: HomepageJudge?, _ body: (Item) throws -> Void) throws -> Report {
        let reader = try WARCReader(path: path)
        var report = Report(format: "warc")
        try readRecords(reader, threads: threads, judge: judge, into: &report, body)
        report.format = reader.isARC ? "arc" : "warc"
        report.records = reader.report.records
        report.rejected += reader.report.rejected
        report.problems = reader.report.problems + report.problems
        return report
    }

    /// What one record is to the audit.
    enum Examined: Sendable {
        /// Not a response (warcinfo, request, metadata): not counted.
        case skipped
        case revisit
        case other
        case rejected(String)
        case page(CrawledPage)
        case certificate(CrawledCertificate)
    }

    /// Records examined together (on `threads` threads), then handed on in order.
    static let batchRecords = 256

    private static func readRecords(
        _ reader: WARCReader, threads: Int, judge: HomepageJudge?, into report: inout Report, _ body: (Item) throws -> Void
    ) throws {
        let path = reader.path
        let converters = (0..<max(1, threads)).map { _ in TextConverters() }
        var batch: [WARCRecord] = []
        var ended = false
        while !ended {
            batch.removeAll(keepingCapacity: true)
            while batch.count < (threads > 1 ? batchRecords : 1) {
                guard let record = try reader.next() else {
                    ended = true
                    break
                }
                batch.append(record)
            }
            guard !batch.isEmpty else { break }
            let results = examine(batch, path: path, converters: converters, judge: judge)
            for result in results {
                switch result {
                case .skipped: report.nonResponses += 1
                case .revisit: report.revisits += 1
                case .other: report.otherResponses += 1
                case .rejected(let problem):
                    report.rejected += 1
                    if report.problems.count < WARCReader.maximumProblems { report.problems.append(problem) }
                case .page(let page):
                    report.pages += 1
                    try body(.page(page))
                case .certificate(let certificate):
                    report.certificates += 1
                    try body(.certificate(certificate))
                }
            }
        }
    }

    /// The records of a batch examined, split among the converters' threads, in order.
    static func examine(_ batch: [WARCRecord], path: String, converters: [TextConverters], judge: HomepageJudge?) -> [Examined] {
        guard converters.count > 1, batch.count > 1 else {
            return batch.map { examine($0, path: path, converters: converters[0], judge: judge) }
        }
        let results = UnsafeMutableBufferPointer<Examined>.allocate(capacity: batch.count)
        defer { results.deallocate() }
        let chunks = min(converters.count, batch.count)
        nonisolated(unsafe) let output = results
        nonisolated(unsafe) let perThread = converters
        // Records are taken one at a time from a shared counter: requests and responses
        // alternate in WARC files, so a fixed split would give one thread all the pages.
        let next = WorkCounter()
        @Sendable func work(_ chunk: Int) {
            while case let index = next.take(), index < batch.count {
                output.initializeElement(at: index, to: examine(batch[index], path: path, converters: perThread[chunk], judge: judge))
            }
        }
        let group = DispatchGroup()
        for chunk in 1..<chunks { DispatchQueue.global().async(group: group) { work(chunk) } }
        work(0)
        group.wait()
        let ordered = Array(results)
        _ = results.deinitialize()
        return ordered
    }

    static func examine(_ record: WARCRecord, path: String, converters: TextConverters, judge: HomepageJudge?) -> Examined {
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
                return .rejected("\(path): \(record.location): response record without an HTTP response")
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
        var page = CrawledPage(
            url: url, host: host, file: path, location: record.location, position: UInt64(clamping: record.offset), date: date,
            address: record.ipAddress.flatMap { IPAddress($0) }, status: status,
            reading: PageReading(body: bodyBytes, headerCharset: headerCharset, converters: converters), problems: problems)
        if let judge {
            page.judge(with: judge)
        }
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
