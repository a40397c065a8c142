import Crypto
import FoundationEssentials
import Glibc
import ReproCore

/// The project's `.repro/` directory (logs, certified outputs, kept runs, the manifest) and the
/// checks that keep a hostile checkout from turning repro's writes against the host: `.repro`
/// and its subdirectories must be real directories, never symlinks a repository could commit.
enum ProjectState {
    /// Creates (if needed) and verifies `<project>/.repro/<sub>`, refusing symlinks on the way.
    static func directory(_ project: String, _ sub: String? = nil) throws(ReproError) -> String {
        var path = project + "/.repro"
        try realDirectory(path)
        if let sub {
            for part in sub.split(separator: "/") {
                path += "/" + part
                try realDirectory(path)
            }
        }
        return path
    }

    private static func realDirectory(_ path: String) throws(ReproError) {
        if let info = Syscalls.lstat(path) {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw .configuration(
                    "\(path) is not a directory (a symlink or file, perhaps committed to the repository); repro keeps its logs and outputs there. Remove it and run again."
                )
            }
            return
        }
        if case .failure(let e) = Syscalls.mkdir(path, 0o755), e.code != EEXIST {
            throw .configuration(
                "cannot create \(path): \(e.text). Check that the project directory is writable.", errno: e.code)
        }
        guard let info = Syscalls.lstat(path), info.st_mode & S_IFMT == S_IFDIR else {
            throw .configuration("\(path) is not a directory. Remove it and run again.")
        }
    }

    /// Opens a new log file for writing inside a verified directory, never through a symlink.
    static func openLog(_ path: String) throws(ReproError) -> FileDescriptor {
        Syscalls.unlink(path)
        return try FileDescriptor(opening: path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644) { e in
            .configuration(
                "cannot write the build log \(path): \(e.text). Check that the project directory is writable.",
                errno: e.code)
        }
    }

    /// Refuses a destination for `--output` or `--keep` that would destroy something: the project
    /// itself or a directory containing it, the cache, the home directory, `/`, and anything at
    /// the destination that repro did not place itself, whatever its type (a file, a symlink, a
    /// non-empty directory). `.repro/...` of the project is repro's own, as long as it is a real
    /// directory; elsewhere, only a directory whose contents are exactly what an earlier check
    /// placed there (a record in the cache, see ``Placements``) is replaced.
    /// Returns what the kernel said of an earlier check's directory when it was confirmed (for
    /// ``withdrawOutputs(_:_:cache:verified:)``, which then need not read it again).
    @discardableResult
    static func checkDestination(_ destination: String, option: String, project: String, cache: String)
        throws(ReproError) -> Placements.Verified?
    {
        let target = canonical(destination)
        var protected = [(canonical(project), "the project"), (canonical(cache), "the cache"), ("/", "/")]
        if let home = CachePaths.homeDirectory() { protected.append((canonical(home), "your home directory")) }
        for (protected, what) in protected {
            if target == protected || protected.hasPrefix(target == "/" ? "/" : target + "/") {
                throw .configuration("\(option) \(destination) would replace \(what); give a new directory for it.")
            }
        }
        guard let info = Syscalls.lstat(destination) else { return nil }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw .configuration(
                "\(option) \(destination) is \(kind(info.st_mode)), not a directory; repro places a directory there and never replaces what it did not place itself. Give the path of a new or empty directory (or remove \(destination) first)."
            )
        }
        if isProjectState(target, project: project) { return nil }
        if let names = try? FileManager.default.contentsOfDirectory(atPath: destination), names.isEmpty { return nil }
        guard let verified = Placements(cache: cache).verify(target) else {
            throw .configuration(
                "\(option) \(destination) exists and is not empty, and is not exactly what an earlier check placed there; repro replaces what it writes there, so give a new or empty directory (or remove this one)."
            )
        }
        return verified
    }

    /// Refuses `--keep` and the outputs' destination naming one directory, or one inside the
    /// other: placing either would replace or hold the other.
    static func checkSeparate(keep: String, output: String, outputNamed: Bool) throws(ReproError) {
        let k = canonical(keep), o = canonical(output)
        let outputText = outputNamed ? "--output \(output)" : "the outputs' directory \(output)"
        let how: String
        if k == o {
            how = "name the same directory"
        } else if o.hasPrefix(k == "/" ? "/" : k + "/") {
            how = "are nested (the outputs' directory is inside the kept runs' directory)"
        } else if k.hasPrefix(o == "/" ? "/" : o + "/") {
            how = "are nested (the kept runs' directory is inside the outputs' directory)"
        } else {
            return
        }
        throw .configuration(
            "--keep \(keep) and \(outputText) \(how); repro replaces each of them as a whole, so one would destroy the other. Give them separate directories, neither inside the other."
        )
    }

    /// "a regular file", "a symbolic link", ...: what a non-directory is, for messages.
    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a named pipe"
        case S_IFSOCK: return "a socket"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "a special file"
        }
    }

    /// Refuses a manifest path that cannot be written (a missing or read-only directory, or a
    /// directory in its place), before a build is spent on a check whose manifest would be lost.
    static func checkManifestDestination(_ path: String) throws(ReproError) {
        let parent = path.droppingLastPathPart
        guard let real = try? Syscalls.realpath(parent).get(), Syscalls.isDirectory(real) else {
            throw .configuration("--manifest \(path): \(parent) is not an existing directory; give a path in one.")
        }
        if Syscalls.isDirectory(path) {
            throw .configuration(
                "--manifest \(path) is a directory; give a file path, for example \(path)/\(Manifest.defaultFileName).")
        }
        if case .failure(let e) = Syscalls.access(parent, W_OK) {
            throw .configuration(
                "--manifest \(path): cannot write in \(parent) (\(e.text)); give a path in a writable directory.",
                errno: e.code)
        }
    }

    /// Records that a check placed outputs with tree digest `digest` at `destination`.
    static func recordPlacement(cache: String, _ destination: String, digest: String) throws(ReproError) {
        try Placements(cache: cache).record(canonical(destination), digest: digest)
    }

    /// Removes outputs an earlier check placed at `destination`, when this check certified none:
    /// they must not be published beside a manifest that says otherwise. Only repro's own are
    /// removed: `.repro/...` of the project, or a directory still exactly as a check placed it.
    /// Returns whether it removed anything.
    /// `verified`, from ``checkDestination(_:option:project:cache:)`` earlier in the check, spares
    /// reading the directory again when nothing in it changed since (see ``Placements/holds(_:since:)``).
    static func withdrawOutputs(
        _ project: String, _ destination: String, cache: String,
        verified: Placements.Verified? = nil
    ) -> Bool {
        guard let info = Syscalls.lstat(destination), info.st_mode & S_IFMT == S_IFDIR else { return false }
        let target = canonical(destination)
        guard isProjectState(target, project: project) || Placements(cache: cache).holds(target, since: verified) else {
            return false
        }
        Syscalls.removeTree(destination)
        Placements(cache: cache).forget(target)
        return true
    }

    /// Whether the canonical `path` lies inside the project's own `.repro/`.
    private static func isProjectState(_ path: String, project: String) -> Bool {
        path.hasPrefix(canonical(project) + "/.repro/")
    }

    /// `path` with symlinks resolved as far as it exists, made absolute.
    private static func canonical(_ path: String) -> String {
        var existing = URL(fileURLWithPath: path).standardizedFileURL.path
        var rest: [String] = []
        while Syscalls.lstat(existing) == nil, existing != "/" {
            rest.insert(existing.lastPathPart, at: 0)
            existing = existing.droppingLastPathPart
        }
        let base = (try? Syscalls.realpath(existing).get()) ?? existing
        return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.joined(separator: "/")
    }
}

