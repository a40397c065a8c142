import FoundationEssentials
import Glibc

/// The machine-readable result of `repro check --json` (schema: docs/report.md,
/// docs/schemas/check-report-v1.json).
public struct CheckReport: Codable, Sendable {
    /// The schema URI of this report format.
    public static let schemaURI = "https://repro.dev/check-report/v1"

    /// The source snapshot.
    public struct SourceInfo: Codable, Sendable {
        /// The snapshot's tree digest.
        public var digest: String
        /// How many files and symlinks the snapshot holds.
        public var files: Int
        /// Where the file set came from: `git` (tracked files) or `directory` (all files).
        public var selection: String
        /// Untracked files left out of the snapshot (git only).
        public var untrackedExcluded: Int
        /// The git commit, when the source is a git work tree.
        public var commit: String?
        /// The source's URI in provenance (`git+file://REPO@COMMIT#SUBDIR` or `file://DIR`).
        public var uri: String?

        /// Creates a source description.
        public init(digest: String, files: Int, selection: String, untrackedExcluded: Int, commit: String?) {
            self.digest = digest
            self.files = files
            self.selection = selection
            self.untrackedExcluded = untrackedExcluded
            self.commit = commit
        }

        enum CodingKeys: String, CodingKey {
            case digest, files, selection, commit, uri
            case untrackedExcluded = "untracked_excluded"
        }
    }

    /// A resolved toolchain archive.
    public struct ToolchainInfo: Codable, Sendable {
        /// The toolchain's name.
        public var name: String
        /// The archive's URL.
        public var url: String
        /// The archive's pinned SHA-256.
        public var sha256: String
        /// Where it is mounted in the sandbox.
        public var mount: String
        /// The unpacked tree's digest.
        public var treeDigest: String

        /// Creates a toolchain description.
        public init(name: String, url: String, sha256: String, mount: String, treeDigest: String) {
            self.name = name
            self.url = url
            self.sha256 = sha256
            self.mount = mount
            self.treeDigest = treeDigest
        }

        enum CodingKeys: String, CodingKey {
            case name, url, sha256, mount
            case treeDigest = "tree_digest"
        }
    }

    /// One run of the build.
    public struct Run: Codable, Sendable {
        /// 1-based run number.
        public var index: Int
        /// The build's exit status (128+N when killed by signal N).
        public var exitStatus: Int32
        /// Whether the run was stopped by the timeout.
        public var timedOut: Bool
        /// Wall-clock seconds the run took.
        public var seconds: Double
        /// The run's output tree digest, when the build succeeded.
        public var outputDigest: String?
        /// Where the run's full log is kept.
        public var log: String?
        /// Why the run failed, when it did: a non-zero exit, a signal, the timeout, or
        /// declared outputs the build did not produce.
        public var failure: String?

        /// Creates a run description.
        public init(index: Int, exitStatus: Int32, timedOut: Bool, seconds: Double, outputDigest: String?, log: String?)
        {
            self.index = index
            self.exitStatus = exitStatus
            self.timedOut = timedOut
            self.seconds = seconds
            self.outputDigest = outputDigest
            self.log = log
        }

        enum CodingKeys: String, CodingKey {
            case index, seconds, log, failure
            case exitStatus = "exit_status"
            case timedOut = "timed_out"
            case outputDigest = "output_digest"
        }
    }

    /// One certified output file.
    public struct Output: Codable, Sendable {
        /// The path relative to the source root.
        public var path: String
        /// The file's SHA-256.
        public var sha256: String
        /// The file's size in bytes.
        public var size: UInt64

        /// Creates an output description.
        public init(path: String, sha256: String, size: UInt64) {
            self.path = path
            self.sha256 = sha256
            self.size = size
        }
    }

    /// The schema URI.
    public var schema: String = CheckReport.schemaURI
    /// repro's version.
    public var reproVersion: String
    /// The verdict.
    public var verdict: Verdict
    /// The exit status `repro check` ends with.
    public var exitCode: Int32
    /// The project directory on the host.
    public var project: String
    /// The build command.
    public var command: [String]
    /// The declared outputs (empty: every file the build created or changed).
    public var outputPatterns: [String]
    /// The sandbox profile name.
    public var profile: String
    /// The SHA-256 (hex) of the profile's TOML text.
    public var profileSHA256: String?
    /// The source snapshot.
    public var source: SourceInfo
    /// The toolchains.
    public var toolchains: [ToolchainInfo]
    /// The normalization applied to every run.
    public var normalization: [String: String]
    /// What repro assumed for lack of configuration.
    public var assumptions: [String]
    /// The runs.
    public var runs: [Run]
    /// The certified output tree digest (reproducible only).
    public var outputDigest: String?
    /// The certified output files (reproducible only).
    public var outputs: [Output]
    /// What differs between runs (differ only).
    public var differences: [Difference]
    /// Where the certified outputs were placed (reproducible only).
    public var outputDir: String?
    /// Where the runs' output trees were kept, if they were.
    public var keptRuns: String?
    /// Where the signed manifest was written, if it was.
    public var manifest: String?
    /// Whether the manifest is signed.
    public var manifestSigned: Bool?

    /// Creates a report.
    public init(
        reproVersion: String, verdict: Verdict, exitCode: Int32, project: String, command: [String],
        outputPatterns: [String], profile: String, source: SourceInfo, toolchains: [ToolchainInfo],
        normalization: [String: String], assumptions: [String], runs: [Run]
    ) {
        self.reproVersion = reproVersion
        self.verdict = verdict
        self.exitCode = exitCode
        self.project = project
        self.command = command
        self.outputPatterns = outputPatterns
        self.profile = profile
        self.source = source
        self.toolchains = toolchains
        self.normalization = normalization
        self.assumptions = assumptions
        self.runs = runs
        self.outputs = []
        self.differences = []
    }

    enum CodingKeys: String, CodingKey {
        case schema, verdict, project, command, profile, source, toolchains, normalization, assumptions, runs, outputs,
            differences, manifest
        case reproVersion = "repro_version"
        case exitCode = "exit_code"
        case outputPatterns = "output_patterns"
        case outputDigest = "output_digest"
        case outputDir = "output_dir"
        case keptRuns = "kept_runs"
        case manifestSigned = "manifest_signed"
        case profileSHA256 = "profile_sha256"
    }

    /// The report as pretty JSON with sorted keys.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain values cannot fail; a failure is a bug.
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self)
    }
}

extension Verdict: Codable {}

extension DifferenceKind: Codable {}
