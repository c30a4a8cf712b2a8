import ArgumentParser
import BeianCore
import BeianRegistry
import Foundation

struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Read, check and convert registry exports.",
        subcommands: [RegistryValidateCommand.self, RegistryConvertCommand.self]
    )
}

/// Options shared by the commands that read registry exports.
struct RegistryReadFlags: ParsableArguments {
    @Option(help: "Encoding of the inputs: utf-8, gb18030 (also for GBK/GB2312) or big5. Detected when not given.")
    var encoding: String?

    @Flag(help: "Stop at the first refused record and exit with status 1.")
    var strict = false

    func options() throws -> RegistryReadOptions {
        var options = RegistryReadOptions(strict: strict)
        if let encoding {
            guard let known = TextEncoding(label: encoding) else {
                throw ValidationError("unknown encoding '\(encoding)': use utf-8, gb18030 or big5")
            }
            options.encoding = known
        }
        return options
    }
}

/// Threads reading registry exports.
struct ReadThreads: ParsableArguments {
    @Option(
        help: """
            Threads reading the exports: several files at once, large JSON Lines and CSV files in \
            pieces of 32 MiB (default: the number of processors). The result does not depend on it.
            """)
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be from 1 to 256") }
    }

    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }
}

/// Writes a line to standard error.
func printError(_ text: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((text + terminator).utf8))
}

/// A failure of a command's work (not of its usage): printed as the message, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) {
        description = message
    }
}
