internal import CArchive
import Crypto
import Dispatch
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// Bounds on what one archive may unpack to.
public struct ExtractLimits: Sendable, Equatable {
    /// The most entries (of any type) an archive may hold.
    public var maxEntries: Int
    /// The most bytes of regular-file contents an archive may unpack to.
    public var maxBytes: UInt64
    /// Whether the command unpacking takes `--max-entries` and `--max-bytes` (`repro toolchain
    /// fetch`); the refusal of an archive past a limit tells other commands how to raise it.
    public var setByOptions = false

    /// Defaults that fit real toolchains and rootfs archives of several GB: 2,000,000 entries, 64 GiB.
    public static let `default` = ExtractLimits(maxEntries: 2_000_000, maxBytes: 64 << 30)

    /// Creates limits.
    public init(maxEntries: Int, maxBytes: UInt64, setByOptions: Bool = false) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.setByOptions = setByOptions
    }

    /// How to raise a limit: by `option` itself, or, for commands without it, by unpacking the
    /// toolchain into the cache once with `repro toolchain fetch`, whose tree the command then uses.
    func raise(_ option: String) -> String {
        setByOptions
            ? "raise it with \(option)"
            : "to unpack it, raise the limit once with `repro toolchain fetch \(option) N SPEC`, then run this command again"
    }
}

/// Something a real rootfs legitimately holds that a sandbox must not get, and what was done with it.
public struct NeutralizedEntry: Sendable, Codable, Equatable {
    /// The entry's path in the unpacked tree.
    public var path: String
    /// What was done: `"character device not created"`, `"setuid/setgid bits removed"`, ...
    public var action: String
}

/// What an extraction did.
public struct ExtractReport: Sendable, Equatable {
    /// Entries read from the archive (including skipped ones).
    public var entries: Int
    /// Bytes of regular-file contents written.
    public var bytes: UInt64
    /// Entries neutralized, in archive order.
    public var neutralized: [NeutralizedEntry]
    /// The SHA-256 of the archive bytes, hashed as they were read.
    public var archiveSHA256: String = ""
    /// The unpacked tree's entries and `t1:` digest, computed from the data as it was written.
    public var tree: TreeListing = TreeListing(entries: [], digest: "", lines: "")
}

/// Unpacks tar archives (any compression libarchive reads) safely into an empty directory.
///
/// Refused, naming the entry: absolute paths, `..` components, a write through a symlink made by
/// the archive, a hard link to anything but a regular file unpacked earlier from the same archive,
/// an entry that replaces a symlink, more entries or bytes than the limits. Neutralized and listed:
/// device nodes, fifos and sockets (not created) and setuid/setgid bits (removed). Owners are not
/// restored (files belong to the invoking user); permission bits and mtimes are, except group and
/// other write bits, which are removed from every entry (an archive's `0777` or `1777` directory
/// must not let another local user plant files in the tree), and directories the archive does not
/// list but its paths need get at most `0755`, whatever the umask.
public enum ArchiveExtractor {
    /// Unpacks `archive` into the empty directory `destination`, dropping `stripComponents` leading
    /// path components. On error the caller removes `destination`. `progress`, if given, is called
    /// with the entries read and the bytes of file contents so far, every 256 entries.
    public static func extract(
        archive: String, into destination: String, stripComponents: Int = 0,
        limits: ExtractLimits = .default,
        progress: ((Int, UInt64) -> Void)? = nil
    ) throws(ReproError) -> ExtractReport {
        guard let dest = try? Syscalls.realpath(destination).get(), Syscalls.isDirectory(dest) else {
            throw .configuration("cannot unpack into \(destination): not a directory.")
        }
        let input = try FileDescriptor(opening: archive, flags: O_RDONLY) { e in
            .configuration("cannot open the archive \(archive): \(e.text).", errno: e.code)
        }

        guard let reader = archive_read_new() else { fatalError("archive_read_new: out of memory") }
        defer { archive_read_free(reader) }
        archive_read_support_format_tar(reader)  // the stream arrives decompressed
        guard let writer = archive_write_disk_new() else { fatalError("archive_write_disk_new: out of memory") }
        defer { archive_write_free(writer) }
        // The symlink checks are repro's own (below): the destination is empty and has no symlink in its
        // path, so every symlink in it was made by this archive and is tracked. libarchive's
        // ARCHIVE_EXTRACT_SECURE_SYMLINKS would lstat every component of every absolute path again,
        // doubling the system time of an unpack.
        archive_write_disk_set_options(
            writer, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT)

        // Decompressing is half of an unpack's CPU time: it runs on a thread of its own, which
        // reads and hashes the archive file and hands this reader the plain tar stream.
        let stream = Decompressor(fd: input.raw)
        defer { stream.stop(draining: false) }  // an unpack that failed needs no digest
        let unpack = Extraction(
            archive: archive, dest: dest, stripComponents: stripComponents, limits: limits,
            reader: reader, writer: writer, stream: stream)
        let opened = archive_read_open(
            reader, Unmanaged.passUnretained(stream).toOpaque(), nil,
            { _, client, out in
                let stream = Unmanaged<Decompressor>.fromOpaque(client!).takeUnretainedValue()
                let (start, count) = stream.next()
                out?.pointee = start
                return count
            }, nil)
        if opened != ARCHIVE_OK {
            throw unpack.libarchiveError(reader, "not a readable tar archive")
        }
        var entry: OpaquePointer? = nil
        while true {
            let status = archive_read_next_header(reader, &entry)
            if status == ARCHIVE_EOF { break }
            if status < ARCHIVE_WARN {
                throw unpack.libarchiveError(reader, "reading entry #\(unpack.report.entries + 1)")
            }
            guard let entry else { break }
            if let progress, unpack.report.entries & 255 == 0 { progress(unpack.report.entries, unpack.report.bytes) }
            try unpack.unpack(entry)
        }
        return try unpack.finish()
    }

