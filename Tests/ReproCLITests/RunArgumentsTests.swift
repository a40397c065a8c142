import Foundation
import ReproCore
import Testing

/// `repro run` reads a plainly spelled command line itself and leaves every other one to
/// swift-argument-parser: both ways must mean the same, and the messages must be the parser's.
@Suite(.serialized)
struct RunArgumentsTests {
    static let isRoot = geteuid() == 0

    func run(_ args: [String]) throws -> CLI.Result {
        try CLI.run(["run", "--tree", SandboxFixture.tree] + args, directory: "/tmp")
    }

    @Test("--name VALUE and --name=VALUE mean the same; the value keeps its later '='", .enabled(if: isRoot))
    func spellings() throws {
        let spaced = try run(["--env", "A=x=y", "--workdir", "/tmp", "--", "sh", "-c", "echo $A; pwd"])
        let joined = try run(["--env=A=x=y", "--workdir=/tmp", "--", "sh", "-c", "echo $A; pwd"])
        #expect(spaced.status == 0 && joined.status == 0, "\(spaced.stderr) \(joined.stderr)")
        #expect(spaced.stdout == "x=y\n/tmp\n")
        #expect(joined.stdout == spaced.stdout)
    }

    @Test("everything after -- belongs to the command, --help and --version too", .enabled(if: isRoot))
    func afterTerminator() throws {
        let r = try run(["--", "sh", "-c", "echo \"$@\"", "sh", "--help", "--version", "--tree"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "--help --version --tree\n")
    }

    @Test("other spellings get the argument parser's messages and exit status 64", .enabled(if: isRoot))
    func parserMessages() throws {
        let unknown = try run(["--no-such", "--", "true"])
        #expect(unknown.status == 64 && unknown.stderr.contains("Unknown option '--no-such'"), "\(unknown.stderr)")
        let missing = try run(["--timeout", "-1", "--", "true"])
        #expect(
            missing.status == 64 && missing.stderr.contains("Missing value for '--timeout <SECONDS>'"),
            "\(missing.stderr)")
        let negative = try run(["--timeout=-1", "--", "true"])
        #expect(
            negative.status == 64 && negative.stderr.contains("--timeout must be 0 (no limit) or a positive number"),
            "\(negative.stderr)")
        let notNumber = try run(["--timeout", "abc", "--", "true"])
        #expect(
            notNumber.status == 64 && notNumber.stderr.contains("The value 'abc' is invalid for '--timeout <SECONDS>'"),
            "\(notNumber.stderr)")
        let noCommand = try run(["--"])
        #expect(
            noCommand.status == 64 && noCommand.stderr.contains("Give the command after `--`"), "\(noCommand.stderr)")
        let badEnv = try run(["--env", "NOEQ", "--", "true"])
        #expect(badEnv.status == 64 && badEnv.stderr.contains("--env \"NOEQ\" must be NAME=VALUE."), "\(badEnv.stderr)")
        let help = try run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("OVERVIEW: Run a command in a fresh namespace sandbox."))
    }

    @Test("a repeated option is still accepted as the argument parser accepts it", .enabled(if: isRoot))
    func repeated() throws {
        let r = try run(["--profile", "strict", "--profile", "default", "--stdin", "--stdin", "--", "true"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test("the plain reader's option table is the argument parser's description of repro run")
    func optionTableMatchesTheParser() throws {
        let dump = try CLI.run(["run", "--experimental-dump-help"])
        #expect(dump.status == 0, "\(dump.stderr)")
        let root = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as! [String: Any]
        let arguments = (root["command"] as! [String: Any])["arguments"] as! [[String: Any]]
        var parser: [String: String] = [:]
        for argument in arguments {
            guard let names = argument["names"] as? [[String: Any]] else { continue }  // the command
            let long = names.compactMap { $0["kind"] as? String == "long" ? $0["name"] as? String : nil }
            #expect(long.count == 1, "\(names)")
            guard let name = long.first, name != "help", name != "version" else { continue }
            let kind =
                argument["kind"] as? String == "flag"
                ? "flag" : (argument["isRepeating"] as? Bool == true ? "repeated" : "single")
            parser[name] = kind
        }
        var table: [String: String] = [:]
        for option in RunArguments.Option.allCases {
            switch option.kind {
            case .flag: table[option.rawValue] = "flag"
            case .single: table[option.rawValue] = "single"
            case .repeated: table[option.rawValue] = "repeated"
            }
        }
        #expect(parser == table)
    }
}
