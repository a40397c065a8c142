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
        try request.execute()
    }

    /// The parsed options as plain data.
    var request: RunRequest {
        RunRequest(toolchainSpecs: toolchainSpecs, cache: cache, trees: trees, profile: profile,
                   bindReadOnly: bindReadOnly, bindWritable: bindWritable, workdir: workdir, timeout: timeout,
                   environment: environment, stdin: stdin, isolationReport: isolationReport, copyOut: copyOut,
                   command: command)
    }

    /// The exit status of `repro run` when the timeout ends the command (as timeout(1)).
    static let timeoutStatus: Int32 = 124
}

/// What `repro run` is asked to do, as plain data: from ArgumentParser (``RunCommand``) or, for
/// the plain spelling of the command line, from ``init(plainArguments:)``, which skips building
/// the parser (most of repro's start-up time).
struct RunRequest {
    var toolchainSpecs: [String] = []
    var cache: String?
    var trees: [String] = []
    var profile = "default"
    var bindReadOnly: [String] = []
    var bindWritable: [String] = []
    var workdir = SandboxLayout.workDirectory
    var timeout: Int?
    var environment: [String] = []
    var stdin = false
    var isolationReport: String?
    var copyOut: [String] = []
    var command: [String] = []

    /// Creates a request from its parts.
    init(toolchainSpecs: [String], cache: String?, trees: [String], profile: String, bindReadOnly: [String],
         bindWritable: [String], workdir: String, timeout: Int?, environment: [String], stdin: Bool,
         isolationReport: String?, copyOut: [String], command: [String]) {
        self.toolchainSpecs = toolchainSpecs
        self.cache = cache
        self.trees = trees
        self.profile = profile
        self.bindReadOnly = bindReadOnly
        self.bindWritable = bindWritable
        self.workdir = workdir
        self.timeout = timeout
        self.environment = environment
        self.stdin = stdin
        self.isolationReport = isolationReport
        self.copyOut = copyOut
        self.command = command
    }

