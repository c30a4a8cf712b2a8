public import BeianCore

/// Whose view a scan takes: every domestic address (the national centre's, a province's), or
/// one access provider's own address space (谁接入谁负责: a provider answers for the sites it
/// connects). One rule for traffic and homepages alike.
public enum Scope: Sendable, Hashable, CustomStringConvertible {
    /// Every address in the filed space or located in China.
    case all
    /// The addresses whose allocation chain names this reporting unit (an access provider's
    /// ID in the code tables), and the homepages of the sites it connects.
    case accessProvider(Int64)

    /// The access provider whose view this is, if any.
    public var unit: Int64? {
        if case .accessProvider(let unit) = self { return unit }
        return nil
    }

    /// Whether an address whose allocation chain names `units` is in scope.
    func admits(chainUnits units: Set<Int64>) -> Bool {
        guard let unit else { return true }
        return units.contains(unit)
    }

    /// Whether a finding routed to `provider` is in scope (homepage findings, which name the
    /// site's filed access provider rather than an address).
    public func admits(provider: Finding.Unit?) -> Bool {
        guard let unit else { return true }
        return provider?.id == unit
    }

    /// Whether an access record of `providerID` is this view's to judge for silence (多报,
    /// 空壳).
    func admits(accessRecordOf providerID: Int64) -> Bool {
        guard let unit else { return true }
        return providerID == unit
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .accessProvider(let unit): "own (unit \(unit))"
        }
    }
}
