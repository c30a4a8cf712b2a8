public import BeianCore
public import BeianGeo
public import BeianIndex
import BeianRegistry

// What the filing system answers about a host or an address: one value each, with its JSON
// and its words, so that `beian lookup` and the check service give the same answers.

extension UnitInfo {
    /// The unit as JSON (lookups, the check service).
    public var json: JSONValue {
        var object: JSONObject = [
            "id": JSONValue(id), "name": JSONValue(name), "licensed": JSONValue(isLicensed), "valid": JSONValue(isValid),
        ]
        object.set("licence", licence)
        object.set("province", province.map { String($0.abbreviation) })
        return .object(object)
    }

    /// The unit in words.
    public var text: String { "\(name) (unit \(id)\(isLicensed ? ", licence \(licence ?? "")" : ", no licence"))" }
}

extension AllocationLink {
    /// The link as JSON.
    public var json: JSONValue {
        var object: JSONObject = [
            "kind": JSONValue(kind.description), "id": JSONValue(id), "range": JSONValue(range.description), "unit_id": JSONValue(unitID),
        ]
        if let mode {
            object["mode"] = JSONValue(mode.rawValue)
            object.set("mode_name", mode.chineseName)
        }
        object["unit"] = unit?.json
        object["target_unit_id"] = targetID.map { JSONValue($0) }
        object["target"] = target?.json
        object.set("user_name", userName)
        object.set("province", province.map { String($0.abbreviation) })
        object.set("allocated", allocated?.description)
        return .object(object)
    }

    /// The link in words.
    public var text: String {
        var line = "\(kind) #\(id) \(range)"
        if let mode { line += " \(mode.chineseName)" }
        line += " by \(unit?.text ?? "unit \(unitID) (not in the code tables)")"
        if let target { line += " → \(target.text)" } else if let targetID { line += " → unit \(targetID)" }
        if let userName { line += ", used by \(userName)" }
        if let province { line += ", \(province.name)" }
        return line
    }
}

extension FiledSite {
    /// The site as JSON, its state at `time`.
    public func json(at time: Timestamp) -> JSONObject {
        var object: JSONObject = [
            "site_id": JSONValue(id), "site_number": JSONValue(number), "names": JSONValue(names), "active": JSONValue(isFiled(at: time)),
            "domains": .array(
                domains.map { ["name": JSONValue($0.name), "registration": JSONValue(String(describing: $0.registration))] }),
            "access": .array(
                access.map { record in
                    var item: JSONObject = [
                        "access_id": JSONValue(record.id), "provider_id": JSONValue(record.providerID),
                        "ranges": JSONValue(record.ranges.map(\.description)),
                    ]
                    item["provider"] = record.provider?.json
                    item.set("cancelled", record.cancelled?.description)
                    return .object(item)
                }),
        ]
        object.set("homepage", homepage)
        object.set("cancelled", cancelled?.description)
        if let sponsor {
            var item: JSONObject = [
                "sponsor_id": JSONValue(sponsor.id), "sponsor_number": JSONValue(sponsor.number), "name": JSONValue(sponsor.name),
            ]
            item.set("cancelled", sponsor.cancelled?.description)
            item.set("blacklisted", sponsor.isBlacklistedByName || sponsor.isBlacklistedByIdentifier)
            object.set("sponsor", object: item)
        }
        return object
    }

    /// The site in words, its state at `time`.
    public func text(at time: Timestamp) -> String {
        var line =
            "\(number) \(names.joined(separator: "/")) [\(isFiled(at: time) ? "filed" : isActive(at: time) ? "not yet filed" : "cancelled")]"
        if let sponsor { line += " sponsor \(sponsor.name) \(sponsor.number)" }
        line += " domains \(domains.map(\.name).joined(separator: ", "))"
        return line
    }
}

