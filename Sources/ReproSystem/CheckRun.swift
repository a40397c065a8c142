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

/// Where a check's outputs go, and the project configuration, both checked before anything is
/// read or built.
struct CheckTarget {
    /// The configuration (read or assumed), with `--checksums` applied.
    var config: ProjectConfig
    /// What was assumed for want of a `repro.toml`, said once.
    var assumptions: [String]
    /// Where the certified outputs go.
    var destination: String
    /// The destination as checked, for withdrawing an earlier check's outputs from it.
    var verifiedDestination: Placements.Verified?
}

/// What every run of one check shares.
struct RunContext {
    var config: ProjectConfig
    var setup: BuildSetup
    /// The normalization every run gets.
    var normalization: Normalization
    /// The steps that write the source snapshot into each sandbox.
    var workOps: [WorkOp]
    /// Which files are the outputs.
    var selection: OutputCollector.Selection
    /// Where the runs' logs go.
    var logDir: String
    /// The check's private work area (later runs' outputs go to `runs/` in it).
    var work: String
    /// Where run 1's outputs are collected.
    var staging: OutputStaging
    /// Run 1's entries, for later runs to copy only what differs.
    var firstRun: FirstRunEntries
}

extension CheckRunner {
    /// Runs the whole check: checks where its outputs go, takes the source snapshot, fetches the
    /// toolchains, builds the runs, compares them, and places the outputs (a reproducible check)
    /// or keeps the runs (outputs that differ). Signing and writing the manifest are
    /// ``CheckSession``'s.
    public func run() throws(ReproError) -> CheckOutcome {
        let started = Date()
        let target = try checkTarget()
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

        let (snapshot, origin) = try takeSnapshot(packInto: work + "/src.pack", cacheRoot: cacheRoot)
        var normalization = try Self.epoch(option: options.dateEpoch, config: target.config, snapshot: snapshot)
        normalization.git = snapshot.git
        let setup = try prepareBuild(config: target.config, normalization: &normalization)

        // Run 1's outputs are collected once, straight into a directory beside the destination,
        // which a rename then puts in place. Later runs are hashed in place in their sandbox and
        // copied only where they differ from run 1 (for the explanation), unless --keep asks for
        // every run's whole tree.
        let logDir = try ProjectState.directory(options.projectDir, "logs")
        let staging = try OutputStaging(destination: target.destination)
        defer { staging.remove() }
        let context = RunContext(
            config: target.config, setup: setup, normalization: normalization,
            workOps: Self.workOps(for: snapshot, workdir: normalization.workdir, mtime: normalization.sourceFileTime),
            selection: Self.outputSelection(config: target.config, source: snapshot.listing),
            logDir: logDir, work: work, staging: staging, firstRun: FirstRunEntries())
        let results = try runAll(Array(1...options.runs)) { index throws(ReproError) in
            try self.checkRun(index, context)
        }
        let trees = results.map(\.1)

        var report = makeReport(
            target: target, snapshot: snapshot, setup: setup, normalization: normalization,
            runs: results.map(\.0))
        if trees.contains(where: { $0 == nil }) {
            report.verdict = .buildFailed
            report.exitCode = ExitStatus.buildFailed.rawValue
            for line in Self.failureTails(report.runs) { options.progress(line) }
        } else {
            try compareAndPlace(
                trees.map { $0! }, report: &report, target: target, staging: staging,
                normalization: normalization)
        }
        report.source.uri = origin.uri
        if report.verdict != .reproducible { withdrawEarlierOutputs(target) }
        _ = consume workArea
        var outcome = CheckOutcome(
            report: report, config: target.config, normalization: normalization,
            isolation: results.lazy.compactMap(\.2).first,
            runEntries: trees.map { $0?.entries }, toolchains: setup.toolchains.archives,
            profileSource: setup.profileSource, startedOn: started, finishedOn: Date())
        outcome.sourceOrigin = origin
        outcome.environment = setup.environment
        return outcome
    }

    /// Checks the project directory, reads its configuration (saying what it assumed), and checks
    /// the destinations of the outputs, the kept runs and the manifest.
    func checkTarget() throws(ReproError) -> CheckTarget {
        let project = options.projectDir
        var isDir = false
        guard FileManager.default.fileExists(atPath: project, isDirectory: &isDir), isDir else {
            throw .configuration("\(project) is not a directory. Pass the project directory: repro check DIR.")
        }
        let (loaded, assumptions) = try Self.loadConfig(projectDir: project)
        var config = loaded
        // The checksums file asked for on the command line is recorded as part of the configuration.
        if let checksums = options.checksums { config.build.checksums = checksums }
        for note in assumptions { options.progress(note) }
        // Where the outputs go is checked before anything is read or built.
        let destination = options.outputDir ?? project + "/.repro/out"
        let verified = try ProjectState.checkDestination(
            destination, option: "--output", project: project, cache: options.cacheDir)
        if let keep = options.keepDir {
            try ProjectState.checkDestination(keep, option: "--keep", project: project, cache: options.cacheDir)
            try ProjectState.checkSeparate(keep: keep, output: destination, outputNamed: options.outputDir != nil)
        }
        if let manifest = options.manifestPath {
            try ProjectState.checkManifestDestination(manifest)
        }
        return CheckTarget(
            config: config, assumptions: assumptions, destination: destination, verifiedDestination: verified)
    }

