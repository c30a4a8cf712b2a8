// Measures the index at national scale: build time, snapshot size, load time, resident memory
// of a process holding the loaded index, lookup rates on one core, and the same IPv4
// prefixes looked up through libmaxminddb for comparison.
//
//   BEIAN_BENCHMARKS=1 swift run -c release index-scale [--sites N] [--v4 N] [--v6 N]
//
// Writes Datasets/generated/national-<sites>.beianidx (and an .mmdb of the IPv4 prefixes, via
// the mmdb-writer PyPI package) and prints a table.
import BeianCore
import BeianGeo
import BeianIndex
import BenchmarkSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

func peakResidentMB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func currentResidentMB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

var arguments = Array(CommandLine.arguments.dropFirst())
var world = NationalWorld()
var mode = "all"
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--sites": world.sites = Int(arguments.removeFirst()) ?? world.sites
    case "--v4": world.v4Ranges = Int(arguments.removeFirst()) ?? world.v4Ranges
    case "--v6": world.v6Ranges = Int(arguments.removeFirst()) ?? world.v6Ranges
    case "--load-only": mode = "load"
    default: break
    }
}
let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Datasets/generated")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
let snapshot = directory.appendingPathComponent("national-\(world.sites)-\(world.v4Ranges)-\(world.v6Ranges).beianidx").path

func row(_ name: String, _ value: String, _ goal: String) {
    print("| \(name) | \(value) | \(goal) |")
}

if mode == "all" {
    // 1. Build (records in memory: this measures the index, not the parsing of exports).
    var options = IndexBuildOptions()
    options.buildTime = Timestamp(secondsSince1970: 1_780_000_000)
    IndexBuilder.tuneAllocatorForLargeBuilds()
    let builder = IndexBuilder(options: options)
    let feed = try seconds { try world.feed(builder) }
    let write = try seconds { try builder.write(to: snapshot) }
    let size = (try FileManager.default.attributesOfItem(atPath: snapshot)[.size] as? Int) ?? 0
    print("| figure | measured | goal |")
    print("|---|---|---|")
    row("records fed to the builder", String(format: "%.1f s", feed), "—")
    row("index build (tables + write)", String(format: "%.1f s", write), "< 60 s with parsing, 2 cores")
    row("snapshot size", String(format: "%.0f MB", Double(size) / 1e6), "—")
    row("builder peak resident memory", String(format: "%.0f MB", peakResidentMB()), "—")
    // 2. Load and lookups in a fresh process, so its memory is the loaded index's alone.
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = ["--sites", String(world.sites), "--v4", String(world.v4Ranges), "--v6", String(world.v6Ranges), "--load-only"]
    try process.run()
    process.waitUntilExit()
    exit(process.terminationStatus)
}

// Load-only mode: a fresh process.
var index: RegistryIndex?
let load = try seconds { index = try RegistryIndex(path: snapshot) }
guard let index else { exit(1) }
row("snapshot load (map + verify checksums)", String(format: "%.2f s", load), "< 1 s")
let unverified = try seconds { _ = try RegistryIndex(path: snapshot, verify: false) }
row("snapshot load without checksums", String(format: "%.3f s", unverified), "—")

// IPv4: 10 M addresses, 80 % inside the prefixes.
let v4Prefixes = world.v4Prefixes()
var random = BenchRandom(seed: 7)
var v4: [UInt32] = []
v4.reserveCapacity(10_000_000)
for i in 0..<10_000_000 {
    if i % 5 == 4 {
        v4.append(UInt32(truncatingIfNeeded: random.next()))
    } else {
        let prefix = v4Prefixes[Int(random.next() % UInt64(v4Prefixes.count))]
        let offset = UInt32(truncatingIfNeeded: random.next()) & UInt32(truncatingIfNeeded: IPPrefix.hostMask(.v4, prefix.length))
        v4.append(UInt32(truncatingIfNeeded: prefix.address.bits) | offset)
    }
}
var sink: UInt64 = 0
var best = Double.infinity
for _ in 0..<3 {
    let time = seconds {
        v4.withUnsafeBufferPointer { addresses in
            for address in addresses { sink &+= UInt64(index.mostSpecificAllocation(v4: address)) }
        }
    }
    best = min(best, time)
}
let singleRate = Double(v4.count) / best / 1e6
// The same code on 1,000 addresses that stay in the caches: the cost of the instructions alone.
let hot = Array(v4.prefix(1000))
best = .infinity
for _ in 0..<3 {
    let time = seconds {
        hot.withUnsafeBufferPointer { addresses in
            for _ in 0..<10_000 { for address in addresses { sink &+= UInt64(index.mostSpecificAllocation(v4: address)) } }
        }
    }
    best = min(best, time)
}
row(
    "IPv4 longest-prefix match, 1,000 addresses in cache (instruction cost)", String(format: "%.1f M lookups/s", 10_000_000 / best / 1e6),
    "—")
