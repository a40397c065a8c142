import Foundation
import ReproCore

/// One sandboxed build of a check.
struct BuildRequest {
    /// 1-based run number.
    var index: Int
    /// The steps that write the source snapshot into the sandbox.
    var workOps: [WorkOp]
    /// The build's whole environment.
    var environment: [String: String]
    /// The build command.
    var command: [String]
    /// The normalization (workdir, home, hostname, user, umask).
    var normalization: Normalization
    /// The per-run timeout in seconds, if any.
    var timeout: Int?
    /// The log file receiving the build's stdout and stderr.
    var logPath: String
}

/// One run's collected output tree.
struct RunTree {
    /// Where the outputs were copied.
    var root: String
    /// Its entries, sorted by path.
    var entries: [TreeEntry]
    /// Its `t1:` digest.
    var digest: String
}

/// The outcome of one sandboxed build.
struct BuildResult {
    /// The exit status (128+N when killed by signal N).
    var exitStatus: Int32
    /// Whether the timeout stopped it.
    var timedOut: Bool
    /// The isolation achieved.
    var isolation: IsolationReport?
}

extension CheckRunner {
    /// Runs the whole check.
    public func run() throws(ReproError) -> CheckOutcome {
        let started = Date()
        let fm = FileManager.default
        let project = options.projectDir
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: project, isDirectory: &isDir), isDir.boolValue else {
            throw .configuration("\(project) is not a directory. Pass the project directory: repro check DIR.")
        }
        let (config, assumptions) = try Self.loadConfig(projectDir: project)
        for note in assumptions { options.progress(note) }
        // A private work area in the cache's tmp/: locked while this check lives, removed when
        // it ends, and cleaned up by a later run if this process dies.
        let workArea = try TempEntry(cache: ToolchainCache(root: CachePaths.resolved(options.cacheDir)))
        let work = workArea.path

        let snapshot = try SourceSnapshot.take(projectDir: project, into: work + "/src")
        let tracked = snapshot.trackedStateFiles
        if !tracked.isEmpty {
            options.progress("warning: git tracks \(tracked.count) file\(tracked.count == 1 ? "" : "s") below .repro/ (\(tracked.prefix(3).joined(separator: ", "))\(tracked.count > 3 ? ", ..." : "")); .repro/ is repro's own, so they are ignored: they are not part of the source, and repro never takes its bookkeeping from them. Remove them from git (git rm -r --cached .repro).")
        }
        let sourceListing = try TreeWalker.walk(snapshot.root)
        options.progress("source: \(snapshot.paths.count) files (\(snapshot.selection == "git" ? "git-tracked" : "all files")\(snapshot.untrackedExcluded > 0 ? ", \(snapshot.untrackedExcluded) untracked left out" : "")), \(sourceListing.digest)")
        var normalization = try Self.epoch(option: options.dateEpoch, config: config, snapshot: snapshot)
        let setup = try prepareBuild(config: config, normalization: &normalization)
        let fixed = normalization
        let workOps = Self.workOps(for: sourceListing, root: snapshot.root, workdir: fixed.workdir, mtime: fixed.sourceFileTime)

        let logDir = try ProjectState.directory(project, "logs")
        try ProjectState.checkDestination(options.outputDir ?? project + "/.repro/out", option: "--output",
                                          project: project, cache: options.cacheDir)
        if let keep = options.keepDir {
            try ProjectState.checkDestination(keep, option: "--keep", project: project, cache: options.cacheDir)
        }
        if let manifest = options.manifestPath {
            try ProjectState.checkManifestDestination(manifest)
        }
        var runs: [CheckReport.Run] = []
        var trees: [RunTree?] = []
        var isolation: IsolationReport?
        let selection: OutputCollector.Selection = config.build.outputs.isEmpty
            ? .changedFrom(Dictionary(uniqueKeysWithValues: sourceListing.entries.compactMap { e -> (PathKey, String)? in
                switch e.kind {
                case .file: return (PathKey(e.path), e.sha256)
                case .symlink: return (PathKey(e.path), "->" + e.target)
                case .directory: return nil
                }
            }))
            : .patterns(config.build.outputs)