    /// Takes the source snapshot and says what it holds and where others can get it.
    func takeSnapshot(packInto pack: String, cacheRoot: String) throws(ReproError) -> (SourceSnapshot, SourceOrigin) {
        // One file written in order (not a file per source file on the host's disk); the runs
        // copy from it, so the host's files are read once, however many runs there are, and
        // those unchanged since the previous check are not read at all.
        let snapshotTimer = PhaseTimer(.snapshot, sink: options.events)
        let snapshot = try SourceSnapshot.take(projectDir: options.projectDir, packInto: pack, cacheRoot: cacheRoot)
        snapshotTimer.end()
        let tracked = snapshot.trackedStateFiles
        if !tracked.isEmpty {
            options.progress(
                "warning: git tracks \(tracked.count) file\(tracked.count == 1 ? "" : "s") below .repro/ (\(tracked.prefix(3).joined(separator: ", "))\(tracked.count > 3 ? ", ..." : "")); .repro/ is repro's own, so they are ignored: they are not part of the source, and repro never takes its bookkeeping from them. Remove them from git (git rm -r --cached .repro)."
            )
        }
        var untracked = ""
        if snapshot.untrackedExcluded > 0 {
            let names = snapshot.untrackedSample.map { "'\($0)'" }.joined(separator: ", ")
            let more = snapshot.untrackedExcluded > snapshot.untrackedSample.count ? ", …" : ""
            untracked =
                "; \(counted(snapshot.untrackedExcluded, "untracked file")) left out: \(names)\(more) (git add what the build needs)"
        }
        options.progress(
            "source: \(counted(snapshot.paths.count, "file")) (\(snapshot.selection == "git" ? "git-tracked" : "all files")\(untracked)), \(snapshot.listing.digest)"
        )
        let origin = try SourceOrigin.of(snapshot, sourceURI: options.sourceURI)
        if let reason = origin.reason {
            options.progress(
                "note: others cannot rebuild this check from its manifest: \(reason); the manifest says so. Commit the source, and give the repository a remote (origin, or --source-uri URL), for a manifest anyone can rebuild."
            )
        }
        return (snapshot, origin)
    }

    /// One run: builds in a fresh sandbox, collects the outputs, and says how it went.
    func checkRun(_ index: Int, _ context: RunContext) throws(ReproError) -> (
        CheckReport.Run, RunTree?, IsolationReport?
    ) {
        // Run 1 without outputs: later runs only hash theirs (a no-op if already published).
        defer { if index == 1 { context.firstRun.publish(nil) } }
        let request = BuildRequest(
            index: index, workOps: context.workOps, environment: context.setup.environment,
            command: context.config.build.command, normalization: context.normalization,
            timeout: context.config.build.timeout, logPath: context.logDir + "/run-\(index).log")
        let outputRoot = index == 1 ? context.staging.path : context.work + "/runs/run-\(index)"
        let clock = Date()
        var collected: Result<OutputCollector.Collected, ReproError>?
        let result = try runBuild(request, setup: context.setup) { root in
            if case .failure = collected { return }
            collected = collectOutputs(index, from: root, into: outputRoot, context)
        }
        let seconds = Date().timeIntervalSince(clock)
        let (tree, failure) = try runTree(index, result: result, collected: collected, root: outputRoot, context)
        let time = String(printf: "%.1f", seconds) + " s"
        if let failure {
            // The time first: the failure can be several sentences.
            options.progress("run \(index)/\(options.runs) failed after \(time): \(failure)")
        } else {
            options.progress("run \(index)/\(options.runs): exit 0 in \(time)\(tree.map { ", \($0.digest)" } ?? "")")
        }
        var run = CheckReport.Run(
            index: index, exitStatus: result.exitStatus, timedOut: result.timedOut, seconds: seconds,
            outputDigest: tree?.digest, log: request.logPath)
        run.failure = failure
        return (run, tree, result.isolation)
    }

