import FoundationEssentials
import Glibc
import ReproCore
import CReproSandbox

/// How a sandboxed command ended.
public enum Termination: Sendable, Equatable {
    /// It exited with this status.
    case exited(Int32)
    /// It was killed by this signal.
    case signaled(Int32)

    /// The shell convention: the exit status, or 128+N for signal N.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let sig): return 128 + sig
        }
    }
}

/// Where the command's standard streams go: host file descriptors, which stay owned by the caller.
public struct SandboxIO: Sendable {
    /// The command's stdin; nil for /dev/null.
    public var stdin: Int32?
    /// The command's stdout.
    public var stdout: Int32
    /// The command's stderr.
    public var stderr: Int32

    /// Creates an IO setup.
    public init(stdin: Int32? = nil, stdout: Int32 = 1, stderr: Int32 = 2) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    /// stdin from /dev/null, stdout and stderr inherited from repro.
    public static let inherit = SandboxIO()
}

/// The outcome of a sandbox run.
public struct SandboxResult: Sendable {
    /// How the command ended (a timeout or interruption kills it with SIGKILL).
    public var termination: Termination
    /// Whether the wall-clock timeout ended the run.
    public var timedOut: Bool
    /// The signal (SIGINT, SIGTERM, SIGHUP) sent to repro that ended the run, if any.
    public var interruptedBy: Int32?
    /// Why the command could not be started (e.g. "executing make failed: No such file or
    /// directory"); `termination` is then `.exited(127)`.
    public var startFailure: String?
    /// Whether that failure came before `execve` (rlimits, credentials, no_new_privs, seccomp):
    /// the sandbox, not the command, could not be set up.
    public var startFailedBeforeExec = false
    /// The plan that ran and its compiled seccomp filter, from which `isolation` is derived.
    let plan: SandboxPlan
    let seccomp: SeccompProgram
    /// The fresh namespaces the sandbox's init was found in, sorted.
    let namespaces: [String]
    /// How long the sandbox took to set up: from cloning its init to the command's start (init's
    /// `REPRO_MSG_STARTED`, sent once every mount and limit is in place and the command is
    /// forked); nil when the command never started. The rest of the run's time is the command's.
    public var setupDuration: Duration?

    /// The isolation achieved. (Computed on demand: digesting the filter is start-up work that a
    /// plain `repro run` does not need.)
    public var isolation: IsolationReport {
        IsolationReport(plan: plan, namespaces: namespaces, seccompBPFSHA256: seccomp.sha256)
    }
}

/// Runs commands in a fresh Linux namespace sandbox.
public enum Sandbox {
    /// The id mapping for the current process: privileged when running as root in the initial
    /// user namespace (where `nobody` can be mapped), otherwise the caller's own ids.
    public static func currentMapping() -> IDMapping {
        let uid = Syscalls.geteuid(), gid = Syscalls.getegid()
        if uid == 0, mapsFullRange("/proc/self/uid_map"), mapsFullRange("/proc/self/gid_map") { return .privileged }
        return .unprivileged(uid: uid, gid: gid)
    }

    private static func mapsFullRange(_ path: String) -> Bool {
        guard let text = Syscalls.readSmallFile(path) else { return false }
        return text.split(separator: "\n").contains { line in
            let f = line.split(separator: " ").compactMap { UInt64($0) }
            return f.count == 3 && f[0] == 0 && f[1] == 0 && f[2] >= 65535
        }
    }

    /// Resolves a host path for a plan: absolute, symlinks resolved, must exist.
    public static func canonicalHostPath(_ path: String, what: String) throws(ReproError) -> String {
        switch Syscalls.realpath(path) {
        case .success(let p): return p
        case .failure(let e): throw .configuration("\(what) \(path): \(e). Give an existing path.", errno: e.code)
        }
    }

    /// Whether a canonical host path (from ``canonicalHostPath(_:what:)``) is a directory.
    public static func isDirectory(_ canonicalPath: String) -> Bool { Syscalls.isDirectory(canonicalPath) }

