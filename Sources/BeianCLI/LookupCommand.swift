import ArgumentParser
import BeianCore
import BeianGeo
import BeianIndex
import BeianRegistry
import BeianReport
import Foundation

struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Ask an index about addresses and host names.",
        subcommands: [LookupIPCommand.self, LookupHostCommand.self]
    )
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
            let answer = AddressAnswer(address, index: index, at: now, country: country, asn: asn)
            if json {
                print(answer.json.text)
            } else {
                for line in answer.lines { print(line) }
            }
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
            let answer = HostAnswer(name, index: index, at: time)
            if json {
                print(answer.json.text)
            } else {
                for line in answer.lines { print(line) }
            }
        }
        if failed { throw ExitCode(1) }
    }
}
