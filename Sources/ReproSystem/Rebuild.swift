import Crypto
import FoundationEssentials
import Glibc
import ReproCore

/// The options of one `repro rebuild`.
public struct RebuildOptions: Sendable {
    /// The bundle's path (named in messages and in the rebuild's own manifest).
    public var bundlePath: String
    /// The bundle's bytes.
    public var bundle: Data
    /// The keys one of which must have signed every envelope; empty only with `verify` false.
    public var keys: [PublicKey] = []
    /// False only for `--no-verify`: the bundle's signatures are not checked.
    public var verify = true
    /// A directory holding the source (`--source DIR`); nil to clone the recorded git URL.
    public var sourceDir: String?
    /// The original outputs (`--artifacts DIR`), to find the first differing byte of a changed file.
    public var originalOutputs: String?
    /// The cache root.
    public var cacheDir: String
    /// Content-addressed mirrors tried after each recorded toolchain URL.
    public var mirrors: [String] = []
    /// A profile file the rebuilder vouches for (`--profile`), used when no built-in profile has
    /// the recorded digest and it does.
    public var profilePath: String?
    /// Where the caller will write the rebuild's manifest, checked before anything is built.
    public var manifestPath: String?
    /// Called with progress lines.
    public var progress: @Sendable (String) -> Void = { _ in }
    /// Called with progress events: phases, unpack progress, the build's log file.
    public var events: ProgressSink = { _ in }

    /// Options for a bundle and a cache.
    public init(bundlePath: String, bundle: Data, cacheDir: String) {
        self.bundlePath = bundlePath
        self.bundle = bundle
        self.cacheDir = cacheDir
    }
}

/// What `repro rebuild` found.
public struct RebuildOutcome: Sendable {
    /// How the rebuild ended.
    public enum Result: String, Sendable {
        /// Every subject was rebuilt bit for bit, and nothing else.
        case reproduced
        /// The rebuild's outputs differ from the subjects.
        case differ
        /// The rebuild's build failed.
        case buildFailed = "build-failed"

        /// The exit status: 0, 1 or 3.
        public var exitStatus: ExitStatus {
            switch self {
            case .reproduced: return .success
            case .differ: return .outputsDiffer
            case .buildFailed: return .buildFailed
            }
        }
    }

    /// The verdict.
    public var result: Result
    /// The bundle's path.
    public var bundlePath: String
    /// The SHA-256 of the bundle's bytes.
    public var bundleSHA256: String
    /// The given keys that signed every envelope (empty with `--no-verify`).
    public var signers: [String]
    /// The original check's provenance.
    public var original: ProvenanceSummary
    /// The original check's reproducibility predicate.
    public var originalReproducibility: ReproducibilityInputs
    /// The output tree digest the subjects came from (the original's run 1).
    public var expectedTreeDigest: String
    /// Where the source came from: `directory` (`--source`) or `clone` (the recorded git URL).
    public var sourceFrom: String
    /// The rebuild's output tree digest, nil when its build failed.
    public var outputTreeDigest: String?
    /// The rebuild's output files (empty when its build failed).
    public var outputs: [TreeEntry]
    /// How the outputs differ from the subjects, as a failed check reports differences (run 2 is
    /// the rebuild); empty unless ``result`` is ``Result/differ``.
    public var differences: [Difference]
    /// What the exact-tree comparison found (the same report `repro verify --artifacts` gives).
    public var comparison: ArtifactsReport?
    /// The build command's exit status.
    public var exitStatus: Int32
    /// Why the build failed, when it did.
    public var failure: String?
    /// The build's seconds.
    public var seconds: Double
    /// The isolation achieved.
    public var isolation: IsolationReport?
    /// When the rebuild started and finished.
    public var startedOn: Date
    /// When the rebuild finished.
    public var finishedOn: Date
    /// A unique id of this rebuild.
    public var invocationID: String = UUID().uuidString.lowercased()
}

