import ArgumentParser

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Operate Vigil, the verification plane for blob storage.",
        discussion: "Each subcommand has its own --help.",
        subcommands: [Migrate.self, Dev.self, Put.self, Get.self, Load.self, PutFile.self, GetFile.self, Trash.self, Drain.self, GateCommand.self, Findings.self, StatusCommand.self, Nodes.self, Zone.self, DRTCommand.self, ChaosCommand.self, DurabilityCommand.self])
}
