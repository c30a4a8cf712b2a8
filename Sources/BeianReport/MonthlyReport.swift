public import BeianCore
public import BeianHistory
import Foundation

/// The monthly report the 2013 special action asks the national centre for, from a findings
/// history: the **ten access providers with the most unfiled sites** seen in the month, and a
/// **statistics table by province** — unfiled sites found, of them new this month, resolved
/// this month, and the other findings by kind. An unfiled site is an independent domain (or a
/// host when it has none) with an `unfiled-site` finding: one site on two addresses counts
/// once. Months are China time.
public struct MonthlyReport: Sendable {
    public struct Ranked: Sendable, Equatable {
        public var providerID: Int64?
        public var providerName: String?
        /// Unfiled sites seen in the month; of them first seen in the month.
        public var unfiledSites: Int
        public var newSites: Int
    }

    public struct ProvinceRow: Sendable, Equatable {
        /// The province's abbreviation (`浙`), or `unknown`.
        public var province: String
        /// Sites checked in the month: each run's distinct independent domains served from
        /// the province's addresses, summed over the month's runs.
        public var sitesChecked: Int
        public var unfiledSites: Int
        public var newSites: Int
        /// Unfiled sites resolved by a run of the month (no longer served where looked for).
        public var resolvedSites: Int
        /// Unfiled sites of the month with a handling result recorded.
        public var handledSites: Int
        /// Findings of the month by kind (every kind, unfiled sites included), kinds in order.
        public var byKind: [(kind: String, count: Int)]

        public static func == (lhs: ProvinceRow, rhs: ProvinceRow) -> Bool {
            lhs.province == rhs.province && lhs.sitesChecked == rhs.sitesChecked && lhs.handledSites == rhs.handledSites
                && lhs.unfiledSites == rhs.unfiledSites && lhs.newSites == rhs.newSites
                && lhs.resolvedSites == rhs.resolvedSites && lhs.byKind.map(\.kind) == rhs.byKind.map(\.kind)
                && lhs.byKind.map(\.count) == rhs.byKind.map(\.count)
        }
    }

    /// `YYYY-MM`, and its bounds (seconds since 1970, China time).
    public let month: String
    public let start: Int64
    public let end: Int64
    public let runs: [FindingsHistory.Run]
    public let ranking: [Ranked]
    public let provinces: [ProvinceRow]

    public struct MonthError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The report of `month` (`2026-03`) from `history`.
    public init(month: String, history: FindingsHistory, top: Int = 10) throws {
        let parts = month.split(separator: "-")
        guard parts.count == 2, let year = Int(parts[0]), let number = Int(parts[1]), (1...12).contains(number),
            (1970...9999).contains(year)
        else { throw MonthError(description: "\(month): not a month (YYYY-MM)") }
        let next = number == 12 ? (year + 1, 1) : (year, number + 1)
        let first = try Timestamp.parse(String(format: "%04d-%02d-01", year, number))
        let after = try Timestamp.parse(String(format: "%04d-%02d-01", next.0, next.1))
        self.month = String(format: "%04d-%02d", year, number)
        start = first.secondsSince1970
        end = after.secondsSince1970
        runs = try history.runs(from: start, to: end)
        let seen = try history.entries(seenFrom: start, to: end)
        let resolved = try history.entries(resolvedFrom: start, to: end)
        let handled = Set(try history.handlingResults().map(\.domain))
        var checked: [String: Int] = [:]
        for run in runs { checked.merge(run.sitesChecked, uniquingKeysWith: +) }
        (ranking, provinces) = Self.tables(
            seen: seen, resolved: resolved, handled: handled, checked: checked, start: start, end: end, top: top)
    }

    static func site(_ entry: FindingsHistory.Entry) -> String { entry.independentDomain ?? entry.host ?? entry.key }

