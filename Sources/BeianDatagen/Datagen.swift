import ArgumentParser
import Foundation

/// `beian-datagen`: a synthetic filing world with its ground truth.
///
/// The truth must not be what beian computes, or a bug would agree with itself. So the
/// generator keeps its own implementation of what it checks beian against: the rules
/// (`Judge.swift`, a brute-force reference judge over the world's records), IDNA A-labels
/// (`Punycode.swift`, not libidn2), packet building and QUIC Initial protection
/// (`Packets.swift`, `QUIC.swift`, checked by tshark), the MaxMind database (`MMDBWriter`,
/// checked by mmdblookup) and its own dates and numbers. Everything else — JSON escaping,
/// the GBK encoder, gzip, WARC records (checked by warcio) — is the product's.
@main
struct Datagen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beian-datagen",
        abstract: "Writes a consistent synthetic filing world with its ground truth, and scores findings against it.",
        subcommands: [Generate.self, Score.self, Serve.self],
        defaultSubcommand: Generate.self
    )
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes a world: registry, traffic, truth.",
        discussion: """
            The registry of one province (Zhejiang): reporting units, operator blocks \
            sub-allocated to access providers and on to customers, sponsors, sites, domains, \
            access records, cancellations, domain registrations, blacklists and code tables, in \
            V3.0 XML (GBK), CSV and JSON Lines that load to the same records. Then the traffic of \
            the same world (a pcap and a pcapng), and the truth: every observation the traffic \
            holds and every finding a scan must report. The same seed writes the same bytes.
            """
    )

    @Option(help: "Size of the world: sample (300 sponsors), province (30,000) or national (3,000,000).")
    var preset = "sample"

    @Option(help: "Sponsors to generate (overrides the preset's count).")
    var sponsors: Int?

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Option(name: [.customShort("o"), .long], help: "Output directory.")
    var out: String

    @Flag(help: "Write the registry only.")
    var registryOnly = false

    @Flag(help: "Write the traffic, logs and homepages of the national preset too (tens of gigabytes).")
    var withTraffic = false

    @Option(help: "Repeat the traffic window this many times (a capture of any size: a province round is about 1.7 GB).")
    var rounds = 1

    func run() throws {
        var chosen: RegistryPreset
        var traffic: ScenarioPreset
        switch preset {
        case "sample": (chosen, traffic) = (.sample, .sample)
        case "province": (chosen, traffic) = (.province, .province)
        case "national": (chosen, traffic) = (.national, .national)
        default: throw ValidationError("--preset must be sample, province or national")
        }
        if let sponsors {
            guard sponsors > 0 else { throw ValidationError("--sponsors must be positive") }
            chosen.sponsors = sponsors
        }
        let directory = URL(fileURLWithPath: out)
        let clock = Stopwatch()
        var world = RegistryWorldBuilder.build(seed: seed, preset: chosen)
        let geo = GeoPlan(world: world)
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        let registryOnly = self.registryOnly || (preset == "national" && !withTraffic)
        let scenario = registryOnly ? nil : ScenarioBuilder.build(world: world, geo: geo, preset: traffic, seed: seed, rounds: rounds)
        if let scenario { ScenarioBuilder.plantMidnightCancellation(in: &world, scenario: scenario) }
        var files = try RegistryEmitter(world: world).write(to: directory)
        clock.lap("registry (world and three formats)")
        print(
            "\(chosen.name) world, seed \(seed): \(world.sponsors.count) sponsors, \(world.sites.count) sites, "
                + "\(world.sites.reduce(0) { $0 + $1.domains.count }) domains, \(world.accesses.count) access records, "
                + "\(world.sources.count) source blocks, \(world.allocations.count) allocations")
        if let scenario {
            var writer = TrafficWriter(scenario: scenario, seed: seed)
            let (observations, packets, bytes) = try writer.write(to: directory)
            files += TrafficWriter.files
            clock.lap("traffic", bytes: bytes)
            var logWriter = LogWriter(scenario: scenario, seed: seed)
            let logs = try logWriter.write(to: directory)
            files += logs.files
            clock.lap("logs")
            var homepageWriter = HomepageWriter(world: world, scenario: scenario, seed: seed)
            let pages = try homepageWriter.write(to: directory)
            files.append(HomepageWriter.file)
            try TruthWriter.write(pages.map(homepageWriter.truthLine), to: directory.appendingPathComponent("truth/homepages.jsonl"))
            let pageFindings = homepageWriter.findings(pages)
            try TruthWriter.write(
                pageFindings.map(TruthWriter.line), to: directory.appendingPathComponent("truth/findings-homepages.jsonl"))
            files += ["truth/homepages.jsonl", "truth/findings-homepages.jsonl"]
            clock.lap("homepages")
            print("homepages: \(pages.count) pages, \(pages.filter { $0.cert != nil }.count) bazs.cert, \(pageFindings.count) findings")
            let judge = Judge(world: world, geo: geo, scenario: scenario)
            let findings = judge.findings(observations, coverage: scenario.coverage)
            let logged = ["zeek", "web", "squid"].flatMap { logs.observations[$0] ?? [] }
            try TruthWriter.write(
                (observations + logged).map(TruthWriter.line), to: directory.appendingPathComponent("truth/observations.jsonl"))
            try TruthWriter.write(findings.map(TruthWriter.line), to: directory.appendingPathComponent("truth/findings.jsonl"))
            // Scans of the logs alone: Zeek watches the same link (same coverage); the web
            // servers' and the proxy's logs cover no address space in full.
            for (family, coverage) in [("zeek", scenario.coverage), ("web", []), ("squid", [])] {
                let found = judge.findings(logs.observations[family] ?? [], coverage: coverage)
                try TruthWriter.write(found.map(TruthWriter.line), to: directory.appendingPathComponent("truth/findings-\(family).jsonl"))
                files.append("truth/findings-\(family).jsonl")
            }
            try TruthWriter.write(scenario.coverage.map(\.text), to: directory.appendingPathComponent("truth/coverage.txt"))
            let database = directory.appendingPathComponent("geo/country.mmdb")
            try FileManager.default.createDirectory(at: database.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(MMDBWriter.country(geo)).write(to: database)
            // What a lookup of each network's first and last address must answer.
            let answers = geo.entries.flatMap { entry in
                [entry.block.first, entry.block.last].map { "\($0.text)\t\(entry.country)\t\(entry.asn)\t\(entry.organisation)" }
            }
            try TruthWriter.write(answers, to: directory.appendingPathComponent("truth/geo.tsv"))
            files += ["geo/country.mmdb", "truth/observations.jsonl", "truth/findings.jsonl", "truth/coverage.txt", "truth/geo.tsv"]
            clock.lap("truth")
            var kinds: [String: Int] = [:]
            for finding in findings { kinds[finding.kind, default: 0] += 1 }
            print(
                "logs: "
                    + ["zeek", "web", "squid"].map { "\($0) \(logs.observations[$0]?.count ?? 0) observations" }.joined(separator: ", "))
            print(
                "traffic: \(scenario.visits.count) visits, \(packets) packets, \(bytes) bytes; \(observations.count) observations; "
                    + "\(findings.count) findings ("
                    + kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                    + ")")
        }
        for file in files { print("  \(out)/\(file)") }
    }
}

/// Times the stages of a run, on standard error (standard output stays the same run to run).
final class Stopwatch {
    private var last = DispatchTime.now().uptimeNanoseconds

    func lap(_ stage: String, bytes: Int? = nil) {
        let now = DispatchTime.now().uptimeNanoseconds
        let seconds = Double(now - last) / 1e9
        last = now
        var line = String(format: "%@: %.2f s", stage, seconds)
        if let bytes { line += String(format: " (%.0f MB, %.0f MB/s)", Double(bytes) / 1e6, Double(bytes) / 1e6 / max(seconds, 1e-9)) }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
