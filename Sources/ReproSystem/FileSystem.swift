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
        let descriptor = try FileDescriptor(opening: path, flags: O_RDWR | O_CREAT, mode: 0o644) { e in
            .configuration(
                "cannot open the lock file \(path): \(e.text). Check that the cache directory is writable (or choose another with --cache DIR).",
                errno: e.code)
        }
        let operation = (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)
        switch Syscalls.flock(descriptor.raw, operation) {
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
        guard case .success = Syscalls.flock(descriptor.raw, LOCK_EX | LOCK_NB) else { return nil }
        fd = descriptor
    }
}

/// Whole files replaced so that a reader, or a crash, finds the old file or the new one, never a
/// part of one: the one way repro writes a file it publishes whole (the manifest, the JUnit
/// report, a placement record, the files of `repro init`).
public enum AtomicFile {
    /// Writes `bytes` at `path`: into a new file beside it (``temporary(_:beside:sync:failure:)``),
    /// renamed over `path` (rename(2), which replaces an existing file or symlink, never writing
    /// through it), and the directory flushed, so that the new file is whole and durable once this
    /// returns. A step that fails before the rename is thrown as `failure` says (with its errno)
    /// and leaves everything as it was: the temporary file is removed, and an earlier file at
    /// `path` stays. Once the rename is done the new file is in place, whole, and the earlier one
    /// gone, so a failed flush of the directory is thrown but removes nothing.
    /// A directory that can be written and entered but not read (mode 0300) cannot be opened to
    /// be flushed: there the file is written and renamed all the same, and only the flush of the
    /// rename is left to the kernel.
    public static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t? = nil, failure: (Errno) -> ReproError
    ) throws(ReproError) {
        let directoryPath = directoryOf(path)
        var directory: Int32 = -1
        switch Syscalls.open(directoryPath, O_RDONLY | O_DIRECTORY) {
        case .success(let fd): directory = fd
        case .failure(let e) where e.code == EACCES: break
        case .failure(let e): throw failure(e)
        }
        defer { if directory >= 0 { Syscalls.close(directory) } }
        let temp = try temporary(bytes, beside: path, mode: mode, failure: failure)
        if case .failure(let e) = Syscalls.rename(temp, path) {
            Syscalls.unlink(temp)
            throw failure(e)
        }
        // The rename itself reaches the disk with its directory.
        if directory >= 0, case .failure(let e) = Syscalls.fsync(directory, path: directoryPath) {
            throw failure(e)
        }
    }

    /// Writes `bytes` into a new file beside `path` (`.NAME.tmp-UUID`, or `.tmp-UUID` for a NAME
    /// over 200 bytes; created with `O_EXCL` and
    /// mode 0666 less the umask, or exactly `mode` (fchmod(2)) when given), flushed to the disk
    /// (fsync(2)) unless `sync` is false, and returns its path, for the caller to rename into
    /// place. A step that fails is thrown as `failure` says, and the file is removed.
    static func temporary(
        _ bytes: [UInt8], beside path: String, mode: mode_t? = nil, sync: Bool = true,
        failure: (Errno) -> ReproError
    ) throws(ReproError) -> String {
        let slash = path.lastIndex(of: "/")
        let prefix = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        // A name near NAME_MAX (255 bytes) leaves no room for the suffix: the temporary file
        // then goes without it.
        let temp = prefix + (name.utf8.count > 200 ? "" : "." + name) + ".tmp-" + UUID().uuidString
        try NewFile.create(temp, bytes, mode: mode, sync: sync, cannotCreate: failure, cannotWrite: failure)
        return temp
    }

    /// The directory `path` is in ("." for a bare name).
    static func directoryOf(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")
        return slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }
}

/// New files written whole or not at all, through the syscall layer.
public enum NewFile {
    /// Creates `path` with `mode` (open(2) with `O_CREAT | O_EXCL | O_NOFOLLOW`: never an existing
    /// file or link, and never more than `mode` allows, from its first instant), sets exactly
    /// `mode` (fchmod(2), whatever the umask; with `mode` nil the file keeps 0666 less the umask),
    /// writes `bytes` whole and flushes them (fsync(2); not with `sync` false, for a scratch file).
    /// Failing to create it is thrown as `cannotCreate` says; a later step that fails is thrown as
    /// `cannotWrite` says, after the file is removed again.
    public static func create(
        _ path: String, _ bytes: [UInt8], mode: mode_t?, sync: Bool = true,
        cannotCreate: (Errno) -> ReproError, cannotWrite: (Errno) -> ReproError
    ) throws(ReproError) {
        let file = try FileDescriptor(
            opening: path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode ?? 0o666, failure: cannotCreate)
        let modeSet = mode.map { Syscalls.fchmod(file.raw, $0).map { _ in } } ?? .success(())
        let written = modeSet.flatMap {
            Syscalls.writeAll(file.raw, bytes, path: path)
        }.flatMap { sync ? Syscalls.fsync(file.raw, path: path).map { _ in } : .success(()) }
        file.close()
        if case .failure(let e) = written {
            Syscalls.unlink(path)
            throw cannotWrite(e)
        }
    }

