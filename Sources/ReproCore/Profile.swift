import FoundationEssentials
import Glibc

/// A sandbox profile (`profiles/NAME.toml`): hostname, environment, limits and the seccomp policy.
public struct Profile: Codable, Sendable, Equatable {
    /// The profile's name, recorded in the isolation report.
    public var name: String
    /// One line saying what the profile is for.
    public var description: String
    /// The fixed hostname (and NIS domain name) inside the sandbox.
    public var hostname: String
    /// The environment of the command, before toolchain and explicit additions.
    public var environment: [String: String]
    /// Resource and time limits.
    public var limits: Limits
    /// The system-call filter.
    public var seccomp: SeccompPolicy

    /// Creates a profile from its parts.
    public init(
        name: String, description: String, hostname: String, environment: [String: String], limits: Limits,
        seccomp: SeccompPolicy
    ) {
        self.name = name
        self.description = description
        self.hostname = hostname
        self.environment = environment
        self.limits = limits
        self.seccomp = seccomp
    }

    /// The resource and time limits of a profile (`[limits]`).
    public struct Limits: Codable, Sendable, Equatable {
        /// Wall-clock seconds before the whole sandbox is killed; 0 means no limit.
        public var timeoutSeconds: Int
        /// The longest timeout accepted anywhere (profile, `build.timeout`, `--timeout`, a
        /// recorded configuration): seven days. Larger values are mistakes, and near `Int.max`
        /// they would overflow the deadline.
        public static let maxTimeoutSeconds = 7 * 24 * 3600
        /// RLIMIT_NPROC: processes of the build user.
        public var processes: Int
        /// RLIMIT_NOFILE: open files per process.
        public var openFiles: Int
        /// RLIMIT_FSIZE: the largest file a process may write, in bytes.
        public var fileSizeBytes: Int
        /// RLIMIT_CORE: core dump size (0: none).
        public var coreBytes: Int
        /// The size of each writable tmpfs (`/tmp`, the work dir, `HOME`), in bytes.
        public var tmpfsBytes: Int

        /// Creates limits.
        public init(
            timeoutSeconds: Int, processes: Int, openFiles: Int, fileSizeBytes: Int, coreBytes: Int, tmpfsBytes: Int
        ) {
            self.timeoutSeconds = timeoutSeconds
            self.processes = processes
            self.openFiles = openFiles
            self.fileSizeBytes = fileSizeBytes
            self.coreBytes = coreBytes
            self.tmpfsBytes = tmpfsBytes
        }

        enum CodingKeys: String, CodingKey {
            case timeoutSeconds = "timeout_seconds"
            case processes
            case openFiles = "open_files"
            case fileSizeBytes = "file_size_bytes"
            case coreBytes = "core_bytes"
            case tmpfsBytes = "tmpfs_bytes"
        }
    }

    /// The seccomp policy of a profile (`[seccomp]`): a deny list on top of "allow".
    public struct SeccompPolicy: Codable, Sendable, Equatable {
        /// System calls answered with EPERM.
        public var denyEPERM: [String]
        /// System calls answered with ENOSYS (so libc falls back, e.g. `clone3`).
        public var denyENOSYS: [String]
        /// Deny `clone`/`unshare` with any CLONE_NEW* flag (EPERM).
        public var denyNamespaceFlags: Bool
        /// Deny the TIOCSTI and TIOCLINUX ioctls, the request compared as 32 bits (EPERM).
        public var denyTerminalInjection: Bool
        /// Deny calls that set S_ISUID or S_ISGID through a mode argument (EPERM): the chmod
        /// family, and open, openat, creat, mknod and mknodat; openat2 and io_uring, which pass
        /// modes where seccomp cannot read them, are answered ENOSYS.
        public var denySetidModes: Bool
        /// Deny `personality` with any persona but PER_LINUX (queries allowed).
        public var linuxPersonalityOnly: Bool
        /// What happens to system calls of other ABIs (i386, x32): "deny" (ENOSYS) or "kill".
        public var foreignABI: String
        /// The socket address families `socket` and `socketpair` may create (names from
        /// ``SocketFamily/numbers``); every other family, including ones newer than this list
        /// knows, is answered EAFNOSUPPORT. Optional in the TOML: a profile without the key gets
        /// ``defaultSocketFamilies``.
        public var allowedSocketFamilies: [String]

