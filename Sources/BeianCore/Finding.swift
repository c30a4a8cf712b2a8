/// A breach of the filing rules (docs/findings.md), with what shows it.
///
/// One schema for every source: the registry checks, the traffic scan and the homepage
/// audit. Its JSON form is documented in `Datasets/README.md` and stays stable.
public struct Finding: Hashable, Sendable, Codable {
    /// The kinds of finding, in the filing system's vocabulary.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
        /// 未备案: a host served from a domestic address whose independent domain has no filing.
        case unfiledSite = "unfiled-site"
        /// 已注销仍接入: the filing (sponsor, site or access record) was cancelled; the site answers.
        case cancelledFilingServed = "cancelled-filing-served"
        /// 黑名单: host, sponsor or address on a blacklist (incl. the illegal-access list).
        case blacklisted
        /// 接入核查 少报: filed, but observed on an address its access records do not list.
        case accessUnderReported = "access-under-reported"
        /// 接入核查 多报: a filed access record whose addresses never serve the site.
        case accessOverReported = "access-over-reported"
        /// 接入商不符: the serving address is allocated to another provider than the filed one.
        case providerMismatch = "provider-mismatch"
        /// 空壳网站: a filed site with no access record, or never seen alive.
        case emptyShell = "empty-shell"
        /// IP 越界: an allocation outside the allocating unit's own ranges.
        case ipOutOfBounds = "ip-out-of-bounds"
        /// IP 冲突: two units' records claim overlapping ranges.
        case ipConflict = "ip-conflict"
        /// IP 未报: a domestic address in use that no allocation record covers.
        case ipUnreported = "ip-unreported"
        /// 层层转租: an allocation chain deeper than allowed, or re-allocation by an unlicensed unit.
        case subLeasing = "sub-leasing"
        /// 域名注册人不符: the filed domain is registered to someone other than the sponsor.
        case registrantMismatch = "registrant-mismatch"
        /// 域名未注册: the filed domain is not registered.
        case unregisteredDomain = "unregistered-domain"
        /// 首页未展示备案号.
        case footerNumberMissing = "footer-number-missing"
        /// 首页备案号错误.
        case footerNumberWrong = "footer-number-wrong"
        /// 备案号未链接至备案系统.
        case footerNotLinked = "footer-not-linked"

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
        }

        /// The filing system's name for it.
        public var chineseName: String {
            switch self {
            case .unfiledSite: "未备案网站"
            case .cancelledFilingServed: "已注销仍接入"
            case .blacklisted: "黑名单"
            case .accessUnderReported: "接入核查（少报）"
            case .accessOverReported: "接入核查（多报）"
            case .providerMismatch: "接入商不符"
            case .emptyShell: "空壳网站"
            case .ipOutOfBounds: "IP越界"
            case .ipConflict: "IP冲突"
            case .ipUnreported: "IP未报"
            case .subLeasing: "层层转租"
            case .registrantMismatch: "域名注册人不符"
            case .unregisteredDomain: "域名未注册"
            case .footerNumberMissing: "首页未展示备案号"
            case .footerNumberWrong: "首页备案号错误"
            case .footerNotLinked: "备案号未链接至备案系统"
            }
        }
    }

    /// A unit (access provider, operator, allocating unit) a finding is routed to.
    public struct Unit: Hashable, Sendable, Codable {
        public var id: Int64
        public var name: String?

        public init(id: Int64, name: String?) {
            self.id = id
            self.name = name
        }
    }

    /// Where a finding was seen: a file and a place in it (line, packet, byte offset), or a
    /// registry record, and what was seen there.
    public struct Evidence: Hashable, Sendable, Codable {
        public var source: String
        public var location: String?
        public var seen: String?

        public init(source: String, location: String? = nil, seen: String? = nil) {
            self.source = source
            self.location = location
            self.seen = seen
        }
    }

    public var kind: Kind
    public var host: String?
    public var independentDomain: String?
    public var address: String?
    public var sponsorNumber: String?
    public var siteNumber: String?
    public var provider: Unit?
    public var operatorUnit: Unit?
    public var province: String?
    public var firstSeen: Timestamp?
    public var lastSeen: Timestamp?
    public var count: Int
    public var detail: String
    public var evidence: [Evidence]

    public init(kind: Kind, detail: String, count: Int = 1, evidence: [Evidence] = []) {
        self.kind = kind
        self.detail = detail
        self.count = count
        self.evidence = evidence
    }

    enum CodingKeys: String, CodingKey {
        case kind, host, address, count, detail, evidence, province
        case independentDomain = "independent_domain"
        case sponsorNumber = "sponsor_number"
        case siteNumber = "site_number"
        case provider
        case operatorUnit = "operator"
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
    }
}

extension Timestamp: Codable {
    /// ISO 8601 in UTC.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Timestamp.parse(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}
