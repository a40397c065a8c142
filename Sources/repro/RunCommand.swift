import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// `repro run`: runs one command in the sandbox.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in a fresh namespace sandbox.",
        discussion: """
            The command runs as uid/gid 1000 ("builder") in fresh user, mount, pid, network, uts, ipc \
            and cgroup namespaces, with no capabilities, no_new_privs, the profile's seccomp filter \
            and rlimits, a loopback-only network, and only the given trees and binds visible. \
            /build/src (the working directory), /build/home and /tmp are fresh tmpfs.

            Exit status: the command's own; 128+N if it was killed by signal N (or repro by SIGINT, \
            SIGTERM or SIGHUP); 124 if the timeout ended it; 127 if it could not be started \
            (not found, not executable); 2 for bad input; 4 if the kernel refused the isolation.

            \(HelpText.examples([
                "Run a shell command in the pinned Debian base toolchain:": "repro run --toolchain debian-bookworm-build -- sh -c 'id; gcc --version'",
                "Build the current directory in an unpacked root, with a time limit:": "repro run --tree ./rootfs --bind \"$PWD:/build/src\" --timeout 600 -- make",
            ]))
            """
    )

    @Option(
        name: .customLong(Name.toolchain.rawValue),
        help: ArgumentHelp(
            "A pinned toolchain: a name (toolchains/NAME.toml, $REPRO_TOOLCHAIN_PATH, installed) or a spec path; fetched and pin-checked through the cache; repeatable.",
            valueName: "SPEC"))
    var toolchainSpecs: [String] = []

    @Option(
        name: .customLong(Name.cache.rawValue),
        help: ArgumentHelp(
            "The cache directory (default: $REPRO_CACHE, $XDG_CACHE_HOME/repro, ~/.cache/repro).", valueName: "DIR"))
    var cache: String?

    @Option(
        name: .customLong(Name.tree.rawValue),
        help: ArgumentHelp(
            "An unpacked toolchain tree, read-only at MOUNT (default /); repeatable, trees at one path are merged.",
            valueName: "HOST_DIR[:MOUNT]"))
    var trees: [String] = []

    @Option(
        name: .customLong(Name.profile.rawValue),
        help: ArgumentHelp(
            "A built-in profile (default, strict) or a path to a .toml file (containing / or ending in .toml).",
            valueName: "NAME|PATH"))
    var profile: String = "default"

    @Option(
        name: .customLong(Name.bindReadOnly.rawValue),
        help: ArgumentHelp("Bind a host path read-only.", valueName: "HOST:DEST"))
    var bindReadOnly: [String] = []

    @Option(
        name: .customLong(Name.bind.rawValue),
        help: ArgumentHelp("Bind a host path read-write.", valueName: "HOST:DEST"))
    var bindWritable: [String] = []

    @Option(
        name: .customLong(Name.workdir.rawValue),
        help: ArgumentHelp("The working directory inside the sandbox.", valueName: "DIR"))
    var workdir: String = SandboxLayout.workDirectory

    @Option(
        name: .customLong(Name.timeout.rawValue),
        help: ArgumentHelp(
            "Kill the whole sandbox after this many seconds (0: no limit; default: the profile's).",
            valueName: "SECONDS"))
    var timeout: Int?

    @Option(
        name: .customLong(Name.env.rawValue),
        help: ArgumentHelp("Set an environment variable (added to the profile's).", valueName: "NAME=VALUE"))
    var environment: [String] = []

    @Flag(name: .customLong(Name.stdin.rawValue), help: "Pass repro's stdin to the command (default: /dev/null).")
    var stdin = false

    @Option(
        name: .customLong(Name.isolationReport.rawValue),
        help: ArgumentHelp("Write the isolation achieved, as JSON, to this file.", valueName: "FILE"))
    var isolationReport: String?

    @Option(
        name: .customLong(Name.copyOut.rawValue),
        help: ArgumentHelp(
            "After the command ends by itself, copy this sandbox file or directory to a new host path.",
            valueName: "SANDBOX_PATH:HOST_PATH"))
    var copyOut: [String] = []

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after `--`.")
    var command: [String] = []

    /// The options' names: one table, which the plain reading of a command line
    /// (``RunArguments/init(plainArguments:)``) uses too.
    typealias Name = RunArguments.Option

    func validate() throws {
        if let problem = arguments.problem { throw ValidationError(problem) }
    }

    func run() throws {
        try Self.run(arguments)
    }

    /// The parsed options as plain values.
    var arguments: RunArguments {
        var arguments = RunArguments()
        arguments.toolchainSpecs = toolchainSpecs
        arguments.cache = cache
        arguments.trees = trees
        arguments.profile = profile
        arguments.bindReadOnly = bindReadOnly
        arguments.bindWritable = bindWritable
        arguments.workdir = workdir
        arguments.timeout = timeout
        arguments.environment = environment
        arguments.stdin = stdin
        arguments.isolationReport = isolationReport
        arguments.copyOut = copyOut
        arguments.command = command
        return arguments
    }

    /// Runs `arguments` (without a ``RunArguments/problem``) and exits with the command's status,
    /// or throws a ReproError.
    static func run(_ arguments: RunArguments) throws -> Never {
        var run = CommandRun(arguments)
        run.progress = { Console.progress($0) }
        let outcome = try run.run()
        if let message = outcome.message { Console.error(message) }
        Glibc.exit(outcome.exitStatus)
    }
}