    /// A bind mount with the host path canonicalized and its kind (file or directory) looked up.
    public static func bindMount(host: String, dest: String, writable: Bool) throws(ReproError) -> BindMount {
        let real = try canonicalHostPath(host, what: "bind source")
        guard Syscalls.exists(real) else {
            throw .configuration("bind source \(host) does not exist. Give an existing path.")
        }
        return BindMount(host: real, dest: dest, writable: writable, isDirectory: Syscalls.isDirectory(real))
    }

    /// Why the build could not write through the writable bind `bind`, if it could not, as a
    /// warning that says what to do; nil when it can (or the bind is read-only). Started as root,
    /// the build is the host's `nobody`, which can write only where the mode bits let it (ACLs
    /// are not read); started unprivileged, it has the caller's ids, and access(2) answers.
    public static func bindWriteWarning(_ bind: BindMount, given: String, mapping: IDMapping) -> String? {
        guard bind.writable, let info = Syscalls.lstat(bind.host) else { return nil }
        let needed: mode_t = bind.isDirectory ? 0o3 : 0o2  // write, and search to create entries
        let mode = info.st_mode & 0o7777
        let what = bind.isDirectory ? "create or change files in" : "write"
        switch mapping {
        case .privileged:
            let nobody = SandboxLayout.nobodyID
            let bits: mode_t =
                info.st_uid == nobody ? (mode >> 6) & 0o7 : info.st_gid == nobody ? (mode >> 3) & 0o7 : mode & 0o7
            guard bits & needed != needed else { return nil }
            return
                "warning: --bind \(given): the build cannot \(what) \(bind.host): started as root, repro runs the build as the host's nobody (uid and gid \(nobody)), and \(bind.host) is owned by \(info.st_uid):\(info.st_gid) with mode \(String(mode, radix: 8)), so the build's writes there fail with \"Permission denied\". Give it to the build user (chown \(nobody):\(nobody) \(bind.host)), or start repro as a regular user, whose own ids the build then has."
        case .unprivileged(let uid, _):
            guard case .failure(let e) = Syscalls.access(bind.host, bind.isDirectory ? W_OK | X_OK : W_OK) else {
                return nil
            }
            let reason = e.text
            return
                "warning: --bind \(given): the build cannot \(what) \(bind.host): it runs with your ids (uid \(uid)), which cannot (\(reason)). Give yourself write access (chown or chmod \(bind.host)), or bind it read-only with --bind-ro."
        }
    }

