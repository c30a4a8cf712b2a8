import ArgumentParser
import Foundation

@main
struct Datagen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beian-datagen",
        abstract: "Writes a consistent synthetic filing world.",
        discussion: """
            The registry of one province (Zhejiang): reporting units, operator blocks \
            sub-allocated to access providers and on to customers, sponsors, sites, domains, \
            access records, cancellations, domain registrations, blacklists and code tables, in \
            V3.0 XML (GBK), CSV and JSON Lines that load to the same records. The same seed \
            writes the same bytes.
            """
    )

    @Option(help: "Size of the world: sample (300 sponsors), province (30,000) or national (3,000,000).")
    var preset = "sample"

    @Option(help: "Sponsors to generate (overrides the preset's count).")
    var sponsors: Int?

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Option(help: "Output directory.")
    var out: String

    func run() throws {
        var chosen: RegistryPreset
        switch preset {
        case "sample": chosen = .sample
        case "province": chosen = .province
        case "national": chosen = .national
        default: throw ValidationError("--preset must be sample, province or national")
        }
        if let sponsors {
            guard sponsors > 0 else { throw ValidationError("--sponsors must be positive") }
            chosen.sponsors = sponsors
        }
        let world = RegistryWorldBuilder.build(seed: seed, preset: chosen)
        let files = try RegistryEmitter(world: world).write(to: URL(fileURLWithPath: out))
        print(
            "\(chosen.name) world, seed \(seed): \(world.sponsors.count) sponsors, \(world.sites.count) sites, "
                + "\(world.sites.reduce(0) { $0 + $1.domains.count }) domains, \(world.accesses.count) access records, "
                + "\(world.sources.count) source blocks, \(world.allocations.count) allocations")
        for file in files { print("  \(out)/\(file)") }
    }
}