/// `repro rebuild`: verify a bundle, take exactly what it recorded (source by tree digest,
/// toolchains by pins, profile by digest, command, environment, normalization), build once and
/// compare the outputs with the subjects bit for bit.
public struct Rebuilder {
    /// The options.
    public let options: RebuildOptions

    /// Creates a rebuilder.
    public init(options: RebuildOptions) { self.options = options }

    /// The bundle read: verified with the keys (signers who signed all of it), or with
    /// `--no-verify` parsed strictly without checking signatures.
    func readBundle() throws(ReproError) -> (ProvenanceSummary, ReproducibilityInputs, [String]) {
        if options.verify {
            let compared = try ComparedBundle(label: options.bundlePath, verifying: options.bundle, keys: options.keys)
            guard let provenance = compared.provenance, let reproducibility = compared.reproducibility else {
                fatalError("a bundle read from its bytes carries its statements")
            }
            return (provenance, reproducibility, compared.signers)
        }
        let manifest = try Manifest.read(options.bundle)
        var statements: [Statement] = []
        for (i, envelope) in manifest.envelopes.enumerated() {
            do throws(ReproError) {
                guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
                    throw .verification(
                        "the payloadType is \"\(envelope.payloadType)\", not \"\(DSSEEnvelope.inTotoPayloadType)\"")
                }
                statements.append(try Verifier.checkStatement(payload: envelope.payload))
            } catch {
                throw error.prefixed("line \(i + 1): ", context: .init(line: i + 1))
            }
        }
        let (provenance, reproducibility) = try Verifier.checkStatements(statements)
        return (provenance, reproducibility, [])
    }

    /// Runs the whole rebuild. Throws exit 5 when the bundle, the source or a pin does not verify,
    /// exit 2 when the bundle lacks what a rebuild needs or an input cannot be had.
    public func run() throws(ReproError) -> RebuildOutcome {
        let started = Date()
        let (provenance, reproducibility, signers) = try readBundle()
        let bundleSHA256 = Hex.encode(SHA256.hash(data: options.bundle))
        guard !provenance.subjects.isEmpty, let expected = reproducibility.runs.first?.outputTreeDigest else {
            throw .configuration(
                "\(options.bundlePath) certifies no files (verdict \(reproducibility.verdict.rawValue)): there is nothing to rebuild and compare with."
            )
        }
        let recipe = try RebuildRecipe(provenance: provenance, bundlePath: options.bundlePath)
        if let manifest = options.manifestPath { try ProjectState.checkManifestDestination(manifest) }
        let cache = ToolchainCache(root: try CachePaths.resolved(options.cacheDir))
        let workArea = try TempEntry(cache: cache)
        let work = workArea.path
        let source = try takeSource(recipe, work: work)
        let plan = try prepareBuild(recipe, provenance: provenance, source: source)
        let outputRoot = work + "/out"
        let built = try build(recipe, plan: plan, source: source, work: work, outputRoot: outputRoot)
        var outcome = RebuildOutcome(
            result: .buildFailed, bundlePath: options.bundlePath, bundleSHA256: bundleSHA256, signers: signers,
            original: provenance, originalReproducibility: reproducibility, expectedTreeDigest: expected,
            sourceFrom: source.from, outputTreeDigest: built.listing?.digest, outputs: [], differences: [],
            comparison: nil, exitStatus: built.result.exitStatus, failure: built.failure, seconds: built.seconds,
            isolation: built.result.isolation, startedOn: started, finishedOn: Date())
        if let listing = built.listing {
            compare(listing, outputRoot: outputRoot, subjects: provenance.subjects, expected: expected, into: &outcome)
        }
        outcome.finishedOn = Date()
        _ = consume workArea
        return outcome
    }

    /// The source a rebuild builds: where it came from, its snapshot and the snapshot's listing.
    struct Source {
        /// The project's directory (`--source DIR`, or the project's directory in the clone).
        var projectDir: String
        /// `directory` (`--source`) or `clone` (the recorded git URL).
        var from: String
        /// The snapshot taken of it.
        var snapshot: SourceSnapshot
        /// The snapshot's listing, whose digest is the recorded one.
        var listing: TreeListing
    }

    /// The source from `--source DIR` or a clone, snapshotted and checked against the recorded
    /// tree digest before anything is built.
    func takeSource(_ recipe: RebuildRecipe, work: String) throws(ReproError) -> Source {
        let projectDir: String
        let sourceFrom: String
        if let dir = options.sourceDir {
            projectDir = dir
            sourceFrom = "directory"
        } else {
            projectDir = try clone(recipe.source, into: work + "/clone")
            sourceFrom = "clone"
        }
        let snapshotTimer = PhaseTimer(.snapshot, sink: options.events)
        let snapshot = try SourceSnapshot.take(projectDir: projectDir, into: work + "/src")
        let sourceListing = try TreeWalker.walk(snapshot.root)
        snapshotTimer.end()
        options.progress(
            "source: \(counted(snapshot.paths.count, "file")) from \(sourceFrom == "clone" ? TerminalText.field(recipe.source.uri) : projectDir), \(sourceListing.digest)"
        )
        guard sourceListing.digest == recipe.sourceDigest else {
            let first = Self.firstDifference(
                snapshot, projectDir: projectDir, commit: recipe.source.digest[ManifestURI.gitCommitKey])
            throw .verification(
                "the source in \(projectDir) is not the one \(options.bundlePath) records: its tree digest is \(sourceListing.digest), the bundle's \(recipe.sourceDigest)\(first.map { "; the first differing file is \($0)" } ?? ""). Check out the recorded source (\(TerminalText.field(recipe.source.uri))) and rebuild again."
            )
        }
        return Source(projectDir: projectDir, from: sourceFrom, snapshot: snapshot, listing: sourceListing)
    }

    /// What the one build runs with: the sandbox setup, the normalization, the work tree's
    /// operations and which outputs are collected.
    struct BuildPlan {
        /// The profile and toolchains the build runs with.
        var setup: BuildSetup
        /// The recorded normalization, with the profile's hostname.
        var normalization: Normalization
        /// The operations that lay the source out in the work directory.
        var workOps: [WorkOp]
        /// Which files of the work directory are outputs.
        var selection: OutputCollector.Selection
        /// The profile's tmpfs limit, which the collected outputs must fit.
        var outputLimit: Int
    }

    /// The profile by its digest, before anything the bundle names is fetched; then the
    /// toolchains by their pins, and the normalization checked against the recorded values.
    func prepareBuild(_ recipe: RebuildRecipe, provenance: ProvenanceSummary, source: Source) throws(ReproError)
        -> BuildPlan
    {
        let profile = try recipe.resolveProfile(given: options.profilePath)
        var specs: [(spec: ToolchainSpec, path: String)] = []
        for spec in recipe.toolchains { specs.append((spec, options.bundlePath)) }
        let fetching = PhaseTimer(.fetching, sink: options.events)
        let toolchains = try ResolvedToolchains.fetch(
            specs: specs, cacheRoot: options.cacheDir, mirrors: options.mirrors,
            progress: options.progress, events: options.events)
        fetching.end()
        var normalization = recipe.normalization
        normalization.hostname = profile.profile.hostname
        guard normalization.values == recipe.normalizationValues else {
            throw .configuration(
                "\(options.bundlePath) records normalization values this repro (\(ReproInfo.version)) does not apply the same way (\(Self.describeMismatch(normalization.values, recipe.normalizationValues))); rebuild with the repro version that made it (\(provenance.reproVersion ?? "unknown"))."
            )
        }
        let setup = BuildSetup(
            profile: profile.profile, profileSource: profile, toolchains: toolchains,
            environment: recipe.environment, passed: [:])
        let workOps = CheckRunner.workOps(
            for: source.listing, root: source.snapshot.root, workdir: normalization.workdir,
            mtime: normalization.sourceFileTime)
        let selection = CheckRunner.outputSelection(config: recipe.config, source: source.listing)
        return BuildPlan(
            setup: setup, normalization: normalization, workOps: workOps, selection: selection,
            outputLimit: profile.profile.limits.tmpfsBytes)
    }

    /// How the one build ended.
    struct Built {
        /// The sandbox's result.
        var result: BuildResult
        /// The build's seconds.
        var seconds: Double
        /// Why the build failed, when it did.
        var failure: String?
        /// The collected outputs' listing, nil when the build failed.
        var listing: TreeListing?
    }

    /// One build, its outputs collected into `outputRoot` as a check collects them; says how it
    /// ended, with the log's last lines when it failed.
    func build(_ recipe: RebuildRecipe, plan: BuildPlan, source: Source, work: String, outputRoot: String)
        throws(ReproError) -> Built
    {
        var request = BuildRequest(
            index: 1, workOps: plan.workOps, environment: recipe.environment, command: recipe.command,
            normalization: plan.normalization, timeout: recipe.config.build.timeout, logPath: work + "/rebuild.log")
        request.logKept = false
        var runnerOptions = CheckOptions(projectDir: source.projectDir, cacheDir: options.cacheDir)
        runnerOptions.events = options.events
        let runner = CheckRunner(options: runnerOptions)
        let clock = Date()
        var collectError: ReproError?
        let workdir = plan.normalization.workdir
        let (selection, limit) = (plan.selection, plan.outputLimit)
        let result = try runner.runBuild(request, setup: plan.setup) { root in
            do throws(ReproError) {
                try OutputCollector.collect(from: root + workdir, selection: selection, into: outputRoot, limit: limit)
            } catch {
                collectError = error
            }
        }
        let seconds = Date().timeIntervalSince(clock)
        var failure: String?
        var listing: TreeListing?
        if result.timedOut {
            failure = "stopped by the timeout"
        } else if result.exitStatus != 0 {
            failure =
                result.exitStatus > 128
                ? "killed by signal \(result.exitStatus - 128)" : "the build exited with status \(result.exitStatus)"
        } else if let collectError {
            guard collectError.status == .buildFailed else { throw collectError }
            failure = collectError.message
        } else {
            listing = try TreeWalker.walk(outputRoot)
        }
        options.progress(
            "rebuild: \(failure ?? "exit 0") in \(String(printf: "%.1f", seconds)) s\(listing.map { ", \($0.digest)" } ?? "")"
        )
        if failure != nil, let tail = CheckRunner.tail(of: request.logPath, lines: 20) {
            options.progress("rebuild log (last lines):\n\(tail)")
        }
        return Built(result: result, seconds: seconds, failure: failure, listing: listing)
    }

    /// The check `repro verify --artifacts` makes: every subject with its bytes, nothing else,
    /// and the same tree (symlinks, directories, execute bits) as the signed one; the verdict,
    /// outputs and differences go into `outcome`.
    func compare(
        _ listing: TreeListing, outputRoot: String, subjects: [Subject], expected: String,
        into outcome: inout RebuildOutcome
    ) {
        outcome.outputs = listing.entries.filter { $0.kind == .file }
        let found = Verifier.compareTree(
            listing.entries, digest: listing.digest, in: outputRoot, subjects: subjects, expected: expected)
        outcome.comparison = found
        if found.matches {
            outcome.result = .reproduced
        } else {
            outcome.result = .differ
            outcome.differences = explain(found, rebuilt: listing.entries, subjects: subjects, outputRoot: outputRoot)
        }
    }

    /// The comparison's findings as a failed check states differences: run 1 the original
    /// (its sizes unknown, the bundle records digests only), run 2 the rebuild. With the original
    /// outputs at hand (`--artifacts`), changed files get their first differing byte and cause.
    func explain(_ found: ArtifactsReport, rebuilt: [TreeEntry], subjects: [Subject], outputRoot: String)
        -> [Difference]
    {
        let sizes = Dictionary(rebuilt.map { ($0.path, $0.size) }, uniquingKeysWith: { a, _ in a })
        var result: [Difference] = []
        let now = Int64(Date().timeIntervalSince1970)
        for path in found.changed {
            var difference = Difference(path: path, kind: .changed, run: 2, sizes: [nil, sizes[path]])
            if let originals = options.originalOutputs {
                let original = originals + "/" + path
                if let info = Syscalls.lstat(original) { difference.sizes[0] = UInt64(info.st_size) }
                if let compared = FileComparison.compare(original, outputRoot + "/" + path, now: now),
                    let offset = compared.offset
                {
                    difference.firstDifference = offset
                    difference.explanation = compared.explanation
                }
            }
            result.append(difference)
        }
        for path in found.missing { result.append(Difference(path: path, kind: .missing, run: 2, sizes: [nil, nil])) }
        for path in found.extra {
            result.append(Difference(path: path, kind: .extra, run: 2, sizes: [nil, sizes[path]]))
        }
        if result.isEmpty {
            // The files agree; the tree does not (an execute bit, a symlink, a directory).
            let unlisted = found.unlisted.isEmpty ? ["(the output tree)"] : found.unlisted
            for path in unlisted {
                result.append(
                    Difference(
                        path: path, kind: .changed, run: 2, sizes: [nil, sizes[path]],
                        explanation: found.problems.first))
            }
        }
        return result.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// Clones the recorded git URL and checks out the recorded commit; returns the project's
    /// directory in the clone. The source must be one the builder declared rebuildable.
    func clone(_ source: ResolvedDependency, into directory: String) throws(ReproError) -> String {
        if source.rebuildable == false {
            let reason = source.annotations["reason"]?.stringValue ?? "the builder said so"
            throw .configuration(
                "\(options.bundlePath) records a source others cannot fetch (\(reason)); pass a copy of it with --source DIR."
            )
        }
        guard let (remote, commit, subdirectory) = SourceOrigin.parse(source.uri) else {
            throw .configuration(
                "\(options.bundlePath) records the source as \(TerminalText.field(source.uri)), not a git URL at a commit (git+URL@COMMIT); pass a copy of it with --source DIR."
            )
        }
        options.progress("cloning \(TerminalText.field(remote)) at \(commit)")
        let clone = try Self.git(["clone", "--quiet", "--no-checkout", "--", remote, directory])
        guard clone.status == 0 else {
            throw .configuration(
                "cannot clone \(TerminalText.field(remote)): \(clone.stderr.trimmingWhitespace()). Check that it is reachable, or pass a copy of the source with --source DIR."
            )
        }
        let checkout = try Self.git(["-C", directory, "checkout", "--quiet", "--detach", commit])
        guard checkout.status == 0 else {
            throw .verification(
                "\(TerminalText.field(remote)) has no commit \(commit), which \(options.bundlePath) records: \(checkout.stderr.trimmingWhitespace())"
            )
        }
        if !subdirectory.isEmpty {
            // The subdirectory must be a directory of the commit itself: a symbolic link committed
            // at that path (or above it) would lead the snapshot out of the clone, to the host's files.
            let listed = try Self.git([
                "-C", directory, "ls-tree", "-z", "--end-of-options", commit, "--", subdirectory,
            ])
            let entry = String(decoding: listed.stdout, as: UTF8.self)
            guard listed.status == 0, entry.hasPrefix("040000 tree "), entry.hasSuffix("\t" + subdirectory + "\0")
            else {
                throw .verification(
                    "\(options.bundlePath) records the source subdirectory \(TerminalText.field(subdirectory)), which is not a directory in commit \(commit) of \(TerminalText.field(remote)); it cannot be rebuilt from there."
                )
            }
        }
        return subdirectory.isEmpty ? directory : directory + "/" + subdirectory
    }

    /// Runs `git ARGS` for a clone: the snapshot's safety options (no hooks, fsmonitor, pager or
    /// signature programs), with only the file, https and ssh transports allowed.
    static func git(_ arguments: [String]) throws(ReproError) -> HostCommand.Output {
        var environment = SourceSnapshot.gitEnvironment
        environment["GIT_ALLOW_PROTOCOL"] = "file:https:ssh"
        // No prompt for a password or a host key on the terminal: a rebuild runs unattended.
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
        return try HostCommand.run(
            ["git"] + SourceSnapshot.gitOptions + arguments, environment: environment,
            removing: SourceSnapshot.gitLocationVariables)
    }

    /// The first path (in byte order) where the snapshot differs from `commit`'s files in the
    /// repository at `projectDir`, or nil when that cannot be told (no commit recorded, or the
    /// repository does not hold it).
    static func firstDifference(_ snapshot: SourceSnapshot, projectDir: String, commit: String?) -> String? {
        guard let commit, SourceOrigin.isCommitID(commit),
            let listed = try? SourceSnapshot.git(projectDir, ["ls-tree", "-r", "-z", "--end-of-options", commit]),
            listed.status == 0, let tree = SourceSnapshot.parseTree(listed.stdout)
        else { return nil }
        let recorded = tree.filter { !$0.key.hasPrefix(".repro/") && !$0.key.split(separator: "/").contains(".git") }
        let present = Set(snapshot.paths)
        let all = Set(recorded.keys).union(present).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for path in all {
            guard let entry = recorded[path] else { return "\(path) (not in the recorded source)" }
            guard present.contains(path) else { return "\(path) (missing)" }
            let file = snapshot.root + "/" + path
            guard let info = Syscalls.lstat(file) else { return path }
            let isLink = info.st_mode & S_IFMT == S_IFLNK
            let mode = isLink ? "120000" : (info.st_mode & S_IXUSR) != 0 ? "100755" : "100644"
            guard mode == entry.mode else { return "\(path) (mode \(mode), recorded \(entry.mode))" }
            guard SourceSnapshot.blobID(file, symlink: isLink, hexLength: entry.id.utf8.count) == entry.id else {
                return "\(path) (content)"
            }
        }
        return nil
    }

    /// The recorded and applied normalization values that differ, as text.
    static func describeMismatch(_ ours: [String: String], _ recorded: [String: String]) -> String {
        Set(ours.keys).union(recorded.keys).sorted().filter { ours[$0] != recorded[$0] }
            .map { "\($0): recorded \(recorded[$0] ?? "none"), here \(ours[$0] ?? "none")" }.joined(separator: "; ")
    }
}

