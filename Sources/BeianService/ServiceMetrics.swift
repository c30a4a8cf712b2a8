import BeianCore
import BeianIndex
import Prometheus
import Synchronization

/// What `GET /metrics` shows, in the Prometheus text format (docs/service.md): requests and
/// their latency by route, method and status; lines answered by `POST /v1/check`; the index
/// in use (age, build time, counts) and its reloads.
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    private struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private let byRequest = Mutex<[Key: (count: Counter, latency: DurationHistogram)]>([:])
    private let checkLines: Counter
    private let checkErrors: Counter
    private let reloadsTaken: Counter
    private let reloadsRefused: Counter
    private let indexBuilt: Gauge
    private let indexLoaded: Gauge
    private let indexAge: Gauge
    private let sites: Gauge
    private let units: Gauge
    private let ipRecords: Gauge

    /// Latency buckets: 50 µs to 10 s.
    static let buckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
    ]

    init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "beian", metricName: metric, unitName: unit, helpText: help)
        }
        checkLines = registry.makeCounter(descriptor: name("check_lines", "total", "Lines answered by POST /v1/check."))
        checkErrors = registry.makeCounter(
            descriptor: name("check_line_errors", "total", "Lines of POST /v1/check answered with an error (bad host or address)."))
        let reloads = name("index_reloads", "total", "Snapshots loaded again (taken) or refused, since start.")
        reloadsTaken = registry.makeCounter(descriptor: reloads, labels: [("outcome", "taken")])
        reloadsRefused = registry.makeCounter(descriptor: reloads, labels: [("outcome", "refused")])
        indexBuilt = registry.makeGauge(descriptor: name("index_build_time", "seconds", "When the index in use was built (Unix time)."))
        indexLoaded = registry.makeGauge(descriptor: name("index_load_time", "seconds", "When the index in use was loaded (Unix time)."))
        indexAge = registry.makeGauge(descriptor: name("index_age", "seconds", "Seconds since the index in use was built."))
        let records = name("index_records", "", "Records of the index in use, by kind.")
        sites = registry.makeGauge(descriptor: records, labels: [("kind", "sites")])
        units = registry.makeGauge(descriptor: records, labels: [("kind", "units")])
        ipRecords = registry.makeGauge(descriptor: records, labels: [("kind", "ip_records")])
    }

    /// One request answered.
    func request(route: String, method: String, status: Int, duration: Duration) {
        let key = Key(route: route, method: method, status: status)
        let metrics = byRequest.withLock { cache in
            if let found = cache[key] { return found }
            let labels = [("route", route), ("method", method), ("status", String(status))]
            let made = (
                registry.makeCounter(
                    descriptor: MetricNameDescriptor(
                        namespace: "beian", metricName: "http_requests", unitName: "total", helpText: "Requests answered."),
                    labels: labels),
                registry.makeDurationHistogram(
                    descriptor: MetricNameDescriptor(
                        namespace: "beian", metricName: "http_request_duration", unitName: "seconds",
                        helpText:
                            "Time to answer: until the response is handed to the connection (a batch: until its last line is written)."),
                    labels: labels, buckets: Self.buckets)
            )
            cache[key] = made
            return made
        }
        metrics.count.increment()
        metrics.latency.record(duration)
    }

    func checked(lines: Int, errors: Int) {
        checkLines.increment(by: Int64(lines))
        if errors > 0 { checkErrors.increment(by: Int64(errors)) }
    }

    func reload(_ outcome: IndexHolder.Outcome) {
        switch outcome {
        case .took: reloadsTaken.increment()
        case .refused: reloadsRefused.increment()
        case .unchanged, .busy: break
        }
    }

    /// The text for a scrape, with the index's gauges as they are now.
    func exposition(of loaded: IndexHolder.Loaded) -> [UInt8] {
        let now = Timestamp.now.secondsSince1970
        indexBuilt.set(to: Double(loaded.index.buildTime.secondsSince1970))
        indexLoaded.set(to: Double(loaded.loadedAt.secondsSince1970))
        indexAge.set(to: Double(now - loaded.index.buildTime.secondsSince1970))
        sites.set(to: Double(loaded.index.siteCount))
        units.set(to: Double(loaded.index.unitCount))
        ipRecords.set(to: Double(loaded.index.ipRecordCount))
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }
}
