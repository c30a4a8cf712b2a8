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

    init(_ name: String, required: Bool = false, list: Bool = false, personal: Bool = false, integer: Bool = false) {
        self.name = name
        self.required = required
        isList = list
        isPersonal = personal
        isInteger = integer
    }
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

    /// Each kind's columns, from its column enum (where each column is spelled, once).
    private static let columnsByOrdinal: [[Column]] = RecordKind.allCases.map { kind in
        switch kind {
        case .sponsor: SponsorColumn.specs
        case .site: SiteColumn.specs
        case .siteDomain, .accessRange: []
        case .access: AccessColumn.specs
        case .cancellation: CancellationColumn.specs
        case .ipSource: SourceColumn.specs
        case .ipAllocation: AllocationColumn.specs
        case .ipSelfBrought: SelfBroughtColumn.specs
        case .domainRegistration: RegistrationColumn.specs
        case .sponsorBlacklist: SponsorBlacklistColumn.specs
        case .siteBlacklist: SiteBlacklistColumn.specs
        case .illegalAccess: IllegalAccessColumn.specs
        case .unfiledSite: UnfiledColumn.specs
        case .reportingUnit: UnitColumn.specs
        case .province: ProvinceColumn.specs
        }
    }

    private static let indexByOrdinal: [[String: Int]] = columnsByOrdinal.map { columns in
        Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1.name, $0) })
    }
}

/// The columns of one row kind, in order: the decoder and the readers address values by
/// position (`rawValue`), never by name. Each case spells its column — CSV header, JSON key,
/// flags — once, in `spec`; `RegistrySchema` is made from these.
protocol RowColumn: RawRepresentable, CaseIterable where RawValue == Int {
    static var kind: RecordKind { get }
    var spec: Column { get }
}

extension RowColumn {
    /// Every column's spec, in order.
    static var specs: [Column] { allCases.map(\.spec) }
}

enum SponsorColumn: Int, RowColumn {
    case sponsorNumber, sponsorID, name, nature, province, idType, idNumber, contactName, phone, email, address, firstFiled, updated,
        approved
    static let kind = RecordKind.sponsor

    var spec: Column {
        switch self {
        case .sponsorNumber: Column("sponsor_number", required: true)
        case .sponsorID: Column("sponsor_id", required: true, integer: true)
        case .name: Column("name", required: true)
        case .nature: Column("nature", integer: true)
        case .province: Column("province")
        case .idType: Column("id_type", integer: true)
        case .idNumber: Column("id_number", personal: true)
        case .contactName: Column("contact_name", personal: true)
        case .phone: Column("phone", personal: true)
        case .email: Column("email", personal: true)
        case .address: Column("address", personal: true)
        case .firstFiled: Column("first_filed")
        case .updated: Column("updated")
        case .approved: Column("approved")
        }
    }
}

enum SiteColumn: Int, RowColumn {
    case siteNumber, siteID, sponsorID, names, domains, homepage, firstFiled, updated
    static let kind = RecordKind.site

    var spec: Column {
        switch self {
        case .siteNumber: Column("site_number", required: true)
        case .siteID: Column("site_id", required: true, integer: true)
        case .sponsorID: Column("sponsor_id", required: true, integer: true)
        case .names: Column("names", required: true, list: true)
        case .domains: Column("domains", list: true)
        case .homepage: Column("homepage")
        case .firstFiled: Column("first_filed")
        case .updated: Column("updated")
        }
    }
}

enum AccessColumn: Int, RowColumn {
    case accessID, siteID, providerID, ranges, placements, methods
    static let kind = RecordKind.access

    var spec: Column {
        switch self {
        case .accessID: Column("access_id", required: true, integer: true)
        case .siteID: Column("site_id", required: true, integer: true)
        case .providerID: Column("provider_id", required: true, integer: true)
        case .ranges: Column("ranges", list: true)
        case .placements: Column("placements", list: true, integer: true)
        case .methods: Column("methods", list: true, integer: true)
        }
    }
}

enum CancellationColumn: Int, RowColumn {
    case cancelledRecord, target, cancelled
    static let kind = RecordKind.cancellation

    var spec: Column {
        switch self {
        case .cancelledRecord: Column("cancelled_record", required: true, integer: true)
        case .target: Column("target", required: true)
        case .cancelled: Column("cancelled")
        }
    }
}

enum SourceColumn: Int, RowColumn {
    case sourceID, unitID, start, end, sourceUnitID
    static let kind = RecordKind.ipSource

    var spec: Column {
        switch self {
        case .sourceID: Column("source_id", required: true, integer: true)
        case .unitID: Column("unit_id", required: true, integer: true)
        case .start: Column("start", required: true)
        case .end: Column("end", required: true)
        case .sourceUnitID: Column("source_unit_id", integer: true)
        }
    }
}

enum AllocationColumn: Int, RowColumn {
    case allocationID, unitID, start, end, mode, targetUnitID, usage, allocated, redirect, userName, userNature, userClass
    case userIndustry, province, city, county, address, contactName, phone, email
    static let kind = RecordKind.ipAllocation

    var spec: Column {
        switch self {
        case .allocationID: Column("allocation_id", required: true, integer: true)
        case .unitID: Column("unit_id", required: true, integer: true)
        case .start: Column("start", required: true)
        case .end: Column("end", required: true)
        case .mode: Column("mode", required: true, integer: true)
        case .targetUnitID: Column("target_unit_id", integer: true)
        case .usage: Column("usage", integer: true)
        case .allocated: Column("allocated")
        case .redirect: Column("redirect")
        case .userName: Column("user_name")
        case .userNature: Column("user_nature", integer: true)
        case .userClass: Column("user_class", integer: true)
        case .userIndustry: Column("user_industry", integer: true)
        case .province: Column("province")
        case .city: Column("city", integer: true)
        case .county: Column("county", integer: true)
        case .address: Column("address", personal: true)
        case .contactName: Column("contact_name", personal: true)
        case .phone: Column("phone", personal: true)
        case .email: Column("email", personal: true)
        }
    }
}

