public import BeianCore
public import BeianCrawler
public import BeianScan
import Foundation

/// The monthly ranking the ministry publishes (每月通报): access providers by the number of
/// unfiled sites found on the addresses they connect, most first.
public struct ProviderRanking: Sendable {
    public struct Entry: Sendable, Equatable {
        /// Nil for addresses with no access provider on file.
        public var provider: Finding.Unit?
        public var unfiledSites: Int
    }

    public var entries: [Entry]

    /// The `top` providers of `findings`' unfiled sites; ties by provider name, then ID.
    public init(_ findings: [Finding], top: Int = 10) {
        var counts: [Int64?: (unit: Finding.Unit?, count: Int)] = [:]
        for finding in findings where finding.kind == .unfiledSite {
            counts[finding.provider?.id, default: (finding.provider, 0)].count += 1
        }
        entries = counts.values.map { Entry(provider: $0.unit, unfiledSites: $0.count) }
            .sorted {
                $0.unfiledSites != $1.unfiledSites
                    ? $0.unfiledSites > $1.unfiledSites : ProviderRanking.label($0.provider) < ProviderRanking.label($1.provider)
            }
        entries = Array(entries.prefix(top))
    }

    /// `name (id)`, or what stands for no provider.
    public static func label(_ provider: Finding.Unit?) -> String {
        provider.map { "\($0.name ?? "?") (\($0.id))" } ?? "no access provider on file"
    }
}

/// What a scan found and read, counted: findings by kind and by province, the ranking of
/// access providers, the homepage audit, every input's report. A value with renderers (text
/// for people, JSON for programs), so that reports and the service reuse it.
public struct ScanSummary: Sendable {
    public var inputs: [InputReport]
    public var observations: Int
    public var proxied: Int
    public var findings: Int
    /// Counts by kind, in the kinds' order; kinds without findings left out.
    public var byKind: [(kind: Finding.Kind, count: Int)]
    /// Counts by province abbreviation (`unknown` when the address has none), sorted.
    public var byProvince: [(province: String, count: Int)]
    public var ranking: ProviderRanking
    public var homepages: HomepageAudit
    public var crawl: Crawler.Report?
    public var crawlFailure: String?
    public var interrupted: Bool
    public var seconds: Double

    public init(_ result: ScanResult) {
        inputs = result.inputs
        observations = result.observations
        proxied = result.proxied
        findings = result.findings.count
        var kinds: [Finding.Kind: Int] = [:]
        var provinces: [String: Int] = [:]
        for finding in result.findings {
            kinds[finding.kind, default: 0] += 1
            provinces[finding.province ?? "unknown", default: 0] += 1
        }
        byKind = Finding.Kind.allCases.compactMap { kind in kinds[kind].map { (kind, $0) } }
        byProvince = provinces.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        ranking = ProviderRanking(result.findings)
        homepages = result.homepages
        crawl = result.crawl
        crawlFailure = result.crawlFailure
        interrupted = result.interrupted
        seconds = result.seconds
    }

