import BeianCore
import BeianRegistry
import Foundation

/// Human-readable registry read reports.
enum RegistryReportText {
    static func render(_ report: FileReport, maxIssues: Int) -> String {
        var lines: [String] = []
        let format = report.format?.rawValue ?? "unknown format"
        let encoding = report.encoding?.rawValue ?? "-"
        lines.append("\(report.file): \(format), \(encoding)")
        lines.append(table(report.counts, unknown: report.unknownKind))
        let shown = report.issues.prefix(maxIssues)
        for issue in shown { lines.append("  \(issue)") }
        let total = report.issueCounts.values.reduce(0, +)
        if total > shown.count { lines.append("  … \(total - shown.count) more issue(s) not shown") }
        for (path, count) in report.skipped.sorted(by: { $0.key < $1.key }) {
            lines.append("  not used by beian: \(path) ×\(count)")
        }
        if report.undecodableBytes > 0 { lines.append("  undecodable bytes: \(report.undecodableBytes)") }
        return lines.joined(separator: "\n")
    }

    static func table(_ counts: [RecordKind: RecordCounts], unknown: RecordCounts) -> String {
        var rows = [("  kind", "read", "accepted", "rejected")]
        for kind in RecordKind.allCases {
            guard let c = counts[kind], c.read > 0 else { continue }
            rows.append(("  " + kind.rawValue, "\(c.read)", "\(c.accepted)", "\(c.rejected)"))
        }
        if unknown.read > 0 { rows.append(("  (unknown kind)", "\(unknown.read)", "0", "\(unknown.rejected)")) }
        let widths = (
            rows.map(\.0.count).max() ?? 0, rows.map(\.1.count).max() ?? 0, rows.map(\.2.count).max() ?? 0, rows.map(\.3.count).max() ?? 0
        )
        return rows.map { row in
            row.0.padding(toLength: widths.0, withPad: " ", startingAt: 0) + "  " + pad(row.1, widths.1) + "  " + pad(row.2, widths.2)
                + "  "
                + pad(row.3, widths.3)
        }.joined(separator: "\n")
    }

    static func totals(_ reports: [FileReport]) -> String {
        var counts: [RecordKind: RecordCounts] = [:]
        var unknown = RecordCounts()
        for report in reports {
            for (kind, c) in report.counts { counts[kind, default: RecordCounts()] = counts[kind, default: RecordCounts()] + c }
            unknown = unknown + report.unknownKind
        }
        let total = counts.values.reduce(unknown, +)
        return "total over \(reports.count) file(s): read \(total.read), accepted \(total.accepted), rejected \(total.rejected)\n"
            + table(counts, unknown: unknown)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

/// The registry read report as JSON (stable keys, documented in Datasets/README.md).
enum RegistryReportJSON {
    static func document(_ reports: [FileReport], maxIssues: Int) -> String {
        let files = reports.map { report -> [String: Any] in
            var file: [String: Any] = [
                "file": report.file,
                "format": report.format?.rawValue ?? NSNull(),
                "encoding": report.encoding?.rawValue ?? NSNull(),
                "counts": counts(report.counts),
                "issues": report.issues.prefix(maxIssues).map(issue),
                "issue_counts": Dictionary(uniqueKeysWithValues: report.issueCounts.map { ($0.key.rawValue, $0.value) }),
                "skipped": report.skipped,
                "undecodable_bytes": report.undecodableBytes,
            ]
            if report.unknownKind.read > 0 {
                file["unknown_kind"] = ["read": report.unknownKind.read, "rejected": report.unknownKind.rejected]
            }
            if let fatal = report.fatal { file["fatal"] = issue(fatal) }
            return file
        }
        var totals: [RecordKind: RecordCounts] = [:]
        for report in reports {
            for (kind, c) in report.counts { totals[kind, default: RecordCounts()] = totals[kind, default: RecordCounts()] + c }
        }
        let object: [String: Any] = ["files": files, "totals": counts(totals)]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func counts(_ counts: [RecordKind: RecordCounts]) -> [String: Any] {
        Dictionary(
            uniqueKeysWithValues: counts.map {
                ($0.key.rawValue, ["read": $0.value.read, "accepted": $0.value.accepted, "rejected": $0.value.rejected])
            })
    }

    private static func issue(_ issue: RegistryIssue) -> [String: Any] {
        var object: [String: Any] = ["severity": issue.severity.rawValue, "file": issue.location.file, "reason": issue.reason]
        if let line = issue.location.line { object["line"] = line }
        if let element = issue.location.element { object["element"] = element }
        if let offset = issue.location.byteOffset { object["byte_offset"] = offset }
        if let kind = issue.kind { object["kind"] = kind.rawValue }
        if let field = issue.field { object["field"] = field }
        return object
    }
}