row("IPv4 longest-prefix match, \(world.v4Ranges / 1000) k prefixes, one by one", String(format: "%.1f M lookups/s", singleRate), "—")
var results = [UInt32](repeating: 0, count: 4096)
best = .infinity
for _ in 0..<3 {
    let time = seconds {
        v4.withUnsafeBufferPointer { addresses in
            results.withUnsafeMutableBufferPointer { output in
                var start = 0
                while start < addresses.count {
                    let end = min(start + 4096, addresses.count)
                    index.mostSpecificAllocations(v4: UnsafeBufferPointer(rebasing: addresses[start..<end]), into: output)
                    sink &+= UInt64(output[0])
                    start = end
                }
            }
        }
    }
    best = min(best, time)
}
let v4Rate = Double(v4.count) / best / 1e6
row("IPv4 longest-prefix match, \(world.v4Ranges / 1000) k prefixes, batched", String(format: "%.1f M lookups/s", v4Rate), "≥ 40 M/s")

// IPv6: 2 M addresses inside the prefixes.
let v6Prefixes = world.v6Prefixes()
var v6: [IPAddress] = []
for _ in 0..<2_000_000 {
    let prefix = v6Prefixes[Int(random.next() % UInt64(v6Prefixes.count))]
    let offset = (UInt128(random.next()) << 64 | UInt128(random.next())) & IPPrefix.hostMask(.v6, prefix.length)
    v6.append(.v6(IPv6Address(prefix.address.bits | offset)))
}
best = .infinity
for _ in 0..<3 {
    let time = seconds { for address in v6 { sink &+= UInt64(index.allocationChain(address).first ?? 0) } }
    best = min(best, time)
}
row(
    "IPv6 longest-prefix match, \(world.v6Ranges / 1000) k prefixes", String(format: "%.1f M lookups/s", Double(v6.count) / best / 1e6),
    "≥ 15 M/s")
let v6Bits = v6.map(\.bits)
var v6Results = [UInt32](repeating: 0, count: 4096)
var bestV6Batched = Double.infinity
for _ in 0..<3 {
    let time = seconds {
        v6Bits.withUnsafeBufferPointer { addresses in
            v6Results.withUnsafeMutableBufferPointer { output in
                var start = 0
                while start < addresses.count {
                    let end = min(start + 4096, addresses.count)
                    index.mostSpecificAllocations(v6: UnsafeBufferPointer(rebasing: addresses[start..<end]), into: output)
                    sink &+= UInt64(output[0])
                    start = end
                }
            }
        }
    }
    bestV6Batched = min(bestV6Batched, time)
}
row(
    "IPv6 longest-prefix match, \(world.v6Ranges / 1000) k prefixes, batched",
    String(format: "%.1f M lookups/s", Double(v6.count) / bestV6Batched / 1e6), "≥ 15 M/s")

