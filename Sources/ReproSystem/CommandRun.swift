import FoundationEssentials
import ReproCore

/// `repro run`'s use case: one command in a fresh sandbox, with the trees, binds and toolchains
/// asked for, and what it came to. The command line reads the arguments and prints the outcome.
public struct CommandRun {
    /// What to run, with what.
    public var arguments: RunArguments
    /// The project directory for project-local toolchain specs.
    public var projectDirectory = FileManager.default.currentDirectoryPath
    /// Called with progress lines and warnings.
    public var progress: (String) -> Void = { _ in }

    /// The exit status of `repro run` when the timeout ends the command (as timeout(1)).
    public static let timeoutStatus: Int32 = 124

    /// Creates a run of `arguments`, which must have no ``RunArguments/problem``.
    public init(_ arguments: RunArguments) { self.arguments = arguments }

    /// What came of a run.
    public enum Outcome: Equatable, Sendable {
        /// The command ended with this shell status (128+N when killed by signal N).
        case exited(Int32)
        /// The command could not be started: the sandbox step's sentence and what to check.
        case notStarted(String)
        /// The timeout (seconds) ended it.
        case timedOut(Int)
        /// Signal N to repro ended it.
        case interrupted(Int32)

        /// The exit status `repro run` ends with.
        public var exitStatus: Int32 {
            switch self {
            case .exited(let status): return status
            case .notStarted: return 127
            case .timedOut: return CommandRun.timeoutStatus
            case .interrupted(let signal): return 128 + signal
            }
        }

        /// The error line to print, if any.
        public var message: String? {
            switch self {
            case .exited: return nil
            case .notStarted(let message): return message
            case .timedOut(let seconds):
                return
                    "the command did not finish within \(seconds) s; the sandbox was killed. Raise --timeout or the profile's limits.timeout_seconds."
            case .interrupted(let signal): return "interrupted by signal \(signal); the sandbox was killed."
            }
        }
    }

    /// Runs the command in the sandbox.
    public func run() throws(ReproError) -> Outcome {
        let profile = try SandboxProfiles.load(arguments.profile)
        let (toolchains, toolchainEnv) = try mounts()
        let mapping = Sandbox.currentMapping()
        let binds = try bindMounts(mapping: mapping)
        var env = profile.environment.merging(toolchainEnv) { _, new in new }
        for e in arguments.environment {
            let i = e.firstIndex(of: "=")!
            env[String(e[..<i])] = String(e[e.index(after: i)...])
        }
        let spec = SandboxSpec(
            argv: arguments.command, profile: profile, environment: env, workdir: arguments.workdir,
            toolchains: toolchains, binds: binds, timeoutSeconds: arguments.timeout)
        let plan = try SandboxPlan.build(spec, mapping: mapping)
        let copies = try copies()
        // With nothing to copy out, no collect step: the sandbox ends as soon as the command does.
        let collect: ((String, Termination) throws(ReproError) -> Void)? =
            copies.isEmpty
            ? nil
            : { root, _ throws(ReproError) in
                for (inside, host) in copies {
                    try OutputCollector.copyOut(root: root, inside: inside, to: host, limit: profile.limits.tmpfsBytes)
                }
            }
        let result = try Sandbox.run(plan, io: SandboxIO(stdin: arguments.stdin ? 0 : nil), collect: collect)
        if let path = arguments.isolationReport { try Self.write(result.isolation, to: path) }
        if let failure = result.startFailure {
            let hint =
                failure.hasPrefix("executing")
                ? "Check the command's path and that a tree provides it (PATH=\(env["PATH"] ?? ""))."
                : "Check --workdir and the profile's limits."
            return .notStarted("\(failure). \(hint)")
        }
        if result.timedOut { return .timedOut(plan.timeoutSeconds) }
        if let signal = result.interruptedBy { return .interrupted(signal) }
        return .exited(result.termination.shellStatus)
    }

    /// The toolchains (fetched) and trees to mount, and the toolchains' environment.
    private func mounts() throws(ReproError) -> ([ToolchainMount], [String: String]) {
        var toolchains: [ToolchainMount] = []
        var toolchainEnv: [String: String] = [:]
        if !arguments.toolchainSpecs.isEmpty {
            let resolved = try ResolvedToolchains.fetch(
                arguments.toolchainSpecs, projectDirectory: projectDirectory,
                cacheRoot: try CachePaths.root(explicit: arguments.cache), progress: progress)
            toolchains += resolved.mounts
            for layer in resolved.environments { toolchainEnv.merge(layer) { _, new in new } }
        }
        for tree in arguments.trees {
            let parts = tree.split(separator: ":", maxSplits: 1).map(String.init)
            let host = try Sandbox.canonicalHostPath(parts[0], what: "--tree")
            guard Sandbox.isDirectory(host) else {
                throw .configuration("--tree \(parts[0]) is not a directory; give an unpacked tree.")
            }
            toolchains.append(ToolchainMount(hostTree: host, mountPath: parts.count > 1 ? parts[1] : "/"))
        }
        return (toolchains, toolchainEnv)
    }

    /// The binds, read-only ones first, with a warning for each the build user cannot write.
    private func bindMounts(mapping: IDMapping) throws(ReproError) -> [BindMount] {
        var binds: [BindMount] = []
        for (list, writable) in [(arguments.bindReadOnly, false), (arguments.bindWritable, true)] {
            for b in list {
                let parts = b.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                let bind = try Sandbox.bindMount(host: parts[0], dest: parts[1], writable: writable)
                if let warning = Sandbox.bindWriteWarning(bind, given: b, mapping: mapping) { progress(warning) }
                binds.append(bind)
            }
        }
        return binds
    }

    /// The `--copy-out` pairs (sandbox path, new host path), checked.
    private func copies() throws(ReproError) -> [(String, String)] {
        var copies: [(String, String)] = []
        for c in arguments.copyOut {
            let parts = c.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard SandboxPlan.isNormalAbsolute(parts[0]) else {
                throw .configuration(
                    "--copy-out: \(parts[0]) must be an absolute sandbox path without '.', '..' or '//'.")
            }
            if FileManager.default.fileExists(atPath: parts[1]) {
                throw .configuration("--copy-out: \(parts[1]) already exists; give a new host path.")
            }
            copies.append((parts[0], parts[1]))
        }
        return copies
    }

    /// Writes the isolation report as pretty JSON.
    private static func write(_ isolation: IsolationReport, to path: String) throws(ReproError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(isolation) } catch {
            throw .configuration("cannot write the isolation report to \(path): \(error).")
        }
        try AtomicFile.write(Array(data), to: path) { e in
            .configuration("cannot write the isolation report to \(path): \(e.text).", errno: e.code)
        }
    }
}
