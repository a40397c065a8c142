import CReproSandbox
import Dispatch
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// Runs a host program (git) to completion and captures its standard output.
enum HostCommand {
    /// The outcome of one run.
    struct Output {
        /// The exit status.
        var status: Int32
        /// Everything written to stdout.
        var stdout: Data
        /// Everything written to stderr, as text.
        var stderr: String
    }

    /// How a streamed program ended.
    struct Ended {
        /// Whether it exited by itself (rather than by a signal).
        var exited: Bool
        /// The exit status, or the signal number.
        var status: Int32
        /// Everything written to stderr, as text.
        var stderr: String
    }

    /// Runs `argv` (`argv[0]` looked up on PATH, see ``find(_:in:)``) with repro's environment
    /// changed by `environment` (each value replaces or adds a variable) and without the variables
    /// named in `removing`; throws only when it cannot be found, started or waited for.
    static func run(
        _ argv: [String], environment: [String: String] = [:],
        removing: [String] = []
    ) throws(ReproError) -> Output {
        let name = argv[0]
        let path = searchPath(environment: environment, removing: removing)
        guard let program = find(name, in: path) else { throw notFound(name, path: path) }
        var stdout = Data()
        let ended = try stream(
            URL(fileURLWithPath: program), Array(argv.dropFirst()), environment: environment,
            removing: removing, cannotStart: "cannot run \(name)", hint: "Install it or put it on PATH."
        ) { fd in
            var chunk = [UInt8](repeating: 0, count: 65536)
            while case .success(let n) = chunk.withUnsafeMutableBytes({ Syscalls.read(fd, $0) }), n > 0 {
                stdout.append(contentsOf: chunk[..<n])
            }
        }
        return Output(status: ended.status, stdout: stdout, stderr: ended.stderr)
    }

    /// The PATH a program run with `environment` and without `removing` sees: the changed
    /// value, else repro's own, else glibc's default for an unset PATH (confstr(3) `_CS_PATH`).
    static func searchPath(environment: [String: String] = [:], removing: [String] = []) -> String {
        if let path = environment["PATH"] { return path }
        if !removing.contains("PATH"), let path = ProcessInfo.processInfo.environment["PATH"] { return path }
        return "/bin:/usr/bin"
    }

