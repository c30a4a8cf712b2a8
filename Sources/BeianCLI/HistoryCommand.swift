import ArgumentParser
import BeianCore
import BeianHistory
import BeianIndex
import BeianReport
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
        run.sitesChecked = result.sitesChecked
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
        abstract: "Runs recorded in a findings history, and their findings: new, persisting, resolved, handled.",
        discussion: """
            `beian scan … --history FILE` records each run (its inputs and their digests, the \
            index, scope, coverage, the time its observations span) and merges its findings by \
            kind, independent domain and address. A finding is new when first seen (or seen \
            again after it was resolved), persisting when seen again, resolved when a later run \
            whose coverage holds its address (and whose scope includes its provider) did not \
            see it, handled when a handling result was recorded for an unfiled site \
            (`beian history handle`) and no run saw it since. A run without coverage resolves \
            nothing.
            """,
        subcommands: [
            HistoryListCommand.self, HistoryShowCommand.self, HistoryDiffCommand.self, HistoryFindingsCommand.self,
            HistoryHandleCommand.self,
        ]
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
            "sites_checked": .object(JSONObject(sitesChecked.mapValues { JSONValue($0) })),
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

    @Option(parsing: .upToNextOption, help: "Only findings in these states: new, persisting, resolved, handled.")
    var state: [String] = []

    @OptionGroup var options: HistoryOptions

    func validate() throws {
        for name in state where FindingsHistory.State(rawValue: name) == nil {
            throw ValidationError("--state: new, persisting, resolved or handled (not \(name))")
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

struct HistoryHandleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handle",
        abstract: "Record handling results for unfiled sites (what an access provider did about each).",
        discussion: """
            One result (--domain, --status, optionally --address, --opinion, --at) or a CSV file \
            of them (--import: the handling report's CSV with 处理结果ID, 处理意见, 处理时间 filled \
            in, or any file whose header names 域名/domain and 处理结果ID/status). The status is an \
            id of the registry's handling-status table (JCDM Wbacl_dms, from --codes). The \
            site's open unfiled-site findings become `handled`; a later run that sees the site \
            again makes them `persisting` (the result is kept). A result for a domain the history \
            has no unfiled-site finding for is refused and named. All results of one command are \
            recorded in one transaction.
            """
    )

    @OptionGroup var options: HistoryOptions

    @Option(help: "The unfiled site's (independent) domain.")
    var domain: String?

    @Option(help: "Only the site at this address (default: every address it was seen on).")
    var address: String?

    @Option(help: "The handling status id (处理结果, from the handling-status table).")
    var status: Int?

    @Option(help: "The handling opinion (处理意见; default: the status's name).")
    var opinion: String?

    @Option(help: "When it was handled (a date or time; China time without a zone; default: now).")
    var at: String?

    @Option(name: .customLong("import"), help: "A CSV file of handling results.", completion: .file())
    var importFile: String?

    @Option(help: "The registry's code table (codes.xml with JCDM Wbacl_dms): statuses are checked against it.", completion: .file())
    var codes: String

    func validate() throws {
        guard (importFile == nil) != (domain == nil) else { throw ValidationError("give --domain and --status, or --import FILE") }
        if domain != nil && status == nil { throw ValidationError("--status: the handling status id") }
        if let status, !(1...999).contains(status) { throw ValidationError("--status: 1 to 999") }
        if let opinion, opinion.isEmpty || opinion.count > HandlingImport.maximumOpinionCharacters {
            throw ValidationError("--opinion: 1 to \(HandlingImport.maximumOpinionCharacters) characters")
        }
    }

    func run() throws {
        let statuses: HandlingStatuses
        do { statuses = try HandlingStatuses.read(path: codes) } catch { throw CommandFailure("\(error)") }
        let now = Timestamp.now.secondsSince1970
        var results: [FindingsHistory.Handling] = []
        var rejected = 0
        if let importFile {
            guard let size = (try? FileManager.default.attributesOfItem(atPath: importFile))?[.size] as? Int,
                size <= HandlingImport.maximumFileBytes, let data = FileManager.default.contents(atPath: importFile)
            else { throw CommandFailure("\(importFile): cannot be read (or larger than \(HandlingImport.maximumFileBytes) bytes)") }
            let parsed: HandlingImport
            do { parsed = try HandlingImport(bytes: Array(data), name: importFile, statuses: statuses, now: now) } catch {
                throw CommandFailure("\(error)")
            }
            for (line, reason) in parsed.rejected { printError("\(importFile):\(line): \(reason)") }
            if parsed.skipped > 0 { printError("\(importFile): \(parsed.skipped) row(s) not handled yet (no status, or 未处理) skipped") }
            results = parsed.results
            rejected = parsed.rejected.count
        } else if let domain, let status {
            guard let name = try? DomainName(domain) else { throw CommandFailure("--domain: \(domain) is not a domain name") }
            guard statuses.status(status) != nil else {
                throw CommandFailure("--status: \(status) is not in the handling-status table of \(codes)")
            }
            var address: String?
            if let text = self.address {
                guard let parsed = try? IPAddress.parse(text) else { throw CommandFailure("--address: \(text) is not an IP address") }
                address = parsed.description
            }
            var handledAt = now
            if let at {
                guard let parsed = try? Timestamp.parse(at) else { throw CommandFailure("--at: \(at) is not a date or time") }
                handledAt = parsed.secondsSince1970
            }
            let text = opinion ?? statuses.status(status)?.name ?? String(status)
            results = [
                FindingsHistory.Handling(
                    domain: name.description, address: address, status: status, opinion: text, handledAt: handledAt, source: "command")
            ]
        }
        let history = try options.open()
        let outcome: (recorded: Int, unknown: [FindingsHistory.Handling])
        do { outcome = try history.handle(results) } catch { throw CommandFailure("\(error)") }
        for result in outcome.unknown {
            printError(
                "\(result.source): \(result.domain)\(result.address.map { " at \($0)" } ?? ""): no unfiled-site finding in the history")
        }
        printError("handle: \(outcome.recorded) result(s) recorded, \(outcome.unknown.count + rejected) refused")
        if outcome.unknown.count + rejected > 0 { throw ExitCode(1) }
    }
}