    /// Runs the plan: clones the sandbox's init into fresh namespaces, waits for the command
    /// (killing the whole pid namespace on timeout or on SIGINT/SIGTERM/SIGHUP to repro), then,
    /// if the command ended by itself, calls `collect` with `/proc/<init>/root` (the sandbox's
    /// root, still mounted) before the namespaces are torn down.
    ///
    /// Call it from a thread that lives until it returns: the sandbox dies with that thread
    /// (PR_SET_PDEATHSIG). SIGINT, SIGTERM and SIGHUP to the process kill every sandbox running
    /// at the time, each on its own thread (the caller's handlers and mask are restored when the
    /// last one ends).
    /// Throws exit-4 errors when the kernel refuses the isolation.
    public static func run(
        _ plan: SandboxPlan, io: SandboxIO = .inherit,
        collect: ((_ rootPath: String, _ termination: Termination) throws(ReproError) -> Void)? = nil
    ) throws(ReproError) -> SandboxResult {
        let program = try SeccompProgram.compile(plan.profile.seccomp, profileName: plan.profile.name)
        let devNull = try FileDescriptor(opening: "/dev/null", flags: O_RDONLY)
        let signalPipe = try OwnedPipe()
        let forwarded = signalPipe.write.raw
        guard repro_signals_forward(forwarded) == 0 else {
            throw .sandbox(
                "cannot route SIGINT, SIGTERM and SIGHUP to the sandbox (\(Errno(errno).text)); too many sandboxes at once?"
            )
        }
        // Unregistered before the pipe is closed (and on every way out): a signal must never be
        // written to a descriptor number that something else has reused.
        var forwarding = true
        defer { if forwarding { repro_signals_restore(forwarded) } }

        let arena = CPlan(
            plan, program: program, stdin: io.stdin ?? devNull.raw, stdout: io.stdout, stderr: io.stderr,
            linger: collect != nil)
        defer { arena.free() }
        let spawnedAt = ContinuousClock.now
        let spawned = try spawn(arena, plan: plan)
        let report = FileDescriptor(spawned.report_fd)
        let release = FileDescriptor(spawned.release_fd)
        let pid = spawned.pid
        let namespaces = Namespaces.names(spawned.namespaces)
        if let missing = Namespaces.missing(from: namespaces) {
            _ = Syscalls.kill(pid, SIGKILL)
            release.close()
            _ = Syscalls.waitpid(pid)
            report.close()
            throw .sandbox(
                "the sandbox's init is not in a fresh \(missing) namespace although one was asked for; the kernel or a container runtime around repro interferes. Run repro where clone(2) creates every namespace kind."
            )
        }

        let watched = try supervise(
            pid: pid, report: report.raw, signals: signalPipe.read.raw, deadline: deadline(plan))
        var collectError: ReproError?
        if let status = watched.exitedStatus, let collect {
            do { try collect("/proc/\(pid)/root", decode(status)) } catch { collectError = error }
        }
        if watched.exitedStatus == nil { _ = Syscalls.kill(pid, SIGKILL) }
        release.close()  // init lingers (for `collect`) until this closes
        let initStatus = Syscalls.waitpid(pid)
        report.close()
        repro_signals_restore(forwarded)
        forwarding = false
        _ = consume signalPipe
        devNull.close()
        if let collectError { throw collectError }
        return try result(
            of: watched, spawnedAt: spawnedAt, initStatus: initStatus, plan: plan, program: program,
            namespaces: namespaces)
    }

    /// What supervising a sandbox saw, from its init's reports and repro's signals.
    struct Supervision {
        /// The command's wait status, when it ended by itself.
        var status: Int32?
        /// The report of a failed setup (init gave up before the command).
        var setupFailure: repro_msg?
        /// The report of the command's child failing before or at exec.
        var execFailure: repro_msg?
        /// Whether the timeout ended the run.
        var timedOut = false
        /// The signal to repro that ended the run.
        var interruptedBy: Int32?
        /// When init reported the command forked (`REPRO_MSG_STARTED`): setup was complete.
        var commandStarted: ContinuousClock.Instant?

        /// The command's wait status if it ended by itself (not killed by a timeout or a signal).
        var exitedStatus: Int32? { timedOut || interruptedBy != nil ? nil : status }
    }

    /// The moment the plan's timeout runs out, if it has one.
    private static func deadline(_ plan: SandboxPlan) -> ContinuousClock.Instant? {
        plan.timeoutSeconds > 0 ? .now + .seconds(min(plan.timeoutSeconds, Profile.Limits.maxTimeoutSeconds)) : nil
    }

    /// Clones the sandbox's init for the plan in `arena`; an exit-4 error names the step that failed.
    private static func spawn(_ arena: CPlan, plan: SandboxPlan) throws(ReproError) -> repro_spawned {
        var spawned = repro_spawned()
        var failure = repro_msg()
        let started = withUnsafePointer(to: &arena.plan) { repro_sandbox_spawn($0, &spawned, &failure) }
        if started != 0 {
            throw SandboxFailure.error(step: failure.step, index: failure.index, errno: failure.err, plan: plan)
        }
        return spawned
    }

