import Crypto
import Foundation
import ReproCore
#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the libc calls the toolchain code uses; each retries on `EINTR` and turns -1 into errno.
enum Sys {
    /// Runs `call` until it does not fail with `EINTR`; returns its result or the errno of the failure.
    @inline(__always)
    static func valueOrErrno<T: FixedWidthInteger>(_ call: () -> T) -> Result<T, Errno> {
        while true {
            let value = call()
            if value != -1 { return .success(value) }
            if errno != EINTR { return .failure(Errno(errno)) }
        }
    }

    /// An errno value with its message.
    struct Errno: Error {
        /// The raw errno.
        var code: Int32
        init(_ code: Int32) { self.code = code }
        /// The `strerror` text.
        var text: String { String(cString: strerror(code)) }
    }

    /// Opens a file. The corresponding C function is `open(2)`.
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Errno> {
        valueOrErrno { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// Opens a file relative to a directory. The corresponding C function is `openat(2)`.
    static func openat(_ dir: Int32, _ name: UnsafePointer<CChar>, _ flags: Int32) -> Result<Int32, Errno> {
        valueOrErrno { Glibc.openat(dir, name, flags | O_CLOEXEC) }
    }

    /// Reads into a buffer. The corresponding C function is `read(2)`.
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        valueOrErrno { Glibc.read(fd, buffer.baseAddress, buffer.count) }
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

    /// Status of a path without following a final symlink. The corresponding C function is `lstat(2)`.
    static func lstat(_ path: String) -> stat? {
        var st = stat()
        return Glibc.lstat(path, &st) == 0 ? st : nil
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

    /// Creates a directory and its missing parents with mode 0755. The corresponding C function is `mkdir(2)`.
    static func mkdirs(_ path: String) -> Result<Void, Errno> {
        if isDirectory(path) { return .success(()) }
        var parent = path
        while parent.hasSuffix("/") { parent.removeLast() }
        parent = parent.lastIndex(of: "/").map { String(parent[..<$0]) } ?? ""
        if !parent.isEmpty, parent != path, !isDirectory(parent) {
            if case .failure(let e) = mkdirs(parent) { return .failure(e) }
        }
        if Glibc.mkdir(path, 0o755) == 0 || errno == EEXIST { return .success(()) }
        return .failure(Errno(errno))
    }

    /// Removes a file, symlink or whole directory tree, making directories writable first so that
    /// read-only trees can be removed. Never follows symlinks. Missing paths are not an error.
    static func removeTree(_ path: String) {
        guard let st = lstat(path) else { return }
        if st.st_mode & S_IFMT == S_IFDIR {
            _ = chmod(path, 0o700)
            if let dir = opendir(path) {
                var names = [String]()
                while let entry = readdir(dir) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(dir)
                for name in names { removeTree(path + "/" + name) }
            }
            _ = rmdir(path)
        } else {
            _ = unlink(path)
        }
    }

    /// The canonical absolute path with no symlinks. The corresponding C function is `realpath(3)`.
    static func realpath(_ path: String) -> String? {
        guard let resolved = Glibc.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// An exclusive advisory lock on a file, held until the value goes away (`flock(2)`).
public struct FileLock: ~Copyable {
    private let fd: FileDescriptor

    /// Opens (creating it) and locks `path`; waits when `wait` is true, else returns nil if the
    /// lock is held elsewhere. The corresponding C function is `flock(2)`.
    public init?(path: String, shared: Bool = false, wait: Bool = true) throws(ReproError) {
        let raw: Int32
        switch Sys.open(path, O_RDWR | O_CREAT, 0o644) {
        case .success(let value): raw = value
        case .failure(let e):
            throw .configuration("cannot open the lock file \(path): \(e.text). Check that the cache directory is writable (or choose another with --cache DIR).", errno: e.code)
        }
        let descriptor = FileDescriptor(raw)
        let operation = (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)
        switch Sys.valueOrErrno({ flock(raw, operation) }) {
        case .success: break
        case .failure(let e) where e.code == EWOULDBLOCK: return nil
        case .failure(let e):
            throw .configuration("cannot lock \(path): \(e.text).", errno: e.code)
        }
        fd = descriptor
    }

    /// Runs `body` while holding an exclusive lock on `path` (waiting for it).
    public static func holding<T>(_ path: String, _ body: () throws(ReproError) -> T) throws(ReproError) -> T {
        guard let lock = try FileLock(path: path) else { fatalError("a waiting lock cannot be busy") }
        let result = try body()
        _ = consume lock
        return result
    }

    /// Locks an already open directory or file descriptor without waiting; nil if held elsewhere.
    init?(lockingWithoutWait descriptor: consuming FileDescriptor) {
        guard flock(descriptor.raw, LOCK_EX | LOCK_NB) == 0 else { return nil }
        fd = descriptor
    }
}

/// Streaming SHA-256 of files and byte streams.
public enum Hashing {
    /// The buffer size used to read files: large enough that the hash, not the syscalls, dominates.
    static let bufferSize = 1 << 20

    /// The lowercase hex SHA-256 of the file at `path`.
    public static func sha256(file path: String) throws(ReproError) -> String {
        let raw: Int32
        switch Sys.open(path, O_RDONLY) {
        case .success(let value): raw = value
        case .failure(let e): throw .configuration("cannot open \(path): \(e.text).", errno: e.code)
        }
        let fd = FileDescriptor(raw)
        return try sha256(fd: fd.raw, path: path).hex
    }

    /// Hashes everything readable from `fd`; returns the hex digest and the byte count.
    static func sha256(fd: Int32, path: String) throws(ReproError) -> (hex: String, size: UInt64) {
        var hasher = SHA256()
        var total: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            switch Sys.read(fd, buffer) {
            case .success(0):
                return (TreeDigest.hex(hasher.finalize()), total)
            case .success(let n):
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                total += UInt64(n)
            case .failure(let e):
                throw .configuration("cannot read \(path): \(e.text).", errno: e.code)
            }
        }
    }
}
