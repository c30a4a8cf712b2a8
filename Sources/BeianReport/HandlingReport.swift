public import BeianCore
public import BeianHistory
import Foundation

/// The handling report an access provider returns for the unfiled sites listed to it (the
/// V3.0 interface's `UploadData/ICP/WBACLJG`, 未备案处理结果): one record for every unfiled
/// site (independent domain at an address) the history holds for the provider, with the
/// handling result recorded for it (`beian history handle`) or, where none is, the status the
/// registry's handling-status table gives a site not yet handled.
///
/// What the interface cannot hold is left out and counted, never made up: a site served over
/// IPv6 (`IP` is an IPv4 integer), one with no operator or province on file (`Yys` and
/// `Shengid` are required), a domain
/// shorter than 4 or longer than 128 characters (`Ym`). The reporter's name, phone and e-mail
/// (`Sbrxm`, `Sbrdh`, `Sbrdzyj`) come from options or a settings file — never from the
/// registry — and are written to the XML only: the JSON, CSV and HTML renderings leave them
/// out.
public struct HandlingReport: Sendable {
    /// Who reports, and how the report is made.
    public struct Settings: Sendable, Equatable, Codable {
        public var reporterName: String?
        public var reporterPhone: String?
        public var reporterEmail: String?
        /// Days from a site's listing (`Rbsj`, the day it was first seen) to its handling
        /// deadline (`Clsx`).
        public var deadlineDays: Int?
        /// The status of a site not yet handled, when the table's name for it is not 未处理.
        public var pendingStatus: Int?

        enum CodingKeys: String, CodingKey {
            case reporterName = "reporter_name"
            case reporterPhone = "reporter_phone"
            case reporterEmail = "reporter_email"
            case deadlineDays = "deadline_days"
            case pendingStatus = "pending_status"
        }

        public init() {}

        public static let defaultDeadlineDays = 10
        /// A settings file larger than this is not one.
        public static let maximumFileBytes = 1 << 20

        /// Settings from a JSON file (`{"reporter_name": …, "reporter_phone": …, "reporter_email":
        /// …, "deadline_days": 10, "pending_status": 1}`).
        public static func read(path: String) throws -> Settings {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ReportError(description: "\(path): cannot be read")
            }
            guard data.count <= maximumFileBytes else { throw ReportError(description: "\(path): larger than a settings file") }
            do { return try JSONDecoder().decode(Settings.self, from: data) } catch {
                throw ReportError(description: "\(path): not a handling settings file (\(DecodingProblem.text(error)))")
            }
        }

