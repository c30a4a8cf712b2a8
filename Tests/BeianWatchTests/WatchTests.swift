import BeianCore
import BeianGeo
import BeianHistory
import BeianIndex
import BeianLogs
import BeianScan
import BeianTestSupport
import BeianWatch
import Dispatch
import Foundation
import Synchronization
import Testing

/// The watch's store, its events file, and whole watches over followed logs: bursts,
/// rotations and restarts, every finding reported exactly once.
@Suite(.serialized) struct WatchTests {
    static let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")
    /// The sample registry's index, built once.
    static let indexPath: String = (try? buildIndex(sampleRegistry()).path) ?? ""

    // MARK: The store

    @Test func theStoreKeepsWhatWasCommittedAndRefusesANewerSchema() throws {
        let directory = try Fixtures.temporaryDirectory().path
        do {
            let store = try WatchStore(directory: directory)
            var commit = WatchStore.Commit()
            commit.reported = [
                WatchStore.Reported(
                    key: "unfiled-site|a.cn|1.2.3.4", kind: "unfiled-site", firstSeen: 10, lastSeen: 20, count: 3, reportedAt: 30,
                    lastEvent: 1, lastEventAt: 30)
            ]
            commit.events = [WatchStore.Event(sequence: 1, line: "{\"seq\":1}"), WatchStore.Event(sequence: 2, line: "{\"seq\":2}")]
            commit.positions = [WatchStore.Position(path: "/x/http.log", device: 1, inode: 2, offset: 300, line: 12, witness: 5)]
            try store.commit(commit)
            try store.markDelivered(to: "events", upTo: 1, destinations: ["events", "webhook"])
        }
        let store = try WatchStore(directory: directory)
        #expect(try store.reported()["unfiled-site|a.cn|1.2.3.4"]?.count == 3)
        #expect(try store.positions() == [WatchStore.Position(path: "/x/http.log", device: 1, inode: 2, offset: 300, line: 12, witness: 5)])
        #expect(try store.lastSequence() == 2)
        #expect(try store.events(after: try store.delivered(to: "events")).map(\.sequence) == [2])
        // The webhook has not taken event 1: it stays until it has.
        #expect(try store.events(after: 0).map(\.sequence) == [1, 2])
        try store.markDelivered(to: "webhook", upTo: 2, destinations: ["events", "webhook"])
        try store.markDelivered(to: "events", upTo: 2, destinations: ["events", "webhook"])
        #expect(try store.events(after: 0).isEmpty)
        #expect(try store.lastSequence() == 2)

        // A migration this version does not know: written by a newer beian.
        let database = (directory as NSString).appendingPathComponent("state.sqlite")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [database, "INSERT INTO grdb_migrations (identifier) VALUES ('watch-v99')"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        #expect(throws: WatchStore.StoreError.self) { _ = try WatchStore(directory: directory) }
    }

    @Test func theEventsFileTellsItsLastEventAndRotatesByDay() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("events.jsonl").path
        // Yesterday's file: rotated away on opening.
        try Data("{\"seq\":7,\"event\":\"new\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        let yesterday = Date(timeIntervalSinceNow: -86_400)
        try FileManager.default.setAttributes([.modificationDate: yesterday], ofItemAtPath: path)
        let log = try EventLog(destination: .file(path))
        #expect(log.lastWritten() == 7)
        try log.write([WatchStore.Event(sequence: 8, line: "{\"seq\":8,\"event\":\"new\"}")])
        try log.write(line: "{\"event\":\"summary\"}")
        #expect(log.lastWritten() == 8)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names.count == 2 && names.contains("events.jsonl"))
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("{\"seq\":8,"))
    }