    /// Waits for init's reports on `report` (its setup failing, the command starting, failing to
    /// start, or ending), for a signal to repro on `signals`, or for `deadline`, whichever ends
    /// the run first. A failed poll(2) kills the sandbox and throws.
    private static func supervise(
        pid: pid_t, report: Int32, signals: Int32,
        deadline: ContinuousClock.Instant?
    ) throws(ReproError) -> Supervision {
        var seen = Supervision()
        while true {
            var timeoutMS: Int32 = -1
            if let deadline {
                let left = deadline - .now
                if left <= .zero {
                    seen.timedOut = true
                    return seen
                }
                let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
                timeoutMS = Int32(min(ms, Int64(Int32.max)))
            }
            var fds = [
                pollfd(fd: report, events: Int16(POLLIN), revents: 0),
                pollfd(fd: signals, events: Int16(POLLIN), revents: 0),
            ]
            switch Syscalls.poll(&fds, timeoutMilliseconds: timeoutMS) {
            case .failure(let e):
                _ = Syscalls.kill(pid, SIGKILL)
                _ = Syscalls.waitpid(pid)
                throw .sandbox("poll failed while supervising the sandbox: \(e).", errno: e.code)
            case .success(0): continue
            case .success: break
            }
            if fds[1].revents != 0 {
                var byte: UInt8 = 0
                _ = withUnsafeMutableBytes(of: &byte) { Syscalls.read(signals, $0) }
                seen.interruptedBy = Int32(byte)
                return seen
            }
            guard fds[0].revents != 0 else { continue }
            var msg = repro_msg()
            let r = withUnsafeMutableBytes(of: &msg) { Syscalls.read(report, $0) }
            guard case .success(let n) = r, n == MemoryLayout<repro_msg>.size else { return seen }  // init died
            switch msg.kind {
            case Int32(REPRO_MSG_SETUP_FAILED.rawValue):
                seen.setupFailure = msg
                return seen
            case Int32(REPRO_MSG_EXEC_FAILED.rawValue): seen.execFailure = msg
            case Int32(REPRO_MSG_STARTED.rawValue): seen.commandStarted = .now
            case Int32(REPRO_MSG_EXITED.rawValue):
                seen.status = msg.value
                return seen
            default: continue
            }
        }
    }

    /// The outcome of a supervised run whose init has been reaped (with `initStatus`), or the
    /// error that ended it: a failed setup, or init killed from outside.
    private static func result(
        of seen: Supervision, spawnedAt: ContinuousClock.Instant, initStatus: Result<Int32, Errno>,
        plan: SandboxPlan, program: SeccompProgram, namespaces: [String]
    ) throws(ReproError) -> SandboxResult {
        if let setupFailure = seen.setupFailure {
            throw SandboxFailure.error(
                step: setupFailure.step, index: setupFailure.index, errno: setupFailure.err, plan: plan)
        }
        let termination: Termination
        if let status = seen.exitedStatus {
            termination = decode(status)
        } else if seen.timedOut || seen.interruptedBy != nil {
            termination = .signaled(SIGKILL)
        } else {
            let s = (try? initStatus.get()) ?? 0
            let when = seen.commandStarted == nil ? "before the command started" : "while the command ran"
            throw .sandbox(
                "the sandbox's init ended unexpectedly \(when) (\(describe(decode(s)))); something outside killed it.")
        }
        let startFailure = seen.execFailure.map {
            SandboxFailure.describe(step: $0.step, index: $0.index, errno: $0.err, plan: plan)
        }
        var result = SandboxResult(
            termination: termination, timedOut: seen.timedOut, interruptedBy: seen.interruptedBy,
            startFailure: startFailure, plan: plan, seccomp: program, namespaces: namespaces)
        result.startFailedBeforeExec = seen.execFailure.map { $0.step != Int32(REPRO_STEP_EXEC.rawValue) } ?? false
        result.setupDuration = seen.commandStarted.map { $0 - spawnedAt }
        return result
    }