/// Where repro records the output directories it placed outside a project's `.repro/`: one file
/// per destination in the cache's `placed/` (named by the SHA-256 of the canonical path, holding
/// the path and the `t1:` digest of what was placed). The project cannot write there, so a
/// repository cannot make repro treat someone else's directory as its own; and a directory is
/// repro's only while its contents still have the recorded digest, so nothing added or changed
/// there since is ever removed.
struct Placements {
    /// The records' directory.
    let directory: String

    /// The records of the cache at `cache`.
    init(cache: String) { directory = cache + "/placed" }

    private func file(_ path: String) -> String {
        directory + "/" + Hex.encode(SHA256.hash(data: Data(path.utf8)))
    }

    /// A directory found to hold exactly what a check placed there, with what the kernel said of
    /// each of its entries just before it was read (when that can be trusted later, see
    /// ``TreeStamp``).
    struct Verified {
        /// The canonical path.
        let path: String
        /// The recorded digest, which the directory's contents had.
        let digest: String
        /// The entries' status, taken before they were read; nil when one was too recent to trust.
        let stamp: TreeStamp?
    }

    /// The recorded digest of the canonical `path`, if there is a record.
    private func recorded(_ path: String) -> String? {
        guard let text = Syscalls.readSmallFile(file(path)) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3, lines[0] == "repro-placed-v1", lines[1] == path else { return nil }
        return lines[2]
    }

    /// Whether the canonical `path` holds exactly what a check placed there (read and hashed).
    func holds(_ path: String) -> Bool { verify(path) != nil }

    /// Reads and hashes the canonical `path`; what it found when it holds exactly what a check
    /// placed there, else nil. (`margin`: see ``TreeStamp``; tests use others.)
    func verify(_ path: String, margin: Int64 = SnapshotCache.racyMargin) -> Verified? {
        guard let digest = recorded(path) else { return nil }
        let stamp = TreeStamp.take(path, margin: margin)  // before the read: a change during it shows later
        guard let listing = try? TreeWalker.walk(path), listing.digest == digest else { return nil }
        return Verified(path: path, digest: digest, stamp: stamp)
    }

    /// Whether the canonical `path` still holds what a check placed there, given that `earlier`
    /// found it so: without reading it again when every entry's status is as it was then (and
    /// the record unchanged); else read and hashed as by ``holds(_:)``.
    func holds(_ path: String, since earlier: Verified?) -> Bool {
        if let earlier, earlier.path == path, let stamp = earlier.stamp, recorded(path) == earlier.digest,
            TreeStamp.take(path, takenAt: stamp.takenAt, margin: stamp.margin) == stamp
        {
            return true
        }
        return holds(path)
    }

