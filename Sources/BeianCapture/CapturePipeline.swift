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

    /// The caller's closures and the packet count, used by blocks of the pipeline's sink queue.
    private final class Delivery: @unchecked Sendable {
        // Safe: touched only by blocks of one serial queue, which `run` drains before it
        // reads `counter` and before the closures (not really escaping) go out of scope.
        let output: ([Observation]) -> Void
        let progress: (Int64) -> Void
        var counter = PacketsWithObservations()

        init(output: @escaping ([Observation]) -> Void, progress: @escaping (Int64) -> Void) {
            self.output = output
            self.progress = progress
        }

        /// A chunk's observations, merged in packet order (stable: the observations of one
        /// packet come from one worker, in their order), then the bytes read up to it.
        func deliver(_ result: ChunkResult, offset: Int64) {
            let merged = result.slots.joined().enumerated()
                .sorted { ($0.element.packetNumber, $0.offset) < ($1.element.packetNumber, $1.offset) }.map(\.element)
            if !merged.isEmpty {
                counter.count(merged)
                output(merged)
            }
            progress(offset)
        }
    }

    public init(threads: Int = 1, window: Int = 8, configuration: PacketDecoder.Configuration = .init()) {
        self.threads = max(1, threads)
        self.window = max(2, window)
        workers = (0..<max(1, threads)).map { Worker(index: $0, configuration: configuration) }
        hasher = ShardHasher(configuration: configuration)
    }

    /// Reads `path` to the end; `output` gets the observations in packet order: on the
    /// calling thread with one thread, on a queue of the pipeline with more (one call at a
    /// time, `progress` in turn with it, all before `run` returns). An input that cannot be opened gives a report with its failure.
    /// `stop` is asked between chunks: when it says yes, reading ends there and what was
    /// read is decoded and given out (an interrupted scan keeps what it found).
    /// `progress` gets the bytes read from the file so far, after each chunk.
    public func run(
        path: String, stop: () -> Bool = { false }, progress: (Int64) -> Void = { _ in }, output: ([Observation]) -> Void
    ) -> InputReport {
        let started = ContinuousClock.now
        var report = InputReport(input: path, source: .capture, unit: "packets")
        let file: CaptureFile
        do {
            file = try CaptureFile(path: path)
        } catch {
            report.failure = error
            return report
        }
        report.format = file.format.name
        var issues: [InputError] = []
        var counter = PacketsWithObservations()
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
                    counter.count(worker.decoder.observations)
                    output(worker.decoder.observations)
                    worker.decoder.observations.removeAll(keepingCapacity: true)
                }
                progress(file.fileOffset)
            }
            worker.decoder.finish()
        } else {
            for worker in workers { worker.queue.sync { worker.decoder.begin(file: path) } }
            // The caller's `output` and `progress` run on a queue of their own, one chunk
            // after another in order, so that judging (a scan's sink) overlaps with reading
            // and decoding: on the reading thread, it held two threads to 1.2 times one.
            withoutActuallyEscaping(output) { output in
                withoutActuallyEscaping(progress) { progress in
                    let delivery = Delivery(output: output, progress: progress)
                    let sink = DispatchQueue(label: "beian.capture.sink")
                    // At most `window` chunks between reading and delivery.
                    let slots = DispatchSemaphore(value: window)
                    while let chunk = nextChunk() {
                        slots.wait()
                        let result = ChunkResult(count: workers.count)
                        // The reader splits the chunk by conversation; each worker decodes its share.
                        let shares = chunk.shard(workers.count, hasher: hasher)
                        for (index, worker) in workers.enumerated() {
                            result.group.enter()
                            let share = shares[index]
                            worker.queue.async {
                                chunk.forEachPacket(in: share) { packet in
                                    worker.decoder.decode(
                                        packet.bytes, link: packet.link, nanoseconds: packet.nanoseconds, number: packet.number)
                                }
                                result.slots[index] = worker.decoder.observations
                                worker.decoder.observations.removeAll(keepingCapacity: true)
                                result.group.leave()
                            }
                        }
                        let offset = file.fileOffset
                        sink.async {
                            result.group.wait()
                            delivery.deliver(result, offset: offset)
                            slots.signal()
                        }
                    }
                    // Every block on the queue has run before the closures go out of scope.
                    sink.sync {}
                    counter = delivery.counter
                }
            }
            for worker in workers { worker.queue.sync { worker.decoder.finish() } }
        }
        var statistics = PacketStatistics()
        for worker in workers { statistics = statistics + worker.decoder.takeStatistics() }
        statistics.record(in: &report)
        report.used = counter.packets
        report.bytes = file.fileOffset
        // A read error ends the input early; damage in the file (a record cut short, one
        // too large) is counted and the packets before it are kept.
        for issue in issues + file.issues {
            report.note(InputReport.Issue(file: path, position: issue.offset.map { .offset(UInt64($0)) }, message: issue.reason))
            if issue.code == .readFailed || issue.code == .corruptCompression {
                report.failure = issue
            } else {
                report.rejected.add("record \(issue.code)")
            }
        }
        report.seconds = (ContinuousClock.now - started).seconds
        return report
    }
}

/// Counts packets that gave at least one observation, from batches in packet order.
package struct PacketsWithObservations {
    package private(set) var packets = 0
    private var last: UInt64 = 0

    package init() {}

    package mutating func count(_ batch: [Observation]) {
        for observation in batch where observation.packetNumber != last {
            last = observation.packetNumber
            packets += 1
        }
    }
}

extension Observation {
    /// The packet number of the source, 0 for other positions.
    var packetNumber: UInt64 {
        if case .packet(let number) = source.position { return number }
        return 0
    }
}
