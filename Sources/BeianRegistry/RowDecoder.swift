import BeianCore

/// Limits on values read from any registry export.
public enum RegistryLimits {
    /// Longest value of any field, in bytes (the V3.0 schemas allow at most 255 characters for
    /// names and 128 for numbers; attachments are never read).
    public static let maximumFieldBytes = 4096
    /// Most values of one list field (domains of a site, ranges of an access record).
    public static let maximumListValues = 10_000
    /// Longest CSV record or JSON line, in bytes.
    public static let maximumRecordBytes = 4 << 20
    /// Issues kept per file; beyond it they are counted only.
    public static let maximumIssuesKept = 1000
}

/// The outcome of decoding one row.
struct DecodedRow {
    var record: RegistryRecord?
    /// Problems found; `rejected` ones refused the record.
    var issues: [RegistryIssue] = []
    /// Counts of the sub-items of the row (domains of a site, ranges of an access record).
    var itemsAccepted = 0
    var itemsRejected = 0
    var itemKind: RecordKind?
}

/// Reads the columns of one row with their checks, collecting issues.
private struct FieldReader {
    let row: RegistryRow
    let columns: [Column]
    var issues: [RegistryIssue] = []
    var rejected = false

    init(_ row: RegistryRow) {
        self.row = row
        columns = RegistrySchema.columns(of: row.kind)
    }

    func column(_ name: String) -> Column? {
        RegistrySchema.index(of: row.kind)[name].map { columns[$0] }
    }

    mutating func problem(_ name: String, _ reason: String, position: Int = 0, reject: Bool? = nil) {
        let isRequired = reject ?? (column(name)?.required ?? false)
        if isRequired { rejected = true }
        issues.append(
            RegistryIssue(isRequired ? .rejected : .warning, at: row.origin(of: name, at: position), kind: row.kind, field: name, reason))
    }

    /// One item of a list (a domain of a site, a range of an access record) is refused; the
    /// record keeps the others.
    mutating func itemProblem(_ name: String, _ kind: RecordKind, _ reason: String, position: Int) {
        issues.append(RegistryIssue(.rejected, at: row.origin(of: name, at: position), kind: kind, field: name, reason))
    }

    /// The single text value of a column, trimmed; nil when empty. A required column that is
    /// empty refuses the record.
    mutating func text(_ name: String) -> String? {
        let values = row.values(of: name)
        if values.count > 1 && !(column(name)?.isList ?? false) {
            problem(name, "appears \(values.count) times")
            return nil
        }
        let value = values.first.map { trimmed($0) } ?? ""
        if value.isEmpty {
            if column(name)?.required == true { problem(name, "missing") }
            return nil
        }
        if value.utf8.count > RegistryLimits.maximumFieldBytes {
            problem(name, "longer than \(RegistryLimits.maximumFieldBytes) bytes")
            return nil
        }
        return value
    }

    /// A personal value: never quoted in messages.
    mutating func personal(_ name: String) -> Personal<String>? {
        let values = row.values(of: name).map { trimmed($0) }.filter { !$0.isEmpty }
        guard !values.isEmpty else { return nil }
        let joined = values.joined(separator: ";")
        if joined.utf8.count > RegistryLimits.maximumFieldBytes {
            problem(name, "longer than \(RegistryLimits.maximumFieldBytes) bytes")
            return nil
        }
        return Personal(joined)
    }

    /// The list values of a column, each trimmed and non-empty; text values are split at `;`.
    mutating func list(_ name: String) -> [(value: String, position: Int)] {
        var result: [(String, Int)] = []
        for (position, value) in row.values(of: name).enumerated() {
            for part in value.split(whereSeparator: { $0 == ";" || $0 == "；" }) {
                let item = trimmed(part)
                if !item.isEmpty { result.append((item, position)) }
            }
        }
        if result.count > RegistryLimits.maximumListValues {
            problem(name, "more than \(RegistryLimits.maximumListValues) values")
            return Array(result.prefix(RegistryLimits.maximumListValues))
        }
        if result.isEmpty && column(name)?.required == true { problem(name, "missing") }
        return result
    }

