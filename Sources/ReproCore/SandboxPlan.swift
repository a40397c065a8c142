/// An unpacked toolchain tree on the host and where it appears, read-only, inside the sandbox.
/// Several trees at one mount path are merged (overlayfs); the first listed is on top.
public struct ToolchainMount: Sendable, Equatable, Codable {
    /// The unpacked tree on the host (absolute, symlinks resolved).
    public var hostTree: String
    /// Where the tree appears in the sandbox (absolute; "/" for a root file system).
    public var mountPath: String

    /// Creates a toolchain mount.
    public init(hostTree: String, mountPath: String) {
        self.hostTree = hostTree
        self.mountPath = mountPath
    }
}

/// A host file or directory bound into the sandbox.
public struct BindMount: Sendable, Equatable {
    /// The host path (absolute, symlinks resolved).
    public var host: String
    /// Where it appears in the sandbox (absolute).
    public var dest: String
    /// Whether the sandbox may write through it (otherwise read-only).
    public var writable: Bool
    /// Whether the host path is a directory (otherwise a file).
    public var isDirectory: Bool

    /// Creates a bind mount.
    public init(host: String, dest: String, writable: Bool, isDirectory: Bool) {
        self.host = host
        self.dest = dest
        self.writable = writable
        self.isDirectory = isDirectory
    }
}

/// One step that fills a writable directory of the sandbox (the work dir, HOME or /tmp) from the
/// host, carried out in the given order inside the sandbox's fresh file system before `pivot_root`;
/// the caller sorts them, so listing order in the sandbox never depends on the host.
public enum WorkOp: Sendable, Equatable {
    /// Creates the directory `dest` with `mode`.
    case mkdir(dest: String, mode: UInt32)
    /// Copies the host regular file `host` to `dest` with `mode`.
    case copyFile(host: String, dest: String, mode: UInt32)
    /// Creates `dest` with `mode` from `length` bytes of the host regular file `host` starting at
    /// `offset` (a source snapshot's pack: one file opened once for every op that names it).
    case copyRange(host: String, offset: UInt64, length: UInt64, dest: String, mode: UInt32)
    /// Creates the symbolic link `dest` pointing at `target`.
    case symlink(target: String, dest: String)
    /// Sets the access and modification times of `dest` (a file, a directory, or a symlink itself,
    /// never what it points at) to `seconds` since the epoch. Creating an entry in a directory
    /// changes the directory's times, so a directory's times are set after everything inside it
    /// is written; the plan refuses to create anything in a directory whose times are set.
    case setTimes(dest: String, seconds: Int64)

    /// The sandbox path this op creates or changes.
    public var dest: String {
        switch self {
        case .mkdir(let d, _), .copyFile(_, let d, _), .copyRange(_, _, _, let d, _), .symlink(_, let d),
            .setTimes(let d, _):
            return d
        }
    }
}

/// How sandbox ids map to host ids.
public enum IDMapping: Sendable, Equatable {
    /// Started as root in the initial user namespace: sandbox root is host root (used only for
    /// setup, with no capabilities outside), the builder is the host's `nobody` (65534).
    case privileged
    /// Started as an ordinary user: the builder is that user, nothing else is mapped.
    case unprivileged(uid: UInt32, gid: UInt32)
}

/// One line of a user namespace id map.
public struct IDMapEntry: Sendable, Equatable, Codable {
    /// The first id inside the namespace.
    public var inside: UInt32
    /// The first id outside.
    public var outside: UInt32
    /// How many ids.
    public var count: UInt32

    /// Creates an entry.
    public init(inside: UInt32, outside: UInt32, count: UInt32) {
        self.inside = inside
        self.outside = outside
        self.count = count
    }
}

/// What a sandbox run should be: the caller's request, before it is turned into a plan.
public struct SandboxSpec: Sendable {
    /// The command and its arguments; argv[0] is a path or a name looked up in the sandbox's PATH.
    public var argv: [String]
    /// The command's environment, exactly (nothing comes from the host).
    public var environment: [String: String]
    /// The working directory of the command.
    public var workdir: String
    /// The toolchain trees, read-only.
    public var toolchains: [ToolchainMount]
    /// Extra bind mounts.
    public var binds: [BindMount]
    /// Steps that fill the writable directories, in order.
    public var workOps: [WorkOp]
    /// The profile: hostname, limits, seccomp policy.
    public var profile: Profile
    /// The wall-clock timeout in seconds, overriding the profile's; 0 means none.
    public var timeoutSeconds: Int?
    /// The command's umask.
    public var umask: UInt32

