public import BeianCore

/// A sponsor (主办者, `Zt_xx`): the organisation or person a filing belongs to.
public struct Sponsor: Hashable, Sendable {
    /// `Ztid`: the sponsor's record id in the provincial system.
    public var id: Int64
    /// `Baxh`: the sponsor number (主体备案号).
    public var number: FilingNumber
    /// `Dwmc`: organisation name, or the person's name for individual sponsors.
    public var name: String
    /// `Dwxz`: nature (单位性质) code, see `SponsorNature`.
    public var nature: Int?
    /// `Txdz/Shengid`: province of the sponsor's documents.
    public var province: Province?
    /// `Zj/Zjlx`: ID document type code.
    public var idType: Int?
    /// `Zj/Zjhm`: ID document number.
    public var idNumber: Personal<String>?
    /// `Fzr/Fzr_xm`: the person in charge.
    public var contactName: Personal<String>?
    /// `Fzr/Fzr_dhhm` and `Fzr_sjhm`: phone numbers.
    public var phone: Personal<String>?
    /// `Fzr/Fzr_dzyj`: e-mail addresses.
    public var email: Personal<String>?
    /// `Txdz/Xxdz`: postal address.
    public var address: Personal<String>?
    /// `Scbbsj`: first filed.
    public var firstFiled: Timestamp?
    /// `Zjxgsj`: last modified.
    public var updated: Timestamp?
    /// `Shsj`: approved by the provincial administration.
    public var approved: Timestamp?

    public init(id: Int64, number: FilingNumber, name: String) {
        self.id = id
        self.number = number
        self.name = name
    }
}

/// A filed website (`Wz_xx`).
public struct Site: Hashable, Sendable {
    /// `Wzid`.
    public var id: Int64
    /// The `Ztid` of the sponsor the site belongs to.
    public var sponsorID: Int64
    /// `Baxh`: the site number (网站备案号, `…号-N`).
    public var number: FilingNumber
    /// `Wzmc`: names (several, `;`-separated in the export).
    public var names: [String]
    /// `Ym_xx/Ym`: filed domains.
    public var domains: [DomainName]
    /// `Syurl`: homepage URL as filed (may name a bare address).
    public var homepage: String?
    /// `Scbbsj`: first filed.
    public var firstFiled: Timestamp?
    /// `Zjxgsj`: last modified.
    public var updated: Timestamp?

    public init(id: Int64, sponsorID: Int64, number: FilingNumber, names: [String], domains: [DomainName]) {
        self.id = id
        self.sponsorID = sponsorID
        self.number = number
        self.names = names
        self.domains = domains
    }
}

/// An access record (接入信息, `Jr_xx`): which access provider serves a site, from which
/// addresses.
public struct AccessRecord: Hashable, Sendable {
    /// `Jrid`.
    public var id: Int64
    /// The `Wzid` of the site.
    public var siteID: Int64
    /// `Ispid`: the access provider (a reporting unit id).
    public var providerID: Int64
    /// `Ip_xx{Qsip,Zzip}`: the address ranges the site is served from.
    public var ranges: [IPRange]
    /// `Wzfb/Fbdd`: server placement codes.
    public var placements: [Int]
    /// `Wzjrfs/Jrfs`: access method codes.
    public var methods: [Int]

    public init(id: Int64, siteID: Int64, providerID: Int64, ranges: [IPRange]) {
        self.id = id
        self.siteID = siteID
        self.providerID = providerID
        self.ranges = ranges
        placements = []
        methods = []
    }
}

/// A cancellation (注销, `ZXSJ/Zxxx`) of a sponsor, a site or one access record.
public struct Cancellation: Hashable, Sendable {
    public enum Target: Int, Hashable, Sendable, CaseIterable {
        case sponsor = 0
        case site = 1
        case access = 2

        public var name: String {
            switch self {
            case .sponsor: "sponsor"
            case .site: "site"
            case .access: "access"
            }
        }
    }

    /// `Zxlb`.
    public var target: Target
    /// `Jlid`: the `Ztid`, `Wzid` or `Jrid` cancelled.
    public var recordID: Int64
    /// When the cancellation took effect. V3.0 carries no date; beian reads an optional
    /// `Zxsj` element (our extension) and the `cancelled` column of CSV/JSONL.
    public var cancelled: Timestamp?

    public init(target: Target, recordID: Int64, cancelled: Timestamp? = nil) {
        self.target = target
        self.recordID = recordID
        self.cancelled = cancelled
    }
}