/// The filing system's answer for a host (its own query, `isp_querybeianstatus`): filed or
/// not at a time, by which sites, found through which name, and the blacklists' hits.
public struct HostAnswer: Sendable {
    public let name: DomainName
    public let time: Timestamp
    public let match: HostMatch
    /// The filed name that matched, and the host's independent domain.
    public let matchedName: String?
    public let independentDomain: String?
    public let sites: [FiledSite]
    /// The first site in force at `time`.
    public let active: FiledSite?
    public let blacklistedDomain: String?
    public let illegalAccess: [IllegalAccessHit]
    public let sponsorBlacklisted: Bool

    public init(_ name: DomainName, index: RegistryIndex, at time: Timestamp) {
        self.name = name
        self.time = time
        let lookup = index.filedSites(forHost: name)
        match = lookup.match
        matchedName = lookup.matchedName
        independentDomain = lookup.independentDomain
        sites = lookup.sites.map { index.site(Int($0)) }
        active = sites.first { $0.isFiled(at: time) }
        blacklistedDomain = index.blacklistedDomain(covering: name)
        illegalAccess = index.illegalAccess(covering: name)
        sponsorBlacklisted = sites.contains { $0.sponsor?.isBlacklistedByName == true || $0.sponsor?.isBlacklistedByIdentifier == true }
    }

    public var json: JSONObject {
        var object: JSONObject = [
            "host": JSONValue(name.ascii), "unicode": JSONValue(name.unicode), "filed": JSONValue(active != nil),
            "match": JSONValue(match.rawValue), "sites": .array(sites.map { .object($0.json(at: time)) }),
            "bazt": JSONValue(active == nil ? 1 : 0),
        ]
        object.set("independent_domain", independentDomain)
        object.set("matched_name", matchedName)
        if let active {
            object.set("ztbah", active.sponsor?.number ?? "")
            object.set("wzbah", active.number)
            object.set("wzmc", active.names.first ?? "")
        }
        object.set("blacklisted_domain", blacklistedDomain)
        object.set("sponsor_blacklisted", sponsorBlacklisted)
        if !illegalAccess.isEmpty {
            object["illegal_access"] = .array(
                illegalAccess.map { ["id": JSONValue($0.id), "address": JSONValue($0.address?.description ?? "")] })
        }
        return object
    }

    public var lines: [String] {
        var lines = ["\(name.ascii)\(name.unicode != name.ascii ? " (\(name.unicode))" : "")"]
        lines.append("  independent domain: \(independentDomain ?? "none (a public suffix)")")
        if let active {
            lines.append("  filed: yes — sponsor \(active.sponsor?.number ?? "?"), site \(active.number), \(active.names.first ?? "")")
        } else {
            lines.append("  filed: no\(sites.isEmpty ? "" : " (only cancelled filings)")")
        }
        if let matched = matchedName { lines.append("  matched: \(matched) (\(match.rawValue))") }
        for site in sites { lines.append("  site: \(site.text(at: time))") }
        if let blacklistedDomain { lines.append("  blacklisted domain: \(blacklistedDomain)") }
        if sponsorBlacklisted { lines.append("  sponsor blacklisted") }
        for hit in illegalAccess { lines.append("  illegal-access list: entry \(hit.id) \(hit.address?.description ?? "")") }
        return lines
    }

    /// The answer as the V3.0 interface gives it (`return/StatusInfo`, GBK): `Bazt` 0 filed
    /// or 1 not, and when filed the sponsor number, site number and site name. `msg` is padded
    /// to the 256 characters the schema fixes.
    public var queryAnswerXML: [UInt8] {
        var x = "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<return version=\"3.0\">"
        x += XMLText.element("msg_code", "0") + XMLText.element("msg", XMLText.padded("操作成功", to: 256))
        x += "<StatusInfo>" + XMLText.element("Cxtjlx", "0") + XMLText.element("Cxtj", name.unicode)
        if let active {
            x += XMLText.element("Wzmc", active.names.first ?? "") + XMLText.element("Ztbah", active.sponsor?.number ?? "")
            x += XMLText.element("Wzbah", active.number)
        }
        x += XMLText.element("Bazt", active == nil ? "1" : "0") + "</StatusInfo></return>\n"
        return GB18030Encoder.encode(x)
    }

