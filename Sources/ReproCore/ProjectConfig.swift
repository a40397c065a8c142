import FoundationEssentials
import Glibc

/// The project file, `repro.toml` at the project root.
///
/// ```toml
/// [build]
/// command = ["make", "-j2", "dist"]   # argv, run in the sandbox at /build/src
/// outputs = ["dist"]                  # files or dirs relative to the source root, globs allowed
/// toolchains = ["debian-bookworm-build"]
/// profile = "default"                 # optional
/// env = { FOO = "bar" }               # optional: extra variables, fixed values
/// pass_env = ["CI"]                   # optional: host variables passed through (recorded)
/// timeout = 3600                      # optional: seconds per run, else the profile's
/// checksums = "SHA256SUMS"            # optional: a sha256sum file written among the outputs
/// [source]
/// date_epoch = 1700000000             # optional; default: the last commit's committer time
/// ```
public struct ProjectConfig: Codable, Sendable, Equatable {
    /// The `[build]` table.
    public struct Build: Codable, Sendable, Equatable {
        /// The build command's argv, run in `/build/src`.
        public var command: [String]
        /// Output files or directories, relative to the source root; `*`, `?` and `[...]` globs.
        /// Empty means "every file the build created or changed".
        public var outputs: [String]
        /// Toolchain names or spec paths. A file without the key gets the default base toolchain
        /// (``ProjectDefaults/toolchain``), as a project without `repro.toml` does; `toolchains = []`
        /// asks for an empty root on purpose.
        public var toolchains: [String]
        /// Whether `toolchains` was assumed because the file does not set it (said to the user).
        public var toolchainsAssumed = false
        /// The sandbox profile name or path.
        public var profile: String?
        /// Extra environment variables with fixed values.
        public var env: [String: String]?
        /// Names of host environment variables passed through to the build.
        public var passEnv: [String]?
        /// The per-run timeout in seconds.
        public var timeout: Int?
        /// Where to write a `sha256sum -c` file of the outputs, relative to the source root (see ``SHA256Sums``).
        public var checksums: String?

        /// Creates a build table.
        public init(
            command: [String], outputs: [String], toolchains: [String], profile: String? = nil,
            env: [String: String]? = nil, passEnv: [String]? = nil, timeout: Int? = nil
        ) {
            self.command = command
            self.outputs = outputs
            self.toolchains = toolchains
            self.profile = profile
            self.env = env
            self.passEnv = passEnv
            self.timeout = timeout
        }

        enum CodingKeys: String, CodingKey {
            case command, outputs, toolchains, profile, env, timeout, checksums
            case passEnv = "pass_env"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            command = try c.decode([String].self, forKey: .command)
            outputs = try c.decodeIfPresent([String].self, forKey: .outputs) ?? []
            if let listed = try c.decodeIfPresent([String].self, forKey: .toolchains) {
                toolchains = listed
            } else {
                toolchains = [ProjectDefaults.toolchain]
                toolchainsAssumed = true
            }
            profile = try c.decodeIfPresent(String.self, forKey: .profile)
            env = try c.decodeIfPresent([String: String].self, forKey: .env)
            passEnv = try c.decodeIfPresent([String].self, forKey: .passEnv)
            timeout = try c.decodeIfPresent(Int.self, forKey: .timeout)
            checksums = try c.decodeIfPresent(String.self, forKey: .checksums)
        }
    }

    /// The `[source]` table.
    public struct Source: Codable, Sendable, Equatable {
        /// SOURCE_DATE_EPOCH when the source is not a git work tree (or to override git's).
        public var dateEpoch: Int64?

        /// Creates a source table.
        public init(dateEpoch: Int64? = nil) { self.dateEpoch = dateEpoch }

        enum CodingKeys: String, CodingKey { case dateEpoch = "date_epoch" }
    }

    /// The build settings.
    public var build: Build
    /// The source settings.
    public var source: Source

