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
    /// Problems found; `rejected` ones of the row's kind refused the record.
    var issues: [RegistryIssue] = []
    /// Counts of the sub-items of the row (domains of a site, ranges of an access record).
    var itemsAccepted = 0
    var itemsRejected = 0
    var itemKind: RecordKind?
    /// The hash of the key that must be unique among records of this kind, if any.
    var duplicateKey: RecordSink.DuplicateKey?
}

/// Bytes without leading and trailing white space (ASCII, no-break space, ideographic space).
private func trimmed(_ b: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    var start = 0
    var end = b.count
    while start < end {
        let byte = b[start]
        if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            start += 1
        } else if byte == 0xC2 && start + 1 < end && b[start + 1] == 0xA0 {
            start += 2
        } else if byte == 0xE3 && start + 2 < end && b[start + 1] == 0x80 && b[start + 2] == 0x80 {
            start += 3
        } else {
            break
        }
    }
    while end > start {
        let byte = b[end - 1]
        if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            end -= 1
        } else if byte == 0xA0 && end - 2 >= start && b[end - 2] == 0xC2 {
            end -= 2
        } else if byte == 0x80 && end - 3 >= start && b[end - 2] == 0x80 && b[end - 3] == 0xE3 {
            end -= 3
        } else {
            break
        }
    }
    return UnsafeBufferPointer(rebasing: b[start..<end])
}

/// Parses a whole decimal number from bytes.
private func decimal(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
    guard !b.isEmpty, b.count <= 18 else { return nil }
    var value: Int64 = 0
    for byte in b {
        guard byte >= 0x30 && byte <= 0x39 else { return nil }
        value = value * 10 + Int64(byte - 0x30)
    }
    return value
}

/// Reads the columns of one row with their checks, collecting issues.
private struct FieldReader<C: RowColumn> {
    let row: RegistryRow
    var issues: [RegistryIssue] = []
    var rejected = false

    init(_ row: RegistryRow) {
        self.row = row
    }

    /// Records a problem with `column`: refuses the record when the column is required (or
    /// `reject` says so), warns otherwise.
    mutating func problem(_ column: C, _ reason: String, span: ValueSpan? = nil, reject: Bool? = nil) {
        let refuse = reject ?? column.spec.required
        if refuse { rejected = true }
        issues.append(
            RegistryIssue(
                refuse ? .rejected : .warning, at: row.origin(span ?? row.first(column.rawValue)), kind: C.kind, field: column.spec.name,
                reason))
    }

    /// One item of a list (a domain of a site, a range of an access record) is refused; the
    /// record keeps the others.
    mutating func itemProblem(_ column: C, _ kind: RecordKind, _ reason: String, span: ValueSpan) {
        issues.append(RegistryIssue(.rejected, at: row.origin(span), kind: kind, field: column.spec.name, reason))
    }

    /// The single value of a column, trimmed, handed to `body`; nil when absent or empty. A
    /// required column that is absent or empty refuses the record. `body` sets `reason` to
    /// refuse the value.
    mutating func value<R>(_ column: C, _ body: (UnsafeBufferPointer<UInt8>, inout String?) -> R?) -> R? {
        var found: ValueSpan?
        for span in row.spans where span.column == Int32(column.rawValue) {
            if found != nil {
                problem(column, "appears more than once")
                return nil
            }
            found = span
        }
        guard let span = found else {
            if column.spec.required { problem(column, "missing") }
            return nil
        }
        guard Int(span.end - span.start) <= RegistryLimits.maximumFieldBytes else {
            problem(column, "longer than \(RegistryLimits.maximumFieldBytes) bytes", span: span)
            return nil
        }
        var reason: String?
        var empty = false
        let result: R? = row.withBytes(span) { bytes in
            let text = trimmed(bytes)
            if text.isEmpty {
                empty = true
                return nil
            }
            return body(text, &reason)
        }
        if let reason {
            problem(column, reason, span: span)
        } else if empty && column.spec.required {
            problem(column, "missing", span: span)
        }
        return result
    }

    mutating func text(_ column: C) -> String? {
        value(column) { bytes, _ in String(decoding: bytes, as: UTF8.self) }
    }

