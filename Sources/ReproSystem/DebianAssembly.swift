import Crypto
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// Assembles the tree of a Debian lock from its `.deb` files, the same bytes whatever the order
/// in which they were downloaded (docs/toolchains.md, "Debian locks"):
///
/// 1. The root gets the merged-/usr layout: `usr/bin`, `usr/sbin`, `usr/lib`, `usr/lib64` and the
///    links `bin`, `sbin`, `lib`, `lib64` to them.
/// 2. Each package, in assembly order (name, then architecture), has its `data.tar.*` unpacked by
///    ``ArchiveExtractor`` (absolute paths, `..`, writes through symlinks refused; devices not
///    made; setuid/setgid bits and group/other write bits removed) into a directory of its own,
///    which is then merged into the root: a path under `bin/`, `sbin/`, `lib/` or `lib64/` goes
///    under `usr/`; directories are shared (the first package's mode stays); a file or symlink
///    that another package already put at the same path must be identical to it (same type,
///    bytes or target, executable bit), else the assembly stops naming both packages. Nothing is
///    ever written through a symlink: each directory on the way is a real directory of the root.
/// 3. What maintainer scripts would do is done by recorded rules (``recordedLinks``), never by
///    running them: alternatives (`cc`, `c++`, `awk`, ...), `/etc/passwd` and `/etc/group` from
///    base-passwd's masters, and `/var/lib/dpkg/status` listing every package.
/// 4. Every entry's mtime is set to 0 (the epoch).
public enum DebianAssembly {
    /// The merged-/usr links at the root.
    static let usrMerged = ["bin", "sbin", "lib", "lib64"]

    /// An alternative as its package's postinst registers it: the link, the alternative's
    /// name, and the candidates in Debian's priority order (the first present wins).
    public struct Alternative: Sendable, Equatable {
        /// The path the command is run by, relative to the root.
        public var link: String
        /// The name under `/etc/alternatives/`.
        public var name: String
        /// Absolute candidate targets, best first.
        public var candidates: [String]
    }

    /// The alternatives build-essential and minbase register (priority order as in their
    /// postinst scripts: gawk 10 before mawk 5, and so on).
    public static let recordedLinks: [Alternative] = [
        Alternative(
            link: "usr/bin/awk", name: "awk",
            candidates: ["/usr/bin/gawk", "/usr/bin/mawk", "/usr/bin/original-awk", "/usr/bin/busybox"]),
        Alternative(
            link: "usr/bin/nawk", name: "nawk", candidates: ["/usr/bin/gawk", "/usr/bin/mawk", "/usr/bin/original-awk"]),
        Alternative(link: "usr/bin/cc", name: "cc", candidates: ["/usr/bin/gcc", "/usr/bin/clang"]),
        Alternative(link: "usr/bin/c++", name: "c++", candidates: ["/usr/bin/g++", "/usr/bin/clang++"]),
        Alternative(link: "usr/bin/c89", name: "c89", candidates: ["/usr/bin/c89-gcc"]),
        Alternative(link: "usr/bin/c99", name: "c99", candidates: ["/usr/bin/c99-gcc"]),
        Alternative(link: "usr/bin/which", name: "which", candidates: ["/usr/bin/which.debianutils"]),
        Alternative(link: "usr/bin/pager", name: "pager", candidates: ["/usr/bin/less", "/usr/bin/more"]),
        Alternative(link: "usr/sbin/rmt", name: "rmt", candidates: ["/usr/sbin/rmt-tar"]),
        Alternative(link: "usr/bin/lzma", name: "lzma", candidates: ["/usr/bin/xz"]),
    ]

    /// Maps a path of a package's tree to its place in the merged-/usr root.
    public static func mapped(_ path: String) -> String {
        let first = path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? path
        return usrMerged.contains(first) ? "usr/" + path : path
    }

