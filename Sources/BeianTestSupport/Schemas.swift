import Foundation

/// The V3.0 interface's XML Schemas (`Tests/Schemas/miit-v3/`) and `xmllint --schema`.
public enum Schemas {
    /// The path of one of the interface's schemas (`download-data.xsd`, `upload-data.xsd`,
    /// `query-filing-status-response.xsd`).
    public static func path(_ name: String) -> String {
        Fixtures.packageRoot.appendingPathComponent("Tests/Schemas/miit-v3/\(name)").path
    }

    /// Validates `files` against `schema` with xmllint: whether every one validates, and what
    /// xmllint said.
    public static func validate(_ files: [String], against schema: String) throws -> (valid: Bool, messages: String) {
        let lint = Process()
        lint.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        lint.arguments = ["--noout", "--schema", path(schema)] + files
        let errors = Pipe()
        lint.standardError = errors
        lint.standardOutput = FileHandle.nullDevice
        try lint.run()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        lint.waitUntilExit()
        let validated = said.components(separatedBy: " validates").count - 1
        return (lint.terminationStatus == 0 && validated == files.count, said)
    }
}
