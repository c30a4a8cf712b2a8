import ArgumentParser
import BeianCore
import BeianCrawler
import BeianReport
import BeianScan
import Foundation

struct CrawlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crawl",
        abstract: "Fetch hosts' homepages (and bazs.cert) into a WARC file for the footer audit.",
        discussion: """
            Each host's homepage is fetched over HTTPS, then HTTP when HTTPS gives no response; \
            redirects are followed up to --max-redirects, every hop written as a request and a \
            response record (WARC 1.1, a gzip member per record, as warcio and other tools read \
            them). Bodies are kept up to --max-body (cut ones are marked WARC-Truncated); \
            requests to one host are --politeness seconds apart; --concurrency hosts are fetched \
            at once. The response record holds the body after transfer decoding (chunking undone, \
            Content-Length set, content encoding kept). Audit the result with `beian scan` or \
            `beian homepages`.
            """
    )

    @Argument(help: "Host names.")
    var hosts: [String] = []

    @Option(help: "A file of host names, one per line (# starts a comment).")
    var hostsFile: String?

    @Option(name: [.customShort("o"), .customLong("out"), .customLong("output")], help: "The WARC file to write (gzip per record).")
    var output: String

    @Option(help: "Hosts fetched at the same time.")
    var concurrency = 64

    @Option(help: "Seconds between two requests to one host.")
    var politeness = 1.0

    @Option(help: "Seconds for a whole request.")
    var timeout = 20.0

    @Option(help: "Seconds to connect.")
    var connectTimeout = 5.0

    @Option(help: "Largest body kept, in bytes.")
    var maxBody = 2 << 20

    @Option(help: "Redirects followed at most.")
    var maxRedirects = 5

    @Flag(help: "Also fetch /cert/bazs.cert (then /bazs.cert) from each homepage's origin.")
    var cert = false

    @Option(help: "Schemes tried in order, comma-separated.")
    var schemes = "https,http"

    @Option(help: "Send every request through this HTTP proxy (HOST:PORT).")
    var proxy: HostPort?

    @Flag(help: "Verify servers' certificates (a page behind a bad certificate is then not fetched).")
    var verifyCertificates = false

    func validate() throws {
        guard !hosts.isEmpty || hostsFile != nil else { throw ValidationError("give host names or --hosts-file") }
        guard concurrency > 0, maxBody > 0, timeout > 0, connectTimeout > 0, politeness >= 0, maxRedirects >= 0 else {
            throw ValidationError("limits must be positive")
        }
        let list = schemes.split(separator: ",")
        guard !list.isEmpty, list.allSatisfy({ $0 == "http" || $0 == "https" }) else { throw ValidationError("--schemes: https, http") }
    }

    static func readHosts(_ path: String) throws -> [String] {
        let text = String(decoding: try InputFile.open(path).readAll(limit: 1 << 30), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let host = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            return host?.isEmpty == false ? host : nil
        }
    }

    var settings: Crawler.Settings {
        var settings = Crawler.Settings()
        settings.concurrency = concurrency
        settings.politeness = politeness
        settings.timeout = timeout
        settings.connectTimeout = connectTimeout
        settings.maximumBody = maxBody
        settings.maximumRedirects = maxRedirects
        settings.fetchCertificate = cert
        settings.schemes = schemes.split(separator: ",").map(String.init)
        settings.proxy = proxy.map { ($0.host, $0.port) }
        settings.verifyCertificates = verifyCertificates
        return settings
    }

    func run() throws {
        var list = hosts
        if let hostsFile { list += try Self.readHosts(hostsFile) }
        let control = ScanControl()
        let interruption = Interruption(cancelling: control)
        let progress = ProgressLine()
        let report = try Crawler(settings: settings).crawlWaiting(
            hosts: list, output: output, stop: { control.isCancelled }, progress: progress.crawl)
        progress.finish()
        withExtendedLifetime(interruption) {}
        printError(CrawlSummary.details(report, output: output))
    }
}
