import BeianCore

/// Turns typed records back into rows of text, the inverse of `RowDecoder`: what the CSV and
/// JSON Lines writers print.
enum RowEncoder {
    /// Builds one row, column by column.
    private struct Builder<C: RowColumn> {
        var row = RegistryRow(kind: C.kind, location: RecordLocation(file: ""))
        let includePersonal: Bool

        mutating func put(_ column: C, _ value: String?) {
            if let value, !value.isEmpty { row.append(column.rawValue, value) }
        }
        mutating func put(_ column: C, _ value: (some BinaryInteger)?) { put(column, value.map { String($0) }) }
        mutating func put(_ column: C, _ value: Timestamp?) { put(column, value?.description) }
        mutating func put(_ column: C, _ value: Province?) { put(column, value.map { String($0.registryCode) }) }
        mutating func put(_ column: C, _ value: Bool?) { put(column, value.map { $0 ? "1" : "0" }) }
        mutating func put(_ column: C, _ value: IPAddress?) { put(column, value?.description) }
        mutating func put(_ column: C, personal value: Personal<String>?) {
            if includePersonal { put(column, value?.revealed) }
        }
        mutating func list(_ column: C, _ values: [String]) {
            for value in values { put(column, value) }
        }
    }

    /// The row of `record`; personal columns stay empty unless `includePersonal`.
    static func encode(_ record: RegistryRecord, includePersonal: Bool) -> RegistryRow {
        switch record {
        case .sponsor(let s): row(of: s, includePersonal: includePersonal)
        case .site(let s): row(of: s, includePersonal: includePersonal)
        case .access(let a): row(of: a, includePersonal: includePersonal)
        case .cancellation(let c): row(of: c, includePersonal: includePersonal)
        case .ipSource(let s): row(of: s, includePersonal: includePersonal)
        case .ipAllocation(let a): row(of: a, includePersonal: includePersonal)
        case .ipSelfBrought(let e): row(of: e, includePersonal: includePersonal)
        case .domainRegistration(let r): row(of: r, includePersonal: includePersonal)
        case .sponsorBlacklist(let e): row(of: e, includePersonal: includePersonal)
        case .siteBlacklist(let e): row(of: e, includePersonal: includePersonal)
        case .illegalAccess(let e): row(of: e, includePersonal: includePersonal)
        case .unfiledSite(let e): row(of: e, includePersonal: includePersonal)
        case .reportingUnit(let u): row(of: u, includePersonal: includePersonal)
        case .province(let p): row(of: p, includePersonal: includePersonal)
        }
    }

    private static func row(of s: Sponsor, includePersonal: Bool) -> RegistryRow {
        var b = Builder<SponsorColumn>(includePersonal: includePersonal)
        b.put(.sponsorNumber, s.number.normalized)
        b.put(.sponsorID, s.id)
        b.put(.name, s.name)
        b.put(.nature, s.nature)
        b.put(.province, s.province)
        b.put(.idType, s.idType)
        b.put(.idNumber, personal: s.idNumber)
        b.put(.contactName, personal: s.contactName)
        b.put(.phone, personal: s.phone)
        b.put(.email, personal: s.email)
        b.put(.address, personal: s.address)
        b.put(.firstFiled, s.firstFiled)
        b.put(.updated, s.updated)
        b.put(.approved, s.approved)
        return b.row
    }

    private static func row(of s: Site, includePersonal: Bool) -> RegistryRow {
        var b = Builder<SiteColumn>(includePersonal: includePersonal)
        b.put(.siteNumber, s.number.normalized)
        b.put(.siteID, s.id)
        b.put(.sponsorID, s.sponsorID)
        b.list(.names, s.names)
        b.list(.domains, s.domains.map(\.ascii))
        b.put(.homepage, s.homepage)
        b.put(.firstFiled, s.firstFiled)
        b.put(.updated, s.updated)
        return b.row
    }

    private static func row(of a: AccessRecord, includePersonal: Bool) -> RegistryRow {
        var b = Builder<AccessColumn>(includePersonal: includePersonal)
        b.put(.accessID, a.id)
        b.put(.siteID, a.siteID)
        b.put(.providerID, a.providerID)
        b.list(.ranges, a.ranges.map { "\($0.first)-\($0.last)" })
        b.list(.placements, a.placements.map { String($0) })
        b.list(.methods, a.methods.map { String($0) })
        return b.row
    }

    private static func row(of c: Cancellation, includePersonal: Bool) -> RegistryRow {
        var b = Builder<CancellationColumn>(includePersonal: includePersonal)
        b.put(.cancelledRecord, c.recordID)
        b.put(.target, c.target.name)
        b.put(.cancelled, c.cancelled)
        return b.row
    }

    private static func row(of s: IPSourceRange, includePersonal: Bool) -> RegistryRow {
        var b = Builder<SourceColumn>(includePersonal: includePersonal)
        b.put(.sourceID, s.id)
        b.put(.unitID, s.unitID)
        b.put(.start, s.range.first)
        b.put(.end, s.range.last)
        b.put(.sourceUnitID, s.sourceUnitID)
        return b.row
    }