let now = Timestamp(secondsSince1970: 1_780_000_000)
// Hosts: 2 M names, half under filed domains (www.…), half unfiled, back to back in one
// buffer as a scan finds them in packets (not as 2 M heap strings, which would add a cache miss
// of their own to every lookup).
var hostBytes: [UInt8] = []
var hostEnds: [Int] = []
for i in 0..<2_000_000 {
    let site = Int(random.next() % UInt64(world.sites))
    let name = i % 2 == 0 ? "www." + world.domain(site: site, k: i % world.domainsPerSite) : "x\(i).unfiled-\(site).com.cn"
    hostBytes += name.utf8
    hostEnds.append(hostBytes.count)
}
best = .infinity
for _ in 0..<2 {
    let time = seconds {
        hostBytes.withUnsafeBytes { bytes in
            var start = 0
            for end in hostEnds {
                // The filing's status at the observation time: the site row is read too.
                let answer = index.filedSites(hostBytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                sink &+= answer.sites.first.map { index.isSiteActive($0, at: now) ? 1 : 2 } ?? 0
                start = end
            }
        }
    }
    best = min(best, time)
}
// Batched, 64 hosts at a time, as a scan worker would.
var hostBuffers: [UnsafeRawBufferPointer] = []
let hostStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: hostBytes.count, alignment: 64)
hostStorage.copyBytes(from: hostBytes)
var previousEnd = 0
for end in hostEnds {
    hostBuffers.append(UnsafeRawBufferPointer(rebasing: hostStorage[previousEnd..<end]))
    previousEnd = end
}
var bestBatched = Double.infinity
var answers: [RegistryIndex.HostLookup] = []
answers.reserveCapacity(64)
for _ in 0..<2 {
    let time = seconds {
        hostBuffers.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                let end = min(start + 64, all.count)
                answers.removeAll(keepingCapacity: true)
                index.filedSites(hosts: UnsafeBufferPointer(rebasing: all[start..<end]), into: &answers)
                for answer in answers { sink &+= answer.sites.first.map { index.isSiteActive($0, at: now) ? 1 : 2 } ?? 0 }
                start = end
            }
        }
    }
    bestBatched = min(bestBatched, time)
}
// The same lookups over the first 1,000 hosts again and again: the instruction cost.
let hotEnds = Array(hostEnds.prefix(1000))
let hotHosts = seconds {
    hostBytes.withUnsafeBytes { bytes in
        for _ in 0..<1000 {
            var start = 0
            for end in hotEnds {
                let answer = index.filedSites(hostBytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                sink &+= answer.sites.first.map { index.isSiteActive($0, at: now) ? 1 : 2 } ?? 0
                start = end
            }
        }
    }
}
row("host lookups, 1,000 hosts in cache (instruction cost)", String(format: "%.1f M lookups/s", 1e6 / hotHosts / 1e6), "—")
row(
    "host → independent domain → filing, \(world.sites * world.domainsPerSite / 1_000_000) M filed domains",
    String(format: "%.2f M lookups/s", Double(hostEnds.count) / best / 1e6), "≥ 3 M/s")
row(
    "host → independent domain → filing, batched",
    String(format: "%.2f M lookups/s", Double(hostEnds.count) / bestBatched / 1e6), "≥ 3 M/s")
row("resident memory holding the index (after the lookups)", String(format: "%.0f MB", currentResidentMB()), "< 4 GB")

// The same IPv4 prefixes through libmaxminddb.
let mmdb = directory.appendingPathComponent("national-\(world.v4Ranges).mmdb").path
if !FileManager.default.fileExists(atPath: mmdb) {
    let list = directory.appendingPathComponent("prefixes-\(world.v4Ranges).txt").path
    try v4Prefixes.map(\.description).joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
    let script = """
        import sys
        from mmdb_writer import MMDBWriter
        from netaddr import IPSet, IPNetwork
        w = MMDBWriter(ip_version=4, database_type='beian-bench', languages=['en'])
        for i, line in enumerate(open(sys.argv[1])):
            w.insert_network(IPSet([IPNetwork(line.strip())]), {'id': i})
        w.to_db_file(sys.argv[2])
        """
    let python = Process()
    python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    python.arguments = ["python3", "-c", script, list, mmdb]
    try python.run()
    python.waitUntilExit()
}
if let database = try? GeoDatabase(path: mmdb) {
    let sample = Array(v4.prefix(2_000_000))
    best = .infinity
    for _ in 0..<2 {
        let time = seconds { for address in sample { sink &+= database.hasEntry(.v4(IPv4Address(address))) ? 1 : 0 } }
        best = min(best, time)
    }
    let mmdbRate = Double(sample.count) / best / 1e6
    row("libmaxminddb on the same IPv4 prefixes (search only)", String(format: "%.2f M lookups/s", mmdbRate), "—")
    row("ratio beian (batched) / libmaxminddb (search only)", String(format: "%.0f×", v4Rate / mmdbRate), "≥ 40×")
    best = .infinity
    let decoded = Array(sample.prefix(500_000))
    for _ in 0..<2 {
        let time = seconds {
            for address in decoded { sink &+= (try? database.lookup(.v4(IPv4Address(address))))?.asn.map(UInt64.init) ?? 1 }
        }
        best = min(best, time)
    }
    let decodeRate = Double(decoded.count) / best / 1e6
    row("libmaxminddb with the record decoded (GeoDatabase.lookup)", String(format: "%.2f M lookups/s", decodeRate), "—")
    row("ratio beian (batched) / libmaxminddb with decoding", String(format: "%.0f×", v4Rate / decodeRate), "≥ 40×")
} else {
    row("libmaxminddb on the same IPv4 prefixes", "not measured (mmdb-writer missing)", "—")
}
if sink == 42 { print("") }