    /// Reads the arguments after `run` when they are spelled plainly: each option as
    /// `--name VALUE` or `--name=VALUE` (a value neither empty nor starting with `-`), `--stdin`,
    /// options that take one value given at most once, then `--` and the command. Anything else
    /// (help, an unknown or repeated option, a missing value, a stray argument) gives nil, and the
    /// caller lets ArgumentParser read the command line, with its usual messages.
    init?(plainArguments arguments: ArraySlice<String>) {
        var seen: Set<String> = []
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let token = arguments[i]
            i += 1
            if token == "--" {
                command = Array(arguments[i...])
                return
            }
            guard token.hasPrefix("--") else { return nil }
            var name = token
            var value: String?
            if let eq = token.firstIndex(of: "=") {
                name = String(token[..<eq])
                value = String(token[token.index(after: eq)...])
            }
            if name == "--stdin" {
                guard value == nil, seen.insert(name).inserted else { return nil }
                stdin = true
                continue
            }
            if value == nil, i < arguments.endIndex {
                value = arguments[i]
                i += 1
            }
            guard let value, !value.isEmpty, !value.hasPrefix("-") else { return nil }
            switch name {
            case "--toolchain": toolchainSpecs.append(value)
            case "--tree": trees.append(value)
            case "--bind-ro": bindReadOnly.append(value)
            case "--bind": bindWritable.append(value)
            case "--env": environment.append(value)
            case "--copy-out": copyOut.append(value)
            default:
                guard seen.insert(name).inserted else { return nil }
                switch name {
                case "--cache": cache = value
                case "--profile": profile = value
                case "--workdir": workdir = value
                case "--isolation-report": isolationReport = value
                case "--timeout":
                    guard let seconds = Int(value) else { return nil }
                    timeout = seconds
                default: return nil
                }
            }
        }
        return nil  // no `--`
    }

    /// Why the request cannot run, in the words of a usage error; nil when it can.
    var problem: String? {
        if command.isEmpty { return "Give the command after `--`, for example: repro run --tree ROOTFS -- /bin/sh -c 'make'." }
        if let timeout, timeout < 0 || timeout > Profile.Limits.maxTimeoutSeconds { return "--timeout must be 0 (no limit) or a positive number of seconds up to \(Profile.Limits.maxTimeoutSeconds) (seven days)." }
        for e in environment where !e.contains("=") || e.hasPrefix("=") {
            return "--env \(e.debugDescription) must be NAME=VALUE."
        }
        for c in copyOut where c.split(separator: ":", omittingEmptySubsequences: false).count != 2 || !c.hasPrefix("/") {
            return "--copy-out \(c.debugDescription) must be SANDBOX_PATH:HOST_PATH, for example --copy-out /build/src/dist:./dist."
        }
        for b in bindReadOnly + bindWritable where b.split(separator: ":", omittingEmptySubsequences: false).count != 2 {
            return "--bind/--bind-ro \(b.debugDescription) must be HOST:DEST, for example --bind-ro /srv/data:/data."
        }
        return nil
    }

    /// Runs the command in the sandbox and exits with its status (or throws a ReproError).
    func execute() throws -> Never {
        let profile = try SandboxProfiles.load(self.profile)
        var toolchains: [ToolchainMount] = []
        var toolchainEnv: [String: String] = [:]
        if !toolchainSpecs.isEmpty {
            let resolved = try ResolvedToolchains.fetch(toolchainSpecs, projectDirectory: FileManager.default.currentDirectoryPath,
                                                        cacheRoot: try CachePaths.root(explicit: cache),
                                                        progress: { Console.progress($0) })
            toolchains += resolved.mounts
            for layer in resolved.environments { toolchainEnv.merge(layer) { _, new in new } }
        }
        for tree in trees {
            let parts = tree.split(separator: ":", maxSplits: 1).map(String.init)
            let host = try Sandbox.canonicalHostPath(parts[0], what: "--tree")
            guard Sandbox.isDirectory(host) else {
                throw ReproError.configuration("--tree \(parts[0]) is not a directory; give an unpacked tree.")
            }
            toolchains.append(ToolchainMount(hostTree: host, mountPath: parts.count > 1 ? parts[1] : "/"))
        }
        var binds: [BindMount] = []
        let mapping = Sandbox.currentMapping()
        for (list, writable) in [(bindReadOnly, false), (bindWritable, true)] {
            for b in list {
                let parts = b.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                let bind = try Sandbox.bindMount(host: parts[0], dest: parts[1], writable: writable)
                if let warning = Sandbox.bindWriteWarning(bind, given: b, mapping: mapping) { Console.progress(warning) }
                binds.append(bind)
            }
        }
        var env = profile.environment.merging(toolchainEnv) { _, new in new }
        for e in environment {
            let i = e.firstIndex(of: "=")!
            env[String(e[..<i])] = String(e[e.index(after: i)...])
        }
        let spec = SandboxSpec(argv: command, profile: profile, environment: env, workdir: workdir,
                               toolchains: toolchains, binds: binds, timeoutSeconds: timeout)
        let plan = try SandboxPlan.build(spec, mapping: mapping)
        var copies: [(String, String)] = []
        for c in copyOut {
            let parts = c.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard SandboxPlan.isNormalAbsolute(parts[0]) else {
                throw ReproError.configuration("--copy-out: \(parts[0]) must be an absolute sandbox path without '.', '..' or '//'.")
            }
            if FileManager.default.fileExists(atPath: parts[1]) {
                throw ReproError.configuration("--copy-out: \(parts[1]) already exists; give a new host path.")
            }
            copies.append((parts[0], parts[1]))
        }
        // With nothing to copy out, no collect step: the sandbox ends as soon as the command does.
        let collect: ((String, Termination) throws(ReproError) -> Void)? = copies.isEmpty ? nil : { root, _ throws(ReproError) in
            for (inside, host) in copies {
                try OutputCollector.copyOut(root: root, inside: inside, to: host, limit: profile.limits.tmpfsBytes)
            }
        }
        let result = try Sandbox.run(plan, io: SandboxIO(stdin: stdin ? 0 : nil), collect: collect)
        if let path = isolationReport {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try encoder.encode(result.isolation).write(to: URL(fileURLWithPath: path)) } catch {
                throw ReproError.configuration("cannot write the isolation report to \(path): \(ReproError.reason(error)).")
            }
        }
        if let failure = result.startFailure {
            let hint = failure.hasPrefix("executing")
                ? "Check the command's path and that a tree provides it (PATH=\(env["PATH"] ?? ""))."
                : "Check --workdir and the profile's limits."
            Console.error("\(failure). \(hint)")
            Glibc.exit(127)
        }
        if result.timedOut {
            Console.error("the command did not finish within \(plan.timeoutSeconds) s; the sandbox was killed. Raise --timeout or the profile's limits.timeout_seconds.")
            Glibc.exit(RunCommand.timeoutStatus)
        }
        if let sig = result.interruptedBy {
            Console.error("interrupted by signal \(sig); the sandbox was killed.")
            Glibc.exit(128 + sig)
        }
        Glibc.exit(result.termination.shellStatus)
    }
}