    /// Collects run `index`'s outputs from its sandbox (at `root`) into `outputRoot`: run 1's
    /// whole tree, a later run's only where it differs from run 1's (unless --keep).
    private func collectOutputs(
        _ index: Int, from root: String, into outputRoot: String,
        _ context: RunContext
    ) -> Result<OutputCollector.Collected, ReproError> {
        var mode = OutputCollector.Mode.copyAll
        if index > 1, options.keepDir == nil {
            // Waits for run 1's collection (with --parallel it may still be going on).
            mode = context.firstRun.wait().map { .copyDiffering($0) } ?? .hashOnly
        }
        let collected = Result { () throws(ReproError) in
            try OutputCollector.collectHashing(
                from: root + context.normalization.workdir, selection: context.selection,
                into: outputRoot, mode: mode, limit: context.setup.profile.limits.tmpfsBytes)
        }
        // Run 1's entries go to the later runs as soon as they are known, while its sandbox still
        // lingers: a later run's sandbox, cloned after run 1's release pipe was made, holds that
        // pipe, so run 1's sandbox can end only after theirs, and theirs wait for these entries
        // (with --parallel, waiting until run 1's sandbox ended deadlocked).
        if index == 1, case .success(let found) = collected,
            !found.listing.entries.allSatisfy({ $0.kind == .directory })
        {
            context.firstRun.publish(
                Dictionary(found.listing.entries.map { (PathKey($0.path), $0) }, uniquingKeysWith: { a, _ in a }))
        }
        return collected
    }

    /// Run `index`'s output tree, or why it has none (a failed build, no outputs).
    private func runTree(
        _ index: Int, result: BuildResult, collected: Result<OutputCollector.Collected, ReproError>?,
        root: String, _ context: RunContext
    ) throws(ReproError) -> (RunTree?, String?) {
        let status = result.exitStatus
        if result.timedOut { return (nil, "stopped by the timeout") }
        if status != 0 {
            return (nil, status > 128 ? "killed by signal \(status - 128)" : "the build exited with status \(status)")
        }
        switch collected {
        case nil:
            return (nil, nil)
        case .failure(let error):
            // A build that succeeds without its declared outputs failed; anything else (an
            // unwritable work area) is repro's environment failing.
            guard error.status == .buildFailed else { throw error }
            return (nil, error.message)
        case .success(let found):
            var listing = found.listing
            if listing.entries.allSatisfy({ $0.kind == .directory }) {
                // Certifying nothing would pass a gate with an empty certificate.
                return (
                    nil,
                    context.config.build.outputs.isEmpty
                        ? "the build produced no outputs: it created or changed no file below \(context.normalization.workdir). A check certifies outputs; check the build command, or name the outputs in build.outputs."
                        : "the build produced no outputs: build.outputs matched only empty directories. A check certifies outputs; check the build command and build.outputs."
                )
            }
            if let checksums = context.config.build.checksums {
                listing = try ChecksumsFile.add(checksums, to: root, listing: listing)
            }
            return (
                RunTree(
                    root: root, entries: listing.entries, digest: listing.digest,
                    complete: index == 1 || options.keepDir != nil), nil
            )
        }
    }

    /// The report of the runs, verdict reproducible until the comparison says otherwise.
    func makeReport(
        target: CheckTarget, snapshot: SourceSnapshot, setup: BuildSetup, normalization: Normalization,
        runs: [CheckReport.Run]
    ) -> CheckReport {
        // What the build got, including the host variables passed through by name (`pass_env`).
        var recorded = normalization.values
        for (name, value) in setup.passed { recorded["pass_env." + name] = value }
        let toolchainInfo = setup.toolchains.archives.map {
            CheckReport.ToolchainInfo(
                name: $0.name, url: $0.cached.source.url, sha256: $0.cached.source.sha256,
                mount: $0.cached.source.mount, treeDigest: $0.cached.treeDigest)
        }
        let config = target.config
        var report = CheckReport(
            reproVersion: ReproInfo.version, verdict: .reproducible, exitCode: 0, project: options.projectDir,
            command: config.build.command, outputPatterns: config.build.outputs, profile: setup.profile.name,
            source: .init(
                digest: snapshot.listing.digest, files: snapshot.paths.count, selection: snapshot.selection,
                untrackedExcluded: snapshot.untrackedExcluded, commit: snapshot.commit),
            toolchains: toolchainInfo, normalization: recorded, assumptions: target.assumptions, runs: runs)
        report.profileSHA256 = setup.profileSource.sha256
        return report
    }

