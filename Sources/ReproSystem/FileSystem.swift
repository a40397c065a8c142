import Crypto
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock on a file, held until the value goes away (`flock(2)`).
public struct FileLock: ~Copyable {
    private let fd: FileDescriptor

    /// Opens (creating it) and locks `path`; waits when `wait` is true, else returns nil if the
    /// lock is held elsewhere. The corresponding C function is `flock(2)`.
    public init?(path: String, shared: Bool = false, wait: Bool = true) throws(ReproError) {
        let raw: Int32
        switch Syscalls.open(path, O_RDWR | O_CREAT, 0o644) {
        case .success(let value): raw = value
        case .failure(let e):
            throw .configuration("cannot open the lock file \(path): \(e.text). Check that the cache directory is writable (or choose another with --cache DIR).", errno: e.code)
        }
        let descriptor = FileDescriptor(raw)
        let operation = (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)
        switch Syscalls.valueOrErrno({ flock(raw, operation) }) {
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
        switch Syscalls.open(path, O_RDONLY) {
        case .success(let value): raw = value
        case .failure(let e): throw .configuration("cannot open \(path): \(e.text).", errno: e.code)
        }
        let fd = FileDescriptor(raw)
        return try sha256(fd: fd.raw, path: path).hex
    }

    /// Hashes everything readable from `fd`, or its first `limit` bytes; returns the hex digest
    /// and the byte count.
    static func sha256(fd: Int32, path: String, limit: UInt64 = .max) throws(ReproError) -> (hex: String, size: UInt64) {
        var hasher = SHA256()
        var total: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let want = Int(min(UInt64(buffer.count), limit - total))
            switch want == 0 ? .success(0) : Syscalls.read(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])) {
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
