internal import AsyncHTTPClient
public import BeianHistory
import Foundation
internal import NIOCore
internal import NIOHTTP1
import Synchronization

/// Delivers a watch's events to a webhook: batches of events POSTed as JSON
/// (`{"events":[…]}`, each event as in the events file, with its number `seq` for the
/// receiver to drop repeats), in order, from the store's outbox — on a thread of its own, so
/// that a slow or absent receiver never holds up capture. A failed batch is retried with
/// exponential backoff (1 s doubling to 60 s); what was not delivered stays in the outbox,
/// across restarts, and is counted. Delivery is at least once: a batch the receiver took but
/// whose answer was lost is sent again.
public final class WebhookDelivery: Sendable {
    /// The store's name for this destination.
    public static let destination = "webhook"
    /// Events POSTed at most at a time.
    public static let batchLimit = 500
    /// Seconds a request may take.
    public static let timeout: Int64 = 10

    public let url: String
    private let store: WatchStore
    private let destinations: [String]
    private let state = Mutex(State())
    private let log: @Sendable (String) -> Void

    struct State {
        var running = true
        var failures = 0
        var delivered: Int64 = 0
        var lastError: String?
    }

    /// Starts delivering the outbox of `store` to `url`. `destinations`: every destination
    /// reading the outbox (events leave it once all have them).
    public init(url: String, store: WatchStore, destinations: [String], log: @escaping @Sendable (String) -> Void) {
        self.url = url
        self.store = store
        self.destinations = destinations
        self.log = log
        let thread = Thread { [self] in self.run() }
        thread.name = "beian.webhook"
        thread.start()
    }

    /// Stops after the batch in flight.
    public func stop() { state.withLock { $0.running = false } }

    /// Events delivered since start, failed attempts in a row, the last error.
    public var status: (delivered: Int64, failures: Int, lastError: String?) {
        state.withLock { ($0.delivered, $0.failures, $0.lastError) }
    }

    private func run() {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { try? client.syncShutdown() }
        var backoff = 1.0
        while state.withLock({ $0.running }) {
            let batch: [WatchStore.Event]
            do {
                batch = try store.events(after: try store.delivered(to: Self.destination), limit: Self.batchLimit)
            } catch {
                note(failure: "the outbox cannot be read: \(error)")
                Thread.sleep(forTimeInterval: backoff)
                continue
            }
            guard !batch.isEmpty else {
                Thread.sleep(forTimeInterval: 0.2)
                continue
            }
            if let problem = post(batch, with: client) {
                note(failure: problem)
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 60)
                continue
            }
            backoff = 1
            do {
                try store.markDelivered(to: Self.destination, upTo: batch[batch.count - 1].sequence, destinations: destinations)
            } catch {
                note(failure: "cannot note the delivery: \(error)")
            }
            state.withLock {
                $0.delivered += Int64(batch.count)
                if $0.failures > 0 { log("webhook \(url): delivering again after \($0.failures) failed attempts") }
                $0.failures = 0
            }
        }
    }

    /// POSTs a batch; nil when the receiver took it (2xx), else why not.
    private func post(_ batch: [WatchStore.Event], with client: HTTPClient) -> String? {
        var body = "{\"events\":["
        for (index, event) in batch.enumerated() {
            if index > 0 { body += "," }
            body += event.line
        }
        body += "]}"
        let result = Mutex<String??>(nil)
        let done = DispatchSemaphore(value: 0)
        do {
            var request = try HTTPClient.Request(url: url, method: .POST)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "beian-watch")
            request.headers.add(name: "X-Beian-Events", value: "\(batch[0].sequence)-\(batch[batch.count - 1].sequence)")
            request.body = .string(body)
            client.execute(request: request, deadline: .now() + .seconds(Self.timeout)).whenComplete { outcome in
                switch outcome {
                case .success(let response):
                    let status = response.status.code
                    result.withLock { $0 = (200..<300).contains(status) ? .some(nil) : .some("answered \(status)") }
                case .failure(let error):
                    result.withLock { $0 = .some("\(error)") }
                }
                done.signal()
            }
        } catch {
            return "bad request: \(error)"
        }
        done.wait()
        return result.withLock { $0 } ?? "no answer"
    }

    private func note(failure: String) {
        let failures = state.withLock { state in
            state.failures += 1
            state.lastError = failure
            return state.failures
        }
        // The first failure and then every tenth: a receiver down for an hour is not a
        // thousand lines.
        if failures == 1 || failures % 10 == 0 { log("webhook \(url): \(failure) (attempt \(failures); events are kept and retried)") }
    }
}