    static func decode(_ status: Int32) -> Termination {
        let sig = status & 0x7f
        return sig == 0 ? .exited((status >> 8) & 0xff) : .signaled(sig)
    }

    static func describe(_ t: Termination) -> String {
        switch t {
        case .exited(let c): return "exit status \(c)"
        case .signaled(let s): return "signal \(s)"
        }
    }
}

/// The REPRO_NS_* bits that the C side observed, as the names the manifest records.
enum Namespaces {
    static let bits: [(UInt32, String)] = [
        (UInt32(REPRO_NS_CGROUP.rawValue), "cgroup"), (UInt32(REPRO_NS_IPC.rawValue), "ipc"),
        (UInt32(REPRO_NS_MOUNT.rawValue), "mount"), (UInt32(REPRO_NS_NETWORK.rawValue), "network"),
        (UInt32(REPRO_NS_PID.rawValue), "pid"), (UInt32(REPRO_NS_USER.rawValue), "user"),
        (UInt32(REPRO_NS_UTS.rawValue), "uts"),
    ]

    /// The names of the bits set in `mask`, sorted.
    static func names(_ mask: UInt32) -> [String] { bits.filter { mask & $0.0 != 0 }.map(\.1).sorted() }

    /// The first required namespace not in `names`, if any.
    static func missing(from names: [String]) -> String? {
        IsolationReport.namespacesRequired.first { !names.contains($0) }
    }
}

extension Sandbox {
    /// Where a process's command-line and environment strings are, parsed from the text of its
    /// `/proc/PID/stat` (fields 48 to 51) the way the sandbox's init finds repro's to replace
    /// them; nil when the text is malformed.
    static func commandLineArea(stat: String) -> (args: ClosedRange<UInt>, environment: ClosedRange<UInt>)? {
        var area = repro_arg_area()
        let bytes = Array(stat.utf8)
        let r = bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { repro_read_arg_area($0.baseAddress, $0.count, &area) }
        }
        guard r == 0 else { return nil }
        return (UInt(area.arg_start)...UInt(area.arg_end), UInt(area.env_start)...UInt(area.env_end))
    }
}

/// Turns {step, index, errno} from the child into a message that names the failed step and the fix.
enum SandboxFailure {
    static let steps: [Int32: String] = [
        Int32(REPRO_STEP_CLONE.rawValue): "creating the namespaces (clone)",
        Int32(REPRO_STEP_SETGROUPS_DENY.rawValue): "denying setgroups in the user namespace",
        Int32(REPRO_STEP_UID_MAP.rawValue): "writing the user namespace's uid map",
        Int32(REPRO_STEP_GID_MAP.rawValue): "writing the user namespace's gid map",
        Int32(REPRO_STEP_SYNC.rawValue): "starting the sandbox",
        Int32(REPRO_STEP_MAKE_PRIVATE.rawValue): "making the mounts private",
        Int32(REPRO_STEP_SETUP_TMPFS.rawValue): "mounting the setup tmpfs",
        Int32(REPRO_STEP_PIVOT_SETUP.rawValue): "pivoting into the setup tmpfs",
        Int32(REPRO_STEP_DETACH_HOST.rawValue): "detaching the host file system",
        Int32(REPRO_STEP_PIVOT_ROOT.rawValue): "pivoting into the sandbox's root",
        Int32(REPRO_STEP_HOSTNAME.rawValue): "setting the hostname",
        Int32(REPRO_STEP_LOOPBACK.rawValue): "bringing up the loopback interface",
        Int32(REPRO_STEP_FORK.rawValue): "forking the command",
        Int32(REPRO_STEP_SETSID.rawValue): "starting a new session",
        Int32(REPRO_STEP_STDIO.rawValue): "setting up stdin, stdout and stderr",
        Int32(REPRO_STEP_CLOSE_FDS.rawValue): "closing inherited file descriptors",
        Int32(REPRO_STEP_RLIMIT.rawValue): "setting resource limits",
        Int32(REPRO_STEP_CAPBSET.rawValue): "dropping the capability bounding set",
        Int32(REPRO_STEP_SETGROUPS.rawValue): "clearing supplementary groups",
        Int32(REPRO_STEP_SETGID.rawValue): "switching to the build group",
        Int32(REPRO_STEP_SETUID.rawValue): "switching to the build user",
        Int32(REPRO_STEP_CAPSET.rawValue): "dropping capabilities",
        Int32(REPRO_STEP_NO_NEW_PRIVS.rawValue): "setting no_new_privs",
        Int32(REPRO_STEP_CHDIR.rawValue): "changing to the working directory",
        Int32(REPRO_STEP_SECCOMP.rawValue): "installing the seccomp filter",
        Int32(REPRO_STEP_PDEATHSIG.rawValue): "arranging to die with repro",
        Int32(REPRO_STEP_ARG_AREA.rawValue):
            "finding repro's command line in /proc/self/stat (to hide it from the sandbox)",
    ]