    mutating func integer(_ name: String, in range: ClosedRange<Int64> = 0...Int64.max) -> Int64? {
        guard let value = text(name) else { return nil }
        guard let number = Int64(value), range.contains(number) else {
            problem(name, "\(quoted(value)) is not an integer in \(range.lowerBound)…\(range.upperBound)")
            return nil
        }
        return number
    }

    mutating func identifier(_ name: String) -> Int64? {
        guard let value = text(name) else { return nil }
        guard let number = Int64(value), number >= 1 else {
            problem(name, "\(quoted(value)) is not a record id (a whole number from 1)")
            return nil
        }
        return number
    }

    mutating func code(_ name: String) -> Int? {
        integer(name, in: 0...999_999_999).map { Int($0) }
    }

    mutating func time(_ name: String) -> Timestamp? {
        guard let value = text(name) else { return nil }
        do {
            return try Timestamp.parse(value)
        } catch {
            problem(name, error.reason)
            return nil
        }
    }

    mutating func province(_ name: String) -> Province? {
        guard let value = text(name) else { return nil }
        if let code = Int(value), let province = Province.coded(code) { return province }
        if value.count == 1, let character = value.first, let province = Province.abbreviated(character) { return province }
        if let province = Province.all.first(where: { $0.name == value }) { return province }
        problem(name, "unknown province code \(quoted(value))")
        return nil
    }

    mutating func flag(_ name: String) -> Bool? {
        guard let value = text(name) else { return nil }
        switch value.lowercased() {
        case "1", "true", "yes", "y", "是": return true
        case "0", "false", "no", "n", "否": return false
        default:
            problem(name, "\(quoted(value)) is not 0 or 1")
            return nil
        }
    }

    mutating func filingNumber(_ name: String, site: Bool) -> FilingNumber? {
        guard let value = text(name) else { return nil }
        do {
            let number = try FilingNumber.parse(value)
            guard number.kind == .icpFiling || number.kind == .icpLicence else {
                problem(name, "\(quoted(value)) is a \(number.kind.rawValue) number, not an ICP number")
                return nil
            }
            if site && !number.isSiteNumber {
                problem(name, "\(quoted(value)) lacks the site index (…号-N) of a site number")
                return nil
            }
            if !site && number.isSiteNumber {
                problem(name, "\(quoted(value)) is a site number, a sponsor number has no -N")
                return nil
            }
            return number
        } catch {
            problem(name, error.reason)
            return nil
        }
    }

    mutating func domain(_ name: String) -> DomainName? {
        guard let value = text(name) else { return nil }
        do {
            return try DomainName(value)
        } catch {
            problem(name, error.reason)
            return nil
        }
    }

    mutating func address(_ name: String) -> IPAddress? {
        guard let value = text(name) else { return nil }
        do {
            return try IPAddress.parse(registryText: value)
        } catch {
            problem(name, error.reason)
            return nil
        }
    }

    /// The range of the `start` and `end` columns.
    mutating func range() -> IPRange? {
        guard let start = address("start"), let end = address("end") else { return nil }
        do {
            return try IPRange(first: start, last: end)
        } catch {
            problem("start", error.reason)
            return nil
        }
    }

    mutating func choice<T>(_ name: String, _ table: [String: T]) -> T? {
        guard let value = text(name) else { return nil }
        guard let result = table[value.lowercased()] else {
            problem(name, "\(quoted(value)) is not one of \(table.keys.sorted().joined(separator: ", "))")
            return nil
        }
        return result
    }

    func trimmed(_ text: some StringProtocol) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}

/// Turns rows into typed records: the one place where every format's values are checked.
enum RowDecoder {
    static let cancellationTargets: [String: Cancellation.Target] = [
        "0": .sponsor, "1": .site, "2": .access, "sponsor": .sponsor, "site": .site, "access": .access,
    ]
    static let operations: [String: BlacklistOperation] = [
        "0": .add, "1": .modify, "2": .delete, "add": .add, "modify": .modify, "delete": .delete,
    ]
    static let modes: [String: AllocationMode] = ["1": .allocatedAndUsed, "2": .reallocated, "3": .selfUse, "4": .reserved]

