import Crypto
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// A frozen copy of a project's source: the files git tracks (with their uncommitted changes),
/// or every file when the project is not a git work tree, copied into a private staging
/// directory so that what is digested is exactly what every run gets.
///
/// Never included: untracked or ignored files of a git work tree, `.git/`, and repro's own
/// `.repro/` directory. Modes are normalized to 0644, or 0755 when the owner-execute bit is set;
/// directories to 0755.
public struct SourceSnapshot: Sendable {
    /// The staging directory holding the copy (or the pack file, see ``storage``).
    public let root: String
    /// The relative paths of every regular file and symlink, sorted bytewise.
    public let paths: [String]
    /// Paths below `.repro/` that git tracks (never part of the snapshot): a repository must not
    /// steer repro's bookkeeping or outputs by committing files there, so they are named in a warning.
    public var trackedStateFiles: [String] = []
    /// `git` (tracked files) or `directory` (all files).
    public let selection: String
    /// Untracked, not ignored files of a git work tree that were left out.
    public let untrackedExcluded: Int
    /// The first few of them in byte order, to name in the check's output: an uncommitted
    /// `repro.toml` or new source file is a common reason for a surprising build.
    public var untrackedSample: [String] = []
    /// The `HEAD` commit, when there is one.
    public let commit: String?
    /// The committer time of the last commit that touched the project directory, if any.
    public let commitTime: Int64?
    /// The commit's release metadata (`git describe`, the tag), when there is a commit.
    public var git: GitMetadata?
    /// A URI for the source in provenance: `git+file://REPO@COMMIT#SUBDIR` when the snapshot is
    /// exactly that commit's files, else `file://DIR` (uncommitted changes, or no git); the
    /// snapshot's tree digest, recorded beside it, is what identifies the bytes either way.
    ///
    /// Exactly that commit's files: the same paths (leaving out those a snapshot never holds),
    /// each a symlink or a file with git's mode for it (120000, 100755 with the owner-execute bit,
    /// else 100644) and the same git blob id, computed here from the bytes copied (no clean
    /// filter, end-of-line conversion or `ident` applies: a file git would store differently from
    /// how it is checked out does not match).
    public let uri: String
    /// The git work tree (top directory, the project's path in it) and the commit the snapshot
    /// equals file for file; nil when it does not equal a commit (uncommitted changes, no commit,
    /// or no git). See ``SourceOrigin``.
    public var exactCommit: (top: String, prefix: String, commit: String)?
    /// Where the copy is: a directory tree, or one pack file.
    public internal(set) var storage: Storage = .directory("")
    /// The snapshot's entries (its directories, its files with their SHA-256, its symlinks) and
    /// their `t1:` digest, computed while copying: what ``TreeWalker/walk(_:)`` of a directory
    /// copy gives, without reading it again.
    public internal(set) var listing = TreeListing(entries: [], digest: "", lines: "")
    /// Where each regular file's bytes start in the pack, by path (pack storage only; the length
    /// is the entry's size).
    public internal(set) var packOffsets: [PathKey: UInt64] = [:]

    /// Where a snapshot's bytes are staged.
    public enum Storage: Sendable, Equatable {
        /// A directory tree: the files as files.
        case directory(String)
        /// One file holding every regular file's bytes, one after another in path order.
        case pack(String)
    }

    /// Copies the source of `projectDir` into `stagingDir` (which must not exist yet), a file per file.
    public static func take(projectDir: String, into stagingDir: String) throws(ReproError) -> SourceSnapshot {
        try take(projectDir: projectDir, storage: .directory(stagingDir))
    }

    /// Copies the bytes of the source's regular files into the new file `pack`, one after another
    /// in path order (``packOffsets`` says where each starts): one file written sequentially,
    /// however many files the source has, which a run's sandbox then copies from (see
    /// ``WorkOp/copyRange(host:offset:length:dest:mode:)``).
    ///
    /// With `cacheRoot`, the previous snapshot of the project kept there (see ``SnapshotCache``)
    /// supplies every file that has not changed since, without reading it on the host; when none
    /// has, the previous pack itself is linked in as `pack`. This snapshot is then kept there for
    /// the next one. `pack` must be on the cache's file system.
    public static func take(projectDir: String, packInto pack: String, cacheRoot: String? = nil) throws(ReproError)
        -> SourceSnapshot
    {
        guard let cacheRoot else { return try take(projectDir: projectDir, storage: .pack(pack)) }
        let canonical = (try? Syscalls.realpath(projectDir).get()) ?? projectDir
        let cache = SnapshotCache(cacheRoot: cacheRoot, project: canonical)
        if case .failure(let e) = Syscalls.mkdirs(cacheRoot + "/locks") {
            throw .configuration(
                "cannot create \(cacheRoot)/locks: \(e.text). Check that the cache directory is writable.",
                errno: e.code)
        }
        // Two snapshots of one project take turns: each reads the kept one and replaces it.
        return try FileLock.holding(cache.lockPath) { () throws(ReproError) -> SourceSnapshot in
            try take(projectDir: projectDir, storage: .pack(pack), cache: cache)
        }
    }