    /// Creates a spec; the environment defaults to the profile's.
    public init(
        argv: [String], profile: Profile, environment: [String: String]? = nil,
        workdir: String = SandboxLayout.workDirectory,
        toolchains: [ToolchainMount] = [], binds: [BindMount] = [], workOps: [WorkOp] = [],
        timeoutSeconds: Int? = nil, umask: UInt32 = SandboxLayout.umask
    ) {
        self.argv = argv
        self.profile = profile
        self.environment = environment ?? profile.environment
        self.workdir = workdir
        self.toolchains = toolchains
        self.binds = binds
        self.workOps = workOps
        self.timeoutSeconds = timeoutSeconds
        self.umask = umask
    }
}

/// The fixed layout and identity of every sandbox: the one place these values are written. The
/// normalization record (``Normalization``), the built-in profiles' environment and the plan
/// derive from it; `profiles/*.toml` and docs/normalization.md are checked against it by tests.
public enum SandboxLayout {
    /// The writable work directory (a fresh tmpfs).
    public static let workDirectory = "/build/src"
    /// The build user's home (a fresh tmpfs).
    public static let homeDirectory = "/build/home"
    /// The fresh, world-writable temporary directory.
    public static let tmpDirectory = "/tmp"
    /// The build user's uid and gid inside the sandbox.
    public static let builderID: UInt32 = 1000
    /// The build user's name.
    public static let builderName = "builder"
    /// `LANG` and `LC_ALL`.
    public static let locale = "C.UTF-8"
    /// `TZ`.
    public static let timeZone = "UTC"
    /// The host name and NIS domain name.
    public static let hostname = "repro"
    /// The build's umask.
    public static let umask: UInt32 = 0o022
    /// `PATH` when no toolchain or profile sets one.
    public static let searchPath = "/usr/local/bin:/usr/bin:/bin"
    /// `SHELL`.
    public static let shell = "/bin/sh"
    /// The host's `nobody`, which the builder maps to when repro starts as root.
    public static let nobodyID: UInt32 = 65534
    /// Where the sandbox's root is assembled during setup.
    public static let setupNewRoot = "/newroot"
    /// Where the host's root is visible during setup (detached before the command starts).
    public static let setupHostRoot = "/oldroot"
    /// Where the layer holding mount points and synthesized files is built when a toolchain is the root.
    public static let setupSkeleton = "/skel"
    /// An empty directory of the setup file system, the bottom layer under a lone toolchain tree.
    public static let setupEmpty = "/empty"
    /// Where each toolchain tree is bound (`/layers/0`, `/layers/1`, ...) for the overlays to name.
    public static let setupLayers = "/layers"
    /// The device nodes bound from the host into `/dev`.
    public static let devices = ["full", "null", "random", "tty", "urandom", "zero"]
    /// Paths that belong to the sandbox itself and cannot be mount destinations.
    public static let reserved = ["/proc", "/dev", "/tmp", "/etc", workDirectory, homeDirectory]
}

/// A resource limit of the command.
public enum ResourceLimit: String, Sendable, Equatable, Codable, CaseIterable {
    /// RLIMIT_CORE.
    case core
    /// RLIMIT_FSIZE.
    case fileSize = "file_size"
    /// RLIMIT_NOFILE.
    case openFiles = "open_files"
    /// RLIMIT_NPROC.
    case processes
}

