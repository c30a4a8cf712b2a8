public import BeianCore
public import BeianIndex
import Foundation
import Synchronization

/// The index a service answers from, replaced as a whole when a new snapshot is loaded: a
/// request takes the one in use when it starts and finishes on it, whatever happens
/// meanwhile (the old snapshot stays mapped until its last request ends). A snapshot that
/// does not load — damaged, cut short, another format version — is refused and the one in
/// use goes on.
public final class IndexHolder: Sendable {
    /// One loaded snapshot and when it took over.
    public struct Loaded: Sendable {
        public let index: RegistryIndex
        public let loadedAt: Timestamp
        /// The file as it was when loaded.
        let identity: FileIdentity?
    }

    /// What loading again did.
    public enum Outcome: Sendable, Equatable {
        /// The new snapshot is in use (built then).
        case took(built: Timestamp)
        /// The file did not load; the snapshot in use goes on.
        case refused(String)
        /// The file is the one in use (a file-change check only).
        case unchanged
        /// Another load is under way.
        case busy
    }

    /// Loads, refusals and the last refusal's reason, since start.
    public struct Record: Sendable {
        public var reloads = 0
        public var refusals = 0
        public var lastRefusal: String?
        public var lastRefusalAt: Timestamp?
    }

    public let path: String
    private let state: Mutex<(loaded: Loaded, record: Record, seen: FileIdentity?)>
    private let loading = Atomic<Bool>(false)

    /// Loads `path` (throws what `RegistryIndex` says of a bad file).
    public init(path: String) throws {
        self.path = path
        let identity = FileIdentity(path)
        let index = try RegistryIndex(path: path, releasingPages: true)
        state = Mutex((Loaded(index: index, loadedAt: .now, identity: identity), Record(), identity))
    }

    /// The snapshot in use now.
    public var current: Loaded { state.withLock { $0.loaded } }
    public var record: Record { state.withLock { $0.record } }

    /// Loads the file again (on the calling thread: it reads and verifies the whole snapshot)
    /// and, when it loads, puts it in use. With `onlyIfChanged`, only when the file is not the
    /// one last loaded or refused (by device, inode, size and modification time).
    public func reload(onlyIfChanged: Bool = false) -> Outcome {
        let identity = FileIdentity(path)
        if onlyIfChanged {
            let seen = state.withLock { $0.seen }
            guard identity != nil, identity != seen else { return .unchanged }
        }
        guard !loading.exchange(true, ordering: .acquiring) else { return .busy }
        defer { loading.store(false, ordering: .releasing) }
        do {
            let index = try RegistryIndex(path: path, releasingPages: true)
            state.withLock { state in
                state.loaded = Loaded(index: index, loadedAt: .now, identity: identity)
                state.record.reloads += 1
                state.seen = identity
            }
            return .took(built: index.buildTime)
        } catch {
            let reason = "\(error)"
            state.withLock { state in
                state.record.refusals += 1
                state.record.lastRefusal = reason
                state.record.lastRefusalAt = .now
                state.seen = identity
            }
            return .refused(reason)
        }
    }
}
