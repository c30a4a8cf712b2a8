import BeianCore

/// Turns typed records back into rows of text, the inverse of `RowDecoder`: what the CSV and
/// JSON Lines writers print.
enum RowEncoder {
    /// The row of `record`; personal columns stay empty unless `includePersonal`.
    static func encode(_ record: RegistryRecord, includePersonal: Bool) -> RegistryRow {
        var row = RegistryRow(kind: record.kind, location: RecordLocation(file: ""))
        func put(_ column: String, _ value: String?) {
            if let value, !value.isEmpty { row.set(value, for: column) }
        }
        func put(_ column: String, _ value: (some BinaryInteger)?) { put(column, value.map { String($0) }) }
        func put(_ column: String, _ value: Timestamp?) { put(column, value?.description) }
        func put(_ column: String, _ value: Province?) { put(column, value.map { String($0.registryCode) }) }
        func put(_ column: String, _ value: Bool?) { put(column, value.map { $0 ? "1" : "0" }) }
        func put(_ column: String, _ value: Personal<String>?) {
            if includePersonal { put(column, value?.revealed) }
        }
        func list(_ column: String, _ values: [String]) {
            for value in values { row.append(value, to: column) }
        }
        switch record {
        case .sponsor(let s):
            put("sponsor_number", s.number.normalized)
            put("sponsor_id", s.id)
            put("name", s.name)
            put("nature", s.nature)
            put("province", s.province)
            put("id_type", s.idType)
            put("id_number", s.idNumber)
            put("contact_name", s.contactName)
            put("phone", s.phone)
            put("email", s.email)
            put("address", s.address)
            put("first_filed", s.firstFiled)
            put("updated", s.updated)
            put("approved", s.approved)
        case .site(let s):
            put("site_number", s.number.normalized)
            put("site_id", s.id)
            put("sponsor_id", s.sponsorID)
            list("names", s.names)
            list("domains", s.domains.map(\.ascii))
            put("homepage", s.homepage)
            put("first_filed", s.firstFiled)
            put("updated", s.updated)
        case .access(let a):
            put("access_id", a.id)
            put("site_id", a.siteID)
            put("provider_id", a.providerID)
            list("ranges", a.ranges.map { "\($0.first)-\($0.last)" })
            list("placements", a.placements.map { String($0) })
            list("methods", a.methods.map { String($0) })
        case .cancellation(let c):
            put("cancelled_record", c.recordID)
            put("target", c.target.name)
            put("cancelled", c.cancelled)
        case .ipSource(let s):
            put("source_id", s.id)
            put("unit_id", s.unitID)
            put("start", s.range.first.description)
            put("end", s.range.last.description)
            put("source_unit_id", s.sourceUnitID)
        case .ipAllocation(let a):
            put("allocation_id", a.id)
            put("unit_id", a.unitID)
            put("start", a.range.first.description)
            put("end", a.range.last.description)
            put("mode", a.mode.rawValue)
            put("target_unit_id", a.targetUnitID)
            put("usage", a.usage)
            put("allocated", a.allocated)
            put("redirect", a.redirect)
            put("user_name", a.userName)
            put("user_nature", a.userNature)
            put("user_class", a.userClass)
            put("user_industry", a.userIndustry)
            put("province", a.province)
            put("city", a.city)
            put("county", a.county)
            put("address", a.address)
            put("contact_name", a.contactName)
            put("phone", a.phone)
            put("email", a.email)
        case .ipSelfBrought(let e):
            put("self_brought_id", e.id)
            put("unit_id", e.unitID)
            put("start", e.range.first.description)
            put("end", e.range.last.description)
            put("usage", e.usage)
            put("allocated", e.allocated)
            put("redirect", e.redirect)
            put("user_name", e.userName)
            put("user_nature", e.userNature)
            put("province", e.province)
            put("city", e.city)
            put("county", e.county)
            put("address", e.address)
            put("contact_name", e.contactName)
            put("phone", e.phone)
            put("email", e.email)
            put("source_unit_type", e.sourceUnitType)
            put("source_unit_id", e.sourceUnitID)
            put("source_unit_name", e.sourceUnitName)
        case .domainRegistration(let r):
            put("registered_domain", r.domain.ascii)
            put("registration_id", r.id)
            put("domain_type", r.domainType)
            put("registered", r.registered)
            put("expires", r.expires)
            put("registrant_name", r.registrantName)
            put("registrant_organisation", r.registrantOrganisation)
            put("registrant_province", r.registrantProvince)
            put("registrar", r.registrar)
            list("name_servers", r.nameServers)
            put("registrant_email", r.registrantEmail)
            put("registrant_phone", r.registrantPhone)
            put("registrant_address", r.registrantAddress)
        case .sponsorBlacklist(let e):
            put("blacklisted_sponsor", e.name)
            put("nature", e.nature)
            put("id_type", e.idType)
            put("id_number", e.idNumber)
            put("operation", e.operation.name)
        case .siteBlacklist(let e):
            list("blacklisted_site_names", e.names)
            list("domains", e.domains.map(\.ascii))
            put("homepage", e.homepage)
            put("operation", e.operation.name)
        case .illegalAccess(let e):
            put("illegal_access_id", e.id)
            put("domain", e.domain?.ascii)
            put("address", e.address?.description)
            put("provider_id", e.providerID)
            put("province", e.province)
            put("detected", e.detected)
        case .unfiledSite(let e):
            put("unfiled_id", e.id)
            put("domain", e.domain.ascii)
            put("address", e.address?.description)
            put("first_detected", e.firstDetected)
            put("last_detected", e.lastDetected)
            put("detections", e.detections)
            put("province", e.province)
            put("provider_id", e.providerID)
            put("operator_id", e.operatorID)
        case .reportingUnit(let u):
            put("unit_name", u.name)
            put("unit_id", u.id)
            put("unit_class", u.unitClass)
            put("industry", u.industry)
            put("licence", u.licence)
            put("province", u.province)
            put("city", u.city)
            put("valid", u.valid)
        case .province(let p):
            put("province_code", p.province.registryCode)
            put("abbreviation", String(p.province.abbreviation))
            put("name", p.name)
        }
        return row
    }
}
