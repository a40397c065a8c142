import ArgumentParser
import Foundation
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

    @Option(name: .customLong("toolchain"), help: ArgumentHelp("A pinned toolchain: a name (toolchains/NAME.toml, $REPRO_TOOLCHAIN_PATH, installed) or a spec path; fetched and pin-checked through the cache; repeatable.", valueName: "SPEC"))
    var toolchainSpecs: [String] = []

    @Option(help: ArgumentHelp("The cache directory (default: $REPRO_CACHE, $XDG_CACHE_HOME/repro, ~/.cache/repro).", valueName: "DIR"))
    var cache: String?

    @Option(name: .customLong("tree"), help: ArgumentHelp("An unpacked toolchain tree, read-only at MOUNT (default /); repeatable, trees at one path are merged.", valueName: "HOST_DIR[:MOUNT]"))
    var trees: [String] = []

    @Option(help: ArgumentHelp("A built-in profile (default, strict) or a path to a .toml file (containing / or ending in .toml).", valueName: "NAME|PATH"))
    var profile: String = "default"

    @Option(name: .customLong("bind-ro"), help: ArgumentHelp("Bind a host path read-only.", valueName: "HOST:DEST"))
    var bindReadOnly: [String] = []

    @Option(name: .customLong("bind"), help: ArgumentHelp("Bind a host path read-write.", valueName: "HOST:DEST"))
    var bindWritable: [String] = []

    @Option(help: ArgumentHelp("The working directory inside the sandbox.", valueName: "DIR"))
    var workdir: String = SandboxLayout.workDirectory

    @Option(help: ArgumentHelp("Kill the whole sandbox after this many seconds (0: no limit; default: the profile's).", valueName: "SECONDS"))
    var timeout: Int?

    @Option(name: .customLong("env"), help: ArgumentHelp("Set an environment variable (added to the profile's).", valueName: "NAME=VALUE"))
    var environment: [String] = []

    @Flag(help: "Pass repro's stdin to the command (default: /dev/null).")
    var stdin = false

    @Option(name: .customLong("isolation-report"), help: ArgumentHelp("Write the isolation achieved, as JSON, to this file.", valueName: "FILE"))
    var isolationReport: String?

    @Option(name: .customLong("copy-out"), help: ArgumentHelp("After the command ends by itself, copy this sandbox file or directory to a new host path.", valueName: "SANDBOX_PATH:HOST_PATH"))
    var copyOut: [String] = []

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after `--`.")
    var command: [String] = []

    func validate() throws {
        if let problem = request.problem { throw ValidationError(problem) }
    }

    func run() throws {
        let outcome = try request.run()
        if let message = outcome.message { Console.error(message) }
        Foundation.exit(outcome.exitStatus)
    }

    /// The parsed options as the use case's request.
    var request: CommandRun {
        var request = CommandRun()
        request.toolchainSpecs = toolchainSpecs
        request.cache = cache
        request.trees = trees
        request.profile = profile
        request.bindReadOnly = bindReadOnly
        request.bindWritable = bindWritable
        request.workdir = workdir
        request.timeout = timeout
        request.environment = environment
        request.stdin = stdin
        request.isolationReport = isolationReport
        request.copyOut = copyOut
        request.command = command
        request.progress = { Console.progress($0) }
        return request
    }

    /// Parses `repro run`'s arguments (those after `run`) with this command's own parser alone,
    /// for the fast start of a sandbox: building the root command's whole tree, every
    /// subcommand's options by reflection, is most of repro's start-up time. Nil when they do not
    /// parse and validate as a plain run: then the whole parser reads the command line again,
    /// with its usual messages, help and exit status.
    static func parseAlone(_ arguments: [String]) -> RunCommand? {
        try? parse(arguments)
    }
}
