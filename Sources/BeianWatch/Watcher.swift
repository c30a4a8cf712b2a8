public import BeianCore
public import BeianHistory
import BeianIndex
public import BeianLogs
import BeianReport
public import BeianScan
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A long-running watch: live interfaces and followed logs judged as they come, each new
/// finding reported within a tick, updates rate-limited, everything remembered across
/// restarts and index refreshes (`WatchStore`), events written to a file or standard output
/// and to a webhook. What `beian watch` runs.
///
/// Exactly once, for the events file: every 100 ms the findings made or changed, their events
/// (numbered) and the followed files' positions are committed in one transaction; then the
/// events are appended to the file. A watch killed in between writes, on restart, the events
/// the file does not hold yet (it reads the file's last number back) and resumes the followed
/// files after the lines those findings came from. Traffic from a live interface that had not
/// been committed when the process died is gone with it (at most one tick of it).
public final class Watcher {
    public struct Settings: Sendable {
        /// An update event for a finding already reported at most this often, when its count
        /// grew.
        public var updateInterval: Duration = .seconds(300)
        /// A summary line (counts by kind, interfaces' counters, undelivered events) this often.
        public var summaryInterval: Duration = .seconds(60)
        public var times: TimeStyle = .utc
        /// Where followed files that exist at the first start are read from.
        public var start: LogFollower.Start = .end
        /// How followed logs are read.
        public var logs = LogOptions()
        /// A findings history to record the watch in: a run every `historyInterval` (and one
        /// when the watch stops) holding the findings seen since the last.
        public var history: FindingsHistory?
        public var historyInterval: Duration = .seconds(86400)
        /// What the watch reads, as the history's runs name it.
        public var historyInputs: [String] = []

        public init() {}
    }

    /// The store's name for the events file (or standard output).
    public static let eventsDestination = "events"

    public let configuration: Scan.Configuration
    public let settings: Settings
    public let indexPath: String
    private let store: WatchStore
    private let events: EventLog
    private let webhook: WebhookDelivery?
    private let log: @Sendable (String) -> Void
    private let scan: Scan
    /// Asks for the index to be loaded again (from a signal handler's thread).
    public let reload = IndexReload()

    // The judging thread's own state.
    private var reported: [String: WatchStore.Reported] = [:]
    /// The findings made or changed since the last commit, by key (their latest state).
    private var pending: [String: Finding] = [:]
    /// The judge's count of each finding at the last commit (counts go on across restarts
    /// and index refreshes: only what the judge added since is added to the stored count).
    private var baseline: [String: Int] = [:]
    /// Reported findings that grew without an update event yet, with their latest state.
    private var grown: [String: Finding] = [:]
    private var positions: [String: WatchStore.Position] = [:]
    private var sequence: Int64 = 0
    private var lastSummary = ContinuousClock.now
    private var lastCommit = ContinuousClock.now
    /// How often counts and positions are written when nothing new came.
    static let persistInterval: Duration = .seconds(1)
    private var lastIndexCheck = ContinuousClock.now
    private var indexIdentity: FileIdentity?
    private var counters: [String: InputReport.Tally] = [:]
    private var newSinceStart = 0
    private var failure: String?
    /// The findings seen since the last run recorded in the history (latest state), the
    /// judge's count of each when that run was recorded, and when it was.
    private var sinceHistory: [String: Finding] = [:]
    private var historyBaseline: [String: Int] = [:]
    private var lastHistory = ContinuousClock.now
    private var lastHistoryTime = Timestamp.now

    /// Opens the events destination, the store's delivery state and the webhook. `log` gets
    /// operators' messages (the CLI prints them on standard error).
    public init(
        configuration: Scan.Configuration, indexPath: String, store: WatchStore, events: EventLog, webhook: String?,
        settings: Settings = Settings(), log: @escaping @Sendable (String) -> Void
    ) throws {
        self.configuration = configuration
        self.indexPath = indexPath
        self.store = store
        self.events = events
        self.settings = settings
        self.log = log
        scan = Scan(configuration)
        let destinations = [Self.eventsDestination] + (webhook == nil ? [] : [WebhookDelivery.destination])
        self.webhook = webhook.map { WebhookDelivery(url: $0, store: store, destinations: destinations, log: log) }
        self.destinations = destinations
        indexIdentity = FileIdentity(indexPath)
        reported = try store.reported()
        sequence = try store.lastSequence()
        // Events the file already holds (written just before a crash) are not written again.
        let written = events.lastWritten()
        if written > (try store.delivered(to: Self.eventsDestination)) {
            try store.markDelivered(to: Self.eventsDestination, upTo: written, destinations: destinations)
        }
        try deliver()
    }

    private let destinations: [String]

