import ArgumentParser
import ReproCore
import ReproSystem

/// `repro toolchain`: fetch, verify, list and pack pinned toolchains.
struct ToolchainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toolchain",
        abstract: "Fetch, verify, list and pack pinned toolchains.",
        subcommands: []
    )
}
