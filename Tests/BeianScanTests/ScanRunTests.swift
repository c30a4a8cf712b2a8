import BeianCapture
import BeianCore
import BeianIndex
import BeianLogs
import BeianScan
import BeianTestSupport
import Dispatch
import Foundation
import Synchronization
import Testing

/// The run engine with sources made here: events while it runs, a source that fails, one
/// that never ends until cancelled, and the same findings whatever the number of threads.
@Suite struct ScanRunTests {
    /// Observations handed over in the batches given; then, when `failure` is set, a
    /// failure; when `waitsForCancel`, no end until the control is cancelled.
    final class MemorySource: ScanSource {
        let name: String
        var kind: InputReport.Source { .log }
        var size: Int64? { nil }
        let batches: [[Observation]]
        let failure: InputError?
        let waitsForCancel: Bool

        init(_ name: String, _ batches: [[Observation]], failure: InputError? = nil, waitsForCancel: Bool = false) {
            self.name = name
            self.batches = batches
            self.failure = failure
            self.waitsForCancel = waitsForCancel
        }

        func read(into sink: any SourceSink, control: ScanControl) -> InputReport {
            var report = InputReport(input: name, source: .log, unit: "lines")
            for batch in batches where !control.isCancelled {
                sink.take(batch)
                report.read += batch.count
                report.observations += batch.count
            }
            while waitsForCancel && !control.isCancelled {
                sink.progress(SourceProgress(source: name, bytes: 0))
                usleep(5_000)
            }
            report.failure = failure
            return report
        }
    }

    func configuration() throws -> Scan.Configuration {
        Scan.Configuration(index: try RulesWorld.index())
    }

