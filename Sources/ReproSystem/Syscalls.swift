import Glibc
import CReproSandbox

/// The system calls repro makes (the sandbox supervisor, the caches, the collectors), one
/// wrapper per call, each naming its man page. Every wrapper goes through ``call(_:path:retry:failed:_:)``,
/// the one place that reads errno (before anything can clobber it), retries EINTR, and asks the
/// test seam (``SyscallFaults``) whether to fail instead. A new libc call gets a wrapper here and
/// is never made elsewhere in ReproSystem; callers turn the ``Errno`` into a ``ReproError`` that
/// says what the failure means for them.
enum Syscalls {
    /// Runs `body` (the libc call named `name`, on `path` if it takes one) until it does not fail
    /// with EINTR (unless `retry` is false), and returns its value, or the errno it failed with when
    /// `failed` says its value is a failure. When a test armed ``SyscallFaults`` for this call, its
    /// errno is returned without making the call.
    @inline(__always)
    static func call<T>(
        _ name: Syscall, path: String? = nil, retry: Bool = true, failed: (T) -> Bool,
        _ body: () -> T
    ) -> Result<T, Errno> {
        if SyscallFaults.armed, let code = SyscallFaults.injected(name, path: path) { return .failure(Errno(code)) }
        while true {
            let value = body()
            if !failed(value) { return .success(value) }
            let code = Glibc.errno
            if code == EINTR, retry { continue }
            return .failure(Errno(code))
        }
    }

    /// ``call(_:path:retry:failed:_:)`` for the calls that return -1 on failure.
    @inline(__always)
    static func valueOrErrno<T: FixedWidthInteger>(_ name: Syscall, path: String? = nil, _ body: () -> T) -> Result<
        T, Errno
    > {
        call(name, path: path, failed: { $0 == -1 }, body)
    }

    /// pipe2(2) with O_CLOEXEC: the (read, write) descriptor numbers, for an ``OwnedPipe`` to own.
    static func pipe() -> Result<(Int32, Int32), Errno> {
        var fds: [Int32] = [-1, -1]
        return valueOrErrno(.pipe) { repro_pipe_cloexec(&fds) }.map { _ in (fds[0], fds[1]) }
    }