    /// Records that `digest` was placed at the canonical `path`.
    func record(_ path: String, digest: String) throws(ReproError) {
        if case .failure(let e) = Syscalls.mkdirs(directory) {
            throw .configuration(
                "cannot create \(directory): \(e.text). Check that the cache directory is writable (or choose another with --cache DIR).",
                errno: e.code)
        }
        let text = "repro-placed-v1\n\(path)\n\(digest)\n"
        let record = file(path)
        try AtomicFile.write(Array(text.utf8), to: record) { e in
            .configuration(
                "cannot write \(record): \(e.text). Check that the cache directory is writable.", errno: e.code)
        }
    }

    /// Forgets the record of `path`.
    func forget(_ path: String) { Syscalls.unlink(file(path)) }
}

/// What the kernel says about every entry of a directory tree (lstat(2): device, inode, mode,
/// size, modification and status-change times), without reading any file. Two equal stamps of a
/// tree mean that nothing in it was written, truncated, renamed, added, removed or chmodded in
/// between: each of those sets the ctime of the entry (or of its directory) to the current time,
/// and no program can set a ctime back. As for the kept snapshot (``SnapshotCache``), an entry
/// whose times are within ``SnapshotCache/racyMargin`` of the first stamp could be changed in the
/// same clock tick and keep them: such a tree has no stamp, and is read again.
struct TreeStamp: Equatable {
    /// When the stamp was taken (nanoseconds since the epoch); every entry's times lie more than
    /// the margin before it.
    let takenAt: Int64
    /// How long before `takenAt` every entry's times lie (nanoseconds).
    let margin: Int64
    /// One line per entry, in walk order.
    let lines: [String]

    /// The stamp of `root`, dated `takenAt` (now by default), or nil when an entry's times are
    /// within `margin` of it, or an entry cannot be listed or stat'ed, or the tree has more than
    /// `limit` entries.
    static func take(
        _ root: String, takenAt: Int64? = nil, margin: Int64 = SnapshotCache.racyMargin,
        limit: Int = 1_000_000
    ) -> TreeStamp? {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let time = takenAt ?? SnapshotCache.File.nanoseconds(now)
        let (before, overflow) = time.subtractingReportingOverflow(margin)
        guard !overflow else { return nil }
        var lines: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let dir = relative.isEmpty ? root : root + "/" + relative
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return nil }
            for name in names.sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                guard let info = Syscalls.lstat(root + "/" + path) else { return nil }
                let mtime = SnapshotCache.File.nanoseconds(info.st_mtim),
                    ctime = SnapshotCache.File.nanoseconds(info.st_ctim)
                guard mtime < before, ctime < before, lines.count < limit else { return nil }
                lines.append("\(path)\0\(info.st_dev) \(info.st_ino) \(info.st_mode) \(info.st_size) \(mtime) \(ctime)")
                if info.st_mode & S_IFMT == S_IFDIR { pending.append(path) }
            }
        }
        guard let info = Syscalls.lstat(root), SnapshotCache.File.nanoseconds(info.st_ctim) < before else { return nil }
        lines.append("\0\(info.st_dev) \(info.st_ino) \(info.st_mode) \(SnapshotCache.File.nanoseconds(info.st_mtim))")
        return TreeStamp(takenAt: time, margin: margin, lines: lines)
    }
}

/// An exclusive lock on a project's `.repro/` directory (flock(2) on the directory itself, opened
/// with `O_NOFOLLOW`, so no file a repository commits there is ever opened), held by one check
/// from its start until its manifest is written: two checks of one project never interleave
/// placing outputs and writing manifests.
public struct ProjectLock: ~Copyable {
    private let descriptor: FileDescriptor

    /// Locks `project`'s `.repro/` (created if needed). When another check holds it, waits (after
    /// telling `progress`), or with `wait` false throws at once.
    public init(project: String, wait: Bool, progress: (String) -> Void) throws(ReproError) {
        let path = try ProjectState.directory(project)
        let fd = try FileDescriptor(opening: path, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW) { e in
            .configuration("cannot open \(path) to lock it: \(e.text).", errno: e.code)
        }
        switch Syscalls.flock(fd.raw, LOCK_EX | LOCK_NB) {
        case .success: break
        case .failure(let e) where e.code == EWOULDBLOCK:
            guard wait else {
                throw .configuration(
                    "another repro check of \(project) is running (it holds \(path)); wait for it to finish, or run without --no-wait to wait for it."
                )
            }
            progress("waiting for another check of this project to finish (it holds \(path))")
            if case .failure(let e) = Syscalls.flock(fd.raw, LOCK_EX) {
                throw .configuration("cannot lock \(path): \(e.text).", errno: e.code)
            }
        case .failure(let e):
            throw .configuration("cannot lock \(path): \(e.text).", errno: e.code)
        }
        descriptor = fd
    }
}
