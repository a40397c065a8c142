import FoundationEssentials
import Glibc
import ReproCore

/// What every run of a check shares: the profile, the toolchains and the environment.
struct BuildSetup {
    /// The sandbox profile.
    var profile: Profile
    /// Where the profile came from, and the digest of its text.
    var profileSource: ResolvedProfile
    /// The toolchains.
    var toolchains: ResolvedToolchains
    /// The build's whole environment.
    var environment: [String: String]
    /// The host variables passed through (`pass_env`), by name.
    var passed: [String: String]
}

extension CheckRunner {
    /// Loads the profile, fetches the toolchains and computes the environment.
    func prepareBuild(config: ProjectConfig, normalization: inout Normalization) throws(ReproError) -> BuildSetup {
        // --profile is taken from the current directory, build.profile from the project's.
        let resolved: ResolvedProfile
        if let name = options.profile {
            resolved = try SandboxProfiles.resolve(name)
        } else {
            resolved = try SandboxProfiles.resolve(
                config.build.profile ?? "default", relativeTo: options.projectDir, option: "build.profile")
        }
        let profile = resolved.profile
        normalization.hostname = profile.hostname
        let fetching = PhaseTimer(.fetching, sink: options.events)
        let toolchains = try ResolvedToolchains.fetch(
            config.build.toolchains, projectDirectory: options.projectDir,
            cacheRoot: options.cacheDir, mirrors: options.mirrors,
            progress: options.progress, events: options.events)
        fetching.end()
        var passed: [String: String] = [:]
        var unset: [String] = []
        for name in config.build.passEnv ?? [] {
            if let value = options.environment[name] { passed[name] = value } else { unset.append(name) }
        }
        if !unset.isEmpty {
            // A warning, not an error: a variable only some hosts set (CI) must not stop a local
            // check. The build runs without it, and the report records only what was passed.
            let names = unset.map { TerminalText.field($0) }.joined(separator: ", ")
            options.progress(
                "warning: build.pass_env names \(names), \(unset.count == 1 ? "which is" : "which are") not set in repro's environment; the build runs without \(unset.count == 1 ? "it" : "them"), and the report does not record \(unset.count == 1 ? "it" : "them"). Set \(unset.count == 1 ? "it" : "them") before running repro, or remove \(unset.count == 1 ? "it" : "them") from pass_env."
            )
        }
        let environment = normalization.environment(
            toolchains: toolchains.environments, profile: profile.environment,
            project: config.build.env ?? [:], passed: passed)
        return BuildSetup(
            profile: profile, profileSource: resolved, toolchains: toolchains, environment: environment, passed: passed)
    }

    /// The steps that fill `/build/src` from the staged snapshot, from its tree listing (sorted
    /// by path bytes, so every directory comes before what it holds), made once per check; then
    /// the times of every entry, and of `workdir` itself, set to `mtime`, in reverse order, so
    /// that a directory's times are set after its contents are written (which would change them).
    static func workOps(for listing: TreeListing, root: String, workdir: String, mtime: Int64) -> [WorkOp] {
        var ops: [WorkOp] = listing.entries.map { entry in
            let dest = workdir + "/" + entry.path
            switch entry.kind {
            case .directory: return .mkdir(dest: dest, mode: 0o755)
            case .symlink: return .symlink(target: entry.target, dest: dest)
            case .file:
                return .copyFile(host: root + "/" + entry.path, dest: dest, mode: entry.executable ? 0o755 : 0o644)
            }
        }
        ops += listing.entries.reversed().map { .setTimes(dest: workdir + "/" + $0.path, seconds: mtime) }
        ops.append(.setTimes(dest: workdir, seconds: mtime))
        return ops
    }

    /// The steps that fill `/build/src` from a snapshot, as ``workOps(for:root:workdir:mtime:)``
    /// does, copying from its pack when it has one.
    static func workOps(for snapshot: SourceSnapshot, workdir: String, mtime: Int64) -> [WorkOp] {
        guard case .pack(let pack) = snapshot.storage else {
            return workOps(for: snapshot.listing, root: snapshot.root, workdir: workdir, mtime: mtime)
        }
        let listing = snapshot.listing
        var ops: [WorkOp] = listing.entries.map { entry in
            let dest = workdir + "/" + entry.path
            switch entry.kind {
            case .directory: return .mkdir(dest: dest, mode: 0o755)
            case .symlink: return .symlink(target: entry.target, dest: dest)
            case .file:
                // Every file of a packed snapshot has its offset: a missing one is our bug.
                return .copyRange(
                    host: pack, offset: snapshot.packOffsets[PathKey(entry.path)]!, length: entry.size,
                    dest: dest, mode: entry.executable ? 0o755 : 0o644)
            }
        }
        ops += listing.entries.reversed().map { .setTimes(dest: workdir + "/" + $0.path, seconds: mtime) }
        ops.append(.setTimes(dest: workdir, seconds: mtime))
        return ops
    }

    /// Runs one build in a fresh sandbox, its output to the log, calling `collect` with the
    /// sandbox's root path while it still exists.
    func runBuild(
        _ request: BuildRequest, setup: BuildSetup,
        collect: @escaping (String) -> Void
    ) throws(ReproError) -> BuildResult {
        let spec = SandboxSpec(
            argv: request.command, profile: setup.profile, environment: request.environment,
            workdir: request.normalization.workdir, toolchains: setup.toolchains.mounts,
            workOps: request.workOps,
            timeoutSeconds: request.timeout, umask: request.normalization.umask)
        let plan = try SandboxPlan.build(spec, mapping: Sandbox.currentMapping())
        let logFile = try ProjectState.openLog(request.logPath)
        let log = logFile.raw
        options.events(.log(run: request.index, path: request.logPath, kept: request.logKept))
        let building = PhaseTimer(.building, run: request.index, sink: options.events)
        var buildEnded = false
        let result = try Sandbox.run(plan, io: SandboxIO(stdin: nil, stdout: log, stderr: log)) {
            root, termination throws(ReproError) in
            building.end(failed: termination != .exited(0))
            buildEnded = true
            if termination == .exited(0) {
                let collecting = PhaseTimer(.collecting, run: request.index, sink: options.events)
                collect(root)
                collecting.end()
            }
        }
        if !buildEnded { building.end(failed: true) }
        if let failure = result.startFailure {
            _ = Syscalls.writeAll(log, Array("repro: \(failure)\n".utf8))
            // Not the build's failure: the isolation the profile asks for could not be set up.
            if result.startFailedBeforeExec, result.interruptedBy == nil {
                logFile.close()
                throw .sandbox("setting up the sandbox failed: \(failure)")
            }
        }
        logFile.close()
        if let sig = result.interruptedBy {
            // Stop the whole check the conventional way, at once: dying by the same signal ends
            // every other sandbox too (they die with repro), and the caller sees 128+N. The work
            // area is left for the next run's clean-up.
            _ = Syscalls.writeAll(
                2, Array("repro: interrupted by signal \(sig); the sandboxes and their processes were removed\n".utf8))
            InterruptCleanup.removeAll()
            signal(sig, SIG_DFL)
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, sig)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)  // the caller may have started repro with it blocked
            raise(sig)
            exit(128 + sig)
        }
        return BuildResult(
            exitStatus: result.termination.shellStatus, timedOut: result.timedOut,
            isolation: result.isolation)
    }
}
