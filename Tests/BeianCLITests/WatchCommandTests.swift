import BeianTestSupport
import Foundation
import Testing

/// `beian watch` as a process: killed with SIGKILL in the middle of a burst and started
/// again (no event lost or repeated), a damaged index offered on SIGHUP (refused, judging
/// goes on), a webhook that fails before it accepts (every event delivered, in order).
@Suite(.serialized) struct WatchCommandTests {
    let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")

    /// The sample's Zeek ssl.log: its header and its data lines.
    func sslLog() throws -> (header: String, lines: [String]) {
        let text = try String(contentsOf: sample.appendingPathComponent("logs/zeek/ssl.log"), encoding: .utf8)
        let all = text.split(separator: "\n").map(String.init)
        return (
            all.filter { $0.hasPrefix("#") && !$0.hasPrefix("#close") }.joined(separator: "\n") + "\n", all.filter { !$0.hasPrefix("#") }
        )
    }

    /// A `logs` folder in `directory` holding an `ssl.log` with the sample's header only.
    func followedLog(in directory: URL) throws -> (logs: URL, log: String, header: String, lines: [String]) {
        let logs = directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let log = logs.appendingPathComponent("ssl.log").path
        let (header, lines) = try sslLog()
        try Data(header.utf8).write(to: URL(fileURLWithPath: log))
        return (logs, log, header, lines)
    }

    func append(_ lines: ArraySlice<String>, to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
        try handle.close()
    }

    /// Starts `beian watch` with `arguments`; its standard error goes to `errors`.
    func start(_ arguments: [String], errors: URL) throws -> Process {
        let process = Process()
        process.executableURL = Tool.productsDirectory.appendingPathComponent("beian")
        process.arguments = ["watch"] + arguments
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func stop(_ process: Process, signal number: Int32 = SIGTERM) {
        kill(process.processIdentifier, number)
        process.waitUntilExit()
    }

    func events(_ path: String) throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    func key(_ finding: [String: Any]) -> String {
        "\(finding["kind"] as? String ?? "")|\(finding["independent_domain"] as? String ?? "")|\(finding["address"] as? String ?? "")"
    }

    /// The keys of the findings a batch scan of the same lines gives.
    func batchKeys(_ log: String, index: String) throws -> Set<String> {
        let scan = try Tool.run(
            "beian", ["scan", "--index", index, "--geoip", sample.appendingPathComponent("geo/country.mmdb").path, log])
        #expect(scan.status == 0, "\(scan.stderr)")
        return Set(
            scan.stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }.map(key))
    }

    func common(index: String, logs: URL, state: URL, events: String) -> [String] {
        [
            "--index", index, "--geoip", sample.appendingPathComponent("geo/country.mmdb").path, "--follow", logs.path, "--from-start",
            "--state", state.path, "--events", events, "--update-interval", "0", "--summary-interval", "3600",
        ]
    }

    /// SIGKILL in the middle of a burst, then a restart: every finding reported once, the
    /// event numbers rising without a gap or a repeat.
    @Test func killedInABurstAndStartedAgainLosesAndRepeatsNothing() throws {
        let directory = try Fixtures.temporaryDirectory()
        let (logs, log, header, lines) = try followedLog(in: directory)
        let index = try ScanCommandTests().index()
        let state = directory.appendingPathComponent("state")
        let events = directory.appendingPathComponent("events.jsonl").path
        let arguments = common(index: index, logs: logs, state: state, events: events)
        let errors = directory.appendingPathComponent("watch.err")

        // Three runs: the first two killed with SIGKILL at a random moment of their burst,
        // the last stopped when every line is in.
        var written = 0
        for round in 0..<3 {
            let watch = try start(arguments, errors: errors)
            Thread.sleep(forTimeInterval: 1)
            let end = round == 2 ? lines.count : min(lines.count, written + lines.count / 3)
            let killAt = written + Int.random(in: 1..<max(2, end - written))
            while written < end {
                let next = min(end, written + 15)
                try append(lines[written..<next], to: log)
                written = next
                Thread.sleep(forTimeInterval: 0.02)
                if round < 2 && written >= killAt {
                    stop(watch, signal: SIGKILL)
                    break
                }
            }
            if round < 2 {
                if watch.isRunning { stop(watch, signal: SIGKILL) }
                // What was appended while it was down comes with the next run.
                try append(lines[written..<end], to: log)
                written = end
            } else {
                Thread.sleep(forTimeInterval: 3)
                stop(watch)
                #expect(watch.terminationStatus == 0, "\((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
            }
        }

        let seen = try self.events(events)
        let numbers = seen.compactMap { $0["seq"] as? Int }
        #expect(numbers == Array(1...max(1, numbers.count)), "event numbers: \(numbers)")
        let new = seen.filter { $0["event"] as? String == "new" }.compactMap { $0["finding"] as? [String: Any] }.map(key)
        #expect(Set(new).count == new.count, "a finding reported twice")
        let whole = directory.appendingPathComponent("whole.log").path
        try Data((header + lines.map { $0 + "\n" }.joined()).utf8).write(to: URL(fileURLWithPath: whole))
        let batch = try batchKeys(whole, index: index)
        #expect(Set(new) == batch, "only watched: \(Set(new).subtracting(batch)); only batch: \(batch.subtracting(Set(new)))")
    }

