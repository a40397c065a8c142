import Foundation
import ReproCore

/// The options of one `repro check`.
public struct CheckOptions: Sendable {
    /// The project directory.
    public var projectDir: String
    /// How many times to build (2 or more).
    public var runs: Int = 2
    /// Run the builds at once instead of one after another.
    public var parallel = false
    /// Where to keep every run's output tree (`DIR/run-N`), if anywhere.
    public var keepDir: String?
    /// Where to place the certified outputs (default `.repro/out` in the project).
    public var outputDir: String?
    /// Where the caller will write the manifest, checked before anything is built.
    public var manifestPath: String?
    /// The cache root.
    public var cacheDir: String
    /// A profile overriding `build.profile`.
    public var profile: String?
    /// An epoch overriding git's and the config's.
    public var dateEpoch: Int64?
    /// The host environment, for `pass_env`.
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Called with progress lines.
    public var progress: @Sendable (String) -> Void = { _ in }

    /// Creates options for a project directory and cache.
    public init(projectDir: String, cacheDir: String) {
        self.projectDir = projectDir
        self.cacheDir = cacheDir
    }
}

/// Everything a check produced beyond its report: what the manifest needs.
public struct CheckOutcome: Sendable {
    /// The report, as printed.
    public var report: CheckReport
    /// The project configuration used (read or assumed).
    public var config: ProjectConfig
    /// The normalization applied.
    public var normalization: Normalization
    /// The isolation achieved, from run 1.
    public var isolation: IsolationReport?
    /// Each run's output entries (nil for a run whose build failed).
    public var runEntries: [[TreeEntry]?]
    /// The toolchain archives mounted.
    public var toolchains: [ResolvedToolchains.Archive]
    /// The sandbox profile used, with the digest of its text.
    public var profileSource: ResolvedProfile
    /// A unique id of this check.
    public var invocationID: String = UUID().uuidString.lowercased()
    /// When the check started.
    public var startedOn: Date
    /// When the check finished.
    public var finishedOn: Date

    /// Removes the outputs this check placed (when its manifest cannot be written, they must not
    /// stay behind without one). Returns where they were, if anywhere.
    public func withdrawPlacedOutputs() -> String? {
        guard let placed = report.outputDir else { return nil }
        Syscalls.removeTree(placed)
        return placed
    }
}

/// `repro check`: snapshot, fetch, build N times in fresh sandboxes, compare, place, report.
public struct CheckRunner {
    /// The options.
    public let options: CheckOptions

    /// Creates a runner.
    public init(options: CheckOptions) { self.options = options }

    /// Loads `repro.toml`, or assumes defaults and says which.
    public static func loadConfig(projectDir: String) throws(ReproError) -> (ProjectConfig, [String]) {
        let path = (projectDir as NSString).appendingPathComponent("repro.toml")
        guard FileManager.default.fileExists(atPath: path) else {
            let guess = ProjectDefaults.guess(projectDir: projectDir)
            let config = ProjectConfig(build: .init(command: guess.command, outputs: guess.outputs,
                                                    toolchains: [ProjectDefaults.toolchain]))
            let notes = ["no repro.toml in \(projectDir) (run `repro init` to write one)"] + guess.notes
                + ["assumed toolchain: \(ProjectDefaults.toolchain)", "assumed profile: default"]
            return (config, notes)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .configuration("cannot read \(path): \(error.localizedDescription)")
        }
        return (try ProjectConfig.parse(text, path: path), [])
    }

    /// SOURCE_DATE_EPOCH: the command line's, else the config's, else the last commit's.
    public static func epoch(option: Int64?, config: ProjectConfig, snapshot: SourceSnapshot) throws(ReproError) -> Normalization {
        if let option { return Normalization(sourceDateEpoch: option, epochSource: .commandLine) }
        if let value = config.source.dateEpoch { return Normalization(sourceDateEpoch: value, epochSource: .config) }
        if let time = snapshot.commitTime { return Normalization(sourceDateEpoch: time, epochSource: .git) }
        throw .configuration("no SOURCE_DATE_EPOCH: the project is not a git work tree with a commit. Set it in repro.toml ([source] date_epoch = <unix time>), or pass --date-epoch, or commit the source.")
    }
}

extension CheckRunner {
    /// Compares run 1's output tree with each other run's, reading changed files to find the
    /// first differing byte (large files a chunk at a time, see ``FileComparison``) and
    /// explaining each one (``DiffEngine``, within ``DiffLimits/check`` and one deadline for all).
    static func differences(trees: [RunTree], setting: DiffSetting, limits: DiffLimits = .check) -> [Difference] {
        guard let reference = trees.first else { return [] }
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, limits.maxSeconds) * 1000))
        var result: [Difference] = []
        var explained = 0
        for (index, tree) in trees.enumerated().dropFirst() {
            for var difference in Comparison.differences(reference: reference.entries, other: tree.entries, run: index + 1) {
                let a = reference.root + "/" + difference.path, b = tree.root + "/" + difference.path
                if difference.kind == .changed, difference.explanation == nil,
                   let found = FileComparison.compare(a, b, now: setting.now), let offset = found.offset {
                    difference.firstDifference = offset
                    difference.explanation = found.explanation
                    if explained >= limits.maxFiles || ContinuousClock.now >= deadline {
                        difference.explanationTruncated = ["not explained: max_files \(limits.maxFiles) or the time limit of \(limits.maxSeconds) s was reached"]
                    } else if let file = DiffEngine.explainFile(a, b, path: difference.path, limits: limits, setting: setting, deadline: deadline) {
                        explained += 1
                        difference.findings = file.findings.map(\.brief)
                        if !file.truncated.isEmpty { difference.explanationTruncated = file.truncated }
                        if let summary = file.summary { difference.explanation = summary }
                    }
                }
                result.append(difference)
            }
        }
        return result
    }

    /// Replaces `destination` with a copy of `source`, atomically: the copy is made beside it
    /// and renamed into place, so a reader sees the old outputs or the new ones, never a mix.
    static func place(_ source: String, at destination: String) throws(ReproError) {
        let fm = FileManager.default
        let parent = (destination as NSString).deletingLastPathComponent
        let staging = parent + "/." + (destination as NSString).lastPathComponent + ".new-" + UUID().uuidString
        let old = parent + "/." + (destination as NSString).lastPathComponent + ".old-" + UUID().uuidString
        func failure(_ why: String) -> ReproError {
            .configuration("cannot place the outputs at \(destination): \(why). Check that the directory is writable, or pass --output.")
        }
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw failure(error.localizedDescription)
        }
        do throws(ReproError) {
            // Holes stay holes: a sparse output takes no more room placed than collected.
            try OutputCollector.copyTree(from: source, to: staging)
        } catch {
            Syscalls.removeTree(staging)
            throw failure(error.message)
        }
        do {
            if fm.fileExists(atPath: destination) {
                try fm.moveItem(atPath: destination, toPath: old)
            }
            try fm.moveItem(atPath: staging, toPath: destination)
            try? fm.removeItem(atPath: old)
        } catch {
            Syscalls.removeTree(staging)
            if !fm.fileExists(atPath: destination), fm.fileExists(atPath: old) { try? fm.moveItem(atPath: old, toPath: destination) }
            throw failure(error.localizedDescription)
        }
    }
}
