import BeianCore
import Foundation

/// Writes records as CSV (one file per kind, UTF-8) or JSON Lines, in the shapes the readers
/// read. Personal columns are left empty unless asked for.
public final class RegistryWriter {
    public enum Format: String, Sendable, CaseIterable {
        case csv
        case jsonl
    }

    public let format: Format
    public let includePersonal: Bool
    private let output: (String) throws -> Void
    private var wroteHeader = false
    private var csvKind: RecordKind?

    /// A writer that hands each line (with its newline) to `output`. A CSV writer takes
    /// records of one kind only (CSV files hold one kind each).
    public init(format: Format, includePersonal: Bool = false, output: @escaping (String) throws -> Void) {
        self.format = format
        self.includePersonal = includePersonal
        self.output = output
    }

    public func write(_ record: RegistryRecord) throws {
        let row = RowEncoder.encode(record, includePersonal: includePersonal)
        let columns = RegistrySchema.columns(of: row.kind)
        let values = RowEncoder.columnValues(row)
        switch format {
        case .jsonl:
            var line = "{\"kind\":\(RegistryWriter.json(row.kind.rawValue))"
            for (column, values) in zip(columns, values) where !values.isEmpty {
                line += ",\(RegistryWriter.json(column.name)):"
                if column.isList {
                    line += "[" + values.map { RegistryWriter.jsonValue($0, column: column) }.joined(separator: ",") + "]"
                } else {
                    line += RegistryWriter.jsonValue(values[0], column: column)
                }
            }
            try output(line + "}\n")
        case .csv:
            if let csvKind, csvKind != row.kind {
                throw RegistryWriterError(message: "a CSV file holds one record kind: \(row.kind.rawValue) after \(csvKind.rawValue)")
            }
            if !wroteHeader {
                wroteHeader = true
                csvKind = row.kind
                try output(columns.map(\.name).joined(separator: ",") + "\r\n")
            }
            try output(values.map { RegistryWriter.csvField($0.joined(separator: ";")) }.joined(separator: ",") + "\r\n")
        }
    }

    /// Ids and codes are JSON numbers, everything else strings.
    private static func jsonValue(_ value: String, column: Column) -> String {
        if column.isInteger, !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), value.utf8.count < 19 {
            return value
        }
        return json(value)
    }

    static func json(_ text: String) -> String { JSONText.quoted(text) }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || text.hasPrefix(" ") || text.hasSuffix(" ")
        else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

public struct RegistryWriterError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
