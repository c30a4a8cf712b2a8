import ArgumentParser
import BeianCore
import BeianHistory
import BeianIndex
import BeianScan
import Crypto
import Foundation

/// Recording a scan in a findings history (`scan --history`).
enum HistoryRecording {
    static func record(
        _ result: ScanResult, started: Timestamp, inputs: [String], index path: String, loaded: RegistryIndex, rules: Judge.Settings,
        to history: String
    ) throws -> FindingsHistory.Run {
        var run = FindingsHistory.RunRecord(startedAt: started.secondsSince1970, endedAt: Timestamp.now.secondsSince1970)
        run.inputs = inputs.map { input in
            let (bytes, digest) = digestOfFile(input)
            return (input, bytes, digest)
        }
        run.indexPath = path
        run.indexBuilt = loaded.buildTime.secondsSince1970
        run.indexSources = loaded.sources
        if case .accessProvider(let unit) = rules.scope {
            run.scope = "own \(unit)"
            run.scopeUnit = unit
        }
        run.coverage = rules.coverage
        run.window = result.window
        do {
            return try FindingsHistory(path: history).record(run, findings: result.findings)
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// The size and `sha256:…` digest of a regular file (compressed files as they are on
    /// disk); nothing for directories and devices.
    static func digestOfFile(_ path: String) -> (Int64, String) {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, let handle = FileHandle(forReadingAtPath: path) else {
            return (0, "")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        var bytes: Int64 = 0
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hash.update(data: chunk)
            bytes += Int64(chunk.count)
        }
        return (bytes, "sha256:" + hash.finalize().map { String(format: "%02x", $0) }.joined())
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Runs recorded in a findings history, and their findings: new, persisting, resolved.",
        discussion: """
            `beian scan … --history FILE` records each run (its inputs and their digests, the \
            index, scope, coverage, the time its observations span) and merges its findings by \
            kind, independent domain and address. A finding is new when first seen (or seen \
            again after it was resolved), persisting when seen again, resolved when a later run \
            whose coverage holds its address (and whose scope includes its provider) did not \
            see it. A run without coverage resolves nothing.
            """,
        subcommands: [HistoryListCommand.self, HistoryShowCommand.self, HistoryDiffCommand.self, HistoryFindingsCommand.self]
    )
}

struct HistoryOptions: ParsableArguments {
    @Option(help: "The findings history (from `beian scan --history`).", completion: .file())
    var history: String

    @Flag(help: "Print JSON (one object per line).")
    var json = false

    func open() throws -> FindingsHistory {
        guard FileManager.default.fileExists(atPath: history) else { throw CommandFailure("\(history): no such history") }
        do { return try FindingsHistory(path: history) } catch { throw CommandFailure("\(error)") }
    }
}

extension FindingsHistory.Run {
    var json: JSONObject {
        var object: JSONObject = [
            "run": JSONValue(id), "started": JSONValue(Timestamp(secondsSince1970: startedAt).iso8601),
            "ended": JSONValue(Timestamp(secondsSince1970: endedAt).iso8601), "scope": JSONValue(scope),
            "coverage": JSONValue(coverage), "index": JSONValue(indexPath),
            "index_built": JSONValue(Timestamp(secondsSince1970: indexBuilt).iso8601), "inputs": JSONValue(inputs),
            "findings": JSONValue(findings), "new": JSONValue(new), "resolved": JSONValue(resolved),
        ]
        if let window {
            object["window"] = [
                "from": JSONValue(Timestamp(secondsSince1970: window.lowerBound).iso8601),
                "to": JSONValue(Timestamp(secondsSince1970: window.upperBound).iso8601),
            ]
        }
        return object
    }

    var line: String {
        let span = window.map { "\(Timestamp(secondsSince1970: $0.lowerBound)) – \(Timestamp(secondsSince1970: $0.upperBound))" }
        return
            "run \(id)  \(Timestamp(secondsSince1970: startedAt))  \(scope)  traffic \(span ?? "none")  \(findings) findings, \(new) new, \(resolved) resolved  \(inputs.count) inputs"
    }
}

extension FindingsHistory.Entry {
    var json: JSONObject {
        var object: JSONObject = [
            "kind": JSONValue(kind), "state": JSONValue(state.rawValue), "count": JSONValue(count), "runs": JSONValue(runs),
            "first_run": JSONValue(firstRun), "last_run": JSONValue(lastRun), "detail": JSONValue(detail),
        ]
        object.set("host", host)
        object.set("independent_domain", independentDomain)
        object.set("address", address)
        if let providerID { object["provider"] = ["id": JSONValue(providerID), "name": JSONValue(providerName)] }
        object.set("province", province)
        object.set("first_seen", firstSeen.map { Timestamp(secondsSince1970: $0).iso8601 })
        object.set("last_seen", lastSeen.map { Timestamp(secondsSince1970: $0).iso8601 })
        object.set("resolved_run", resolvedRun)
        return object
    }

    var line: String {
        "\(state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(kind)  \(independentDomain ?? host ?? "-")  \(address ?? "-")  ×\(count) in \(runs) runs"
    }
}

struct HistoryListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The runs recorded, oldest first.")

    @OptionGroup var options: HistoryOptions

    func run() throws {
        let history = try options.open()
        let runs: [FindingsHistory.Run]
        do { runs = try history.runs() } catch { throw CommandFailure("\(error)") }
        for run in runs { print(options.json ? run.json.text : run.line) }
    }
}

struct HistoryShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One run: what it read, the findings it saw (with their state now) and those it resolved.")

