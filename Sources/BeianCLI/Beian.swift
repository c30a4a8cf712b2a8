import ArgumentParser

@main
struct Beian: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beian",
        abstract: "Finds websites that break the ICP filing (备案) rules.",
        discussion: """
            beian reads the filing system's registry exports (ICP filings, IP filings, domain \
            registrations, blacklists) and checks traffic, logs and homepages against them.
            """,
        version: BeianVersion.current,
        subcommands: [
            RegistryCommand.self, IndexCommand.self, LookupCommand.self, CheckRegistryCommand.self, DomainCommand.self,
            PrefixesCommand.self, ExtractCommand.self, ScanCommand.self, MergeCommand.self, HistoryCommand.self, ReportCommand.self,
            WatchCommand.self,
            ServeCommand.self,
            HomepagesCommand.self,
            CrawlCommand.self,
            VersionCommand.self,
        ]
    )
}

enum BeianVersion {
    static let current = "0.1.0"
}