/// One setup operation, carried out in order by the C child in the setup file system (whose
/// `/newroot` becomes the sandbox's root and whose `/oldroot` is the host's root until detached).
public enum MountOp: Sendable, Equatable {
    /// mkdir with an exact mode; owned by the builder when `builder`.
    case mkdir(path: String, mode: UInt32, builder: Bool)
    /// A fresh tmpfs with the given mount options.
    case tmpfs(path: String, options: String)
    /// A recursive bind, always nosuid and nodev, read-only unless writable.
    case bind(source: String, path: String, readOnly: Bool)
    /// A read-only overlayfs of the lower directories (the first on top).
    case overlay(lowers: [String], path: String)
    /// A new file with the given bytes and mode.
    case writeFile(path: String, contents: [UInt8], mode: UInt32, builder: Bool)
    /// A copy of a host regular file.
    case copyFile(source: String, path: String, mode: UInt32, builder: Bool)
    /// A new file holding `length` bytes of a host regular file from `offset`.
    case copyRange(source: String, offset: UInt64, length: UInt64, path: String, mode: UInt32, builder: Bool)
    /// A symbolic link.
    case symlink(target: String, path: String, builder: Bool)
    /// A fresh procfs of the sandbox's pid namespace.
    case proc(path: String)
    /// A private devpts instance.
    case devpts(path: String)
    /// A host device node bound over a new empty file.
    case bindDevice(source: String, path: String)
    /// Makes one mount read-only (not its submounts).
    case remountReadOnly(path: String)
    /// Sets the access and modification times of `path` (not following a symlink) to `seconds`
    /// since the epoch.
    case setTimes(path: String, seconds: Int64)

    /// The setup path the op creates or mounts on.
    public var path: String {
        switch self {
        case .mkdir(let p, _, _), .tmpfs(let p, _), .bind(_, let p, _), .overlay(_, let p), .writeFile(let p, _, _, _),
            .copyFile(_, let p, _, _), .copyRange(_, _, _, let p, _, _), .symlink(_, let p, _), .proc(let p),
            .devpts(let p), .bindDevice(_, let p),
            .remountReadOnly(let p), .setTimes(let p, _):
            return p
        }
    }

    /// What the op does, for error messages ("mounting /proc").
    public var summary: String {
        func inside(_ p: String) -> String {
            let root = SandboxLayout.setupNewRoot
            if p == root { return "/" }
            if p.hasPrefix(root + "/") { return String(p.dropFirst(root.count)) }
            return p
        }
        func host(_ p: String) -> String {
            let root = SandboxLayout.setupHostRoot
            return p.hasPrefix(root + "/") ? String(p.dropFirst(root.count)) : p
        }
        switch self {
        case .mkdir(let p, _, _): return "creating directory \(inside(p))"
        case .tmpfs(let p, _): return "mounting a tmpfs on \(inside(p))"
        case .bind(let s, let p, let ro): return "bind-mounting \(host(s)) on \(inside(p))\(ro ? " read-only" : "")"
        case .overlay(let l, let p):
            return "mounting an overlay of \(l.map(host).joined(separator: ", ")) on \(inside(p))"
        case .writeFile(let p, _, _, _): return "writing \(inside(p))"
        case .copyFile(let s, let p, _, _): return "copying \(host(s)) to \(inside(p))"
        case .copyRange(let s, let o, let n, let p, _, _):
            return "copying \(n) bytes at \(o) of \(host(s)) to \(inside(p))"
        case .symlink(_, let p, _): return "creating symlink \(inside(p))"
        case .proc(let p): return "mounting \(inside(p))"
        case .devpts(let p): return "mounting devpts on \(inside(p))"
        case .bindDevice(let s, let p): return "binding device \(host(s)) on \(inside(p))"
        case .remountReadOnly(let p): return "remounting \(inside(p)) read-only"
        case .setTimes(let p, let s): return "setting the times of \(inside(p)) to \(s)"
        }
    }
}

/// Everything the sandbox will do, as data: built and validated in Swift, carried out by C.
public struct SandboxPlan: Sendable, Equatable {
    /// Setup operations, in order.
    public var ops: [MountOp]
    /// The command.
    public var argv: [String]
    /// The environment as sorted `NAME=value` strings.
    public var environment: [String]
    /// The command's working directory.
    public var workdir: String
    /// The fixed hostname and domain name.
    public var hostname: String
    /// The command's uid and gid inside the sandbox.
    public var uid: UInt32
    /// The command's gid inside the sandbox.
    public var gid: UInt32
    /// The user namespace's uid map.
    public var uidMap: [IDMapEntry]
    /// The user namespace's gid map.
    public var gidMap: [IDMapEntry]
    /// Whether setgroups is allowed (privileged mapping) or denied before the gid map is written.
    public var maySetgroups: Bool
    /// The command's resource limits.
    public var rlimits: [ResourceLimit: UInt64]
    /// The command's umask.
    public var umask: UInt32
    /// Wall-clock timeout in seconds; 0 for none.
    public var timeoutSeconds: Int
    /// The profile (its seccomp policy is compiled by the system layer).
    public var profile: Profile

