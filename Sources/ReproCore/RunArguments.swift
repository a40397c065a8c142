/// What `repro run` is asked to do, as plain values: filled by swift-argument-parser
/// (`RunCommand`), or for a plainly spelled command line by ``init(plainArguments:)``, which
/// skips building the argument parser, most of the start-up time of a sandbox run (2 to 3 ms of
/// reflection and protocol-conformance lookups; docs/benchmarks.md).
///
/// The options are declared once, in ``Option``: `RunCommand` takes each option's name from it,
/// and a test compares the table with the parser's own description of `repro run`
/// (`--experimental-dump-help`), so the two readings cannot drift apart.
public struct RunArguments: Sendable, Equatable {
    /// Pinned toolchains (names or spec paths), fetched through the cache.
    public var toolchainSpecs: [String] = []
    /// The cache directory (nil: the default).
    public var cache: String?
    /// Unpacked trees, `HOST_DIR[:MOUNT]`.
    public var trees: [String] = []
    /// A built-in profile name or a path to a `.toml` file.
    public var profile = "default"
    /// Read-only binds, `HOST:DEST`.
    public var bindReadOnly: [String] = []
    /// Writable binds, `HOST:DEST`.
    public var bindWritable: [String] = []
    /// The working directory inside the sandbox.
    public var workdir = SandboxLayout.workDirectory
    /// The timeout in seconds (0: none; nil: the profile's).
    public var timeout: Int?
    /// Extra environment, `NAME=VALUE`.
    public var environment: [String] = []
    /// Whether the command reads the caller's stdin (else /dev/null).
    public var stdin = false
    /// Where to write the isolation achieved, as JSON.
    public var isolationReport: String?
    /// Sandbox paths to copy out after the command, `SANDBOX_PATH:HOST_PATH`.
    public var copyOut: [String] = []
    /// The command and its arguments (after `--`).
    public var command: [String] = []

    /// Creates the defaults.
    public init() {}

    /// `repro run`'s options, by long name.
    public enum Option: String, CaseIterable, Sendable {
        case toolchain, cache, tree, profile
        case bindReadOnly = "bind-ro"
        case bind, workdir, timeout, env, stdin
        case isolationReport = "isolation-report"
        case copyOut = "copy-out"

        /// How an option is given.
        public enum Kind: Sendable {
            /// A flag, no value.
            case flag
            /// One value.
            case single
            /// One value each time, repeatable.
            case repeated
        }

        /// How this option is given.
        public var kind: Kind {
            switch self {
            case .stdin: return .flag
            case .toolchain, .tree, .bindReadOnly, .bind, .env, .copyOut: return .repeated
            case .cache, .profile, .workdir, .timeout, .isolationReport: return .single
            }
        }

        /// Sets this option's `value` in `arguments`; false when it is no value for it.
        func apply(_ value: String, to arguments: inout RunArguments) -> Bool {
            switch self {
            case .toolchain: arguments.toolchainSpecs.append(value)
            case .tree: arguments.trees.append(value)
            case .bindReadOnly: arguments.bindReadOnly.append(value)
            case .bind: arguments.bindWritable.append(value)
            case .env: arguments.environment.append(value)
            case .copyOut: arguments.copyOut.append(value)
            case .cache: arguments.cache = value
            case .profile: arguments.profile = value
            case .workdir: arguments.workdir = value
            case .isolationReport: arguments.isolationReport = value
            case .timeout:
                guard let seconds = Int(value) else { return false }
                arguments.timeout = seconds
            case .stdin: arguments.stdin = true
            }
            return true
        }
    }

    /// Reads the arguments after `run` when they are spelled plainly: each option as
    /// `--name VALUE` or `--name=VALUE` (a value neither empty nor starting with `-`), `--stdin`,
    /// options that take one value given at most once, then `--` and the command. Anything else
    /// (help, an unknown or repeated option, a missing value, a stray argument) gives nil, and the
    /// caller lets the argument parser read the command line, with its usual messages.
    public init?(plainArguments arguments: ArraySlice<String>) {
        var seen: Set<Option> = []
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let token = arguments[i]
            i += 1
            if token == "--" {
                command = Array(arguments[i...])
                return
            }
            guard token.hasPrefix("--") else { return nil }
            var name = token.dropFirst(2)
            var value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = name[..<eq]
            }
            guard let option = Option(rawValue: String(name)) else { return nil }
            if option.kind != .repeated {
                guard seen.insert(option).inserted else { return nil }
            }
            if option.kind == .flag {
                guard value == nil else { return nil }
                _ = option.apply("", to: &self)
                continue
            }
            if value == nil, i < arguments.endIndex {
                value = arguments[i]
                i += 1
            }
            guard let value, !value.isEmpty, !value.hasPrefix("-"), option.apply(value, to: &self) else { return nil }
        }
        return nil  // no `--`
    }

    /// Why the request cannot run, in the words of a usage error; nil when it can.
    public var problem: String? {
        if command.isEmpty {
            return "Give the command after `--`, for example: repro run --tree ROOTFS -- /bin/sh -c 'make'."
        }
        if let timeout, timeout < 0 || timeout > Profile.Limits.maxTimeoutSeconds {
            return
                "--timeout must be 0 (no limit) or a positive number of seconds up to \(Profile.Limits.maxTimeoutSeconds) (seven days)."
        }
        for e in environment where !e.contains("=") || e.hasPrefix("=") {
            return "--env \(e.debugDescription) must be NAME=VALUE."
        }
        for c in copyOut where c.split(separator: ":", omittingEmptySubsequences: false).count != 2 || !c.hasPrefix("/")
        {
            return
                "--copy-out \(c.debugDescription) must be SANDBOX_PATH:HOST_PATH, for example --copy-out /build/src/dist:./dist."
        }
        for b in bindReadOnly + bindWritable where b.split(separator: ":", omittingEmptySubsequences: false).count != 2
        {
            return "--bind/--bind-ro \(b.debugDescription) must be HOST:DEST, for example --bind-ro /srv/data:/data."
        }
        return nil
    }
}
