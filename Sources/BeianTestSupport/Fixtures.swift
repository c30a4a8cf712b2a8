public import Foundation

/// Helpers shared by the test targets.
public enum Fixtures {
    /// The root of the package checkout (found from this source file's location).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A new empty directory under this test process's own folder in the system's temporary
    /// directory. The folder is removed when the process exits, and folders left by test
    /// processes that died (killed, crashed) are removed by the next one, so test runs do not
    /// fill the disk with indexes and captures.
    public static func temporaryDirectory(_ label: String = "beian-test") throws -> URL {
        let url = processRoot.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `beian-tests-PID` under the temporary directory, created (and its removal at exit
    /// arranged) on first use.
    private static let processRoot: URL = {
        let temporary = FileManager.default.temporaryDirectory
        removeFoldersOfDeadProcesses(in: temporary)
        let root = temporary.appendingPathComponent("\(rootPrefix)\(getpid())")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(
                at: FileManager.default.temporaryDirectory.appendingPathComponent("\(Fixtures.rootPrefix)\(getpid())"))
        }
        return root
    }()

    private static let rootPrefix = "beian-tests-"

    private static func removeFoldersOfDeadProcesses(in temporary: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix(rootPrefix) {
            guard let pid = pid_t(name.dropFirst(rootPrefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
            }
        }
    }
}

/// Runs the built command-line tools in tests.
public enum Tool {
    /// Where SwiftPM put the built products: the directory of the running test bundle.
    public static var productsDirectory: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()]
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("beian").path) {
            return candidate
        }
        return Fixtures.packageRoot.appendingPathComponent(".build/debug")
    }

    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `name` (`beian`, `beian-datagen`) with `arguments` and collects its output.
    public static func run(_ name: String, _ arguments: [String], input: Data? = nil) throws -> Result {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent(name)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let input {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(input)
            try pipe.fileHandleForWriting.close()
        } else {
            try process.run()
        }
        // Read both pipes before waiting, so a full pipe cannot block the tool.
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self))
    }
}