    /// The sandbox's PATH, used to find argv[0] when it has no '/'.
    public var searchPath: String? {
        environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
    }

    /// The text written to /proc/PID/uid_map.
    public var uidMapText: String { uidMap.map { "\($0.inside) \($0.outside) \($0.count)\n" }.joined() }
    /// The text written to /proc/PID/gid_map.
    public var gidMapText: String { gidMap.map { "\($0.inside) \($0.outside) \($0.count)\n" }.joined() }

    /// Validates a spec and turns it into a plan. Throws a configuration error (exit 2) for bad input.
    ///
    /// The ops come in this order: the root layer and its skeleton (``skeletonOps(_:toolchains:base:)``),
    /// the toolchain layers and overlays (``toolchainOps(_:base:)``), the binds, scratch tmpfs and
    /// work tree (``workTreeOps(_:)``), then /dev and /proc (``deviceOps(_:rootIsTmpfs:)``).
    public static func build(_ spec: SandboxSpec, mapping: IDMapping) throws(ReproError) -> SandboxPlan {
        try validate(spec)
        let toolchains = ToolchainMounts(spec.toolchains)
        // The layer that holds mount points and synthesized files: the root tmpfs itself, or a
        // skeleton laid over the root toolchain(s).
        let base = toolchains.rootTrees.isEmpty ? SandboxLayout.setupNewRoot : SandboxLayout.setupSkeleton
        var ops = skeletonOps(spec, toolchains: toolchains, base: base)
        ops += toolchainOps(toolchains, base: base)
        ops += workTreeOps(spec)
        ops += deviceOps(spec.profile.limits.tmpfsBytes, rootIsTmpfs: toolchains.rootTrees.isEmpty)
        let builder = SandboxLayout.builderID
        let maps = idMaps(mapping)
        let limits = spec.profile.limits
        return SandboxPlan(
            ops: ops,
            argv: spec.argv,
            environment: spec.environment.map { "\($0.key)=\($0.value)" }.sorted(),
            workdir: spec.workdir,
            hostname: spec.profile.hostname,
            uid: builder, gid: builder,
            uidMap: maps.uid, gidMap: maps.gid, maySetgroups: maps.maySetgroups,
            rlimits: [
                .core: UInt64(limits.coreBytes), .fileSize: UInt64(limits.fileSizeBytes),
                .openFiles: UInt64(limits.openFiles), .processes: UInt64(limits.processes),
            ],
            umask: spec.umask,
            timeoutSeconds: spec.timeoutSeconds ?? limits.timeoutSeconds,
            profile: spec.profile)
    }

    /// The toolchain trees of a spec: those mounted at `/` (the root, in order), and the others
    /// grouped by mount path (in order of first appearance).
    struct ToolchainMounts {
        /// The host trees that make up `/`, lowest last.
        var rootTrees: [String] = []
        /// The other mount paths, each with its host trees.
        var groups: [(path: String, trees: [String])] = []

        init(_ toolchains: [ToolchainMount]) {
            rootTrees = toolchains.filter { $0.mountPath == "/" }.map(\.hostTree)
            for t in toolchains where t.mountPath != "/" {
                if let i = groups.firstIndex(where: { $0.path == t.mountPath }) {
                    groups[i].trees.append(t.hostTree)
                } else {
                    groups.append((t.mountPath, [t.hostTree]))
                }
            }
        }
    }

