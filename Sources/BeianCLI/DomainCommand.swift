import ArgumentParser
import BeianCore
import Foundation

struct DomainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain",
        abstract: "Normalise domain names and show their independent domain (独立域名).",
        discussion: """
            For each name prints, tab-separated: the name as given, its lookup form (lowercase \
            A-labels), its Unicode form, its independent domain and its public suffix (`-` when the \
            name is itself a public suffix). Names come from the arguments or, with --file, one per \
            line (`-` is standard input); bad names are reported on standard error with the reason.
            """
    )

    @Argument(help: "Domain names.")
    var names: [String] = []

    @Option(help: "Read names from this file, one per line.")
    var file: String?

    @OptionGroup var suffixes: PublicSuffixFlags

    func run() throws {
        let list = try suffixes.load()
        var output = ""
        var refused = 0
        var lineNumber = 0
        func handle(_ text: String, where location: String) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return }
            do {
                let name = try DomainName(trimmed)
                let independent = list.independentDomain(of: name)?.ascii ?? "-"
                output += "\(trimmed)\t\(name.ascii)\t\(name.unicode)\t\(independent)\t\(list.publicSuffix(of: name))\n"
            } catch {
                refused += 1
                printError("\(location): \(error.reason)")
            }
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        for name in names { handle(name, where: "argument") }
        if let file {
            let bytes = try InputFile.open(file).readAll(limit: 1 << 30)
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                handle(String(line), where: "\(file):\(lineNumber)")
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        if refused > 0 { printError("domain: \(refused) name(s) refused") }
    }
}

/// Where the Public Suffix List comes from and which sections count.
struct PublicSuffixFlags: ParsableArguments {
    @Option(help: "Public Suffix List file (default: Debian's /usr/share/publicsuffix/public_suffix_list.dat).")
    var psl: String?

    @Flag(help: "Count the private section of the list too (customer sub-domains of clouds become independent domains).")
    var pslPrivate = false

    func load() throws -> PublicSuffixList {
        do {
            return try PublicSuffixList.load(path: psl, policy: pslPrivate ? .all : .icann)
        } catch {
            throw ValidationError(error.reason)
        }
    }
}