    /// The permission bits no unpacked entry keeps: group and other write.
    static let removedWriteBits: mode_t = 0o022

    /// The entry path relative to the tree root after stripping, or nil when the entry is stripped
    /// away (or is the root itself). Absolute paths and `..` components are refused.
    static func normalize(_ name: String, strip: Int, refuse: (String) -> ReproError) throws(ReproError) -> String? {
        if name.hasPrefix("/") { throw refuse("is an absolute path") }
        if strip == 0 && isNormal(name) { return name }
        var components = [Substring]()
        for component in name.split(separator: "/", omittingEmptySubsequences: true) {
            if component == ".." { throw refuse("has a \"..\" component") }
            if component != "." { components.append(component) }
        }
        if components.count <= strip { return nil }
        return components.dropFirst(strip).joined(separator: "/")
    }

    /// Whether `name` is already what `normalize` makes of it with nothing to strip: not empty, and
    /// no empty, `.` or `..` component (so no leading, trailing or doubled `/`).
    static func isNormal(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            if bytes.isEmpty { return false }
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x2f {
                let n = i - start
                if n == 0 { return false }
                if n == 1 && bytes[start] == 0x2e { return false }
                if n == 2 && bytes[start] == 0x2e && bytes[start + 1] == 0x2e { return false }
                start = i + 1
            }
            return true
        }
    }
}

/// Hashes several byte streams on one background queue, so that hashing overlaps unpacking.
///
/// The reader reuses its buffers, so bytes are copied, but into large chunks: the background queue is
/// handed one chunk (with the list of stream pieces in it) per 4 MiB, not one block per write, since
/// a wake-up per block cost more than the hashing. At most 4 chunks exist.
private final class BatchHasher: @unchecked Sendable {
    /// One step of the work a chunk carries, in order.
    private enum Step {
        case begin(Int)
        case bytes(Int, offset: Int, count: Int)
        case zeros(Int, UInt64)
        case finish(Int)
    }
    /// A chunk on its way to the queue, which alone touches it until it is back in the pool.
    private struct Chunk: @unchecked Sendable {
        let bytes: UnsafeMutableRawBufferPointer?
    }
    private static let chunkSize = 4 << 20
    private let queue = DispatchQueue(label: "repro.unpack.hash")
    // Starts at 0 and is signalled 4 times: libdispatch traps when a semaphore is freed below its
    // initial value, which an unpack that stops with an error (holding a chunk) would do.
    private let available = DispatchSemaphore(value: 0)
    private let lock = Lock()
    // Guarded by `lock`.
    private var pool = [UnsafeMutableRawBufferPointer]()
    private var made = [UnsafeMutableRawBufferPointer]()
    // Touched only on `queue`.
    private var states = [Int: SHA256]()
    private var digests = [Int: String]()
    // Touched only by the caller.
    private var last = 0
    private var chunk: UnsafeMutableRawBufferPointer? = nil
    private var used = 0
    private var steps = [Step]()

