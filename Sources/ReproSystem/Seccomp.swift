import Crypto
import FoundationEssentials
import Glibc
import ReproCore
internal import CSeccomp

/// A seccomp BPF program compiled from a profile's policy in the parent, installed by the child
/// as its last step before execve.
public struct SeccompProgram: Sendable, Equatable {
    /// The profile the program was compiled from.
    public var profileName: String
    /// The raw `struct sock_filter` array.
    public var bytes: [UInt8]

    /// The number of BPF instructions.
    public var instructionCount: Int { bytes.count / 8 }

    /// SHA-256 of the program bytes, lowercase hex (recorded in the isolation report).
    public var sha256: String { Hex.encode(SHA256.hash(data: bytes)) }

    // libseccomp's action values (seccomp.h macros Swift cannot import).
    static let actAllow: UInt32 = 0x7fff_0000
    static let actLog: UInt32 = 0x7ffc_0000
    static let actKillProcess: UInt32 = 0x8000_0000
    static func actErrno(_ e: Int32) -> UInt32 { 0x0005_0000 | (UInt32(e) & 0xffff) }

    /// The CLONE_NEW* flags: a clone or unshare with any of them is denied.
    static let namespaceFlags: [UInt64] = [
        0x0000_0080, 0x0002_0000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000,
    ]
    /// TIOCSTI and TIOCLINUX.
    static let terminalIoctls: [UInt64] = [0x5412, 0x541C]
    /// The calls that take a file mode, and the index of that argument. open and openat are
    /// filtered whatever their flags: without O_CREAT or O_TMPFILE glibc passes mode 0.
    static let setidModeArguments: [(String, UInt32)] = [
        ("chmod", 1), ("fchmod", 1), ("fchmodat", 2), ("fchmodat2", 2),
        ("open", 2), ("openat", 3), ("creat", 1), ("mknod", 1), ("mknodat", 2),
    ]
    /// The calls that take a mode seccomp cannot read; denied (ENOSYS) with `deny_setid_modes`.
    static let unreadableModeCalls = ["openat2", "io_uring_setup", "io_uring_enter", "io_uring_register"]

    /// Serializes the export's change of the process's file size limit.
    private static let exportLock = Lock()

