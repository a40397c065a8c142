import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// `repro init`: writes a commented `repro.toml` for a project directory.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented repro.toml for a project directory.",
        discussion: """
            \(HelpText.examples([
                "Write repro.toml in the current directory and ignore .repro/ in git:": "repro init --gitignore",
                "Write one for another project, building with the Debian base toolchain:": "repro init ~/src/hello --toolchain debian-bookworm-build",
            ]))
            """
    )

    @Argument(help: "The project directory.")
    var directory: String = "."

    @Option(name: .long, help: "Toolchain names for build.toolchains (repeatable).")
    var toolchain: [String] = []

    @Flag(name: .long, help: "Replace an existing repro.toml.")
    var force = false

    @Flag(name: .long, help: "Add .repro/ (repro's logs, outputs and manifest) to the project's .gitignore.")
    var gitignore = false

    func run() throws {
        let path = directory.appendingPathPart("repro.toml")
        if InitFiles.exists(path), !force {
            if gitignore { return try ignoreState() }
            throw ReproError.configuration("\(path) already exists; edit it, or pass --force to replace it.")
        }
        let guess = ProjectDefaults.guess(projectDir: directory)
        let toolchains = toolchain.isEmpty ? [ProjectDefaults.toolchain] : toolchain
        let text = ProjectConfig.template(command: guess.command, outputs: guess.outputs, toolchains: toolchains)
        try InitFiles.writeConfig(text, at: path, directory: directory)
        Console.out("wrote \(path)")
        for note in guess.notes { Console.progress(note) }
        try ignoreState()
    }

    /// Adds `.repro/` to `.gitignore` with `--gitignore`, or says how when it is not there yet.
    /// The snapshot never takes `.repro/` in, so this only keeps `git status` clean.
    func ignoreState() throws {
        let path = directory.appendingPathPart(".gitignore")
        let bytes = try InitFiles.readIgnore(path)
        let existing = String(decoding: bytes, as: UTF8.self)
        let lines = existing.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }
        guard !lines.contains(where: { [".repro", ".repro/", "/.repro", "/.repro/"].contains($0) }) else { return }
        guard gitignore else {
            Console.progress(
                "repro keeps logs, outputs and the manifest in .repro/; to keep them out of git: repro init --gitignore (or echo .repro/ >> .gitignore)"
            )
            return
        }
        // The earlier bytes as they were (not necessarily UTF-8), and the line after them.
        let separator: [UInt8] = bytes.isEmpty || bytes.last == UInt8(ascii: "\n") ? [] : [UInt8(ascii: "\n")]
        try InitFiles.writeIgnore(bytes + separator + Array(".repro/\n".utf8), at: path)
        Console.out("added .repro/ to \(path)")
    }
}