    /// Runs `interfaces` and the logs under `follow` until `control` is cancelled.
    public func run(interfaces: [any ScanSource], follow paths: [String], control: ScanControl) throws -> ScanResult {
        var sources = interfaces
        if !paths.isEmpty {
            let saved = try store.positions()
            sources.append(FollowedLogsSource(paths: paths, options: settings.logs, start: settings.start, positions: saved))
        }
        let observer = Scan.Observer(
            finding: { [unowned self] event in
                let finding = event.finding
                pending[Self.key(finding)] = finding
                if settings.history != nil { sinceHistory[Self.key(finding)] = finding }
            },
            progress: { [unowned self] progress in
                if !progress.counters.isEmpty { counters[progress.source] = progress.counters }
                for note in progress.notes { log("\(note)") }
            },
            input: { [unowned self] event in
                if case .finished(let report) = event, let failure = report.failure, !control.isCancelled {
                    log("\(report.input): \(failure.reason)")
                }
            },
            checkpoint: { [unowned self] position in
                positions["\(position.device)/\(position.inode)"] = position
            },
            tick: { [unowned self] in
                tick()
            },
            refresh: { [unowned self] refresh in
                // The new judge counts from zero: what it adds is added to the stored counts.
                baseline.removeAll()
                historyBaseline.removeAll()
                if case .took(let built) = refresh { log("index \(indexPath): now judging with the snapshot built \(built)") }
            })
        let result = scan.watch(sources, control: control, observer: observer)
        commit()
        recordHistory()
        webhook?.stop()
        if let failure { throw WatchFailure(description: failure) }
        return result
    }

    /// What a watch could not go on with (the state or the events file cannot be written).
    public struct WatchFailure: Error, CustomStringConvertible {
        public let description: String
    }

    // MARK: Each tick

    private func tick() {
        // New findings are committed (and their events written) at once; counts, times and
        // followed files' positions of findings already reported, at least every
        // `persistInterval` (all in the same transactions, so that they stay consistent).
        let now = ContinuousClock.now
        if pending.keys.contains(where: { reported[$0] == nil }) || now - lastCommit >= Self.persistInterval
            || !grown.isEmpty && now - lastCommit >= .seconds(1)
        {
            lastCommit = now
            commit()
        }
        if now - lastSummary >= settings.summaryInterval {
            lastSummary = now
            summary()
        }
        if now - lastIndexCheck >= .seconds(1) {
            lastIndexCheck = now
            checkIndex()
        }
        if settings.history != nil, now - lastHistory >= settings.historyInterval {
            lastHistory = now
            recordHistory()
        }
    }

    /// Records the findings seen since the last run in the history, as a run whose time span is
    /// that period (the watch judges traffic as it comes: its wall clock is the traffic's).
    /// A history that cannot be written is said and the watch goes on.
    private func recordHistory() {
        guard let history = settings.history else { return }
        let now = Timestamp.now
        var run = FindingsHistory.RunRecord(startedAt: lastHistoryTime.secondsSince1970, endedAt: now.secondsSince1970)
        run.window = lastHistoryTime.secondsSince1970...max(lastHistoryTime.secondsSince1970, now.secondsSince1970)
        run.inputs = settings.historyInputs.map { ($0, 0, "") }
        run.indexPath = indexPath
        run.indexBuilt = configuration.index.buildTime.secondsSince1970
        run.indexSources = configuration.index.sources
        if case .accessProvider(let unit) = configuration.rules.scope {
            run.scope = "own \(unit)"
            run.scopeUnit = unit
        }
        run.coverage = configuration.rules.coverage
        // Each finding with what the period added to its count.
        let findings = sinceHistory.map { key, finding in
            var period = finding
            period.count = max(0, finding.count - (historyBaseline[key] ?? 0))
            historyBaseline[key] = finding.count
            return period
        }
        sinceHistory.removeAll(keepingCapacity: true)
        lastHistoryTime = now
        do {
            let recorded = try history.record(run, findings: findings)
            log("history: run \(recorded.id) recorded: \(recorded.findings) findings, \(recorded.new) new, \(recorded.resolved) resolved")
        } catch {
            log("history: \(error) — the watch goes on")
        }
    }

    /// Commits what changed and writes the new events.
    private func commit() {
        guard failure == nil else { return }
        var change = WatchStore.Commit()
        let now = Timestamp.now
        for (key, finding) in pending {
            let added = finding.count - (baseline[key] ?? 0)
            baseline[key] = finding.count
            guard var known = reported[key] else {
                sequence += 1
                let item = WatchStore.Reported(
                    key: key, kind: finding.kind.rawValue, firstSeen: finding.firstSeen?.secondsSince1970,
                    lastSeen: finding.lastSeen?.secondsSince1970, count: finding.count, reportedAt: now.secondsSince1970,
                    lastEvent: sequence, lastEventAt: now.secondsSince1970)
                reported[key] = item
                change.reported.append(item)
                change.events.append(event("new", finding, item, at: now))
                newSinceStart += 1
                continue
            }
            known.count += max(0, added)
            if let first = finding.firstSeen?.secondsSince1970 { known.firstSeen = min(known.firstSeen ?? first, first) }
            if let last = finding.lastSeen?.secondsSince1970 { known.lastSeen = max(known.lastSeen ?? last, last) }
            reported[key] = known
            change.reported.append(known)
            if added > 0 { grown[key] = finding }
        }
        pending.removeAll(keepingCapacity: true)
        // Updates, at most one per finding per interval.
        let interval = Int64(settings.updateInterval.components.seconds)
        for (key, finding) in grown {
            guard var known = reported[key], now.secondsSince1970 - known.lastEventAt >= interval else { continue }
            sequence += 1
            known.lastEvent = sequence
            known.lastEventAt = now.secondsSince1970
            reported[key] = known
            change.reported.removeAll { $0.key == key }
            change.reported.append(known)
            change.events.append(event("update", finding, known, at: now))
            grown[key] = nil
        }
        change.positions = Array(positions.values)
        positions.removeAll(keepingCapacity: true)
        guard !change.isEmpty else { return }
        do {
            try store.commit(change)
            try deliver()
        } catch {
            failure = "the watch state cannot be written: \(error)"
            log(failure ?? "")
        }
    }