    /// The root layer (a tmpfs, or the skeleton directory over root toolchains), every directory
    /// and empty file a mount point needs in it, and the synthesized /etc files.
    static func skeletonOps(_ spec: SandboxSpec, toolchains: ToolchainMounts, base: String) -> [MountOp] {
        let L = SandboxLayout.self
        var ops: [MountOp] = []
        if toolchains.rootTrees.isEmpty {
            ops.append(.tmpfs(path: L.setupNewRoot, options: "mode=0755,size=16m"))
        } else {
            ops.append(.mkdir(path: base, mode: 0o755, builder: false))
        }
        var dirs: [String] = ["/build", "/dev", "/etc", "/proc", "/tmp", L.workDirectory, L.homeDirectory]
        var files: [String] = []
        for g in toolchains.groups { dirs.append(g.path) }
        for b in spec.binds { if b.isDirectory { dirs.append(b.dest) } else { files.append(b.dest) } }
        var made = Set<String>()
        func makeDir(_ path: String) {
            if path == "/" || made.contains(path) { return }
            makeDir(parent(of: path))
            made.insert(path)
            ops.append(.mkdir(path: base + path, mode: 0o755, builder: false))
        }
        for d in dirs.sorted() { makeDir(d) }
        for f in files.sorted() {
            makeDir(parent(of: f))
            ops.append(.writeFile(path: base + f, contents: [], mode: 0o644, builder: false))
        }
        for (name, text) in etcFiles(hostname: spec.profile.hostname) {
            ops.append(.writeFile(path: base + "/etc/" + name, contents: Array(text.utf8), mode: 0o644, builder: false))
        }
        return ops
    }

