import BeianCore
import BeianIndex
// package-benchmark suite: lookups in an index snapshot on one core.
//
//   BEIAN_BENCHMARKS=1 swift package benchmark --target Index
//
// Uses the national-scale snapshot that `index-scale` writes (run it first), or builds a
// smaller one (200 k sites) on first use.
import Benchmark
import BenchmarkSupport
import Foundation

struct Fixture: @unchecked Sendable {
    // Built once before the benchmarks run, read-only afterwards.
    let index: RegistryIndex
    let v4: [UInt32]
    let hosts: [DomainName]

    static let shared: Fixture = {
        var world = NationalWorld()
        world.sites = 200_000
        world.v4Ranges = 1_000_000
        world.v6Ranges = 200_000
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("beian-bench-index.beianidx").path
        if !FileManager.default.fileExists(atPath: path) {
            let builder = IndexBuilder()
            try? world.feed(builder)
            try? builder.write(to: path)
        }
        guard let index = try? RegistryIndex(path: path) else { fatalError("cannot build the benchmark index at \(path)") }
        var random = BenchRandom(seed: 9)
        let prefixes = world.v4Prefixes()
        let v4 = (0..<1_000_000).map { _ -> UInt32 in
            let prefix = prefixes[Int(random.next() % UInt64(prefixes.count))]
            return UInt32(truncatingIfNeeded: prefix.address.bits) | UInt32(truncatingIfNeeded: random.next() & 0xFF)
        }
        let hosts = (0..<100_000).map { DomainName(uncheckedASCII: "www." + world.domain(site: Int(random.next() % 200_000), k: 0)) }
        return Fixture(index: index, v4: v4, hosts: hosts)
    }()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock], maxDuration: .seconds(5))

    Benchmark("IPv4 longest-prefix match (1 M prefixes)", configuration: .init(scalingFactor: .mega)) { benchmark in
        let fixture = Fixture.shared
        var sink: UInt32 = 0
        for i in benchmark.scaledIterations {
            sink &+= fixture.index.mostSpecificAllocation(v4: fixture.v4[i % fixture.v4.count])
        }
        blackHole(sink)
    }

    Benchmark("host → filing", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let fixture = Fixture.shared
        var sink = 0
        for i in benchmark.scaledIterations {
            sink &+= fixture.index.filedSites(forHost: fixture.hosts[i % fixture.hosts.count]).sites.count
        }
        blackHole(sink)
    }
}
