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
    public var workdir: String = SandboxLayout.workDirectory
    /// `HOME` inside the sandbox.
    public var home: String = SandboxLayout.homeDirectory
    /// `TMPDIR` inside the sandbox.
    public var tmpdir: String = SandboxLayout.tmpDirectory
    /// `LANG` and `LC_ALL`.
    public var locale: String = SandboxLayout.locale
    /// `TZ`.
    public var timeZone: String = SandboxLayout.timeZone
    /// The umask of the build.
    public var umask: UInt32 = SandboxLayout.umask
    /// The host name and NIS domain name.
    public var hostname: String = SandboxLayout.hostname
    /// The build user's name, uid and gid.
    public var user: String = SandboxLayout.builderName
    /// The build user's uid.
    public var uid: UInt32 = SandboxLayout.builderID
    /// The build user's gid.
    public var gid: UInt32 = SandboxLayout.builderID
    /// The source commit's release metadata, when the source is a git work tree with a commit.
    public var git: GitMetadata?

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
        (git?.environment ?? [:]).merging([
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
        ]) { _, new in new }
    }

    /// The build's whole environment: the profile's, then the toolchains' `[env]`, then the
    /// project's fixed `env`, then the passed-through host variables, then repro's fixed values;
    /// a later layer wins. Nothing else from the host is present.
    public func environment(
        toolchains: [[String: String]], profile: [String: String],
        project: [String: String], passed: [String: String]
    ) -> [String: String] {
        var env: [String: String] = ["PATH": SandboxLayout.searchPath]
        env.merge(profile) { _, new in new }
        for layer in toolchains { env.merge(layer) { _, new in new } }
        env.merge(project) { _, new in new }
        env.merge(passed) { _, new in new }
        env.merge(fixedEnvironment) { _, new in new }
        return env
    }

    /// The values as strings, for the report and the provenance's `internalParameters`.
    public var values: [String: String] {
        (git?.values ?? [:]).merging([
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
        ]) { _, new in new }
    }
}

/// The release metadata of the source's commit, computed on the host (the sandbox sees no `.git`)
/// and given to every run as `REPRO_GIT_*` variables: what a release build takes from
/// `git describe` and `git rev-parse`, fixed for the check like `SOURCE_DATE_EPOCH`.
public struct GitMetadata: Codable, Sendable, Equatable {
    /// The full commit id (`git rev-parse HEAD`).
    public var commit: String
    /// The abbreviated commit id (`git rev-parse --short=7`: seven hex digits, more only where
    /// seven are ambiguous in the repository).
    public var shortCommit: String
    /// `git describe --tags --always --abbrev=7` of the commit: `v1.4.2`, `v1.4.2-3-gabc1234`,
    /// or the abbreviated id when no tag is reachable; without the `-dirty` suffix.
    public var describe: String
    /// The tag naming exactly the commit (`git describe --tags --exact-match`), if any.
    public var tag: String?
    /// Whether the snapshot differs from the commit's files (uncommitted changes to tracked files).
    public var dirty: Bool

    /// Creates the metadata.
    public init(commit: String, shortCommit: String, describe: String, tag: String?, dirty: Bool) {
        self.commit = commit
        self.shortCommit = shortCommit
        self.describe = describe
        self.tag = tag
        self.dirty = dirty
    }

    /// `git describe --tags --always --dirty`: ``describe``, with `-dirty` when the snapshot is.
    public var describeDirty: String { dirty ? describe + "-dirty" : describe }

    /// The tag, when the snapshot is exactly the tagged commit's files: a build of a dirty
    /// checkout is not the tag's release.
    public var releaseTag: String? { dirty ? nil : tag }

    /// `REPRO_GIT_COMMIT`, `REPRO_GIT_COMMIT_SHORT`, `REPRO_GIT_DESCRIBE` and, for a clean tagged
    /// checkout, `REPRO_GIT_TAG`.
    public var environment: [String: String] {
        var env = [
            "REPRO_GIT_COMMIT": commit, "REPRO_GIT_COMMIT_SHORT": shortCommit, "REPRO_GIT_DESCRIBE": describeDirty,
        ]
        if let releaseTag { env["REPRO_GIT_TAG"] = releaseTag }
        return env
    }

    /// The values for the report and the provenance: `git_commit`, `git_commit_short`,
    /// `git_describe` and `git_tag` (when set).
    public var values: [String: String] {
        var values = ["git_commit": commit, "git_commit_short": shortCommit, "git_describe": describeDirty]
        if let releaseTag { values["git_tag"] = releaseTag }
        return values
    }
}
