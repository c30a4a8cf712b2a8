public import BeianCore
import BeianRegistry

/// The checks the filing system runs on its own data, over an index: IP filings out of bounds
/// (越界), conflicting (冲突), sub-leased down a chain (层层转租); filed sites with no access
/// record (空壳); access records on addresses their provider was never allocated (接入商不符,
/// on paper); filed domains registered to someone else or not at all.
public struct RegistryChecks {
    public struct Options: Sendable {
        /// Allocation levels allowed below a source block: operator → access provider → user.
        public var maximumAllocationDepth = 2
        /// Judge cancellations as of this time.
        public var at: Timestamp

        public init(at: Timestamp) {
            self.at = at
        }
    }

    let index: RegistryIndex
    let options: Options

    public init(index: RegistryIndex, options: Options) {
        self.index = index
        self.options = options
    }

    /// Every finding, in a stable order (by kind, then record).
    public func run() -> [Finding] {
        var findings: [Finding] = []
        let records = index.allIPRecords
        findings += outOfBounds(records)
        findings += conflicts(records)
        findings += subLeasing(records)
        findings += siteChecks()
        return findings
    }

    private func evidence(_ link: AllocationLink) -> Finding.Evidence {
        Finding.Evidence(source: "registry", location: "\(link.kind) record \(link.id)", seen: link.range.description)
    }

    private func unit(_ id: Int64, _ info: UnitInfo?) -> Finding.Unit {
        Finding.Unit(id: id, name: info?.name)
    }

    // MARK: 越界

    /// Allocations outside the allocating unit's own space: its source ranges, what was
    /// allocated to it, and its self-brought ranges.
    func outOfBounds(_ records: [AllocationLink]) -> [Finding] {
        var space: [Int64: [IPRange]] = [:]
        for record in records {
            switch record.kind {
            case .source, .selfBrought: space[record.unitID, default: []].append(record.range)
            case .allocation: if let target = record.targetID { space[target, default: []].append(record.range) }
            }
        }
        let merged = space.mapValues(RegistryChecks.merge)
        var findings: [Finding] = []
        for record in records where record.kind == .allocation {
            let own = merged[record.unitID] ?? []
            let outside = RegistryChecks.subtract(record.range, own)
            guard !outside.isEmpty else { continue }
            var finding = Finding(
                kind: .ipOutOfBounds,
                detail: own.isEmpty
                    ? "allocation by unit \(record.unitID), which holds no source, received or self-brought range"
                    : "allocation reaches outside the ranges unit \(record.unitID) holds: \(outside.map(\.description).joined(separator: ", "))",
                evidence: [evidence(record)])
            finding.address = record.range.description
            finding.provider = unit(record.unitID, record.unit)
            finding.province = record.province.map { String($0.abbreviation) }
            findings.append(finding)
        }
        return findings
    }

    // MARK: 冲突

    /// Records of the same level by different units over the same addresses: two source
    /// ranges (来源冲突), or two allocations in use (分配冲突).
    func conflicts(_ records: [AllocationLink]) -> [Finding] {
        func level(_ record: AllocationLink) -> Int? {
            switch record.kind {
            case .source: 0
            case .allocation: record.mode == .allocatedAndUsed || record.mode == .selfUse ? 1 : nil
            case .selfBrought: 1
            }
        }
        var findings: [Finding] = []
        for wanted in [0, 1] {
            let group = records.filter { level($0) == wanted }.sorted { $0.range < $1.range }
            // Sweep: compare each range with the earlier ones still open.
            var open: [AllocationLink] = []
            for record in group {
                open.removeAll { $0.range.family != record.range.family || $0.range.last < record.range.first }
                for other in open where other.unitID != record.unitID && other.range.overlaps(record.range) {
                    var finding = Finding(
                        kind: .ipConflict,
                        detail:
                            "\(wanted == 0 ? "source" : "allocation") records of units \(other.unitID) and \(record.unitID) claim overlapping ranges",
                        evidence: [evidence(other), evidence(record)])
                    finding.address = record.range.description
                    finding.provider = unit(record.unitID, record.unit)
                    finding.province = record.province.map { String($0.abbreviation) }
                    findings.append(finding)
                }
                open.append(record)
            }
        }
        return findings
    }

    // MARK: 层层转租