    /// A personal value: never quoted in messages. Several values are joined with `;`.
    mutating func personal(_ column: C) -> Personal<String>? {
        var parts: [String] = []
        var total = 0
        for span in row.spans where span.column == Int32(column.rawValue) {
            let part = row.withBytes(span) { String(decoding: trimmed($0), as: UTF8.self) }
            total += part.utf8.count + 1
            if !part.isEmpty { parts.append(part) }
        }
        guard !parts.isEmpty else { return nil }
        guard total <= RegistryLimits.maximumFieldBytes else {
            problem(column, "longer than \(RegistryLimits.maximumFieldBytes) bytes")
            return nil
        }
        return Personal(parts.joined(separator: ";"))
    }

    /// A problem with one item of a list, recorded after the items are read.
    struct ItemProblem {
        var span: ValueSpan
        var reason: String
        /// The item kind counted as refused, or nil for a warning.
        var kind: RecordKind?
    }

    /// Calls `body` with each non-empty item of a list column (values split at `;` and `；`),
    /// trimmed, with the span it came from; `body` appends problems to the list it is given.
    mutating func forEachItem(_ column: C, _ body: (UnsafeBufferPointer<UInt8>, ValueSpan, inout [ItemProblem]) -> Void) {
        var count = 0
        var problems: [ItemProblem] = []
        for span in row.spans where span.column == Int32(column.rawValue) {
            row.withBytes(span) { bytes in
                var start = 0
                var index = 0
                while index <= bytes.count {
                    let atEnd = index == bytes.count
                    let isSemicolon = !atEnd && bytes[index] == 0x3B
                    let isFullWidth =
                        !atEnd && index + 2 < bytes.count && bytes[index] == 0xEF && bytes[index + 1] == 0xBC && bytes[index + 2] == 0x9B
                    if atEnd || isSemicolon || isFullWidth {
                        let item = trimmed(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                        if !item.isEmpty {
                            count += 1
                            if count <= RegistryLimits.maximumListValues { body(item, span, &problems) }
                        }
                        index += isFullWidth ? 3 : 1
                        start = index
                    } else {
                        index += 1
                    }
                }
            }
        }
        for entry in problems {
            if let kind = entry.kind {
                itemProblem(column, kind, entry.reason, span: entry.span)
            } else {
                problem(column, entry.reason, span: entry.span, reject: false)
            }
        }
        if count > RegistryLimits.maximumListValues {
            problem(column, "more than \(RegistryLimits.maximumListValues) values; the rest were dropped")
        }
        if count == 0 && column.spec.required { problem(column, "missing") }
    }

    mutating func strings(_ column: C) -> [String] {
        var result: [String] = []
        forEachItem(column) { bytes, _, _ in result.append(String(decoding: bytes, as: UTF8.self)) }
        return result
    }

    mutating func integer(_ column: C, in range: ClosedRange<Int64> = 0...Int64.max) -> Int64? {
        value(column) { bytes, reason in
            guard let number = decimal(bytes), range.contains(number) else {
                reason = "\(quoted(String(decoding: bytes, as: UTF8.self))) is not an integer in \(range.lowerBound)…\(range.upperBound)"
                return nil
            }
            return number
        }
    }

    mutating func identifier(_ column: C) -> Int64? {
        value(column) { bytes, reason in
            guard let number = decimal(bytes), number >= 1 else {
                reason = "\(quoted(String(decoding: bytes, as: UTF8.self))) is not a record id (a whole number from 1)"
                return nil
            }
            return number
        }
    }

    mutating func code(_ column: C) -> Int? {
        integer(column, in: 0...999_999_999).map { Int($0) }
    }

    mutating func time(_ column: C) -> Timestamp? {
        value(column) { bytes, reason in
            do throws(ValueError) {
                return try Timestamp.parse(utf8: bytes)
            } catch {
                reason = error.reason
                return nil
            }
        }
    }

    mutating func province(_ column: C) -> Province? {
        value(column) { bytes, reason in
            if let code = decimal(bytes), let province = Province.coded(Int(code)) { return province }
            let text = String(decoding: bytes, as: UTF8.self)
            if text.count == 1, let character = text.first, let province = Province.abbreviated(character) { return province }
            if let province = Province.all.first(where: { $0.name == text }) { return province }
            reason = "unknown province code \(quoted(text))"
            return nil
        }
    }

    mutating func flag(_ column: C) -> Bool? {
        value(column) { bytes, reason in
            switch String(decoding: bytes, as: UTF8.self).lowercased() {
            case "1", "true", "yes", "y", "是": return true
            case "0", "false", "no", "n", "否": return false
            default:
                reason = "\(quoted(String(decoding: bytes, as: UTF8.self))) is not 0 or 1"
                return nil
            }
        }
    }

    mutating func filingNumber(_ column: C, site: Bool) -> FilingNumber? {
        value(column) { bytes, reason -> FilingNumber? in
            let shown = { quoted(String(decoding: bytes, as: UTF8.self)) }
            do throws(ValueError) {
                let number = try FilingNumber.parse(utf8: bytes)
                guard number.kind == .icpFiling || number.kind == .icpLicence else {
                    reason = "\(shown()) is a \(number.kind.rawValue) number, not an ICP number"
                    return nil
                }
                if site && !number.isSiteNumber {
                    reason = "\(shown()) lacks the site index (…号-N) of a site number"
                    return nil
                }
                if !site && number.isSiteNumber {
                    reason = "\(shown()) is a site number, a sponsor number has no -N"
                    return nil
                }
                return number
            } catch {
                reason = error.reason
                return nil
            }
        }
    }

    mutating func domain(_ column: C) -> DomainName? {
        value(column) { bytes, reason in
            do throws(ValueError) {
                return try DomainName(utf8: bytes)
            } catch {
                reason = error.reason
                return nil
            }
        }
    }

    mutating func address(_ column: C) -> IPAddress? {
        value(column) { bytes, reason in
            do throws(ValueError) {
                return try IPAddress.parse(registryUTF8: bytes)
            } catch {
                reason = error.reason
                return nil
            }
        }
    }

    /// The range of a start and an end column.
    mutating func range(_ start: C, _ end: C) -> IPRange? {
        guard let first = address(start), let last = address(end) else { return nil }
        do throws(ValueError) {
            return try IPRange(first: first, last: last)
        } catch {
            problem(start, error.reason)
            return nil
        }
    }

    mutating func choice<T>(_ column: C, _ table: [String: T]) -> T? {
        value(column) { bytes, reason in
            let text = String(decoding: bytes, as: UTF8.self)
            guard let result = table[text.lowercased()] else {
                reason = "\(quoted(text)) is not one of \(table.keys.sorted().joined(separator: ", "))"
                return nil
            }
            return result
        }
    }

    /// Domain items of a list column; refused items are counted in `result`.
    mutating func domains(_ column: C, _ result: inout DecodedRow, itemKind: RecordKind?) -> [DomainName] {
        var domains: [DomainName] = []
        var seen: Set<DomainName> = []
        var accepted = 0
        var refused = 0
        forEachItem(column) { bytes, span, problems in
            do throws(ValueError) {
                let domain = try DomainName(utf8: bytes)
                if seen.insert(domain).inserted {
                    domains.append(domain)
                    accepted += 1
                } else if let itemKind {
                    problems.append(ItemProblem(span: span, reason: "domain \(domain) listed twice", kind: itemKind))
                    refused += 1
                }
            } catch {
                problems.append(ItemProblem(span: span, reason: error.reason, kind: itemKind))
                refused += 1
            }
        }
        result.itemsAccepted += accepted
        result.itemsRejected += refused
        return domains
    }

    /// Integer codes of a list column.
    mutating func codes(_ column: C) -> [Int] {
        var codes: [Int] = []
        forEachItem(column) { bytes, span, problems in
            if let code = decimal(bytes), code <= 999_999_999 {
                codes.append(Int(code))
            } else {
                problems.append(
                    ItemProblem(span: span, reason: "\(quoted(String(decoding: bytes, as: UTF8.self))) is not a code", kind: nil))
            }
        }
        return codes
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
        var result = DecodedRow()
        switch row.kind {
        case .sponsor: finish(row, sponsor, &result, wrap: RegistryRecord.sponsor) { $1.combine($0.number) }
        case .site: finish(row, site, &result, wrap: RegistryRecord.site) { $1.combine($0.number) }
        case .access: finish(row, access, &result, wrap: RegistryRecord.access) { $1.combine($0.id) }
        case .cancellation: finish(row, cancellation, &result, wrap: RegistryRecord.cancellation)
        case .ipSource: finish(row, ipSource, &result, wrap: RegistryRecord.ipSource) { $1.combine($0.id) }
        case .ipAllocation: finish(row, ipAllocation, &result, wrap: RegistryRecord.ipAllocation) { $1.combine($0.id) }
        case .ipSelfBrought: finish(row, ipSelfBrought, &result, wrap: RegistryRecord.ipSelfBrought) { $1.combine($0.id) }
        case .domainRegistration:
            finish(row, domainRegistration, &result, wrap: RegistryRecord.domainRegistration) { $1.combine($0.domain) }
        case .sponsorBlacklist: finish(row, sponsorBlacklist, &result, wrap: RegistryRecord.sponsorBlacklist)
        case .siteBlacklist: finish(row, siteBlacklist, &result, wrap: RegistryRecord.siteBlacklist)
        case .illegalAccess: finish(row, illegalAccess, &result, wrap: RegistryRecord.illegalAccess) { $1.combine($0.id) }
        case .unfiledSite: finish(row, unfiledSite, &result, wrap: RegistryRecord.unfiledSite) { $1.combine($0.id) }
        case .reportingUnit: finish(row, reportingUnit, &result, wrap: RegistryRecord.reportingUnit) { $1.combine($0.id) }
        case .province: finish(row, provinceEntry, &result, wrap: RegistryRecord.province) { $1.combine($0.province) }
        case .siteDomain, .accessRange: break
        }
        return result
    }

    /// Decodes with `decode`; an accepted value is wrapped, and its unique key (when the kind
    /// has one) hashed by `key`.
    private static func finish<C: RowColumn, T>(
        _ row: RegistryRow, _ decode: (inout FieldReader<C>, inout DecodedRow) -> T?, _ result: inout DecodedRow,
        wrap: (T) -> RegistryRecord, key: ((T, inout Hasher) -> Void)? = nil
    ) {
        var fields = FieldReader<C>(row)
        let value = decode(&fields, &result)
        result.issues = fields.issues
        if let value, !fields.rejected {
            if let key {
                var hasher = Hasher()
                hasher.combine(row.kind.ordinal)
                key(value, &hasher)
                result.duplicateKey = RecordSink.DuplicateKey(hash: hasher.finalize())
            }
            result.record = wrap(value)
            return
        }
        // The sub-items of a refused row are refused with it.
        result.itemsRejected += result.itemsAccepted
        result.itemsAccepted = 0
        if !result.issues.contains(where: { $0.severity == .rejected && $0.kind == row.kind }) {
            result.issues.append(RegistryIssue(.rejected, at: row.location, kind: row.kind, "record refused"))
        }
    }

    private static func sponsor(_ f: inout FieldReader<SponsorColumn>, _ result: inout DecodedRow) -> Sponsor? {
        let number = f.filingNumber(.sponsorNumber, site: false)
        let id = f.identifier(.sponsorID)
        let name = f.text(.name)
        guard let number, let id, let name else { return nil }
        var sponsor = Sponsor(id: id, number: number, name: name)
        sponsor.nature = f.code(.nature)
        sponsor.province = f.province(.province)
        sponsor.idType = f.code(.idType)
        sponsor.idNumber = f.personal(.idNumber)
        sponsor.contactName = f.personal(.contactName)
        sponsor.phone = f.personal(.phone)
        sponsor.email = f.personal(.email)
        sponsor.address = f.personal(.address)
        sponsor.firstFiled = f.time(.firstFiled)
        sponsor.updated = f.time(.updated)
        sponsor.approved = f.time(.approved)
        return sponsor
    }

    private static func site(_ f: inout FieldReader<SiteColumn>, _ result: inout DecodedRow) -> Site? {
        let number = f.filingNumber(.siteNumber, site: true)
        let id = f.identifier(.siteID)
        let sponsorID = f.identifier(.sponsorID)
        let names = f.strings(.names)
        result.itemKind = .siteDomain
        let domains = f.domains(.domains, &result, itemKind: .siteDomain)
        guard let number, let id, let sponsorID, !names.isEmpty else { return nil }
        var site = Site(id: id, sponsorID: sponsorID, number: number, names: names, domains: domains)
        site.homepage = f.text(.homepage)
        site.firstFiled = f.time(.firstFiled)
        site.updated = f.time(.updated)
        return site
    }

    private static func access(_ f: inout FieldReader<AccessColumn>, _ result: inout DecodedRow) -> AccessRecord? {
        let id = f.identifier(.accessID)
        let siteID = f.identifier(.siteID)
        let providerID = f.identifier(.providerID)
        result.itemKind = .accessRange
        var ranges: [IPRange] = []
        var accepted = 0
        var refused = 0
        f.forEachItem(.ranges) { bytes, span, problems in
            do throws(ValueError) {
                ranges.append(try IPRange.parse(utf8: bytes))
                accepted += 1
            } catch {
                problems.append(.init(span: span, reason: error.reason, kind: .accessRange))
                refused += 1
            }
        }
        result.itemsAccepted += accepted
        result.itemsRejected += refused
        guard let id, let siteID, let providerID else { return nil }
        var record = AccessRecord(id: id, siteID: siteID, providerID: providerID, ranges: ranges)
        record.placements = f.codes(.placements)
        record.methods = f.codes(.methods)
        return record
    }

    private static func cancellation(_ f: inout FieldReader<CancellationColumn>, _ result: inout DecodedRow) -> Cancellation? {
        let recordID = f.identifier(.cancelledRecord)
        let target = f.choice(.target, cancellationTargets)
        guard let recordID, let target else { return nil }
        return Cancellation(target: target, recordID: recordID, cancelled: f.time(.cancelled))
    }

    private static func ipSource(_ f: inout FieldReader<SourceColumn>, _ result: inout DecodedRow) -> IPSourceRange? {
        let id = f.identifier(.sourceID)
        let unitID = f.identifier(.unitID)
        let range = f.range(.start, .end)
        guard let id, let unitID, let range else { return nil }
        return IPSourceRange(id: id, unitID: unitID, range: range, sourceUnitID: f.identifier(.sourceUnitID))
    }

    private static func ipAllocation(_ f: inout FieldReader<AllocationColumn>, _ result: inout DecodedRow) -> IPAllocation? {
        let id = f.identifier(.allocationID)
        let unitID = f.identifier(.unitID)
        let range = f.range(.start, .end)
        let mode = f.choice(.mode, modes)
        guard let id, let unitID, let range, let mode else { return nil }
        var allocation = IPAllocation(id: id, unitID: unitID, range: range, mode: mode)
        allocation.targetUnitID = f.identifier(.targetUnitID)
        allocation.usage = f.code(.usage)
        allocation.allocated = f.time(.allocated)
        allocation.redirect = f.flag(.redirect)
        allocation.userName = f.text(.userName)
        allocation.userNature = f.code(.userNature)
        allocation.userClass = f.code(.userClass)
        allocation.userIndustry = f.code(.userIndustry)
        allocation.province = f.province(.province)
        allocation.city = f.code(.city)
        allocation.county = f.code(.county)
        allocation.address = f.personal(.address)
        allocation.contactName = f.personal(.contactName)
        allocation.phone = f.personal(.phone)
        allocation.email = f.personal(.email)
        return allocation
    }

    private static func ipSelfBrought(_ f: inout FieldReader<SelfBroughtColumn>, _ result: inout DecodedRow) -> IPSelfBroughtRange? {
        let id = f.identifier(.selfBroughtID)
        let unitID = f.identifier(.unitID)
        let range = f.range(.start, .end)
        guard let id, let unitID, let range else { return nil }
        var entry = IPSelfBroughtRange(id: id, unitID: unitID, range: range)
        entry.usage = f.code(.usage)
        entry.allocated = f.time(.allocated)
        entry.redirect = f.flag(.redirect)
        entry.userName = f.text(.userName)
        entry.userNature = f.code(.userNature)
        entry.province = f.province(.province)
        entry.city = f.code(.city)
        entry.county = f.code(.county)
        entry.address = f.personal(.address)
        entry.contactName = f.personal(.contactName)
        entry.phone = f.personal(.phone)
        entry.email = f.personal(.email)
        entry.sourceUnitType = f.code(.sourceUnitType)
        entry.sourceUnitID = f.identifier(.sourceUnitID)
        entry.sourceUnitName = f.text(.sourceUnitName)
        return entry
    }

    private static func domainRegistration(_ f: inout FieldReader<RegistrationColumn>, _ result: inout DecodedRow) -> DomainRegistration? {
        guard let domain = f.domain(.registeredDomain) else { return nil }
        var registration = DomainRegistration(domain: domain)
        registration.id = f.identifier(.registrationID)
        registration.domainType = f.code(.domainType)
        registration.registered = f.time(.registered)
        registration.expires = f.time(.expires)
        registration.registrantName = f.text(.registrantName)
        registration.registrantOrganisation = f.text(.registrantOrganisation)
        registration.registrantProvince = f.province(.registrantProvince)
        registration.registrar = f.text(.registrar)
        registration.nameServers = f.strings(.nameServers).map { $0.lowercased() }
        registration.registrantEmail = f.personal(.registrantEmail)
        registration.registrantPhone = f.personal(.registrantPhone)
        registration.registrantAddress = f.personal(.registrantAddress)
        return registration
    }

    private static func sponsorBlacklist(_ f: inout FieldReader<SponsorBlacklistColumn>, _ result: inout DecodedRow)
        -> SponsorBlacklistEntry?
    {
        guard let name = f.text(.blacklistedSponsor) else { return nil }
        var entry = SponsorBlacklistEntry(name: name, operation: f.choice(.operation, operations) ?? .add)
        entry.nature = f.code(.nature)
        entry.idType = f.code(.idType)
        entry.idNumber = f.personal(.idNumber)
        return entry
    }

    private static func siteBlacklist(_ f: inout FieldReader<SiteBlacklistColumn>, _ result: inout DecodedRow) -> SiteBlacklistEntry? {
        let names = f.strings(.blacklistedSiteNames)
        var ignored = DecodedRow()
        let domains = f.domains(.domains, &ignored, itemKind: nil)
        guard !names.isEmpty else { return nil }
        var entry = SiteBlacklistEntry(names: names, domains: domains, operation: f.choice(.operation, operations) ?? .add)
        entry.homepage = f.text(.homepage)
        return entry
    }

    private static func illegalAccess(_ f: inout FieldReader<IllegalAccessColumn>, _ result: inout DecodedRow) -> IllegalAccessEntry? {
        guard let id = f.identifier(.illegalAccessID) else { return nil }
        var entry = IllegalAccessEntry(id: id)
        entry.domain = f.domain(.domain)
        entry.address = f.address(.address)
        entry.providerID = f.identifier(.providerID)
        entry.province = f.province(.province)
        entry.detected = f.time(.detected)
        if entry.domain == nil && entry.address == nil {
            f.problem(.domain, "neither a domain nor an address", reject: true)
            return nil
        }
        return entry
    }

    private static func unfiledSite(_ f: inout FieldReader<UnfiledColumn>, _ result: inout DecodedRow) -> UnfiledSiteEntry? {
        let id = f.identifier(.unfiledID)
        let domain = f.domain(.domain)
        guard let id, let domain else { return nil }
        var entry = UnfiledSiteEntry(id: id, domain: domain)
        entry.address = f.address(.address)
        entry.firstDetected = f.time(.firstDetected)
        entry.lastDetected = f.time(.lastDetected)
        entry.detections = f.integer(.detections, in: 0...Int64(Int32.max)).map { Int($0) }
        entry.province = f.province(.province)
        entry.providerID = f.identifier(.providerID)
        entry.operatorID = f.identifier(.operatorID)
        return entry
    }

    private static func reportingUnit(_ f: inout FieldReader<UnitColumn>, _ result: inout DecodedRow) -> ReportingUnit? {
        let name = f.text(.unitName)
        let id = f.identifier(.unitID)
        guard let name, let id else { return nil }
        var unit = ReportingUnit(id: id, name: name)
        unit.unitClass = f.code(.unitClass)
        unit.industry = f.code(.industry)
        unit.licence = f.text(.licence)
        unit.province = f.province(.province)
        unit.city = f.code(.city)
        unit.valid = f.flag(.valid)
        return unit
    }

    private static func provinceEntry(_ f: inout FieldReader<ProvinceColumn>, _ result: inout DecodedRow) -> ProvinceEntry? {
        let code = f.text(.provinceCode)
        let abbreviation = f.text(.abbreviation)
        let name = f.text(.name)
        guard let code, let abbreviation, let name else { return nil }
        guard let number = Int(code), let province = Province.coded(number) else {
            f.problem(.provinceCode, "unknown province code \(quoted(code))")
            return nil
        }
        guard abbreviation.count == 1, let character = abbreviation.first, Province.abbreviated(character) == province else {
            f.problem(.abbreviation, "\(quoted(abbreviation)) is not the abbreviation of \(province.name)")
            return nil
        }
        return ProvinceEntry(province: province, name: name)
    }
}
