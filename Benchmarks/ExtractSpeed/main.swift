// Packet decoding speed on one capture, stage by stage, best of several runs:
//   1. walking the records (mapping the file, finding record boundaries, visiting each packet);
//   2. the same plus decoding every packet (links, IP, TCP/UDP, flow handling, extraction)
//      on one thread, observations kept but not formatted;
//   3. the full pipeline (`CapturePipeline`) on 1 and 2 threads.
//
//   BEIAN_BENCHMARKS=1 swift build -c release --scratch-path .build-bench --product extract-speed
//   .build-bench/release/extract-speed CAPTURE [--runs 5]
//   .build-bench/release/extract-speed --flows 1000000     (memory of 1 M concurrent flows)
import BeianCapture
import BeianCore
import BeianPackets
import Foundation

/// Walks every record; returns (packets, a checksum so the walk is not optimised away).
func walk(_ path: String) throws -> Int {
    let file = try CaptureFile(path: path)
    var count = 0
    var total = 0
    while let chunk = try file.nextChunk() {
        chunk.forEachPacket { packet in
            count += 1
            total &+= Int(packet.bytes.first ?? 0)
        }
    }
    return count + (total & 0)
}

/// Decodes every packet on this thread; returns the observations found.
func decode(_ path: String) throws -> Int {
    let file = try CaptureFile(path: path)
    var decoder = PacketDecoder()
    decoder.begin(file: path)
    var seen = 0
    while let chunk = try file.nextChunk() {
        chunk.forEachPacket { packet in
            decoder.decode(packet.bytes, link: packet.link, nanoseconds: packet.nanoseconds, number: packet.number)
        }
        seen += decoder.observations.count
        decoder.observations.removeAll(keepingCapacity: true)
    }
    decoder.finish()
    return seen
}

func pipeline(_ path: String, threads: Int) -> Int {
    let pipeline = CapturePipeline(threads: threads)
    var seen = 0
    _ = pipeline.run(path: path) { seen += $0.count }
    return seen
}

func seconds<T>(_ body: () throws -> T) rethrows -> (Double, T) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, result)
}

/// Resident memory of this process now (from /proc/self/statm), in MB.
func residentMB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
    return pages * 4096 / 1_048_576
}

/// `count` concurrent TCP connections, in three states: SYN seen (waiting for the first
/// bytes), hello read (a marker kept for retransmissions), and half a 1,400-byte hello sent
/// (600 bytes waiting). Prints the resident memory each state costs.
func flowMemory(count: Int) {
    func be16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    var hello: [UInt8] = [0x16, 0x03, 0x01] + be16(1400 - 5) + [0x01, 0x00] + be16(1400 - 9)
    hello += [0x03, 0x03] + [UInt8](repeating: 7, count: 32) + [0] + be16(2) + [0x13, 0x01] + [1, 0]
    hello += be16(1400 - hello.count - 2) + be16(0x15) + be16(1400 - hello.count - 6)
    hello += [UInt8](repeating: 0, count: 1400 - hello.count)
    func frame(_ index: Int, syn: Bool, payload: ArraySlice<UInt8>) -> [UInt8] {
        let client = 0x0A00_0000 | UInt32(index >> 14)
        let port = 1024 + index & 0x3FFF
        let tcp =
            be16(port) + be16(443) + be32(syn ? 999 : 1000) + be32(0) + [0x50, syn ? 0x02 : 0x18] + be16(65535) + [0, 0, 0, 0]
            + Array(payload)
        let ip: [UInt8] = [0x45, 0] + be16(20 + tcp.count) + [0, 1, 0, 0, 64, 6, 0, 0] + be32(client) + be32(0x7001_1001)
        return ip + tcp
    }
    for state in ["SYN seen", "hello read", "600 bytes of a hello waiting"] {
        var configuration = PacketDecoder.Configuration()
        configuration.maximumStreams = max(configuration.maximumStreams, count * 2)
        var decoder = PacketDecoder(configuration: configuration)
        decoder.begin(file: "synthetic")
        let before = residentMB()
        var number: UInt64 = 0
        let payload: ArraySlice<UInt8>? = state == "SYN seen" ? nil : state == "hello read" ? hello[...] : hello[0..<600]
        for syn in payload == nil ? [true] : [true, false] {
            for index in 0..<count {
                number += 1
                frame(index, syn: syn, payload: syn ? [] : payload ?? []).withUnsafeBytes {
                    decoder.decode($0, link: .raw, nanoseconds: 1_700_000_000_000_000_000 + Int64(number) * 20_000, number: number)
                }
            }
        }
        let after = residentMB()
        let statistics = decoder.takeStatistics()
        print(
            String(
                format: "%d concurrent flows, %@: %.0f MB (%.0f bytes per flow); hellos read %d, streams given up %d",
                count, state, after - before, (after - before) * 1_048_576 / Double(count),
                statistics.count(of: .tls) + statistics.hellosWithoutName, statistics.reassemblyFailures))
        withExtendedLifetime(decoder) {}
    }
}

func main() throws {
    let arguments = CommandLine.arguments
    if let flows = arguments.firstIndex(of: "--flows").flatMap({ Int(arguments[$0 + 1]) }) {
        flowMemory(count: flows)
        return
    }
    guard arguments.count >= 2 else {
        FileHandle.standardError.write(Data("usage: extract-speed CAPTURE [--runs N]\n".utf8))
        exit(2)
    }
    let path = arguments[1]
    let runs = arguments.firstIndex(of: "--runs").flatMap { Int(arguments[$0 + 1]) } ?? 5
    // `--only decode` runs that stage alone (for profilers).
    if let only = arguments.firstIndex(of: "--only").map({ arguments[$0 + 1] }) {
        for _ in 0..<runs {
            let (time, count) =
                try only == "walk"
                ? seconds { try walk(path) } : only == "decode" ? seconds { try decode(path) } : seconds { pipeline(path, threads: 2) }
            print(String(format: "%@: %.3f s (%d)", only, time, count))
        }
        return
    }
    var best: [String: Double] = [:]
    var packets = 0
    var observations = 0
    for _ in 0..<runs {
        let (walked, count) = try seconds { try walk(path) }
        packets = count
        best["walk", default: .infinity] = min(best["walk", default: .infinity], walked)
        let (decoded, found) = try seconds { try decode(path) }
        observations = found
        best["decode", default: .infinity] = min(best["decode", default: .infinity], decoded)
        for threads in [1, 2] {
            let (time, seen) = seconds { pipeline(path, threads: threads) }
            precondition(seen == found, "the pipeline on \(threads) threads found \(seen) observations, the decoder \(found)")
            best["pipeline-\(threads)", default: .infinity] = min(best["pipeline-\(threads)", default: .infinity], time)
        }
    }
    let size = Double(InputFile.size(of: path) ?? 0)
    print(
        "capture: \(path), \(packets) packets, \(String(format: "%.0f", size / 1e6)) MB, mean \(packets > 0 ? Int(size) / packets : 0) bytes per record, \(observations) observations"
    )
    print("| stage | best of \(runs) | Mpps | GB/s |")
    print("|---|---|---|---|")
    for name in ["walk", "decode", "pipeline-1", "pipeline-2"] {
        let time = best[name] ?? 0
        print(String(format: "| %@ | %.3f s | %.2f | %.2f |", name, time, Double(packets) / time / 1e6, size / time / 1e9))
    }
    print(String(format: "threads 2 / 1: %.2f×", (best["pipeline-1"] ?? 0) / (best["pipeline-2"] ?? 1)))
}

try main()