    /// The synthesized /etc files, by name: the build user and group, the host name.
    static func etcFiles(hostname host: String) -> [(String, String)] {
        let L = SandboxLayout.self
        let builder = L.builderID
        return [
            ("group", "root:x:0:\n\(L.builderName):x:\(builder):\nnogroup:x:\(L.nobodyID):\n"),
            ("hostname", "\(host)\n"),
            ("hosts", "127.0.0.1\tlocalhost \(host)\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
            (
                "passwd",
                "root:x:0:0:root:/root:/sbin/nologin\n\(L.builderName):x:\(builder):\(builder):\(L.builderName):\(L.homeDirectory):/bin/sh\nnobody:x:\(L.nobodyID):\(L.nobodyID):nobody:/nonexistent:/sbin/nologin\n"
            ),
        ]
    }

    /// Each toolchain tree bound read-only as a numbered layer, the root overlay (when toolchains
    /// make up `/`) and one read-only overlay per other mount path.
    static func toolchainOps(_ toolchains: ToolchainMounts, base: String) -> [MountOp] {
        let L = SandboxLayout.self
        let newRoot = L.setupNewRoot
        var ops: [MountOp] = []
        // Each toolchain tree is bound read-only at a numbered path of the setup file system, and
        // the overlays name those paths: overlayfs shows its lowerdir option in the sandbox's
        // /proc/self/mountinfo, which then holds /layers/N instead of the host's cache paths.
        var layers: [String: String] = [:]
        for tree in toolchains.rootTrees + toolchains.groups.flatMap(\.trees) where layers[tree] == nil {
            if layers.isEmpty { ops.append(.mkdir(path: L.setupLayers, mode: 0o755, builder: false)) }
            let layer = L.setupLayers + "/\(layers.count)"
            layers[tree] = layer
            ops.append(.mkdir(path: layer, mode: 0o755, builder: false))
            ops.append(.bind(source: L.setupHostRoot + tree, path: layer, readOnly: true))
        }
        if !toolchains.rootTrees.isEmpty {
            ops.append(.overlay(lowers: [base] + toolchains.rootTrees.map { layers[$0]! }, path: newRoot))
        }
        // Every toolchain mount is a read-only overlay (a lone tree over an empty directory), so
        // writes fail with EROFS whatever the files' owners and modes.
        if toolchains.groups.contains(where: { $0.trees.count == 1 }) {
            ops.append(.mkdir(path: L.setupEmpty, mode: 0o755, builder: false))
        }
        for g in toolchains.groups {
            let lowers = g.trees.map { layers[$0]! } + (g.trees.count == 1 ? [L.setupEmpty] : [])
            ops.append(.overlay(lowers: lowers, path: newRoot + g.path))
        }
        return ops
    }

    /// The spec's binds, the scratch tmpfs mounts (/tmp, the work and home directories) and the
    /// work tree the build user owns.
    static func workTreeOps(_ spec: SandboxSpec) -> [MountOp] {
        let L = SandboxLayout.self
        let newRoot = L.setupNewRoot, hostRoot = L.setupHostRoot
        let tmpfsSize = spec.profile.limits.tmpfsBytes
        let builder = L.builderID
        var ops: [MountOp] = []
        for b in spec.binds.sorted(by: { $0.dest < $1.dest }) {
            ops.append(.bind(source: hostRoot + b.host, path: newRoot + b.dest, readOnly: !b.writable))
        }
        ops.append(.tmpfs(path: newRoot + L.tmpDirectory, options: "mode=1777,size=\(tmpfsSize)"))
        for dir in [L.workDirectory, L.homeDirectory] {
            ops.append(
                .tmpfs(path: newRoot + dir, options: "mode=0755,size=\(tmpfsSize),uid=\(builder),gid=\(builder)"))
        }
        for op in spec.workOps {
            switch op {
            case .mkdir(let dest, let mode):
                ops.append(.mkdir(path: newRoot + dest, mode: mode, builder: true))
            case .copyFile(let h, let dest, let mode):
                ops.append(.copyFile(source: hostRoot + h, path: newRoot + dest, mode: mode, builder: true))
            case .copyRange(let h, let offset, let length, let dest, let mode):
                ops.append(
                    .copyRange(
                        source: hostRoot + h, offset: offset, length: length, path: newRoot + dest, mode: mode,
                        builder: true))
            case .symlink(let target, let dest):
                ops.append(.symlink(target: target, path: newRoot + dest, builder: true))
            case .setTimes(let dest, let seconds):
                ops.append(.setTimes(path: newRoot + dest, seconds: seconds))
            }
        }
        return ops
    }

    /// /dev (a few host nodes, a private devpts, shared memory, the usual links, then read-only),
    /// /proc, and, when the root is a tmpfs, the root remounted read-only.
    static func deviceOps(_ tmpfsSize: Int, rootIsTmpfs: Bool) -> [MountOp] {
        let L = SandboxLayout.self
        let newRoot = L.setupNewRoot
        let dev = newRoot + "/dev"
        var ops: [MountOp] = [.tmpfs(path: dev, options: "mode=0755,size=1m")]
        for name in L.devices {
            ops.append(.bindDevice(source: L.setupHostRoot + "/dev/" + name, path: dev + "/" + name))
        }
        ops.append(.mkdir(path: dev + "/pts", mode: 0o755, builder: false))
        ops.append(.devpts(path: dev + "/pts"))
        ops.append(.mkdir(path: dev + "/shm", mode: 0o1777, builder: false))
        ops.append(.tmpfs(path: dev + "/shm", options: "mode=1777,size=\(tmpfsSize)"))
        ops.append(.symlink(target: "pts/ptmx", path: dev + "/ptmx", builder: false))
        ops.append(.symlink(target: "/proc/self/fd", path: dev + "/fd", builder: false))
        for (i, name) in ["stdin", "stdout", "stderr"].enumerated() {
            ops.append(.symlink(target: "/proc/self/fd/\(i)", path: dev + "/" + name, builder: false))
        }
        ops.append(.remountReadOnly(path: dev))
        ops.append(.proc(path: newRoot + "/proc"))
        if rootIsTmpfs { ops.append(.remountReadOnly(path: newRoot)) }
        return ops
    }

    /// The user namespace's uid and gid maps for `mapping`, and whether setgroups stays allowed.
    static func idMaps(_ mapping: IDMapping) -> (uid: [IDMapEntry], gid: [IDMapEntry], maySetgroups: Bool) {
        let builder = SandboxLayout.builderID
        switch mapping {
        case .privileged:
            let map = [
                IDMapEntry(inside: 0, outside: 0, count: 1),
                IDMapEntry(inside: builder, outside: SandboxLayout.nobodyID, count: 1),
            ]
            return (map, map, true)
        case .unprivileged(let uid, let gid):
            return (
                [IDMapEntry(inside: builder, outside: uid, count: 1)],
                [IDMapEntry(inside: builder, outside: gid, count: 1)], false
            )
        }
    }

    // MARK: - Validation

    /// The parent directory of a normalized absolute path ("/" for top-level entries).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// Whether `path` is absolute and normalized: no empty, "." or ".." components, no trailing '/'.
    /// (A scan of the UTF-8 bytes: a plan validates one path per file of the source.)
    public static func isNormalAbsolute(_ path: String) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var length = 0  // of the current component
        var dots = 0  // how many of its bytes are '.'
        var first = true
        for byte in path.utf8 {
            if first {
                guard byte == slash else { return false }
                first = false
                continue
            }
            if byte == 0 { return false }
            if byte == slash {
                if length == 0 || length == dots && dots <= 2 { return false }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == dot { dots += 1 }
            }
        }
        if first { return false }
        if path.utf8.count == 1 { return true }
        return !(length == 0 || length == dots && dots <= 2)
    }

