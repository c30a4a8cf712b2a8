/// The kinds of record that readers count. Fourteen are rows of the exchange formats;
/// `siteDomain` and `accessRange` are the domains of a site and the ranges of an access
/// record, counted one by one because each can be refused on its own.
public enum RecordKind: String, Hashable, Sendable, CaseIterable, Comparable, Codable {
    case sponsor
    case site
    case siteDomain = "site_domain"
    case access
    case accessRange = "access_range"
    case cancellation
    case ipSource = "ip_source"
    case ipAllocation = "ip_allocation"
    case ipSelfBrought = "ip_self_brought"
    case domainRegistration = "domain_registration"
    case sponsorBlacklist = "sponsor_blacklist"
    case siteBlacklist = "site_blacklist"
    case illegalAccess = "illegal_access"
    case unfiledSite = "unfiled_site"
    case reportingUnit = "reporting_unit"
    case province

    public static func < (lhs: RecordKind, rhs: RecordKind) -> Bool { lhs.ordinal < rhs.ordinal }

    /// Position in `allCases`.
    var ordinal: Int {
        switch self {
        case .sponsor: 0
        case .site: 1
        case .siteDomain: 2
        case .access: 3
        case .accessRange: 4
        case .cancellation: 5
        case .ipSource: 6
        case .ipAllocation: 7
        case .ipSelfBrought: 8
        case .domainRegistration: 9
        case .sponsorBlacklist: 10
        case .siteBlacklist: 11
        case .illegalAccess: 12
        case .unfiledSite: 13
        case .reportingUnit: 14
        case .province: 15
        }
    }

    /// The kinds that are rows of CSV and JSON Lines files.
    public static let rowKinds: [RecordKind] = allCases.filter { $0 != .siteDomain && $0 != .accessRange }
}

/// One column of a row kind: its CSV header and JSON key.
public struct Column: Hashable, Sendable {
    public let name: String
    /// The record is refused without it.
    public let required: Bool
    /// Several values (`;`-separated in CSV, an array in JSON).
    public let isList: Bool
    /// Personal data: written only on explicit request, never quoted in messages.
    public let isPersonal: Bool
    /// Holds integers (ids and codes): JSON numbers when written.
    public let isInteger: Bool

    init(_ name: String, required: Bool = false, list: Bool = false, personal: Bool = false) {
        self.name = name
        self.required = required
        isList = list
        isPersonal = personal
        isInteger = Column.integerColumns.contains(name)
    }

    static let integerColumns: Set<String> = [
        "sponsor_id", "site_id", "access_id", "provider_id", "cancelled_record", "source_id", "unit_id", "source_unit_id",
        "allocation_id", "target_unit_id", "self_brought_id", "registration_id", "illegal_access_id", "unfiled_id", "operator_id",
        "nature", "id_type", "placements", "methods", "mode", "usage", "user_nature", "user_class", "user_industry", "city", "county",
        "source_unit_type", "domain_type", "detections", "unit_class", "industry", "province_code",
    ]
}

/// The columns of each row kind. The first column identifies the kind: no other kind has
/// a column of that name, so a CSV header tells its kind.
public enum RegistrySchema {
    public static func columns(of kind: RecordKind) -> [Column] {
        columnsByOrdinal[kind.ordinal]
    }

    /// The kind whose identifying column is in `header`, or nil.
    public static func kind(identifiedBy header: [String]) -> RecordKind? {
        let names = Set(header)
        return RecordKind.rowKinds.first { kind in columns(of: kind).first.map { names.contains($0.name) } ?? false }
    }

    /// Column index by name, per kind.
    static func index(of kind: RecordKind) -> [String: Int] {
        indexByOrdinal[kind.ordinal]
    }

    private static let personalContact = [
        Column("address", personal: true), Column("contact_name", personal: true), Column("phone", personal: true),
        Column("email", personal: true),
    ]

