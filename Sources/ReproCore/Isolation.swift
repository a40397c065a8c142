/// The isolation a sandbox run achieved, recorded in the check's signed manifest.
/// Field names (the JSON keys) are stable across releases.
public struct IsolationReport: Codable, Sendable, Equatable {
    /// The namespaces created fresh for the run, sorted.
    public var namespaces: [String]
    /// The user namespace's uid map.
    public var uidMap: [IDMapEntry]
    /// The user namespace's gid map.
    public var gidMap: [IDMapEntry]
    /// Whether setgroups(2) was denied in the user namespace (unprivileged start).
    public var setgroupsDenied: Bool
    /// The uid the command ran as, inside.
    public var uid: UInt32
    /// The gid the command ran as, inside.
    public var gid: UInt32
    /// The user name the command ran as.
    public var user: String
    /// The fixed hostname.
    public var hostname: String
    /// The network: always "loopback-only" (a fresh namespace with only `lo`, up, 127.0.0.1).
    public var network: String
    /// The seccomp profile's name.
    public var seccompProfile: String
    /// The SHA-256 (hex) of the installed BPF program.
    public var seccompBPFSHA256: String
    /// Whether `PR_SET_NO_NEW_PRIVS` was set.
    public var noNewPrivs: Bool
    /// Whether every capability set (effective, permitted, inheritable, bounding, ambient) was emptied.
    public var capabilitiesDropped: Bool
    /// The resource limits, by name.
    public var rlimits: [String: UInt64]
    /// The wall-clock timeout in seconds (0: none).
    public var timeoutSeconds: Int
    /// The root file system: "tmpfs" or "overlay" (of toolchains and a skeleton), read-only.
    public var rootFilesystem: String

    enum CodingKeys: String, CodingKey {
        case namespaces
        case uidMap = "uid_map"
        case gidMap = "gid_map"
        case setgroupsDenied = "setgroups_denied"
        case uid, gid, user, hostname, network
        case seccompProfile = "seccomp_profile"
        case seccompBPFSHA256 = "seccomp_bpf_sha256"
        case noNewPrivs = "no_new_privs"
        case capabilitiesDropped = "capabilities_dropped"
        case rlimits
        case timeoutSeconds = "timeout_seconds"
        case rootFilesystem = "root_filesystem"
    }

    /// The namespaces every sandbox must be in fresh; a run whose init is found in fewer is
    /// refused (exit 4).
    public static let namespacesRequired = ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"]

    /// The report for a plan whose seccomp program has the given SHA-256, run in `namespaces`:
    /// the fresh namespaces observed in the running sandbox (not the ones asked for).
    public init(plan: SandboxPlan, namespaces: [String], seccompBPFSHA256: String) {
        self.namespaces = namespaces.sorted()
        uidMap = plan.uidMap
        gidMap = plan.gidMap
        setgroupsDenied = !plan.maySetgroups
        uid = plan.uid
        gid = plan.gid
        user = SandboxLayout.builderName
        hostname = plan.hostname
        network = "loopback-only"
        seccompProfile = plan.profile.name
        self.seccompBPFSHA256 = seccompBPFSHA256
        noNewPrivs = true
        capabilitiesDropped = true
        rlimits = Dictionary(uniqueKeysWithValues: plan.rlimits.map { ($0.key.rawValue, $0.value) })
        timeoutSeconds = plan.timeoutSeconds
        rootFilesystem =
            plan.ops.contains {
                if case .overlay(_, SandboxLayout.setupNewRoot) = $0 { return true } else { return false }
            } ? "overlay" : "tmpfs"
    }
}