    static func describe(step: Int32, index: Int32, errno: Int32, plan: SandboxPlan) -> String {
        "\(name(step: step, index: index, plan: plan)) failed: \(Errno(errno))"
    }

    /// What the step was doing, in words ("mounting /proc", "creating the namespaces (clone)").
    static func name(step: Int32, index: Int32, plan: SandboxPlan) -> String {
        let what: String
        if step == Int32(REPRO_STEP_OP.rawValue), index >= 0, Int(index) < plan.ops.count {
            what = plan.ops[Int(index)].summary
        } else if step == Int32(REPRO_STEP_EXEC.rawValue) {
            what = "executing \(plan.argv[0])"
        } else if step == Int32(REPRO_STEP_CHDIR.rawValue) {
            what = "changing to the working directory \(plan.workdir)"
        } else {
            what = steps[step] ?? "sandbox step \(step)"
        }
        return what
    }

    static func readSysctl(_ name: String) -> String? {
        (try? String(contentsOfFile: "/proc/sys/" + name.replacingEvery(".", with: "/"), encoding: .utf8))?
            .trimmingWhitespace()
    }

    /// The cause of a refused user namespace and the setting that fixes it, as far as it can be told.
    static func namespaceHint() -> String {
        var causes: [String] = []
        if readSysctl("user.max_user_namespaces") == "0" {
            causes.append(
                "user namespaces are disabled: user.max_user_namespaces is 0 (fix: `sysctl -w user.max_user_namespaces=15000`, or run repro outside the namespace that set it to 0)"
            )
        }
        if readSysctl("kernel.unprivileged_userns_clone") == "0" {
            causes.append(
                "unprivileged user namespaces are disabled: kernel.unprivileged_userns_clone is 0 (fix: `sysctl -w kernel.unprivileged_userns_clone=1`)"
            )
        }
        if readSysctl("kernel.apparmor_restrict_unprivileged_userns") == "1" {
            causes.append(
                "AppArmor restricts unprivileged user namespaces: kernel.apparmor_restrict_unprivileged_userns is 1 (fix: `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or install an AppArmor profile granting `userns` to repro)"
            )
        }
        if causes.isEmpty {
            causes.append(
                "the kernel or a container runtime refused it; in Docker the default seccomp profile blocks namespaces (run with `--security-opt seccomp=unconfined` or a profile that allows clone/unshare with CLONE_NEWUSER), and the sysctls user.max_user_namespaces, kernel.unprivileged_userns_clone and kernel.apparmor_restrict_unprivileged_userns must allow user namespaces"
            )
        }
        return causes.joined(separator: "; ")
    }