    /// Allocations made by a unit without an operating licence, and allocations deeper below
    /// their source block than allowed.
    func subLeasing(_ records: [AllocationLink]) -> [Finding] {
        var findings: [Finding] = []
        for record in records where record.kind == .allocation {
            guard record.mode == .allocatedAndUsed || record.mode == .reallocated else { continue }
            var reasons: [String] = []
            if let unit = record.unit, !unit.isLicensed {
                reasons.append("unit \(record.unitID) (\(unit.name)) holds no operating licence but allocates addresses to others")
            }
            // This allocation and the re-allocations (再次分配) above it: the levels below the source.
            let chain = index.allocationLinks(record.range.first).filter { $0.kind == .allocation && $0.range.contains(record.range) }
            let above = chain.filter {
                $0.index != record.index && $0.mode == .reallocated && $0.range.spanMinusOne >= record.range.spanMinusOne
            }
            let depth = above.count + 1
            if depth > options.maximumAllocationDepth {
                reasons.append("allocation \(depth) levels below its source block (at most \(options.maximumAllocationDepth) allowed)")
            }
            guard !reasons.isEmpty else { continue }
            var finding = Finding(
                kind: .subLeasing, detail: reasons.joined(separator: "; "), evidence: (above.reversed() + [record]).map(evidence))
            finding.address = record.range.description
            finding.provider = unit(record.unitID, record.unit)
            finding.province = record.province.map { String($0.abbreviation) }
            findings.append(finding)
        }
        return findings
    }

    // MARK: Sites

    /// Empty shells, access records on addresses the provider does not hold, registrant
    /// mismatches and unregistered domains, for every site in force.
    func siteChecks() -> [Finding] {
        var findings: [Finding] = []
        for siteIndex in 0..<index.siteCount {
            let site = index.site(siteIndex)
            guard site.isActive(at: options.at) else { continue }
            func finding(_ kind: Finding.Kind, _ detail: String, _ evidence: [Finding.Evidence]) -> Finding {
                var finding = Finding(kind: kind, detail: detail, evidence: evidence)
                finding.siteNumber = site.number
                finding.sponsorNumber = site.sponsor?.number
                finding.host = site.domains.first?.name
                finding.province = site.sponsor?.province.map { String($0.abbreviation) }
                return finding
            }
            let siteEvidence = Finding.Evidence(source: "registry", location: "site record \(site.id)", seen: site.number)
            let access = site.access.filter { $0.cancelled.map { $0 > options.at } ?? true }
            if access.isEmpty {
                findings.append(
                    finding(
                        .emptyShell,
                        site.access.isEmpty ? "filed site with no access record" : "every access record of the site is cancelled",
                        [siteEvidence]))
            }
            for record in access {
                for range in record.ranges {
                    let chain = index.allocationLinks(range.first)
                    let held = chain.contains {
                        $0.range.contains(range) && ($0.unitID == record.providerID || $0.targetID == record.providerID)
                    }
                    guard !held else { continue }
                    let owner = chain.first
                    var item = finding(
                        .providerMismatch,
                        chain.isEmpty
                            ? "access record lists \(range), which no IP filing covers"
                            : "access record of provider \(record.providerID) lists \(range), allocated to unit \(owner.map { String($0.targetID ?? $0.unitID) } ?? "?")",
                        [
                            siteEvidence,
                            Finding.Evidence(source: "registry", location: "access record \(record.id)", seen: range.description),
                        ] + chain.map(evidence))
                    item.address = range.description
                    item.provider = unit(record.providerID, record.provider)
                    if let owner { item.operatorUnit = unit(owner.unitID, owner.unit) }
                    findings.append(item)
                }
            }
            for domain in site.domains {
                switch domain.registration {
                case .registeredToOther:
                    var item = finding(
                        .registrantMismatch, "\(domain.name) is registered to someone other than the sponsor", [siteEvidence])
                    item.host = domain.name
                    findings.append(item)
                case .unregistered:
                    var item = finding(.unregisteredDomain, "\(domain.name) is in no domain registration record", [siteEvidence])
                    item.host = domain.name
                    findings.append(item)
                default:
                    break
                }
            }
        }
        return findings
    }

    // MARK: Range arithmetic

    /// Sorted, merged ranges (adjacent ones joined).
    static func merge(_ ranges: [IPRange]) -> [IPRange] {
        var result: [IPRange] = []
        for range in ranges.sorted() {
            if let last = result.last, last.family == range.family,
                last.last.bits == last.family.allOnes || range.first.bits <= last.last.bits + 1
            {
                if range.last > last.last { result[result.count - 1] = IPRange(uncheckedFirst: last.first, last: range.last) }
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The parts of `range` outside the merged, sorted `covered` ranges.
    static func subtract(_ range: IPRange, _ covered: [IPRange]) -> [IPRange] {
        var outside: [IPRange] = []
        var cursor = range.first.bits
        let end = range.last.bits
        var done = false
        for piece in covered where piece.family == range.family && !done {
            if piece.last.bits < cursor { continue }
            if piece.first.bits > end { break }
            if piece.first.bits > cursor {
                outside.append(
                    IPRange(
                        uncheckedFirst: IPAddress(family: range.family, bits: cursor),
                        last: IPAddress(family: range.family, bits: piece.first.bits - 1)))
            }
            if piece.last.bits >= end {
                done = true
            } else {
                cursor = piece.last.bits + 1
            }
        }
        if !done && cursor <= end {
            outside.append(
                IPRange(uncheckedFirst: IPAddress(family: range.family, bits: cursor), last: IPAddress(family: range.family, bits: end)))
        }
        return outside
    }
}