    /// Compares the runs' trees: the same, the outputs are placed (and with --keep every run);
    /// different, the verdict says so and every run is kept.
    func compareAndPlace(
        _ trees: [RunTree], report: inout CheckReport, target: CheckTarget, staging: OutputStaging,
        normalization: Normalization
    ) throws(ReproError) {
        // The checksums file follows from the other outputs: where they differ, so does it.
        let comparing = PhaseTimer(.comparing, sink: options.events)
        let differences = Self.differences(
            trees: trees,
            setting: DiffSetting(
                now: Int64(Date().timeIntervalSince1970), normalization: normalization, hostRoots: trees.map(\.root))
        )
        .filter { $0.path != target.config.build.checksums }
        comparing.end()
        if trees.allSatisfy({ $0.digest == trees[0].digest }) && differences.isEmpty {
            try placeCertified(trees, report: &report, destination: target.destination, staging: staging)
        } else {
            report.verdict = .differ
            report.exitCode = ExitStatus.outputsDiffer.rawValue
            report.differences = differences
            try keepDiffering(trees, report: &report)
        }
    }

    /// Places a reproducible check's outputs (run 1's, collected beside the destination) and,
    /// with --keep, every run's.
    private func placeCertified(
        _ trees: [RunTree], report: inout CheckReport, destination: String,
        staging: OutputStaging
    ) throws(ReproError) {
        report.outputDigest = trees[0].digest
        report.outputs = trees[0].entries.filter { $0.kind == .file }.map {
            CheckReport.Output(path: $0.path, sha256: $0.sha256, size: $0.size)
        }
        if let keep = options.keepDir {
            // Every run's whole tree was collected: run 1's is copied, the others moved.
            try Self.placeRuns(trees.enumerated().map { ($1.root, $0 > 0) }, at: keep)
            try ProjectState.recordPlacement(
                cache: options.cacheDir, keep, digest: try Self.keptDigest(keep, trees: trees))
            report.keptRuns = keep
        }
        try Self.place(staging.path, at: destination, move: true)
        if options.outputDir != nil {
            try ProjectState.recordPlacement(cache: options.cacheDir, destination, digest: trees[0].digest)
        }
        report.outputDir = destination
    }

    /// Keeps every run's whole tree of a check whose outputs differ, in --keep or `.repro/runs`.
    private func keepDiffering(_ trees: [RunTree], report: inout CheckReport) throws(ReproError) {
        let keep: String
        if let dir = options.keepDir {
            keep = dir
        } else {
            keep = try ProjectState.directory(options.projectDir, "runs")
        }
        // Later runs hold only what differs from run 1: the rest is run 1's.
        for tree in trees.dropFirst() where !tree.complete {
            try Self.fill(tree, from: trees[0])
        }
        try Self.placeRuns(trees.map { ($0.root, true) }, at: keep)
        if options.keepDir != nil {
            try ProjectState.recordPlacement(
                cache: options.cacheDir, keep, digest: try Self.keptDigest(keep, trees: trees))
        }
        report.keptRuns = keep
    }

    /// Removes the outputs an earlier check certified at the destination, when this one
    /// certified none.
    private func withdrawEarlierOutputs(_ target: CheckTarget) {
        if ProjectState.withdrawOutputs(
            options.projectDir, target.destination, cache: options.cacheDir,
            verified: target.verifiedDestination)
        {
            options.progress(
                "removed the outputs an earlier check certified at \(target.destination): this check certified none")
        }
    }

    /// What counts as the build's outputs: the files matching `build.outputs`, or without any,
    /// every file the build created or changed in the source tree.
    static func outputSelection(config: ProjectConfig, source: TreeListing) -> OutputCollector.Selection {
        config.build.outputs.isEmpty
            ? .changedFrom(
                Dictionary(
                    uniqueKeysWithValues: source.entries.compactMap { e -> (PathKey, String)? in
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
    private func runAll<T>(_ indices: [Int], _ body: @escaping (Int) throws(ReproError) -> T) throws(ReproError) -> [T]
    {
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
            failed.allSatisfy({
                $0.run.exitStatus == first.run.exitStatus && $0.run.timedOut == first.run.timedOut
                    && $0.run.failure == first.run.failure && $0.tail == first.tail
            })
        {
            let who =
                failed.count == runs.count
                ? (failed.count == 2 ? "both runs" : "all \(failed.count) runs")
                : "runs " + failed.dropLast().map { String($0.run.index) }.joined(separator: ", ")
                    + " and \(failed.last!.run.index)"
            let logs = failed.map(\.log).joined(separator: ", ")
            return [
                first.tail.isEmpty
                    ? "\(who) failed the same way; their logs are empty (\(logs))"
                    : "\(who) failed the same way; run \(first.run.index) log (last lines; full logs: \(logs)):\n\(first.tail)"
            ]
        }
        return failed.map {
            $0.tail.isEmpty
                ? "run \($0.run.index) log is empty (\($0.log))"
                : "run \($0.run.index) log (last lines; full log: \($0.log)):\n\($0.tail)"
        }
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
