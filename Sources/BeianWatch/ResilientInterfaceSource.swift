public import BeianCapture
public import BeianCore
public import BeianPackets
public import BeianScan
import Foundation

/// A live interface that is opened again when it fails — not there yet, gone down, taken
/// away — after a wait that doubles from 1 s to 60 s (back to 1 s after a minute of good
/// capture). Each failure is told once, with when the next try comes; the counts of every
/// attempt add up in the one report. Ends when cancelled, or when a limit of the settings
/// (packets, duration) is reached.
public final class ResilientInterfaceSource: ScanSource {
    public var name: String { interface }
    public var kind: InputReport.Source { .interface }
    public var size: Int64? { nil }
    public let interface: String
    private let settings: LiveCapture.Settings
    private let configuration: PacketDecoder.Configuration
    private let log: @Sendable (String) -> Void

    public init(
        interface: String, settings: LiveCapture.Settings, configuration: PacketDecoder.Configuration = .init(),
        log: @escaping @Sendable (String) -> Void
    ) {
        self.interface = interface
        self.settings = settings
        self.configuration = configuration
        self.log = log
    }

    public func read(into sink: any SourceSink, control: ScanControl) -> InputReport {
        var total = InputReport(input: interface, source: .interface, unit: "packets")
        total.format = "live"
        var wait = 1.0
        var attempts = 0
        while !control.isCancelled {
            attempts += 1
            let started = ContinuousClock.now
            let report = InterfaceSource(interface: interface, settings: settings, configuration: configuration).read(
                into: sink, control: control)
            add(report, to: &total)
            guard let failure = report.failure, !control.isCancelled else { break }
            if ContinuousClock.now - started >= .seconds(60) { wait = 1 }
            log("\(interface): \(failure.reason); trying again in \(Int(wait)) s")
            total.note(InputReport.Issue(file: interface, position: nil, message: failure.reason))
            let until = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
            while !control.isCancelled && ContinuousClock.now < until { Thread.sleep(forTimeInterval: 0.1) }
            wait = min(wait * 2, 60)
        }
        total.counters.set("capture attempts", attempts)
        return total
    }

    private func add(_ report: InputReport, to total: inout InputReport) {
        total.read += report.read
        total.used += report.used
        total.observations += report.observations
        total.seconds += report.seconds
        for (reason, count) in report.rejected { total.rejected.add(reason, count) }
        // libpcap's counters restart with each opening: they add up.
        for (name, count) in report.counters { total.counters.set(name, total.counters[name] + count) }
        for issue in report.issues { total.note(issue) }
    }
}