    private static func row(of a: IPAllocation, includePersonal: Bool) -> RegistryRow {
        var b = Builder<AllocationColumn>(includePersonal: includePersonal)
        b.put(.allocationID, a.id)
        b.put(.unitID, a.unitID)
        b.put(.start, a.range.first)
        b.put(.end, a.range.last)
        b.put(.mode, a.mode.rawValue)
        b.put(.targetUnitID, a.targetUnitID)
        b.put(.usage, a.usage)
        b.put(.allocated, a.allocated)
        b.put(.redirect, a.redirect)
        b.put(.userName, a.userName)
        b.put(.userNature, a.userNature)
        b.put(.userClass, a.userClass)
        b.put(.userIndustry, a.userIndustry)
        b.put(.province, a.province)
        b.put(.city, a.city)
        b.put(.county, a.county)
        b.put(.address, personal: a.address)
        b.put(.contactName, personal: a.contactName)
        b.put(.phone, personal: a.phone)
        b.put(.email, personal: a.email)
        return b.row
    }

    private static func row(of e: IPSelfBroughtRange, includePersonal: Bool) -> RegistryRow {
        var b = Builder<SelfBroughtColumn>(includePersonal: includePersonal)
        b.put(.selfBroughtID, e.id)
        b.put(.unitID, e.unitID)
        b.put(.start, e.range.first)
        b.put(.end, e.range.last)
        b.put(.usage, e.usage)
        b.put(.allocated, e.allocated)
        b.put(.redirect, e.redirect)
        b.put(.userName, e.userName)
        b.put(.userNature, e.userNature)
        b.put(.province, e.province)
        b.put(.city, e.city)
        b.put(.county, e.county)
        b.put(.address, personal: e.address)
        b.put(.contactName, personal: e.contactName)
        b.put(.phone, personal: e.phone)
        b.put(.email, personal: e.email)
        b.put(.sourceUnitType, e.sourceUnitType)
        b.put(.sourceUnitID, e.sourceUnitID)
        b.put(.sourceUnitName, e.sourceUnitName)
        return b.row
    }

    private static func row(of r: DomainRegistration, includePersonal: Bool) -> RegistryRow {
        var b = Builder<RegistrationColumn>(includePersonal: includePersonal)
        b.put(.registeredDomain, r.domain.ascii)
        b.put(.registrationID, r.id)
        b.put(.domainType, r.domainType)
        b.put(.registered, r.registered)
        b.put(.expires, r.expires)
        b.put(.registrantName, r.registrantName)
        b.put(.registrantOrganisation, r.registrantOrganisation)
        b.put(.registrantProvince, r.registrantProvince)
        b.put(.registrar, r.registrar)
        b.list(.nameServers, r.nameServers)
        b.put(.registrantEmail, personal: r.registrantEmail)
        b.put(.registrantPhone, personal: r.registrantPhone)
        b.put(.registrantAddress, personal: r.registrantAddress)
        return b.row
    }

    private static func row(of e: SponsorBlacklistEntry, includePersonal: Bool) -> RegistryRow {
        var b = Builder<SponsorBlacklistColumn>(includePersonal: includePersonal)
        b.put(.blacklistedSponsor, e.name)
        b.put(.nature, e.nature)
        b.put(.idType, e.idType)
        b.put(.idNumber, personal: e.idNumber)
        b.put(.operation, e.operation.name)
        return b.row
    }

    private static func row(of e: SiteBlacklistEntry, includePersonal: Bool) -> RegistryRow {
        var b = Builder<SiteBlacklistColumn>(includePersonal: includePersonal)
        b.list(.blacklistedSiteNames, e.names)
        b.list(.domains, e.domains.map(\.ascii))
        b.put(.homepage, e.homepage)
        b.put(.operation, e.operation.name)
        return b.row
    }

    private static func row(of e: IllegalAccessEntry, includePersonal: Bool) -> RegistryRow {
        var b = Builder<IllegalAccessColumn>(includePersonal: includePersonal)
        b.put(.illegalAccessID, e.id)
        b.put(.domain, e.domain?.ascii)
        b.put(.address, e.address)
        b.put(.providerID, e.providerID)
        b.put(.province, e.province)
        b.put(.detected, e.detected)
        return b.row
    }

    private static func row(of e: UnfiledSiteEntry, includePersonal: Bool) -> RegistryRow {
        var b = Builder<UnfiledColumn>(includePersonal: includePersonal)
        b.put(.unfiledID, e.id)
        b.put(.domain, e.domain.ascii)
        b.put(.address, e.address)
        b.put(.firstDetected, e.firstDetected)
        b.put(.lastDetected, e.lastDetected)
        b.put(.detections, e.detections)
        b.put(.province, e.province)
        b.put(.providerID, e.providerID)
        b.put(.operatorID, e.operatorID)
        return b.row
    }

    private static func row(of u: ReportingUnit, includePersonal: Bool) -> RegistryRow {
        var b = Builder<UnitColumn>(includePersonal: includePersonal)
        b.put(.unitName, u.name)
        b.put(.unitID, u.id)
        b.put(.unitClass, u.unitClass)
        b.put(.industry, u.industry)
        b.put(.licence, u.licence)
        b.put(.province, u.province)
        b.put(.city, u.city)
        b.put(.valid, u.valid)
        return b.row
    }

    private static func row(of p: ProvinceEntry, includePersonal: Bool) -> RegistryRow {
        var b = Builder<ProvinceColumn>(includePersonal: includePersonal)
        b.put(.provinceCode, p.province.registryCode)
        b.put(.abbreviation, String(p.province.abbreviation))
        b.put(.name, p.name)
        return b.row
    }

    /// The values of each column of `row`, in schema order.
    static func columnValues(_ row: RegistryRow) -> [[String]] {
        var values = [[String]](repeating: [], count: RegistrySchema.columns(of: row.kind).count)
        for span in row.spans { values[Int(span.column)].append(row.string(span)) }
        return values
    }
}
