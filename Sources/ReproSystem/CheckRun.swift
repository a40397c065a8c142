import Dispatch
import FoundationEssentials
import Glibc
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
    /// Whether the log stays after the command (a rebuild's goes with its work area).
    var logKept = true
}

/// One run's collected output tree.
struct RunTree {
    /// Where the outputs were copied.
    var root: String
    /// Its entries, sorted by path.
    var entries: [TreeEntry]
    /// Its `t1:` digest.
    var digest: String
    /// Whether `root` holds the whole tree; otherwise only what differs from run 1's.
    var complete = true
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
        var isDir = false
        guard fm.fileExists(atPath: project, isDirectory: &isDir), isDir else {
            throw .configuration("\(project) is not a directory. Pass the project directory: repro check DIR.")
        }
        let (loaded, assumptions) = try Self.loadConfig(projectDir: project)
        // The checksums file asked for on the command line is recorded as part of the configuration.
        let config = options.checksums.map { path in
            var changed = loaded
            changed.build.checksums = path
            return changed
        } ?? loaded
        for note in assumptions { options.progress(note) }
        // Where the outputs go is checked before anything is read or built.
        let destination = options.outputDir ?? project + "/.repro/out"
        let verifiedDestination = try ProjectState.checkDestination(destination, option: "--output", project: project, cache: options.cacheDir)
        if let keep = options.keepDir {
            try ProjectState.checkDestination(keep, option: "--keep", project: project, cache: options.cacheDir)
            try ProjectState.checkSeparate(keep: keep, output: destination, outputNamed: options.outputDir != nil)
        }
        if let manifest = options.manifestPath {
            try ProjectState.checkManifestDestination(manifest)
        }
        // A private work area in the cache's tmp/: locked while this check lives, removed when
        // it ends, and cleaned up by a later run if this process dies, with what it records
        // there as being written beside the destinations.
        let cacheRoot = try CachePaths.resolved(options.cacheDir)
        let cache = ToolchainCache(root: cacheRoot)
        let workArea = try TempEntry(cache: cache)
        let work = workArea.path
        cache.removeStaleTemps()
        InterruptCleanup.record(in: work)
        defer { InterruptCleanup.record(in: nil) }

        // One file written in order (not a file per source file on the host's disk); the runs
        // copy from it, so the host's files are read once, however many runs there are, and
        // those unchanged since the previous check are not read at all.
        let snapshotTimer = PhaseTimer(.snapshot, sink: options.events)
        let snapshot = try SourceSnapshot.take(projectDir: project, packInto: work + "/src.pack", cacheRoot: cacheRoot)
        snapshotTimer.end()
        let tracked = snapshot.trackedStateFiles
        if !tracked.isEmpty {
            options.progress("warning: git tracks \(tracked.count) file\(tracked.count == 1 ? "" : "s") below .repro/ (\(tracked.prefix(3).joined(separator: ", "))\(tracked.count > 3 ? ", ..." : "")); .repro/ is repro's own, so they are ignored: they are not part of the source, and repro never takes its bookkeeping from them. Remove them from git (git rm -r --cached .repro).")
        }
        let sourceListing = snapshot.listing
        var untracked = ""
        if snapshot.untrackedExcluded > 0 {
            let names = snapshot.untrackedSample.map { "'\($0)'" }.joined(separator: ", ")
            let more = snapshot.untrackedExcluded > snapshot.untrackedSample.count ? ", …" : ""
            untracked = "; \(counted(snapshot.untrackedExcluded, "untracked file")) left out: \(names)\(more) (git add what the build needs)"
        }
        options.progress("source: \(counted(snapshot.paths.count, "file")) (\(snapshot.selection == "git" ? "git-tracked" : "all files")\(untracked)), \(sourceListing.digest)")
        let origin = try SourceOrigin.of(snapshot, sourceURI: options.sourceURI)
        if let reason = origin.reason {
            options.progress("note: others cannot rebuild this check from its manifest: \(reason); the manifest says so. Commit the source, and give the repository a remote (origin, or --source-uri URL), for a manifest anyone can rebuild.")
        }
        var normalization = try Self.epoch(option: options.dateEpoch, config: config, snapshot: snapshot)
        normalization.git = snapshot.git
        let setup = try prepareBuild(config: config, normalization: &normalization)
        let fixed = normalization
        let workOps = Self.workOps(for: snapshot, workdir: fixed.workdir, mtime: fixed.sourceFileTime)

