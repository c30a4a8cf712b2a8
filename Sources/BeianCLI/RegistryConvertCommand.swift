import ArgumentParser
import BeianCore
import BeianRegistry
import Foundation

struct RegistryConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Re-emit the records of registry exports as JSON Lines or CSV.",
        discussion: """
            JSON Lines go to standard output or to --output FILE. CSV holds one record kind per \
            file, so --to csv writes one file per kind (sponsor.csv, site.csv, …) into --output DIR. \
            Personal data (ID numbers, phones, e-mail, addresses, contact names) is left out unless \
            --include-personal-data is given. Refused records are reported on standard error.
            """
    )

    @Argument(help: "Registry export files.")
    var files: [String]

    @Option(help: "Output format: jsonl or csv.")
    var to: String

    @Option(name: [.short, .long], help: "Output file (jsonl; default standard output) or directory (csv).")
    var output: String?

    @Flag(help: "Also write personal data fields.")
    var includePersonalData = false

    @OptionGroup var read: RegistryReadFlags

    func validate() throws {
        guard let format = RegistryWriter.Format(rawValue: to) else { throw ValidationError("--to must be jsonl or csv") }
        if format == .csv && output == nil { throw ValidationError("--to csv writes one file per record kind: give --output DIR") }
    }

    func run() throws {
        guard let format = RegistryWriter.Format(rawValue: to) else { throw ValidationError("--to must be jsonl or csv") }
        let reader = RegistryReader(options: try read.options())
        let sinks = try OutputFiles(format: format, output: output, includePersonal: includePersonalData)
        var failed = false
        let progress = ReadingProgress(files: files)
        reader.progress = progress.reading
        for file in files {
            do {
                let report = try reader.read(file) { try sinks.write($0) }
                progress.finish()
                for issue in report.issues { printError(issue.description) }
                if report.fatal != nil { failed = true }
                let total = report.total
                printError("\(file): read \(total.read), accepted \(total.accepted), rejected \(total.rejected)")
            } catch let error as RegistryError {
                progress.finish()
                printError("beian: \(error.message)")
                failed = true
                if error.code == .strict { break }
            }
        }
        try sinks.close()
        if failed { throw ExitCode(1) }
    }
}

/// The files a conversion writes to: one for JSON Lines, one per kind for CSV, each whole or
/// absent (`AtomicOutput`): they take their names only when the conversion has finished.
final class OutputFiles {
    let format: RegistryWriter.Format
    let output: String?
    let includePersonal: Bool
    private var writers: [RecordKind: (RegistryWriter, AtomicOutput)] = [:]
    private var single: (RegistryWriter, AtomicOutput)?
    private var buffers: [ObjectIdentifier: [UInt8]] = [:]
    /// The first write that failed: the conversion stops at the next record.
    private var failure: OutputError?

    init(format: RegistryWriter.Format, output: String?, includePersonal: Bool) throws {
        self.format = format
        self.output = output
        self.includePersonal = includePersonal
        if format == .csv, let output {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        }
    }

    func write(_ record: RegistryRecord) throws {
        if let failure { throw CommandFailure(failure.description) }
        try writer(for: record.kind).write(record)
    }

    private func writer(for kind: RecordKind) throws -> RegistryWriter {
        if format == .jsonl {
            if let single { return single.0 }
            let file = try AtomicOutput(path: output)
            let writer = RegistryWriter(format: .jsonl, includePersonal: includePersonal) { [unowned self] in self.append($0, to: file) }
            single = (writer, file)
            return writer
        }
        if let existing = writers[kind] { return existing.0 }
        let path = ((output ?? ".") as NSString).appendingPathComponent("\(kind.rawValue).csv")
        let file = try AtomicOutput(path: path)
        let writer = RegistryWriter(format: .csv, includePersonal: includePersonal) { [unowned self] in self.append($0, to: file) }
        writers[kind] = (writer, file)
        return writer
    }

    private func append(_ text: String, to file: AtomicOutput) {
        let key = ObjectIdentifier(file)
        buffers[key, default: []].append(contentsOf: text.utf8)
        if let count = buffers[key]?.count, count >= 1 << 20 { flush(file) }
    }

    private func flush(_ file: AtomicOutput) {
        let key = ObjectIdentifier(file)
        guard failure == nil, let bytes = buffers[key], !bytes.isEmpty else { return }
        buffers[key] = []
        do { try file.write(bytes) } catch { failure = error }
    }

    /// Writes what is buffered and moves every file into place; after a failure none is.
    func close() throws {
        let files = [single?.1].compactMap { $0 } + writers.values.map(\.1)
        for file in files { flush(file) }
        if let failure {
            for file in files { file.abandon() }
            throw CommandFailure(failure.description)
        }
        for file in files { try OutputFile.committing(file) }
    }
}