/// What a rebuild takes from a verified provenance statement, each part checked.
struct RebuildRecipe {
    var command: [String]
    var config: ProjectConfig
    var environment: [String: String]
    var normalization: Normalization
    /// The recorded normalization values, without the `pass_env.` entries.
    var normalizationValues: [String: String]
    var toolchains: [ToolchainSpec]
    var profileName: String
    var profileDependency: ResolvedDependency?
    var source: ResolvedDependency
    var sourceDigest: String

    /// The recipe `p` records, each part checked; `bundlePath` names the bundle in errors.
    init(provenance p: ProvenanceSummary, bundlePath: String) throws(ReproError) {
        func missing(_ what: String) -> ReproError { Self.missing(what, provenance: p, bundlePath: bundlePath) }
        command = p.command
        guard let environment = p.environment else {
            throw missing("the build environment (internalParameters.environment)")
        }
        self.environment = environment
        do {
            config = try JSONDecoder().decode(ProjectConfig.self, from: Data(p.config.serialized()))
        } catch {
            throw .configuration("\(bundlePath) records a project configuration this repro cannot read: \(error)")
        }
        do throws(ReproError) { try config.validate(path: bundlePath + " (externalParameters.config)") } catch {
            throw error.prefixed(
                "\(bundlePath) records a project configuration repro does not accept: ",
                context: .init(path: bundlePath))
        }
        (normalization, normalizationValues) = try Self.normalization(
            p, environment: environment, bundlePath: bundlePath)
        toolchains = try Self.toolchainSpecs(p, bundlePath: bundlePath)
        profileName = p.profile
        profileDependency = p.profileDependency
        guard p.sources.count == 1, let source = p.sources.first, let tree = source.digest[ManifestURI.treeDigestKey]
        else {
            throw .configuration("\(bundlePath) records \(p.sources.count) source trees; a rebuild takes exactly one.")
        }
        self.source = source
        sourceDigest = "t1:" + tree
    }