    @Test func findingsAreMadeThenUpdatedAndTheEventsAgreeWithTheAggregate() throws {
        let t = RulesWorld.march.secondsSince1970
        let batches = [
            [RulesWorld.seen("a.unfiled.cn", at: "60.1.1.99", packet: 1), RulesWorld.seen("filed-a.cn", at: "60.1.1.11", packet: 2)],
            [RulesWorld.seen("b.unfiled.cn", at: "60.1.1.99", time: Timestamp(secondsSince1970: t + 5), packet: 3)],
            [RulesWorld.seen("filed-a.cn", at: "60.1.1.10", packet: 4)],
            [RulesWorld.seen("b.unfiled.cn", at: "60.1.1.99", time: Timestamp(secondsSince1970: t + 9), packet: 5)],
        ]
        var events: [Scan.FindingEvent] = []
        let result = Scan(try configuration()).run(
            [MemorySource("memory", batches)], observer: Scan.Observer(finding: { events.append($0) }))
        #expect(result.findings.count == 2)
        // Each finding made once, as soon as its batch is judged; its updates coalesced until the
        // end of the input (a watch's tick).
        let made = events.compactMap { if case .made(let f) = $0 { f } else { nil } }
        #expect(made.map(\.kind).sorted() == [.unfiledSite, .accessUnderReported].sorted())
        let updates = events.compactMap { if case .updated(let f) = $0 { f } else { nil } }
        #expect(updates.map(\.kind) == [.unfiledSite])
        #expect(updates.map(\.count) == [3])
        // The last state events gave of each finding is the aggregate's.
        var last: [String: Finding] = [:]
        for event in events { last["\(event.finding.kind) \(event.finding.address ?? "")"] = event.finding }
        for finding in result.findings { #expect(last["\(finding.kind) \(finding.address ?? "")"] == finding) }
        #expect(result.observations == 5 && !result.interrupted && !result.failed)
    }

    @Test func aFailingSourceIsReportedAndTheNextIsRead() throws {
        let broken = MemorySource(
            "broken", [[RulesWorld.seen("www.unfiled.cn", at: "60.1.1.99")]],
            failure: InputError(.readFailed, file: "broken", offset: 10, "disk error"))
        let next = MemorySource("next", [[RulesWorld.seen("www.other-unfiled.cn", at: "60.1.1.98")]])
        let result = Scan(try configuration()).run([broken, next])
        #expect(result.failed)
        #expect(result.inputs.map(\.input) == ["broken", "next"])
        #expect(result.inputs[0].failure?.code == .readFailed)
        // What the failing source read before it failed is judged too.
        #expect(result.findings.of(.unfiledSite).count == 2)
    }

    @Test func cancellingStopsASourceThatWouldNeverEnd() throws {
        let quiet = MemorySource("quiet", [[RulesWorld.seen("www.unfiled.cn", at: "60.1.1.99")]], waitsForCancel: true)
        let after = MemorySource("never read", [[RulesWorld.seen("www.other-unfiled.cn", at: "60.1.1.98")]])
        let control = ScanControl()
        // The index is made first: the cancel is timed from the start of the run.
        let scan = Scan(try configuration())
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { control.cancel() }
        let started = ContinuousClock.now
        let result = scan.run([quiet, after], control: control)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(result.interrupted)
        #expect(result.inputs.map(\.input) == ["quiet"])
        #expect(result.findings.count == 1)
    }

    @Test func theControlCallsItsHandlersOnceAndAtOnceWhenAlreadyCancelled() {
        let control = ScanControl()
        let calls = Atomic<Int>(0)
        let token = control.whenCancelled { calls.add(1, ordering: .relaxed) }
        let removed = control.whenCancelled { calls.add(100, ordering: .relaxed) }
        control.remove(removed)
        control.cancel()
        control.cancel()
        #expect(calls.load(ordering: .relaxed) == 1)
        _ = control.whenCancelled { calls.add(10, ordering: .relaxed) }
        #expect(calls.load(ordering: .relaxed) == 11)
        control.remove(token)
    }

    /// The sample's captures and crawl judged on 1 and 3 threads: the same findings.
    @Test func theSameFindingsOnOneAndThreeThreads() throws {
        let sample = Fixtures.packageRoot.appendingPathComponent("Datasets/sample")
        let inputs = ["traffic/access-link.pcap", "traffic/mobile-core.pcapng", "homepages/homepages.warc.gz", "logs/zeek/dns.log"].map {
            sample.appendingPathComponent($0).path
        }
        var configuration = Scan.Configuration(index: try RegistryIndex(path: JudgeTests.path))
        configuration.rules.coverage = try String(contentsOf: sample.appendingPathComponent("truth/coverage.txt"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { try IPRange.parse(String($0)) }
        let one = Scan(configuration).run(SourceFactory(threads: 1).sources(for: inputs))
        let three = Scan(configuration).run(SourceFactory(threads: 3).sources(for: inputs))
        #expect(one.findings.count > 100)
        #expect(one.findings == three.findings)
        #expect(one.inputs.map(\.read) == three.inputs.map(\.read))
        #expect(Set(one.findings.map(\.kind)).count >= 10)
    }

    /// A live source on an interface that carries nothing stops at its duration.
    @Test func aQuietInterfaceStopsOnTime() throws {
        var settings = LiveCapture.Settings()
        settings.duration = 0.5
        settings.filter = "ether proto 0x88b6"  // an IEEE local experimental ethertype: nothing sends it
        let source = InterfaceSource(interface: "lo", settings: settings)
        let started = ContinuousClock.now
        let result = Scan(try configuration()).run([source])
        let elapsed = ContinuousClock.now - started
        #expect(result.inputs.first?.failure == nil, "\(String(describing: result.inputs.first?.failure))")
        #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(3), "\(elapsed)")
        #expect(result.inputs.first?.counters["libpcap received"] == 0)
    }

    /// Cancelled from another thread, a live source stops within a tick.
    @Test func aQuietInterfaceStopsWhenCancelled() throws {
        let source = InterfaceSource(interface: "lo", settings: LiveCapture.Settings())
        let control = ScanControl()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { control.cancel() }
        let started = ContinuousClock.now
        let result = Scan(try configuration()).run([source], control: control)
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(result.interrupted && result.inputs.first?.failure == nil)
    }
}

/// `Scan.watch`: sources at once, each on its own thread; followed logs with their
/// positions; a new index taking over between batches.
@Suite struct WatchRunTests {
    @Test func sourcesRunAtOnceUntilCancelled() throws {
        let quiet = ScanRunTests.MemorySource(
            "quiet", [[RulesWorld.seen("www.unfiled.cn", at: "60.1.1.99")]], waitsForCancel: true)
        let other = ScanRunTests.MemorySource(
            "other", [[RulesWorld.seen("www.other-unfiled.cn", at: "60.1.1.98")]], waitsForCancel: true)
        let control = ScanControl()
        let made = Mutex<[String]>([])
        var ticks = 0
        let scan = Scan(Scan.Configuration(index: try RulesWorld.index()))
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(400)) { control.cancel() }
        let result = scan.watch(
            [quiet, other], control: control,
            observer: Scan.Observer(
                finding: { event in if case .made(let finding) = event { made.withLock { $0.append(finding.host ?? "") } } },
                tick: { ticks += 1 }))
        #expect(Set(made.withLock { $0 }) == ["www.unfiled.cn", "www.other-unfiled.cn"])
        #expect(result.inputs.count == 2 && result.interrupted)
        #expect(ticks >= 2)
    }

    /// Lines appended to a followed Zeek log while the watch runs become findings within a
    /// poll, each followed by the file's position.
    @Test func followedLogsAreJudgedAsTheyGrow() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("http.log").path
        let header = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\n"
        try Data(header.utf8).write(to: URL(fileURLWithPath: path))
        let source = FollowedLogsSource(paths: [path], start: .end, pollInterval: .milliseconds(20))
        let scan = Scan(Scan.Configuration(index: try RulesWorld.index()))
        let control = ScanControl()
        let events = Mutex<[(ContinuousClock.Instant, String)]>([])
        let positions = Mutex<[LogFollower.Position]>([])
        let written = Mutex<ContinuousClock.Instant?>(nil)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) {
            let line = "1772337600.5\tC1\t10.0.0.5\t5353\t60.1.1.99\t80\tGET\twww.unfiled.cn\t/\n"
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data(line.utf8))
                handle.closeFile()
            }
            written.withLock { $0 = .now }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(800)) { control.cancel() }
        let result = scan.watch(
            [source], control: control,
            observer: Scan.Observer(
                finding: { event in events.withLock { $0.append((.now, event.finding.host ?? "")) } },
                checkpoint: { position in positions.withLock { $0.append(position) } }))
        let seen = events.withLock { $0 }
        #expect(seen.map(\.1) == ["www.unfiled.cn"])
        if let at = seen.first?.0, let wrote = written.withLock({ $0 }) { #expect(at - wrote < .milliseconds(500)) }
        #expect(positions.withLock { $0 }.last?.line == 3)
        #expect(result.findings.count == 1 && result.inputs.first?.read == 1)
    }

    /// A new index takes over between batches; what the old one found stays.
    @Test func aNewIndexTakesOverBetweenBatches() throws {
        let first = try RulesWorld.index()
        let second = try RulesWorld.index()
        let source = ScanRunTests.MemorySource(
            "memory", [[RulesWorld.seen("www.unfiled.cn", at: "60.1.1.99")]], waitsForCancel: true)
        let control = ScanControl()
        let scan = Scan(Scan.Configuration(index: first))
        let refreshed = Mutex(0)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(150)) { scan.refresh(to: second) }
        // Stopped once the refresh was taken (a busy machine may take long), or after 20 s.
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(20)) { control.cancel() }
        let result = scan.watch(
            [source], control: control,
            observer: Scan.Observer(refresh: { _ in
                refreshed.withLock { $0 += 1 }
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { control.cancel() }
            }))
        #expect(refreshed.withLock { $0 } == 1)
        #expect(result.findings.of(.unfiledSite).count == 1)
    }
}
