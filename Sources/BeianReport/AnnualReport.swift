public import BeianCore
public import BeianHistory
import Foundation

/// The annual review of access providers a provincial administration runs (年度核查): for each
/// access provider, every kind of finding of the year — the registry's own inconsistencies
/// (`check-registry`: IP filings out of bounds 越界, conflicting 冲突, sub-leased 层层转租, empty
/// shells 空壳, access on addresses the provider does not hold, registrant mismatches) and what
/// the year's scans saw (unfiled sites, addresses not filed 未报, access under- and
/// over-reported 少报/多报, provider mismatches, cancelled sites still served, blacklists,
/// homepages without their number) — with totals, how many were new in the year, resolved,
/// handled, the month-by-month trend of the scans, and the evidence behind every number
/// (each finding with where it was seen).
///
/// A finding is counted once per provider by its key (kind, independent domain, address),
/// whether the registry check, the scans, or both made it; a finding two providers answer for
/// (the registry check names the provider of the filing, a scan the holder of the address) is
/// in both reviews. Months are China time.
public struct AnnualReport: Sendable {
    /// One finding behind the numbers.
    public struct Item: Sendable, Equatable {
        public var kind: Finding.Kind
        /// `scan`, `registry`, or `both`.
        public var source: String
        public var key: String
        public var site: String?
        public var address: String?
        public var providerID: Int64?
        public var providerName: String?
        public var province: String?
        public var firstSeen: Int64?
        public var lastSeen: Int64?
        public var count: Int
        /// The history's state (`registry` for a finding only the registry check made).
        public var state: String
        public var newInYear: Bool
        public var resolvedInYear: Bool
        public var handled: Bool
        public var detail: String
        /// Where it was seen: source, location (file and line, packet, record), time.
        public var evidence: [Finding.Evidence]
    }

    /// One access provider's review.
    public struct ProviderRow: Sendable, Equatable {
        public var providerID: Int64?
        public var providerName: String?
        /// Findings by kind, in `kinds` order.
        public var counts: [Int]
        public var total: Int
        public var new: Int
        public var resolved: Int
        public var handled: Int
    }

    public let year: Int
    public let start: Int64
    public let end: Int64
    /// The province reviewed (its abbreviation), or nil for all.
    public let province: String?
    /// When the registry was checked.
    public let registryAt: Int64
    public let runs: [FindingsHistory.Run]
    /// The kinds found, in their order: the columns of the review.
    public let kinds: [Finding.Kind]
    public let providers: [ProviderRow]
    public let items: [Item]
    /// Scan findings seen in each month of the year, by kind (`kinds` order), months 1…12.
    public let monthly: [[Int]]

