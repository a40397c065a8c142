import ArgumentParser
import Foundation
import ReproCore

/// `repro init`: writes a commented `repro.toml` for a project directory.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented repro.toml for a project directory."
    )

    @Argument(help: "The project directory.")
    var directory: String = "."

    @Option(name: .long, help: "Toolchain names for build.toolchains (repeatable).")
    var toolchain: [String] = []

    @Flag(name: .long, help: "Replace an existing repro.toml.")
    var force = false

    func run() throws {
        let path = (directory as NSString).appendingPathComponent("repro.toml")
        if FileManager.default.fileExists(atPath: path), !force {
            throw ReproError.configuration("\(path) already exists; edit it, or pass --force to replace it.")
        }
        let guess = ProjectDefaults.guess(projectDir: directory)
        let toolchains = toolchain.isEmpty ? [ProjectDefaults.toolchain] : toolchain
        let text = ProjectConfig.template(command: guess.command, outputs: guess.outputs, toolchains: toolchains)
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ReproError.configuration("cannot write \(path): \(error.localizedDescription)")
        }
        Console.out("wrote \(path)")
        for note in guess.notes { Console.progress(note) }
    }
}
