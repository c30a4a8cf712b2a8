import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The registry's table of handling statuses for unfiled sites (未备案独立域名处理代码,
/// `JCDM/Jcdm_xx/Wbacl_dms/Wbacl_xx`: `Id`, `Ztmc`, `Bz`) — the codes an access
/// provider's handling result (`WBACLJG/Clxx/Cljg`) must use. Read from the code-table XML
/// the registry hands out (`codes.xml`, any encoding its declaration names).
public struct HandlingStatuses: Sendable, Equatable {
    public struct Status: Sendable, Equatable {
        public var id: Int
        public var name: String
        public var note: String?
        /// Whether the code may still be used (a table may mark retired codes `Sfyx` 0).
        public var valid: Bool

        public init(id: Int, name: String, note: String? = nil, valid: Bool = true) {
            self.id = id
            self.name = name
            self.note = note
            self.valid = valid
        }
    }

    public let statuses: [Status]

    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Files larger than this are not a code table.
    public static let maximumFileBytes = 64 << 20

    public init(statuses: [Status]) {
        self.statuses = statuses
    }

    public func status(_ id: Int) -> Status? { statuses.first { $0.id == id } }

    /// The status a site not yet handled has: the valid status named 未处理 (or 待处理).
    public var pending: Status? {
        statuses.first { $0.valid && ($0.name.contains("未处理") || $0.name.contains("待处理")) }
    }

    /// The table in the code-table file at `path`; an error names the file and the line.
    public static func read(path: String) throws -> HandlingStatuses {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw ReadError(description: "\(path): cannot be read")
        }
        if let size = attributes[.size] as? Int, size > maximumFileBytes {
            throw ReadError(description: "\(path): \(size) bytes, more than a code table's \(maximumFileBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ReadError(description: "\(path): cannot be read") }
        return try parse(Array(data), name: path)
    }

    /// The table in a code-table document's bytes; `name` is said in errors.
    public static func parse(_ bytes: [UInt8], name: String) throws -> HandlingStatuses {
        let parser = XMLParser(data: Data(bytes))
        let collector = Collector()
        parser.delegate = collector
        guard parser.parse() else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "not well-formed"
            throw ReadError(description: "\(name):\(parser.lineNumber): not a code table (\(reason))")
        }
        if let problem = collector.problem { throw ReadError(description: "\(name):\(problem)") }
        guard !collector.statuses.isEmpty else {
            throw ReadError(description: "\(name): no handling-status table (JCDM/Jcdm_xx/Wbacl_dms/Wbacl_xx)")
        }
        return HandlingStatuses(statuses: collector.statuses)
    }

    /// Collects `Wbacl_xx` records; the first malformed one is the problem reported.
    private final class Collector: NSObject, XMLParserDelegate {
        var statuses: [Status] = []
        var problem: String?
        private var fields: [String: String]?
        private var text = ""

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if name == "Wbacl_xx" { fields = [:] }
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "Wbacl_xx", let record = fields {
                fields = nil
                let line = parser.lineNumber
                guard let idText = record["Id"], let id = Int(idText), (1...999).contains(id) else {
                    if problem == nil { problem = "\(line): Wbacl_xx/Id: \(record["Id"] ?? "missing"), not a status id (1…999)" }
                    return
                }
                guard let status = record["Ztmc"], !status.isEmpty else {
                    if problem == nil { problem = "\(line): Wbacl_xx/Ztmc: missing" }
                    return
                }
                statuses.append(Status(id: id, name: status, note: record["Bz"], valid: record["Sfyx"] != "0"))
            } else if fields != nil {
                fields?[name] = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            text = ""
        }
    }
}