    /// Assembles `packages` (already in assembly order; each blob checked against its pin) into
    /// the new directory `root`, using `work` for per-package trees. Returns what was neutralized,
    /// each path prefixed with its package.
    static func assemble(
        _ packages: [DebianPackagePin], blob: (DebianPackagePin) -> String, into root: String, work: String,
        limits: ExtractLimits
    ) throws(ReproError) -> [NeutralizedEntry] {
        try makeDirectory(root, mode: 0o755, root: root)
        try makeDirectory(root + "/usr", mode: 0o755, root: root)
        for name in usrMerged {
            try makeDirectory(root + "/usr/" + name, mode: 0o755, root: root)
            try symlink("usr/" + name, at: root + "/" + name, root: root)
        }
        var owners = [String: String]()
        var neutralized = [NeutralizedEntry]()
        for (index, pin) in packages.enumerated() {
            let member = work + "/data-\(index)"
            try dataMember(of: blob(pin), pin: pin, to: member)
            let tree = work + "/pkg-\(index)"
            try makeDirectory(tree, mode: 0o755, root: work)
            let report: ExtractReport
            do {
                report = try ArchiveExtractor.extract(archive: member, into: tree, limits: limits)
            } catch {
                throw error.prefixed("\(pin.name) \(pin.version): ")
            }
            Syscalls.removeTree(member)
            neutralized += report.neutralized.map {
                NeutralizedEntry(path: "\(pin.name): \($0.path)", action: $0.action)
            }
            try merge(tree, "", into: root, package: pin.name, owners: &owners)
            Syscalls.removeTree(tree)
        }
        try applyRecordedRules(root: root, packages: packages)
        try fixTimes(root)
        return neutralized
    }

    /// Copies the `data.tar.*` member of the `.deb` at `path` to `destination`, checking on the
    /// way that the whole file is the pinned bytes. A `.deb` is an `ar` archive: `!<arch>\n`, then
    /// 60-byte headers (name 16, mtime 12, uid 6, gid 6, mode 8, size 10, `` `\n``), each member
    /// padded to an even length.
    static func dataMember(of path: String, pin: DebianPackagePin, to destination: String) throws(ReproError) {
        // No more than the pinned length (and one byte, which makes the digest differ).
        let read = try Hashing.contents(path, limit: Int(clamping: pin.size)) { e in
            .configuration("cannot read \(path) (\(pin.name) \(pin.version)) from the cache.", errno: e.code)
        }
        let actual = read.sha256
        guard actual == pin.sha256 else {
            throw .verification(
                "the cached \(path) (\(pin.name) \(pin.version)) no longer matches its pin (SHA-256 \(actual)). Delete it and fetch again."
            )
        }
        let bytes = read.bytes
        func refuse(_ why: String) -> ReproError {
            .configuration("\(pin.name) \(pin.version) (\(pin.path)) is not a usable .deb: \(why).")
        }
        guard bytes.count >= 8, Array(bytes[0..<8]) == Array("!<arch>\n".utf8) else {
            throw refuse("it does not start with an ar header")
        }
        var offset = 8
        while offset + 60 <= bytes.count {
            let header = bytes[offset..<(offset + 60)]
            let name = String(decoding: header.prefix(16), as: UTF8.self).trimmingSpaces()
            let sizeText = String(decoding: header.dropFirst(48).prefix(10), as: UTF8.self).trimmingSpaces()
            guard let size = Int(sizeText), size >= 0, size <= bytes.count - offset - 60 else {
                throw refuse("member \"\(name)\" has a bad size")
            }
            let start = offset + 60
            if name.hasPrefix("data.tar") {
                // A scratch file of the assembly: not flushed.
                try NewFile.create(
                    destination, Array(bytes[start..<(start + size)]), mode: 0o644, sync: false,
                    cannotCreate: { e in .configuration("cannot write \(destination): \(e.text).", errno: e.code) },
                    cannotWrite: { e in .configuration("cannot write \(destination): \(e.text).", errno: e.code) })
                return
            }
            offset = start + size + (size % 2)
        }
        throw refuse("it has no data.tar member")
    }

