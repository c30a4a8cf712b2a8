import ArgumentParser
import BeianCore
import BeianHomepages
import BeianReport
import BeianScan
import Foundation

struct HomepagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "homepages",
        abstract: "Show what beian reads on crawled pages: charset, every filing number, where it sits.",
        discussion: """
            For every page of the crawls given (WARC files, folders of saved pages with a \
            manifest.tsv of host<TAB>file lines, or single HTML files): the host, the charset \
            decided (and what was declared), and every number recognised — normalised and \
            verbatim — with its context: footer or not, linked (to which host) or not, displayed \
            or only in a comment, script, style, attribute or hidden element. With --index, the \
            judgement of each homepage against its host's filing, and bazs.cert files compared \
            with the filing. The raw material of `beian scan`'s homepage findings, for checking \
            a verdict.
            """
    )

    @Argument(help: "WARC files, folders of saved pages, HTML files.", completion: .file())
    var inputs: [String]

    @Option(help: "The index snapshot: judge each homepage against its host's filing.", completion: .file())
    var index: String?

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "One JSON object per page (and per bazs.cert) instead of text.")
    var json = false

    func run() throws {
        let judge = try index.map { try HomepageJudge(index: IndexOptions.load($0)) }
        var audit = HomepageAudit()
        var failed = false
        var out = OutputBuffer()
        for input in inputs {
            let report = CrawlInput.read(
                input, threads: threads.count, examine: { page in judge?.judge(page) },
                each: { item, verdict in
                    switch item {
                    case .page(let page):
                        audit.count(page, judgement: verdict)
                        out.write(json ? Self.json(page, verdict) : Self.text(page, verdict))
                    case .certificate(let certificate):
                        let disagreement = audit.count(certificate, judge: judge)
                        out.write(json ? Self.json(certificate, disagreement) : Self.text(certificate, disagreement))
                    }
                })
            if let failure = report.failure {
                printError("\(failure)")
                failed = true
            }
            printError(InputSummary.details(report))
        }
        out.flush()
        if failed { throw ExitCode(1) }
    }

    static func text(_ page: CrawledPage, _ verdict: HomepageJudgement?) -> String {
        var lines = ["\(page.host)\t\(page.url)\t\(page.file) \(page.location)"]
        guard let reading = page.reading else { return lines.joined(separator: "\n") + "\n" }
        let charset = reading.charset
        lines.append(
            "  charset \(charset.encoding.rawValue) (\(charset.source.rawValue)"
                + (charset.declared.map { ", declared \($0)" } ?? "") + ")"
                + (reading.undecodable > 0 ? ", \(reading.undecodable) undecodable bytes" : ""))
        if reading.numbers.isEmpty { lines.append("  no numbers") }
        for number in reading.numbers {
            var context = [number.place == .text ? "displayed" : "only in \(number.place.rawValue)"]
            if number.footer { context.append("footer") }
            if let host = number.linkHost {
                context.append(number.linkedToFilingSystem ? "linked to the filing system (\(host))" : "linked to \(host)")
            }
            lines.append("  \(number.normalized)\t\(JSONText.quoted(number.verbatim))\t\(context.joined(separator: ", "))")
        }
        for problem in page.problems { lines.append("  problem: \(problem)") }
        if let verdict {
            lines.append(
                "  verdict: \(verdict.kind?.rawValue ?? "right") — \(verdict.detail) (site \(verdict.siteNumber))"
                    + (verdict.siteSuffixDiffers ? "; the site suffix shown is another site's" : ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ page: CrawledPage, _ verdict: HomepageJudgement?) -> String {
        var object = JSONObject()
        object.set("host", page.host)
        object.set("url", page.url)
        object.set("file", page.file)
        object.set("location", page.location)
        object.set("status", page.status)
        if let reading = page.reading {
            object.set("charset", reading.charset.encoding.rawValue)
            object.set("charset_source", reading.charset.source.rawValue)
            object.set("declared_charset", reading.charset.declared)
            object.set("undecodable_bytes", reading.undecodable)
            object.set(
                "numbers",
                array: reading.numbers.map { number in
                    var item = JSONObject()
                    item.set("number", number.normalized)
                    item.set("kind", Self.kind(number))
                    item.set("verbatim", number.verbatim)
                    item.set("place", number.place.rawValue)
                    item.set("visible", number.visible)
                    item.set("footer", number.footer)
                    item.set("link_host", number.linkHost)
                    item.set("linked", number.linkedToFilingSystem)
                    return item
                })
        }
        if !page.problems.isEmpty { object.set("problems", page.problems.joined(separator: "; ")) }
        if let verdict {
            var item = JSONObject()
            item.set("finding", verdict.kind?.rawValue)
            item.set("detail", verdict.detail)
            item.set("site_number", verdict.siteNumber)
            item.set("sponsor_number", verdict.sponsorNumber)
            item.set("independent_domain", verdict.independentDomain)
            item.set("site_suffix_differs", verdict.siteSuffixDiffers)
            object.set("verdict", object: item)
        }
        return object.text + "\n"
    }

    static func kind(_ number: PageNumber) -> String {
        switch number.classification {
        case .number(let filing): filing.kind.rawValue
        case .lookAlike(let kind): "look-alike:\(kind.rawValue)"
        case .malformed: "malformed"
        }
    }

    static func text(_ item: CrawledCertificate, _ disagreement: String?) -> String {
        let content =
            item.certificate.map { $0.number?.normalized ?? "no ICP number (\($0.text.prefix(60)))" }
            ?? "unreadable: \(item.problem ?? "?")"
        return "\(item.host)\t\(item.url)\t\(item.file) \(item.location)\n  bazs.cert \(content)"
            + (disagreement.map { "\n  verdict: \($0)" } ?? "") + "\n"
    }

    static func json(_ item: CrawledCertificate, _ disagreement: String?) -> String {
        var object = JSONObject()
        object.set("host", item.host)
        object.set("url", item.url)
        object.set("file", item.file)
        object.set("location", item.location)
        object.set("cert_number", item.certificate?.number?.normalized)
        object.set("cert_text", item.certificate?.text)
        object.set("problem", item.problem)
        object.set("disagreement", disagreement)
        return object.text + "\n"
    }
}

/// Standard output in large writes.
struct OutputBuffer {
    private var pending: [UInt8] = []

    mutating func write(_ text: String) {
        pending.append(contentsOf: text.utf8)
        if pending.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }
}