    /// open(2) with O_CLOEXEC added; the descriptor number, for a ``FileDescriptor`` to own.
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Errno> {
        valueOrErrno(.open, path: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// openat(2) with O_CLOEXEC added: `name` relative to the directory `dir`.
    static func openat(_ dir: Int32, _ name: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Errno> {
        valueOrErrno(.openat, path: name) { Glibc.openat(dir, name, flags | O_CLOEXEC, mode) }
    }

    /// openat(2) of a name given as a C string (a directory entry's bytes, which need not be UTF-8).
    static func openat(_ dir: Int32, _ name: UnsafePointer<CChar>, _ flags: Int32) -> Result<Int32, Errno> {
        valueOrErrno(.openat) { Glibc.openat(dir, name, flags | O_CLOEXEC) }
    }

    /// read(2) into `buffer`; returns the byte count (0 at end of file).
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        valueOrErrno(.read) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// The text of a small file (a /proc or /sys entry), read with open(2) and read(2) up to
    /// `limit` bytes; nil if it cannot be opened or read, or is not UTF-8.
    static func readSmallFile(_ path: String, limit: Int = 65536) -> String? {
        guard case .success(let fd) = open(path, O_RDONLY) else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            guard case .success(let n) = chunk.withUnsafeMutableBytes({ read(fd, $0) }) else { return nil }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// write(2) of the whole array (looping over short writes); `path` names the file `fd` is
    /// open on, for the faults of the tests.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String? = nil) -> Result<Void, Errno> {
        bytes.withUnsafeBytes { writeAll(fd, $0, path: path) }
    }

    /// write(2) of the whole buffer (looping over short writes); `path` names the file `fd` is
    /// open on, for the faults of the tests.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String? = nil) -> Result<Void, Errno> {
        var offset = 0
        while offset < buffer.count {
            let written = valueOrErrno(.write, path: path) {
                Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            switch written {
            case .success(let n): offset += n
            case .failure(let e): return .failure(e)
            }
        }
        return .success(())
    }

    /// Flushes a file's data and metadata to the disk. The corresponding C function is
    /// `fsync(2)`; `path` names the file `fd` is open on, for the faults of the tests.
    static func fsync(_ fd: Int32, path: String? = nil) -> Result<Int32, Errno> {
        valueOrErrno(.fsync, path: path) { Glibc.fsync(fd) }
    }

    /// close(2). EINTR is not retried: the descriptor is gone either way on Linux.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// dup(2) with close-on-exec (fcntl(2) `F_DUPFD_CLOEXEC`); the new descriptor number.
    static func dup(_ fd: Int32) -> Result<Int32, Errno> {
        valueOrErrno(.dup) { Glibc.fcntl(fd, F_DUPFD_CLOEXEC, 0) }
    }

    /// poll(2) on `fds` for up to `timeoutMilliseconds` (-1: forever); returns the ready count.
    /// EINTR is returned as 0 so the caller recomputes its deadline.
    static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) -> Result<Int32, Errno> {
        let r = fds.withUnsafeMutableBufferPointer { fds in
            call(.poll, retry: false, failed: { $0 == -1 }) {
                Glibc.poll(fds.baseAddress, nfds_t(fds.count), timeoutMilliseconds)
            }
        }
        if case .failure(let e) = r, e.code == EINTR { return .success(0) }
        return r
    }

    /// kill(2).
    static func kill(_ pid: pid_t, _ signal: Int32) -> Result<Int32, Errno> {
        valueOrErrno(.kill) { Glibc.kill(pid, signal) }
    }

    /// waitpid(2) for one child; returns its wait status.
    static func waitpid(_ pid: pid_t) -> Result<Int32, Errno> {
        var status: Int32 = 0
        return valueOrErrno(.waitpid) { Glibc.waitpid(pid, &status, 0) }.map { _ in status }
    }

    /// memfd_create(2) with MFD_CLOEXEC; the descriptor number, for a ``FileDescriptor`` to own.
    static func memfdCreate(_ name: String) -> Result<Int32, Errno> {
        valueOrErrno(.memfdCreate) { repro_memfd_cloexec(name) }
    }

    /// lseek(2)'s SEEK_DATA and SEEK_HOLE (Linux 3.1+), which the Glibc module does not export.
    static let seekData: Int32 = 3, seekHole: Int32 = 4

    /// lseek(2).
    static func lseek(_ fd: Int32, _ offset: off_t, _ whence: Int32) -> Result<off_t, Errno> {
        valueOrErrno(.lseek) { Glibc.lseek(fd, offset, whence) }
    }

    /// pread(2) into `buffer` from `offset`; returns the byte count (0 at end of file).
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: off_t) -> Result<Int, Errno> {
        valueOrErrno(.pread) { Glibc.pread(fd, buffer.baseAddress, buffer.count, offset) }
    }

    /// pwrite(2) of the whole buffer at `offset` (looping over short writes).
    static func pwriteAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: off_t) -> Result<Void, Errno> {
        var done = 0
        while done < buffer.count {
            switch valueOrErrno(
                .pwrite, { Glibc.pwrite(fd, buffer.baseAddress! + done, buffer.count - done, offset + off_t(done)) })
            {
            case .success(let n): done += n
            case .failure(let e): return .failure(e)
            }
        }
        return .success(())
    }

    /// copy_file_range(2) of up to `length` bytes from `input` at `offset` (advanced by what was
    /// copied) to `output` at its file offset; returns the byte count (0 at the end of `input`).
    static func copyFileRange(_ input: Int32, _ offset: inout Int64, _ output: Int32, _ length: Int) -> Result<
        Int, Errno
    > {
        valueOrErrno(.copyFileRange) { repro_copy_file_range(input, &offset, output, length) }
    }

    /// ftruncate(2).
    static func ftruncate(_ fd: Int32, _ length: off_t) -> Result<Int32, Errno> {
        valueOrErrno(.ftruncate) { Glibc.ftruncate(fd, length) }
    }

    /// fchmod(2): sets the mode of an open file whatever the umask was when it was made.
    static func fchmod(_ fd: Int32, _ mode: mode_t) -> Result<Int32, Errno> {
        valueOrErrno(.fchmod) { Glibc.fchmod(fd, mode) }
    }

    /// chmod(2) (follows a final symlink: for paths repro made itself).
    static func chmod(_ path: String, _ mode: mode_t) -> Result<Int32, Errno> {
        valueOrErrno(.chmod, path: path) { Glibc.chmod(path, mode) }
    }