    init() {
        for _ in 0..<4 { available.signal() }
    }

    deinit {
        for buffer in made { buffer.deallocate() }
    }

    /// Starts a stream; returns its id (never 0).
    func begin() -> Int {
        last += 1
        steps.append(.begin(last))
        return last
    }

    /// Hashes `bytes` into stream `id` (copied into the current chunk).
    func update(_ id: Int, _ bytes: UnsafeRawBufferPointer) {
        var from = 0
        while from < bytes.count {
            if chunk == nil { chunk = take() }
            let n = min(bytes.count - from, Self.chunkSize - used)
            (chunk!.baseAddress! + used).copyMemory(from: bytes.baseAddress! + from, byteCount: n)
            steps.append(.bytes(id, offset: used, count: n))
            used += n
            from += n
            if used == Self.chunkSize { flush() }
        }
    }

    /// Hashes `count` zero bytes (a sparse hole) into stream `id`.
    func zeros(_ id: Int, _ count: UInt64) {
        steps.append(.zeros(id, count))
    }

    /// Ends stream `id`.
    func finish(_ id: Int) {
        steps.append(.finish(id))
        // An archive of many empty files fills no chunk: bound the steps waiting all the same.
        if steps.count >= 4096 { flush() }
    }

    /// Waits for all work and returns the hex digest of every finished stream.
    func results() -> [Int: String] {
        flush()
        return queue.sync { digests }
    }

    /// A free chunk, waiting for the queue to give one back when all 4 are in use.
    private func take() -> UnsafeMutableRawBufferPointer {
        available.wait()
        lock.lock()
        defer { lock.unlock() }
        if let buffer = pool.popLast() { return buffer }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 64)
        made.append(buffer)
        return buffer
    }

    /// Hands the current chunk and its steps to the queue.
    private func flush() {
        let work = steps, buffer = Chunk(bytes: chunk)
        steps = []
        chunk = nil
        used = 0
        if work.isEmpty && buffer.bytes == nil { return }
        queue.async {
            for step in work {
                switch step {
                case .begin(let id):
                    self.states[id] = SHA256()
                case .bytes(let id, let offset, let count):
                    self.states[id]!.update(
                        bufferPointer: UnsafeRawBufferPointer(rebasing: buffer.bytes![offset..<(offset + count)]))
                case .zeros(let id, let count):
                    let zeros = [UInt8](repeating: 0, count: 1 << 16)
                    var left = count
                    while left > 0 {
                        let n = Int(min(left, UInt64(zeros.count)))
                        zeros.withUnsafeBytes {
                            self.states[id]!.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n]))
                        }
                        left -= UInt64(n)
                    }
                case .finish(let id):
                    self.digests[id] = TreeDigest.hex(self.states.removeValue(forKey: id)!.finalize())
                }
            }
            if let bytes = buffer.bytes {
                self.lock.lock()
                self.pool.append(bytes)
                self.lock.unlock()
                self.available.signal()
            }
        }
    }
}

/// The state of one unpack (``ArchiveExtractor/extract(archive:into:stripComponents:limits:progress:)``):
/// what has been written so far, for the checks on later entries and for the tree listing.
private final class Extraction {
    let archive: String, dest: String, stripComponents: Int, limits: ExtractLimits
    let reader: OpaquePointer, writer: OpaquePointer
    let stream: Decompressor
    let hasher = BatchHasher()
    var report = ExtractReport(entries: 0, bytes: 0, neutralized: [])
    var files = Set<String>(), symlinks = Set<String>()
    var tree = [String: TreeEntry]()
    var linkedPaths = Set<String>()
    var fileStreams = [String: Int]()
    var listedDirectories = Set<String>()

    init(
        archive: String, dest: String, stripComponents: Int, limits: ExtractLimits,
        reader: OpaquePointer, writer: OpaquePointer, stream: Decompressor
    ) {
        self.archive = archive
        self.dest = dest
        self.stripComponents = stripComponents
        self.limits = limits
        self.reader = reader
        self.writer = writer
        self.stream = stream
    }