    private static let table: [RecordKind: [Column]] = [
        .sponsor: [
            Column("sponsor_number", required: true), Column("sponsor_id", required: true), Column("name", required: true),
            Column("nature"), Column("province"), Column("id_type"), Column("id_number", personal: true),
            Column("contact_name", personal: true), Column("phone", personal: true), Column("email", personal: true),
            Column("address", personal: true), Column("first_filed"), Column("updated"), Column("approved"),
        ],
        .site: [
            Column("site_number", required: true), Column("site_id", required: true), Column("sponsor_id", required: true),
            Column("names", required: true, list: true), Column("domains", list: true), Column("homepage"), Column("first_filed"),
            Column("updated"),
        ],
        .access: [
            Column("access_id", required: true), Column("site_id", required: true), Column("provider_id", required: true),
            Column("ranges", list: true), Column("placements", list: true), Column("methods", list: true),
        ],
        .cancellation: [Column("cancelled_record", required: true), Column("target", required: true), Column("cancelled")],
        .ipSource: [
            Column("source_id", required: true), Column("unit_id", required: true), Column("start", required: true),
            Column("end", required: true), Column("source_unit_id"),
        ],
        .ipAllocation: [
            Column("allocation_id", required: true), Column("unit_id", required: true), Column("start", required: true),
            Column("end", required: true), Column("mode", required: true), Column("target_unit_id"), Column("usage"),
            Column("allocated"), Column("redirect"), Column("user_name"), Column("user_nature"), Column("user_class"),
            Column("user_industry"), Column("province"), Column("city"), Column("county"),
        ] + personalContact,
        .ipSelfBrought: [
            Column("self_brought_id", required: true), Column("unit_id", required: true), Column("start", required: true),
            Column("end", required: true), Column("usage"), Column("allocated"), Column("redirect"), Column("user_name"),
            Column("user_nature"), Column("province"), Column("city"), Column("county"),
        ] + personalContact + [Column("source_unit_type"), Column("source_unit_id"), Column("source_unit_name")],
        .domainRegistration: [
            Column("registered_domain", required: true), Column("registration_id"), Column("domain_type"), Column("registered"),
            Column("expires"), Column("registrant_name"), Column("registrant_organisation"), Column("registrant_province"),
            Column("registrar"), Column("name_servers", list: true), Column("registrant_email", personal: true),
            Column("registrant_phone", personal: true), Column("registrant_address", personal: true),
        ],
        .sponsorBlacklist: [
            Column("blacklisted_sponsor", required: true), Column("nature"), Column("id_type"), Column("id_number", personal: true),
            Column("operation"),
        ],
        .siteBlacklist: [
            Column("blacklisted_site_names", required: true, list: true), Column("domains", list: true), Column("homepage"),
            Column("operation"),
        ],
        .illegalAccess: [
            Column("illegal_access_id", required: true), Column("domain"), Column("address"), Column("provider_id"),
            Column("province"), Column("detected"),
        ],
        .unfiledSite: [
            Column("unfiled_id", required: true), Column("domain", required: true), Column("address"), Column("first_detected"),
            Column("last_detected"), Column("detections"), Column("province"), Column("provider_id"), Column("operator_id"),
        ],
        .reportingUnit: [
            Column("unit_name", required: true), Column("unit_id", required: true), Column("unit_class"), Column("industry"),
            Column("licence"), Column("province"), Column("city"), Column("valid"),
        ],
        .province: [Column("province_code", required: true), Column("abbreviation", required: true), Column("name", required: true)],
    ]

    private static let columnsByOrdinal: [[Column]] = RecordKind.allCases.map { table[$0] ?? [] }

    private static let indexByOrdinal: [[String: Int]] = columnsByOrdinal.map { columns in
        Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1.name, $0) })
    }
}

/// The columns of one row kind, in the order of `RegistrySchema.columns(of:)`: the decoder
/// and the readers address values by position, never by name.
protocol RowColumn: RawRepresentable, CaseIterable where RawValue == Int {
    static var kind: RecordKind { get }
}

extension RowColumn {
    var spec: Column { RegistrySchema.columns(of: Self.kind)[rawValue] }
}

enum SponsorColumn: Int, RowColumn {
    case sponsorNumber, sponsorID, name, nature, province, idType, idNumber, contactName, phone, email, address, firstFiled, updated,
        approved
    static let kind = RecordKind.sponsor
}

enum SiteColumn: Int, RowColumn {
    case siteNumber, siteID, sponsorID, names, domains, homepage, firstFiled, updated
    static let kind = RecordKind.site
}

enum AccessColumn: Int, RowColumn {
    case accessID, siteID, providerID, ranges, placements, methods
    static let kind = RecordKind.access
}

enum CancellationColumn: Int, RowColumn {
    case cancelledRecord, target, cancelled
    static let kind = RecordKind.cancellation
}

enum SourceColumn: Int, RowColumn {
    case sourceID, unitID, start, end, sourceUnitID
    static let kind = RecordKind.ipSource
}

enum AllocationColumn: Int, RowColumn {
    case allocationID, unitID, start, end, mode, targetUnitID, usage, allocated, redirect, userName, userNature, userClass
    case userIndustry, province, city, county, address, contactName, phone, email
    static let kind = RecordKind.ipAllocation
}

enum SelfBroughtColumn: Int, RowColumn {
    case selfBroughtID, unitID, start, end, usage, allocated, redirect, userName, userNature, province, city, county, address
    case contactName, phone, email, sourceUnitType, sourceUnitID, sourceUnitName
    static let kind = RecordKind.ipSelfBrought
}

enum RegistrationColumn: Int, RowColumn {
    case registeredDomain, registrationID, domainType, registered, expires, registrantName, registrantOrganisation
    case registrantProvince, registrar, nameServers, registrantEmail, registrantPhone, registrantAddress
    static let kind = RecordKind.domainRegistration
}

enum SponsorBlacklistColumn: Int, RowColumn {
    case blacklistedSponsor, nature, idType, idNumber, operation
    static let kind = RecordKind.sponsorBlacklist
}

enum SiteBlacklistColumn: Int, RowColumn {
    case blacklistedSiteNames, domains, homepage, operation
    static let kind = RecordKind.siteBlacklist
}

enum IllegalAccessColumn: Int, RowColumn {
    case illegalAccessID, domain, address, providerID, province, detected
    static let kind = RecordKind.illegalAccess
}

enum UnfiledColumn: Int, RowColumn {
    case unfiledID, domain, address, firstDetected, lastDetected, detections, province, providerID, operatorID
    static let kind = RecordKind.unfiledSite
}

enum UnitColumn: Int, RowColumn {
    case unitName, unitID, unitClass, industry, licence, province, city, valid
    static let kind = RecordKind.reportingUnit
}

enum ProvinceColumn: Int, RowColumn {
    case provinceCode, abbreviation, name
    static let kind = RecordKind.province
}
