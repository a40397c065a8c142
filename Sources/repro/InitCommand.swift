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
        if FileManager.default.fileExists(atPath: path), !force {
            if gitignore { return try ignoreState() }
            throw ReproError.configuration("\(path) already exists; edit it, or pass --force to replace it.")
        }
        let guess = ProjectDefaults.guess(projectDir: directory)
        let toolchains = toolchain.isEmpty ? [ProjectDefaults.toolchain] : toolchain
        let text = ProjectConfig.template(command: guess.command, outputs: guess.outputs, toolchains: toolchains)
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ReproError.configuration(
                "cannot write \(path): \(ReproError.reason(error)). Check that \(directory) exists and is writable.")
        }
        Console.out("wrote \(path)")
        for note in guess.notes { Console.progress(note) }
        try ignoreState()
    }

    /// Adds `.repro/` to `.gitignore` with `--gitignore`, or says how when it is not there yet.
    /// The snapshot never takes `.repro/` in, so this only keeps `git status` clean.
    func ignoreState() throws {
        let path = directory.appendingPathPart(".gitignore")
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let lines = existing.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }
        guard !lines.contains(where: { [".repro", ".repro/", "/.repro", "/.repro/"].contains($0) }) else { return }
        guard gitignore else {
            Console.progress(
                "repro keeps logs, outputs and the manifest in .repro/; to keep them out of git: repro init --gitignore (or echo .repro/ >> .gitignore)"
            )
            return
        }
        let text = existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + ".repro/\n"
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ReproError.configuration(
                "cannot write \(path): \(ReproError.reason(error)). Add the line .repro/ to it yourself.")
        }
        Console.out("added .repro/ to \(path)")
    }
}