    func refuse(_ name: String, _ why: String) -> ReproError {
        .configuration(
            "the archive \(archive) is refused: entry \"\(name)\" \(why). Nothing from it was kept. Check where the archive comes from, or repack its tree with `repro toolchain pack`."
        )
    }

    func libarchiveError(_ handle: OpaquePointer, _ what: String) -> ReproError {
        // The decompressing thread's error only when the tar reader failed because of it:
        // that thread runs ahead and may have met a later, unrelated problem.
        let delivered = handle == reader ? stream.deliveredFailure : nil
        if let e = delivered?.fileError {
            return .configuration("cannot read the archive \(archive): \(e.text).", errno: e.code)
        }
        let text = delivered?.text ?? archive_error_string(handle).map { String(cString: $0) } ?? "unknown error"
        return .configuration(
            "cannot unpack \(archive): \(what): \(text). The archive may be truncated or corrupt; fetch it again or check its source."
        )
    }

    /// Checks, writes and records the entry whose header was just read.
    func unpack(_ entry: OpaquePointer) throws(ReproError) {
        report.entries += 1
        guard let (name, relative) = try checkedPath(entry) else { return }
        guard let hardlinkTarget = try checkedType(entry, name, relative) else { return }
        let perm = archive_entry_perm(entry)
        if perm & 0o6000 != 0 {
            report.neutralized.append(NeutralizedEntry(path: relative, action: "setuid/setgid bits removed"))
        }
        archive_entry_set_perm(entry, perm & ~(0o6000 | ArchiveExtractor.removedWriteBits))
        archive_entry_xattr_clear(entry)
        archive_entry_acl_clear(entry)
        archive_entry_set_fflags(entry, 0, 0)
        archive_entry_set_pathname(entry, dest + "/" + relative)

        if archive_write_header(writer, entry) < ARCHIVE_WARN {
            throw libarchiveError(writer, "writing \"\(name)\"")
        }
        let isNewFile = hardlinkTarget == .none && archive_entry_filetype(entry) == S_IFREG
        let stream = isNewFile ? hasher.begin() : 0
        let written = isNewFile ? try writeContents(entry, name, stream) : 0
        if stream != 0 { hasher.finish(stream) }
        if archive_write_finish_entry(writer) < ARCHIVE_WARN {
            throw libarchiveError(writer, "finishing \"\(name)\"")
        }
        record(entry, relative, hardlinkTarget: hardlinkTarget, stream: stream, written: written)
    }

    /// The entry's name and its path in the tree, after the checks on both; nil when the entry is
    /// stripped away.
    private func checkedPath(_ entry: OpaquePointer) throws(ReproError) -> (String, String)? {
        let rawName = archive_entry_pathname(entry)
        guard let rawName, let name = String(validatingCString: rawName) else {
            throw refuse("#\(report.entries)", "has a name that is not valid UTF-8")
        }
        if report.entries > limits.maxEntries {
            throw refuse(
                name,
                "goes past the limit of \(counted(limits.maxEntries, "entry", "entries")) (\(limits.raise("--max-entries")))"
            )
        }
        guard let relative = try ArchiveExtractor.normalize(name, strip: stripComponents, refuse: { refuse(name, $0) })
        else {
            return nil
        }
        // `normalize` leaves no empty, `.` or `..` component and no leading `/`; of the digest's
        // other rules on paths only the newline can remain (a C string holds no NUL).
        if relative.utf8.contains(0x0a), let problem = TreeDigest.pathProblem(relative) { throw refuse(name, problem) }
        let components = relative.split(separator: "/")
        var prefix = ""
        for component in components.dropLast() {
            prefix += prefix.isEmpty ? String(component) : "/" + component
            if symlinks.contains(prefix) {
                throw refuse(name, "would be written through the symlink \"\(prefix)\" made by the archive")
            }
        }
        if symlinks.contains(relative) {
            throw refuse(name, "replaces the symlink \"\(relative)\" made earlier in the archive")
        }
        return (name, relative)
    }