    static func tables(
        seen: [FindingsHistory.Entry], resolved: [FindingsHistory.Entry], handled: Set<String>, checked: [String: Int], start: Int64,
        end: Int64, top: Int
    ) -> ([Ranked], [ProvinceRow]) {
        func isNew(_ entry: FindingsHistory.Entry) -> Bool { entry.firstSeen.map { $0 >= start && $0 < end } ?? false }
        let unfiled = seen.filter { $0.kind == Finding.Kind.unfiledSite.rawValue }

        // The ranking: distinct sites per provider.
        var byProvider: [Int64?: (name: String?, sites: Set<String>, new: Set<String>)] = [:]
        for entry in unfiled {
            var row = byProvider[entry.providerID, default: (entry.providerName, [], [])]
            row.sites.insert(site(entry))
            if isNew(entry) { row.new.insert(site(entry)) }
            byProvider[entry.providerID] = row
        }
        let ranking = byProvider.map {
            Ranked(providerID: $0.key, providerName: $0.value.name, unfiledSites: $0.value.sites.count, newSites: $0.value.new.count)
        }
        .sorted {
            $0.unfiledSites != $1.unfiledSites
                ? $0.unfiledSites > $1.unfiledSites
                : ($0.providerName ?? "", $0.providerID ?? -1) < ($1.providerName ?? "", $1.providerID ?? -1)
        }

        // The statistics: by province.
        typealias Tally = (sites: Set<String>, new: Set<String>, resolved: Set<String>, handled: Set<String>, kinds: [String: Int])
        var rows: [String: Tally] = [:]
        for province in checked.keys { rows[province] = ([], [], [], [], [:]) }
        for entry in seen {
            let province = entry.province ?? "unknown"
            var row = rows[province, default: ([], [], [], [], [:])]
            row.kinds[entry.kind, default: 0] += 1
            if entry.kind == Finding.Kind.unfiledSite.rawValue {
                row.sites.insert(site(entry))
                if isNew(entry) { row.new.insert(site(entry)) }
                if handled.contains(site(entry)) { row.handled.insert(site(entry)) }
            }
            rows[province] = row
        }
        for entry in resolved where entry.kind == Finding.Kind.unfiledSite.rawValue {
            rows[entry.province ?? "unknown", default: ([], [], [], [], [:])].resolved.insert(site(entry))
        }
        let order = Finding.Kind.allCases.map(\.rawValue)
        let provinces = rows.map { province, row in
            ProvinceRow(
                province: province, sitesChecked: checked[province] ?? 0, unfiledSites: row.sites.count, newSites: row.new.count,
                resolvedSites: row.resolved.count, handledSites: row.handled.count,
                byKind: order.compactMap { kind in row.kinds[kind].map { (kind, $0) } })
        }.sorted { $0.unfiledSites != $1.unfiledSites ? $0.unfiledSites > $1.unfiledSites : $0.province < $1.province }
        return (Array(ranking.prefix(top)), provinces)
    }

    // MARK: Renderings

    public var json: JSONObject {
        var object = JSONObject()
        object.set("month", month)
        object.set("from", Timestamp(secondsSince1970: start).text(.china))
        object.set("to", Timestamp(secondsSince1970: end).text(.china))
        object.set(
            "runs",
            array: runs.map { run in
                var item = JSONObject()
                item.set("run", run.id)
                item.set("findings", run.findings)
                item.set("inputs", run.inputs.count)
                return item
            })
        object.set(
            "ranking",
            array: ranking.enumerated().map { place, entry in
                var item = JSONObject()
                item.set("place", place + 1)
                item.set("provider_id", entry.providerID)
                item.set("provider", entry.providerName)
                item.set("unfiled_sites", entry.unfiledSites)
                item.set("new_sites", entry.newSites)
                return item
            })
        object.set(
            "provinces",
            array: provinces.map { row in
                var item = JSONObject()
                item.set("province", row.province)
                item.set("sites_checked", row.sitesChecked)
                item.set("unfiled_sites", row.unfiledSites)
                item.set("new_sites", row.newSites)
                item.set("resolved_sites", row.resolvedSites)
                item.set("handled_sites", row.handledSites)
                var kinds = JSONObject()
                for (kind, count) in row.byKind { kinds.set(kind, count) }
                item.set("findings_by_kind", object: kinds)
                return item
            })
        return object
    }

    /// Two tables in one CSV file (a byte order mark, Chinese headers, CRLF) as a spreadsheet
    /// opens it: the ranking, a blank line, the statistics by province.
    public var csv: [UInt8] {
        var lines = ["\u{FEFF}\(month) 未备案网站数量前十的接入商"]
        lines.append("名次,接入商ID,接入商,未备案网站数,其中本月新发现")
        for (place, entry) in ranking.enumerated() {
            lines.append(
                [
                    String(place + 1), entry.providerID.map(String.init) ?? "", entry.providerName ?? "(无接入商记录)",
                    String(entry.unfiledSites),
                    String(entry.newSites),
                ].map(FindingWriter.quoted).joined(separator: ","))
        }
        lines.append("")
        lines.append("\(month) 分省统计")
        let kinds = Finding.Kind.allCases
        lines.append(
            (["省份", "检测网站数", "未备案网站数", "其中本月新发现", "本月已处置（不再发现）", "已反馈处理结果"] + kinds.map(\.chineseName))
                .joined(separator: ","))
        for row in provinces {
            let counts = Dictionary(uniqueKeysWithValues: row.byKind.map { ($0.kind, $0.count) })
            lines.append(
                ([
                    row.province, String(row.sitesChecked), String(row.unfiledSites), String(row.newSites), String(row.resolvedSites),
                    String(row.handledSites),
                ]
                    + kinds.map { String(counts[$0.rawValue] ?? 0) }).map(FindingWriter.quoted).joined(separator: ","))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }
}
