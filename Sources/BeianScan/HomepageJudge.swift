public import BeianCore
public import BeianHomepages
public import BeianIndex

public struct HomepageJudge: Sendable {
    public let index: RegistryIndex

    public init(index: RegistryIndex) {
        self.index = index
    }

    /// The numbers of a filed site: its own, its sponsor's.
    struct SiteNumbers {
        var index: UInt32
        var site: String
        var sponsor: String?
    }

    /// The filing a host's homepage answers to at `time`: its in-force sites' numbers.
    func filings(of host: String, at time: Timestamp?) -> (independent: String, sites: [SiteNumbers])? {
        // Lower-case ASCII names go to the index as they are; others through IDNA.
        var name = host
        let plain = host.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }
        if !plain {
            guard let domain = try? DomainName(host) else { return nil }
            name = domain.ascii
        }
        return name.utf8.withContiguousStorageIfAvailable { bytes -> (String, [SiteNumbers])? in
            let raw = UnsafeRawBufferPointer(bytes)
            let lookup = index.filedSites(hostBytes: raw)
            let sites = lookup.sites.filter { site in time.map { index.isSiteActive(site, at: $0) } ?? true }
            guard !sites.isEmpty else { return nil }
            let independent = lookup.independentStart.map { String(decoding: raw[$0...], as: UTF8.self) } ?? name
            return (
                independent,
                sites.map { site in
                    let numbers = index.numbers(ofSite: Int(site))
                    return SiteNumbers(index: site, site: numbers.site, sponsor: numbers.sponsor)
                }
            )
        } ?? nil
    }

    /// Judges a crawled page: nil when it is not a homepage (the root page of its host), is
    /// not HTML, or its host has no filing in force at the crawl.
    public func judge(_ page: CrawledPage) -> HomepageJudgement? {
        guard page.isHomepage, let reading = page.reading else { return nil }
        return judge(host: page.host, numbers: reading.numbers, at: page.date)
    }

    /// Judges the numbers of `host`'s homepage; nil when the host has no filing in force
    /// (the traffic rules report unfiled and cancelled sites).
    public func judge(host: String, numbers: [PageNumber], at time: Timestamp?) -> HomepageJudgement? {
        guard let (independent, sites) = filings(of: host, at: time), let site = sites.first else { return nil }
        var judgement = footer(numbers, independent: independent, sites: sites, site: site)
        if judgement.kind != nil {
            let access = index.site(Int(site.index)).access
            let record = access.first { record in record.cancelled.map { cancelled in time.map { $0 < cancelled } ?? false } ?? true }
            judgement.provider = (record ?? access.first).map { Finding.Unit(id: $0.providerID, name: $0.provider?.name) }
        }
        return judgement
    }

    private func footer(_ numbers: [PageNumber], independent: String, sites: [SiteNumbers], site: SiteNumbers) -> HomepageJudgement {
        var judgement = HomepageJudgement(
            kind: nil, detail: "", shown: nil, siteNumber: site.site, sponsorNumber: site.sponsor, independentDomain: independent,
            provider: nil, siteSuffixDiffers: false)
        // Filed numbers are compared as written first (exports hold them normalised); parsed
        // only when that fails (plate forms, spacing).
        let rawSponsors = Set(sites.compactMap(\.sponsor))
        var parsedSponsors: Set<String>?
        func isSponsor(_ number: String) -> Bool {
            if rawSponsors.contains(number) { return true }
            if parsedSponsors == nil { parsedSponsors = Set(sites.compactMap { $0.sponsor.flatMap(Self.normalized) }) }
            return parsedSponsors?.contains(number) ?? false
        }
        let visible = numbers.filter(\.visible)
        let right = visible.filter { number in
            guard let filing = number.number, filing.kind == .icpFiling else { return false }
            return isSponsor(filing.sponsorNumber.normalized)
        }
        if !right.isEmpty {
            // Site numbers as written first, parsed only when that fails (as sponsors above).
            let rawSites = Set(sites.map(\.site))
            var parsedSites: Set<String>?
            func isSite(_ number: String) -> Bool {
                if rawSites.contains(number) { return true }
                if parsedSites == nil { parsedSites = Set(sites.compactMap { Self.normalized($0.site) }) }
                return parsedSites?.contains(number) ?? false
            }
            judgement.siteSuffixDiffers = right.contains {
                $0.number?.siteIndex != nil && !isSite($0.number?.normalized ?? "")
            }
            if let linked = right.first(where: \.linkedToFilingSystem) {
                judgement.detail = "shows its filing number, linked to the filing system (\(linked.linkHost ?? ""))"
                judgement.shown = linked.verbatim
            } else {
                let first = right[0]
                judgement.kind = .footerNotLinked
                judgement.shown = first.verbatim
                judgement.detail =
                    first.linkHost.map { "shows its filing number linked to \($0), not to the filing system" }
                    ?? "shows its filing number without a link to the filing system"
            }
            return judgement
        }
        if let wrong = visible.first(where: { $0.isFilingLike }) {
            judgement.kind = .footerNumberWrong
            judgement.shown = wrong.verbatim
            switch wrong.classification {
            case .number(let number):
                judgement.detail = "shows \(number.sponsorNumber.normalized), not its sponsor's \(site.sponsor ?? site.site)"
            case .lookAlike(let kind): judgement.detail = "shows only a look-alike (\(kind.description)), not its filing number"
            case .malformed(let malformed): judgement.detail = "shows a malformed number (\(malformed.reason))"
            }
            return judgement
        }
        if visible.contains(where: { $0.number?.kind == .icpLicence }) {
            // A commercial site may show its ICP licence instead: not a breach the page shows.
            judgement.detail = "shows an ICP licence number, no filing number"
            judgement.shown = visible.first { $0.number?.kind == .icpLicence }?.verbatim
            return judgement
        }
        judgement.kind = .footerNumberMissing
        if let hidden = numbers.first(where: { !$0.visible && $0.isFilingLike }) {
            judgement.detail = "no filing number displayed; one only in \(hidden.place.rawValue): \(hidden.verbatim)"
            judgement.shown = hidden.verbatim
        } else {
            judgement.detail = "no filing number on the page"
        }
        return judgement
    }

    /// A filed number in normal form (plate-form provinces, spacing and the like undone).
    static func normalized(_ number: String) -> String? {
        try? FilingNumber.parse(number).normalized
    }

    /// Compares a `bazs.cert` with the host's filing: nil when it agrees, else what differs
    /// (informational).
    public func disagreement(host: String, certificate: BazsCertificate, at time: Timestamp?) -> String? {
        guard let (_, sites) = filings(of: host, at: time) else { return nil }
        guard let number = certificate.number else { return "bazs.cert holds no ICP number (\(certificate.text.prefix(60)))" }
        let sponsors = Set(sites.compactMap { $0.sponsor.flatMap(Self.normalized) })
        if sponsors.contains(number.sponsorNumber.normalized) { return nil }
        return "bazs.cert holds \(number.normalized), the filing is \(sites[0].site)"
    }
}

extension HomepageJudgement {
    /// The finding of `page`, when the page calls for one (same schema as the scan's, evidence:
    /// the WARC file, the record's offset, the text seen).
    public func finding(of page: CrawledPage) -> Finding? {
        guard let kind else { return nil }
        var finding = Finding(kind: kind, detail: detail, count: 1)
        finding.host = page.host
        finding.independentDomain = independentDomain
        finding.siteNumber = siteNumber
        finding.sponsorNumber = sponsorNumber
        finding.provider = provider
        // The province that filed the site (its number's abbreviation), for the per-province counts.
        finding.province = (try? FilingNumber.parse(siteNumber))?.province.map { String($0.abbreviation) }
        finding.firstSeen = page.date
        finding.lastSeen = page.date
        finding.evidence = [Finding.Evidence(source: page.file, location: page.location, seen: shown ?? "no filing number")]
        return finding
    }
}