    /// flock(2) on an open file.
    static func flock(_ fd: Int32, _ operation: Int32) -> Result<Int32, Errno> {
        valueOrErrno(.flock) { lockFile(fd, operation) }
    }

    /// access(2) with the real user's rights: whether `path` allows `mode` (R_OK, W_OK, X_OK).
    static func access(_ path: String, _ mode: Int32) -> Result<Int32, Errno> {
        valueOrErrno(.access, path: path) { Glibc.access(path, mode) }
    }

    /// realpath(3): the canonical absolute path, symlinks resolved.
    static func realpath(_ path: String) -> Result<String, Errno> {
        call(.realpath, path: path, failed: { $0 == nil }) { Glibc.realpath(path, nil) }.map { p in
            defer { free(p) }
            return String(cString: p!)
        }
    }

    /// The target of the symlink `name` in directory `dir`, as bytes (up to `PATH_MAX`). The
    /// corresponding C function is `readlinkat(2)`.
    static func readlinkat(_ dir: Int32, _ name: UnsafePointer<CChar>) -> Result<[UInt8], Errno> {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return valueOrErrno(.readlinkat) { Glibc.readlinkat(dir, name, &buffer, buffer.count - 1) }
            .map { n in buffer[0..<n].map { UInt8(bitPattern: $0) } }
    }

    /// ``readlinkat(_:_:)-(_,UnsafePointer<CChar>)`` of a name given as a String.
    static func readlinkat(_ dir: Int32, _ name: String) -> Result<[UInt8], Errno> {
        name.withCString { readlinkat(dir, $0) }
    }

    /// Status of a path, following symlinks. The corresponding C function is `fstatat(2)` (as `stat(2)`).
    static func stat(_ path: String) -> Result<Glibc.stat, Errno> {
        var st = Glibc.stat()
        return valueOrErrno(.stat, path: path) { Glibc.fstatat(AT_FDCWD, path, &st, 0) }.map { _ in st }
    }

    /// ``stat(_:)``, nil when it fails.
    static func statFollowingLinks(_ path: String) -> Glibc.stat? { try? stat(path).get() }

    /// Status of a path without following a final symlink. The corresponding C function is `lstat(2)`.
    static func lstatOrErrno(_ path: String) -> Result<Glibc.stat, Errno> {
        var st = Glibc.stat()
        return valueOrErrno(.lstat, path: path) { Glibc.lstat(path, &st) }.map { _ in st }
    }

    /// ``lstatOrErrno(_:)``, nil when it fails.
    static func lstat(_ path: String) -> Glibc.stat? { try? lstatOrErrno(path).get() }

    /// Status of an open file. The corresponding C function is `fstat(2)`.
    static func fstat(_ fd: Int32) -> Result<Glibc.stat, Errno> {
        var st = Glibc.stat()
        return valueOrErrno(.fstat) { Glibc.fstat(fd, &st) }.map { _ in st }
    }

