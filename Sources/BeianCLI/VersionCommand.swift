import ArgumentParser
import BeianCapture
import BeianGeo

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the versions of beian and the libraries it uses."
    )

    func run() {
        print("beian \(BeianVersion.current)")
        print(PcapLibrary.version)
        print("libmaxminddb \(MaxMindLibrary.version)")
    }
}

enum BeianVersion {
    static let current = "0.1.0"
}