    /// Checks the entry's type: `.some(target)` for a hard link to a file unpacked earlier,
    /// `.some(nil)` for a file, directory or symlink to write, nil for a neutralized entry (a
    /// device, fifo or socket, listed and not created). A file's declared size is charged to the
    /// byte limit.
    private func checkedType(_ entry: OpaquePointer, _ name: String, _ relative: String) throws(ReproError) -> String??
    {
        if let rawLink = archive_entry_hardlink(entry) {
            let link = String(cString: rawLink)
            guard
                let target = try ArchiveExtractor.normalize(
                    link, strip: stripComponents, refuse: { refuse(name, "is a hard link whose target \(link) \($0)") }),
                files.contains(target)
            else {
                throw refuse(
                    name,
                    "is a hard link to \"\(link)\", which is not a regular file unpacked earlier from this archive")
            }
            archive_entry_set_hardlink(entry, dest + "/" + target)
            return .some(target)
        }
        let type = archive_entry_filetype(entry)
        switch type {
        case S_IFREG:
            // Charged at its full declared length, holes included (they are hashed as
            // zeros), so that sparse entries cannot make the unpack hash without bound.
            let size = UInt64(max(0, archive_entry_size(entry)))
            guard size <= limits.maxBytes - report.bytes else {
                throw refuse(
                    name, "goes past the limit of \(limits.maxBytes) unpacked bytes (\(limits.raise("--max-bytes")))")
            }
            report.bytes += size
            return .some(nil)
        case S_IFDIR, S_IFLNK:
            return .some(nil)
        case S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK:
            report.neutralized.append(
                NeutralizedEntry(path: relative, action: "\(TreeWalker.kindName(type)) not created"))
            return nil
        default:
            throw refuse(name, "has an unknown file type \(String(type, radix: 8))")
        }
    }

    /// Writes a regular file's contents, hashing them into `stream` as they go; the bytes
    /// written, holes included.
    private func writeContents(_ entry: OpaquePointer, _ name: String, _ stream: Int) throws(ReproError) -> UInt64 {
        guard archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) > 0 else { return 0 }
        var written: UInt64 = 0
        var block: UnsafeRawPointer? = nil
        var size = 0
        var offset: la_int64_t = 0
        let declared = UInt64(archive_entry_size(entry))
        while true {
            let r = archive_read_data_block(reader, &block, &size, &offset)
            if r == ARCHIVE_EOF { break }
            if r < ARCHIVE_WARN { throw libarchiveError(reader, "reading the contents of \"\(name)\"") }
            // Every block lies within the declared length, after the last one: a hostile
            // sparse map (a negative offset, or one far past the end) is refused, never
            // written or hashed.
            guard offset >= 0, size >= 0, UInt64(offset) >= written, UInt64(offset) <= declared,
                UInt64(size) <= declared - UInt64(offset)
            else {
                throw refuse(
                    name,
                    "has contents at offset \(offset) (\(size) bytes) outside its declared size of \(declared) bytes")
            }
            if archive_write_data_block(writer, block, size, offset) < ARCHIVE_WARN {
                throw libarchiveError(writer, "writing the contents of \"\(name)\"")
            }
            // Holes in sparse entries read back as zeros.
            if UInt64(offset) > written {
                hasher.zeros(stream, UInt64(offset) - written)
                written = UInt64(offset)
            }
            if size > 0 { hasher.update(stream, UnsafeRawBufferPointer(start: block, count: size)) }
            written += UInt64(size)
        }
        if declared > written {
            hasher.zeros(stream, declared - written)
            written = declared
        }
        return written
    }

    /// Records a written entry, and the directories above it, in the tree listing.
    private func record(
        _ entry: OpaquePointer, _ relative: String, hardlinkTarget: String?, stream: Int, written: UInt64
    ) {
        var parent = relative
        while let slash = parent.lastIndex(of: "/") {
            parent = String(parent[..<slash])
            if tree[parent]?.kind == .directory { break }
            tree[parent] = .directory(parent)
        }
        switch archive_entry_filetype(entry) {
        case S_IFLNK where hardlinkTarget == nil:
            symlinks.insert(relative)
            files.remove(relative)
            fileStreams[relative] = nil
            let raw =
                archive_entry_symlink(entry).map {
                    Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map { UInt8(bitPattern: $0) }
                } ?? []
            tree[relative] = TreeEntry(
                path: relative, kind: .symlink, sha256: TreeDigest.hex(SHA256.hash(data: raw)),
                target: String(decoding: raw, as: UTF8.self))
        case S_IFDIR:
            files.remove(relative)
            fileStreams[relative] = nil
            tree[relative] = .directory(relative)
            listedDirectories.insert(relative)
        default:
            files.insert(relative)
            if let target = hardlinkTarget, let linked = tree[target] {
                tree[relative] = TreeEntry(
                    path: relative, kind: .file, executable: linked.executable, size: linked.size)
                fileStreams[relative] = fileStreams[target]
                linkedPaths.insert(relative)
                linkedPaths.insert(target)
            } else {
                tree[relative] = TreeEntry(
                    path: relative, kind: .file, executable: archive_entry_perm(entry) & 0o111 != 0, size: written)
                fileStreams[relative] = stream
            }
        }
    }

    /// Finishes the unpack once every entry is written: directory modes and times, the rest of
    /// the archive read and hashed, the files' digests, and the report with the tree's listing.
    func finish() throws(ReproError) -> ExtractReport {
        if archive_write_close(writer) < ARCHIVE_WARN {
            throw libarchiveError(writer, "setting directory permissions and times")
        }
        // libarchive makes the parents an archive does not list with 0777 minus the umask.
        for (path, item) in tree where item.kind == .directory && !listedDirectories.contains(path) {
            if let st = Syscalls.lstat(dest + "/" + path), st.st_mode & S_IFMT == S_IFDIR,
                st.st_mode & ArchiveExtractor.removedWriteBits != 0
            {
                if case .failure(let e) = Syscalls.chmod(
                    dest + "/" + path, st.st_mode & 0o7777 & ~ArchiveExtractor.removedWriteBits)
                {
                    throw .configuration("cannot make \(dest)/\(path) read-only: \(e.text).", errno: e.code)
                }
            }
        }
        // The tar reader may stop before the end of the stream (padding after the end-of-archive
        // blocks); the rest of the file is still read and hashed.
        report.archiveSHA256 = try stream.finish(archive: archive)
        let digests = hasher.results()
        for (path, stream) in fileStreams { tree[path]?.sha256 = digests[stream]! }
        // Names of one inode share the mode the last of their entries set: read it back.
        for path in linkedPaths where tree[path]?.kind == .file {
            if let st = Syscalls.lstat(dest + "/" + path) { tree[path]?.executable = st.st_mode & 0o111 != 0 }
        }
        report.tree = try TreeWalker.listing(of: Array(tree.values))
        return report
    }
}

