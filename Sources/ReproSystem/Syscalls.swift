import Glibc
import CReproSandbox

/// Thin wrappers over the system calls repro makes (the sandbox supervisor, the cache, the
/// collectors), one per call, each naming its man page. Every wrapper goes through ``valueOrErrno(_:)``, the one place that handles -1, errno
/// and EINTR.
enum Syscalls {
    /// Runs `body` until it does not fail with EINTR; returns its value or throws its errno.
    static func valueOrErrno<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
        while true {
            let value = body()
            if value != -1 { return .success(value) }
            let code = Glibc.errno
            if code == EINTR { continue }
            return .failure(Errno(code))
        }
    }

    /// pipe2(2) with O_CLOEXEC: the (read, write) descriptor numbers, for an ``OwnedPipe`` to own.
    static func pipe() -> Result<(Int32, Int32), Errno> {
        var fds: [Int32] = [-1, -1]
        return valueOrErrno { repro_pipe_cloexec(&fds) }.map { _ in (fds[0], fds[1]) }
    }

    /// open(2) with O_CLOEXEC added; the descriptor number, for a ``FileDescriptor`` to own.
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Errno> {
        valueOrErrno { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// read(2) into `buffer`; returns the byte count (0 at end of file).
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        valueOrErrno { Glibc.read(fd, buffer.baseAddress, buffer.count) }
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

    /// write(2) of the whole buffer (looping over short writes).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, Errno> {
        var offset = 0
        while offset < bytes.count {
            let r = bytes.withUnsafeBytes { buf in valueOrErrno { Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset) } }
            switch r {
            case .success(let n): offset += n
            case .failure(let e): return .failure(e)
            }
        }
        return .success(())
    }

    /// close(2). EINTR is not retried: the descriptor is gone either way on Linux.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// poll(2) on `fds` for up to `timeoutMilliseconds` (-1: forever); returns the ready count.
    /// EINTR is returned as 0 so the caller recomputes its deadline.
    static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) -> Result<Int32, Errno> {
        let r = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeoutMilliseconds) }
        if r == -1 {
            let code = Glibc.errno
            return code == EINTR ? .success(0) : .failure(Errno(code))
        }
        return .success(r)
    }

    /// kill(2).
    static func kill(_ pid: pid_t, _ signal: Int32) -> Result<Int32, Errno> {
        valueOrErrno { Glibc.kill(pid, signal) }
    }

    /// waitpid(2) for one child; returns its wait status.
    static func waitpid(_ pid: pid_t) -> Result<Int32, Errno> {
        var status: Int32 = 0
        return valueOrErrno { Glibc.waitpid(pid, &status, 0) }.map { _ in status }
    }

    /// memfd_create(2) with MFD_CLOEXEC; the descriptor number, for a ``FileDescriptor`` to own.
    static func memfdCreate(_ name: String) -> Result<Int32, Errno> {
        valueOrErrno { repro_memfd_cloexec(name) }
    }

    /// lseek(2)'s SEEK_DATA and SEEK_HOLE (Linux 3.1+), which the Glibc module does not export.
    static let seekData: Int32 = 3, seekHole: Int32 = 4

    /// lseek(2).
    static func lseek(_ fd: Int32, _ offset: off_t, _ whence: Int32) -> Result<off_t, Errno> {
        valueOrErrno { Glibc.lseek(fd, offset, whence) }
    }

    /// pread(2) into `buffer` from `offset`; returns the byte count (0 at end of file).
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: off_t) -> Result<Int, Errno> {
        valueOrErrno { Glibc.pread(fd, buffer.baseAddress, buffer.count, offset) }
    }

    /// pwrite(2) of the whole buffer at `offset` (looping over short writes).
    static func pwriteAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: off_t) -> Result<Void, Errno> {
        var done = 0
        while done < buffer.count {
            switch valueOrErrno({ Glibc.pwrite(fd, buffer.baseAddress! + done, buffer.count - done, offset + off_t(done)) }) {
            case .success(let n): done += n
            case .failure(let e): return .failure(e)
            }
        }
        return .success(())
    }

    /// ftruncate(2).
    static func ftruncate(_ fd: Int32, _ length: off_t) -> Result<Int32, Errno> {
        valueOrErrno { Glibc.ftruncate(fd, length) }
    }

    /// realpath(3): the canonical absolute path, symlinks resolved.
    static func realpath(_ path: String) -> Result<String, Errno> {
        guard let p = Glibc.realpath(path, nil) else { return .failure(Errno(Glibc.errno)) }
        defer { free(p) }
        return .success(String(cString: p))
    }

    /// Opens a file relative to a directory. The corresponding C function is `openat(2)`.
    /// The target of the symlink `name` in directory `dir`, as bytes (up to `PATH_MAX`). The
    /// corresponding C function is `readlinkat(2)`.
    static func readlinkat(_ dir: Int32, _ name: String) -> Result<[UInt8], Errno> {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return valueOrErrno { Glibc.readlinkat(dir, name, &buffer, buffer.count - 1) }
            .map { n in buffer[0..<n].map { UInt8(bitPattern: $0) } }
    }

    static func openat(_ dir: Int32, _ name: UnsafePointer<CChar>, _ flags: Int32) -> Result<Int32, Errno> {
        valueOrErrno { Glibc.openat(dir, name, flags | O_CLOEXEC) }
    }

    /// Writes a whole buffer, looping over short writes. The corresponding C function is `write(2)`.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Result<Void, Errno> {
        var offset = 0
        while offset < buffer.count {
            switch valueOrErrno({ Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset) }) {
            case .success(let n): offset += n
            case .failure(let e): return .failure(e)
            }
        }
        return .success(())
    }

    /// Status of a path, following symlinks. The corresponding C function is `fstatat(2)` (as `stat(2)`).
    static func statFollowingLinks(_ path: String) -> stat? {
        var st = stat()
        return Glibc.fstatat(AT_FDCWD, path, &st, 0) == 0 ? st : nil
    }

    /// Status of a path without following a final symlink. The corresponding C function is `lstat(2)`.
    static func lstat(_ path: String) -> stat? {
        var st = stat()
        return Glibc.lstat(path, &st) == 0 ? st : nil
    }

    /// Status of an open file. The corresponding C function is `fstat(2)`.
    static func fstat(_ fd: Int32) -> Result<stat, Errno> {
        var st = stat()
        return valueOrErrno { Glibc.fstat(fd, &st) }.map { _ in st }
    }

    /// Whether `path` exists (without following a final symlink).
    static func exists(_ path: String) -> Bool { lstat(path) != nil }

    /// Whether `path` is a directory (not a symlink to one).
    static func isDirectory(_ path: String) -> Bool {
        guard let st = lstat(path) else { return false }
        return st.st_mode & S_IFMT == S_IFDIR
    }

    /// Renames atomically. The corresponding C function is `rename(2)`.
    static func rename(_ from: String, _ to: String) -> Result<Int32, Errno> {
        valueOrErrno { Glibc.rename(from, to) }
    }

    /// Swaps two existing paths atomically. The corresponding C function is `renameat2(2)`
    /// with `RENAME_EXCHANGE`.
    static func exchange(_ a: String, _ b: String) -> Result<Int32, Errno> {
        valueOrErrno { repro_rename_exchange(a, b) }
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
        if Glibc.mkdir(path, mode) == 0 || errno == EEXIST { return .success(()) }
        return .failure(Errno(errno))
    }

    /// Removes a file, symlink or whole directory tree, making directories writable first so that
    /// read-only trees can be removed. Never follows symlinks, not even one swapped in while the
    /// removal runs: below `path`, every step is relative to a directory descriptor opened with
    /// `O_NOFOLLOW` (openat, fstatat, unlinkat), so a directory renamed away and replaced by a link
    /// loses only the link. Missing paths are not an error.
    static func removeTree(_ path: String) {
        guard let st = lstat(path) else { return }
        guard st.st_mode & S_IFMT == S_IFDIR else { _ = unlink(path); return }
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 {
            removeContents(of: fd, depth: 0)
            Glibc.close(fd)
        }
        _ = rmdir(path)
    }

    /// Removes everything in the open directory `fd` (which stays open, owned by the caller).
    private static func removeContents(of fd: Int32, depth: Int) {
        _ = Glibc.fchmod(fd, 0o700)
        let listing = Glibc.dup(fd)
        guard listing >= 0, let dir = fdopendir(listing) else {
            if listing >= 0 { Glibc.close(listing) }
            return
        }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names {
            var info = stat()
            guard Glibc.fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR, depth < 4096 {
                let child = Glibc.openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 {
                    removeContents(of: child, depth: depth + 1)
                    Glibc.close(child)
                    _ = Glibc.unlinkat(fd, name, AT_REMOVEDIR)
                    continue
                }
            }
            // Not a directory, or no longer one (swapped for a link): the entry itself goes.
            if unlinkat(fd, name, 0) != 0 { _ = Glibc.unlinkat(fd, name, AT_REMOVEDIR) }
        }
    }

    /// geteuid(2).
    static func geteuid() -> uid_t { Glibc.geteuid() }
    /// getegid(2).
    static func getegid() -> gid_t { Glibc.getegid() }
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
