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
            // The handling-status table is read from the code table by the handling report.
            let reader = path.hasSuffix("/Wbacl_dms") ? " (read by `beian report handling --codes`)" : ""
            lines.append("  not in the index: \(path) ×\(count)\(reader)")
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
        let files = reports.map { report -> JSONValue in
            var file: JSONObject = [
                "file": JSONValue(report.file),
                "format": JSONValue(report.format?.rawValue),
                "encoding": JSONValue(report.encoding?.rawValue),
                "counts": counts(report.counts),
                "issues": .array(report.issues.prefix(maxIssues).map(issue)),
                "issue_counts": .object(
                    JSONObject(Dictionary(uniqueKeysWithValues: report.issueCounts.map { ($0.key.rawValue, JSONValue($0.value)) }))),
                "skipped": .object(JSONObject(report.skipped.mapValues { JSONValue($0) })),
                "undecodable_bytes": JSONValue(report.undecodableBytes),
            ]
            if report.unknownKind.read > 0 {
                file["unknown_kind"] = ["read": JSONValue(report.unknownKind.read), "rejected": JSONValue(report.unknownKind.rejected)]
            }
            if let fatal = report.fatal { file["fatal"] = issue(fatal) }
            return .object(file)
        }
        var totals: [RecordKind: RecordCounts] = [:]
        for report in reports {
            for (kind, c) in report.counts { totals[kind, default: RecordCounts()] = totals[kind, default: RecordCounts()] + c }
        }
        let object: JSONValue = ["files": .array(files), "totals": counts(totals)]
        return object.text(pretty: true)
    }

    private static func counts(_ counts: [RecordKind: RecordCounts]) -> JSONValue {
        .object(
            JSONObject(
                Dictionary(
                    uniqueKeysWithValues: counts.map {
                        (
                            $0.key.rawValue,
                            [
                                "read": JSONValue($0.value.read), "accepted": JSONValue($0.value.accepted),
                                "rejected": JSONValue($0.value.rejected),
                            ]
                        )
                    })))
    }

    private static func issue(_ issue: RegistryIssue) -> JSONValue {
        var object: JSONObject = [
            "severity": JSONValue(issue.severity.rawValue), "file": JSONValue(issue.location.file), "reason": JSONValue(issue.reason),
        ]
        object.set("line", issue.location.line)
        object.set("element", issue.location.element)
        object["byte_offset"] = issue.location.byteOffset.map { JSONValue($0) }
        object.set("kind", issue.kind?.rawValue)
        object.set("field", issue.field)
        return .object(object)
    }
}