    /// Copies the file at `source` into a new file at `target` (open(2) with `O_CREAT | O_EXCL |
    /// O_NOFOLLOW`), streamed through ``Hashing/stream(_:buffer:limit:readFailed:_:)``; returns the
    /// SHA-256 of what was copied. The copy is created with `mode` less the umask, or, with `mode`
    /// nil, gets exactly the source's permission bits (fchmod(2)). A step that fails is thrown as
    /// `failure` says, and leaves no `target`.
    static func copy(
        _ source: String, to target: String, mode: mode_t? = nil, failure: (Errno) -> ReproError
    ) throws(ReproError) -> String {
        let input = try FileDescriptor(opening: source, flags: O_RDONLY, failure: failure)
        var permissions: mode_t = mode ?? 0o600
        if mode == nil {
            switch Syscalls.fstat(input.raw) {
            case .success(let info): permissions = info.st_mode & 0o7777
            case .failure(let e): throw failure(e)
            }
        }
        let output = try FileDescriptor(
            opening: target, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: permissions, failure: failure)
        let copied: Result<String, ReproError>
        do throws(ReproError) {
            let streamed = try Hashing.withBuffer { buffer throws(ReproError) in
                try Hashing.stream(input.raw, buffer: buffer, readFailed: failure) { chunk throws(ReproError) in
                    if case .failure(let e) = Syscalls.writeAll(output.raw, chunk, path: target) { throw failure(e) }
                    return true
                }
            }
            if mode == nil, case .failure(let e) = Syscalls.fchmod(output.raw, permissions) { throw failure(e) }
            copied = .success(streamed.hex)
        } catch {
            copied = .failure(error)
        }
        output.close()
        if case .failure = copied { Syscalls.unlink(target) }
        return try copied.get()
    }
}

extension Hashing {
    /// The bytes of the file at `path` (open(2) with `flags`, read(2) through ``Hashing/stream(_:buffer:limit:readFailed:_:)``)
    /// and their SHA-256, reading no more than `limit` + 1 bytes: more than `limit` of them means
    /// the file is larger than that. A failure is thrown as `failure` says.
    static func contents(
        _ path: String, flags: Int32 = O_RDONLY, limit: Int, failure: (Errno) -> ReproError
    ) throws(ReproError) -> (bytes: [UInt8], sha256: String) {
        precondition(limit >= 0)
        let input = try FileDescriptor(opening: path, flags: flags, failure: failure)
        var bytes: [UInt8] = []
        let streamed = try Hashing.withBuffer { buffer throws(ReproError) in
            try Hashing.stream(input.raw, buffer: buffer, limit: UInt64(limit) + 1, readFailed: failure) { chunk in
                bytes += chunk
                return true
            }
        }
        return (bytes, streamed.hex)
    }
}

/// Streaming SHA-256 of files and byte streams: the one read-and-hash loop (``stream(_:buffer:limit:readFailed:_:)``)
/// that every reader of whole files uses (the tree walker, the downloader, the source snapshot).
public enum Hashing {
    /// The buffer size used to read files: large enough that the hash, not the syscalls, dominates.
    static let bufferSize = 1 << 20

    /// The lowercase hex SHA-256 of the file at `path`.
    public static func sha256(file path: String) throws(ReproError) -> String {
        let fd = try FileDescriptor(opening: path, flags: O_RDONLY) { e in
            .configuration("cannot open \(path): \(e.text).", errno: e.code)
        }
        return try sha256(fd: fd.raw, path: path).hex
    }

    /// Hashes everything readable from `fd`, or its first `limit` bytes; returns the hex digest
    /// and the byte count.
    static func sha256(fd: Int32, path: String, limit: UInt64 = .max) throws(ReproError) -> (hex: String, size: UInt64)
    {
        try withBuffer { buffer throws(ReproError) in try sha256(fd: fd, path: path, limit: limit, buffer: buffer) }
    }

    /// ``sha256(fd:path:limit:)`` reading through `buffer` (shared by the caller across files).
    static func sha256(
        fd: Int32, path: String, limit: UInt64 = .max,
        buffer: UnsafeMutableRawBufferPointer
    ) throws(ReproError) -> (hex: String, size: UInt64) {
        let result = try stream(
            fd, buffer: buffer, limit: limit,
            readFailed: { e in
                .configuration("cannot read \(path): \(e.text).", errno: e.code)
            })
        return (result.hex, result.size)
    }

    /// Runs `body` with a new read buffer of ``bufferSize`` bytes.
    static func withBuffer<T, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        return try body(buffer)
    }

    /// What ``stream(_:buffer:limit:readFailed:_:)`` read.
    struct Streamed {
        /// The lowercase hex SHA-256 of the bytes read and accepted (empty when `stopped`).
        var hex: String
        /// Their count.
        var size: UInt64
        /// Whether `chunk` refused a chunk, which was then neither hashed nor counted.
        var stopped: Bool
    }

    /// Reads `fd` (read(2)) through `buffer` to its end, or to its first `limit` bytes, hashing
    /// what it reads. Each chunk goes to `chunk` first (to be written elsewhere, or hashed by
    /// another algorithm too); when that returns false, the reading stops there and the chunk is
    /// not hashed. A failed read is thrown as `readFailed` says.
    @inline(__always)
    static func stream(
        _ fd: Int32, buffer: UnsafeMutableRawBufferPointer, limit: UInt64 = .max,
        readFailed: (Errno) -> ReproError,
        _ chunk: (UnsafeRawBufferPointer) throws(ReproError) -> Bool = { _ in true }
    ) throws(ReproError) -> Streamed {
        var hasher = SHA256()
        var total: UInt64 = 0
        while true {
            let want = Int(min(UInt64(buffer.count), limit - total))
            let n: Int
            switch want == 0
                ? .success(0) : Syscalls.read(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            {
            case .success(let got): n = got
            case .failure(let e): throw readFailed(e)
            }
            if n == 0 { return Streamed(hex: TreeDigest.hex(hasher.finalize()), size: total, stopped: false) }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            guard try chunk(bytes) else { return Streamed(hex: "", size: total, stopped: true) }
            hasher.update(bufferPointer: bytes)
            total += UInt64(n)
        }
    }
}
