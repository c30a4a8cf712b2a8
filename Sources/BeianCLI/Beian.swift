import ArgumentParser

@main
struct Beian: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beian",
        abstract: "Finds websites that break the ICP filing (备案) rules.",
        subcommands: [VersionCommand.self]
    )
}
