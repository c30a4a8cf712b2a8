import Synchronization

/// Stops a scan from outside it — a signal handler, a timer, a service shutting down — from
/// any thread. The library never installs signal handlers: the program that owns the process
/// does, and cancels through this handle. Sources stop within a chunk of a file, or within
/// `LiveCapture.tickInterval` on a quiet interface; what was read is judged and reported.
public final class ScanControl: Sendable {
    private let cancelled = Atomic<Bool>(false)
    private let handlers = Mutex<[Int: @Sendable () -> Void]>([:])
    private let nextToken = Atomic<Int>(0)

    public init() {}

    /// Whether `cancel` was called.
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Asks the scan to stop. Safe from any thread, and more than once.
    public func cancel() {
        guard !cancelled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let waiting = handlers.withLock { handlers in
            defer { handlers.removeAll() }
            return Array(handlers.values)
        }
        for handler in waiting { handler() }
    }

    /// Calls `handler` on cancellation (at once when already cancelled) until `remove` is
    /// called with the token returned: a live source breaks its capture loop this way.
    public func whenCancelled(_ handler: @escaping @Sendable () -> Void) -> Int {
        let token = nextToken.wrappingAdd(1, ordering: .relaxed).oldValue
        handlers.withLock { $0[token] = handler }
        if isCancelled, let handler = handlers.withLock({ $0.removeValue(forKey: token) }) { handler() }
        return token
    }

    /// Forgets a handler given to `whenCancelled`.
    public func remove(_ token: Int) {
        _ = handlers.withLock { $0.removeValue(forKey: token) }
    }
}
