import Crypto
import FoundationEssentials
import ReproCore
import CReproSandbox
#if canImport(Glibc)
    import Glibc
#endif

/// The previous check's packed snapshot of a project, kept in the cache (`snapshots/<key>/`, the
/// key being the SHA-256 of the project directory's path) so that the next check reads from the
/// host only the files that changed since.
///
/// A file is taken from the previous pack, without reading it on the host, only when everything
/// the kernel says about it is as recorded when it was read: the same device and inode, type,
/// mode, size, modification time and status-change time (ctime, which every write, rename, chmod
/// or truncate sets to the current time, and which no program can set back), and that ctime lies
/// more than ``racyMargin`` before the previous snapshot began: a file written in the same clock
/// tick as it was read could otherwise keep its ctime (git calls such entries "racily clean"). A
/// changed clock (set back by an administrator) is the one way around this, as for git and make.
///
/// `pack` is never written in place: a new one is renamed over it, so a check that linked the
/// old one into its work area keeps the bytes it listed. `index` holds one record per file, NUL
/// separated fields, after a header record.
struct SnapshotCache {
    /// The directory of this project's entry.
    let directory: String
    /// The lock serializing snapshots of this project that use the entry.
    let lockPath: String
    /// The project directory as recorded.
    let project: String
    /// How long before the previous snapshot began a file's ctime must be for it to be reused
    /// (nanoseconds): ``racyMargin`` (tests use others).
    var margin: Int64 = SnapshotCache.racyMargin

    /// How long before the previous snapshot began a file's ctime must be for it to be reused.
    static let racyMargin: Int64 = 2_000_000_000

    /// The entry of `project` in the cache at `cacheRoot`.
    init(cacheRoot: String, project: String) {
        let key = TreeDigest.hex(SHA256.hash(data: Array(project.utf8)))
        directory = cacheRoot + "/snapshots/" + key
        lockPath = cacheRoot + "/locks/snapshot-" + key + ".lock"
        self.project = project
    }

    var packPath: String { directory + "/pack" }
    var indexPath: String { directory + "/index" }

    /// One file of a previous snapshot.
    struct File {
        var symlink: Bool
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var mtime: Int64  // nanoseconds since the epoch
        var ctime: Int64
        var mode: UInt32
        /// Where the bytes start in the pack (regular files).
        var offset: UInt64
        /// The SHA-256 hex of the bytes (of the target for a symlink).
        var sha256: String
        /// The symlink's target.
        var target: String
        /// The git blob id computed while copying, if one was.
        var blob: String

        /// The record of a file whose status (lstat) was `info`.
        init(info: stat, offset: UInt64, sha256: String, target: String, blob: String?) {
            symlink = info.st_mode & S_IFMT == S_IFLNK
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            mtime = Self.nanoseconds(info.st_mtim)
            ctime = Self.nanoseconds(info.st_ctim)
            mode = UInt32(info.st_mode)
            self.offset = offset
            self.sha256 = sha256
            self.target = target
            self.blob = blob ?? ""
        }

        init?(fields: ArraySlice<String>) {
            let f = Array(fields)
            guard f.count == File.fieldCount, let device = UInt64(f[1]), let inode = UInt64(f[2]),
                let size = Int64(f[3]),
                let mtime = Int64(f[4]), let ctime = Int64(f[5]), let mode = UInt32(f[6]), let offset = UInt64(f[7]),
                f[0] == "f" || f[0] == "l"
            else { return nil }
            symlink = f[0] == "l"
            (self.device, self.inode, self.size, self.mtime, self.ctime, self.mode, self.offset) = (
                device, inode, size, mtime, ctime, mode, offset
            )
            (sha256, target, blob) = (f[8], f[9], f[10])
        }

        static let fieldCount = 11

        var fields: [String] {
            [
                symlink ? "l" : "f", String(device), String(inode), String(size), String(mtime), String(ctime),
                String(mode),
                String(offset), sha256, target, blob,
            ]
        }

        static func nanoseconds(_ t: timespec) -> Int64 {
            let (s, o1) = Int64(t.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
            let (n, o2) = s.addingReportingOverflow(Int64(t.tv_nsec))
            return o1 || o2 ? .max : n
        }

        /// Whether `info` (an lstat now) says the file is as it was recorded, and was recorded
        /// safely before `takenAt`.
        func unchanged(_ info: stat, takenAt: Int64, margin: Int64) -> Bool {
            let now = File(info: info, offset: offset, sha256: sha256, target: target, blob: blob)
            guard now.symlink == symlink, now.device == device, now.inode == inode, now.size == size,
                now.mtime == mtime,
                now.ctime == ctime, now.mode == mode
            else { return false }
            let (limit, overflow) = takenAt.subtractingReportingOverflow(margin)
            return !overflow && ctime < limit && mtime < limit
        }
    }

