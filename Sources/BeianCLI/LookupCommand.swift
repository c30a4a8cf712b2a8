import ArgumentParser
import BeianCore
import BeianGeo
import BeianIndex
import BeianRegistry
import Foundation

struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Ask an index about addresses and host names.",
        subcommands: [LookupIPCommand.self, LookupHostCommand.self]
    )
}

extension UnitInfo {
    var json: JSONValue {
        var object: JSONObject = [
            "id": JSONValue(id), "name": JSONValue(name), "licensed": JSONValue(isLicensed), "valid": JSONValue(isValid),
        ]
        object.set("licence", licence)
        object.set("province", province.map { String($0.abbreviation) })
        return .object(object)
    }

    var text: String { "\(name) (unit \(id)\(isLicensed ? ", licence \(licence ?? "")" : ", no licence"))" }
}

extension AllocationLink {
    var json: JSONValue {
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

    var text: String {
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
    func json(at time: Timestamp) -> JSONObject {
        var object: JSONObject = [
            "site_id": JSONValue(id), "site_number": JSONValue(number), "names": JSONValue(names), "active": JSONValue(isActive(at: time)),
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

    func text(at time: Timestamp) -> String {
        var line = "\(number) \(names.joined(separator: "/")) [\(isActive(at: time) ? "filed" : "cancelled")]"
        if let sponsor { line += " sponsor \(sponsor.name) \(sponsor.number)" }
        line += " domains \(domains.map(\.name).joined(separator: ", "))"
        return line
    }
}

struct LookupIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ip",
        abstract: "Allocation chain, filed sites, country and blacklist hits of addresses."
    )

    @Argument(help: "Addresses (IPv4 or IPv6).")
    var addresses: [String]

    @OptionGroup var indexOptions: IndexOptions
    @OptionGroup var geo: GeoOptions

    @Flag(help: "Print JSON (one object per address, one per line).")
    var json = false

    func run() throws {
        let index = try indexOptions.load()
        let (country, asn) = try geo.open()
        let now = Timestamp.now
        var failed = false
        for text in addresses {
            guard let address = try? IPAddress.parse(text).unmapped else {
                printError("beian: not an address: \(text)")
                failed = true
                continue
            }
            let chain = index.allocationLinks(address)
            let filed = index.filedAccess(at: address)
            let reached = index.sitesReachedAt(address)
            let illegal = index.illegalAccess(at: address)
            let countryAnswer = try country?.lookup(address)
            let asnAnswer = try asn?.lookup(address)
            if json {
                var object: JSONObject = [
                    "address": JSONValue(address.description), "allocation_chain": .array(chain.map(\.json)),
                    "in_filed_space": JSONValue(!chain.isEmpty),
                    "filed_sites": .array(
                        filed.map { record in
                            var item = index.site(Int(record.siteIndex)).json(at: now)
                            item["listed_by_access_id"] = JSONValue(record.id)
                            return .object(item)
                        }),
                    "sites_reached_at_address": .array(reached.map { .object($0.json(at: now)) }),
                    "illegal_access": .array(
                        illegal.map {
                            ["id": JSONValue($0.id), "domain": JSONValue($0.domain ?? ""), "provider_id": JSONValue($0.providerID ?? 0)]
                        }),
                ]
                object.set("country", countryAnswer?.country)
                object["asn"] = asnAnswer?.asn.map { JSONValue($0) }
                object.set("organisation", asnAnswer?.organisation ?? countryAnswer?.organisation)
                print(object.text)
                continue
            }
            print(address)
            if chain.isEmpty { print("  no IP filing covers this address") }
            for (depth, link) in chain.enumerated() { print("  \(depth == 0 ? "allocated:" : "within:   ") \(link.text)") }
            for record in filed {
                print(
                    "  filed for: \(index.site(Int(record.siteIndex)).text(at: now)) via \(record.provider?.text ?? "unit \(record.providerID)")"
                )
            }
            for site in reached { print("  homepage of: \(site.text(at: now))") }
            for hit in illegal { print("  illegal-access list: entry \(hit.id) \(hit.domain ?? "")") }
            if let countryAnswer { print("  country: \(countryAnswer.country ?? "unknown")") }
            if let asnAnswer { print("  network: AS\(asnAnswer.asn.map(String.init) ?? "?") \(asnAnswer.organisation ?? "")") }
        }
        if failed { throw ExitCode(1) }
    }
}

struct LookupHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Is a host filed? Independent domain, filing, blacklist hits.",
        discussion: """
            Answers as the filing system's own query does (filed or not, sponsor number, site \
            number, site name), using the longest filed name that covers the host, else its \
            independent domain.
            """
    )

    @Argument(help: "Host names (Unicode or A-labels).")
    var hosts: [String]

    @OptionGroup var indexOptions: IndexOptions
    @OptionGroup var at: TimeOptions

    @Flag(help: "Print JSON (one object per host, one per line).")
    var json = false

    func run() throws {
        let index = try indexOptions.load()
        let time = at.time
        var failed = false
        for text in hosts {
            let name: DomainName
            do {
                name = try DomainName(text)
            } catch {
                printError("beian: \(text): \(error.reason)")
                failed = true
                continue
            }
            let answer = index.filedSites(forHost: name)
            let sites = answer.sites.map { index.site(Int($0)) }
            let active = sites.first { $0.isActive(at: time) }
            let blacklisted = index.blacklistedDomain(covering: name)
            let illegal = index.illegalAccess(covering: name)
            let sponsorBlacklisted = sites.contains {
                $0.sponsor?.isBlacklistedByName == true || $0.sponsor?.isBlacklistedByIdentifier == true
            }
            if json {
                var object: JSONObject = [
                    "host": JSONValue(name.ascii), "unicode": JSONValue(name.unicode), "filed": JSONValue(active != nil),
                    "match": JSONValue(answer.match.rawValue), "sites": .array(sites.map { .object($0.json(at: time)) }),
                    "bazt": JSONValue(active == nil ? 1 : 0),
                ]
                object.set("independent_domain", answer.independentDomain)
                object.set("matched_name", answer.matchedName)
                if let active {
                    object.set("ztbah", active.sponsor?.number ?? "")
                    object.set("wzbah", active.number)
                    object.set("wzmc", active.names.first ?? "")
                }
                object.set("blacklisted_domain", blacklisted)
                object.set("sponsor_blacklisted", sponsorBlacklisted)
                if !illegal.isEmpty {
                    object["illegal_access"] = .array(
                        illegal.map { ["id": JSONValue($0.id), "address": JSONValue($0.address?.description ?? "")] })
                }
                print(object.text)
                continue
            }
            print("\(name.ascii)\(name.unicode != name.ascii ? " (\(name.unicode))" : "")")
            print("  independent domain: \(answer.independentDomain ?? "none (a public suffix)")")
            if let active {
                print("  filed: yes — sponsor \(active.sponsor?.number ?? "?"), site \(active.number), \(active.names.first ?? "")")
            } else {
                print("  filed: no\(sites.isEmpty ? "" : " (only cancelled filings)")")
            }
            if let matched = answer.matchedName { print("  matched: \(matched) (\(answer.match.rawValue))") }
            for site in sites { print("  site: \(site.text(at: time))") }
            if let blacklisted { print("  blacklisted domain: \(blacklisted)") }
            if sponsorBlacklisted { print("  sponsor blacklisted") }
            for hit in illegal { print("  illegal-access list: entry \(hit.id) \(hit.address?.description ?? "")") }
        }
        if failed { throw ExitCode(1) }
    }
}