    /// A damaged snapshot put in place of the index and announced with SIGHUP is refused;
    /// the watch goes on judging with the index it had.
    @Test func aDamagedIndexIsRefusedAndJudgingGoesOn() throws {
        let directory = try Fixtures.temporaryDirectory()
        let (logs, log, _, lines) = try followedLog(in: directory)
        let built = try ScanCommandTests().index()
        let index = directory.appendingPathComponent("live.beianidx").path
        try FileManager.default.copyItem(atPath: built, toPath: index)
        let events = directory.appendingPathComponent("events.jsonl").path
        let errors = directory.appendingPathComponent("watch.err")
        let watch = try start(
            common(index: index, logs: logs, state: directory.appendingPathComponent("state"), events: events), errors: errors)
        Thread.sleep(forTimeInterval: 1)
        // Cut in half, put in place atomically, announced.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: built))
        let damaged = index + ".new"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: damaged))
        #expect(rename(damaged, index) == 0)
        kill(watch.processIdentifier, SIGHUP)
        Thread.sleep(forTimeInterval: 2)
        try append(lines[0..<100], to: log)
        Thread.sleep(forTimeInterval: 2)
        stop(watch)
        let text = try String(contentsOf: errors, encoding: .utf8)
        #expect(watch.terminationStatus == 0, "\(text)")
        #expect(text.contains("refused"), "\(text)")
        #expect(try self.events(events).contains { $0["event"] as? String == "new" })
    }

    /// `--history`: a run recorded every interval and one at the stop, holding every finding
    /// the watch reported.
    @Test func aWatchRecordsItsRunsInTheHistory() throws {
        let directory = try Fixtures.temporaryDirectory()
        let (logs, log, _, lines) = try followedLog(in: directory)
        let index = try ScanCommandTests().index()
        let events = directory.appendingPathComponent("events.jsonl").path
        let history = directory.appendingPathComponent("history.sqlite").path
        let errors = directory.appendingPathComponent("watch.err")
        let watch = try start(
            common(index: index, logs: logs, state: directory.appendingPathComponent("state"), events: events) + [
                "--history", history, "--history-interval", "1",
            ], errors: errors)
        Thread.sleep(forTimeInterval: 1)
        try append(lines[0..<(lines.count / 2)], to: log)
        Thread.sleep(forTimeInterval: 2.5)
        try append(lines[(lines.count / 2)...], to: log)
        Thread.sleep(forTimeInterval: 2)
        stop(watch)
        let said = try String(contentsOf: errors, encoding: .utf8)
        #expect(watch.terminationStatus == 0, "\(said)")
        let reported = Set(
            try self.events(events).filter { $0["event"] as? String == "new" }.compactMap { $0["finding"] as? [String: Any] }.map(key))
        #expect(!reported.isEmpty)
        let runs = try Tool.run("beian", ["history", "list", "--history", history, "--json"])
        #expect(runs.stdout.split(separator: "\n").count >= 3, "\(said)")
        var recorded: Set<String> = []
        for line in runs.stdout.split(separator: "\n") {
            let run = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let shown = try Tool.run("beian", ["history", "show", "\(run["run"] as? Int ?? 0)", "--history", history, "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
            for finding in object["seen"] as? [[String: Any]] ?? [] { recorded.insert(key(finding)) }
        }
        #expect(recorded == reported)
        #expect(said.contains("history: run"))
    }

    /// A webhook that answers 503 twice, then takes everything: every event arrives, in
    /// order, none lost.
    @Test func aFailingWebhookGetsEveryEventOnceItAnswers() throws {
        let directory = try Fixtures.temporaryDirectory()
        let received = directory.appendingPathComponent("received.jsonl").path
        let portFile = directory.appendingPathComponent("port").path
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-c",
            """
            import http.server, sys
            failures = [2]
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    if failures[0] > 0:
                        failures[0] -= 1
                        self.send_response(503); self.end_headers(); return
                    with open(sys.argv[1], "ab") as out: out.write(body + b"\\n")
                    self.send_response(200); self.end_headers()
                def log_message(self, *args): pass
            server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
            open(sys.argv[2], "w").write(str(server.server_port))
            server.serve_forever()
            """,
            received, portFile,
        ]
        try server.run()
        defer { stop(server, signal: SIGKILL) }
        var port = ""
        for _ in 0..<50 where port.isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
        }
        #expect(!port.isEmpty)
        let (logs, log, _, lines) = try followedLog(in: directory)
        let events = directory.appendingPathComponent("events.jsonl").path
        let errors = directory.appendingPathComponent("watch.err")
        let watch = try start(
            common(index: try ScanCommandTests().index(), logs: logs, state: directory.appendingPathComponent("state"), events: events)
                + ["--webhook", "http://127.0.0.1:\(port)/events"], errors: errors)
        Thread.sleep(forTimeInterval: 1)
        try append(lines[...], to: log)
        Thread.sleep(forTimeInterval: 6)  // two failures: 1 s, then 2 s of backoff
        stop(watch)
        let written = try self.events(events).compactMap { $0["seq"] as? Int }
        let posted = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").flatMap { batch -> [Int] in
            let object = (try? JSONSerialization.jsonObject(with: Data(batch.utf8))) as? [String: Any]
            return (object?["events"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
        }
        #expect(!written.isEmpty)
        #expect(posted == written, "posted \(posted.count), written \(written.count)")
        let text = try String(contentsOf: errors, encoding: .utf8)
        #expect(text.contains("answered 503"), "\(text)")
    }
}