    /// Compiles the policy with libseccomp for the native ABI; other ABIs get the policy's
    /// `foreign_abi` action. Throws a configuration error for an unknown system call name.
    public static func compile(_ policy: Profile.SeccompPolicy, profileName: String) throws(ReproError)
        -> SeccompProgram
    {
        guard let ctx = seccomp_init(actAllow) else {
            throw .sandbox("libseccomp could not create a filter; check that libseccomp2 is installed.")
        }
        defer { seccomp_release(ctx) }
        let filter = FilterBuilder(ctx: ctx, profileName: profileName)
        let badArch = policy.foreignABI == "kill" ? actKillProcess : actErrno(ENOSYS)
        try check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badArch), "setting the foreign-ABI action")
        try addDenyRules(policy, to: filter)
        try addSocketAndPersonalityRules(policy, to: filter)
        let memfd = try FileDescriptor(memfd: "repro-seccomp")
        try exportProgram(ctx, to: memfd)
        let bytes = try readProgram(memfd)
        return SeccompProgram(profileName: profileName, bytes: bytes)
    }

    /// Throws a sandbox error for a negative libseccomp result, naming what failed.
    private static func check(_ r: Int32, _ what: String) throws(ReproError) {
        if r < 0 {
            throw .sandbox(
                "libseccomp failed \(what): \(Errno(-r)). Reinstall libseccomp2 or report this as a bug.", errno: -r
            )
        }
    }

    /// A filter being built, and the profile its rules come from (named in errors).
    private struct FilterBuilder {
        let ctx: scmp_filter_ctx
        let profileName: String

        /// The number of a system call by name; throws a configuration error for an unknown one.
        func resolve(_ name: String) throws(ReproError) -> Int32 {
            let nr = seccomp_syscall_resolve_name(name)
            if nr == __NR_SCMP_ERROR {
                // Newer calls libseccomp may not know yet, by their x86_64 numbers.
                if let known = ["fchmodat2": Int32(452)][name] { return known }
                throw .configuration(
                    "profile \(profileName): unknown system call \(name.debugDescription); fix the name in the profile's [seccomp] lists."
                )
            }
            return nr
        }

        /// Adds a rule: `action` for the call `name` when all of `cmps` match.
        func add(_ action: UInt32, _ name: String, _ cmps: [scmp_arg_cmp] = []) throws(ReproError) {
            let nr = try resolve(name)
            let r = cmps.withUnsafeBufferPointer {
                seccomp_rule_add_array(ctx, action, nr, UInt32($0.count), $0.baseAddress)
            }
            try check(r, "adding a rule for \(name)")
        }
    }

    /// A comparison that matches when argument `arg` masked with `mask` equals `value`.
    private static func masked(_ arg: UInt32, _ mask: UInt64, _ value: UInt64) -> scmp_arg_cmp {
        scmp_arg_cmp(arg: arg, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: value)
    }

    /// Adds the policy's denied calls, namespace flags, terminal ioctls and setid modes.
    private static func addDenyRules(_ policy: Profile.SeccompPolicy, to filter: FilterBuilder) throws(ReproError) {
        for name in policy.denyEPERM { try filter.add(actErrno(EPERM), name) }
        for name in policy.denyENOSYS { try filter.add(actErrno(ENOSYS), name) }
        if policy.denyNamespaceFlags {
            for flag in namespaceFlags {
                try filter.add(actErrno(EPERM), "clone", [masked(0, flag, flag)])
                try filter.add(actErrno(EPERM), "unshare", [masked(0, flag, flag)])
            }
        }
        if policy.denyTerminalInjection {
            for request in terminalIoctls {
                try filter.add(actErrno(EPERM), "ioctl", [masked(1, 0xffff_ffff, request)])
            }
        }
        if policy.denySetidModes {
            for bit: UInt64 in [0o4000, 0o2000] {
                for (name, arg) in setidModeArguments { try filter.add(actErrno(EPERM), name, [masked(arg, bit, bit)]) }
            }
            // These take a mode where seccomp cannot read it (openat2's struct open_how, an
            // io_uring submission queue entry): ENOSYS, so that libc falls back to openat.
            let listed = Set(policy.denyEPERM + policy.denyENOSYS)
            for name in unreadableModeCalls where !listed.contains(name) { try filter.add(actErrno(ENOSYS), name) }
        }
    }

    /// Adds the socket family allow list and the personality restriction.
    private static func addSocketAndPersonalityRules(_ policy: Profile.SeccompPolicy, to filter: FilterBuilder)
        throws(ReproError)
    {
        // An allow list of socket families: every other number below the known limit, and
        // everything from the limit up (which also catches a family with high bits set, which
        // the kernel would truncate to an int), is answered EAFNOSUPPORT.
        for name in ["socket", "socketpair"] {
            for family in SocketFamily.denied(allowing: policy.allowedSocketFamilies) {
                try filter.add(
                    actErrno(EAFNOSUPPORT), name,
                    [scmp_arg_cmp(arg: 0, op: SCMP_CMP_EQ, datum_a: UInt64(family), datum_b: 0)])
            }
            try filter.add(
                actErrno(EAFNOSUPPORT), name,
                [scmp_arg_cmp(arg: 0, op: SCMP_CMP_GE, datum_a: UInt64(SocketFamily.limit), datum_b: 0)])
        }
        if policy.linuxPersonalityOnly {
            // PER_LINUX (0) and the query 0xffffffff pass; libseccomp cannot express "allow" on an
            // allow-by-default filter, so the query gets LOG (allowed, and audited).
            try filter.add(
                actErrno(EPERM), "personality", [scmp_arg_cmp(arg: 0, op: SCMP_CMP_NE, datum_a: 0, datum_b: 0)])
            try filter.add(
                actLog, "personality", [scmp_arg_cmp(arg: 0, op: SCMP_CMP_EQ, datum_a: 0xffff_ffff, datum_b: 0)])
        }
    }

    /// Writes the compiled program to `memfd`, with the file size limit lifted while it is written.
    private static func exportProgram(_ ctx: scmp_filter_ctx, to memfd: borrowing FileDescriptor) throws(ReproError) {
        // The program is written to a file, so a file size limit repro was started with
        // (RLIMIT_FSIZE) could cut it short, and libseccomp does not notice: lift the soft limit
        // to the hard one while it is written, and refuse a program that fills what is left.
        // The limit is the process's: parallel runs export one at a time, so that one restoring
        // it never cuts another's export short.
        var inherited = rlimit()
        exportLock.lock()
        getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &inherited)
        var lifted = inherited
        lifted.rlim_cur = inherited.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &lifted)
        let exported = seccomp_export_bpf(ctx, memfd.raw)
        setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &inherited)
        exportLock.unlock()
        try check(exported, "exporting the BPF program")
        if inherited.rlim_max != rlim_t.max, case .success(let size) = Syscalls.lseek(memfd.raw, 0, SEEK_END),
            UInt64(size) >= UInt64(inherited.rlim_max)
        {
            throw .sandbox(
                "the seccomp program did not fit the file size limit repro was started with (RLIMIT_FSIZE, \(inherited.rlim_max) bytes); raise it (ulimit -f) and run again."
            )
        }
    }

    /// Reads the exported program back from `memfd`, closes it, and checks the program's size.
    private static func readProgram(_ memfd: consuming FileDescriptor) throws(ReproError) -> [UInt8] {
        if case .failure(let e) = Syscalls.lseek(memfd.raw, 0, SEEK_SET) {
            throw .sandbox("lseek on the seccomp program failed: \(e).", errno: e.code)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let r = chunk.withUnsafeMutableBytes { Syscalls.read(memfd.raw, $0) }
            switch r {
            case .success(0):
                memfd.close()
                guard bytes.count % 8 == 0, bytes.count / 8 < 65536, !bytes.isEmpty else {
                    throw .sandbox(
                        "libseccomp produced a malformed program (\(bytes.count) bytes); report this as a bug.")
                }
                return bytes
            case .success(let n): bytes += chunk[0..<n]
            case .failure(let e): throw .sandbox("reading the seccomp program failed: \(e).", errno: e.code)
            }
        }
    }
}