    /// Appends `length` bytes of `input` from `offset` to `output` (copy_file_range(2), which
    /// shares the blocks where the file system can; else read(2) and write(2)).
    static func copy(from input: Int32, offset: UInt64, length: UInt64, to output: Int32) throws(ReproError) {
        var position = Int64(offset)
        var left = length
        while left > 0 {
            let want = Int(min(left, 1 << 30))
            let code: Int32
            switch Syscalls.copyFileRange(input, &position, output, want) {
            case .success(0):
                throw .configuration(
                    "the kept source snapshot ended early; remove the cache's snapshots/ directory and run again.")
            case .success(let n):
                left -= UInt64(n)
                continue
            case .failure(let e): code = e.code
            }
            guard code == EXDEV || code == EINVAL || code == ENOSYS || code == EOPNOTSUPP else {
                throw .configuration("cannot copy from the kept source snapshot: \(Errno(code).text).", errno: code)
            }
            // Fallback: through a buffer.
            var buffer = [UInt8](repeating: 0, count: min(Int(left), 1 << 20))
            let got = buffer.withUnsafeMutableBytes { Syscalls.pread(input, $0, at: off_t(position)) }
            switch got {
            case .success(0):
                throw .configuration(
                    "the kept source snapshot ended early; remove the cache's snapshots/ directory and run again.")
            case .success(let m):
                if case .failure(let e) = Syscalls.writeAll(output, Array(buffer[0..<m])) {
                    throw .configuration("cannot write the source snapshot: \(e.text).", errno: e.code)
                }
                position += Int64(m)
                left -= UInt64(m)
            case .failure(let e):
                throw .configuration("cannot read the kept source snapshot: \(e.text).", errno: e.code)
            }
        }
    }

    /// A previous snapshot's record.
    struct Index {
        /// When it began (CLOCK_REALTIME, nanoseconds).
        var takenAt: Int64
        /// The pack's length.
        var packSize: UInt64
        /// Its files by path.
        var files: [PathKey: File]
    }

    static let header = "repro-snapshot-v1"

    /// The recorded snapshot, if there is one for this project and it parses.
    func load() -> Index? {
        guard let data = FileManager.default.contents(atPath: indexPath) else { return nil }
        let fields = data.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard fields.count >= 5, fields[0] == Self.header, fields[1] == project, let takenAt = Int64(fields[2]),
            let packSize = UInt64(fields[3]), let count = Int(fields[4])
        else { return nil }
        let body = fields.dropFirst(5)
        guard count >= 0, body.count == count * (File.fieldCount + 1) + 1 else { return nil }
        var files: [PathKey: File] = [:]
        files.reserveCapacity(count)
        var i = body.startIndex
        for _ in 0..<count {
            let path = body[i]
            guard let file = File(fields: body[(i + 1)...(i + File.fieldCount)]) else { return nil }
            files[PathKey(path)] = file
            i += File.fieldCount + 1
        }
        return Index(takenAt: takenAt, packSize: packSize, files: files)
    }

    /// Records `files` (in path order) and their pack, replacing the entry. `pack` is linked in
    /// (it must be on the cache's file system), or, with `pack` nil, the current one is kept.
    func store(takenAt: Int64, pack: String?, packSize: UInt64, files: [(String, File)]) throws(ReproError) {
        if case .failure(let e) = Syscalls.mkdirs(directory) {
            throw .configuration(
                "cannot create \(directory): \(e.text). Check that the cache directory is writable.", errno: e.code)
        }
        var text = [Self.header, project, String(takenAt), String(packSize), String(files.count)]
        text.reserveCapacity(5 + files.count * (File.fieldCount + 1))
        for (path, file) in files {
            text.append(path)
            text += file.fields
        }
        // Not flushed: a cache that a crash leaves without its index (or with one that does not
        // parse) is only taken again whole.
        let indexTemp = try AtomicFile.temporary(
            Array((text.joined(separator: "\0") + "\0").utf8), beside: indexPath, sync: false
        ) { e in
            .configuration("cannot write \(indexPath). Check that the cache directory is writable.", errno: e.code)
        }
        if let pack {
            Syscalls.unlink(indexPath)  // no index names a pack it does not describe
            let packTemp = packPath + "." + UUID().uuidString
            if case .failure(let e) = Syscalls.link(pack, packTemp) {
                Syscalls.unlink(indexTemp)
                throw .configuration("cannot keep the source snapshot in \(directory): \(e.text).", errno: e.code)
            }
            if case .failure(let e) = Syscalls.rename(packTemp, packPath) {
                Syscalls.unlink(packTemp)
                Syscalls.unlink(indexTemp)
                throw .configuration("cannot keep the source snapshot in \(directory): \(e.text).", errno: e.code)
            }
        }
        if case .failure(let e) = Syscalls.rename(indexTemp, indexPath) {
            Syscalls.unlink(indexTemp)
            throw .configuration("cannot keep the source snapshot in \(directory): \(e.text).", errno: e.code)
        }
    }
}