/// How an allocated block is used (`Fpfs`, 分配方式).
public enum AllocationMode: Int, Hashable, Sendable, CaseIterable {
    /// 分配且使用: allocated to, and used by, the named unit.
    case allocatedAndUsed = 1
    /// 再次分配: allocated to a unit that allocates it further.
    case reallocated = 2
    /// 自用: used by the allocating unit itself.
    case selfUse = 3
    /// 预留: reserved.
    case reserved = 4

    public var chineseName: String {
        switch self {
        case .allocatedAndUsed: "分配且使用"
        case .reallocated: "再次分配"
        case .selfUse: "自用"
        case .reserved: "预留"
        }
    }
}

/// A source range (IP来源, `Ly`/`Lyxx`): a block a unit received from another unit.
public struct IPSourceRange: Hashable, Sendable {
    public var id: Int64
    /// `Bbdwid`: the unit reporting the block.
    public var unitID: Int64
    public var range: IPRange
    /// `Lydw`: the unit the block came from.
    public var sourceUnitID: Int64?

    public init(id: Int64, unitID: Int64, range: IPRange, sourceUnitID: Int64? = nil) {
        self.id = id
        self.unitID = unitID
        self.range = range
        self.sourceUnitID = sourceUnitID
    }
}

/// An allocation (IP分配使用, `Fpsy`/`Fpxx`): who uses a block, or to whom it was passed on.
public struct IPAllocation: Hashable, Sendable {
    public var id: Int64
    /// `Bbdwid`: the allocating (reporting) unit.
    public var unitID: Int64
    public var range: IPRange
    /// `Fpfs`.
    public var mode: AllocationMode
    /// `Fpdx`: the unit the block was allocated to, when it is a reporting unit.
    public var targetUnitID: Int64?
    /// `Syfs`: 1 static, 2 dynamic, 3 unknown.
    public var usage: Int?
    /// `Fprq`: allocation date.
    public var allocated: Timestamp?
    /// `Sfymtz`: used for domain redirection servers.
    public var redirect: Bool?
    /// `Dwmc`: the using unit's name.
    public var userName: String?
    /// `Dwxz`, `Dwfl`, `Dwhyfl`: nature, class and industry codes of the using unit.
    public var userNature: Int?
    public var userClass: Int?
    public var userIndustry: Int?
    /// `Shengid`, `Shiid`, `Xianid`.
    public var province: Province?
    public var city: Int?
    public var county: Int?
    /// `Xxdz`, `Lxrxm`, `Lxrdh`, `Lxrdzyj`.
    public var address: Personal<String>?
    public var contactName: Personal<String>?
    public var phone: Personal<String>?
    public var email: Personal<String>?

    public init(id: Int64, unitID: Int64, range: IPRange, mode: AllocationMode) {
        self.id = id
        self.unitID = unitID
        self.range = range
        self.mode = mode
    }
}

/// A self-brought range (自带IP, `Zdxx`): a block a unit uses that no reporting unit
/// allocated to it.
public struct IPSelfBroughtRange: Hashable, Sendable {
    public var id: Int64
    public var unitID: Int64
    public var range: IPRange
    public var usage: Int?
    public var allocated: Timestamp?
    public var redirect: Bool?
    public var userName: String?
    public var userNature: Int?
    public var province: Province?
    public var city: Int?
    public var county: Int?
    public var address: Personal<String>?
    public var contactName: Personal<String>?
    public var phone: Personal<String>?
    public var email: Personal<String>?
    /// `Ly_dwlx`: 1 from a reporting unit, 0 from another.
    public var sourceUnitType: Int?
    public var sourceUnitID: Int64?
    public var sourceUnitName: String?

    public init(id: Int64, unitID: Int64, range: IPRange) {
        self.id = id
        self.unitID = unitID
        self.range = range
    }
}

/// A domain registration (域名, `YM/Ymxx`) as registrars and CNNIC report it.
public struct DomainRegistration: Hashable, Sendable {
    public var id: Int64?
    public var domain: DomainName
    /// `Ymlx`.
    public var domainType: Int?
    /// `Zcsj`, `Yxrq`.
    public var registered: Timestamp?
    public var expires: Timestamp?
    /// `Zcr_mc`: registrant name; `Zcr_zz`: registrant organisation.
    public var registrantName: String?
    public var registrantOrganisation: String?
    public var registrantProvince: Province?
    /// `Ym_zcs`.
    public var registrar: String?
    /// `Ym_fwq`.
    public var nameServers: [String]
    public var registrantEmail: Personal<String>?
    public var registrantPhone: Personal<String>?
    public var registrantAddress: Personal<String>?

    public init(domain: DomainName) {
        self.domain = domain
        nameServers = []
    }
}

