/// What a homepage's footer says about its filing (docs/findings.md, "Homepages"): the
/// number missing, wrong, or not linked to the filing system — judged against the filing of
/// the page's host as it stood at the crawl. Made by `HomepageJudge` (BeianScan); a value
/// here so that the crawl reader can carry it from its worker threads without knowing the
/// judge.
public struct HomepageJudgement: Sendable {
    /// The finding the page calls for; nil when the footer is right.
    public var kind: Finding.Kind?
    /// In words, for operators.
    public var detail: String
    /// The text that shows it (the number as written), when there is one.
    public var shown: String?
    public var siteNumber: String
    public var sponsorNumber: String?
    public var independentDomain: String
    /// The site's access provider (its first access record in force), to whom the finding is
    /// routed (谁接入谁负责); set when there is a finding.
    public var provider: Finding.Unit?
    /// The page shows the sponsor's number with another site's suffix (informational:
    /// hosts disagree on which number a footer should show).
    public var siteSuffixDiffers: Bool

    public init(
        kind: Finding.Kind?, detail: String, shown: String?, siteNumber: String, sponsorNumber: String?, independentDomain: String,
        provider: Finding.Unit?, siteSuffixDiffers: Bool
    ) {
        self.kind = kind
        self.detail = detail
        self.shown = shown
        self.siteNumber = siteNumber
        self.sponsorNumber = sponsorNumber
        self.independentDomain = independentDomain
        self.provider = provider
        self.siteSuffixDiffers = siteSuffixDiffers
    }
}