    /// Status of `name` in directory `dir`, never following it if it is a symlink. The
    /// corresponding C function is `fstatat(2)` with `AT_SYMLINK_NOFOLLOW`.
    static func fstatat(_ dir: Int32, _ name: UnsafePointer<CChar>) -> Result<Glibc.stat, Errno> {
        var st = Glibc.stat()
        return valueOrErrno(.fstatat) { Glibc.fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) }.map { _ in st }
    }

    /// ``fstatat(_:_:)-(_,UnsafePointer<CChar>)`` of a name given as a String.
    static func fstatat(_ dir: Int32, _ name: String) -> Result<Glibc.stat, Errno> {
        name.withCString { fstatat(dir, $0) }
    }

    /// Whether `path` exists (without following a final symlink).
    static func exists(_ path: String) -> Bool { lstat(path) != nil }

    /// Whether `path` is a directory (not a symlink to one).
    static func isDirectory(_ path: String) -> Bool {
        guard let st = lstat(path) else { return false }
        return st.st_mode & S_IFMT == S_IFDIR
    }

    /// The names in the open directory `fd` (which stays open and is not moved), "." and ".."
    /// left out, as raw bytes, in the order the kernel lists them. The corresponding C functions
    /// are `fdopendir(3)` (of a dup(2) of `fd`) and `readdir(3)`.
    static func directoryEntries(_ fd: Int32) -> Result<[[UInt8]], Errno> {
        let listing: Int32
        switch dup(fd) {
        case .success(let copy): listing = copy
        case .failure(let e): return .failure(e)
        }
        let opened = call(.fdopendir, failed: { $0 == nil }) { fdopendir(listing) }
        guard case .success(let dir?) = opened else {
            close(listing)
            if case .failure(let e) = opened { return .failure(e) }
            return .failure(Errno(EBADF))
        }
        defer { closedir(dir) }
        rewinddir(dir)  // the copy shares the offset of `fd`, which may have been read before
        var names: [[UInt8]] = []
        while true {
            // readdir(3) returns nil both at the end and on failure; errno tells them apart.
            Glibc.errno = 0
            let next = call(.readdir, retry: false, failed: { $0 == nil && Glibc.errno != 0 }) { readdir(dir) }
            switch next {
            case .failure(let e): return .failure(e)
            case .success(nil): return .success(names)
            case .success(let entry?):
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
                if name == [0x2e] || name == [0x2e, 0x2e] { continue }
                names.append(name)
            }
        }
    }

    /// mkdir(2).
    static func mkdir(_ path: String, _ mode: mode_t) -> Result<Int32, Errno> {
        valueOrErrno(.mkdir, path: path) { Glibc.mkdir(path, mode) }
    }

    /// mkdirat(2): `name` in the directory `dir`.
    static func mkdirat(_ dir: Int32, _ name: String, _ mode: mode_t) -> Result<Int32, Errno> {
        valueOrErrno(.mkdirat, path: name) { Glibc.mkdirat(dir, name, mode) }
    }

    /// mkdtemp(3): a new directory (mode 0700) named by `template` with its trailing XXXXXX
    /// replaced; returns its path.
    static func mkdtemp(_ template: String) -> Result<String, Errno> {
        var bytes = Array(template.utf8CString)
        return call(.mkdtemp, path: template, failed: { $0 == nil }) { Glibc.mkdtemp(&bytes) }
            .map { _ in String(cString: bytes) }
    }

    /// Creates a directory and its missing parents with `mode` (0755 unless given; the umask
    /// still applies, so no bit beyond `mode` is ever set). The corresponding C function is `mkdir(2)`.
    static func mkdirs(_ path: String, mode: mode_t = 0o755) -> Result<Void, Errno> {
        if isDirectory(path) { return .success(()) }
        var parent = path
        while parent.hasSuffix("/") { parent.removeLast() }
        parent = parent.lastIndex(of: "/").map { String(parent[..<$0]) } ?? ""
        if !parent.isEmpty, parent != path, !isDirectory(parent) {
            if case .failure(let e) = mkdirs(parent, mode: mode) { return .failure(e) }
        }
        switch mkdir(path, mode) {
        case .success: return .success(())
        case .failure(let e) where e.code == EEXIST: return .success(())
        case .failure(let e): return .failure(e)
        }
    }

    /// unlink(2).
    @discardableResult
    static func unlink(_ path: String) -> Result<Int32, Errno> {
        valueOrErrno(.unlink, path: path) { Glibc.unlink(path) }
    }

    /// unlinkat(2): `name` in the directory `dir`; `flags` is 0 or `AT_REMOVEDIR`.
    @discardableResult
    static func unlinkat(_ dir: Int32, _ name: String, _ flags: Int32) -> Result<Int32, Errno> {
        valueOrErrno(.unlinkat, path: name) { Glibc.unlinkat(dir, name, flags) }
    }

    /// rmdir(2).
    @discardableResult
    static func rmdir(_ path: String) -> Result<Int32, Errno> {
        valueOrErrno(.rmdir, path: path) { Glibc.rmdir(path) }
    }

    /// symlink(2): a link at `path` holding `target`.
    static func symlink(_ target: String, _ path: String) -> Result<Int32, Errno> {
        valueOrErrno(.symlink, path: path) { Glibc.symlink(target, path) }
    }

    /// symlinkat(2): a link named `name` in the directory `dir` holding `target`.
    static func symlinkat(_ target: String, _ dir: Int32, _ name: String) -> Result<Int32, Errno> {
        valueOrErrno(.symlinkat, path: name) { Glibc.symlinkat(target, dir, name) }
    }

    /// link(2): a hard link at `path` to the file `existing`.
    static func link(_ existing: String, _ path: String) -> Result<Int32, Errno> {
        valueOrErrno(.link, path: path) { Glibc.link(existing, path) }
    }

    /// Renames atomically. The corresponding C function is `rename(2)`. A fault armed for a path
    /// matches either name.
    static func rename(_ from: String, _ to: String) -> Result<Int32, Errno> {
        if SyscallFaults.armed, let code = SyscallFaults.injected(.rename, path: to) { return .failure(Errno(code)) }
        return valueOrErrno(.rename, path: from) { Glibc.rename(from, to) }
    }

    /// Swaps two existing paths atomically. The corresponding C function is `renameat2(2)`
    /// with `RENAME_EXCHANGE`.
    static func exchange(_ a: String, _ b: String) -> Result<Int32, Errno> {
        valueOrErrno(.exchange, path: b) { repro_rename_exchange(a, b) }
    }

    /// utimensat(2) on `path` without following a final symlink.
    static func utimensat(_ path: String, _ times: [timespec]) -> Result<Int32, Errno> {
        valueOrErrno(.utimensat, path: path) {
            times.withUnsafeBufferPointer { Glibc.utimensat(AT_FDCWD, path, $0.baseAddress, AT_SYMLINK_NOFOLLOW) }
        }
    }

    /// Removes a file, symlink or whole directory tree, making directories writable first so that
    /// read-only trees can be removed. Never follows symlinks, not even one swapped in while the
    /// removal runs: below `path`, every step is relative to a directory descriptor opened with
    /// `O_NOFOLLOW` (openat, fstatat, unlinkat), so a directory renamed away and replaced by a link
    /// loses only the link. Missing paths are not an error; nothing else is reported either (what
    /// could not be removed stays).
    static func removeTree(_ path: String) {
        guard let st = lstat(path) else { return }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            unlink(path)
            return
        }
        if case .success(let fd) = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
            removeContents(of: fd, depth: 0)
            close(fd)
        }
        rmdir(path)
    }

    /// Removes everything in the open directory `fd` (which stays open, owned by the caller).
    private static func removeContents(of fd: Int32, depth: Int) {
        _ = fchmod(fd, 0o700)
        guard case .success(let entries) = directoryEntries(fd) else { return }
        for name in entries { removeEntry(fd, name.map { CChar(bitPattern: $0) } + [0], depth: depth) }
    }

    /// Removes the entry `name` (a NUL-terminated C string) of the open directory `fd`.
    private static func removeEntry(_ fd: Int32, _ name: [CChar], depth: Int) {
        name.withUnsafeBufferPointer { buffer in
            let name = buffer.baseAddress!
            guard case .success(let info) = fstatat(fd, name) else { return }
            if info.st_mode & S_IFMT == S_IFDIR, depth < 4096,
                case .success(let child) = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            {
                removeContents(of: child, depth: depth + 1)
                close(child)
                _ = valueOrErrno(.unlinkat) { Glibc.unlinkat(fd, name, AT_REMOVEDIR) }
                return
            }
            // Not a directory, or no longer one (swapped for a link): the entry itself goes.
            if case .failure = valueOrErrno(.unlinkat, { Glibc.unlinkat(fd, name, 0) }) {
                _ = valueOrErrno(.unlinkat) { Glibc.unlinkat(fd, name, AT_REMOVEDIR) }
            }
        }
    }

    /// uname(2): the machine name (e.g. "x86_64").
    static func machine() -> String {
        var name = utsname()
        guard case .success = valueOrErrno(.uname, { Glibc.uname(&name) }) else { return "" }
        return withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// geteuid(2).
    static func geteuid() -> uid_t { Glibc.geteuid() }
    /// getegid(2).
    static func getegid() -> gid_t { Glibc.getegid() }
}