/// What a blacklist entry asks (`Czlx`).
public enum BlacklistOperation: Int, Hashable, Sendable, CaseIterable {
    case add = 0
    case modify = 1
    case delete = 2

    public var name: String {
        switch self {
        case .add: "add"
        case .modify: "modify"
        case .delete: "delete"
        }
    }
}

/// A blacklisted sponsor (`HMDLB/Zthmdxxs`). The ID number is kept only as personal data;
/// indexes match it by keyed hash.
public struct SponsorBlacklistEntry: Hashable, Sendable {
    public var name: String
    public var nature: Int?
    public var idType: Int?
    public var idNumber: Personal<String>?
    public var operation: BlacklistOperation

    public init(name: String, operation: BlacklistOperation = .add) {
        self.name = name
        self.operation = operation
    }
}

/// A blacklisted site (`HMDLB/Wzhmdxxs`): its domains cover their sub-domains.
public struct SiteBlacklistEntry: Hashable, Sendable {
    public var names: [String]
    public var domains: [DomainName]
    public var homepage: String?
    public var operation: BlacklistOperation

    public init(names: [String], domains: [DomainName], operation: BlacklistOperation = .add) {
        self.names = names
        self.domains = domains
        self.operation = operation
    }
}

/// An entry of the illegal-access blacklist (非法接入黑名单, `FFJRHMD/Ffjrxx`).
public struct IllegalAccessEntry: Hashable, Sendable {
    public var id: Int64
    public var domain: DomainName?
    public var address: IPAddress?
    /// `Zjjrz`: the direct access provider.
    public var providerID: Int64?
    public var province: Province?
    /// `Dqjcsj`.
    public var detected: Timestamp?

    public init(id: Int64) {
        self.id = id
    }
}

/// An entry of the unfiled-site list (未备案网站列表, `WBAWZLB/Wbawz_xx`).
public struct UnfiledSiteEntry: Hashable, Sendable {
    public var id: Int64
    public var domain: DomainName
    public var address: IPAddress?
    /// `Scjcsj`, `Dqjcsj`, `Jccs`.
    public var firstDetected: Timestamp?
    public var lastDetected: Timestamp?
    public var detections: Int?
    /// `Sssh`.
    public var province: Province?
    /// `Jrs`, `Yys`.
    public var providerID: Int64?
    public var operatorID: Int64?

    public init(id: Int64, domain: DomainName) {
        self.id = id
        self.domain = domain
    }
}

/// A reporting unit (报备单位, `JCDM/Bbdwlb/Bbdw`): an access provider, operator or other
/// unit with an id used by every other record.
public struct ReportingUnit: Hashable, Sendable {
    public var id: Int64
    public var name: String
    /// `Dwfl`, `Dwhyfl`.
    public var unitClass: Int?
    public var industry: Int?
    /// `Jyxkzbh`: the operating licence number, as written (empty for units without one).
    public var licence: String?
    public var province: Province?
    public var city: Int?
    /// `Sfyx`.
    public var valid: Bool?

    public init(id: Int64, name: String) {
        self.id = id
        self.name = name
    }
}

/// A province of the code table (`JCDM/Gj_dms/Gj_dm_xx`).
public struct ProvinceEntry: Hashable, Sendable {
    public var province: Province
    public var name: String

    public init(province: Province, name: String) {
        self.province = province
        self.name = name
    }
}

/// One record of any kind, as readers hand them out.
public indirect enum RegistryRecord: Hashable, Sendable {
    case sponsor(Sponsor)
    case site(Site)
    case access(AccessRecord)
    case cancellation(Cancellation)
    case ipSource(IPSourceRange)
    case ipAllocation(IPAllocation)
    case ipSelfBrought(IPSelfBroughtRange)
    case domainRegistration(DomainRegistration)
    case sponsorBlacklist(SponsorBlacklistEntry)
    case siteBlacklist(SiteBlacklistEntry)
    case illegalAccess(IllegalAccessEntry)
    case unfiledSite(UnfiledSiteEntry)
    case reportingUnit(ReportingUnit)
    case province(ProvinceEntry)

    public var kind: RecordKind {
        switch self {
        case .sponsor: .sponsor
        case .site: .site
        case .access: .access
        case .cancellation: .cancellation
        case .ipSource: .ipSource
        case .ipAllocation: .ipAllocation
        case .ipSelfBrought: .ipSelfBrought
        case .domainRegistration: .domainRegistration
        case .sponsorBlacklist: .sponsorBlacklist
        case .siteBlacklist: .siteBlacklist
        case .illegalAccess: .illegalAccess
        case .unfiledSite: .unfiledSite
        case .reportingUnit: .reportingUnit
        case .province: .province
        }
    }
}