        let logDir = try ProjectState.directory(project, "logs")
        var runs: [CheckReport.Run] = []
        var trees: [RunTree?] = []
        var isolation: IsolationReport?
        let selection = Self.outputSelection(config: config, source: sourceListing)

        // Run 1's outputs are collected once, straight into a directory beside the destination,
        // which a rename then puts in place. Later runs are hashed in place in their sandbox and
        // copied only where they differ from run 1 (for the explanation), unless --keep asks for
        // every run's whole tree.
        let staging = try OutputStaging(destination: destination)
        defer { staging.remove() }
        let firstRun = FirstRunEntries()
        let checksums = config.build.checksums
        let indices = Array(1...options.runs)
        let results = try runAll(indices) { index throws(ReproError) -> (CheckReport.Run, RunTree?, IsolationReport?) in
            // Run 1 without outputs: later runs only hash theirs (a no-op if already published).
            defer { if index == 1 { firstRun.publish(nil) } }
            let request = BuildRequest(index: index, workOps: workOps, environment: setup.environment,
                                       command: config.build.command, normalization: fixed,
                                       timeout: config.build.timeout, logPath: logDir + "/run-\(index).log")
            let outputRoot = index == 1 ? staging.path : work + "/runs/run-\(index)"
            let clock = Date()
            var collectError: ReproError?
            var collected: OutputCollector.Collected?
            let result = try runBuild(request, setup: setup) { root in
                guard collectError == nil else { return }
                var mode = OutputCollector.Mode.copyAll
                if index > 1, options.keepDir == nil {
                    // Waits for run 1's collection (with --parallel it may still be going on).
                    mode = firstRun.wait().map { .copyDiffering($0) } ?? .hashOnly
                }
                do throws(ReproError) {
                    collected = try OutputCollector.collectHashing(from: root + fixed.workdir, selection: selection, into: outputRoot,
                                                                   mode: mode, limit: setup.profile.limits.tmpfsBytes)
                } catch {
                    collectError = error
                }
                // Run 1's entries go to the later runs as soon as they are known, while its
                // sandbox still lingers: a later run's sandbox, cloned after run 1's release pipe
                // was made, holds that pipe, so run 1's sandbox can end only after theirs, and
                // theirs wait for these entries (with --parallel, waiting until run 1's sandbox
                // ended deadlocked).
                if index == 1, let listing = collected?.listing, !listing.entries.allSatisfy({ $0.kind == .directory }) {
                    firstRun.publish(Dictionary(listing.entries.map { (PathKey($0.path), $0) }, uniquingKeysWith: { a, _ in a }))
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
                } else if var listing = collected?.listing {
                    if listing.entries.allSatisfy({ $0.kind == .directory }) {
                        // Certifying nothing would pass a gate with an empty certificate.
                        failure = config.build.outputs.isEmpty
                            ? "the build produced no outputs: it created or changed no file below \(fixed.workdir). A check certifies outputs; check the build command, or name the outputs in build.outputs."
                            : "the build produced no outputs: build.outputs matched only empty directories. A check certifies outputs; check the build command and build.outputs."
                    } else {
                        if let checksums { listing = try ChecksumsFile.add(checksums, to: outputRoot, listing: listing) }
                        tree = RunTree(root: outputRoot, entries: listing.entries, digest: listing.digest,
                                       complete: index == 1 || options.keepDir != nil)
                    }
                }
            }
            let time = String(printf: "%.1f", seconds) + " s"
            if let failure {
                // The time first: the failure can be several sentences.
                options.progress("run \(index)/\(options.runs) failed after \(time): \(failure)")
            } else {
                options.progress("run \(index)/\(options.runs): exit 0 in \(time)\(tree.map { ", \($0.digest)" } ?? "")")
            }
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
            for line in Self.failureTails(runs) { options.progress(line) }
        } else {
            let complete = trees.map { $0! }
            // The checksums file follows from the other outputs: where they differ, so does it.
            let comparing = PhaseTimer(.comparing, sink: options.events)
            let differences = Self.differences(trees: complete, setting: DiffSetting(
                now: Int64(Date().timeIntervalSince1970), normalization: normalization, hostRoots: complete.map(\.root)))
                .filter { $0.path != checksums }
            comparing.end()
            if complete.allSatisfy({ $0.digest == complete[0].digest }) && differences.isEmpty {
                report.outputDigest = complete[0].digest
                report.outputs = complete[0].entries.filter { $0.kind == .file }.map {
                    CheckReport.Output(path: $0.path, sha256: $0.sha256, size: $0.size)
                }
                if let keep = options.keepDir {
                    // Every run's whole tree was collected: run 1's is copied, the others moved.
                    try Self.placeRuns(complete.enumerated().map { ($1.root, $0 > 0) }, at: keep)
                    try ProjectState.recordPlacement(cache: options.cacheDir, keep, digest: try Self.keptDigest(keep, trees: complete))
                    report.keptRuns = keep
                }
                try Self.place(staging.path, at: destination, move: true)
                if options.outputDir != nil {
                    try ProjectState.recordPlacement(cache: options.cacheDir, destination, digest: complete[0].digest)
                }
                report.outputDir = destination
            } else {
                report.verdict = .differ
                report.exitCode = ExitStatus.outputsDiffer.rawValue
                report.differences = differences
                let keep: String
                if let dir = options.keepDir { keep = dir } else { keep = try ProjectState.directory(project, "runs") }
                // Later runs hold only what differs from run 1: the rest is run 1's.
                for tree in complete.dropFirst() where !tree.complete {
                    try Self.fill(tree, from: complete[0])
                }
                try Self.placeRuns(complete.map { ($0.root, true) }, at: keep)
                if options.keepDir != nil {
                    try ProjectState.recordPlacement(cache: options.cacheDir, keep, digest: try Self.keptDigest(keep, trees: complete))
                }
                report.keptRuns = keep
            }
        }
        report.source.uri = origin.uri
        if report.verdict != .reproducible {
            let destination = options.outputDir ?? project + "/.repro/out"
            if ProjectState.withdrawOutputs(project, destination, cache: options.cacheDir, verified: verifiedDestination) {
                options.progress("removed the outputs an earlier check certified at \(destination): this check certified none")
            }
        }
        _ = consume workArea
        var outcome = CheckOutcome(report: report, config: config, normalization: normalization, isolation: isolation,
                                   runEntries: trees.map { $0?.entries }, toolchains: setup.toolchains.archives,
                                   profileSource: setup.profileSource,
                                   startedOn: started, finishedOn: Date())
        outcome.sourceOrigin = origin
        outcome.environment = setup.environment
        return outcome
    }

    /// What counts as the build's outputs: the files matching `build.outputs`, or without any,
    /// every file the build created or changed in the source tree.
    static func outputSelection(config: ProjectConfig, source: TreeListing) -> OutputCollector.Selection {
        config.build.outputs.isEmpty
            ? .changedFrom(Dictionary(uniqueKeysWithValues: source.entries.compactMap { e -> (PathKey, String)? in
                switch e.kind {
                case .file: return (PathKey(e.path), e.sha256)
                case .symlink: return (PathKey(e.path), "->" + e.target)
                case .directory: return nil
                }
            }))
            : .patterns(config.build.outputs)
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
            startThread {
                let result: Result<T, ReproError>
                do throws(ReproError) { result = .success(try body(index)) } catch { result = .failure(error) }
                slots.lock.lock()
                slots.values[i] = result
                slots.lock.unlock()
                finished.leave()
            }
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

    /// The log tails of the failed runs: one when they all failed the same way (the same exit
    /// status, failure and last lines), else one per failed run.
    static func failureTails(_ runs: [CheckReport.Run]) -> [String] {
        let failed = runs.compactMap { run -> (run: CheckReport.Run, log: String, tail: String)? in
            guard run.failure != nil, let log = run.log, let tail = tail(of: log, lines: 20) else { return nil }
            return (run, log, tail.allSatisfy(\.isWhitespace) ? "" : tail)
        }
        if failed.count > 1, let first = failed.first, failed.count == runs.filter({ $0.failure != nil }).count,
           failed.allSatisfy({ $0.run.exitStatus == first.run.exitStatus && $0.run.timedOut == first.run.timedOut
                                && $0.run.failure == first.run.failure && $0.tail == first.tail }) {
            let who = failed.count == runs.count
                ? (failed.count == 2 ? "both runs" : "all \(failed.count) runs")
                : "runs " + failed.dropLast().map { String($0.run.index) }.joined(separator: ", ") + " and \(failed.last!.run.index)"
            let logs = failed.map(\.log).joined(separator: ", ")
            return [first.tail.isEmpty ? "\(who) failed the same way; their logs are empty (\(logs))"
                                       : "\(who) failed the same way; run \(first.run.index) log (last lines; full logs: \(logs)):\n\(first.tail)"]
        }
        return failed.map { $0.tail.isEmpty ? "run \($0.run.index) log is empty (\($0.log))"
                                            : "run \($0.run.index) log (last lines; full log: \($0.log)):\n\($0.tail)" }
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
    let lock = Lock()
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
}