        /// The families a profile allows when it does not say: local sockets, IPv4, IPv6 and
        /// netlink (which glibc's getaddrinfo and `ip` use).
        public static let defaultSocketFamilies = ["unix", "inet", "inet6", "netlink"]

        /// Creates a policy.
        public init(
            denyEPERM: [String], denyENOSYS: [String], denyNamespaceFlags: Bool, denyTerminalInjection: Bool,
            denySetidModes: Bool, linuxPersonalityOnly: Bool, foreignABI: String,
            allowedSocketFamilies: [String] = defaultSocketFamilies
        ) {
            self.denyEPERM = denyEPERM
            self.denyENOSYS = denyENOSYS
            self.denyNamespaceFlags = denyNamespaceFlags
            self.denyTerminalInjection = denyTerminalInjection
            self.denySetidModes = denySetidModes
            self.linuxPersonalityOnly = linuxPersonalityOnly
            self.foreignABI = foreignABI
            self.allowedSocketFamilies = allowedSocketFamilies
        }

        /// Decodes the `[seccomp]` table; `allowed_socket_families` may be absent.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            denyEPERM = try c.decode([String].self, forKey: .denyEPERM)
            denyENOSYS = try c.decode([String].self, forKey: .denyENOSYS)
            denyNamespaceFlags = try c.decode(Bool.self, forKey: .denyNamespaceFlags)
            denyTerminalInjection = try c.decode(Bool.self, forKey: .denyTerminalInjection)
            denySetidModes = try c.decode(Bool.self, forKey: .denySetidModes)
            linuxPersonalityOnly = try c.decode(Bool.self, forKey: .linuxPersonalityOnly)
            foreignABI = try c.decode(String.self, forKey: .foreignABI)
            allowedSocketFamilies =
                try c.decodeIfPresent([String].self, forKey: .allowedSocketFamilies) ?? Self.defaultSocketFamilies
        }

        enum CodingKeys: String, CodingKey {
            case denyEPERM = "deny_eperm"
            case denyENOSYS = "deny_enosys"
            case denyNamespaceFlags = "deny_namespace_flags"
            case denyTerminalInjection = "deny_terminal_injection"
            case denySetidModes = "deny_setid_modes"
            case linuxPersonalityOnly = "linux_personality_only"
            case foreignABI = "foreign_abi"
            case allowedSocketFamilies = "allowed_socket_families"
        }
    }

    /// Parses and validates a profile from TOML text; `origin` names the file in error messages.
    public static func parse(_ text: String, origin: String) throws(ReproError) -> Profile {
        let profile = try TOMLFile.decode(
            Profile.self, from: text, path: origin,
            guide: "See profiles/default.toml for the expected keys.")
        try profile.validate(origin: origin)
        return profile
    }

    /// Checks values the TOML types cannot express.
    public func validate(origin: String) throws(ReproError) {
        func bad(_ what: String) -> ReproError { .configuration("\(origin): \(what).") }
        if name.isEmpty || name.contains("/") { throw bad("`name` must be a non-empty name without '/'") }
        if hostname.isEmpty || hostname.utf8.count > 64
            || !hostname.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
        {
            throw bad("`hostname` must be 1 to 64 characters of letters, digits, '-' and '.'")
        }
        for (key, value) in environment {
            if key.isEmpty || key.contains("=") || key.contains("\0") || value.contains("\0") {
                throw bad("environment variable \(key.debugDescription) is not a valid NAME without '=' or NUL")
            }
        }
        let l = limits
        if l.timeoutSeconds < 0 || l.timeoutSeconds > Limits.maxTimeoutSeconds {
            throw bad(
                "`limits.timeout_seconds` must be 0 (none) or a positive number of seconds up to \(Limits.maxTimeoutSeconds) (seven days)"
            )
        }
        if l.processes < 1 { throw bad("`limits.processes` must be at least 1") }
        if l.openFiles < 16 { throw bad("`limits.open_files` must be at least 16") }
        if l.fileSizeBytes < 1 { throw bad("`limits.file_size_bytes` must be positive") }
        if l.coreBytes < 0 { throw bad("`limits.core_bytes` must be 0 or positive") }
        if l.tmpfsBytes < 1 << 20 { throw bad("`limits.tmpfs_bytes` must be at least 1 MiB") }
        if !["deny", "kill"].contains(seccomp.foreignABI) {
            throw bad("`seccomp.foreign_abi` must be \"deny\" or \"kill\", not \(seccomp.foreignABI.debugDescription)")
        }
        for name in seccomp.denyEPERM + seccomp.denyENOSYS
        where name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) {
            throw bad("system call name \(name.debugDescription) is not a lowercase syscall name")
        }
        let both = Set(seccomp.denyEPERM).intersection(seccomp.denyENOSYS)
        if let name = both.sorted().first {
            throw bad("system call \(name) is listed in both deny_eperm and deny_enosys")
        }
        for family in seccomp.allowedSocketFamilies where SocketFamily.numbers[family] == nil {
            throw bad(
                "`seccomp.allowed_socket_families` names \(family.debugDescription), which is not a socket family; use names such as \(Profile.SeccompPolicy.defaultSocketFamilies.map { "\"\($0)\"" }.joined(separator: ", ")) (the AF_ constant in lowercase, without AF_)"
            )
        }
        if Set(seccomp.allowedSocketFamilies).count != seccomp.allowedSocketFamilies.count {
            throw bad("`seccomp.allowed_socket_families` lists a family twice")
        }
    }

    /// The names of the profiles shipped with repro.
    public static let builtinNames = ["default", "strict"]

    /// The TOML text of a shipped profile (the same bytes as `profiles/NAME.toml`).
    public static func builtinText(_ name: String) -> String? {
        switch name {
        case "default": return BuiltinProfiles.defaultTOML
        case "strict": return BuiltinProfiles.strictTOML
        default: return nil
        }
    }

    /// A shipped profile: the value its TOML text parses to, kept as a Swift value so that a
    /// sandbox start does not decode TOML (a test checks it equals `parse(builtinText(name))`).
    public static func builtin(_ name: String) throws(ReproError) -> Profile {
        switch name {
        case "default": return BuiltinProfiles.defaultProfile
        case "strict": return BuiltinProfiles.strictProfile
        default:
            throw .configuration(
                "no built-in profile named \(name.debugDescription); use one of \(builtinNames.joined(separator: ", ")) or a path to a .toml file."
            )
        }
    }
}

