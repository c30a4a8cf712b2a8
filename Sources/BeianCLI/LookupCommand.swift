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

/// Options shared by commands that read an index.
struct IndexFlags: ParsableArguments {
    @Option(help: "The index snapshot (from `beian index build`).")
    var index: String

    func load() throws -> RegistryIndex {
        do {
            return try RegistryIndex(path: index)
        } catch {
            throw CommandFailure(error.message)
        }
    }
}

/// Options naming MaxMind databases.
struct GeoFlags: ParsableArguments {
    @Option(help: "A MaxMind country database (GeoIP2/GeoLite2 Country or City).")
    var geoip: String?

    @Option(help: "A MaxMind ASN database (GeoLite2 ASN).")
    var asn: String?

    func open() throws -> (country: GeoDatabase?, asn: GeoDatabase?) {
        do {
            return (try geoip.map { try GeoDatabase(path: $0) }, try asn.map { try GeoDatabase(path: $0) })
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

extension UnitInfo {
    var json: [String: Any] {
        var object: [String: Any] = ["id": id, "name": name, "licensed": isLicensed, "valid": isValid]
        if let licence { object["licence"] = licence }
        if let province { object["province"] = String(province.abbreviation) }
        return object
    }

    var text: String { "\(name) (unit \(id)\(isLicensed ? ", licence \(licence ?? "")" : ", no licence"))" }
}

extension AllocationLink {
    var json: [String: Any] {
        var object: [String: Any] = ["kind": kind.description, "id": id, "range": range.description, "unit_id": unitID]
        if let mode {
            object["mode"] = mode.rawValue
            object["mode_name"] = mode.chineseName
        }
        if let unit { object["unit"] = unit.json }
        if let targetID { object["target_unit_id"] = targetID }
        if let target { object["target"] = target.json }
        if let userName { object["user_name"] = userName }
        if let province { object["province"] = String(province.abbreviation) }
        if let allocated { object["allocated"] = allocated.description }
        return object
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
    func json(at time: Timestamp) -> [String: Any] {
        var object: [String: Any] = [
            "site_id": id, "site_number": number, "names": names, "active": isActive(at: time),
            "domains": domains.map { ["name": $0.name, "registration": String(describing: $0.registration)] },
            "access": access.map { record -> [String: Any] in
                var item: [String: Any] = [
                    "access_id": record.id, "provider_id": record.providerID, "ranges": record.ranges.map(\.description),
                ]
                if let provider = record.provider { item["provider"] = provider.json }
                if let cancelled = record.cancelled { item["cancelled"] = cancelled.description }
                return item
            },
        ]
        if let homepage { object["homepage"] = homepage }
        if let cancelled { object["cancelled"] = cancelled.description }
        if let sponsor {
            var item: [String: Any] = ["sponsor_id": sponsor.id, "sponsor_number": sponsor.number, "name": sponsor.name]
            if let cancelled = sponsor.cancelled { item["cancelled"] = cancelled.description }
            if sponsor.isBlacklistedByName || sponsor.isBlacklistedByIdentifier { item["blacklisted"] = true }
            object["sponsor"] = item
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

    @OptionGroup var indexFlags: IndexFlags
    @OptionGroup var geo: GeoFlags

    @Flag(help: "Print JSON (one object per address, one per line).")
    var json = false

    func run() throws {
        let index = try indexFlags.load()
        let (country, asn) = try geo.open()
        let now = Timestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))
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
                var object: [String: Any] = [
                    "address": address.description, "allocation_chain": chain.map(\.json), "in_filed_space": !chain.isEmpty,
                    "filed_sites": filed.map { record -> [String: Any] in
                        var item = index.site(Int(record.siteIndex)).json(at: now)
                        item["listed_by_access_id"] = record.id
                        return item
                    },
                    "sites_reached_at_address": reached.map { $0.json(at: now) },
                    "illegal_access": illegal.map { ["id": $0.id, "domain": $0.domain ?? "", "provider_id": $0.providerID ?? 0] },
                ]
                if let country = countryAnswer?.country { object["country"] = country }
                if let number = asnAnswer?.asn { object["asn"] = number }
                if let organisation = asnAnswer?.organisation ?? countryAnswer?.organisation { object["organisation"] = organisation }
                print(jsonText(object, pretty: false))
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

    @OptionGroup var indexFlags: IndexFlags

    @Option(help: "Judge the filing as it stood at this time (default: now).")
    var at: String?

    @Flag(help: "Print JSON (one object per host, one per line).")
    var json = false

    func run() throws {
        let index = try indexFlags.load()
        let time: Timestamp
        if let at {
            guard let parsed = try? Timestamp.parse(at) else { throw ValidationError("--at: not a date or time: \(at)") }
            time = parsed
        } else {
            time = Timestamp(secondsSince1970: Int64(Date().timeIntervalSince1970))
        }
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
                var object: [String: Any] = [
                    "host": name.ascii, "unicode": name.unicode, "filed": active != nil, "match": answer.match.rawValue,
                    "sites": sites.map { $0.json(at: time) }, "bazt": active == nil ? 1 : 0,
                ]
                if let independent = answer.independentDomain { object["independent_domain"] = independent }
                if let matched = answer.matchedName { object["matched_name"] = matched }
                if let active {
                    object["ztbah"] = active.sponsor?.number ?? ""
                    object["wzbah"] = active.number
                    object["wzmc"] = active.names.first ?? ""
                }
                if let blacklisted { object["blacklisted_domain"] = blacklisted }
                if sponsorBlacklisted { object["sponsor_blacklisted"] = true }
                if !illegal.isEmpty { object["illegal_access"] = illegal.map { ["id": $0.id, "address": $0.address?.description ?? ""] } }
                print(jsonText(object, pretty: false))
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