/// Decompresses an archive file on a thread of its own (libarchive's filters with its raw format)
/// and hands the plain stream on in 1 MiB chunks through a queue of four, hashing every byte of
/// the file as it is read.
private final class Decompressor: @unchecked Sendable {
    private static let chunkSize = 1 << 20
    private let fd: Int32
    // Touched only by the decompressing thread.
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
    private var hasher = SHA256()
    private let condition = Condition()
    // Guarded by `condition`.
    private var free: [UnsafeMutableRawBufferPointer] = []
    private var filled: [(UnsafeMutableRawBufferPointer, Int)] = []
    private var ended = false
    private var stopping = false
    private var failureText: String?
    private var fileError: Errno?
    private var delivered = false
    private var draining = true
    private var digest: String?
    // Touched only by the consuming reader.
    private var held: UnsafeMutableRawBufferPointer?
    private let all: [UnsafeMutableRawBufferPointer]
    private let done = DispatchSemaphore(value: 0)
    private var joined = false

    init(fd: Int32) {
        self.fd = fd
        all = (0..<4).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 64) }
        free = all
        startThread { [self] in produce() }
    }

    deinit {
        for buffer in all { buffer.deallocate() }
        input.deallocate()
    }

    /// Why the stream failed, once `next()` has told the tar reader that it did: the error
    /// reading the archive file, or libarchive's words for why decompressing failed.
    var deliveredFailure: (fileError: Errno?, text: String?)? {
        condition.lock()
        defer { condition.unlock() }
        return delivered ? (fileError, failureText) : nil
    }

    /// The next chunk of the plain stream for libarchive (valid until the next call): its start
    /// and length, 0 at the end, -1 when decompressing failed.
    func next() -> (UnsafeRawPointer?, Int) {
        condition.lock()
        defer { condition.unlock() }
        if let held {
            free.append(held)
            self.held = nil
            condition.broadcast()
        }
        while filled.isEmpty && !ended { condition.wait() }
        if filled.isEmpty {
            if failureText == nil && fileError == nil { return (nil, 0) }
            delivered = true
            return (nil, -1)
        }
        let (buffer, count) = filled.removeFirst()
        held = buffer
        return (UnsafeRawPointer(buffer.baseAddress), count)
    }

    /// Stops decompressing, waits for the rest of the file to be read and hashed, and returns the
    /// file's SHA-256; throws if reading it failed.
    func finish(archive: String) throws(ReproError) -> String {
        stop(draining: true)
        condition.lock()
        defer { condition.unlock() }
        if let e = fileError { throw .configuration("cannot read the archive \(archive): \(e.text).", errno: e.code) }
        return digest!
    }

    /// Ends the decompressing thread and waits for it; with `draining`, it first reads and
    /// hashes the rest of the file, for the digest.
    func stop(draining: Bool) {
        guard !joined else { return }
        joined = true
        condition.lock()
        stopping = true
        self.draining = draining
        condition.broadcast()
        condition.unlock()
        done.wait()
    }

    /// Reads the next block of the archive file into `input`, hashing it; 0 at the end, -1 on
    /// error (libarchive's read callback, on the decompressing thread).
    private func readBlock() -> Int {
        switch Syscalls.read(fd, input) {
        case .success(let n):
            if n > 0 { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: input[0..<n])) }
            return n
        case .failure(let e):
            condition.lock()
            fileError = e
            condition.unlock()
            return -1
        }
    }

    /// The decompressing thread.
    private func produce() {
        var failure: String?
        if let raw = archive_read_new() {
            ArchiveFilters.enableInProcess(raw)
            archive_read_support_format_raw(raw)
            let opened = archive_read_open(
                raw, Unmanaged.passUnretained(self).toOpaque(), nil,
                { _, client, out in
                    let stream = Unmanaged<Decompressor>.fromOpaque(client!).takeUnretainedValue()
                    let n = stream.readBlock()
                    out?.pointee = UnsafeRawPointer(stream.input.baseAddress)
                    return n
                }, nil)
            var entry: OpaquePointer?
            if opened == ARCHIVE_OK, archive_read_next_header(raw, &entry) >= ARCHIVE_WARN {
                failure = pump(raw)
            } else {
                // Nothing decompressed at all: a corrupt start, or an empty file (which libarchive
                // calls an unrecognized format, as the tar reader would).
                failure = archive_error_string(raw).map { String(cString: $0) } ?? "unknown error"
            }
            archive_read_free(raw)
        } else {
            failure = "out of memory"
        }
        // The stream has ended (or failed), so the tar reader can finish; then whatever libarchive
        // left unread is still part of the file and of its digest (an unpack that failed wants
        // no digest).
        condition.lock()
        if failureText == nil { failureText = failure }
        ended = true
        condition.broadcast()
        while !stopping { condition.wait() }
        let wanted = draining
        condition.unlock()
        if wanted { while readBlock() > 0 {} }
        let hex = TreeDigest.hex(hasher.finalize())
        condition.lock()
        digest = hex
        condition.unlock()
        done.signal()
    }

    /// Copies the decompressed stream into chunks until its end, a failure or `stop()`; returns
    /// the failure's text.
    private func pump(_ raw: OpaquePointer) -> String? {
        var chunk: UnsafeMutableRawBufferPointer?
        var used = 0
        func hand(_ buffer: UnsafeMutableRawBufferPointer, _ count: Int) {
            condition.lock()
            filled.append((buffer, count))
            condition.broadcast()
            condition.unlock()
        }
        defer { if let chunk { hand(chunk, used) } }  // a chunk is only held with bytes in it
        while true {
            var block: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let status = archive_read_data_block(raw, &block, &size, &offset)
            if status == ARCHIVE_EOF { return nil }
            if status < ARCHIVE_WARN { return archive_error_string(raw).map { String(cString: $0) } ?? "unknown error" }
            var from = 0
            while from < size {
                if chunk == nil {
                    condition.lock()
                    while free.isEmpty && !stopping { condition.wait() }
                    let stop = stopping
                    chunk = stop ? nil : free.removeLast()
                    condition.unlock()
                    if stop { return nil }
                }
                let n = min(size - from, Self.chunkSize - used)
                (chunk!.baseAddress! + used).copyMemory(from: block! + from, byteCount: n)
                used += n
                from += n
                if used == Self.chunkSize {
                    hand(chunk!, used)
                    chunk = nil
                    used = 0
                }
            }
            condition.lock()
            let stop = stopping
            condition.unlock()
            if stop { return nil }
        }
    }
}