    /// Where execvp(3) would find `name` on `path`: the first directory in `path` (an empty
    /// entry is the current directory) holding an executable regular file of that name, or nil.
    /// A name with a `/` is taken as it is (nil if it is not an executable regular file).
    static func find(_ name: String, in path: String) -> String? {
        func runnable(_ candidate: String) -> Bool {
            guard case .success(let st) = Syscalls.stat(candidate), st.st_mode & S_IFMT == S_IFREG else { return false }
            return (try? Syscalls.access(candidate, X_OK).get()) != nil
        }
        if name.isEmpty { return nil }
        if name.contains("/") { return runnable(name) ? name : nil }
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if runnable(candidate) { return candidate }
        }
        return nil
    }

    /// The error for a host program that is not on PATH (configuration: the machine lacks a
    /// program repro needs).
    static func notFound(_ name: String, path: String, why: String = "") -> ReproError {
        .configuration(
            "\(name) was not found on PATH (\(path))\(why); install \(name), or add the directory that holds it to PATH.",
            errno: ENOENT)
    }

    /// Runs `program` with `arguments`, hands the read end of its stdout to `readStdout` (stderr
    /// is drained on another thread so that neither pipe fills up), then waits for it. When
    /// `readStdout` throws, the program is killed (SIGKILL: a SIGTERM may be blocked in the mask
    /// it inherited, and it would otherwise block writing to a pipe nobody reads) and the error rethrown.
    static func stream(
        _ program: URL, _ arguments: [String], environment: [String: String] = [:],
        removing: [String] = [], cannotStart: String, hint: String,
        readStdout: (Int32) throws(ReproError) -> Void
    ) throws(ReproError) -> Ended {
        let changed: [String: String]? =
            environment.isEmpty && removing.isEmpty
            ? nil
            : {
                var changed = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
                for name in removing { changed[name] = nil }
                return changed
            }()
        let outPipe: (Int32, Int32), errPipe: (Int32, Int32)
        switch Syscalls.pipe() {
        case .success(let ends): outPipe = ends
        case .failure(let e): throw .configuration("\(cannotStart): \(e). \(hint)")
        }
        switch Syscalls.pipe() {
        case .success(let ends): errPipe = ends
        case .failure(let e):
            close(outPipe.0)
            close(outPipe.1)
            throw .configuration("\(cannotStart): \(e). \(hint)")
        }
        defer {
            close(outPipe.0)
            close(errPipe.0)
        }
        let spawned = spawn(program.path, arguments, environment: changed, stdout: outPipe.1, stderr: errPipe.1)
        close(outPipe.1)
        close(errPipe.1)
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let e): throw .configuration("\(cannotStart): \(e). \(hint)")
        }
        final class Sink: @unchecked Sendable { var data = Data() }
        let errSink = Sink()
        let errFD = errPipe.0
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while case .success(let n) = chunk.withUnsafeMutableBytes({ Syscalls.read(errFD, $0) }), n > 0 {
                errSink.data.append(contentsOf: chunk[..<n])
            }
            group.leave()
        }
        do throws(ReproError) {
            try readStdout(outPipe.0)
        } catch {
            _ = Syscalls.kill(pid, SIGKILL)
            group.wait()
            _ = Syscalls.waitpid(pid)
            throw error
        }
        group.wait()
        let status = try waitForExit(pid, program: program.lastPathComponent)
        let exited = status & 0x7f == 0
        return Ended(
            exited: exited, status: exited ? (status >> 8) & 0xff : status & 0x7f,
            stderr: String(decoding: errSink.data, as: UTF8.self))
    }

    /// Starts `path` with `arguments` (argv[0] is `path`), `environment` (nil: repro's own),
    /// with stdin from /dev/null, the given stdout and stderr, no other descriptor,
    /// and every signal unblocked and at its default (posix_spawn(3)). The child's pid, or the errno
    /// of why it could not be started.
    private static func spawn(
        _ path: String, _ arguments: [String], environment: [String: String]?,
        stdout: Int32, stderr: Int32
    ) -> Result<pid_t, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing else of repro's: descriptors it inherited, and any a library opened without
        // O_CLOEXEC, stay out of the host program.
        guard repro_spawn_close_from(&actions, 3) == 0 else { return .failure(Errno(ENOMEM)) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map {
            $0.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { for entry in envp ?? [] { free(entry) } }
        var pid = pid_t()
        let code =
            envp.map { posix_spawn(&pid, path, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        return code == 0 ? .success(pid) : .failure(Errno(code))
    }

    /// The wait status of `pid` once it has ended (waitpid(2), retried on EINTR). A failed wait
    /// is an error, never a status: with SIGCHLD ignored (inherited from whoever started repro)
    /// the kernel reaps the child itself and waitpid fails with ECHILD, and reading that as exit
    /// status 0 would report a failed host program (git, gpgv) as a successful one.
    private static func waitForExit(_ pid: pid_t, program name: String) throws(ReproError) -> Int32 {
        switch Syscalls.waitpid(pid) {
        case .success(let status): return status
        case .failure(let e):
            let why =
                e.code == ECHILD
                ? " SIGCHLD is ignored in the process that started repro (children inherit that), so the kernel reaped \(name) before repro could read how it ended. Start repro from a process that does not ignore SIGCHLD (an ignored signal stays ignored across exec)."
                : ""
            throw .sandbox(
                "cannot tell how \(name) ended: waitpid failed: \(e).\(why)", errno: e.code)
        }
    }
}