/// flock(3) itself (inside ``Syscalls`` the name is its wrapper's, and `Glibc.flock` the struct's).
private func lockFile(_ fd: Int32, _ operation: Int32) -> Int32 { flock(fd, operation) }

/// The libc calls of ``Syscalls``, by name: what an ``Errno`` came from, and what a test names to
/// make one fail (``SyscallFaults``).
enum Syscall: String, Sendable, CaseIterable {
    case access, chmod, copyFileRange, dup, exchange, fchmod, fdopendir, flock, fstat, fstatat, fsync, ftruncate, kill
    case link, lseek, lstat, memfdCreate, mkdir, mkdirat, mkdtemp, open, openat, pipe, poll, pread, pwrite
    case read, readdir, readlinkat, realpath, rename, rmdir, stat, symlink, symlinkat, uname, unlink
    case unlinkat, utimensat, waitpid, write
}

/// The test seam of the syscall layer: within ``inject(_:_:)``, the calls a ``Fault`` names fail
/// with its errno instead of being made, so that a test can show what repro does when a disk
/// fills (ENOSPC on write), a read fails (EIO) or a rename crosses file systems (EXDEV).
///
/// The faults hold for the task that runs `body` and the tasks it starts (a task-local value), so
/// tests running in parallel do not see each other's. Until a test first injects, the layer pays
/// one load of a static Bool per call. There is no way to arm it from outside the process: no
/// environment variable or file can make a release binary fail a call it would have made.
enum SyscallFaults {
    /// One planned failure.
    struct Fault: Sendable {
        /// The call that fails.
        var call: Syscall
        /// The errno it fails with.
        var errno: Int32
        /// Only calls on a path containing this text (for the calls that take a path; a rename
        /// matches on either name).
        var path: String?
        /// How many matching calls succeed before the first failure.
        var after: Int
        /// How many matching calls fail (nil: every one after the first failure).
        var times: Int?

