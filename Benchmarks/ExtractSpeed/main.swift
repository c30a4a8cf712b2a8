// Packet decoding speed on one capture, stage by stage, best of several runs:
//   1. walking the records (mapping the file, finding record boundaries, visiting each packet);
//   2. the same plus decoding every packet (links, IP, TCP/UDP, flow handling, extraction)
//      on one thread, observations kept but not formatted;
//   3. the full pipeline (`CapturePipeline`) on 1 and 2 threads.
//
//   BEIAN_BENCHMARKS=1 swift build -c release --scratch-path .build-bench --product extract-speed
//   .build-bench/release/extract-speed CAPTURE [--runs 5]
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

func main() throws {
    let arguments = CommandLine.arguments
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
