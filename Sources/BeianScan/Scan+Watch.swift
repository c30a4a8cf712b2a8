import BeianCapture
public import BeianCore
import BeianHomepages
public import BeianIndex
import BeianLogs
import Foundation
import Synchronization

/// What a new index did when offered to a running scan.
public enum IndexRefresh: Sendable {
    /// It judges from now on; its build time.
    case took(over: Timestamp)
}

extension Scan {
    /// Runs `sources` at once until every one has ended (a live interface or followed logs end
    /// only when `control` is cancelled): what `beian watch` runs. Each source reads on a
    /// thread of its own and hands what it reads to this thread, which judges it; at most
    /// `WorkQueue.capacity` batches wait (a source that outruns judging waits: a live capture
    /// then leans on its kernel buffer, whose drops libpcap counts). `observer.tick` is called
    /// at least every `LiveCapture.tickInterval`.
    public func watch(_ sources: [any ScanSource], control: ScanControl = ScanControl(), observer: Observer = Observer()) -> ScanResult {
        let state = RunState(configuration: configuration, observer: observer, sources: sources)
        let queue = WorkQueue()
        for (position, source) in sources.enumerated() {
            let sink = ForwardingSink(queue: queue, homepageJudge: state.homepageJudge)
            let box = UncheckedSource(source)
            let thread = Thread {
                queue.put(.started(position))
                let report = box.source.read(into: sink, control: control)
                queue.put(.finished(position, report))
            }
            thread.name = "beian.source.\(position)"
            thread.start()
        }
        var running = sources.count
        var lastTick = ContinuousClock.now
        while running > 0 {
            if let index = pendingIndex.withLock({ pending in
                defer { pending = nil }
                return pending
            }) {
                state.switchIndex(to: index)
                observer.refresh?(.took(over: index.buildTime))
            }
            for item in queue.take(waiting: LiveCapture.tickInterval) {
                switch item {
                case .started(let position):
                    state.current = (sources[position].name, position)
                    observer.input?(.started(name: sources[position].name, kind: sources[position].kind))
                case .observations(let batch): state.take(batch)
                case .page(let page, let judgement): state.take(page, judgement: judgement)
                case .certificate(let certificate): state.take(certificate)
                case .progress(let progress): state.progress(progress)
                case .checkpoint(let position): state.checkpoint(position)
                case .finished(_, let report):
                    state.publishChanges()
                    state.result.inputs.append(report)
                    observer.input?(.finished(report))
                    running -= 1
                }
            }
            let now = ContinuousClock.now
            if now - lastTick >= LiveCapture.tickInterval {
                lastTick = now
                state.publishChanges()
                observer.tick?()
            }
        }
        return state.finish(interrupted: control.isCancelled)
    }

    /// Offers a new index to a running `watch` (from any thread): it takes over between two
    /// batches of observations; findings made under the old one stay as they were. The
    /// caller loads and verifies it first (`RegistryIndex(path:)` refuses a damaged or
    /// other-version snapshot), so a bad file never reaches the run.
    public func refresh(to index: RegistryIndex) {
        pendingIndex.withLock { $0 = index }
    }
}

/// What a source thread hands the judging thread.
enum WorkItem: Sendable {
    case started(Int)
    case observations([Observation])
    case page(CrawledPage, HomepageJudgement?)
    case certificate(CrawledCertificate)
    case progress(SourceProgress)
    case checkpoint(LogFollower.Position)
    case finished(Int, InputReport)
}

/// A bounded queue of work between source threads and the judging thread.
final class WorkQueue: @unchecked Sendable {
    // @unchecked: `items` is read and written only with `condition`'s lock held.
    /// Items waiting at most; a source putting more waits.
    static let capacity = 256
    private let condition = NSCondition()
    private var items: [WorkItem] = []

    func put(_ item: WorkItem) {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= Self.capacity { condition.wait() }
        items.append(item)
        condition.broadcast()
    }

    /// Everything waiting, after waiting up to `timeout` for something to come.
    func take(waiting timeout: Duration) -> [WorkItem] {
        condition.lock()
        defer { condition.unlock() }
        if items.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout.seconds)) }
        let taken = items
        items.removeAll(keepingCapacity: true)
        if !taken.isEmpty { condition.broadcast() }
        return taken
    }
}

/// The sink a source thread sees in `watch`: everything goes to the judging thread.
final class ForwardingSink: SourceSink, Sendable {
    let queue: WorkQueue
    let homepageJudge: HomepageJudge?

    init(queue: WorkQueue, homepageJudge: HomepageJudge?) {
        self.queue = queue
        self.homepageJudge = homepageJudge
    }

    func take(_ observations: [Observation]) { queue.put(.observations(observations)) }
    func take(_ page: CrawledPage, judgement: HomepageJudgement?) { queue.put(.page(page, judgement)) }
    func take(_ certificate: CrawledCertificate) { queue.put(.certificate(certificate)) }
    func progress(_ progress: SourceProgress) { queue.put(.progress(progress)) }
    func checkpoint(_ position: LogFollower.Position) { queue.put(.checkpoint(position)) }
}

/// A source handed to its own thread. @unchecked: after the hand-over only that thread
/// touches the source.
struct UncheckedSource: @unchecked Sendable {
    let source: any ScanSource
    init(_ source: any ScanSource) { self.source = source }
}