    /// The error for a bundle that lacks `what`, made by a repro from before rebuilds were possible.
    static func missing(_ what: String, provenance p: ProvenanceSummary, bundlePath: String) -> ReproError {
        .configuration(
            "\(bundlePath) does not record \(what), which a rebuild needs (it was made by repro \(p.reproVersion ?? "of an unknown version"), before rebuilds were possible); run the check again with this repro."
        )
    }

    /// The recorded normalization (SOURCE_DATE_EPOCH, the release metadata) and its values without
    /// the `pass_env.` entries, each checked against the recorded environment.
    static func normalization(_ p: ProvenanceSummary, environment: [String: String], bundlePath: String)
        throws(ReproError) -> (Normalization, [String: String])
    {
        func missing(_ what: String) -> ReproError { Self.missing(what, provenance: p, bundlePath: bundlePath) }
        guard let epochText = p.normalization["source_date_epoch"], let epoch = Int64(epochText),
            let sourceText = p.normalization["epoch_source"],
            let epochSource = Normalization.EpochSource(rawValue: sourceText)
        else {
            throw missing("SOURCE_DATE_EPOCH and where it came from")
        }
        guard environment["SOURCE_DATE_EPOCH"] == epochText else {
            throw .verification(
                "\(bundlePath) records SOURCE_DATE_EPOCH \(epochText) but an environment with \(environment["SOURCE_DATE_EPOCH"] ?? "none"); it was not written by repro."
            )
        }
        var normalization = Normalization(sourceDateEpoch: epoch, epochSource: epochSource)
        // The release metadata as the builder's host computed it from its repository (the
        // recorded environment gives the runs the same REPRO_GIT_* values).
        if let commit = p.normalization["git_commit"], let short = p.normalization["git_commit_short"],
            let described = p.normalization["git_describe"]
        {
            let tag = p.normalization["git_tag"]
            let dirty = tag == nil && described.hasSuffix("-dirty")
            normalization.git = GitMetadata(
                commit: commit, shortCommit: short,
                describe: dirty ? String(described.dropLast("-dirty".count)) : described, tag: tag, dirty: dirty)
        }
        let normalizationValues = p.normalization.filter { !$0.key.hasPrefix("pass_env.") }
        for (key, value) in p.normalization where key.hasPrefix("pass_env.") {
            guard environment[String(key.dropFirst("pass_env.".count))] == value else {
                throw .verification(
                    "\(bundlePath) records \(key)=\(value) but the environment does not hold it; it was not written by repro."
                )
            }
        }
        return (normalization, normalizationValues)
    }

