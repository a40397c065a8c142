import Crypto
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// A walked tree: its entries sorted by path bytes, and its `t1:` digest.
public struct TreeListing: Sendable, Equatable {
    /// The entries, sorted by the bytes of their paths.
    public var entries: [TreeEntry]
    /// The `t1:` tree digest of `entries`.
    public var digest: String
    /// The exact bytes the digest hashes (see ``TreeDigest/lines(_:)``).
    public var lines: String
}

/// Walks a directory without following symlinks and digests it.
public enum TreeWalker {
    /// Walks `root` (a directory; symlinks inside are never followed) and returns its sorted
    /// entries and `t1:` digest. Devices, fifos and sockets, names that are not UTF-8 or contain a
    /// newline, and unreadable entries raise an error naming the path (exit 2).
    public static func walk(_ root: String) throws(ReproError) -> TreeListing {
        let rootFD: Int32
        switch Syscalls.open(root, O_RDONLY | O_DIRECTORY) {
        case .success(let fd): rootFD = fd
        case .failure(let e):
            throw .configuration("cannot open the directory \(root): \(e.text). Check the path.", errno: e.code)
        }
        var entries = [TreeEntry]()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        try walkDirectory(fd: rootFD, prefix: "", root: root, buffer: buffer, into: &entries)
        return try listing(of: entries)
    }

    /// Sorts and digests an explicit list of entries (for callers that build the list themselves).
    public static func listing(of entries: [TreeEntry]) throws(ReproError) -> TreeListing {
        let sorted = TreeDigest.sortedByPath(entries)
        let lines = try TreeDigest.lines(sorted)
        return TreeListing(entries: sorted, digest: TreeDigest.digest(lines: Data(lines.utf8)), lines: lines)
    }

    /// Walks the open directory `fd` (taking ownership of it), appending entries under `prefix`.
    private static func walkDirectory(
        fd: Int32, prefix: String, root: String, buffer: UnsafeMutableRawBufferPointer,
        into entries: inout [TreeEntry]
    ) throws(ReproError) {
        let directory = FileDescriptor(fd)
        let names = try listNames(directory.raw, prefix: prefix, root: root)
        for (raw, path) in names {
            try addEntry(raw, path: path, dirFD: directory.raw, root: root, buffer: buffer, into: &entries)
        }
    }

    /// The entries of the open directory `dirFD`: each name NUL-terminated, for the *at calls, and
    /// its path under `prefix`. A name that is not UTF-8 or holds a newline is refused.
    private static func listNames(_ dirFD: Int32, prefix: String, root: String) throws(ReproError)
        -> [(name: [CChar], path: String)]
    {
        let listed: [[UInt8]]
        switch Syscalls.directoryEntries(dirFD) {
        case .success(let names): listed = names
        case .failure(let e):
            throw .configuration("cannot read the directory \(root)/\(prefix): \(e.text).", errno: e.code)
        }
        var names = [(name: [CChar], path: String)]()
        for bytes in listed {
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw .configuration(
                    "\(root)/\(prefix): an entry's name is not valid UTF-8; rename it (the tree digest covers UTF-8 names only)."
                )
            }
            let path = prefix + name
            if name.contains("\n") {
                throw .configuration(
                    "\(root)/\(path): the name contains a newline, which the tree digest cannot represent; rename it.")
            }
            names.append((bytes.map { CChar(bitPattern: $0) } + [0], path))
        }
        return names
    }

    /// Appends the entry named `raw` (NUL-terminated) of the open directory `dirFD`, at `path`,
    /// walking it if it is a directory.
    private static func addEntry(
        _ raw: [CChar], path: String, dirFD: Int32, root: String, buffer: UnsafeMutableRawBufferPointer,
        into entries: inout [TreeEntry]
    ) throws(ReproError) {
        let st: stat
        switch raw.withUnsafeBufferPointer({ Syscalls.fstatat(dirFD, $0.baseAddress!) }) {
        case .success(let value): st = value
        case .failure(let e): throw .configuration("cannot stat \(root)/\(path): \(e.text).", errno: e.code)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let file: Int32
            switch raw.withUnsafeBufferPointer({ Syscalls.openat(dirFD, $0.baseAddress!, O_RDONLY | O_NOFOLLOW) }) {
            case .success(let value): file = value
            case .failure(let e):
                throw .configuration("cannot open \(root)/\(path): \(e.text).", errno: e.code)
            }
            let owned = FileDescriptor(file)
            let (hex, size) = try Hashing.sha256(fd: owned.raw, path: "\(root)/\(path)", buffer: buffer)
            entries.append(
                TreeEntry(path: path, kind: .file, executable: st.st_mode & 0o111 != 0, size: size, sha256: hex))
        case S_IFDIR:
            entries.append(.directory(path))
            let sub: Int32
            switch raw.withUnsafeBufferPointer({
                Syscalls.openat(dirFD, $0.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            }) {
            case .success(let value): sub = value
            case .failure(let e):
                throw .configuration("cannot open the directory \(root)/\(path): \(e.text).", errno: e.code)
            }
            try walkDirectory(fd: sub, prefix: path + "/", root: root, buffer: buffer, into: &entries)
        case S_IFLNK:
            let bytes: [UInt8]
            switch raw.withUnsafeBufferPointer({ Syscalls.readlinkat(dirFD, $0.baseAddress!) }) {
            case .success(let value): bytes = value
            case .failure(let e):
                throw .configuration("cannot read the symlink \(root)/\(path): \(e.text).", errno: e.code)
            }
            entries.append(
                TreeEntry(
                    path: path, kind: .symlink, sha256: TreeDigest.hex(SHA256.hash(data: bytes)),
                    target: String(decoding: bytes, as: UTF8.self)))
        default:
            throw .configuration(
                "\(root)/\(path) is a \(kindName(st.st_mode)); a tree may hold only regular files, directories and symlinks. Remove it or leave it out."
            )
        }
    }

    /// A readable name for a file type in `st_mode`.
    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFIFO: return "fifo"
        case S_IFSOCK: return "socket"
        default: return "special file"
        }
    }
}
