import BeianTestSupport
import Foundation
import Testing

/// The progress line of `index build` and `registry validate`: on a terminal (a pseudo-terminal
/// made by `script`), what is read, records, MB/s and the stages; nothing when standard error
/// is not a terminal.
@Suite struct ProgressTests {
    let registry = Fixtures.packageRoot.appendingPathComponent("Datasets/sample/registry/jsonl/registry.jsonl").path

    /// Runs `arguments` under a pseudo-terminal; what the terminal showed.
    func onATerminal(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let command = ([Tool.productsDirectory.appendingPathComponent("beian").path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process.arguments = ["-qec", command, "/dev/null"]
        process.environment = ProcessInfo.processInfo.environment.merging(["BEIAN_PROGRESS_AFTER": "0"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func aTerminalSeesWhatIsReadAndAPipeNothing() throws {
        let index = try Fixtures.temporaryDirectory().appendingPathComponent("p.beianidx").path
        let shown = try onATerminal(["index", "build", registry, "-o", index])
        #expect(shown.contains("reading registry.jsonl (1/1): "), "\(shown)")
        #expect(shown.contains(" records"))
        #expect(shown.contains("building the index: sites, access records and domains"))
        let validated = try onATerminal(["registry", "validate", registry])
        #expect(validated.contains("reading registry.jsonl (1/1): "))

        // Standard error a pipe: nothing, even with no delay asked.
        let process = Process()
        process.executableURL = Tool.productsDirectory.appendingPathComponent("beian")
        process.arguments = ["index", "build", registry, "-o", index]
        process.environment = ProcessInfo.processInfo.environment.merging(["BEIAN_PROGRESS_AFTER": "0"]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!said.contains("reading ") && !said.contains("\r"), "\(said)")
    }
}