    static func decode(_ row: RegistryRow) -> DecodedRow {
        var fields = FieldReader(row)
        var result = DecodedRow()
        let record: RegistryRecord?
        switch row.kind {
        case .sponsor: record = sponsor(&fields).map(RegistryRecord.sponsor)
        case .site: record = site(&fields, &result).map(RegistryRecord.site)
        case .access: record = access(&fields, &result).map(RegistryRecord.access)
        case .cancellation: record = cancellation(&fields).map(RegistryRecord.cancellation)
        case .ipSource: record = ipSource(&fields).map(RegistryRecord.ipSource)
        case .ipAllocation: record = ipAllocation(&fields).map(RegistryRecord.ipAllocation)
        case .ipSelfBrought: record = ipSelfBrought(&fields).map(RegistryRecord.ipSelfBrought)
        case .domainRegistration: record = domainRegistration(&fields).map(RegistryRecord.domainRegistration)
        case .sponsorBlacklist: record = sponsorBlacklist(&fields).map(RegistryRecord.sponsorBlacklist)
        case .siteBlacklist: record = siteBlacklist(&fields).map(RegistryRecord.siteBlacklist)
        case .illegalAccess: record = illegalAccess(&fields).map(RegistryRecord.illegalAccess)
        case .unfiledSite: record = unfiledSite(&fields).map(RegistryRecord.unfiledSite)
        case .reportingUnit: record = reportingUnit(&fields).map(RegistryRecord.reportingUnit)
        case .province: record = provinceEntry(&fields).map(RegistryRecord.province)
        case .siteDomain, .accessRange: record = nil
        }
        result.issues = fields.issues
        if fields.rejected || record == nil {
            result.record = nil
            // The sub-items of a refused row are refused with it.
            result.itemsRejected += result.itemsAccepted
            result.itemsAccepted = 0
            if !result.issues.contains(where: { $0.severity == .rejected && $0.kind == row.kind }) {
                result.issues.append(RegistryIssue(.rejected, at: row.location, kind: row.kind, "record refused"))
            }
        } else {
            result.record = record
        }
        return result
    }

    private static func sponsor(_ f: inout FieldReader) -> Sponsor? {
        let number = f.filingNumber("sponsor_number", site: false)
        let id = f.identifier("sponsor_id")
        let name = f.text("name")
        guard let number, let id, let name else { return nil }
        var sponsor = Sponsor(id: id, number: number, name: name)
        sponsor.nature = f.code("nature")
        sponsor.province = f.province("province")
        sponsor.idType = f.code("id_type")
        sponsor.idNumber = f.personal("id_number")
        sponsor.contactName = f.personal("contact_name")
        sponsor.phone = f.personal("phone")
        sponsor.email = f.personal("email")
        sponsor.address = f.personal("address")
        sponsor.firstFiled = f.time("first_filed")
        sponsor.updated = f.time("updated")
        sponsor.approved = f.time("approved")
        return sponsor
    }

    private static func site(_ f: inout FieldReader, _ result: inout DecodedRow) -> Site? {
        let number = f.filingNumber("site_number", site: true)
        let id = f.identifier("site_id")
        let sponsorID = f.identifier("sponsor_id")
        let names = f.list("names").map(\.value)
        result.itemKind = .siteDomain
        var domains: [DomainName] = []
        var seen: Set<DomainName> = []
        for (value, position) in f.list("domains") {
            do {
                let domain = try DomainName(value)
                if seen.insert(domain).inserted {
                    domains.append(domain)
                    result.itemsAccepted += 1
                } else {
                    f.itemProblem("domains", .siteDomain, "domain \(domain) listed twice", position: position)
                    result.itemsRejected += 1
                }
            } catch {
                f.itemProblem("domains", .siteDomain, error.reason, position: position)
                result.itemsRejected += 1
            }
        }
        guard let number, let id, let sponsorID, !names.isEmpty else { return nil }
        var site = Site(id: id, sponsorID: sponsorID, number: number, names: names, domains: domains)
        site.homepage = f.text("homepage")
        site.firstFiled = f.time("first_filed")
        site.updated = f.time("updated")
        return site
    }