    /// Merges the package tree at `tree/relative` into `root` (see the type's rules).
    static func merge(
        _ tree: String, _ relative: String, into root: String, package: String, owners: inout [String: String]
    ) throws(ReproError) {
        let directory = relative.isEmpty ? tree : tree + "/" + relative
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw .configuration("cannot list \(directory): \(error).")
        }
        for name in names.sorted() {
            let path = relative.isEmpty ? name : relative + "/" + name
            let target = mapped(path)
            guard let source = Syscalls.lstat(tree + "/" + path) else {
                throw .configuration("cannot stat \(tree)/\(path).")
            }
            let existing = Syscalls.lstat(root + "/" + target)
            if source.st_mode & S_IFMT == S_IFDIR {
                if let existing {
                    guard existing.st_mode & S_IFMT == S_IFDIR else {
                        throw conflict(
                            target, package, owners[target], "a directory where the other put a file or symlink")
                    }
                } else {
                    try makeDirectory(root + "/" + target, mode: source.st_mode & 0o755, root: root)
                    owners[target] = package
                }
                try merge(tree, path, into: root, package: package, owners: &owners)
                continue
            }
            if let existing {
                if !same(tree + "/" + path, source, root + "/" + target, existing) {
                    throw conflict(target, package, owners[target], "other contents")
                }
                continue
            }
            if case .failure(let e) = Syscalls.rename(tree + "/" + path, root + "/" + target) {
                throw .configuration("cannot move \(path) of \(package) into the tree: \(e.text).", errno: e.code)
            }
            owners[target] = package
        }
    }

    private static func conflict(_ path: String, _ package: String, _ other: String?, _ what: String) -> ReproError {
        .configuration(
            "the lock's packages conflict: \(package) has /\(path) with \(what) than \(other.map { "\($0) put there" } ?? "the merged-/usr layout has"). A lock's packages must be co-installable; make the lock again, or leave one of them out."
        )
    }

    /// Whether two non-directory entries are the same: type, executable bit, and bytes or target.
    static func same(_ a: String, _ sa: stat, _ b: String, _ sb: stat) -> Bool {
        guard sa.st_mode & S_IFMT == sb.st_mode & S_IFMT, (sa.st_mode & 0o111 != 0) == (sb.st_mode & 0o111 != 0) else {
            return false
        }
        if sa.st_mode & S_IFMT == S_IFLNK {
            return (try? FileManager.default.destinationOfSymbolicLink(atPath: a))
                == (try? FileManager.default.destinationOfSymbolicLink(atPath: b))
        }
        guard sa.st_size == sb.st_size else { return false }
        return FileManager.default.contentsEqual(atPath: a, andPath: b)
    }

    /// The recorded effects of maintainer scripts (see the type's rule 3).
    static func applyRecordedRules(root: String, packages: [DebianPackagePin]) throws(ReproError) {
        try makeDirectory(root + "/etc", mode: 0o755, root: root)
        for alternative in recordedLinks {
            try checkBeneath(root + "/" + alternative.link, root: root)
            guard Syscalls.lstat(root + "/" + alternative.link) == nil else { continue }
            var chosen: String?
            for candidate in alternative.candidates {
                try checkBeneath(root + candidate, root: root)
                if Syscalls.lstat(root + candidate) != nil {
                    chosen = candidate
                    break
                }
            }
            guard let chosen else { continue }
            try makeDirectory(root + "/etc/alternatives", mode: 0o755, root: root)
            try symlink(chosen, at: root + "/etc/alternatives/" + alternative.name, root: root)
            try symlink("/etc/alternatives/" + alternative.name, at: root + "/" + alternative.link, root: root)
        }
        for (master, file) in [("passwd.master", "passwd"), ("group.master", "group")] {
            let from = root + "/usr/share/base-passwd/" + master
            guard let data = try readSmall(from, root: root), Syscalls.lstat(root + "/etc/" + file) == nil else {
                continue
            }
            try write(data, to: root + "/etc/" + file, mode: 0o644, root: root)
        }
        var status = ""
        for pin in packages {
            status +=
                "Package: \(pin.name)\nStatus: install ok installed\nArchitecture: \(pin.architecture)\nVersion: \(pin.version)\n\n"
        }
        try makeDirectory(root + "/var", mode: 0o755, root: root)
        try makeDirectory(root + "/var/lib", mode: 0o755, root: root)
        try makeDirectory(root + "/var/lib/dpkg", mode: 0o755, root: root)
        if Syscalls.lstat(root + "/var/lib/dpkg/status") == nil {
            try write(Data(status.utf8), to: root + "/var/lib/dpkg/status", mode: 0o644, root: root)
        }
    }

    /// Sets the mtime (and atime) of every entry under `root`, symlinks included, to 0.
    static func fixTimes(_ root: String) throws(ReproError) {
        let times = [timespec(tv_sec: 0, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: 0)]
        var stack = [root]
        var directories = [String]()
        while let dir = stack.popLast() {
            directories.append(dir)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                let path = dir + "/" + name
                guard let st = Syscalls.lstat(path) else { continue }
                if st.st_mode & S_IFMT == S_IFDIR {
                    stack.append(path)
                } else {
                    _ = Syscalls.utimensat(path, times)
                }
            }
        }
        // Directories last, deepest first: setting a child's time does not touch its parent's
        // mtime, but creating nothing more now keeps the order obvious.
        for dir in directories.reversed() { _ = Syscalls.utimensat(dir, times) }
    }

    /// Refuses `path` unless every directory between `root` and it is a real directory: the
    /// packages' own entries (a `./etc` that is a symbolic link to a host directory) must never
    /// lead a write, a mode change or a read out of the tree.
    static func checkBeneath(_ path: String, root: String) throws(ReproError) {
        guard path.hasPrefix(root + "/") else { throw .configuration("\(path) is not below \(root).") }
        var current = root
        for part in path.dropFirst(root.count + 1).split(separator: "/").dropLast() {
            current += "/" + part
            guard let st = Syscalls.lstat(current), st.st_mode & S_IFMT == S_IFDIR else {
                throw .verification(
                    "the package set puts something other than a directory at \(current.dropFirst(root.count)), where the assembly needs one (a symbolic link there could lead it out of the tree); refusing to assemble it."
                )
            }
        }
    }

    static func makeDirectory(_ path: String, mode: mode_t, root: String) throws(ReproError) {
        if path != root { try checkBeneath(path, root: root) }
        if let st = Syscalls.lstat(path) {
            guard st.st_mode & S_IFMT == S_IFDIR else {
                throw .verification(
                    "the package set puts something other than a directory at \(path.dropFirst(root.count)), where the assembly needs one; refusing to assemble it."
                )
            }
            return
        }
        if case .failure(let e) = Syscalls.mkdir(path, mode) {
            throw .configuration("cannot create \(path): \(e.text).", errno: e.code)
        }
        if case .failure(let e) = Syscalls.chmod(path, mode & 0o755) {
            throw .configuration("cannot create \(path): \(e.text).", errno: e.code)
        }
    }

    static func symlink(_ target: String, at path: String, root: String) throws(ReproError) {
        try checkBeneath(path, root: root)
        if case .failure(let e) = Syscalls.symlink(target, path) {
            throw .configuration("cannot create the symlink \(path): \(e.text).", errno: e.code)
        }
    }

    /// Creates `path` (which must not exist) with `data`, never through a symbolic link.
    static func write(_ data: Data, to path: String, mode: mode_t, root: String) throws(ReproError) {
        try checkBeneath(path, root: root)
        func failure(_ e: Errno) -> ReproError { .configuration("cannot write \(path): \(e.text).", errno: e.code) }
        let file = try FileDescriptor(
            opening: path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode, failure: failure)
        if case .failure(let e) = Syscalls.writeAll(file.raw, Array(data)) { throw failure(e) }
        if case .failure(let e) = Syscalls.fchmod(file.raw, mode) { throw failure(e) }
    }

    /// The bytes of the regular file `path` of the tree (at most 1 MiB), never through a symbolic link.
    static func readSmall(_ path: String, root: String) throws(ReproError) -> Data? {
        try checkBeneath(path, root: root)
        guard case .success(let fd) = Syscalls.open(path, O_RDONLY | O_NOFOLLOW) else { return nil }
        let file = FileDescriptor(fd)
        guard case .success(let st) = Syscalls.fstat(file.raw), st.st_mode & S_IFMT == S_IFREG, st.st_size <= 1 << 20
        else { return nil }
        var data = Data(count: Int(st.st_size))
        let n = data.withUnsafeMutableBytes { Syscalls.read(file.raw, $0) }
        return (try? n.get()) == Int(st.st_size) ? data : nil
    }
}