    public struct YearError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The review of `year` from `history` and the registry check's `registry` findings (made
    /// as of `registryAt`), for `province` (an abbreviation such as `浙`) or every province.
    public init(year: Int, history: FindingsHistory, registry: [Finding], registryAt: Timestamp, province: String? = nil) throws {
        guard (1970...9998).contains(year) else { throw YearError(description: "\(year): not a year") }
        self.year = year
        self.province = province
        self.registryAt = registryAt.secondsSince1970
        let start = try Timestamp.parse(String(format: "%04d-01-01", year)).secondsSince1970
        let end = try Timestamp.parse(String(format: "%04d-01-01", year + 1)).secondsSince1970
        self.start = start
        self.end = end
        let monthStarts = try (1...12).map { try Timestamp.parse(String(format: "%04d-%02d-01", year, $0)).secondsSince1970 } + [end]
        runs = try history.runs(from: start, to: end)
        func admitted(_ value: String?) -> Bool { province == nil || value == province }
        let handledDomains = Set(try history.handlingResults().map(\.domain))

        // The scans' findings of the year, then the registry's, merged by key.
        let seen = try history.entries(seenFrom: start, to: end).filter { admitted($0.province) }
        let resolved = Set(try history.entries(resolvedFrom: start, to: end).map(\.key))
        // Keyed by the finding's key and its provider: a finding two providers answer for (an
        // address held by one, filed by another) is in both reviews.
        func reviewKey(_ key: String, _ provider: Int64?) -> String { key + "|" + (provider.map(String.init) ?? "") }
        var byKey: [String: Item] = [:]
        byKey.reserveCapacity(seen.count + registry.count)
        for entry in seen {
            guard let kind = Finding.Kind(rawValue: entry.kind) else { continue }
            let site = entry.independentDomain ?? entry.host
            byKey[reviewKey(entry.key, entry.providerID)] = Item(
                kind: kind, source: "scan", key: entry.key, site: site, address: entry.address, providerID: entry.providerID,
                providerName: entry.providerName, province: entry.province, firstSeen: entry.firstSeen, lastSeen: entry.lastSeen,
                count: entry.count, state: entry.state.rawValue, newInYear: entry.firstSeen.map { $0 >= start && $0 < end } ?? false,
                resolvedInYear: resolved.contains(entry.key),
                handled: kind == .unfiledSite && site.map { handledDomains.contains($0) } == true, detail: entry.detail,
                evidence: Self.evidence(entry.evidence))
        }
        for finding in registry where admitted(finding.province) {
            let key = FindingsHistory.key(of: finding)
            let review = reviewKey(key, finding.provider?.id)
            if var known = byKey[review] {
                known.source = "both"
                known.evidence += finding.evidence
                byKey[review] = known
                continue
            }
            byKey[review] = Item(
                kind: finding.kind, source: "registry", key: key, site: finding.independentDomain ?? finding.host,
                address: finding.address, providerID: finding.provider?.id, providerName: finding.provider?.name,
                province: finding.province, firstSeen: nil, lastSeen: nil, count: finding.count, state: "registry", newInYear: false,
                resolvedInYear: false, handled: false, detail: finding.detail, evidence: finding.evidence)
        }
        let items = byKey.values.sorted {
            ($0.providerName ?? "", $0.providerID ?? -1, $0.kind, $0.key) < ($1.providerName ?? "", $1.providerID ?? -1, $1.kind, $1.key)
        }
        self.items = items
        let kinds = Finding.Kind.allCases.filter { kind in items.contains { $0.kind == kind } }
        self.kinds = kinds
        let column = Dictionary(uniqueKeysWithValues: kinds.enumerated().map { ($0.element, $0.offset) })

        // Per provider.
        var rows: [Int64?: ProviderRow] = [:]
        for item in items {
            var row =
                rows[item.providerID]
                ?? ProviderRow(
                    providerID: item.providerID, providerName: item.providerName, counts: Array(repeating: 0, count: kinds.count), total: 0,
                    new: 0, resolved: 0, handled: 0)
            if let index = column[item.kind] { row.counts[index] += 1 }
            row.total += 1
            if item.newInYear { row.new += 1 }
            if item.resolvedInYear { row.resolved += 1 }
            if item.handled { row.handled += 1 }
            rows[item.providerID] = row
        }
        providers = rows.values.sorted {
            $0.total != $1.total
                ? $0.total > $1.total : ($0.providerName ?? "", $0.providerID ?? -1) < ($1.providerName ?? "", $1.providerID ?? -1)
        }

        // The trend: each scan finding counted once in every month a run saw it in.
        var monthly = Array(repeating: Array(repeating: 0, count: kinds.count), count: 12)
        var counted: [String: Set<Int>] = [:]
        var scanned: [String: Item] = [:]
        for item in items where item.source != "registry" { scanned[item.key] = item }
        for sighting in try history.sightings(from: start, to: end) {
            guard let item = scanned[sighting.key], let index = column[item.kind] else { continue }
            for month in 0..<12 where sighting.first < monthStarts[month + 1] && sighting.last >= monthStarts[month] {
                if counted[sighting.key, default: []].insert(month).inserted { monthly[month][index] += 1 }
            }
        }
        self.monthly = monthly
    }

    static func evidence(_ text: String) -> [Finding.Evidence] {
        (try? JSONDecoder().decode([Finding.Evidence].self, from: Data(text.utf8))) ?? []
    }

    /// Items of one provider.
    public func items(of provider: Int64?) -> [Item] { items.filter { $0.providerID == provider } }

    /// Totals over every provider, by kind (`kinds` order).
    public var totals: [Int] {
        providers.reduce(into: Array(repeating: 0, count: kinds.count)) { sums, row in
            for index in sums.indices { sums[index] += row.counts[index] }
        }
    }

    static func providerName(_ row: ProviderRow) -> String { row.providerName ?? "（无接入商记录）" }

    static func evidenceText(_ evidence: [Finding.Evidence]) -> String {
        evidence.map { item in
            [item.source, item.location, item.seen].compactMap { $0 }.joined(separator: " ")
        }.joined(separator: "; ")
    }

    // MARK: Renderings

