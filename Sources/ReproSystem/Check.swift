import FoundationEssentials
import Glibc
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
    /// Content-addressed mirrors tried after each toolchain source's URL (see ``Mirrors``).
    public var mirrors: [String] = []
    /// The source's location for others, overriding the `origin` remote (`--source-uri`).
    public var sourceURI: String?
    /// A checksums file path overriding `build.checksums`.
    public var checksums: String?
    /// The host environment, for `pass_env`.
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Called with progress lines.
    public var progress: @Sendable (String) -> Void = { _ in }
    /// Called with progress events: phases, unpack progress, the runs' log files.
    public var events: ProgressSink = { _ in }

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
    /// Where others can get the source (nil: the snapshot's own URI, no annotations).
    public var sourceOrigin: SourceOrigin?
    /// The build's whole environment.
    public var environment: [String: String] = [:]
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
        let path = projectDir.appendingPathPart("repro.toml")
        guard FileManager.default.fileExists(atPath: path) else {
            let guess = ProjectDefaults.guess(projectDir: projectDir)
            let config = ProjectConfig(
                build: .init(
                    command: guess.command, outputs: guess.outputs,
                    toolchains: [ProjectDefaults.toolchain]))
            let notes =
                ["no repro.toml in \(projectDir) (run `repro init` to write one)"] + guess.notes
                + ["assumed toolchain: \(ProjectDefaults.toolchain)", "assumed profile: default"]
            return (config, notes)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .configuration(
                "cannot read \(path): \(ReproError.reason(error)). repro.toml must be a readable UTF-8 text file; fix it, or remove it to let repro assume defaults."
            )
        }
        let config = try ProjectConfig.parse(text, path: path)
        let notes =
            config.build.toolchainsAssumed
            ? [
                "repro.toml sets no build.toolchains: assumed toolchain \(ProjectDefaults.toolchain) (write toolchains = [\"\(ProjectDefaults.toolchain)\"] to say so, or toolchains = [] for an empty root)"
            ]
            : []
        return (config, notes)
    }

    /// SOURCE_DATE_EPOCH: the command line's, else the config's, else the last commit's.
    public static func epoch(option: Int64?, config: ProjectConfig, snapshot: SourceSnapshot) throws(ReproError)
        -> Normalization
    {
        if let option { return Normalization(sourceDateEpoch: option, epochSource: .commandLine) }
        if let value = config.source.dateEpoch { return Normalization(sourceDateEpoch: value, epochSource: .config) }
        if let time = snapshot.commitTime { return Normalization(sourceDateEpoch: time, epochSource: .git) }
        throw .configuration(
            "no SOURCE_DATE_EPOCH: the project is not a git work tree with a commit. Set it in repro.toml ([source] date_epoch = <unix time>), or pass --date-epoch, or commit the source."
        )
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
            for var difference in Comparison.differences(
                reference: reference.entries, other: tree.entries, run: index + 1)
            {
                let a = reference.root + "/" + difference.path, b = tree.root + "/" + difference.path
                if difference.kind == .changed, difference.explanation == nil,
                    let found = FileComparison.compare(a, b, now: setting.now), let offset = found.offset
                {
                    difference.firstDifference = offset
                    difference.explanation = found.explanation
                    if explained >= limits.maxFiles || ContinuousClock.now >= deadline {
                        difference.explanationTruncated = [
                            "not explained: max_files \(limits.maxFiles) or the time limit of \(limits.maxSeconds) s was reached"
                        ]
                    } else if let file = DiffEngine.explainFile(
                        a, b, path: difference.path, limits: limits, setting: setting, deadline: deadline)
                    {
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

    /// Replaces `destination` with `source` (moved by rename(2) when both are on one file system,
    /// else copied; with `move` false always copied), atomically: the new tree is made beside it
    /// and renamed into place, so a reader sees the old outputs or the new ones, never a mix.
    static func place(_ source: String, at destination: String, move: Bool = false) throws(ReproError) {
        try place([(source, move)], named: nil, at: destination)
    }

    /// Replaces `destination` with a new directory holding each of `sources` as `run-1`,
    /// `run-2`, ... (each moved or copied as ``place(_:at:move:)`` does): what repro placed there
    /// before goes as a whole, so a directory kept by an earlier check with more runs holds no
    /// stale `run-N` afterwards.
    static func placeRuns(_ sources: [(root: String, move: Bool)], at destination: String) throws(ReproError) {
        try place(sources, named: sources.indices.map { "run-\($0 + 1)" }, at: destination)
    }

    /// Builds `destination`'s replacement beside it (`.NAME.new-UUID`, on its file system) from
    /// `sources`, the one source itself when `names` is nil, else a directory with each source
    /// under its name, and swaps it in: one `renameat2(RENAME_EXCHANGE)`, or where the file system
    /// has none, two renames through `.NAME.old-UUID`. Both temp
    /// names are recorded first (``InterruptCleanup``), so a check killed meanwhile leaves
    /// nothing the next check does not remove.
    private static func place(_ sources: [(root: String, move: Bool)], named names: [String]?, at destination: String)
        throws(ReproError)
    {
        let parent = destination.droppingLastPathPart
        let staging = InterruptCleanup.stagingName(beside: destination, "new")
        let old = InterruptCleanup.stagingName(beside: destination, "old")
        func failure(_ why: String, errno: Int32? = nil) -> ReproError {
            .configuration(
                "cannot place the outputs at \(destination): \(why). Check that the directory is writable, or pass --output.",
                errno: errno)
        }
        if case .failure(let e) = Syscalls.mkdirs(parent) { throw failure(e.text, errno: e.code) }
        InterruptCleanup.register(staging)
        InterruptCleanup.register(old)
        defer {
            InterruptCleanup.unregister(staging)
            InterruptCleanup.unregister(old)
        }
        if names != nil, case .failure(let e) = Syscalls.mkdirs(staging) { throw failure(e.text, errno: e.code) }
        for (i, (source, move)) in sources.enumerated() {
            let target = names.map { staging + "/" + $0[i] } ?? staging
            var moved = false
            if move {
                switch Syscalls.rename(source, target) {
                case .success: moved = true
                case .failure(let e) where e.code == EXDEV: break  // another file system: copied below
                case .failure(let e):
                    Syscalls.removeTree(staging)
                    throw failure(e.text, errno: e.code)
                }
            }
            if !moved {
                do throws(ReproError) {
                    // Holes stay holes: a sparse output takes no more room placed than collected.
                    try OutputCollector.copyTree(from: source, to: target)
                } catch {
                    Syscalls.removeTree(staging)
                    // Outputs that were collected but cannot be copied to the destination: the
                    // destination (an input) is at fault, whatever the copy called it.
                    throw .wrapping(
                        error, as: .configuration, message: failure(error.message, errno: error.errno).message,
                        context: .init(path: destination))
                }
                if move { Syscalls.removeTree(source) }
            }
        }
        // One atomic swap where the file system has one: a reader sees the old tree or the new
        // one, and the name never goes missing; the old tree is then at `staging`.
        if Syscalls.lstat(destination) != nil, case .success = Syscalls.exchange(staging, destination) {
            Syscalls.removeTree(staging)
            return
        }
        var moved = Syscalls.lstat(destination) == nil ? .success(0) : Syscalls.rename(destination, old)
        if case .success = moved { moved = Syscalls.rename(staging, destination) }
        if case .failure(let e) = moved {
            Syscalls.removeTree(staging)
            if Syscalls.lstat(destination) == nil, Syscalls.lstat(old) != nil { _ = Syscalls.rename(old, destination) }
            throw failure(e.text, errno: e.code)
        }
        Syscalls.removeTree(old)
    }

    /// Completes a later run's tree, which holds only what differs from run 1's, with run 1's
    /// copies of the rest (hard links where the file system allows, else copies): the kept run is
    /// then its whole tree, as collected.
    static func fill(_ tree: RunTree, from first: RunTree) throws(ReproError) {
        func failure(_ path: String, _ e: Errno) -> ReproError {
            .configuration(
                "cannot keep run outputs at \(path): \(e.text). Check that the directory is writable.", errno: e.code)
        }
        for entry in tree.entries {
            let path = tree.root + "/" + entry.path
            guard Syscalls.lstat(path) == nil else { continue }  // copied because it differs
            switch entry.kind {
            case .directory:
                if case .failure(let e) = Syscalls.mkdirs(path) { throw failure(path, e) }
            case .symlink:
                if case .failure(let e) = Syscalls.symlink(entry.target, path) { throw failure(path, e) }
            case .file:
                // Not copied: equal to run 1's file at the same path, which is there.
                let original = first.root + "/" + entry.path
                if case .failure = Syscalls.link(original, path) {
                    _ = try NewFile.copy(original, to: path) { e in failure(path, e) }
                }
            }
        }
    }

    /// The `t1:` digest of a --keep directory holding `run-1` ... `run-N` (these trees, as
    /// collected), computed from their entries; walked and read only when it holds anything else.
    static func keptDigest(_ keep: String, trees: [RunTree]) throws(ReproError) -> String {
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: keep)) ?? [])
        guard names == Set(trees.indices.map { "run-\($0 + 1)" }) else { return try TreeWalker.walk(keep).digest }
        var entries: [TreeEntry] = []
        for (index, tree) in trees.enumerated() {
            let prefix = "run-\(index + 1)"
            entries.append(.directory(prefix))
            for var entry in tree.entries {
                entry.path = prefix + "/" + entry.path
                entries.append(entry)
            }
        }
        return try TreeWalker.listing(of: entries).digest
    }
}

