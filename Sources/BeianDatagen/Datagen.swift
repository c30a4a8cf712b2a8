import ArgumentParser

@main
struct Datagen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beian-datagen",
        abstract: "Writes a consistent synthetic filing world with its ground truth."
    )
}