    /// Reads each file of the source once: copies it to `storage` and hashes it on the way (its
    /// SHA-256 for ``listing``, and its git blob id when `HEAD` has a file at that path with the
    /// same mode, to decide ``uri``), unless `cache` has it unchanged.
    static func take(projectDir: String, storage: Storage, cache: SnapshotCache? = nil) throws(ReproError)
        -> SourceSnapshot
    {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let takenAt = SnapshotCache.File.nanoseconds(now)
        let (git, paths, trackedState) = try selectPaths(projectDir)
        let sourceRoot = try openDirectory(projectDir, what: "the project directory")
        // The staging directory, or the pack, as a descriptor (-1 for the other).
        var targetRoot: Int32 = -1, packFD: Int32 = -1
        defer {
            if targetRoot >= 0 { Syscalls.close(targetRoot) }
            if packFD >= 0 { Syscalls.close(packFD) }
        }
        (targetRoot, packFD) = try createTarget(storage)
        // HEAD's files, to tell whether the snapshot is exactly that commit (see `uri`): a file is
        // hashed as a git blob only while that can still be so.
        let expected = git?.head.map { $0.filter { isSnapshotPath($0.key) } }
        let matchesHead = git?.commit != nil && expected != nil && expected!.count <= paths.count
        let sourceParents = ParentCache(root: sourceRoot.raw)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        // The previous snapshot, when there is one to reuse: its record and its open pack.
        var previous = packFD >= 0 ? cache?.load() : nil
        var previousPack: Int32 = -1
        defer { if previousPack >= 0 { Syscalls.close(previousPack) } }
        if previous != nil { previousPack = openPreviousPack(cache!, &previous) }
        var copier = Copier(
            projectDir: projectDir, targetRoot: targetRoot, packFD: packFD, buffer: buffer, cache: cache,
            takenAt: takenAt, previous: previous, previousPack: previousPack, expected: expected,
            matchesHead: matchesHead, following: previous != nil)
        for path in paths { try copier.add(path, from: sourceParents) }
        let listing = try TreeWalker.listing(of: copier.entries)
        if let cache, case .pack(let pack) = storage {
            try keep(copier, in: cache, pack: pack, packFD: &packFD)
        }
        var snapshot = assemble(projectDir, git: git, copier: copier, storage: storage)
        snapshot.trackedStateFiles = trackedState
        snapshot.listing = listing
        return snapshot
    }

    /// The source's paths (git's tracked files, else every file), sorted bytewise and checked to
    /// be safe, with git's state and the tracked files below `.repro/`.
    private static func selectPaths(_ projectDir: String) throws(ReproError) -> (
        git: GitState?, paths: [String], trackedState: [String]
    ) {
        let git = try gitFiles(projectDir)
        let candidates: [String]
        if let git {
            candidates = git.tracked
        } else {
            candidates = try walk(projectDir)
        }
        let paths = candidates.filter(isSnapshotPath).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let trackedState = git == nil ? [] : candidates.filter { components($0).first == Array(".repro".utf8) }.sorted()

        for path in paths where !isSafeRelativePath(path) {
            throw .configuration(
                "the source lists the unsafe path \(path.debugDescription) (absolute, empty, or with a '.' or '..' component); a git index that names it was not written by git. Refusing to snapshot \(projectDir)."
            )
        }
        // Names are compared as Swift strings further on (digests, comparisons), where two
        // spellings of one name in different Unicode normalizations are equal: refuse them here
        // rather than drop one.
        var spelled: [String: String] = [:]
        for path in paths {
            if let other = spelled.updateValue(path, forKey: path), Array(other.utf8) != Array(path.utf8) {
                throw .configuration(
                    "the source holds \(other.debugDescription) and \(path.debugDescription), one name in two Unicode normalizations (NFC and NFD); repro cannot tell them apart in its digests. Rename one of them."
                )
            }
        }
        return (git, paths, trackedState)
    }

