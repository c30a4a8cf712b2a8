public import BeianCore
public import BeianPackets
import Dispatch

/// Reads capture files and decodes them on one or more threads.
///
/// The calling thread reads chunks of whole records and splits each by conversation (a hash
/// of the address pair, `ShardHasher`); each of `threads` workers decodes its share, so a
/// conversation and its flow state stay on one worker without any lock per packet. Observations come out
/// per chunk, in packet order, whatever the number of threads. At most `window` chunks are
/// in flight: memory stays bounded whatever the input size.
public final class CapturePipeline {
    /// What one input gave.
    public struct InputReport: Sendable {
        public var file: String
        public var statistics: PacketStatistics
        /// Problems with the file itself (cannot open, truncated, bad record).
        public var issues: [InputError]
        public var bytesRead: Int64

        public init(file: String, statistics: PacketStatistics, issues: [InputError], bytesRead: Int64) {
            self.file = file
            self.statistics = statistics
            self.issues = issues
            self.bytesRead = bytesRead
        }
    }

    public let threads: Int
    public let window: Int
    private let workers: [Worker]
    private let hasher: ShardHasher

    /// One decoder, used only on its own serial queue.
    private final class Worker: @unchecked Sendable {
        // Safe: `decoder` is touched only by blocks run on `queue` (serial), and read by the
        // pipeline only after waiting for those blocks.
        let queue: DispatchQueue
        // Touched by one thread at a time (above): the dynamic exclusivity check Swift would
        // make on every packet is not needed.
        @exclusivity(unchecked) var decoder: PacketDecoder

        init(index: Int, configuration: PacketDecoder.Configuration) {
            decoder = PacketDecoder(configuration: configuration)
            queue = DispatchQueue(label: "beian.capture.worker.\(index)")
        }
    }

    /// Results of one chunk, a slot per worker.
    private final class ChunkResult: @unchecked Sendable {
        // Safe: worker k writes only slot k, before leaving `group`; the pipeline reads the
        // slots only after `group.wait()`.
        var slots: [[Observation]]
        let group = DispatchGroup()
        init(count: Int) { slots = Array(repeating: [], count: count) }
    }

    public init(threads: Int = 1, window: Int = 8, configuration: PacketDecoder.Configuration = .init()) {
        self.threads = max(1, threads)
        self.window = max(2, window)
        workers = (0..<max(1, threads)).map { Worker(index: $0, configuration: configuration) }
        hasher = ShardHasher(configuration: configuration)
    }

    /// Reads `path` to the end; `output` gets the observations in packet order (on the
    /// calling thread). An input that cannot be opened gives a report with the issue.
    /// `stop` is asked between chunks: when it says yes, reading ends there and what was
    /// read is decoded and given out (an interrupted scan keeps what it found).
    /// `progress` gets the bytes read from the file so far, after each chunk.
    public func run(
        path: String, stop: () -> Bool = { false }, progress: (Int64) -> Void = { _ in }, output: ([Observation]) -> Void
    ) -> InputReport {
        let file: CaptureFile
        do {
            file = try CaptureFile(path: path)
        } catch {
            return InputReport(file: path, statistics: PacketStatistics(), issues: [error], bytesRead: 0)
        }
        var issues: [InputError] = []
        /// The next chunk, or nil at the end, when asked to stop, or on an error (kept).
        func nextChunk() -> CaptureChunk? {
            guard !stop() else { return nil }
            do { return try file.nextChunk() } catch {
                issues.append(error)
                return nil
            }
        }
        if threads == 1 {
            let worker = workers[0]
            worker.decoder.begin(file: path)
            while let chunk = nextChunk() {
                chunk.forEachPacket { packet in
                    worker.decoder.decode(packet.bytes, link: packet.link, nanoseconds: packet.nanoseconds, number: packet.number)
                }
                if !worker.decoder.observations.isEmpty {
                    output(worker.decoder.observations)
                    worker.decoder.observations.removeAll(keepingCapacity: true)
                }
                progress(file.fileOffset)
            }
            worker.decoder.finish()
        } else {
            for worker in workers { worker.queue.sync { worker.decoder.begin(file: path) } }
            var inFlight: [ChunkResult] = []
            func complete(_ result: ChunkResult) {
                result.group.wait()
                // Stable: observations of one packet come from one worker, in their order.
                let merged = result.slots.joined().enumerated()
                    .sorted { ($0.element.packetNumber, $0.offset) < ($1.element.packetNumber, $1.offset) }.map(\.element)
                if !merged.isEmpty { output(merged) }
            }
            while let chunk = nextChunk() {
                let result = ChunkResult(count: workers.count)
                // The reader splits the chunk by conversation; each worker decodes its share.
                let shares = chunk.shard(workers.count, hasher: hasher)
                for (index, worker) in workers.enumerated() {
                    result.group.enter()
                    let share = shares[index]
                    worker.queue.async {
                        chunk.forEachPacket(in: share) { packet in
                            worker.decoder.decode(packet.bytes, link: packet.link, nanoseconds: packet.nanoseconds, number: packet.number)
                        }
                        result.slots[index] = worker.decoder.observations
                        worker.decoder.observations.removeAll(keepingCapacity: true)
                        result.group.leave()
                    }
                }
                inFlight.append(result)
                if inFlight.count >= window { complete(inFlight.removeFirst()) }
                progress(file.fileOffset)
            }
            for result in inFlight { complete(result) }
            for worker in workers { worker.queue.sync { worker.decoder.finish() } }
        }
        var statistics = PacketStatistics()
        for worker in workers { statistics = statistics + worker.decoder.takeStatistics() }
        issues += file.issues
        return InputReport(file: path, statistics: statistics, issues: issues, bytesRead: file.fileOffset)
    }
}

extension Observation {
    /// The packet number of the source, 0 for other positions.
    var packetNumber: UInt64 {
        if case .packet(let number) = source.position { return number }
        return 0
    }
}