    /// The recorded toolchains in recorded order, one spec per name (sources of one name are
    /// consecutive), each checked as a toolchain file is.
    static func toolchainSpecs(_ p: ProvenanceSummary, bundlePath: String) throws(ReproError) -> [ToolchainSpec] {
        func missing(_ what: String) -> ReproError { Self.missing(what, provenance: p, bundlePath: bundlePath) }
        var specs: [ToolchainSpec] = []
        for dependency in p.toolchains {
            guard let sha = dependency.digest["sha256"], ToolchainSpec.isSHA256Hex(sha) else {
                throw .configuration(
                    "\(bundlePath) records the toolchain \(dependency.name) without a sha256 pin; it cannot be fetched by its pin."
                )
            }
            // A Debian lock's packages (`pkg:deb/...` with their pool path, size and suite): one
            // lock spec per toolchain name, fetched from the rebuilder's Debian mirrors.
            if let parsed = DebianPackagePin.parsePURL(dependency.uri) {
                guard let path = dependency.annotations["path"]?.stringValue,
                    let size = dependency.annotations["size"]?.integerValue,
                    size >= 0, let suite = dependency.annotations["suite"]?.stringValue
                else {
                    throw missing(
                        "where the package \(dependency.uri) of \(dependency.name) lies in the archive (annotations path, size, suite)"
                    )
                }
                let pin = DebianPackagePin(
                    name: parsed.name, version: parsed.version, architecture: parsed.architecture,
                    path: path, sha256: sha, size: UInt64(size))
                if let last = specs.last, last.name == dependency.name, last.debian != nil {
                    specs[specs.count - 1].packages.append(pin)
                } else {
                    var spec = ToolchainSpec(name: dependency.name, description: "from \(bundlePath)", sources: [])
                    spec.debian = DebianLockInfo(
                        suite: suite, suites: [suite], architecture: parsed.architecture, locked: "", include: [])
                    spec.packages = [pin]
                    specs.append(spec)
                }
                continue
            }
            guard let mount = dependency.mount, let strip = dependency.stripComponents else {
                throw missing("where the toolchain \(dependency.name) is mounted (annotations mount, strip_components)")
            }
            let source = ToolchainSource(url: dependency.uri, sha256: sha, mount: mount, stripComponents: strip)
            if let last = specs.last, last.name == dependency.name {
                specs[specs.count - 1].sources.append(source)
            } else {
                specs.append(ToolchainSpec(name: dependency.name, description: "from \(bundlePath)", sources: [source]))
            }
        }
        for spec in specs {
            do throws(ReproError) { try spec.validate(path: bundlePath) } catch {
                throw error.prefixed(
                    "\(bundlePath) records a toolchain that cannot be fetched: ",
                    context: .init(path: bundlePath, toolchain: spec.name))
            }
        }
        return specs
    }