/// Where run 1's outputs are collected: a new directory beside the destination (so on its file
/// system, where a rename places it), removed unless it was placed.
struct OutputStaging {
    /// The directory (created by the collector).
    let path: String

    /// A staging path beside `destination`, whose parent is created if needed.
    init(destination: String) throws(ReproError) {
        let parent = destination.droppingLastPathPart
        if case .failure(let e) = Syscalls.mkdirs(parent) {
            throw .configuration(
                "cannot create \(parent) for the outputs: \(e.text). Check that the directory is writable, or pass --output.",
                errno: e.code)
        }
        path = InterruptCleanup.stagingName(beside: destination, "new")
        InterruptCleanup.register(path)
    }

    /// Removes what is left of it.
    func remove() {
        Syscalls.removeTree(path)
        InterruptCleanup.unregister(path)
    }
}

/// Run 1's output entries, handed to later runs (which may run at the same time) once known.
final class FirstRunEntries: @unchecked Sendable {
    private let condition = Condition()
    private var done = false
    private var entries: [PathKey: TreeEntry]?

    /// Makes `entries` (nil: run 1 has no outputs) known; later calls change nothing.
    func publish(_ entries: [PathKey: TreeEntry]?) {
        condition.lock()
        defer { condition.unlock() }
        guard !done else { return }
        self.entries = entries
        done = true
        condition.broadcast()
    }

