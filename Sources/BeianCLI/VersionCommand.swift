import ArgumentParser
import BeianCapture
import BeianCore
import BeianGeo

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the versions of beian and of the libraries and data it uses."
    )

    func run() {
        print("beian \(BeianVersion.current)")
        print(PcapLibrary.version)
        print("libmaxminddb \(MaxMindLibrary.version)")
        print("libidn2 \(DomainName.libraryVersion)")
        if let list = try? PublicSuffixList.load() {
            print("\(list) from \(PublicSuffixList.defaultLocations[0])")
        } else {
            print("public suffix list: not found (install Debian's publicsuffix package)")
        }
    }
}