        /// `call` fails with `errno` (on a path containing `path`, if given), after `after`
        /// matching calls succeed, `times` times (nil: from then on).
        init(_ call: Syscall, _ errno: Int32, path: String? = nil, after: Int = 0, times: Int? = nil) {
            self.call = call
            self.errno = errno
            self.path = path
            self.after = after
            self.times = times
        }
    }

    /// The faults of one ``inject(_:_:)``, with how often each has matched so far.
    final class Plan: @unchecked Sendable {
        let faults: [Fault]
        private var matched: [Int]
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)  // a fixed address
        /// The failures injected so far, as (call, errno).
        private(set) var injected: [(Syscall, Int32)] = []

        init(_ faults: [Fault]) {
            self.faults = faults
            matched = Array(repeating: 0, count: faults.count)
            pthread_mutex_init(lock, nil)
        }

        deinit {
            pthread_mutex_destroy(lock)
            lock.deallocate()
        }

        /// The errno `call` on `path` fails with, if a fault says so (counting the match).
        func errno(for call: Syscall, path: String?) -> Int32? {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            for (i, fault) in faults.enumerated() where fault.call == call {
                if let wanted = fault.path, !(path ?? "").contains(wanted) { continue }
                let n = matched[i]
                matched[i] += 1
                if n >= fault.after, fault.times.map({ n - fault.after < $0 }) ?? true {
                    injected.append((call, fault.errno))
                    return fault.errno
                }
            }
            return nil
        }

        /// How many injected failures there were.
        var count: Int {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            return injected.count
        }
    }

    /// Whether any test has injected faults in this process (never reset; only then is the
    /// task-local plan looked up). Written before the first plan is bound, read racily after:
    /// a stale false only means a call made before the plan existed.
    nonisolated(unsafe) static var armed = false

    /// The plan in force for the current task.
    @TaskLocal static var current: Plan?

    /// The errno to fail `call` on `path` with now, if the current plan says so.
    static func injected(_ call: Syscall, path: String?) -> Int32? {
        current?.errno(for: call, path: path)
    }

    /// Runs `body` with `faults` in force; returns its value and the plan (to check that the
    /// faults were hit).
    static func inject<T, E: Error>(_ faults: [Fault], _ body: () throws(E) -> T) throws(E) -> (T, Plan) {
        armed = true
        let plan = Plan(faults)
        let result: Result<T, E> = $current.withValue(plan) {
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        return (try result.get(), plan)
    }
}

/// An errno value with its strerror(3) text.
public struct Errno: Error, Equatable, Sendable, CustomStringConvertible {
    /// The numeric code.
    public var code: Int32
    /// Wraps a code.
    public init(_ code: Int32) { self.code = code }
    /// strerror(3) of the code, e.g. "Operation not permitted".
    public var description: String { String(cString: strerror(code)) }
    /// The same text, for messages.
    public var text: String { description }
}