    /// Waits for run 1's entries.
    func wait() -> [PathKey: TreeEntry]? {
        condition.lock()
        defer { condition.unlock() }
        while !done { condition.wait() }
        return entries
    }
}

/// Directories a check is writing outside its work area (run 1's outputs and the trees being
/// placed, beside their destinations), removed when a signal ends the check. Each is also written,
/// before it is created, to a record in the check's work area (``record``), which is locked for
/// the check's life: when the check is killed outright (SIGKILL, a crash), the next run that
/// cleans the cache's stale temp entries finds the record and removes them (see
/// ``ToolchainCache/removeStaleTemps()``).
enum InterruptCleanup {
    nonisolated(unsafe) private static var paths = Set<String>()
    nonisolated(unsafe) private static var recordPath: String?
    private static let lock = Lock()

    /// The name of the record in a work area.
    static let recordName = "placing"

    /// Records every later registered path in `workArea`'s record (nil: no longer).
    static func record(in workArea: String?) {
        lock.lock()
        recordPath = workArea.map { $0 + "/" + recordName }
        lock.unlock()
    }

    static func register(_ path: String) {
        lock.lock()
        paths.insert(path)
        if let recordPath,
            case .success(let raw) = Syscalls.open(recordPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
        {
            let fd = FileDescriptor(raw)
            _ = Syscalls.writeAll(fd.raw, Array((path + "\n").utf8))
        }
        lock.unlock()
    }

    static func unregister(_ path: String) {
        lock.lock()
        paths.remove(path)
        lock.unlock()
    }

    /// Removes every registered directory (before the process ends itself by a signal).
    static func removeAll() {
        lock.lock()
        for path in paths { Syscalls.removeTree(path) }
        paths = []
        lock.unlock()
    }

    /// A fresh temp name beside `destination` (on its file system), `.NAME.KIND-UUID`, as
    /// ``CheckRunner/place(_:at:move:)`` and ``OutputStaging`` use with KIND `new` or `old`.
    static func stagingName(beside destination: String, _ kind: String) -> String {
        destination.droppingLastPathPart + "/." + destination.lastPathPart
            + "." + kind + "-" + UUID().uuidString
    }

    /// Whether `path` has the form ``stagingName(beside:_:)`` gives: absolute, its last component
    /// `.NAME.new-UUID` or `.NAME.old-UUID`.
    static func isStagingName(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.contains("/../"), !path.hasSuffix("/..") else { return false }
        let name = path.lastPathPart
        guard name.hasPrefix("."), name.count > 42 else { return false }
        let uuid = String(name.suffix(36)), marker = name.dropLast(36).suffix(5)
        return (marker == ".new-" || marker == ".old-") && UUID(uuidString: uuid) != nil
    }

    /// Removes the paths a killed check recorded in its (stale, unlocked) work area `workArea`.
    static func removeRecorded(in workArea: String) {
        guard let text = Syscalls.readSmallFile(workArea + "/" + recordName, limit: 1 << 20) else { return }
        for line in text.split(separator: "\n") where isStagingName(String(line)) {
            Syscalls.removeTree(String(line))
        }
    }
}

extension ProjectDefaults {
    /// ``guess(has:)`` from the files in `projectDir` (stat(2), following links).
    public static func guess(projectDir: String) -> Guess {
        guess(has: { name in Syscalls.statFollowingLinks(projectDir.appendingPathPart(name)) != nil })
    }
}