        /// The settings checked against the interface's limits; the problem names the
        /// setting, never its value (they are personal data).
        public func validated() throws -> Settings {
            func check(_ value: String?, _ name: String, _ lengths: ClosedRange<Int>) throws {
                guard let value else { return }
                guard lengths.contains(value.count) else {
                    throw ReportError(description: "\(name): \(lengths.lowerBound) to \(lengths.upperBound) characters")
                }
            }
            try check(reporterName, "reporter name", 1...128)
            try check(reporterPhone, "reporter phone", 11...128)
            try check(reporterEmail, "reporter e-mail", 6...128)
            if let email = reporterEmail, !email.contains("@") { throw ReportError(description: "reporter e-mail: not an address") }
            if let days = deadlineDays, !(0...366).contains(days) { throw ReportError(description: "deadline days: 0 to 366") }
            return self
        }
    }

    public struct ReportError: Error, CustomStringConvertible {
        public let description: String
    }

    /// One listed unfiled site and what was done about it.
    public struct Row: Sendable, Equatable {
        public var domain: String
        public var host: String?
        public var address: String
        /// The address as the interface's integer; nil for IPv6.
        public var ipv4: UInt32?
        public var providerID: Int64
        public var providerName: String?
        public var operatorID: Int64?
        public var operatorName: String?
        /// The province's six-digit code (`Shengid`), when known.
        public var provinceCode: Int?
        public var province: String?
        public var status: Int
        public var statusName: String
        public var opinion: String
        /// `Rbsj`, `Clsx`: YYYY-MM-DD, China time.
        public var listed: String
        public var deadline: String
        /// When it was handled, and where the result came from (nil: not handled).
        public var handledAt: Int64?
        public var source: String?
        /// The history's state of the finding.
        public var state: String
        public var firstSeen: Int64?
        public var lastSeen: Int64?

        public var handled: Bool { handledAt != nil }

        /// Why the interface cannot hold the row, if it cannot.
        public var unfit: String? {
            if ipv4 == nil { return "IPv6" }
            if operatorID == nil { return "no operator" }
            if provinceCode == nil { return "no province" }
            if !(4...128).contains(domain.count) { return "domain length" }
            return nil
        }
    }

    /// The interface allows this many records in one upload file.
    public static let recordsPerFile = 1000

    public let unit: Int64
    public let settings: Settings
    public let statuses: HandlingStatuses
    public let rows: [Row]
    public let generated: Int64

    /// The report of access provider `unit`'s unfiled sites in `history`.
    public init(history: FindingsHistory, unit: Int64, statuses: HandlingStatuses, settings: Settings = Settings()) throws {
        let settings = try settings.validated()
        let pending: HandlingStatuses.Status
        if let id = settings.pendingStatus {
            guard let status = statuses.status(id) else {
                throw ReportError(description: "pending status \(id): not in the handling-status table")
            }
            pending = status
        } else {
            guard let status = statuses.pending else {
                throw ReportError(
                    description: "the handling-status table has no valid status named 未处理: say which one a site not yet handled has")
            }
            pending = status
        }
        self.unit = unit
        self.settings = settings
        self.statuses = statuses
        self.generated = Timestamp.now.secondsSince1970
        let results = try history.handlingResults()
        var byDomain: [String: FindingsHistory.Handling] = [:]
        var byAddress: [String: FindingsHistory.Handling] = [:]
        for result in results {
            if let address = result.address { byAddress[result.domain + "|" + address] = result } else { byDomain[result.domain] = result }
        }
        let days = Int64(settings.deadlineDays ?? Settings.defaultDeadlineDays)
        let entries = try history.entries().filter { $0.kind == Finding.Kind.unfiledSite.rawValue && $0.providerID == unit }
        rows = entries.compactMap { entry -> Row? in
            guard let address = entry.address else { return nil }
            let domain = entry.independentDomain ?? entry.host ?? ""
            let result = byAddress[domain + "|" + address] ?? byDomain[domain]
            let status = result.flatMap { statuses.status($0.status) }
            var ipv4: UInt32?
            if case .v4(let v4)? = try? IPAddress.parse(address).unmapped, v4.value > 0 { ipv4 = v4.value }
            let listedAt = entry.firstSeen ?? entry.lastSeen ?? 0
            let province = entry.province.flatMap { $0.first }.flatMap { Province.abbreviated($0) }
            return Row(
                domain: domain, host: entry.host, address: address, ipv4: ipv4, providerID: unit, providerName: entry.providerName,
                operatorID: entry.operatorID, operatorName: entry.operatorName, provinceCode: province?.registryCode,
                province: entry.province, status: result?.status ?? pending.id, statusName: status?.name ?? pending.name,
                opinion: result.map(\.opinion) ?? pending.name, listed: Self.day(listedAt), deadline: Self.day(listedAt + days * 86400),
                handledAt: result?.handledAt, source: result?.source, state: entry.state.rawValue, firstSeen: entry.firstSeen,
                lastSeen: entry.lastSeen)
        }
    }

    static func day(_ seconds: Int64) -> String { String(Timestamp(secondsSince1970: seconds).text(.china).prefix(10)) }

    /// Rows the interface can hold, and those it cannot (by reason).
    public var fit: [Row] { rows.filter { $0.unfit == nil } }
    public var omitted: [String: Int] {
        rows.reduce(into: [:]) { counts, row in if let reason = row.unfit { counts[reason, default: 0] += 1 } }
    }

    /// Counts by status, in the table's order (statuses no row has left out).
    public var byStatus: [(status: HandlingStatuses.Status, count: Int)] {
        let counts = rows.reduce(into: [Int: Int]()) { $0[$1.status, default: 0] += 1 }
        return statuses.statuses.compactMap { status in counts[status.id].map { (status, $0) } }
    }

    // MARK: The V3.0 upload

    /// The `UploadData/ICP/WBACLJG` files (GBK), at most `recordsPerFile` records each, valid
    /// against the interface's `upload-data.xsd`; none when no row fits.
    public var uploadFiles: [[UInt8]] {
        let fit = fit
        return stride(from: 0, to: fit.count, by: Self.recordsPerFile).map { start in
            upload(fit[start..<min(fit.count, start + Self.recordsPerFile)])
        }
    }

    func upload(_ rows: ArraySlice<Row>) -> [UInt8] {
        var x = "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<UploadData version=\"3.0\">\n<ICP>\n<WBACLJG>\n"
        for row in rows {
            guard let ipv4 = row.ipv4, let operatorID = row.operatorID, row.provinceCode != nil else { continue }
            x += "<Clxx>" + XMLText.element("Ym", row.domain) + XMLText.element("IP", String(ipv4))
            x += XMLText.element("Yys", String(operatorID)) + XMLText.element("Jrs", String(row.providerID))
            x += XMLText.element("Shengid", String(row.provinceCode ?? 0)) + XMLText.element("Cljg", String(row.status))
            x += XMLText.element("Clyj", String(row.opinion.prefix(255))) + XMLText.element("Rbsj", row.listed)
            x += XMLText.element("Clsx", row.deadline)
            if let name = settings.reporterName { x += XMLText.element("Sbrxm", name) }
            if let phone = settings.reporterPhone { x += XMLText.element("Sbrdh", phone) }
            if let email = settings.reporterEmail { x += XMLText.element("Sbrdzyj", email) }
            x += "</Clxx>\n"
        }
        x += "</WBACLJG>\n" + XMLText.element("Qqdwid", String(unit)) + "\n</ICP>\n</UploadData>\n"
        return GB18030Encoder.encode(x)
    }

    // MARK: Renderings

    public var json: JSONObject {
        var object = JSONObject()
        object.set("provider_id", unit)
        object.set("provider", rows.first?.providerName)
        object.set("generated", Timestamp(secondsSince1970: generated).text(.china))
        object.set("sites", rows.count)
        object.set("handled", rows.filter(\.handled).count)
        var omittedObject = JSONObject()
        for (reason, count) in omitted.sorted(by: { $0.key < $1.key }) { omittedObject.set(reason, count) }
        object.set("omitted_from_upload", object: omittedObject)
        object.set(
            "by_status",
            array: byStatus.map { entry in
                var item = JSONObject()
                item.set("status", entry.status.id)
                item.set("name", entry.status.name)
                item.set("sites", entry.count)
                return item
            })
        object.set(
            "rows",
            array: rows.map { row in
                var item = JSONObject()
                item.set("domain", row.domain)
                item.set("host", row.host)
                item.set("address", row.address)
                item.set("operator_id", row.operatorID)
                item.set("province", row.province)
                item.set("status", row.status)
                item.set("status_name", row.statusName)
                item.set("opinion", row.opinion)
                item.set("listed", row.listed)
                item.set("deadline", row.deadline)
                item.set("handled_at", row.handledAt.map { Timestamp(secondsSince1970: $0).text(.china) })
                item.set("source", row.source)
                item.set("state", row.state)
                item.set("unfit_for_upload", row.unfit)
                return item
            })
        return object
    }

    /// One row per site (a byte order mark, Chinese headers, CRLF).
    public var csv: [UInt8] {
        var lines = ["\u{FEFF}域名,网站地址,IP地址,接入商ID,运营商ID,所属省,处理结果ID,处理结果,处理意见,入表时间,处理时限,处理时间,检测状态,上报说明"]
        for row in rows {
            lines.append(
                [
                    row.domain, row.host ?? "", row.address, String(row.providerID), row.operatorID.map(String.init) ?? "",
                    row.province ?? "", String(row.status), row.statusName, row.opinion, row.listed, row.deadline,
                    row.handledAt.map { Timestamp(secondsSince1970: $0).text(.china) } ?? "", row.state, Self.unfitText(row.unfit),
                ].map(FindingWriter.quoted).joined(separator: ","))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    static func unfitText(_ reason: String?) -> String {
        switch reason {
        case nil: ""
        case "IPv6": "IPv6地址，接口无法上报"
        case "no operator": "无IP备案（运营商不详），接口无法上报"
        case "no province": "所属省不详，接口无法上报"
        default: "域名长度超出接口限制，无法上报"
        }
    }
}