/// The shipped profiles' text, kept byte-identical to `profiles/*.toml` (a test compares them),
/// and the values they parse to (a test compares those too).
enum BuiltinProfiles {
    static let environment = [
        "PATH": SandboxLayout.searchPath, "HOME": SandboxLayout.homeDirectory, "TMPDIR": SandboxLayout.tmpDirectory,
        "USER": SandboxLayout.builderName, "LOGNAME": SandboxLayout.builderName, "SHELL": SandboxLayout.shell,
        "LANG": SandboxLayout.locale, "LC_ALL": SandboxLayout.locale, "TZ": SandboxLayout.timeZone,
    ]

    /// The calls both profiles answer with EPERM, in the groups of lines the profiles' text shows.
    static let defaultDenyEPERMLines = [
        ["mount", "umount2", "pivot_root", "chroot", "setns"],
        ["open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"],
        ["ptrace", "process_vm_readv", "process_vm_writev"],
        ["keyctl", "add_key", "request_key"],
        ["bpf", "perf_event_open", "userfaultfd"],
        ["kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module"],
        ["reboot", "swapon", "swapoff"],
        ["clock_settime", "clock_adjtime", "settimeofday", "adjtimex"],
        ["acct", "quotactl", "lookup_dcookie", "name_to_handle_at", "open_by_handle_at"],
    ]
    static let defaultDenyEPERM = defaultDenyEPERMLines.flatMap { $0 }

    /// The calls the strict profile adds.
    static let strictMoreDenyEPERMLines = [
        ["kcmp", "mbind", "migrate_pages", "move_pages", "set_mempolicy", "vhangup", "uselib"],
        ["syslog", "iopl", "ioperm", "pidfd_getfd", "fanotify_init"],
    ]

    /// ENOSYS makes libc fall back: clone3 to clone, openat2 to openat (whose mode seccomp can
    /// read); io_uring users fall back to ordinary system calls.
    static let defaultDenyENOSYS = ["clone3", "openat2", "io_uring_setup", "io_uring_enter", "io_uring_register"]

