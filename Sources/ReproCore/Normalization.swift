/// What every run of a check is normalized to, identically, so the build cannot depend on the
/// host: the time, the paths, the locale and time zone, the environment, the umask, the identity.
///
/// Each value has a reason, given in docs/normalization.md.
public struct Normalization: Codable, Sendable, Equatable {
    /// Where an epoch came from.
    public enum EpochSource: String, Codable, Sendable {
        /// The committer time of the source's last git commit.
        case git
        /// `source.date_epoch` in `repro.toml`.
        case config
        /// `--date-epoch` on the command line.
        case commandLine = "command-line"
    }

    /// `SOURCE_DATE_EPOCH`, never the wall clock.
    public var sourceDateEpoch: Int64
    /// Where ``sourceDateEpoch`` came from.
    public var epochSource: EpochSource
    /// The source directory inside the sandbox, whatever the host path.
    public var workdir: String = "/build/src"
    /// `HOME` inside the sandbox.
    public var home: String = "/build/home"
    /// `TMPDIR` inside the sandbox.
    public var tmpdir: String = "/tmp"
    /// `LANG` and `LC_ALL`.
    public var locale: String = "C.UTF-8"
    /// `TZ`.
    public var timeZone: String = "UTC"
    /// The umask of the build.
    public var umask: UInt32 = 0o022
    /// The host name and NIS domain name.
    public var hostname: String = "repro"
    /// The build user's name, uid and gid.
    public var user: String = "builder"
    /// The build user's uid.
    public var uid: UInt32 = 1000
    /// The build user's gid.
    public var gid: UInt32 = 1000

    /// The access and modification time, in seconds since the epoch, of every file, symlink and
    /// directory of the source snapshot in the sandbox (`/build/src` itself included):
    /// `SOURCE_DATE_EPOCH`, as `git archive` and `dpkg-source` do, never the time of the copy.
    public var sourceFileTime: Int64 { sourceDateEpoch }

    /// Creates the normalization for an epoch.
    public init(sourceDateEpoch: Int64, epochSource: EpochSource) {
        self.sourceDateEpoch = sourceDateEpoch
        self.epochSource = epochSource
    }

    /// The variables repro sets itself; they win over every other source.
    public var fixedEnvironment: [String: String] {
        [
            "SOURCE_DATE_EPOCH": String(sourceDateEpoch),
            "HOME": home,
            "TMPDIR": tmpdir,
            "PWD": workdir,
            "LANG": locale,
            "LC_ALL": locale,
            "TZ": timeZone,
            "USER": user,
            "LOGNAME": user,
            "HOSTNAME": hostname,
        ]
    }

    /// The build's whole environment: the profile's, then the toolchains' `[env]`, then the
    /// project's fixed `env`, then the passed-through host variables, then repro's fixed values;
    /// a later layer wins. Nothing else from the host is present.
    public func environment(toolchains: [[String: String]], profile: [String: String],
                            project: [String: String], passed: [String: String]) -> [String: String] {
        var env: [String: String] = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        env.merge(profile) { _, new in new }
        for layer in toolchains { env.merge(layer) { _, new in new } }
        env.merge(project) { _, new in new }
        env.merge(passed) { _, new in new }
        env.merge(fixedEnvironment) { _, new in new }
        return env
    }

    /// The values as strings, for the report and the provenance's `internalParameters`.
    public var values: [String: String] {
        [
            "source_date_epoch": String(sourceDateEpoch),
            "epoch_source": epochSource.rawValue,
            "workdir": workdir,
            "home": home,
            "tmpdir": tmpdir,
            "locale": locale,
            "tz": timeZone,
            "umask": "0" + String(umask, radix: 8),
            "hostname": hostname,
            "user": "\(user) (\(uid):\(gid))",
            "file_order": "sorted",
            "source_mtime": String(sourceFileTime),
        ]
    }
}