    /// Writes the events the events destination has not taken yet.
    private func deliver() throws {
        var taken = try store.delivered(to: Self.eventsDestination)
        while true {
            let batch = try store.events(after: taken, limit: 1000)
            guard let last = batch.last else { return }
            try events.write(batch)
            try store.markDelivered(to: Self.eventsDestination, upTo: last.sequence, destinations: destinations)
            taken = last.sequence
        }
    }

    /// An event line: its number first, then what happened, when, and the finding with the
    /// counts and times gathered across restarts.
    private func event(_ kind: String, _ finding: Finding, _ known: WatchStore.Reported, at time: Timestamp) -> WatchStore.Event {
        var shown = finding
        shown.count = known.count
        shown.firstSeen = known.firstSeen.map { Timestamp(secondsSince1970: $0) } ?? finding.firstSeen
        shown.lastSeen = known.lastSeen.map { Timestamp(secondsSince1970: $0) } ?? finding.lastSeen
        var out = JSONWriter()
        out.beginObject()
        out.member("seq", Int(sequence))
        out.member("event", kind)
        out.member("at", time.text(settings.times))
        out.key("finding")
        FindingWriter.object(shown, times: settings.times, into: &out)
        out.endObject()
        return WatchStore.Event(sequence: sequence, line: String(decoding: out.bytes, as: UTF8.self))
    }

    /// A summary line, on the events destination and in the log.
    private func summary() {
        var byKind: [Finding.Kind: Int] = [:]
        for item in reported.values { if let kind = Finding.Kind(rawValue: item.kind) { byKind[kind, default: 0] += 1 } }
        var object = JSONObject()
        object.set("event", "summary")
        object.set("at", Timestamp.now.text(settings.times))
        object.set("new_since_start", newSinceStart)
        object["findings"] = .object(
            JSONObject(Dictionary(uniqueKeysWithValues: byKind.map { ($0.key.rawValue, JSONValue($0.value)) })))
        object["interfaces"] = .object(
            JSONObject(
                counters.mapValues { tally in .object(JSONObject(Dictionary(tally.map { ($0.name, JSONValue($0.count)) }) { $1 })) }))
        if let webhook {
            let status = webhook.status
            object.set("webhook_delivered", status.delivered)
            object.set("webhook_waiting", (try? store.undelivered(to: WebhookDelivery.destination)) ?? 0)
            object.set("webhook_failures", status.failures)
        }
        let line = object.text
        do { try events.write(line: line) } catch { log("events: \(error)") }
        let kinds = Finding.Kind.allCases.compactMap { kind in byKind[kind].map { "\(kind.rawValue) \($0)" } }.joined(separator: ", ")
        let interfaces = counters.sorted { $0.key < $1.key }.map { name, tally in
            "\(name): " + tally.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        }
        log(
            "watch: \(reported.count) findings reported (\(newSinceStart) new since start)" + (kinds.isEmpty ? "" : ": \(kinds)")
                + interfaces.map { "; \($0)" }.joined())
    }

    // MARK: Index refresh

    /// Loads the index again when asked (SIGHUP) or when its file was replaced.
    private func checkIndex() {
        let identity = FileIdentity(indexPath)
        let replaced = identity != nil && identity != indexIdentity
        let asked = reload.requested.exchange(false, ordering: .relaxed)
        guard replaced || asked, !reload.loading.exchange(true, ordering: .acquiring) else { return }
        indexIdentity = identity
        let path = indexPath
        let scan = scan
        let log = log
        let reload = reload
        Thread {
            do {
                let index = try RegistryIndex(path: path)
                scan.refresh(to: index)
            } catch {
                log("index \(path): refused (\(error)); judging on with the index in use")
            }
            reload.loading.store(false, ordering: .releasing)
        }.start()
    }

    /// The key a finding is known by across runs: kind, independent domain, address.
    public static func key(_ finding: Finding) -> String {
        "\(finding.kind.rawValue)|\(finding.independentDomain ?? "")|\(finding.address ?? "")"
    }
}

/// A request to load the index again, made from any thread (a SIGHUP handler); the watch
/// takes it up within a second.
public final class IndexReload: Sendable {
    let requested = Atomic<Bool>(false)
    let loading = Atomic<Bool>(false)

    public func request() { requested.store(true, ordering: .relaxed) }
}