    /// Whether `path` is `dir` or inside it.
    static func isWithin(_ path: String, _ dir: String) -> Bool {
        dir == "/" || path == dir || path.hasPrefix(dir + "/")
    }

    /// Checks a spec before it is planned: the command, the mounts, then the work files.
    private static func validate(_ spec: SandboxSpec) throws(ReproError) {
        try validateCommand(spec)
        try validateMounts(toolchains: spec.toolchains, binds: spec.binds)
        try validateWorkOps(spec.workOps)
    }

    /// Checks the command, its environment, working directory, umask and timeout.
    private static func validateCommand(_ spec: SandboxSpec) throws(ReproError) {
        guard let first = spec.argv.first, !first.isEmpty else {
            throw .configuration("no command given; put it after `--`, for example `repro run -- /bin/sh -c 'make'`.")
        }
        if spec.argv.contains(where: { $0.contains("\0") }) {
            throw .configuration("a command argument contains a NUL byte.")
        }
        for (key, value) in spec.environment
        where key.isEmpty || key.contains("=") || key.contains("\0") || value.contains("\0") {
            throw .configuration(
                "environment variable \(key.debugDescription) is not a valid NAME=value without NUL bytes.")
        }
        if !isNormalAbsolute(spec.workdir) {
            throw .configuration(
                "working directory \(spec.workdir.debugDescription) must be an absolute path without '.', '..' or '//'."
            )
        }
        if spec.umask > 0o777 {
            throw .configuration("umask \(String(spec.umask, radix: 8)) is not a permission mask.")
        }
        if let t = spec.timeoutSeconds, t < 0 {
            throw .configuration("the timeout must be 0 (none) or a positive number of seconds.")
        }
    }

    /// Checks the toolchain and bind mounts: normalized paths, no reserved, nested or shared destinations.
    private static func validateMounts(toolchains: [ToolchainMount], binds: [BindMount]) throws(ReproError) {
        var destinations: [String] = []
        for t in toolchains {
            guard isNormalAbsolute(t.hostTree), isNormalAbsolute(t.mountPath) else {
                throw .configuration(
                    "toolchain tree \(t.hostTree.debugDescription) at \(t.mountPath.debugDescription): both paths must be absolute and normalized."
                )
            }
            if t.hostTree.contains(where: { ":,\\".contains($0) }) {
                throw .configuration(
                    "toolchain tree path \(t.hostTree) contains ':', ',' or '\\', which overlayfs cannot take; move or link the tree elsewhere."
                )
            }
            if t.mountPath != "/" { destinations.append(t.mountPath) }
        }
        for b in binds {
            guard isNormalAbsolute(b.host), isNormalAbsolute(b.dest), b.dest != "/" else {
                throw .configuration(
                    "bind \(b.host):\(b.dest): both paths must be absolute and normalized, and the destination cannot be /."
                )
            }
            destinations.append(b.dest)
        }
        for d in destinations {
            if let r = SandboxLayout.reserved.first(where: { isWithin(d, $0) || isWithin($0, d) }) {
                throw .configuration(
                    "cannot mount on \(d): \(r) belongs to the sandbox (/proc, /dev, /tmp, /etc, \(SandboxLayout.workDirectory) and \(SandboxLayout.homeDirectory) are made fresh); choose another destination, such as /opt/NAME or /mnt/NAME."
                )
            }
        }
        let distinct = Array(Set(destinations))
        for a in distinct {
            if let b = distinct.first(where: { $0 != a && isWithin($0, a) }) {
                throw .configuration("cannot mount on \(b) inside another mount at \(a); use separate destinations.")
            }
        }
        if Set(binds.map(\.dest)).count != binds.count
            || binds.contains(where: { b in toolchains.contains { $0.mountPath == b.dest } })
        {
            throw .configuration(
                "two mounts share one destination; only toolchain trees can share a mount path (they are merged).")
        }
    }