    /// The summary for people (what `beian scan` prints on standard error).
    public var text: String {
        var lines = [
            "scan: \(inputs.count) inputs, \(observations) observations (\(proxied) through proxies, not judged), \(findings) findings"
                + (interrupted ? " (interrupted)" : "")
        ]
        for (kind, count) in byKind { lines.append("  \(kind.rawValue) (\(kind.chineseName)): \(count)") }
        if !ranking.entries.isEmpty {
            lines.append("  unfiled sites by access provider (the monthly ranking):")
            for entry in ranking.entries { lines.append("    \(entry.unfiledSites)\t\(ProviderRanking.label(entry.provider))") }
        }
        if homepages.pages > 0 {
            lines.append(
                "  homepages: \(homepages.homepages) of \(homepages.pages) pages, \(homepages.judged) with a filing in force judged; "
                    + "\(homepages.certificates) bazs.cert read, \(homepages.certificateDisagreements) disagree with the filing")
            for line in homepages.certificateProblems { lines.append("    \(line)") }
        }
        if let crawl { lines.append("  " + CrawlSummary.line(crawl)) }
        if let crawlFailure { lines.append("  crawl failed: \(crawlFailure)") }
        if !inputs.isEmpty {
            lines.append("  inputs:")
            for input in inputs { lines.append("    " + InputSummary.line(input)) }
        }
        lines.append("  by province: " + byProvince.map { "\($0.province) \($0.count)" }.joined(separator: ", "))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The summary for programs.
    public var json: JSONValue {
        var object = JSONObject()
        object.set("observations", observations)
        object.set("proxied", proxied)
        object.set("findings", findings)
        object.set("interrupted", interrupted)
        object.set("seconds", seconds)
        object["by_kind"] = .object(JSONObject(Dictionary(uniqueKeysWithValues: byKind.map { ($0.kind.rawValue, JSONValue($0.count)) })))
        object["by_province"] = .object(JSONObject(Dictionary(uniqueKeysWithValues: byProvince.map { ($0.province, JSONValue($0.count)) })))
        object["ranking"] = .array(
            ranking.entries.map { entry in
                var item = JSONObject()
                item.set("provider_id", entry.provider?.id)
                item.set("provider", entry.provider?.name)
                item.set("unfiled_sites", entry.unfiledSites)
                return .object(item)
            })
        var audit = JSONObject()
        audit.set("pages", homepages.pages)
        audit.set("homepages", homepages.homepages)
        audit.set("judged", homepages.judged)
        audit.set("certificates", homepages.certificates)
        audit.set("certificate_disagreements", homepages.certificateDisagreements)
        object.set("homepages", object: audit)
        object["inputs"] = .array(inputs.map(InputSummary.json))
        return .object(object)
    }
}

/// Renders an input's report: one line for summaries, the counts and problems for
/// `beian extract`'s detailed statistics, JSON for programs.
public enum InputSummary {
    /// `capture.pcap: 1260000 packets (pcap capture), 410000 used, 430000 observations, 12 rejected, 0.53 s`
    public static func line(_ report: InputReport) -> String {
        var text = "\(report.input): \(report.read) \(report.unit) (\(report.format.map { "\($0) " } ?? "")\(report.source.rawValue))"
        text += ", \(report.used) used, \(report.observations) observations, \(report.rejected.total) rejected"
        if report.seconds > 0 { text += String(format: ", %.2f s", report.seconds) }
        if let failure = report.failure { text += "; failed: \(failure.reason)" }
        return text
    }

    /// The line, the counters, the rejections by reason and the first problems.
    public static func details(_ report: InputReport) -> String {
        var lines = [line(report)]
        if report.seconds > 0 && report.read > 0 {
            lines[0] += String(format: " (%.2f M %@/s)", Double(report.read) / report.seconds / 1e6, report.unit)
        }
        if !report.counters.isEmpty {
            lines.append("  counts: " + report.counters.map { "\($0.name) \($0.count)" }.joined(separator: ", "))
        }
        if !report.rejected.isEmpty {
            lines.append("  rejected: " + report.rejected.map { "\($0.name) \($0.count)" }.joined(separator: ", "))
        }
        for issue in report.issues { lines.append("  \(issue)") }
        if report.unlistedIssues > 0 { lines.append("  (\(report.unlistedIssues) more problems not listed)") }
        return lines.joined(separator: "\n")
    }

    public static func json(_ report: InputReport) -> JSONValue {
        var object = JSONObject()
        object.set("input", report.input)
        object.set("source", report.source.rawValue)
        object.set("format", report.format)
        object.set("unit", report.unit)
        object.set("read", report.read)
        object.set("used", report.used)
        object.set("observations", report.observations)
        object.set("bytes", report.bytes)
        object.set("seconds", report.seconds)
        object["counters"] = tally(report.counters)
        object["rejected"] = tally(report.rejected)
        object["issues"] = .array(report.issues.map { .string($0.description) })
        object.set("failure", report.failure?.description)
        return .object(object)
    }

    static func tally(_ tally: InputReport.Tally) -> JSONValue {
        .object(JSONObject(Dictionary(tally.map { ($0.name, $0.count) }, uniquingKeysWith: +).mapValues { JSONValue($0) }))
    }
}

/// Renders a crawl's report.
public enum CrawlSummary {
    public static func line(_ report: Crawler.Report, output: String? = nil) -> String {
        let rate = report.seconds > 0 ? Double(report.pages) / report.seconds : 0
        return "crawl: \(report.hosts) hosts, \(report.answered) answered, \(report.pages) pages, \(report.redirects) redirects, "
            + "\(report.certificates) bazs.cert, \(report.truncated) cut at the size limit; \(report.records) records, "
            + "\(report.bytes) bytes\(output.map { " to \($0)" } ?? "") in \(String(format: "%.1f", report.seconds)) s "
            + "(\(String(format: "%.0f", rate)) pages/s)"
    }

    /// The line and the hosts that gave no answer, by reason.
    public static func details(_ report: Crawler.Report, output: String? = nil) -> String {
        var lines = [line(report, output: output)]
        for (reason, count) in report.failures.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            lines.append("  no answer: \(count) hosts (\(reason))")
        }
        return lines.joined(separator: "\n")
    }
}