    /// Creates a project configuration.
    public init(build: Build, source: Source = Source()) {
        self.build = build
        self.source = source
    }

    enum CodingKeys: String, CodingKey { case build, source }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        build = try c.decode(Build.self, forKey: .build)
        source = try c.decodeIfPresent(Source.self, forKey: .source) ?? Source()
    }

    /// Parses and validates `repro.toml` text read from `path`.
    public static func parse(_ text: String, path: String) throws(ReproError) -> ProjectConfig {
        let config = try TOMLFile.decode(
            ProjectConfig.self, from: text, path: path,
            guide: "The keys of repro.toml are described in the README (\"The project file\").")
        try config.validate(path: path)
        return config
    }

    /// Checks values the decoder cannot: a non-empty command, relative output paths, sane numbers.
    public func validate(path: String) throws(ReproError) {
        if build.command.isEmpty || build.command[0].isEmpty {
            throw .configuration(
                "\(path): 'build.command' is empty; give the build's argv, e.g. command = [\"make\", \"dist\"].")
        }
        for output in build.outputs {
            if output.isEmpty || output.hasPrefix("/") || output.split(separator: "/").contains("..") {
                throw .configuration(
                    "\(path): output '\(output)' must be a path relative to the source root without '..', e.g. \"dist\" or \"build/*.tar.gz\"."
                )
            }
        }
        if let timeout = build.timeout, timeout <= 0 || timeout > Profile.Limits.maxTimeoutSeconds {
            throw .configuration(
                "\(path): 'build.timeout' must be a positive number of seconds up to \(Profile.Limits.maxTimeoutSeconds) (seven days), not \(timeout)."
            )
        }
        if let checksums = build.checksums, !SHA256Sums.isValidPath(checksums) {
            throw .configuration(
                "\(path): 'build.checksums' must be a file path relative to the source root without '.' or '..' components, e.g. \"SHA256SUMS\" or \"dist/SHA256SUMS\"."
            )
        }
        if let epoch = source.dateEpoch, epoch < 0 {
            throw .configuration("\(path): 'source.date_epoch' must be a Unix time of 0 or more.")
        }
        for name in build.passEnv ?? [] where name.isEmpty || name.contains("=") {
            throw .configuration("\(path): 'build.pass_env' entry '\(name)' is not a variable name.")
        }
    }

    /// The text `repro init` writes: a commented `repro.toml` for a project.
    public static func template(command: [String], outputs: [String], toolchains: [String]) -> String {
        func list(_ items: [String]) -> String {
            "["
                + items.map { "\"" + $0.replacingEvery("\\", with: "\\\\").replacingEvery("\"", with: "\\\"") + "\"" }
                .joined(separator: ", ") + "]"
        }
        return """
            # repro.toml: how `repro check` builds this project and what it certifies.

            [build]
            # The build command's argv. It runs in a sandbox at /build/src, with a clean
            # environment, SOURCE_DATE_EPOCH, TZ=UTC, LANG=C.UTF-8 and umask 022.
            command = \(list(command))
            # The outputs to certify: files or directories relative to the source root,
            # globs allowed. Leave empty to certify every file the build creates or changes.
            outputs = \(list(outputs))
            # Pinned toolchains by name (toolchains/NAME.toml, $REPRO_TOOLCHAIN_PATH, the
            # installed ones) or by path to a spec file.
            toolchains = \(list(toolchains))
            # The sandbox profile: "default" or "strict", or a path to a profile file.
            profile = "default"
            # Fixed extra environment variables, and host variables to pass through.
            # env = { MAKEFLAGS = "-j2" }
            # pass_env = []
            # Seconds each run may take (default: the profile's).
            # timeout = 3600
            # A SHA256SUMS file (sha256sum -c format) written among the certified outputs.
            # checksums = "SHA256SUMS"

            [source]
            # SOURCE_DATE_EPOCH. Default: the last commit's committer time; required when
            # the project is not a git work tree.
            # date_epoch = 1700000000

            """
    }
}