    /// Checks that work files are created in order inside the writable directories, and their times set last.
    private static func validateWorkOps(_ ops: [WorkOp]) throws(ReproError) {
        let writable = [SandboxLayout.workDirectory, SandboxLayout.homeDirectory, SandboxLayout.tmpDirectory]
        var existing = Set(writable)
        // Directories whose times are set: nothing may be created in them afterwards.
        var timed = Set<String>()
        for op in ops {
            let dest = op.dest
            if case .setTimes = op {
                try validateSetTimes(dest, writable: writable, existing: existing)
                timed.insert(dest)
                continue
            }
            try validatePlacement(dest, writable: writable, existing: existing, timed: timed)
            try validateContent(op)
            existing.insert(dest)
        }
    }

    /// Checks that a directory whose times are set is inside a writable directory and already created.
    private static func validateSetTimes(_ dest: String, writable: [String], existing: Set<String>) throws(ReproError) {
        // The writable directories themselves may have their times set too.
        guard isNormalAbsolute(dest), writable.contains(where: { isWithin(dest, $0) }) else {
            throw .configuration(
                "work file \(dest.debugDescription) must be an absolute path inside \(writable.joined(separator: ", "))."
            )
        }
        guard existing.contains(dest) else {
            throw .configuration("the times of \(dest) are set before it is created; set times last.")
        }
    }

    /// Checks where a new work file goes: inside a writable directory, after its directory and before its times.
    private static func validatePlacement(
        _ dest: String, writable: [String], existing: Set<String>, timed: Set<String>
    ) throws(ReproError) {
        guard isNormalAbsolute(dest), let top = writable.first(where: { isWithin(dest, $0) }), dest != top else {
            throw .configuration(
                "work file \(dest.debugDescription) must be an absolute path inside \(writable.joined(separator: ", "))."
            )
        }
        guard !timed.contains(parent(of: dest)) else {
            throw .configuration(
                "work file \(dest) is created after the times of its directory \(parent(of: dest)) were set, which would change them; set a directory's times after everything inside it is written."
            )
        }
        guard existing.contains(parent(of: dest)) else {
            throw .configuration(
                "work file \(dest) comes before its directory \(parent(of: dest)); create directories first (sort the entries)."
            )
        }
        guard !existing.contains(dest) else { throw .configuration("work file \(dest) is listed twice.") }
    }

    /// Checks a new work file's own fields: its mode, host source, copied range or symlink target.
    private static func validateContent(_ op: WorkOp) throws(ReproError) {
        let dest = op.dest
        switch op {
        case .mkdir(_, let mode):
            guard mode <= 0o1777 else {
                throw .configuration(
                    "work directory \(dest) has mode \(String(mode, radix: 8)); setuid/setgid bits are not allowed."
                )
            }
        case .copyFile(let h, _, let mode), .copyRange(let h, _, _, _, let mode):
            guard isNormalAbsolute(h) else {
                throw .configuration(
                    "work file source \(h.debugDescription) must be an absolute, normalized host path.")
            }
            guard mode <= 0o1777 else {
                throw .configuration(
                    "work file \(dest) has mode \(String(mode, radix: 8)); setuid/setgid bits are not allowed.")
            }
            if case .copyRange(_, let offset, let length, _, _) = op,
                length > UInt64(Int64.max) || offset > UInt64(Int64.max) - length
            {
                throw .configuration(
                    "work file \(dest) copies \(length) bytes at \(offset), past the largest file offset.")
            }
        case .symlink(let target, _):
            guard !target.isEmpty, !target.contains("\0") else {
                throw .configuration("symlink \(dest) has an empty target.")
            }
        case .setTimes:
            break  // checked by validateSetTimes
        }
    }
}
