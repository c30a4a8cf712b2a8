import ArgumentParser
import BeianCore
import Foundation

struct PrefixesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prefixes",
        abstract: "Turn address ranges into the minimal list of CIDR prefixes.",
        discussion: """
            Reads ranges, one per line: `start-end` (dotted, IPv6 or the V3.0 integer form), \
            `address/length`, a single address, or a line of an RIR delegated statistics file \
            (`apnic|CN|ipv4|1.0.1.0|256|…`, allocated or assigned). Prints the minimal prefixes of \
            each range in input order. Bad lines are reported on standard error with their line \
            number and skipped. Useful to turn filed ranges into ACLs or BPF filters.
            """
    )

    @Argument(help: "Files to read (standard input when none).")
    var files: [String] = []

    @Option(help: "Keep only delegated-statistics lines of this country code (for example CN).")
    var country: String?

    /// Longest line considered.
    static let maximumLineLength = 4096

    func run() throws {
        var accepted = 0
        var rejected = 0
        var output = ""
        func flush() {
            FileHandle.standardOutput.write(Data(output.utf8))
            output = ""
        }
        for file in files.isEmpty ? ["-"] : files {
            var lineNumber = 0
            let stream = try InputFile.open(file)
            var pending: [UInt8] = []
            func handle(_ bytes: ArraySlice<UInt8>) {
                lineNumber += 1
                guard bytes.count <= Self.maximumLineLength else {
                    printError("\(file):\(lineNumber): line longer than \(Self.maximumLineLength) bytes")
                    rejected += 1
                    return
                }
                let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if line.isEmpty || line.hasPrefix("#") { return }
                do {
                    guard let range = try parse(line) else { return }
                    for prefix in range.prefixes { output += "\(prefix)\n" }
                    accepted += 1
                    if output.utf8.count > 1 << 16 { flush() }
                } catch {
                    printError("\(file):\(lineNumber): \(error.reason)")
                    rejected += 1
                }
            }
            try stream.forEachChunk { chunk in
                var start = 0
                for index in 0..<chunk.count where chunk[index] == 0x0A {
                    if pending.isEmpty {
                        handle(ArraySlice(chunk[start..<index]))
                    } else {
                        pending.append(contentsOf: chunk[start..<index])
                        handle(pending[...])
                        pending.removeAll(keepingCapacity: true)
                    }
                    start = index + 1
                }
                pending.append(contentsOf: chunk[start...])
            }
            if !pending.isEmpty { handle(pending[...]) }
        }
        flush()
        printError("prefixes: \(accepted) range(s) read, \(rejected) refused")
    }

    /// The range on one line, or nil for a line to skip (another country, a summary line).
    func parse(_ line: String) throws(ValueError) -> IPRange? {
        guard line.contains("|") else { return try IPRange.parse(line) }
        // RIR statistics exchange format: registry|cc|type|start|value|date|status
        let fields = line.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count >= 7, fields[2] == "ipv4" || fields[2] == "ipv6" else { return nil }
        guard fields[6] == "allocated" || fields[6] == "assigned" else { return nil }
        if let country, fields[1] != country { return nil }
        let start = try IPAddress.parse(fields[3])
        guard let value = UInt64(fields[4]) else { throw ValueError(.invalidRange, "invalid count or length \(fields[4])") }
        if fields[2] == "ipv6" {
            return try IPPrefix(address: start, length: Int(value)).range
        }
        guard value >= 1, value <= 1 << 32, UInt64(start.bits) + value - 1 <= UInt64(UInt32.max) else {
            throw ValueError(.invalidRange, "\(value) addresses from \(start) leave the IPv4 space")
        }
        return try IPRange(first: start, last: IPAddress(family: .v4, bits: start.bits + UInt128(value) - 1))
    }
}