    static func error(step: Int32, index: Int32, errno: Int32, plan: SandboxPlan) -> ReproError {
        let base = describe(step: step, index: index, errno: errno, plan: plan)
        let namespaceSteps: Set<Int32> = [
            Int32(REPRO_STEP_CLONE.rawValue), Int32(REPRO_STEP_SETGROUPS_DENY.rawValue),
            Int32(REPRO_STEP_UID_MAP.rawValue), Int32(REPRO_STEP_GID_MAP.rawValue),
        ]
        var message = "the sandbox could not be set up: \(base). "
        if namespaceSteps.contains(step) || errno == EPERM {
            message +=
                "The kernel refused the isolation repro needs; repro never runs with weaker isolation. Cause: \(namespaceHint())."
        } else {
            message +=
                "repro never runs with weaker isolation; fix the cause above (a missing path, a full disk, or a kernel without overlayfs or mount_setattr, Linux 5.12+)."
        }
        return .sandbox(message, errno: errno, context: .init(step: name(step: step, index: index, plan: plan)))
    }
}

/// The plan as C structures; every pointer stays valid in the cloned child (a copy of this memory).
final class CPlan {
    var plan = repro_plan()
    private var allocations: [UnsafeMutableRawPointer] = []

    init(_ p: SandboxPlan, program: SeccompProgram, stdin: Int32, stdout: Int32, stderr: Int32, linger: Bool) {
        let ops = UnsafeMutablePointer<repro_op>.allocate(capacity: max(p.ops.count, 1))
        allocations.append(UnsafeMutableRawPointer(ops))
        for (i, op) in p.ops.enumerated() { ops[i] = cOp(op) }
        plan.ops = UnsafePointer(ops)
        plan.op_count = p.ops.count
        plan.hostname = UnsafePointer(str(p.hostname))
        plan.domainname = UnsafePointer(str(p.hostname))
        plan.argv = UnsafePointer(strArray(p.argv))
        plan.envp = UnsafePointer(strArray(p.environment))
        plan.path_env = p.searchPath.map { UnsafePointer(str($0)) }
        plan.workdir = UnsafePointer(str(p.workdir))
        plan.umask = p.umask
        plan.uid = p.uid
        plan.gid = p.gid
        plan.may_setgroups = p.maySetgroups ? 1 : 0
        plan.rlimits = UnsafePointer(cLimits(p.rlimits))
        plan.rlimit_count = p.rlimits.count
        plan.filter = UnsafeRawPointer(bytes(program.bytes))
        plan.filter_len = UInt16(program.instructionCount)
        plan.stdin_fd = stdin
        plan.stdout_fd = stdout
        plan.stderr_fd = stderr
        plan.uid_map = UnsafePointer(str(p.uidMapText))
        plan.gid_map = UnsafePointer(str(p.gidMapText))
        plan.linger = linger ? 1 : 0
    }

    /// A copy of `s` as a NUL-terminated C string, freed by ``free()``.
    private func str(_ s: String) -> UnsafeMutablePointer<CChar> {
        let chars = s.utf8CString
        let c = UnsafeMutablePointer<CChar>.allocate(capacity: chars.count)
        chars.withUnsafeBufferPointer { c.initialize(from: $0.baseAddress!, count: chars.count) }
        allocations.append(UnsafeMutableRawPointer(c))
        return c
    }