enum SelfBroughtColumn: Int, RowColumn {
    case selfBroughtID, unitID, start, end, usage, allocated, redirect, userName, userNature, province, city, county, address
    case contactName, phone, email, sourceUnitType, sourceUnitID, sourceUnitName
    static let kind = RecordKind.ipSelfBrought

    var spec: Column {
        switch self {
        case .selfBroughtID: Column("self_brought_id", required: true, integer: true)
        case .unitID: Column("unit_id", required: true, integer: true)
        case .start: Column("start", required: true)
        case .end: Column("end", required: true)
        case .usage: Column("usage", integer: true)
        case .allocated: Column("allocated")
        case .redirect: Column("redirect")
        case .userName: Column("user_name")
        case .userNature: Column("user_nature", integer: true)
        case .province: Column("province")
        case .city: Column("city", integer: true)
        case .county: Column("county", integer: true)
        case .address: Column("address", personal: true)
        case .contactName: Column("contact_name", personal: true)
        case .phone: Column("phone", personal: true)
        case .email: Column("email", personal: true)
        case .sourceUnitType: Column("source_unit_type", integer: true)
        case .sourceUnitID: Column("source_unit_id", integer: true)
        case .sourceUnitName: Column("source_unit_name")
        }
    }
}

enum RegistrationColumn: Int, RowColumn {
    case registeredDomain, registrationID, domainType, registered, expires, registrantName, registrantOrganisation
    case registrantProvince, registrar, nameServers, registrantEmail, registrantPhone, registrantAddress
    static let kind = RecordKind.domainRegistration

    var spec: Column {
        switch self {
        case .registeredDomain: Column("registered_domain", required: true)
        case .registrationID: Column("registration_id", integer: true)
        case .domainType: Column("domain_type", integer: true)
        case .registered: Column("registered")
        case .expires: Column("expires")
        case .registrantName: Column("registrant_name")
        case .registrantOrganisation: Column("registrant_organisation")
        case .registrantProvince: Column("registrant_province")
        case .registrar: Column("registrar")
        case .nameServers: Column("name_servers", list: true)
        case .registrantEmail: Column("registrant_email", personal: true)
        case .registrantPhone: Column("registrant_phone", personal: true)
        case .registrantAddress: Column("registrant_address", personal: true)
        }
    }
}

enum SponsorBlacklistColumn: Int, RowColumn {
    case blacklistedSponsor, nature, idType, idNumber, operation
    static let kind = RecordKind.sponsorBlacklist

    var spec: Column {
        switch self {
        case .blacklistedSponsor: Column("blacklisted_sponsor", required: true)
        case .nature: Column("nature", integer: true)
        case .idType: Column("id_type", integer: true)
        case .idNumber: Column("id_number", personal: true)
        case .operation: Column("operation")
        }
    }
}

enum SiteBlacklistColumn: Int, RowColumn {
    case blacklistedSiteNames, domains, homepage, operation
    static let kind = RecordKind.siteBlacklist

    var spec: Column {
        switch self {
        case .blacklistedSiteNames: Column("blacklisted_site_names", required: true, list: true)
        case .domains: Column("domains", list: true)
        case .homepage: Column("homepage")
        case .operation: Column("operation")
        }
    }
}

enum IllegalAccessColumn: Int, RowColumn {
    case illegalAccessID, domain, address, providerID, province, detected
    static let kind = RecordKind.illegalAccess

    var spec: Column {
        switch self {
        case .illegalAccessID: Column("illegal_access_id", required: true, integer: true)
        case .domain: Column("domain")
        case .address: Column("address")
        case .providerID: Column("provider_id", integer: true)
        case .province: Column("province")
        case .detected: Column("detected")
        }
    }
}

enum UnfiledColumn: Int, RowColumn {
    case unfiledID, domain, address, firstDetected, lastDetected, detections, province, providerID, operatorID
    static let kind = RecordKind.unfiledSite

    var spec: Column {
        switch self {
        case .unfiledID: Column("unfiled_id", required: true, integer: true)
        case .domain: Column("domain", required: true)
        case .address: Column("address")
        case .firstDetected: Column("first_detected")
        case .lastDetected: Column("last_detected")
        case .detections: Column("detections", integer: true)
        case .province: Column("province")
        case .providerID: Column("provider_id", integer: true)
        case .operatorID: Column("operator_id", integer: true)
        }
    }
}

enum UnitColumn: Int, RowColumn {
    case unitName, unitID, unitClass, industry, licence, province, city, valid
    static let kind = RecordKind.reportingUnit

    var spec: Column {
        switch self {
        case .unitName: Column("unit_name", required: true)
        case .unitID: Column("unit_id", required: true, integer: true)
        case .unitClass: Column("unit_class", integer: true)
        case .industry: Column("industry", integer: true)
        case .licence: Column("licence")
        case .province: Column("province")
        case .city: Column("city", integer: true)
        case .valid: Column("valid")
        }
    }
}

enum ProvinceColumn: Int, RowColumn {
    case provinceCode, abbreviation, name
    static let kind = RecordKind.province

    var spec: Column {
        switch self {
        case .provinceCode: Column("province_code", required: true, integer: true)
        case .abbreviation: Column("abbreviation", required: true)
        case .name: Column("name", required: true)
        }
    }
}
