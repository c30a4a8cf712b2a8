import BeianCore
public import BeianHistory
import Foundation

/// Handling results from a CSV file an access provider filled in — the handling report's CSV
/// (`beian report handling --format csv`) with its 处理结果ID, 处理意见 and 处理时间 cells
/// filled, or a file of its own with a header naming at least the domain and the status:
///
/// | column | names accepted |
/// |---|---|
/// | domain | `domain`, `域名`, `Ym` |
/// | address (optional) | `address`, `IP地址`, `IP` |
/// | status | `status`, `处理结果ID`, `Cljg` |
/// | opinion (optional) | `opinion`, `处理意见`, `Clyj` |
/// | handled at (optional) | `handled_at`, `处理时间` (a date or time; China time when it has no zone) |
///
/// UTF-8 (with or without a byte order mark) or GBK, as spreadsheets save it; cells without
/// line breaks. Rows with an empty status, or the status of a site not yet handled (未处理, as
/// the report fills in), are skipped; a row
/// that cannot be read is rejected with its line and the reason, and the others are read.
public struct HandlingImport: Sendable {
    public var results: [FindingsHistory.Handling] = []
    /// Rows not handled yet (no status, or the pending status the report fills in).
    public var skipped = 0
    public var rejected: [(line: Int, reason: String)] = []

    public struct ImportError: Error, CustomStringConvertible {
        public let description: String
    }

    /// A handling file larger than this is refused.
    public static let maximumFileBytes = 256 << 20
    /// Cells longer than this are rejected (the interface's `Clyj` holds 255 characters).
    public static let maximumOpinionCharacters = 255

    static let columns: [(key: String, names: Set<String>)] = [
        ("domain", ["domain", "域名", "ym"]), ("address", ["address", "ip地址", "ip"]), ("status", ["status", "处理结果id", "cljg"]),
        ("opinion", ["opinion", "处理意见", "clyj"]), ("handled_at", ["handled_at", "处理时间"]),
    ]

    /// The results in `bytes` (named `name` in messages); `now` is the time of rows without one.
    public init(bytes: [UInt8], name: String, statuses: HandlingStatuses, now: Int64) throws {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        let text: String
        if let utf8 = String(validating: body, as: UTF8.self) {
            text = utf8
        } else {
            text = String(decoding: TextConverter(from: .gb18030).convert(body), as: UTF8.self)
        }
        // "\r\n" is one Character in Swift.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first else { throw ImportError(description: "\(name): empty") }
        let names = CSVLine.cells(header).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var position: [String: Int] = [:]
        for (key, accepted) in Self.columns {
            if let index = names.firstIndex(where: { accepted.contains($0) }) { position[key] = index }
        }
        guard let domainColumn = position["domain"], let statusColumn = position["status"] else {
            throw ImportError(description: "\(name):1: the header names no domain (域名) or no status (处理结果ID) column")
        }
        for (offset, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let number = offset + 1
            let cells = CSVLine.cells(line)
            func cell(_ key: String) -> String? {
                guard let index = position[key], index < cells.count else { return nil }
                let value = cells[index].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
            let status = cell("status")
            guard let domainText = domainColumn < cells.count ? cell("domain") : nil else {
                rejected.append((number, "no domain"))
                continue
            }
            guard let statusText = status, statusColumn < cells.count else {
                skipped += 1
                continue
            }
            guard let domain = try? DomainName(domainText) else {
                rejected.append((number, "domain: not a domain name"))
                continue
            }
            guard let id = Int(statusText), (1...999).contains(id) else {
                rejected.append((number, "status: \(statusText.prefix(20)) is not a status id (1…999)"))
                continue
            }
            if id == statuses.pending?.id {
                skipped += 1
                continue
            }
            if statuses.status(id) == nil {
                rejected.append((number, "status: \(id) is not in the handling-status table"))
                continue
            }
            var address: String?
            if let text = cell("address") {
                guard let parsed = try? IPAddress.parse(text) else {
                    rejected.append((number, "address: not an IP address"))
                    continue
                }
                address = parsed.description
            }
            let opinion = cell("opinion") ?? statuses.status(id)?.name ?? String(id)
            guard opinion.count <= Self.maximumOpinionCharacters else {
                rejected.append((number, "opinion: longer than \(Self.maximumOpinionCharacters) characters"))
                continue
            }
            var handledAt = now
            if let when = cell("handled_at") {
                guard let parsed = try? Timestamp.parse(when) else {
                    rejected.append((number, "handled at: not a date or time"))
                    continue
                }
                handledAt = parsed.secondsSince1970
            }
            results.append(
                FindingsHistory.Handling(
                    domain: domain.description, address: address, status: id, opinion: opinion, handledAt: handledAt,
                    source: "\(name):\(number)"))
        }
    }
}
