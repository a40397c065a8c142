import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore

/// The `repro` command: reproducible-build sandbox runner.
struct Repro: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repro",
        abstract: "Run builds in a Linux namespace sandbox and certify that they are reproducible.",
        discussion: """
            Exit status:
            \(ExitStatus.allCases.map { "  \($0.rawValue)  \($0.summary)" }.joined(separator: "\n"))

            \(HelpText.examples([
                "Write a repro.toml, then build the project twice and compare:": "repro init && repro check",
                "Verify what a check certified:": "repro verify .repro/repro.intoto.jsonl --key builder.pub",
            ]))
            """,
        version: ReproInfo.version,
        subcommands: [
            CheckCommand.self,
            RunCommand.self,
            InitCommand.self,
            ToolchainCommand.self,
            KeygenCommand.self,
            VerifyCommand.self,
            CompareCommand.self,
            RebuildCommand.self,
            DiffCommand.self,
            VersionCommand.self,
        ]
    )
}

@main
enum Main {
    static func main() {
        // An ignored SIGCHLD survives execve: started that way, repro's children (git, the
        // sandbox's init and, through it, the build's own processes) would be reaped by the
        // kernel and every wait for them would fail. repro waits for what it starts.
        signal(SIGCHLD, SIG_DFL)
        do {
            // `repro run` spelled plainly skips building the whole argument parser, most of the
            // start-up time of a sandbox run; anything else goes through ArgumentParser.
            let arguments = CommandLine.arguments.dropFirst()
            if arguments.first == "run", let plain = RunArguments(plainArguments: arguments.dropFirst()),
                plain.problem == nil
            {
                try RunCommand.run(plain)
            }
            // `repro --version --verbose`: ArgumentParser's --version takes no options of its own.
            if arguments.count == 2, Set(arguments) == ["--version", "--verbose"] {
                Console.verbatim(VersionCommand.buildInputs())
                exit(0)
            }
            var command = try Repro.parseAsRoot()
            try command.run()
        } catch let error as ReproError {
            Console.error(error.message)
            exit(error.status.rawValue)
        } catch {
            // Help (`--help`, `repro help X`) ends with the command's examples; everything else
            // ArgumentParser prints and exits with as it does.
            if Repro.exitCode(for: error) == .success {
                let message = HelpText.examplesLast(Repro.fullMessage(for: error))
                if !message.isEmpty { Console.verbatim(message) }
                exit(0)
            }
            Repro.exit(withError: error)
        }
    }
}