    /// `profiles/default.toml`, parsed.
    static let defaultProfile = Profile(
        name: "default",
        description: "Namespaces, loopback-only network, no capabilities, a deny-list seccomp filter",
        hostname: SandboxLayout.hostname,
        environment: environment,
        limits: Profile.Limits(
            timeoutSeconds: 3600, processes: 4096, openFiles: 4096, fileSizeBytes: 8_589_934_592,
            coreBytes: 0, tmpfsBytes: 4_294_967_296),
        seccomp: Profile.SeccompPolicy(
            denyEPERM: defaultDenyEPERM, denyENOSYS: defaultDenyENOSYS, denyNamespaceFlags: true,
            denyTerminalInjection: true, denySetidModes: true, linuxPersonalityOnly: true,
            foreignABI: "deny", allowedSocketFamilies: ["unix", "inet", "inet6", "netlink"]))

    /// `profiles/strict.toml`, parsed.
    static let strictProfile = Profile(
        name: "strict",
        description: "The default profile with tighter limits, more denied system calls, foreign ABIs killed",
        hostname: SandboxLayout.hostname,
        environment: environment,
        limits: Profile.Limits(
            timeoutSeconds: 1800, processes: 1024, openFiles: 1024, fileSizeBytes: 2_147_483_648,
            coreBytes: 0, tmpfsBytes: 2_147_483_648),
        seccomp: Profile.SeccompPolicy(
            denyEPERM: defaultDenyEPERM + strictMoreDenyEPERMLines.flatMap { $0 },
            denyENOSYS: defaultDenyENOSYS,
            denyNamespaceFlags: true, denyTerminalInjection: true, denySetidModes: true,
            linuxPersonalityOnly: true, foreignABI: "kill",
            allowedSocketFamilies: ["unix", "inet", "inet6", "netlink"]))

    /// `profiles/default.toml`.
    static let defaultTOML = text(
        heading: """
            # The default sandbox profile: isolation for ordinary builds (sh, make -j, gcc, python threads).
            """,
        profile: defaultProfile, denyEPERMLines: defaultDenyEPERMLines)

    /// `profiles/strict.toml`.
    static let strictTOML = text(
        heading: """
            # The strict sandbox profile: the default's isolation, tighter limits, more system calls denied,
            # and processes using another ABI (i386 int 0x80, x32) are killed rather than answered.
            """,
        profile: strictProfile, denyEPERMLines: defaultDenyEPERMLines + strictMoreDenyEPERMLines)

    /// The text of a built-in profile: its `heading` comment, then the tables both profiles share,
    /// filled from `profile` (its name, description, host name, limits and foreign-ABI action) and
    /// from ``SandboxLayout`` (the environment); `denyEPERMLines` are the EPERM calls, a line of
    /// the text per group.
    private static func text(heading: String, profile: Profile, denyEPERMLines: [[String]]) -> String {
        typealias L = SandboxLayout
        let limits = profile.limits
        func quoted(_ names: [String]) -> String { names.map { "\"\($0)\"" }.joined(separator: ", ") }
        let denyEPERM = denyEPERMLines.map { "    \(quoted($0)),\n" }.joined()
        return """
            \(heading)
            name = "\(profile.name)"
            description = "\(profile.description)"
            hostname = "\(profile.hostname)"

            [environment]
            PATH = "\(L.searchPath)"
            HOME = "\(L.homeDirectory)"
            TMPDIR = "\(L.tmpDirectory)"
            USER = "\(L.builderName)"
            LOGNAME = "\(L.builderName)"
            SHELL = "\(L.shell)"
            LANG = "\(L.locale)"
            LC_ALL = "\(L.locale)"
            TZ = "\(L.timeZone)"

            [limits]
            timeout_seconds = \(limits.timeoutSeconds)
            processes = \(limits.processes)
            open_files = \(limits.openFiles)
            file_size_bytes = \(limits.fileSizeBytes)
            core_bytes = \(limits.coreBytes)
            tmpfs_bytes = \(limits.tmpfsBytes)

            [seccomp]
            deny_eperm = [
            \(denyEPERM)]
            # ENOSYS makes libc fall back: clone3 to clone, openat2 to openat (whose mode the filter reads).
            # io_uring would run opens and sockets where the filter cannot see them.
            deny_enosys = [\(quoted(profile.seccomp.denyENOSYS))]
            deny_namespace_flags = true
            deny_terminal_injection = true
            deny_setid_modes = true
            linux_personality_only = true
            foreign_abi = "\(profile.seccomp.foreignABI)"
            # socket() and socketpair() of any other family: EAFNOSUPPORT (no vsock, packet, alg, bluetooth...).
            allowed_socket_families = [\(quoted(profile.seccomp.allowedSocketFamilies))]

            """
    }
}