    /// The recorded profile, found by the SHA-256 of its text: a built-in profile with that digest
    /// (whatever its name), or the file the rebuilder names with `--profile` if it has that digest.
    /// A path recorded in the bundle is never read: the bundle's author would choose the sandbox
    /// the rebuild runs in (for example a profile file inside a toolchain it just had unpacked).
    func resolveProfile(given: String?) throws(ReproError) -> ResolvedProfile {
        guard let wanted = profileDependency?.digest["sha256"] else {
            throw .configuration(
                "the bundle does not record the sandbox profile's digest (made before profiles were recorded); run the check again with this repro."
            )
        }
        let recordedName =
            profileDependency?.uri.hasPrefix("repro:profiles/") == true
            ? String(profileDependency!.uri.dropFirst("repro:profiles/".count)) : nil
        let names = (recordedName.map { [$0] } ?? []) + Profile.builtinNames
        for name in names where Profile.builtinNames.contains(name) {
            let resolved = try SandboxProfiles.resolve(name)
            if resolved.sha256 == wanted { return resolved }
        }
        if let given {
            let resolved = try SandboxProfiles.resolve(given)
            guard resolved.sha256 == wanted else {
                throw .verification(
                    "the profile \(given) has sha256:\(resolved.sha256), not the recorded sha256:\(wanted); give the builder's profile file."
                )
            }
            return resolved
        }
        throw .configuration(
            "no built-in sandbox profile of this repro (\(ReproInfo.version)) has the recorded digest sha256:\(wanted) (\(TerminalText.field(profileName)), \(TerminalText.field(profileDependency?.uri ?? ""))): the builder's repro had other built-in profiles, or the builder used a profile file of its own. Rebuild with the builder's repro version, or get the builder's profile file, read it, and pass it with --profile FILE."
        )
    }
}