    @Argument(help: "The run's number (see `beian history list`).")
    var number: Int64

    @OptionGroup var options: HistoryOptions

    func run() throws {
        let history = try options.open()
        do {
            guard let found = try history.run(number) else { throw CommandFailure("\(options.history): no run \(number)") }
            let seen = try history.entries(seenIn: number)
            let resolved = try history.entries(resolvedBy: number)
            if options.json {
                var object = found.json
                object.set("seen", array: seen.map(\.json))
                object.set("resolved_findings", array: resolved.map(\.json))
                print(object.text)
            } else {
                print(found.line)
                for input in found.inputs { print("  input \(input)") }
                for entry in seen { print("  \(entry.line)") }
                for entry in resolved { print("  resolved here: \(entry.line)") }
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

struct HistoryDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "What two runs saw differently: findings only in the first, only in the second, in both.")

    @Argument(help: "The first run.")
    var first: Int64

    @Argument(help: "The second run.")
    var second: Int64

    @OptionGroup var options: HistoryOptions

    func run() throws {
        let history = try options.open()
        do {
            for id in [first, second] where try history.run(id) == nil {
                throw CommandFailure("\(options.history): no run \(id)")
            }
            let difference = try history.diff(first, second)
            if options.json {
                var object = JSONObject()
                object.set("first", Int64(first))
                object.set("second", Int64(second))
                object.set("only_first", array: difference.onlyFirst.map(\.json))
                object.set("only_second", array: difference.onlySecond.map(\.json))
                object.set("both", array: difference.both.map(\.json))
                print(object.text)
            } else {
                for entry in difference.onlyFirst { print("- \(entry.line)") }
                for entry in difference.onlySecond { print("+ \(entry.line)") }
                print(
                    "\(difference.onlyFirst.count) only in run \(first), \(difference.onlySecond.count) only in run \(second), \(difference.both.count) in both"
                )
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

struct HistoryFindingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "findings", abstract: "Every finding of the history as it stands now, or those in some states.")

    @Option(parsing: .upToNextOption, help: "Only findings in these states: new, persisting, resolved.")
    var state: [String] = []

    @OptionGroup var options: HistoryOptions

    func validate() throws {
        for name in state where FindingsHistory.State(rawValue: name) == nil {
            throw ValidationError("--state: new, persisting or resolved (not \(name))")
        }
    }

    func run() throws {
        let history = try options.open()
        let states = state.isEmpty ? Set(FindingsHistory.State.allCases) : Set(state.compactMap { FindingsHistory.State(rawValue: $0) })
        let entries: [FindingsHistory.Entry]
        do { entries = try history.entries(states: states) } catch { throw CommandFailure("\(error)") }
        for entry in entries { print(options.json ? entry.json.text : entry.line) }
    }
}
