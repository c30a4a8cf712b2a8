import BeianTestSupport
import Foundation
import Testing

/// `beian scan --partial` and `beian merge`: the sample's inputs split into random parts, in
/// random order, give byte for byte the findings of one scan of them all; a part of another
/// index, a damaged part, are refused with the file and line.
@Suite(.serialized) struct MergeCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    var inputs: [String] {
        [
            "traffic/access-link.pcap", "traffic/mobile-core.pcapng", "homepages/homepages.warc.gz", "logs/zeek/ssl.log",
            "logs/zeek/http.log", "logs/zeek/dns.log", "logs/squid/access.log",
        ].map { sample.appendingPathComponent($0).path }
    }

    @Test func randomPartitionsMergeIntoTheFullScan() throws {
        let directory = try Fixtures.temporaryDirectory()
        let index = try ScanCommandTests().index()
        let geo = ["--geoip", sample.appendingPathComponent("geo/country.mmdb").path]
        let coverage = ["--coverage-file", sample.appendingPathComponent("truth/coverage.txt").path]
        let inputs = self.inputs.filter { FileManager.default.fileExists(atPath: $0) }
        #expect(inputs.count >= 6)
        let full = try Tool.run("beian", ["scan", "--index", index] + geo + coverage + inputs)
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout.split(separator: "\n").count > 100)

        var random = TestRandom(state: 15)
        var made: [String] = []
        for round in 0..<4 {
            // Each input to one of 1…4 parts; parts merged in a random order.
            let count = Int.random(in: 1...4, using: &random)
            var groups = Array(repeating: [String](), count: count)
            for input in inputs.shuffled(using: &random) { groups[Int.random(in: 0..<count, using: &random)].append(input) }
            var parts: [String] = []
            for (number, group) in groups.enumerated() where !group.isEmpty {
                let part = directory.appendingPathComponent("round\(round)-part\(number).partial").path
                let scan = try Tool.run("beian", ["scan", "--index", index, "--partial", "-o", part] + geo + group)
                #expect(scan.status == 0, "\(scan.stderr)")
                parts.append(part)
            }
            made += parts
            let merged = try Tool.run("beian", ["merge", "--index", index] + coverage + parts.shuffled(using: &random))
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(merged.stdout == full.stdout, "round \(round): \(groups)")
            // In a tree: the first parts merged into one part, then that with the rest.
            if parts.count > 2 {
                let inner = directory.appendingPathComponent("round\(round)-inner.partial").path
                let first = try Tool.run("beian", ["merge", "--index", index, "--partial", "-o", inner] + parts.prefix(2))
                #expect(first.status == 0, "\(first.stderr)")
                let tree = try Tool.run("beian", ["merge", "--index", index] + coverage + [inner] + parts.dropFirst(2))
                #expect(tree.stdout == full.stdout, "round \(round), in a tree")
            }
        }

        // A part of another index, a damaged part, a part of another scope: refused.
        let other = directory.appendingPathComponent("csv.beianidx").path
        let csv = try FileManager.default.contentsOfDirectory(atPath: sample.appendingPathComponent("registry/csv").path).sorted()
            .map { sample.appendingPathComponent("registry/csv/\($0)").path }
        #expect(try Tool.run("beian", ["index", "build"] + csv + ["-o", other]).status == 0)
        let existing = try #require(made.first)
        let refused = try Tool.run("beian", ["merge", "--index", other, existing])
        #expect(refused.status != 0 && refused.stderr.contains("judged against another index"), "\(refused.stderr)")
        var text = try String(contentsOfFile: existing, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        text[2] = "{\"finding\": 12}"
        let damaged = directory.appendingPathComponent("damaged.partial").path
        try text.joined(separator: "\n").write(toFile: damaged, atomically: true, encoding: .utf8)
        let broken = try Tool.run("beian", ["merge", "--index", index, damaged])
        #expect(broken.status != 0 && broken.stderr.contains("\(damaged):3:"), "\(broken.stderr)")
        let scope = try Tool.run("beian", ["merge", "--index", index, "--scope", "own", "--unit", "100", existing])
        #expect(scope.status != 0 && scope.stderr.contains("judged with scope all"), "\(scope.stderr)")
    }
}