    /// Creates the staging directory or the pack of `storage`: its descriptor as the first
    /// (directory) or second (pack) value, -1 for the other.
    private static func createTarget(_ storage: Storage) throws(ReproError) -> (Int32, Int32) {
        switch storage {
        case .directory(let stagingDir):
            if case .failure(let e) = Syscalls.mkdir(stagingDir, 0o755) {
                throw .configuration(
                    "cannot create the snapshot directory \(stagingDir): \(e.text). Check that the cache directory is writable.",
                    errno: e.code)
            }
            return (try openDirectory(stagingDir, what: "the snapshot directory").release(), -1)
        case .pack(let path):
            switch Syscalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600) {
            case .success(let fd): return (-1, fd)
            case .failure(let e):
                throw .configuration(
                    "cannot create the snapshot pack \(path): \(e.text). Check that the cache directory is writable.",
                    errno: e.code)
            }
        }
    }

    /// Opens the previous snapshot's pack (the descriptor, or -1), setting `previous` to nil when
    /// it cannot be opened or is not the regular file of the size its record says.
    private static func openPreviousPack(_ cache: SnapshotCache, _ previous: inout SnapshotCache.Index?) -> Int32 {
        switch Syscalls.open(cache.packPath, O_RDONLY | O_NOFOLLOW) {
        case .success(let fd):
            if case .success(let info) = Syscalls.fstat(fd), info.st_mode & S_IFMT == S_IFREG,
                UInt64(info.st_size) == previous!.packSize
            {
                return fd
            }
            previous = nil
            return fd
        case .failure:
            previous = nil
            return -1
        }
    }

    /// Keeps the snapshot in `cache` for the next one; when every file was the previous
    /// snapshot's, where it was, links the previous pack in as `pack` instead (closing `packFD`).
    private static func keep(_ copier: Copier, in cache: SnapshotCache, pack: String, packFD: inout Int32)
        throws(ReproError)
    {
        if copier.following {
            // Every file is the previous snapshot's, where it was: that pack is this one.
            Syscalls.close(packFD)
            packFD = -1
            Syscalls.unlink(pack)
            if case .failure(let e) = Syscalls.link(cache.packPath, pack) {
                throw .configuration(
                    "cannot use the kept source snapshot \(cache.packPath): \(e.text). Check that the cache directory is writable.",
                    errno: e.code)
            }
            try? cache.store(
                takenAt: copier.takenAt, pack: nil, packSize: copier.previous!.packSize, files: copier.records)
        } else {
            // A cache that cannot keep it only costs the next check a full read.
            try? cache.store(takenAt: copier.takenAt, pack: pack, packSize: copier.packed, files: copier.records)
        }
    }

    /// The snapshot `copier` made of `projectDir`, with its ``uri``, ``exactCommit`` and ``git``
    /// metadata (without ``listing`` and ``trackedStateFiles``).
    private static func assemble(_ projectDir: String, git: GitState?, copier: Copier, storage: Storage)
        -> SourceSnapshot
    {
        var uri = "file://" + percentEncoded(projectDir)
        var exact: (top: String, prefix: String, commit: String)?
        let clean = copier.matchesHead && copier.expected?.count == copier.kept.count
        if let git, let commit = git.commit, clean {
            uri =
                "git+file://" + percentEncoded(git.top) + "@" + commit
                + (git.prefix.isEmpty ? "" : "#" + percentEncoded(git.prefix))
            exact = (git.top, git.prefix, commit)
        }
        let root: String
        switch storage {
        case .directory(let dir): root = dir
        case .pack(let path): root = path
        }
        var snapshot = SourceSnapshot(
            root: root, paths: copier.kept, selection: git == nil ? "directory" : "git",
            untrackedExcluded: git?.untracked.count ?? 0, commit: git?.commit, commitTime: git?.commitTime, uri: uri)
        snapshot.storage = storage
        snapshot.packOffsets = copier.offsets
        snapshot.untrackedSample = Array((git?.untracked ?? []).prefix(3))
        snapshot.exactCommit = exact
        if let git, let commit = git.commit, let described = git.described {
            snapshot.git = GitMetadata(
                commit: commit, shortCommit: described.short, describe: described.name,
                tag: described.tag, dirty: !clean)
        }
        return snapshot
    }

    /// The state of a snapshot while its files are copied, a path at a time: the entries and
    /// records so far, where the pack is, and whether it can still equal `HEAD` or the previous pack.
    private struct Copier {
        let projectDir: String
        /// The staging directory, or the pack, as a descriptor (-1 for the other).
        let targetRoot: Int32, packFD: Int32
        let buffer: UnsafeMutableRawBufferPointer
        let cache: SnapshotCache?
        let takenAt: Int64
        /// The previous snapshot's record and its open pack, when there is one to reuse.
        let previous: SnapshotCache.Index?
        let previousPack: Int32
        /// HEAD's files, when the snapshot can be exactly that commit.
        let expected: [String: (mode: String, id: String)]?
        /// Whether every file so far is HEAD's: a file is hashed as a git blob only while so.
        var matchesHead: Bool
        /// While every file so far is the previous snapshot's, at the same offset, nothing is
        /// written: the pack so far is the previous pack's beginning. The first file that is not
        /// copies that beginning (copy_file_range(2)), and the rest is written as it comes.
        var following: Bool
        var kept: [String] = []
        var entries: [TreeEntry] = []
        var directories = Set<PathKey>(), leaves = Set<PathKey>()
        var offsets: [PathKey: UInt64] = [:]
        var packed: UInt64 = 0
        var records: [(String, SnapshotCache.File)] = []

        init(
            projectDir: String, targetRoot: Int32, packFD: Int32, buffer: UnsafeMutableRawBufferPointer,
            cache: SnapshotCache?, takenAt: Int64, previous: SnapshotCache.Index?, previousPack: Int32,
            expected: [String: (mode: String, id: String)]?, matchesHead: Bool, following: Bool
        ) {
            self.projectDir = projectDir
            self.targetRoot = targetRoot
            self.packFD = packFD
            self.buffer = buffer
            self.cache = cache
            self.takenAt = takenAt
            self.previous = previous
            self.previousPack = previousPack
            self.expected = expected
            self.matchesHead = matchesHead
            self.following = following
        }

        /// Copies the first part of the previous pack, the part this one has followed so far.
        mutating func stopFollowing() throws(ReproError) {
            guard following else { return }
            following = false
            try SnapshotCache.copy(from: previousPack, offset: 0, length: packed, to: packFD)
        }

        /// The staging directory's directory for `path`, made as needed.
        func targetParent(_ path: String) throws(ReproError) -> OpenedParent {
            guard let opened = try openParent(of: path, below: targetRoot, create: true) else {
                throw .configuration(
                    "the source lists \(path.debugDescription) below another of its entries that is not a directory; refusing to snapshot \(projectDir)."
                )
            }
            return opened
        }

        /// Adds the source's `path`: copies it (or reuses the previous snapshot's copy) and lists
        /// it and its directories not listed yet.
        mutating func add(_ path: String, from sourceParents: ParentCache) throws(ReproError) {
            // The source is walked a component at a time from a directory descriptor, never
            // following a symlink: a tracked path below a symlink in the work tree is not there
            // (as git sees it), and nothing is ever read outside the project (or written outside
            // the staging directory, walked the same way).
            guard let (sourceDir, name) = try sourceParents.directory(of: path) else { return }
            guard case .success(let info) = Syscalls.fstatat(sourceDir, name) else { return }  // tracked but deleted
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR {
                throw .configuration(
                    "\(path) is a git submodule; repro does not snapshot submodules yet. Vendor its files into the repository, or run repro check inside the submodule."
                )
            }
            guard type == S_IFREG || type == S_IFLNK else { return }  // sockets, fifos: not source
            let newDirectories = try unlistedDirectories(of: path)
            let head = matchesHead ? expected![path] : nil
            if let reused = reusable(path, info, head: head) {
                try reuse(reused, path, info, head: head)
            } else if type == S_IFLNK {
                try copySymlink(path, info, from: sourceDir, name, head: head)
            } else {
                try copyFile(path, info, from: sourceDir, name, head: head)
            }
            for directory in newDirectories {
                directories.insert(PathKey(directory))
                entries.append(.directory(directory))
            }
            leaves.insert(PathKey(path))
            kept.append(path)
        }

        /// The directories of `path` not listed yet (the paths are sorted, so a directory's own
        /// entry, were it a file, would have come first).
        func unlistedDirectories(of path: String) throws(ReproError) -> [String] {
            var newDirectories: [String] = []
            for (i, byte) in path.utf8.enumerated() where byte == UInt8(ascii: "/") {
                let directory = String(path.utf8.prefix(i))!
                if leaves.contains(PathKey(directory)) {
                    throw .configuration(
                        "the source lists \(path.debugDescription) below another of its entries that is not a directory; refusing to snapshot \(projectDir)."
                    )
                }
                if !directories.contains(PathKey(directory)) { newDirectories.append(directory) }
            }
            return newDirectories
        }

        /// The git mode of a file with `info`: 120000 (symlink), 100755 (owner-executable) or 100644.
        static func gitMode(_ info: stat) -> String {
            info.st_mode & S_IFMT == S_IFLNK ? "120000" : (info.st_mode & S_IXUSR) != 0 ? "100755" : "100644"
        }

        /// The previous snapshot's record of `path` when the file is unchanged since and the record
        /// has the blob id that `head` (HEAD's entry for it) needs.
        func reusable(_ path: String, _ info: stat, head: (mode: String, id: String)?) -> SnapshotCache.File? {
            guard let previous, let file = previous.files[PathKey(path)],
                file.unchanged(info, takenAt: previous.takenAt, margin: cache!.margin)
            else { return nil }
            // A blob id is needed (HEAD has this path with this mode) and must have been kept.
            let wanted: Bool
            if let head {
                wanted = head.mode == Self.gitMode(info)
            } else {
                wanted = false
            }
            return !wanted || file.blob.utf8.count == head!.id.utf8.count ? file : nil
        }

        /// Lists `path` from the previous snapshot's record `reused`, copying its bytes from the
        /// previous pack unless this pack still follows it.
        mutating func reuse(
            _ reused: SnapshotCache.File, _ path: String, _ info: stat, head: (mode: String, id: String)?
        )
            throws(ReproError)
        {
            if matchesHead {
                if let head {
                    matchesHead = head.mode == Self.gitMode(info) && reused.blob == head.id
                } else {
                    matchesHead = false
                }
            }
            if info.st_mode & S_IFMT == S_IFLNK {
                entries.append(TreeEntry(path: path, kind: .symlink, sha256: reused.sha256, target: reused.target))
                records.append((path, reused))
            } else {
                let size = UInt64(reused.size)
                if !following || reused.offset != packed {
                    try stopFollowing()
                    try SnapshotCache.copy(from: previousPack, offset: reused.offset, length: size, to: packFD)
                }
                var record = reused
                record.offset = packed
                records.append((path, record))
                offsets[PathKey(path)] = packed
                packed += size
                let executable = (info.st_mode & S_IXUSR) != 0
                entries.append(
                    TreeEntry(path: path, kind: .file, executable: executable, size: size, sha256: reused.sha256))
            }
        }

        /// Copies the symlink `name` of `sourceDir` (into the staging directory; a pack holds no
        /// symlinks) and lists it.
        mutating func copySymlink(
            _ path: String, _ info: stat, from sourceDir: Int32, _ name: String, head: (mode: String, id: String)?
        ) throws(ReproError) {
            let destination = try readLink(sourceDir, name, path: path)
            if targetRoot >= 0 {
                let targetDir = try targetParent(path)
                if case .failure(let e) = Syscalls.symlinkat(destination, targetDir.directory.raw, name) {
                    throw .configuration("cannot copy \(path) into the source snapshot: \(e.text).", errno: e.code)
                }
            }
            let bytes = Array(destination.utf8)
            var blobID: String?
            if let head, head.mode == "120000", var blob = BlobHasher(hexLength: head.id.utf8.count) {
                blob.update(Array("blob \(bytes.count)\0".utf8))
                blob.update(bytes)
                blobID = blob.finalize()
                matchesHead = blobID == head.id
            } else {
                matchesHead = false
            }
            let sha256 = TreeDigest.hex(SHA256.hash(data: bytes))
            entries.append(TreeEntry(path: path, kind: .symlink, sha256: sha256, target: destination))
            records.append(
                (path, SnapshotCache.File(info: info, offset: 0, sha256: sha256, target: destination, blob: blobID)))
        }

        /// Copies the regular file `name` of `sourceDir` into the staging directory or onto the
        /// end of the pack, and lists it.
        mutating func copyFile(
            _ path: String, _ info: stat, from sourceDir: Int32, _ name: String, head: (mode: String, id: String)?
        ) throws(ReproError) {
            let executable = (info.st_mode & S_IXUSR) != 0
            var blob: BlobHasher?
            if let head, head.mode == (executable ? "100755" : "100644") {
                blob = BlobHasher(hexLength: head.id.utf8.count)
            }
            matchesHead = matchesHead && blob != nil
            let copied: CopiedFile
            if targetRoot >= 0 {
                copied = try copyFileToDirectory(path, executable: executable, from: sourceDir, name, blob: blob)
            } else {
                try stopFollowing()
                copied = try copyRegularFile(
                    from: sourceDir, name: name, path: path, to: packFD, blob: blob, buffer: buffer)
                records.append(
                    (
                        path,
                        SnapshotCache.File(
                            info: info, offset: packed, sha256: copied.sha256, target: "", blob: copied.blob)
                    ))
                offsets[PathKey(path)] = packed
                packed += copied.size
            }
            if matchesHead { matchesHead = copied.blob == head?.id }
            entries.append(
                TreeEntry(path: path, kind: .file, executable: executable, size: copied.size, sha256: copied.sha256))
        }

        /// Copies the regular file `name` of `sourceDir` to a new file at `path` in the staging
        /// directory, mode 0755 or 0644 whatever the umask.
        func copyFileToDirectory(
            _ path: String, executable: Bool, from sourceDir: Int32, _ name: String, blob: BlobHasher?
        ) throws(ReproError) -> CopiedFile {
            let mode: mode_t = executable ? 0o755 : 0o644
            let targetDir = try targetParent(path)
            func writeFailed(_ e: Errno) -> ReproError {
                .configuration("cannot write \(path) into the source snapshot: \(e.text).", errno: e.code)
            }
            let output = try FileDescriptor(
                openingAt: targetDir.directory.raw, name, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                mode: mode, failure: writeFailed)
            let copied = try copyRegularFile(
                from: sourceDir, name: name, path: path, to: output.raw, blob: blob, buffer: buffer)
            // Whatever the umask.
            if case .failure(let e) = Syscalls.fchmod(output.raw, mode) { throw writeFailed(e) }
            return copied
        }
    }

    /// Whether `path` is relative and plain: no leading '/', and no empty, '.' or '..' component.
    ///
    /// Paths are split on the byte '/', as the kernel does: never on Swift's `Character`s, where a
    /// combining mark after a '/' (or a prepended mark before it) would hide the separator.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.utf8.contains(0) else { return false }
        return components(path).allSatisfy { !$0.isEmpty && $0 != [0x2E] && $0 != [0x2E, 0x2E] }
    }

    /// The components of a path, split on the byte '/' (empty ones kept).
    static func components(_ path: String) -> [[UInt8]] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
    }

    /// Opens a directory to walk from (open(2) with `O_DIRECTORY`).
    private static func openDirectory(_ path: String, what: String) throws(ReproError) -> FileDescriptor {
        try FileDescriptor(opening: path, flags: O_RDONLY | O_DIRECTORY) { e in
            .configuration("cannot open \(what) \(path): \(e.text).", errno: e.code)
        }
    }

    /// The directory holding `path`'s last component, opened from `root` one component at a time
    /// with `O_NOFOLLOW` (openat(2)), and that last component. With `create`, missing directories
    /// are made (mkdirat(2), 0755). nil when a component is missing (without `create`), a symlink
    /// or not a directory.
    private static func openParent(of path: String, below root: Int32, create: Bool) throws(ReproError) -> OpenedParent?
    {
        var parts = components(path).map { String(decoding: $0, as: UTF8.self) }
        let name = parts.removeLast()
        var current: FileDescriptor
        switch Syscalls.dup(root) {
        case .success(let fd): current = FileDescriptor(fd)
        case .failure(let e):
            throw .configuration(
                "cannot open the directory of \(path) for the source snapshot: \(e.text).", errno: e.code)
        }
        for part in parts {
            if create, case .failure(let e) = Syscalls.mkdirat(current.raw, part, 0o755), e.code != EEXIST {
                throw .configuration("cannot create \(part) in the source snapshot: \(e.text).", errno: e.code)
            }
            switch Syscalls.openat(current.raw, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
            case .success(let fd): current = FileDescriptor(fd)
            case .failure(let e) where [ENOENT, ENOTDIR, ELOOP].contains(e.code): return nil
            case .failure(let e):
                throw .configuration(
                    "cannot open \(part) of \(path) for the source snapshot: \(e.text).", errno: e.code)
            }
        }
        return OpenedParent(directory: current, name: name)
    }

    /// The directory of the last source path looked up, kept open while the next paths (sorted,
    /// so a directory's files come one after another) are in the same directory: one openat(2)
    /// per directory instead of one per component of every path.
    private final class ParentCache {
        private let root: Int32
        private var parent: [UInt8]?
        private var fd: Int32 = -1

        init(root: Int32) { self.root = root }
        deinit { if fd >= 0 { Syscalls.close(fd) } }

        /// The open directory holding `path` and the name in it, as ``openParent(of:below:create:)``
        /// finds them (without `create`); nil when that finds none. The descriptor stays owned here.
        func directory(of path: String) throws(ReproError) -> (fd: Int32, name: String)? {
            let bytes = Array(path.utf8)
            let slash = bytes.lastIndex(of: UInt8(ascii: "/"))
            let dir = slash.map { Array(bytes[..<$0]) } ?? []
            let name = slash.map { String(decoding: bytes[($0 + 1)...], as: UTF8.self) } ?? path
            if dir != parent {
                if fd >= 0 { Syscalls.close(fd) }
                fd = -1
                parent = dir
                if let opened = try openParent(of: path, below: root, create: false) {
                    switch Syscalls.dup(opened.directory.raw) {
                    case .success(let copy): fd = copy
                    case .failure(let e):
                        throw .configuration(
                            "cannot open the directory of \(path) for the source snapshot: \(e.text).", errno: e.code)
                    }
                }
            }
            return fd >= 0 ? (fd, name) : nil
        }
    }

    /// An open directory and the name of an entry in it.
    private struct OpenedParent: ~Copyable {
        let directory: FileDescriptor
        let name: String
    }

    /// The target of the symlink `name` in `dir` (readlinkat(2)).
    private static func readLink(_ dir: Int32, _ name: String, path: String) throws(ReproError) -> String {
        let bytes: [UInt8]
        switch Syscalls.readlinkat(dir, name) {
        case .success(let read): bytes = read
        case .failure(let e):
            throw .configuration("cannot read the symlink \(path) for the source snapshot: \(e.text).", errno: e.code)
        }
        // Copied only when it can be copied exactly: a target that is not UTF-8 would be written
        // as another name, which resolves elsewhere.
        guard let target = ExactUTF8.decode(bytes) else {
            throw .configuration(
                "the symlink \(path) has a target that is not valid UTF-8; repro's digests name everything in UTF-8. Change the link."
            )
        }
        return target
    }

    /// What copying one file found: its SHA-256, its length, and its git blob id if asked for
    /// (nil when the file's length changed while it was read).
    struct CopiedFile {
        var sha256: String
        var size: UInt64
        var blob: String?
    }

    /// Copies the regular file `name` of `from` to the end of `output`, reading it once and
    /// hashing it on the way (openat(2) with `O_NOFOLLOW`, refusing whatever is not a regular
    /// file once open).
    private static func copyRegularFile(
        from: Int32, name: String, path: String, to output: Int32, blob: BlobHasher?,
        buffer: UnsafeMutableRawBufferPointer
    ) throws(ReproError) -> CopiedFile {
        let input = try FileDescriptor(openingAt: from, name, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK) { e in
            .configuration(
                "cannot read \(path) for the source snapshot: \(e.text). Check that the file is readable.",
                errno: e.code)
        }
        guard case .success(let info) = Syscalls.fstat(input.raw), info.st_mode & S_IFMT == S_IFREG else {
            throw .configuration(
                "\(path) stopped being a regular file while the source snapshot was taken; run the check again.")
        }
        var blob = blob
        blob?.update(Array("blob \(info.st_size)\0".utf8))
        let copied = try Hashing.stream(
            input.raw, buffer: buffer,
            readFailed: { e in
                .configuration("cannot read \(path) for the source snapshot: \(e.text).", errno: e.code)
            }
        ) { chunk throws(ReproError) in
            blob?.update(chunk)
            if case .failure(let e) = Syscalls.writeAll(output, chunk) {
                throw .configuration("cannot write \(path) into the source snapshot: \(e.text).", errno: e.code)
            }
            return true
        }
        // A file that changed length while read is no commit's file.
        let id = copied.size == UInt64(info.st_size) ? blob?.finalize() : nil
        return CopiedFile(sha256: copied.hex, size: copied.size, blob: id)
    }

    /// A git blob id being computed: SHA-1 (40 hex digits) or SHA-256 (64, for repositories
    /// with `objectFormat = sha256`) of `blob <size>\0` and the bytes, as `git hash-object
    /// --no-filters` computes it.
    /// The git blob id (SHA-1 or SHA-256 by `hexLength`) of a file or symbolic link of a directory
    /// snapshot, read from disk; nil when it cannot be read.
    static func blobID(_ path: String, symlink: Bool, hexLength: Int) -> String? {
        guard var hasher = BlobHasher(hexLength: hexLength) else { return nil }
        if symlink {
            guard case .success(let bytes) = Syscalls.readlinkat(AT_FDCWD, path) else { return nil }
            hasher.update(Array("blob \(bytes.count)\0".utf8))
            hasher.update(bytes)
            return hasher.finalize()
        }
        guard case .success(let raw) = Syscalls.open(path, O_RDONLY | O_NOFOLLOW) else { return nil }
        let fd = FileDescriptor(raw)
        guard case .success(let info) = Syscalls.fstat(fd.raw), info.st_mode & S_IFMT == S_IFREG, info.st_size >= 0
        else { return nil }
        hasher.update(Array("blob \(info.st_size)\0".utf8))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while case .success(let n) = Syscalls.read(fd.raw, buffer), n > 0 {
            total += Int64(n)
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return total == Int64(info.st_size) ? hasher.finalize() : nil
    }

    struct BlobHasher {
        private var sha1: Insecure.SHA1?
        private var sha256: SHA256?

        /// A hasher for ids of `hexLength` hex digits; nil for any other length.
        init?(hexLength: Int) {
            switch hexLength {
            case 40: sha1 = Insecure.SHA1()
            case 64: sha256 = SHA256()
            default: return nil
            }
        }

        mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            sha1?.update(bufferPointer: bytes)
            sha256?.update(bufferPointer: bytes)
        }

        func finalize() -> String {
            if let sha1 { return TreeDigest.hex(sha1.finalize()) }
            return TreeDigest.hex(sha256!.finalize())
        }
    }

    /// Whether a path of the project belongs in a snapshot: never `.git/` or repro's `.repro/`.
    private static func isSnapshotPath(_ path: String) -> Bool {
        // By bytes: ".git" anywhere (git never tracks one; a crafted index might), ".repro" at the top.
        let parts = components(path)
        return parts.first != Array(".repro".utf8) && !parts.contains(Array(".git".utf8))
    }

    /// What git says about a work tree.
    private struct GitState {
        /// The paths in the index below the project directory, relative to it.
        var tracked: [String]
        /// The untracked, not ignored files below it, in byte order.
        var untracked: [String]
        /// The `HEAD` commit, if any.
        var commit: String?
        /// The committer time of the last commit that touched the project directory.
        var commitTime: Int64?
        /// The work tree's top directory.
        var top: String
        /// The project directory relative to `top`, without a trailing slash ("" at the top).
        var prefix: String
        /// `HEAD`'s entries below the project directory, by path relative to it: mode and object id.
        var head: [String: (mode: String, id: String)]?
        /// The commit as `git describe --tags --always` names it, its abbreviated id, and the tag
        /// naming exactly it, if any.
        var described: (name: String, short: String, tag: String?)?
    }

    /// The options and environment of every git command repro runs on a project, so that the
    /// project's own git configuration (`.git/config` and what it includes) and its in-tree files
    /// (`.gitattributes`) can never make git run a program on the host.
    ///
    /// The commands themselves were chosen to be ones that run no program whatever the
    /// configuration: `rev-parse`, `ls-files` (which reads the index and, for `--others`, walks
    /// the directory; it never compares contents, so clean filters, `process` filters and
    /// `textconv` never apply), `ls-tree` and `log --format=%ct` (no diff is shown, so no
    /// `diff.external` or `textconv`). Whether the snapshot equals `HEAD` is decided by hashing the
    /// snapshot's files as git blobs here, not by `git status` or `git diff`, which refresh the
    /// index through clean filters, may rewrite it (firing `post-index-change`) and may ask an
    /// fsmonitor. `describe` is run on the commit's id, never with `--dirty` or `--broken` (which
    /// refresh the index or run `diff-index`): whether the snapshot is dirty is the same blob
    /// comparison. Smudge filters apply only on checkout, which repro never does. On top of that:
    /// - `core.fsmonitor=false`, `core.untrackedCache=false`: no fsmonitor hook or daemon is asked;
    /// - `--no-optional-locks`: nothing is written, so no hook that follows a write can fire;
    ///   `core.hooksPath=/dev/null` besides, where no hook can exist;
    /// - `log.showSignature=false` and `--no-show-signature`: `gpg.program` (or `gpg.ssh.program`)
    ///   is never run to verify a signed commit;
    /// - `GIT_ALLOW_PROTOCOL` set to no protocol (it overrides every `protocol.*.allow` setting)
    ///   and `GIT_NO_LAZY_FETCH=1`: a partial clone missing an object fails instead of fetching
    ///   it, which would run `core.sshCommand`, a remote helper such as `ext::`, or a proxy;
    /// - `--no-pager` (stdout is a pipe anyway): no `core.pager` or `pager.*`.
    static let gitOptions = [
        "--no-pager", "--no-optional-locks",
        "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false",
        "-c", "core.hooksPath=/dev/null", "-c", "log.showSignature=false",
    ]
    /// See ``gitOptions``.
    static let gitEnvironment = [
        "GIT_ALLOW_PROTOCOL": "", "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
    ]

    /// Variables that point git at another repository, index or work tree than `dir`'s (set when
    /// repro runs from a git hook, for instance): removed for every git command repro runs.
    static let gitLocationVariables = [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
        "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    ]

    /// Runs `git ARGS` in `dir` with ``gitOptions`` and ``gitEnvironment``, without ``gitLocationVariables``.
    static func git(_ dir: String, _ arguments: [String]) throws(ReproError) -> HostCommand.Output {
        try HostCommand.run(
            ["git"] + gitOptions + ["-C", dir] + arguments, environment: gitEnvironment,
            removing: gitLocationVariables)
    }

    /// Tracked and untracked file lists, the HEAD commit and its files, or nil when not a git work tree.
    private static func gitFiles(_ dir: String) throws(ReproError) -> GitState? {
        guard try isGitWorkTree(dir) else { return nil }
        let tracked = try git(dir, ["ls-files", "-z", "--cached"])
        guard tracked.status == 0 else {
            throw .configuration("git ls-files failed in \(dir): \(tracked.stderr.trimmingWhitespace())")
        }
        let untracked = try git(dir, ["ls-files", "-z", "--others", "--exclude-standard"])
        // The commit is HEAD; the epoch is the committer time of the last commit that touched
        // this directory, so a project in a subdirectory keeps its epoch while others change.
        let head = try git(dir, ["rev-parse", "--verify", "-q", "HEAD"])
        let text = { (o: HostCommand.Output) in String(decoding: o.stdout, as: UTF8.self).trimmingWhitespace() }
        let commit = head.status == 0 ? text(head) : nil
        let last = try git(dir, ["log", "-1", "--no-show-signature", "--format=%ct", "--", "."])
        let time = last.status == 0 ? Int64(text(last)) : nil
        // Duplicates removed by bytes: Swift's String equality would also merge two different
        // names that are canonically equivalent (NFC and NFD spellings of one word).
        var seen = Set<PathKey>()
        let files = try trackedNames(tracked.stdout).filter { seen.insert(PathKey($0)).inserted }
        let others = untracked.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.filter {
            !$0.hasPrefix(".repro/")
        }
        let top = try git(dir, ["rev-parse", "--show-toplevel"])
        let prefix = try git(dir, ["rev-parse", "--show-prefix"])
        var sub = text(prefix)
        if sub.hasSuffix("/") { sub.removeLast() }
        var entries: [String: (mode: String, id: String)]?
        if let commit, top.status == 0 {
            // The commit's files below DIR, relative to it: "<mode> <type> <id>\t<path>\0" each
            // (by its id, not HEAD, which may have moved since).
            let tree = try git(dir, ["ls-tree", "-r", "-z", commit])
            if tree.status == 0 { entries = parseTree(tree.stdout) }
        }
        return GitState(
            tracked: files, untracked: others.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) },
            commit: commit, commitTime: time,
            top: text(top), prefix: sub, head: entries,
            described: try commit.flatMap { c throws(ReproError) in try describe(dir, c) })
    }

    /// Whether `dir` is in a git work tree (`git rev-parse --is-inside-work-tree`). Without git, a
    /// directory in a work tree is refused rather than taken for a plain one, and so is a
    /// repository git will not read (its safe.directory check).
    private static func isGitWorkTree(_ dir: String) throws(ReproError) -> Bool {
        let path = HostCommand.searchPath(environment: gitEnvironment, removing: gitLocationVariables)
        if HostCommand.find("git", in: path) == nil {
            // Without git, a work tree would be taken for a plain directory and snapshotted
            // whole (untracked files and .git included): only a directory with no .git on the
            // way up is one.
            guard let marker = gitMarker(above: dir) else { return false }
            throw HostCommand.notFound(
                "git", path: path,
                why: ", and \(dir) is in a git work tree (\(marker) exists): repro reads its tracked files through git")
        }
        let inside = try git(dir, ["rev-parse", "--is-inside-work-tree"])
        if inside.status != 0, inside.stderr.contains("safe.directory") {
            // Snapshotting every file instead would take in untracked files, silently.
            throw .configuration(
                "git refuses to read the repository at \(dir): it belongs to another user (git's safe.directory check). Run repro as the repository's owner, or, if you trust it, mark it safe: git config --global --add safe.directory '\(dir)'."
            )
        }
        return inside.status == 0 && String(decoding: inside.stdout, as: UTF8.self).hasPrefix("true")
    }

    /// The NUL-separated file names of `git ls-files -z`; a name that is not UTF-8 is refused.
    private static func trackedNames(_ data: Data) throws(ReproError) -> [String] {
        var names: [String] = []
        for raw in data.split(separator: 0) {
            guard let name = ExactUTF8.decode(raw) else {
                throw .configuration(
                    "the tracked file \(String(decoding: raw, as: UTF8.self).debugDescription) has a name that is not valid UTF-8; repro's digests name files in UTF-8. Rename it."
                )
            }
            names.append(name)
        }
        return names
    }

    /// The first `.git` (directory or file: a linked worktree or submodule has a file) in `dir`
    /// or a directory above it, or nil: where git would find the repository holding `dir`.
    static func gitMarker(above dir: String) -> String? {
        var current = dir
        while true {
            let marker = (current == "/" ? "" : current) + "/.git"
            if Syscalls.exists(marker) { return marker }
            guard current != "/", let slash = current.lastIndex(of: "/") else { return nil }
            current = slash == current.startIndex ? "/" : String(current[..<slash])
        }
    }

    /// `git describe --tags --always --abbrev=7 COMMIT`, `git rev-parse --short=7 COMMIT` and the tag naming
    /// exactly the commit (`git describe --tags --exact-match`), or nil when git cannot say.
    private static func describe(_ dir: String, _ commit: String) throws(ReproError) -> (
        name: String, short: String, tag: String?
    )? {
        let text = { (o: HostCommand.Output) in String(decoding: o.stdout, as: UTF8.self).trimmingWhitespace() }
        // Seven hex digits, git's default, fixed: git scales its default with the number of
        // objects (and obeys the repository's core.abbrev), which would give two clones of one
        // commit two version strings. Longer only where seven are ambiguous in the repository.
        let name = try git(dir, ["describe", "--tags", "--always", "--abbrev=7", commit])
        let short = try git(dir, ["rev-parse", "--short=7", commit])
        guard name.status == 0, short.status == 0, !text(name).isEmpty, !text(short).isEmpty else { return nil }
        let exact = try git(dir, ["describe", "--tags", "--exact-match", commit])
        let tag = exact.status == 0 && !text(exact).isEmpty ? text(exact) : nil
        return (text(name), text(short), tag)
    }

    /// The entries of `git ls-tree -r -z` output by path, or nil if a line does not parse.
    static func parseTree(_ data: Data) -> [String: (mode: String, id: String)]? {
        var result: [String: (mode: String, id: String)] = [:]
        for record in data.split(separator: 0) {
            guard let tab = record.firstIndex(of: 9) else { return nil }
            let fields = record[record.startIndex..<tab].split(separator: 32)
            guard fields.count == 3, let path = ExactUTF8.decode(record[(tab + 1)...]) else { return nil }
            result[path] = (String(decoding: fields[0], as: UTF8.self), String(decoding: fields[2], as: UTF8.self))
        }
        return result
    }

    /// Every regular file and symlink below `dir`, relative, never following symlinks.
    private static func walk(_ dir: String) throws(ReproError) -> [String] {
        var result: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? dir : dir + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: absolute)
            } catch {
                throw .configuration(
                    "cannot read the directory \(absolute): \(ReproError.reason(error)). Check that it exists and is readable."
                )
            }
            for name in names {
                if relative.isEmpty, name == ".git" || name == ".repro" { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                let info: stat
                switch Syscalls.lstatOrErrno(dir + "/" + path) {
                case .success(let value): info = value
                case .failure(let e):
                    throw .configuration(
                        "cannot read \(dir)/\(path) (\(e.text)); a file name that is not valid UTF-8 shows up this way. Rename it or remove it.",
                        errno: e.code)
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: pending.append(path)
                case S_IFREG, S_IFLNK: result.append(path)
                default: break
                }
            }
        }
        return result
    }

    /// A path with the characters a URI path may not hold percent-encoded.
    static func percentEncoded(_ path: String) -> String {
        // Foundation's CharacterSet.urlPathAllowed on Linux, which has neither "#" nor "?" (nor ";").
        return path.percentEncoded { isASCIIAlphanumeric($0) || "!$&'()*+,-./:=@_~".utf8.contains($0) }
    }
}
