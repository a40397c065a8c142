internal import CArchive
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// Packs a directory into a deterministic tar archive.
///
/// The archive is a function of the tree's `t1:` content only: entries sorted by path bytes, POSIX
/// pax (restricted) format, every mtime set to one value, uid/gid 0 with no user or group names,
/// modes 0755 for directories and executable files and 0644 for other files, symlinks stored
/// as-is, hard links stored as separate files, no xattrs, ACLs or file flags, and compressors run
/// single-threaded at fixed levels (gzip without name or timestamp).
public enum Packer {
    /// The compressions ``pack(directory:to:mtime:)`` writes, chosen from the output file name.
    public enum Compression: String, Sendable, CaseIterable {
        /// `.tar`
        case plain = ".tar"
        /// `.tar.gz` / `.tgz`: gzip level 6, no name, no timestamp.
        case gzip = ".tar.gz"
        /// `.tar.zst`: zstd level 10.
        case zstd = ".tar.zst"
        /// `.tar.xz`: xz level 6, one thread.
        case xz = ".tar.xz"

        /// The compression for an output name, or nil if the name has none of the known suffixes.
        public static func forFileName(_ name: String) -> Compression? {
            if name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") { return .gzip }
            if name.hasSuffix(".tar.zst") || name.hasSuffix(".tzst") { return .zstd }
            if name.hasSuffix(".tar.xz") || name.hasSuffix(".txz") { return .xz }
            if name.hasSuffix(".tar") { return .plain }
            return nil
        }
    }

    /// The result of packing: the archive's SHA-256 and the tree it holds.
    public struct Result: Sendable {
        /// The lowercase hex SHA-256 of the archive bytes.
        public var sha256: String
        /// The archive size in bytes.
        public var size: UInt64
        /// The packed tree's entries and `t1:` digest.
        public var tree: TreeListing
    }

    /// Packs `directory` into `output` (written to a temp name beside it, renamed when complete) with
    /// every mtime set to `mtime` seconds since the epoch.
    public static func pack(directory: String, to output: String, mtime: Int64 = 0) throws(ReproError) -> Result {
        guard let compression = Compression.forFileName(output) else {
            throw .configuration(
                "cannot tell the format of \(output) from its name. Name it .tar, .tar.gz, .tar.zst or .tar.xz.")
        }
        guard Syscalls.isDirectory(directory) else {
            throw .configuration("\(directory) is not a directory. Give the directory to pack.")
        }
        let tree = try TreeWalker.walk(directory)
        let temp = output + ".tmp-\(getpid())"
        do throws(ReproError) {
            try write(tree: tree, from: directory, to: temp, compression: compression, mtime: mtime)
            let sha = try Hashing.sha256(file: temp)
            if case .failure(let e) = Syscalls.rename(temp, output) {
                throw .configuration("cannot move the archive into place at \(output): \(e.text).", errno: e.code)
            }
            return Result(sha256: sha, size: UInt64(Syscalls.lstat(output)?.st_size ?? 0), tree: tree)
        } catch {
            Syscalls.removeTree(temp)
            throw error
        }
    }

    /// Writes the walked `tree` under `root` as an archive at `path`.
    private static func write(
        tree: TreeListing, from root: String, to path: String, compression: Compression, mtime: Int64
    ) throws(ReproError) {
        guard let archive = archive_write_new() else { fatalError("archive_write_new: out of memory") }
        defer { archive_write_free(archive) }
        archive_write_set_format_pax_restricted(archive)
        addFilter(archive, compression)
        if archive_write_open_filename(archive, path) != ARCHIVE_OK { throw failure(archive, path, "opening") }
        guard let entry = archive_entry_new() else { fatalError("archive_entry_new: out of memory") }
        defer { archive_entry_free(entry) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        for item in tree.entries {
            setHeader(entry, item, mtime: mtime)
            if archive_write_header(archive, entry) < ARCHIVE_WARN {
                throw failure(archive, path, "entry \(item.path)")
            }
            if item.kind == .file && item.size > 0 {
                try writeContents(of: item, from: root, to: archive, path: path, buffer: buffer)
            }
        }
        if archive_write_close(archive) != ARCHIVE_OK { throw failure(archive, path, "closing") }
    }

    /// The error for a failed step (`what`) of writing the archive at `path`, with libarchive's
    /// reason.
    private static func failure(_ archive: OpaquePointer, _ path: String, _ what: String) -> ReproError {
        let text = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return .configuration("cannot write \(path): \(what): \(text).")
    }

    /// Sets the archive's compression filter and its options (fixed, so the bytes are too).
    private static func addFilter(_ archive: OpaquePointer, _ compression: Compression) {
        switch compression {
        case .plain: break
        case .gzip:
            archive_write_add_filter_gzip(archive)
            archive_write_set_filter_option(archive, "gzip", "compression-level", "6")
            archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        case .zstd:
            archive_write_add_filter_zstd(archive)
            archive_write_set_filter_option(archive, "zstd", "compression-level", "10")
        case .xz:
            archive_write_add_filter_xz(archive)
            archive_write_set_filter_option(archive, "xz", "compression-level", "6")
            archive_write_set_filter_option(archive, "xz", "threads", "1")
        }
    }

    /// Fills the reused header `entry` for `item`: owned by root, stamped `mtime`, fixed modes.
    private static func setHeader(_ entry: OpaquePointer, _ item: TreeEntry, mtime: Int64) {
        archive_entry_clear(entry)
        archive_entry_set_pathname(entry, item.path)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_mtime(entry, time_t(mtime), 0)
        switch item.kind {
        case .directory:
            archive_entry_set_filetype(entry, S_IFDIR)
            archive_entry_set_perm(entry, 0o755)
        case .symlink:
            archive_entry_set_filetype(entry, S_IFLNK)
            archive_entry_set_perm(entry, 0o777)
            archive_entry_set_symlink(entry, item.target)
        case .file:
            archive_entry_set_filetype(entry, S_IFREG)
            archive_entry_set_perm(entry, item.executable ? 0o755 : 0o644)
            archive_entry_set_size(entry, la_int64_t(item.size))
        }
    }

    /// Writes the `item.size` bytes of the file `item` under `root` to `archive` (the archive at
    /// `path`), through `buffer`; a file that shrank since it was walked is refused.
    private static func writeContents(
        of item: TreeEntry, from root: String, to archive: OpaquePointer, path: String,
        buffer: UnsafeMutableRawBufferPointer
    ) throws(ReproError) {
        let file = try FileDescriptor(opening: root + "/" + item.path, flags: O_RDONLY | O_NOFOLLOW) { e in
            .configuration("cannot open \(root)/\(item.path): \(e.text).", errno: e.code)
        }
        var remaining = item.size
        while remaining > 0 {
            let want = Int(min(UInt64(buffer.count), remaining))
            switch Syscalls.read(file.raw, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])) {
            case .success(0):
                throw .configuration(
                    "\(root)/\(item.path) shrank while it was being packed; pack a tree nothing is writing to.")
            case .success(let n):
                if archive_write_data(archive, buffer.baseAddress, n) < 0 {
                    throw failure(archive, path, "contents of \(item.path)")
                }
                remaining -= UInt64(n)
            case .failure(let e):
                throw .configuration("cannot read \(root)/\(item.path): \(e.text).", errno: e.code)
            }
        }
    }

    /// A ready `[[source]]` block for a toolchain spec pinning an archive.
    public static func sourceBlock(url: String, sha256: String) -> String {
        """
        [[source]]
        url = "\(url)"
        sha256 = "\(sha256)"
        mount = "/"
        strip_components = 0
        """
    }
}