    /// `items` as a NULL-terminated array of C strings, freed by ``free()``.
    private func strArray(_ items: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let a = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: items.count + 1)
        for (i, s) in items.enumerated() { a[i] = str(s) }
        a[items.count] = nil
        allocations.append(UnsafeMutableRawPointer(a))
        return a
    }

    /// A copy of the bytes `b` (at least one byte allocated), freed by ``free()``.
    private func bytes(_ b: [UInt8]) -> UnsafeMutablePointer<CChar> {
        let m = UnsafeMutablePointer<CChar>.allocate(capacity: max(b.count, 1))
        b.withUnsafeBytes {
            if let base = $0.baseAddress { UnsafeMutableRawPointer(m).copyMemory(from: base, byteCount: b.count) }
        }
        allocations.append(UnsafeMutableRawPointer(m))
        return m
    }

    /// The setup operation `op` as the C child reads it.
    private func cOp(_ op: MountOp) -> repro_op {
        var c = repro_op()
        func flags(builder: Bool = false, readOnly: Bool = false) -> Int32 {
            (builder ? Int32(REPRO_OPF_BUILDER) : 0) | (readOnly ? Int32(REPRO_OPF_READONLY) : 0)
        }
        c.path = UnsafePointer(str(op.path))
        switch op {
        case .mkdir(_, let mode, let builder):
            c.kind = Int32(REPRO_OP_MKDIR.rawValue)
            c.mode = mode
            c.flags = flags(builder: builder)
        case .tmpfs(_, let options):
            c.kind = Int32(REPRO_OP_TMPFS.rawValue)
            c.data = UnsafePointer(str(options))
        case .bind(let source, _, let readOnly):
            c.kind = Int32(REPRO_OP_BIND.rawValue)
            c.src = UnsafePointer(str(source))
            c.flags = flags(readOnly: readOnly)
        case .overlay(let lowers, _):
            c.kind = Int32(REPRO_OP_OVERLAY_RO.rawValue)
            c.data = UnsafePointer(str("lowerdir=" + lowers.joined(separator: ":")))
        case .writeFile(_, let contents, let mode, let builder):
            c.kind = Int32(REPRO_OP_WRITE_FILE.rawValue)
            c.data = UnsafePointer(bytes(contents))
            c.data_len = contents.count
            c.mode = mode
            c.flags = flags(builder: builder)
        case .copyFile(let source, _, let mode, let builder):
            c.kind = Int32(REPRO_OP_COPY_FILE.rawValue)
            c.src = UnsafePointer(str(source))
            c.mode = mode
            c.flags = flags(builder: builder)
        case .copyRange(let source, let offset, let length, _, let mode, let builder):
            c.kind = Int32(REPRO_OP_COPY_RANGE.rawValue)
            c.src = UnsafePointer(str(source))
            c.offset = offset
            c.data_len = Int(length)
            c.mode = mode
            c.flags = flags(builder: builder)
        case .symlink(let target, _, let builder):
            c.kind = Int32(REPRO_OP_SYMLINK.rawValue)
            c.src = UnsafePointer(str(target))
            c.flags = flags(builder: builder)
        case .proc:
            c.kind = Int32(REPRO_OP_PROC.rawValue)
        case .devpts:
            c.kind = Int32(REPRO_OP_DEVPTS.rawValue)
        case .bindDevice(let source, _):
            c.kind = Int32(REPRO_OP_BIND_DEV.rawValue)
            c.src = UnsafePointer(str(source))
        case .remountReadOnly:
            c.kind = Int32(REPRO_OP_REMOUNT_RO.rawValue)
        case .setTimes(_, let seconds):
            c.kind = Int32(REPRO_OP_SET_TIMES.rawValue)
            c.seconds = seconds
        }
        return c
    }

    /// The resource limits as C structures, sorted by resource name, freed by ``free()``.
    private func cLimits(_ rlimits: [ResourceLimit: UInt64]) -> UnsafeMutablePointer<repro_rlimit> {
        let limits = UnsafeMutablePointer<repro_rlimit>.allocate(capacity: max(rlimits.count, 1))
        allocations.append(UnsafeMutableRawPointer(limits))
        let resources: [ResourceLimit: Int32] = [
            .core: repro_rlimit_core, .fileSize: repro_rlimit_fsize,
            .openFiles: repro_rlimit_nofile, .processes: repro_rlimit_nproc,
        ]
        for (i, (kind, value)) in rlimits.sorted(by: { $0.key.rawValue < $1.key.rawValue }).enumerated() {
            limits[i] = repro_rlimit(resource: resources[kind]!, value: value)
        }
        return limits
    }

    /// Releases every buffer, each made by `allocate` and so returned by `deallocate`.
    func free() {
        for a in allocations { a.deallocate() }
        allocations = []
    }
}