        let indices = Array(1...options.runs)
        let results = try runAll(indices) { index throws(ReproError) -> (CheckReport.Run, RunTree?, IsolationReport?) in
            let request = BuildRequest(index: index, workOps: workOps, environment: setup.environment,
                                       command: config.build.command, normalization: fixed,
                                       timeout: config.build.timeout, logPath: logDir + "/run-\(index).log")
            let outputRoot = work + "/runs/run-\(index)"
            let clock = Date()
            options.progress("run \(index)/\(options.runs): building")
            var collectError: ReproError?
            let result = try runBuild(request, setup: setup) { root in
                guard collectError == nil else { return }
                do throws(ReproError) {
                    try OutputCollector.collect(from: root + fixed.workdir, selection: selection, into: outputRoot,
                                                limit: setup.profile.limits.tmpfsBytes)
                } catch {
                    collectError = error
                }
            }
            let seconds = Date().timeIntervalSince(clock)
            var tree: RunTree?
            let status = result.exitStatus
            var failure: String?
            if result.timedOut {
                failure = "stopped by the timeout"
            } else if status != 0 {
                failure = status > 128 ? "killed by signal \(status - 128)" : "the build exited with status \(status)"
            } else {
                if let collectError {
                    // A build that succeeds without its declared outputs failed; anything else
                    // (an unwritable work area) is repro's environment failing.
                    guard collectError.status == .buildFailed else { throw collectError }
                    failure = collectError.message
                } else {
                    let listing = try TreeWalker.walk(outputRoot)
                    if listing.entries.allSatisfy({ $0.kind == .directory }) {
                        // Certifying nothing would pass a gate with an empty certificate.
                        failure = config.build.outputs.isEmpty
                            ? "the build produced no outputs: it created or changed no file below \(fixed.workdir). A check certifies outputs; check the build command, or name the outputs in build.outputs."
                            : "the build produced no outputs: build.outputs matched only empty directories. A check certifies outputs; check the build command and build.outputs."
                    } else {
                        tree = RunTree(root: outputRoot, entries: listing.entries, digest: listing.digest)
                    }
                }
            }
            options.progress("run \(index)/\(options.runs): \(failure ?? "exit 0") in \(String(format: "%.1f", seconds)) s\(tree.map { ", \($0.digest)" } ?? "")")
            var run = CheckReport.Run(index: index, exitStatus: status, timedOut: result.timedOut, seconds: seconds,
                                      outputDigest: tree?.digest, log: request.logPath)
            run.failure = failure
            return (run, tree, result.isolation)
        }
        for (run, tree, iso) in results {
            runs.append(run)
            trees.append(tree)
            if isolation == nil { isolation = iso }
        }

        // What the build got, including the host variables passed through by name (`pass_env`).
        var recorded = normalization.values
        for (name, value) in setup.passed { recorded["pass_env." + name] = value }
        let toolchainInfo = setup.toolchains.archives.map {
            CheckReport.ToolchainInfo(name: $0.name, url: $0.cached.source.url, sha256: $0.cached.source.sha256,
                                      mount: $0.cached.source.mount, treeDigest: $0.cached.treeDigest)
        }
        var report = CheckReport(
            reproVersion: ReproInfo.version, verdict: .reproducible, exitCode: 0, project: project,
            command: config.build.command, outputPatterns: config.build.outputs, profile: setup.profile.name,
            source: .init(digest: sourceListing.digest, files: snapshot.paths.count, selection: snapshot.selection,
                          untrackedExcluded: snapshot.untrackedExcluded, commit: snapshot.commit),
            toolchains: toolchainInfo, normalization: recorded, assumptions: assumptions, runs: runs)
        report.profileSHA256 = setup.profileSource.sha256