    private static func access(_ f: inout FieldReader, _ result: inout DecodedRow) -> AccessRecord? {
        let id = f.identifier("access_id")
        let siteID = f.identifier("site_id")
        let providerID = f.identifier("provider_id")
        result.itemKind = .accessRange
        var ranges: [IPRange] = []
        for (value, position) in f.list("ranges") {
            do {
                ranges.append(try IPRange.parse(value))
                result.itemsAccepted += 1
            } catch {
                f.itemProblem("ranges", .accessRange, error.reason, position: position)
                result.itemsRejected += 1
            }
        }
        guard let id, let siteID, let providerID else { return nil }
        var record = AccessRecord(id: id, siteID: siteID, providerID: providerID, ranges: ranges)
        record.placements = codes(&f, "placements")
        record.methods = codes(&f, "methods")
        return record
    }

    private static func codes(_ f: inout FieldReader, _ name: String) -> [Int] {
        f.list(name).compactMap { value, position in
            guard let code = Int(value), code >= 0 else {
                f.problem(name, "\(quoted(value)) is not a code", position: position, reject: false)
                return nil
            }
            return code
        }
    }

    private static func cancellation(_ f: inout FieldReader) -> Cancellation? {
        let recordID = f.identifier("cancelled_record")
        let target = f.choice("target", cancellationTargets)
        guard let recordID, let target else { return nil }
        return Cancellation(target: target, recordID: recordID, cancelled: f.time("cancelled"))
    }

    private static func ipSource(_ f: inout FieldReader) -> IPSourceRange? {
        let id = f.identifier("source_id")
        let unitID = f.identifier("unit_id")
        let range = f.range()
        guard let id, let unitID, let range else { return nil }
        return IPSourceRange(id: id, unitID: unitID, range: range, sourceUnitID: f.identifier("source_unit_id"))
    }

    private static func ipAllocation(_ f: inout FieldReader) -> IPAllocation? {
        let id = f.identifier("allocation_id")
        let unitID = f.identifier("unit_id")
        let range = f.range()
        let mode = f.choice("mode", modes)
        guard let id, let unitID, let range, let mode else { return nil }
        var allocation = IPAllocation(id: id, unitID: unitID, range: range, mode: mode)
        allocation.targetUnitID = f.identifier("target_unit_id")
        allocation.usage = f.code("usage")
        allocation.allocated = f.time("allocated")
        allocation.redirect = f.flag("redirect")
        allocation.userName = f.text("user_name")
        allocation.userNature = f.code("user_nature")
        allocation.userClass = f.code("user_class")
        allocation.userIndustry = f.code("user_industry")
        allocation.province = f.province("province")
        allocation.city = f.code("city")
        allocation.county = f.code("county")
        allocation.address = f.personal("address")
        allocation.contactName = f.personal("contact_name")
        allocation.phone = f.personal("phone")
        allocation.email = f.personal("email")
        return allocation
    }

    private static func ipSelfBrought(_ f: inout FieldReader) -> IPSelfBroughtRange? {
        let id = f.identifier("self_brought_id")
        let unitID = f.identifier("unit_id")
        let range = f.range()
        guard let id, let unitID, let range else { return nil }
        var entry = IPSelfBroughtRange(id: id, unitID: unitID, range: range)
        entry.usage = f.code("usage")
        entry.allocated = f.time("allocated")
        entry.redirect = f.flag("redirect")
        entry.userName = f.text("user_name")
        entry.userNature = f.code("user_nature")
        entry.province = f.province("province")
        entry.city = f.code("city")
        entry.county = f.code("county")
        entry.address = f.personal("address")
        entry.contactName = f.personal("contact_name")
        entry.phone = f.personal("phone")
        entry.email = f.personal("email")
        entry.sourceUnitType = f.code("source_unit_type")
        entry.sourceUnitID = f.identifier("source_unit_id")
        entry.sourceUnitName = f.text("source_unit_name")
        return entry
    }

