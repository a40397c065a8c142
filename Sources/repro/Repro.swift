import ArgumentParser
import Foundation
import ReproCore

/// The `repro` command: reproducible-build sandbox runner.
struct Repro: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repro",
        abstract: "Run builds in a Linux namespace sandbox and certify that they are reproducible.",
        discussion: """
            Exit status:
            \(ExitStatus.allCases.map { "  \($0.rawValue)  \($0.summary)" }.joined(separator: "\n"))
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
        ]
    )
}


@main
enum Main {
    static func main() {
        do {
            // `repro run` spelled plainly skips building the whole argument parser, most of the
            // start-up time of a sandbox run; anything else goes through ArgumentParser.
            let arguments = CommandLine.arguments.dropFirst()
            if arguments.first == "run", let request = RunRequest(plainArguments: arguments.dropFirst()), request.problem == nil {
                try request.execute()
            }
            var command = try Repro.parseAsRoot()
            try command.run()
        } catch let error as ReproError {
            Console.error(error.message)
            exit(error.status.rawValue)
        } catch {
            Repro.exit(withError: error)
        }
    }
}