    public var json: JSONObject {
        var object = JSONObject()
        object.set("year", year)
        object.set("province", province)
        object.set("registry_checked_at", Timestamp(secondsSince1970: registryAt).text(.china))
        object.set("runs", array: runs.map { JSONObject(["run": JSONValue($0.id), "findings": JSONValue($0.findings)]) })
        object.set("kinds", array: kinds.map { JSONObject(["kind": JSONValue($0.rawValue), "name": JSONValue($0.chineseName)]) })
        object.set(
            "providers",
            array: providers.map { row in
                var item = JSONObject()
                item.set("provider_id", row.providerID)
                item.set("provider", row.providerName)
                var counts = JSONObject()
                for (kind, count) in zip(kinds, row.counts) where count > 0 { counts.set(kind.rawValue, count) }
                item.set("findings_by_kind", object: counts)
                item.set("total", row.total)
                item.set("new", row.new)
                item.set("resolved", row.resolved)
                item.set("handled", row.handled)
                return item
            })
        object.set(
            "monthly",
            array: monthly.enumerated().map { month, counts in
                var item = JSONObject()
                item.set("month", String(format: "%04d-%02d", year, month + 1))
                var byKind = JSONObject()
                for (kind, count) in zip(kinds, counts) where count > 0 { byKind.set(kind.rawValue, count) }
                item.set("findings_by_kind", object: byKind)
                return item
            })
        object.set(
            "findings",
            array: items.map { item in
                var entry = JSONObject()
                entry.set("kind", item.kind.rawValue)
                entry.set("source", item.source)
                entry.set("site", item.site)
                entry.set("address", item.address)
                entry.set("provider_id", item.providerID)
                entry.set("province", item.province)
                entry.set("first_seen", item.firstSeen.map { Timestamp(secondsSince1970: $0).text(.china) })
                entry.set("last_seen", item.lastSeen.map { Timestamp(secondsSince1970: $0).text(.china) })
                entry.set("count", item.count)
                entry.set("state", item.state)
                entry.set("detail", item.detail)
                entry.set(
                    "evidence",
                    array: item.evidence.map { evidence in
                        var value = JSONObject()
                        value.set("source", evidence.source)
                        value.set("location", evidence.location)
                        value.set("seen", evidence.seen)
                        return value
                    })
                return entry
            })
        return object
    }

    /// Two tables in one CSV file (BOM, Chinese headers, CRLF): the review per provider, then
    /// every finding behind it with its evidence.
    public var csv: [UInt8] {
        let scope = province.map { "（\($0)）" } ?? ""
        var lines = ["\u{FEFF}\(year) 年度接入商核查\(scope)"]
        lines.append((["接入商ID", "接入商"] + kinds.map(\.chineseName) + ["合计", "本年新发现", "本年已处置", "已反馈处理结果"]).joined(separator: ","))
        for row in providers {
            lines.append(
                ([row.providerID.map(String.init) ?? "", Self.providerName(row)] + row.counts.map(String.init)
                    + [String(row.total), String(row.new), String(row.resolved), String(row.handled)]).map(FindingWriter.quoted)
                    .joined(separator: ","))
        }
        lines.append(
            (["", "合计"] + totals.map(String.init)
                + [
                    String(providers.reduce(0) { $0 + $1.total }), String(providers.reduce(0) { $0 + $1.new }),
                    String(providers.reduce(0) { $0 + $1.resolved }), String(providers.reduce(0) { $0 + $1.handled }),
                ]).joined(separator: ","))
        lines.append("")
        lines.append("\(year) 核查证据")
        lines.append("接入商ID,接入商,类型,来源,网站,IP地址,所属省,首次发现,最近发现,次数,状态,说明,证据")
        for item in items {
            lines.append(
                [
                    item.providerID.map(String.init) ?? "", item.providerName ?? "", item.kind.chineseName, Self.sourceName(item.source),
                    item.site ?? "", item.address ?? "", item.province ?? "",
                    item.firstSeen.map { Timestamp(secondsSince1970: $0).text(.china) } ?? "",
                    item.lastSeen.map { Timestamp(secondsSince1970: $0).text(.china) } ?? "", String(item.count), item.state, item.detail,
                    Self.evidenceText(item.evidence),
                ].map(FindingWriter.quoted).joined(separator: ","))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    static func sourceName(_ source: String) -> String {
        switch source {
        case "scan": "检测"
        case "registry": "备案数据核查"
        default: "检测及备案数据核查"
        }
    }
}
