import BeianCore
import BeianHomepages
import BeianIndex

/// Audits the pages of crawls for `beian scan` and `beian homepages`: reads each page,
/// judges homepages against the index when there is one, compares `bazs.cert` files.
struct HomepageAuditor {
    let judge: HomepageJudge?
    var pages = 0
    var homepages = 0
    var judged = 0
    var certificates = 0
    var certificateDisagreements: [String] = []
    /// `bazs.cert` disagreements kept for the summary at most.
    static let maximumListed = 20

    init(index: RegistryIndex?) {
        judge = index.map { HomepageJudge(index: $0) }
    }

    /// The judgement of a page, when it is a homepage of a host with a filing in force.
    mutating func judgement(of page: CrawledPage) -> HomepageJudgement? {
        pages += 1
        guard page.isHomepage, let reading = page.reading else { return nil }
        homepages += 1
        let verdict = page.judged ? page.judgement : judge?.judge(host: page.host, numbers: reading.numbers, at: page.date)
        guard let verdict else { return nil }
        judged += 1
        return verdict
    }

    /// What a `bazs.cert` says against the filing, nil when it agrees or cannot be compared.
    mutating func disagreement(of item: CrawledCertificate) -> String? {
        certificates += 1
        guard let certificate = item.certificate else {
            return "\(item.url): bazs.cert unreadable: \(item.problem ?? "?")"
        }
        guard let text = judge?.disagreement(host: item.host, certificate: certificate, at: item.date) else { return nil }
        if certificateDisagreements.count < Self.maximumListed { certificateDisagreements.append("\(item.url): \(text)") }
        return text
    }

    /// The observation a crawled page makes (the crawler reached the host on that address).
    static func observation(of page: CrawledPage) -> Observation? {
        guard let address = page.address, let host = try? DomainName(page.host) else { return nil }
        let https = page.url.lowercased().hasPrefix("https:")
        return Observation(
            nanoseconds: (page.date?.secondsSince1970 ?? 0) * 1_000_000_000, host: host.ascii, address: address, port: https ? 443 : 80,
            transport: .tcp, appProtocol: https ? .tls : .http, client: nil, proxy: false,
            source: .init(file: page.file, position: .offset(page.position)))
    }
}