    /// A watch killed in the middle of writing an event leaves a line without its newline:
    /// that event is not counted as written and the next line does not join the fragment.
    @Test func aTornLastEventIsCutOffAndWrittenAgain() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("events.jsonl").path
        try Data("{\"seq\":1,\"event\":\"new\"}\n{\"seq\":2,\"ev".utf8).write(to: URL(fileURLWithPath: path))
        let log = try EventLog(destination: .file(path))
        #expect(log.lastWritten() == 1)
        try log.write([WatchStore.Event(sequence: 2, line: "{\"seq\":2,\"event\":\"new\"}")])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines == ["{\"seq\":1,\"event\":\"new\"}", "{\"seq\":2,\"event\":\"new\"}"])
        // A fragment alone in the file goes too.
        try Data("{\"seq\":3".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try EventLog(destination: .file(path)).lastWritten() == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
    }

    /// `--events /dev/null`: written as it comes, never read back, rotated, flushed or
    /// replaced by a file.
    @Test func eventsToADeviceAreWrittenInPlace() throws {
        let log = try EventLog(destination: .file("/dev/null"))
        #expect(log.lastWritten() == 0)
        try log.write([WatchStore.Event(sequence: 1, line: "{\"seq\":1,\"event\":\"new\"}")])
        try log.write(line: "{\"event\":\"summary\"}")
        #expect(try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType == .typeCharacterSpecial)
    }

    // MARK: Whole watches over followed logs

    /// A Zeek log grown in bursts from the sample's: the header, then its lines in pieces.
    struct GrowingLog {
        let path: String
        let lines: [String]
        let header: [String]

        init(in directory: URL) throws {
            let text = try String(contentsOf: WatchTests.sample.appendingPathComponent("logs/zeek/ssl.log"), encoding: .utf8)
            let all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
            header = all.filter { $0.hasPrefix("#") && !$0.hasPrefix("#close") }
            lines = all.filter { !$0.hasPrefix("#") }
            path = directory.appendingPathComponent("ssl.log").path
            try Data((header.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        }

        func append(_ range: Range<Int>, to file: String? = nil) throws {
            let handle = try #require(FileHandle(forWritingAtPath: file ?? path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(lines[range].map { $0 + "\n" }.joined().utf8))
            try handle.close()
        }
    }

    /// Runs a watch over `directory` while `feed` appends to it, then stops; returns the
    /// events file's lines.
    func watch(_ directory: URL, state: String, events: String, feed: @escaping @Sendable () throws -> Void) throws {
        var configuration = Scan.Configuration(index: try RegistryIndex(path: Self.indexPath))
        configuration.geo = try GeoDatabase(path: Self.sample.appendingPathComponent("geo/country.mmdb").path)
        let store = try WatchStore(directory: state)
        var settings = Watcher.Settings()
        settings.updateInterval = .seconds(0)
        settings.start = .beginning
        let watcher = try Watcher(
            configuration: configuration, indexPath: Self.indexPath, store: store, events: try EventLog(destination: .file(events)),
            webhook: nil, settings: settings, log: { _ in })
        let control = ScanControl()
        let failure = Mutex<String?>(nil)
        DispatchQueue.global().async {
            do { try feed() } catch { failure.withLock { $0 = "\(error)" } }
            Thread.sleep(forTimeInterval: 1.5)
            control.cancel()
        }
        _ = try watcher.run(interfaces: [], follow: [directory.path], control: control)
        #expect(failure.withLock { $0 } == nil)
    }

    /// The keys of the findings a batch scan of `lines` gives.
    func batchKeys(_ log: GrowingLog, _ range: Range<Int>) throws -> Set<String> {
        let directory = try Fixtures.temporaryDirectory()
        let file = directory.appendingPathComponent("ssl.log").path
        try Data(((log.header + Array(log.lines[range])).joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        var configuration = Scan.Configuration(index: try RegistryIndex(path: Self.indexPath))
        configuration.geo = try GeoDatabase(path: Self.sample.appendingPathComponent("geo/country.mmdb").path)
        let result = Scan(configuration).run([LogFileSource(path: file)])
        return Set(result.findings.map(Watcher.key))
    }

    func read(_ events: String) throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: events, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    func key(_ event: [String: Any]) -> String {
        let finding = event["finding"] as? [String: Any] ?? [:]
        return
            "\(finding["kind"] as? String ?? "")|\(finding["independent_domain"] as? String ?? "")|\(finding["address"] as? String ?? "")"
    }

    /// Bursts, a rotation by rename, a restart in the middle, a rotation by truncation, another
    /// restart: every finding the lines call for is reported once, numbers strictly rise.
    @Test func everyFindingIsReportedExactlyOnceAcrossRotationsAndRestarts() throws {
        let base = try Fixtures.temporaryDirectory()
        let logs = base.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let state = base.appendingPathComponent("state").path
        let events = base.appendingPathComponent("events.jsonl").path
        let log = try GrowingLog(in: logs)
        let count = log.lines.count
        let third = count / 3
        // First run: two bursts, then a rotation by rename (the old file gets a few more lines).
        try watch(logs, state: state, events: events) {
            try log.append(0..<(third / 2))
            Thread.sleep(forTimeInterval: 0.3)
            try log.append((third / 2)..<third)
            Thread.sleep(forTimeInterval: 0.3)
        }
        let afterFirst = try read(events).filter { $0["event"] as? String == "new" }.map(key)
        let batchFirst = try batchKeys(log, 0..<third)
        #expect(Set(afterFirst) == batchFirst, "phase 1 missing \(batchFirst.subtracting(Set(afterFirst)).count)")
        // While stopped: lines appended, the file renamed away (compressed copies are skipped),
        // and a new one started.
        try log.append(third..<(third + 10))
        let rotated = logs.appendingPathComponent("ssl.log.1").path
        #expect(rename(log.path, rotated) == 0)
        try Data((log.header.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: log.path))
        // Second run: the rotated file finished, the new one read from its start.
        try watch(logs, state: state, events: events) {
            try log.append((third + 10)..<(2 * third))
            Thread.sleep(forTimeInterval: 1.2)
        }
        let afterSecond = try read(events).filter { $0["event"] as? String == "new" }.map(key)
        let batchSecond = try batchKeys(log, 0..<(2 * third))
        #expect(Set(afterSecond) == batchSecond, "phase 2 missing \(batchSecond.subtracting(Set(afterSecond)).count)")
        // Third run: rotation by truncation in the middle of it.
        try watch(logs, state: state, events: events) {
            let handle = try #require(FileHandle(forWritingAtPath: log.path))
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data((log.header.joined(separator: "\n") + "\n").utf8))
            try handle.close()
            try log.append((2 * third)..<count)
        }
        let lines = try read(events)
        let numbered = lines.compactMap { $0["seq"] as? Int }
        #expect(numbered == Array(numbered.sorted()) && Set(numbered).count == numbered.count)
        let new = lines.filter { $0["event"] as? String == "new" }.map(key)
        #expect(Set(new).count == new.count, "a finding reported twice")
        let batch = try batchKeys(log, 0..<count)
        #expect(Set(new) == batch, "only watched: \(Set(new).subtracting(batch)); only batch: \(batch.subtracting(Set(new)))")
        #expect(new.count > 20)
    }
}