        if trees.contains(where: { $0 == nil }) {
            report.verdict = .buildFailed
            report.exitCode = ExitStatus.buildFailed.rawValue
            for run in runs where run.failure != nil {
                if let log = run.log, let tail = Self.tail(of: log, lines: 20) {
                    options.progress("run \(run.index) log (last lines; full log: \(log)):\n\(tail)")
                }
            }
        } else {
            let complete = trees.map { $0! }
            let differences = Self.differences(trees: complete, setting: DiffSetting(
                now: Int64(Date().timeIntervalSince1970), normalization: normalization, hostRoots: complete.map(\.root)))
            if complete.allSatisfy({ $0.digest == complete[0].digest }) && differences.isEmpty {
                report.outputDigest = complete[0].digest
                report.outputs = complete[0].entries.filter { $0.kind == .file }.map {
                    CheckReport.Output(path: $0.path, sha256: $0.sha256, size: $0.size)
                }
                let stateDir = try ProjectState.directory(project)
                let destination = options.outputDir ?? stateDir + "/out"
                try Self.place(complete[0].root, at: destination)
                if options.outputDir != nil {
                    try ProjectState.recordPlacement(cache: options.cacheDir, destination, digest: complete[0].digest)
                }
                report.outputDir = destination
            } else {
                report.verdict = .differ
                report.exitCode = ExitStatus.outputsDiffer.rawValue
                report.differences = differences
            }
            var keep = options.keepDir
            if keep == nil, report.verdict == .differ { keep = try ProjectState.directory(project, "runs") }
            if let keep {
                for (index, tree) in complete.enumerated() {
                    try Self.place(tree.root, at: keep + "/run-\(index + 1)")
                }
                if options.keepDir != nil {
                    try ProjectState.recordPlacement(cache: options.cacheDir, keep, digest: try TreeWalker.walk(keep).digest)
                }
                report.keptRuns = keep
            }
        }
        report.source.uri = snapshot.uri
        if report.verdict != .reproducible {
            let destination = options.outputDir ?? project + "/.repro/out"
            if ProjectState.withdrawOutputs(project, destination, cache: options.cacheDir) {
                options.progress("removed the outputs an earlier check certified at \(destination): this check certified none")
            }
        }
        _ = consume workArea
        return CheckOutcome(report: report, config: config, normalization: normalization, isolation: isolation,
                            runEntries: trees.map { $0?.entries }, toolchains: setup.toolchains.archives,
                            profileSource: setup.profileSource,
                            startedOn: started, finishedOn: Date())
    }

    /// Runs `body` for each index, one after another or (with `--parallel`) at once; results in
    /// index order; the first error wins.
    private func runAll<T>(_ indices: [Int], _ body: @escaping (Int) throws(ReproError) -> T) throws(ReproError) -> [T] {
        guard options.parallel else {
            var results: [T] = []
            for index in indices { results.append(try body(index)) }
            return results
        }
        // A thread of its own for each run, all started at once: every run builds at the same time
        // however many CPUs there are (Dispatch's concurrentPerform would run one per CPU), and
        // each sandbox lives exactly as long as the thread that waits for it (PR_SET_PDEATHSIG).
        let slots = ResultSlots<T>(indices.count)
        let finished = DispatchGroup()
        for (i, index) in indices.enumerated() {
            finished.enter()
            let thread = Thread {
                let result: Result<T, ReproError>
                do throws(ReproError) { result = .success(try body(index)) } catch { result = .failure(error) }
                slots.lock.lock()
                slots.values[i] = result
                slots.lock.unlock()
                finished.leave()
            }
            thread.name = "repro-run-\(index)"
            thread.start()
        }
        finished.wait()
        var results: [T] = []
        for slot in slots.values {
            switch slot! {
            case .success(let value): results.append(value)
            case .failure(let error): throw error
            }
        }
        return results
    }

    /// The last `lines` lines of a text file.
    static func tail(of path: String, lines: Int) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data.suffix(64 * 1024), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// Results of concurrent runs, one slot per run, filled under a lock.
private final class ResultSlots<T>: @unchecked Sendable {
    var values: [Result<T, ReproError>?]
    let lock = NSLock()
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
}