    private static func domainRegistration(_ f: inout FieldReader) -> DomainRegistration? {
        guard let domain = f.domain("registered_domain") else { return nil }
        var registration = DomainRegistration(domain: domain)
        registration.id = f.identifier("registration_id")
        registration.domainType = f.code("domain_type")
        registration.registered = f.time("registered")
        registration.expires = f.time("expires")
        registration.registrantName = f.text("registrant_name")
        registration.registrantOrganisation = f.text("registrant_organisation")
        registration.registrantProvince = f.province("registrant_province")
        registration.registrar = f.text("registrar")
        registration.nameServers = f.list("name_servers").map { $0.value.lowercased() }
        registration.registrantEmail = f.personal("registrant_email")
        registration.registrantPhone = f.personal("registrant_phone")
        registration.registrantAddress = f.personal("registrant_address")
        return registration
    }

    private static func sponsorBlacklist(_ f: inout FieldReader) -> SponsorBlacklistEntry? {
        guard let name = f.text("blacklisted_sponsor") else { return nil }
        var entry = SponsorBlacklistEntry(name: name, operation: f.choice("operation", operations) ?? .add)
        entry.nature = f.code("nature")
        entry.idType = f.code("id_type")
        entry.idNumber = f.personal("id_number")
        return entry
    }

    private static func siteBlacklist(_ f: inout FieldReader) -> SiteBlacklistEntry? {
        let names = f.list("blacklisted_site_names").map(\.value)
        var domains: [DomainName] = []
        for (value, position) in f.list("domains") {
            do {
                domains.append(try DomainName(value))
            } catch {
                f.problem("domains", error.reason, position: position, reject: false)
            }
        }
        guard !names.isEmpty else { return nil }
        var entry = SiteBlacklistEntry(names: names, domains: domains, operation: f.choice("operation", operations) ?? .add)
        entry.homepage = f.text("homepage")
        return entry
    }

    private static func illegalAccess(_ f: inout FieldReader) -> IllegalAccessEntry? {
        guard let id = f.identifier("illegal_access_id") else { return nil }
        var entry = IllegalAccessEntry(id: id)
        entry.domain = f.domain("domain")
        entry.address = f.address("address")
        entry.providerID = f.identifier("provider_id")
        entry.province = f.province("province")
        entry.detected = f.time("detected")
        if entry.domain == nil && entry.address == nil {
            f.problem("domain", "neither a domain nor an address", reject: true)
            return nil
        }
        return entry
    }

    private static func unfiledSite(_ f: inout FieldReader) -> UnfiledSiteEntry? {
        let id = f.identifier("unfiled_id")
        let domain = f.domain("domain")
        guard let id, let domain else { return nil }
        var entry = UnfiledSiteEntry(id: id, domain: domain)
        entry.address = f.address("address")
        entry.firstDetected = f.time("first_detected")
        entry.lastDetected = f.time("last_detected")
        entry.detections = f.integer("detections", in: 0...Int64(Int32.max)).map { Int($0) }
        entry.province = f.province("province")
        entry.providerID = f.identifier("provider_id")
        entry.operatorID = f.identifier("operator_id")
        return entry
    }

    private static func reportingUnit(_ f: inout FieldReader) -> ReportingUnit? {
        let name = f.text("unit_name")
        let id = f.identifier("unit_id")
        guard let name, let id else { return nil }
        var unit = ReportingUnit(id: id, name: name)
        unit.unitClass = f.code("unit_class")
        unit.industry = f.code("industry")
        unit.licence = f.text("licence")
        unit.province = f.province("province")
        unit.city = f.code("city")
        unit.valid = f.flag("valid")
        return unit
    }

    private static func provinceEntry(_ f: inout FieldReader) -> ProvinceEntry? {
        let code = f.text("province_code")
        let abbreviation = f.text("abbreviation")
        let name = f.text("name")
        guard let code, let abbreviation, let name else { return nil }
        guard let number = Int(code), let province = Province.coded(number) else {
            f.problem("province_code", "unknown province code \(quoted(code))")
            return nil
        }
        guard abbreviation.count == 1, let character = abbreviation.first, Province.abbreviated(character) == province else {
            f.problem("abbreviation", "\(quoted(abbreviation)) is not the abbreviation of \(province.name)")
            return nil
        }
        return ProvinceEntry(province: province, name: name)
    }
}