    /// The interface's answer to a query it cannot answer (`msg_code` from the schema's table:
    /// 12 authentication refused, 999 other), without `StatusInfo`.
    public static func queryErrorXML(code: Int, _ message: String) -> [UInt8] {
        var x = "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<return version=\"3.0\">"
        x += XMLText.element("msg_code", String(code)) + XMLText.element("msg", XMLText.padded(message, to: 256))
        return GB18030Encoder.encode(x + "</return>\n")
    }
}

/// What the registry says about an address: its allocation chain (most specific first), the
/// filed sites listing it, sites whose homepage is the address, the illegal-access list, and
/// country and network when databases are given.
public struct AddressAnswer: Sendable {
    public let address: IPAddress
    public let time: Timestamp
    public let chain: [AllocationLink]
    public let filed: [(record: FiledAccess, site: FiledSite)]
    public let reached: [FiledSite]
    public let illegal: [IllegalAccessHit]
    public let country: GeoAnswer?
    public let network: GeoAnswer?

    public init(_ address: IPAddress, index: RegistryIndex, at time: Timestamp, country: GeoDatabase?, asn: GeoDatabase?) {
        self.address = address
        self.time = time
        chain = index.allocationLinks(address)
        filed = index.filedAccess(at: address).map { ($0, index.site(Int($0.siteIndex))) }
        reached = index.sitesReachedAt(address)
        illegal = index.illegalAccess(at: address)
        self.country = try? country?.lookup(address)
        network = try? asn?.lookup(address)
    }

    public var json: JSONObject {
        var object: JSONObject = [
            "address": JSONValue(address.description), "allocation_chain": .array(chain.map(\.json)),
            "in_filed_space": JSONValue(!chain.isEmpty),
            "filed_sites": .array(
                filed.map { record, site in
                    var item = site.json(at: time)
                    item["listed_by_access_id"] = JSONValue(record.id)
                    return .object(item)
                }),
            "sites_reached_at_address": .array(reached.map { .object($0.json(at: time)) }),
            "illegal_access": .array(
                illegal.map {
                    ["id": JSONValue($0.id), "domain": JSONValue($0.domain ?? ""), "provider_id": JSONValue($0.providerID ?? 0)]
                }),
        ]
        object.set("country", country?.country)
        object["asn"] = network?.asn.map { JSONValue($0) }
        object.set("organisation", network?.organisation ?? country?.organisation)
        return object
    }

    public var lines: [String] {
        var lines = [address.description]
        if chain.isEmpty { lines.append("  no IP filing covers this address") }
        for (depth, link) in chain.enumerated() { lines.append("  \(depth == 0 ? "allocated:" : "within:   ") \(link.text)") }
        for (record, site) in filed {
            lines.append("  filed for: \(site.text(at: time)) via \(record.provider?.text ?? "unit \(record.providerID)")")
        }
        for site in reached { lines.append("  homepage of: \(site.text(at: time))") }
        for hit in illegal { lines.append("  illegal-access list: entry \(hit.id) \(hit.domain ?? "")") }
        if let country { lines.append("  country: \(country.country ?? "unknown")") }
        if let network { lines.append("  network: AS\(network.asn.map(String.init) ?? "?") \(network.organisation ?? "")") }
        return lines
    }
}

/// Text for XML elements.
enum XMLText {
    static func element(_ name: String, _ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return "<\(name)>\(escaped)</\(name)>"
    }

    /// `text` followed by spaces up to `length` characters.
    static func padded(_ text: String, to length: Int) -> String {
        text.count >= length ? String(text.prefix(length)) : text + String(repeating: " ", count: length - text.count)
    }
}
