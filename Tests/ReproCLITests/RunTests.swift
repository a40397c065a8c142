import Foundation
import Testing

/// Black-box tests of `repro run`: the probe and busybox, run inside the sandbox, report what they see.
@Suite(.serialized)
struct RunTests {
    static let isRoot = geteuid() == 0

    /// Both ways repro is started: as root, and as the unprivileged host user `nobody`.
    enum Mode: String, CaseIterable, CustomTestStringConvertible {
        case root, unprivileged
        var testDescription: String { rawValue }
    }

    func run(_ mode: Mode, _ args: [String]) throws -> CLI.Result {
        let full = ["run", "--tree", SandboxFixture.tree] + args
        switch mode {
        case .root: return try CLI.run(full, directory: "/tmp")
        case .unprivileged: return try SandboxFixture.runUnprivileged(full)
        }
    }

    func probe(_ mode: Mode, _ args: [String], extra: [String] = []) throws -> [String: Int32] {
        let r = try run(mode, extra + ["--", "probe"] + args)
        #expect(r.status == 0, "probe failed: \(r.stderr)")
        var values: [String: Int32] = [:]
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = Int32(f[1]) { values[String(f[0])] = v }
            if line == "alive" { values["alive"] = 1 }
        }
        return values
    }

    @Test("identity, capabilities, no_new_privs, seccomp, hostname", .enabled(if: isRoot), arguments: Mode.allCases)
    func identity(mode: Mode) throws {
        let r = try run(
            mode, ["--", "sh", "-c", "id; hostname; grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("uid=1000(builder) gid=1000(builder)") == true, "\(lines)")
        #expect(lines.dropFirst().first == "repro")
        for cap in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            #expect(lines.contains("\(cap):\t0000000000000000"), "\(cap) not empty: \(lines)")
        }
        #expect(lines.contains("NoNewPrivs:\t1"))
        #expect(lines.contains("Seccomp:\t2"))
    }

    @Test(
        "the host is not visible: /etc/shadow, /root, /home, the host's home and the tree's host path are absent",
        .enabled(if: isRoot), arguments: Mode.allCases)
    func hostInvisible(mode: Mode) throws {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        for path in ["/etc/shadow", "/root", "/home", home, SandboxFixture.tree, "/work", "/var"] {
            #expect(try probe(mode, ["stat", path])["errno"] == ENOENT, "\(path) is visible")
        }
        // The synthesized files are there.
        let r = try run(mode, ["--", "cat", "/etc/passwd", "/etc/group", "/etc/hostname", "/etc/hosts"])
        #expect(r.stdout.contains("builder:x:1000:1000:builder:/build/home:/bin/sh"))
        #expect(r.stdout.contains("127.0.0.1\tlocalhost repro"))
    }

    @Test(
        "toolchain trees are read-only (EROFS), the work dir, HOME and /tmp are writable", .enabled(if: isRoot),
        arguments: Mode.allCases)
    func readOnlyTrees(mode: Mode) throws {
        let extra = ["--tree", SandboxFixture.tree + ":/opt/tc"]
        for path in [
            "/bin/busybox", "/bin/newfile", "/newfile", "/etc/passwd", "/opt/tc/bin/newfile", "/opt/tc/bin/busybox",
        ] {
            #expect(try probe(mode, ["write", path], extra: extra)["errno"] == EROFS, "\(path) writable")
        }
        for path in ["/build/src/f", "/build/home/f", "/tmp/f"] {
            #expect(try probe(mode, ["write", path])["errno"] == 0, "\(path) not writable")
        }
    }

    @Test(
        "the network has only loopback: a server on the host's 127.0.0.1 is unreachable", .enabled(if: isRoot),
        arguments: Mode.allCases)
    func network(mode: Mode) throws {
        let server = try TCPServer()
        defer { server.close() }
        // Control: the probe reaches it from the host.
        let host = try Shell.run([SandboxFixture.tree + "/bin/probe", "connect", "\(server.port)"])
        #expect(host.stdout == "errno 0\n")
        #expect(try probe(mode, ["connect", "\(server.port)"])["errno"] == ECONNREFUSED)
        let r = try run(mode, ["--", "cat", "/proc/net/dev"])
        let interfaces = r.stdout.split(separator: "\n").dropFirst(2).map {
            $0.split(separator: ":")[0].trimmingCharacters(in: .whitespaces)
        }
        #expect(interfaces == ["lo"])
    }

    static let expectedDenials: [String: Int32] = [
        "mount": EPERM, "umount2": EPERM, "pivot_root": EPERM, "chroot": EPERM, "setns": EPERM,
        "unshare_user": EPERM, "unshare_net": EPERM, "clone_newuser": EPERM, "clone_newns": EPERM,
        "clone3": ENOSYS, "ptrace": EPERM, "process_vm_readv": EPERM, "keyctl": EPERM, "add_key": EPERM,
        "request_key": EPERM, "bpf": EPERM, "perf_event_open": EPERM, "userfaultfd": EPERM,
        "kexec_load": EPERM, "init_module": EPERM, "finit_module": EPERM, "delete_module": EPERM,
        "reboot": EPERM, "swapon": EPERM, "swapoff": EPERM, "clock_settime": EPERM, "settimeofday": EPERM,
        "tiocsti": EPERM, "tiocsti_high_bits": EPERM, "tioclinux": EPERM, "chmod_setuid": EPERM,
        "fchmodat_setgid": EPERM, "personality_linux32": EPERM, "int80_unshare": ENOSYS, "x32_getpid": ENOSYS,
        // Socket families other than unix, inet, inet6 and netlink; io_uring.
        "socket_vsock": EAFNOSUPPORT, "socket_vsock_high_bits": EAFNOSUPPORT, "socket_packet": EAFNOSUPPORT,
        "socket_alg": EAFNOSUPPORT, "socket_bluetooth": EAFNOSUPPORT, "socket_family_99": EAFNOSUPPORT,
        "socketpair_vsock": EAFNOSUPPORT, "io_uring_setup": ENOSYS, "io_uring_enter": ENOSYS,
        "io_uring_register": ENOSYS,
        // Allowed: ordinary calls keep working.
        "fork": 0, "unshare_files": 0, "chmod_plain": ENOENT, "personality_query": 0,
        "socket_unix": 0, "socket_inet": 0, "socket_inet6": 0, "socket_netlink": 0, "socketpair_unix": 0,
    ]

    @Test(
        "each denied system call returns its errno and the process survives", .enabled(if: isRoot),
        arguments: Mode.allCases)
    func deniedSyscalls(mode: Mode) throws {
        let values = try probe(mode, ["syscalls"])
        #expect(values["alive"] == 1)
        for (name, errno) in Self.expectedDenials {
            #expect(values[name] == errno, "\(name): got \(values[name].map(String.init) ?? "nothing"), want \(errno)")
        }
    }

    @Test("strict profile: socket families, io_uring and the other default denials hold too", .enabled(if: isRoot))
    func strictDenials() throws {
        // (Without the foreign-ABI calls, which kill the process under this profile.)
        let names = Self.expectedDenials.keys.filter { !["int80_unshare", "x32_getpid"].contains($0) }.sorted()
        let values = try probe(.root, ["syscall"] + names, extra: ["--profile", "strict"])
        #expect(values["alive"] == 1)
        for name in names {
            let errno = Self.expectedDenials[name]!
            #expect(values[name] == errno, "\(name): got \(values[name].map(String.init) ?? "nothing"), want \(errno)")
        }
    }

    @Test(
        "set-id bits cannot be created through open, openat, creat, mknod or mknodat, also on a writable bind",
        .enabled(if: isRoot), arguments: Mode.allCases)
    func setidCreation(mode: Mode) throws {
        let dir = try TempDir(mode: 0o777)
        for path in ["/build/src", "/out"] {
            let values = try probe(mode, ["setid", path], extra: ["--bind", dir.path + ":/out"])
            #expect(values["alive"] == 1)
            for name in [
                "open_setuid", "openat_setuid", "openat_setgid", "openat_tmpfile_setuid", "creat_setuid",
                "creat_setgid",
                "mknod_setuid", "mknodat_setuid", "mknodat_setgid",
            ] {
                #expect(values[name] == EPERM, "\(path) \(name): \(values[name].map(String.init) ?? "nothing")")
            }
            // openat2 carries its mode where seccomp cannot read it: ENOSYS, and libc falls back to openat.
            #expect(values["openat2_setuid"] == ENOSYS)
            for name in [
                "open_plain", "openat_plain", "openat_tmpfile_plain", "creat_plain", "mknod_plain", "mknodat_plain",
                "mknod_fifo", "open_libc_rdonly",
            ] {
                #expect(values[name] == 0, "\(path) \(name): \(values[name].map(String.init) ?? "nothing")")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test(
        "/proc/1/cmdline shows repro-init, not repro's host command line; /proc/1/environ is unreadable",
        .enabled(if: isRoot), arguments: Mode.allCases)
    func initCommandLine(mode: Mode) throws {
        let r = try run(mode, ["--", "cat", "/proc/1/cmdline"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "repro-init\0", "\(r.stdout.debugDescription)")
        #expect(!r.stdout.contains(SandboxFixture.tree))
        let environ = try run(mode, ["--", "cat", "/proc/1/environ"])
        #expect(environ.status != 0 && environ.stdout.isEmpty, "\(environ.stdout.debugDescription)")
    }

    @Test("/proc/self/mountinfo names no host path of a toolchain tree", .enabled(if: isRoot), arguments: Mode.allCases)
    func mountinfoHidesTreePaths(mode: Mode) throws {
        let r = try run(mode, ["--tree", SandboxFixture.tree + ":/opt/tc", "--", "cat", "/proc/self/mountinfo"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(" / / ") && r.stdout.contains(" /opt/tc "), "\(r.stdout)")
        #expect(!r.stdout.contains(SandboxFixture.root), "\(r.stdout)")
        #expect(!r.stdout.contains("/oldroot"), "\(r.stdout)")
    }

    @Test("strict profile: a 32-bit int 0x80 unshare kills the process (SIGSYS)", .enabled(if: isRoot))
    func strictKillsForeignABI() throws {
        let r = try run(.root, ["--profile", "strict", "--", "probe", "syscall", "int80_unshare"])
        #expect(r.status == 128 + SIGSYS)
        let ok = try run(.root, ["--profile", "strict", "--", "probe", "syscall", "fork"])
        #expect(ok.status == 0 && ok.stdout.hasPrefix("fork 0"))
    }

    @Test("a fork bomb is stopped by the processes limit", .enabled(if: isRoot), arguments: Mode.allCases)
    func forkBomb(mode: Mode) throws {
        let dir = try TempDir()
        let profile = try String(contentsOfFile: Self.repoRoot + "/profiles/default.toml", encoding: .utf8)
            .replacingOccurrences(of: "processes = 4096", with: "processes = 64")
            .replacingOccurrences(of: "timeout_seconds = 3600", with: "timeout_seconds = 60")
        try profile.write(toFile: dir.path + "/bomb.toml", atomically: true, encoding: .utf8)
        let r = try run(mode, ["--profile", dir.path + "/bomb.toml", "--", "probe", "forkbomb"])
        #expect(r.status == 0, "\(r.stderr)")
        let f = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
        #expect(f.count == 4 && f[0] == "forks" && f[2] == "errno", "\(r.stdout)")
        let forks = f.count == 4 ? Int(f[1]) ?? -1 : -1
        #expect(forks >= 5 && forks < 64, "forks: \(r.stdout)")
        #expect(f.count == 4 && Int32(f[3]) == EAGAIN, "\(r.stdout)")
    }

    @Test("--timeout kills the whole sandbox within a few seconds and leaves no process", .enabled(if: isRoot))
    func timeout() throws {
        let start = Date()
        let (a, b) = (uniqueSeconds(100), uniqueSeconds(101))
        let r = try run(.root, ["--timeout", "2", "--", "sh", "-c", "sleep \(a) & sleep \(b)"])
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == 124)
        #expect(r.stderr.contains("did not finish within 2 s"))
        #expect(elapsed >= 2 && elapsed < 8, "took \(elapsed) s")
        #expect(!SandboxFixture.processExists(["sleep", a]))
        #expect(!SandboxFixture.processExists(["sleep", b]))
    }

    @Test(
        "SIGINT or SIGKILL to repro mid-build leaves no process and no mount", .enabled(if: isRoot),
        arguments: [SIGINT, SIGTERM, SIGKILL])
    func interrupt(signal: Int32) throws {
        let dir = try TempDir(mode: 0o777)
        let mountsBefore = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
            .count
        let marker = uniqueSeconds(Int(signal))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = [
            "run", "--tree", SandboxFixture.tree, "--bind", dir.path + ":/out", "--",
            "sh", "-c", "sleep \(marker) & touch /out/started; wait",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        #expect(waitFor(10) { FileManager.default.fileExists(atPath: dir.path + "/started") })
        #expect(SandboxFixture.processExists(["sleep", marker]))
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(
            process.terminationStatus == 128 + signal
                || (signal == SIGKILL && process.terminationReason == .uncaughtSignal))
        #expect(waitFor(5) { !SandboxFixture.processExists(["sleep", marker]) }, "sandboxed process survived")
        let mountsAfter = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
            .count
        #expect(mountsAfter == mountsBefore)
    }

    @Test("the environment is exactly the profile's plus --env", .enabled(if: isRoot))
    func environment() throws {
        let r = try CLI.run(
            ["run", "--tree", SandboxFixture.tree, "--env", "EXTRA=1", "--", "env"],
            environment: ["REPRO_LEAK_CHECK": "leaked"], directory: "/tmp")
        let keys = Set(r.stdout.split(separator: "\n").map { String($0.split(separator: "=")[0]) })
        #expect(keys == ["PATH", "HOME", "TMPDIR", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "EXTRA"])
        #expect(r.stdout.contains("HOME=/build/home\n"))
    }

    @Test(
        "inherited descriptors are closed, stdin is /dev/null unless --stdin, the command leads a new session",
        .enabled(if: isRoot))
    func descriptorsAndSession() throws {
        let fds = try Shell.run([
            "sh", "-c", "exec 7</dev/null 8>/dev/null; exec \"$0\" run --tree \"$1\" -- probe fds", CLI.binary,
            SandboxFixture.tree,
        ])
        #expect(fds.stdout.split(separator: "\n") == ["0", "1", "2"], "\(fds.stdout)")
        let quiet = try CLI.run(
            ["run", "--tree", SandboxFixture.tree, "--", "cat"], directory: "/tmp", stdin: Data("hello".utf8))
        #expect(quiet.status == 0 && quiet.stdout == "")
        let passed = try CLI.run(
            ["run", "--tree", SandboxFixture.tree, "--stdin", "--", "cat"], directory: "/tmp", stdin: Data("hello".utf8)
        )
        #expect(passed.stdout == "hello")
        let stat = try CLI.run(
            ["run", "--tree", SandboxFixture.tree, "--", "cat", "/proc/self/stat"], directory: "/tmp")
        let fields = stat.stdout.split(separator: " ")
        #expect(fields.count > 6 && fields[0] == fields[5], "pid \(fields.first ?? "") is not its session's leader")
    }

    @Test(
        "exit status: the command's own, 128+N on signal, 127 with the failed step when it cannot start",
        .enabled(if: isRoot))
    func exitStatus() throws {
        #expect(try run(.root, ["--", "sh", "-c", "exit 7"]).status == 7)
        #expect(try run(.root, ["--", "sh", "-c", "kill -9 $$"]).status == 137)
        let missing = try run(.root, ["--", "no-such-command"])
        #expect(missing.status == 127)
        #expect(missing.stderr.contains("executing no-such-command failed: No such file or directory"))
        let workdir = try run(.root, ["--workdir", "/no/such/dir", "--", "true"])
        #expect(workdir.status == 127)
        #expect(
            workdir.stderr.contains("changing to the working directory /no/such/dir failed: No such file or directory"))
    }

    @Test("bad input exits 2 with a message", .enabled(if: isRoot))
    func badInput() throws {
        let bind = try run(.root, ["--bind-ro", "/no/such/path:/data", "--", "true"])
        #expect(bind.status == 2 && bind.stderr.contains("/no/such/path"))
        let reserved = try run(.root, ["--bind-ro", "/etc:/proc/x", "--", "true"])
        #expect(reserved.status == 2 && reserved.stderr.contains("belongs to the sandbox"))
        let profile = try run(.root, ["--profile", "no-such-profile", "--", "true"])
        #expect(profile.status == 2 && profile.stderr.contains("no profile named"))
    }

    @Test("outputs are collected before the namespace goes away", .enabled(if: isRoot), arguments: Mode.allCases)
    func copyOut(mode: Mode) throws {
        let dir = try TempDir(mode: 0o777)
        let dest = dir.path + "/dist"
        let marker = uniqueSeconds(mode == .root ? 200 : 201)
        let r = try run(
            mode,
            [
                "--copy-out", "/build/src/dist:" + dest, "--", "sh", "-c",
                "mkdir dist && echo built > dist/out; sleep \(marker) &",
            ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: dest + "/out", encoding: .utf8) == "built\n")
        #expect(waitFor(5) { !SandboxFixture.processExists(["sleep", marker]) })
    }

    @Test("--copy-out copies a symlink the build made as a symlink, never the host file it names", .enabled(if: isRoot))
    func copyOutDoesNotFollowSymlinks() throws {
        let dir = try TempDir(mode: 0o777)
        let secret = dir.path + "/host-secret"
        try "host only\n".write(toFile: secret, atomically: false, encoding: .utf8)
        let r = try run(
            .root,
            [
                "--copy-out", "/build/src/out:" + dir.path + "/out", "--copy-out",
                "/build/src/d/file:" + dir.path + "/file",
                "--", "sh", "-c", "ln -s \(secret) out && ln -s / d",
            ])
        // The first copy is the link itself; the second path runs through a symlink and is refused.
        #expect(r.status == 2, "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.path + "/out") == secret)
        #expect(r.stderr.contains("/build/src/d is not a directory inside the sandbox"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/file"))
    }

    @Test("a build that signals pid 1 cannot end the sandbox early", .enabled(if: isRoot), arguments: Mode.allCases)
    func killingInitChangesNothing(mode: Mode) throws {
        let r = try run(mode, ["--", "sh", "-c", "kill -TERM 1; kill -INT 1; kill -HUP 1; sleep 1; echo alive"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "alive\n")
    }

    @Test("--copy-out of a file whose size reads 0 copies its content", .enabled(if: isRoot))
    func copyOutReadsZeroSizedFilesToTheEnd() throws {
        let dir = try TempDir(mode: 0o777)
        let r = try run(.root, ["--copy-out", "/proc/version:" + dir.path + "/version", "--", "true"])
        #expect(r.status == 0, "\(r.stderr)")
        let copied = try String(contentsOfFile: dir.path + "/version", encoding: .utf8)
        #expect(copied.hasPrefix("Linux version "), "\(copied)")
    }

    @Test("with user namespaces unavailable, repro exits 4 and names the setting", .enabled(if: isRoot))
    func namespacesUnavailable() throws {
        let r = try Shell.run([
            "unshare", "--user", "--map-root-user", "sh", "-c",
            "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$0\" run --tree \"$1\" -- true",
            CLI.binary, SandboxFixture.tree,
        ])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("user.max_user_namespaces"))
        #expect(r.stderr.contains("never runs with weaker isolation"))
    }

    @Test("--isolation-report writes the isolation achieved", .enabled(if: isRoot))
    func isolationReport() throws {
        let dir = try TempDir()
        let r = try run(.root, ["--isolation-report", dir.path + "/iso.json", "--", "true"])
        #expect(r.status == 0)
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/iso.json")))
            as? [String: Any]
        #expect(json?["hostname"] as? String == "repro")
        #expect(json?["seccomp_profile"] as? String == "default")
        #expect((json?["seccomp_bpf_sha256"] as? String)?.count == 64)
        #expect(json?["namespaces"] as? [String] == ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"])
    }

    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }
}

/// A sleep duration no other test run uses, so its process can be looked for by command line.
func uniqueSeconds(_ k: Int) -> String { "\(1_000_000 + Int(getpid()) * 1000 + k)" }

/// Polls `condition` every 20 ms for up to `seconds`; true once it holds.
func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// A temporary directory removed when the value is released.
final class TempDir {
    let path: String
    init(mode: Int = 0o755) throws {
        path = NSTemporaryDirectory() + "repro-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A TCP server listening on the host's 127.0.0.1 (accepting nothing; the kernel completes handshakes).
final class TCPServer {
    let fd: Int32
    let port: UInt16
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else {
            _ = Glibc.close(fd)
            throw FixtureError("cannot listen on 127.0.0.1")
        }
        port = UInt16(bigEndian: addr.sin_port)
    }
    func close() { _ = Glibc.close(fd) }
}

/// Ordinary builds: the host's /usr (gcc, make, python3) as a toolchain tree, read-only.
@Suite(.serialized)
struct OrdinaryBuildTests {
    @Test(
        "sh with jobs, make -j, gcc and python threads work in the sandbox", .enabled(if: RunTests.isRoot),
        arguments: RunTests.Mode.allCases)
    func ordinaryBuild(mode: RunTests.Mode) throws {
        let dir = try TempDir()
        let root = dir.path + "/root", src = dir.path + "/src"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: src, withIntermediateDirectories: true)
        for link in ["bin", "sbin", "lib", "lib64"] {
            try fm.createSymbolicLink(atPath: root + "/" + link, withDestinationPath: "usr/" + link)
        }
        try "int main(void) { return 0; }\n".write(toFile: src + "/a.c", atomically: true, encoding: .utf8)
        try "#include <stdio.h>\nint main(void) { puts(\"hello from gcc\"); return 0; }\n".write(
            toFile: src + "/b.c", atomically: true, encoding: .utf8)
        try "all: a b\na: a.c\n\tgcc -O1 -o $@ $<\nb: b.c\n\tgcc -O1 -o $@ $<\n".write(
            toFile: src + "/Makefile", atomically: true, encoding: .utf8)
        for path in [dir.path, root, src] { try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
        let script = """
            set -e
            cp -r /opt/src/. .
            (sleep 0.1; echo job1) & (echo job2) & wait
            make -j2 >/dev/null
            ./a && ./b
            python3 -c 'import threading; r=[]; ts=[threading.Thread(target=r.append, args=(i,)) for i in range(8)]; [t.start() for t in ts]; [t.join() for t in ts]; print("threads", len(r))'
            """
        let args = [
            "run", "--tree", root, "--tree", "/usr:/usr", "--bind-ro", src + ":/opt/src", "--", "/bin/sh", "-c", script,
        ]
        let r =
            mode == .root
            ? try CLI.run(args, directory: "/tmp")
            : try Shell.run(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", SandboxFixture.repro] + args,
                directory: "/tmp")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(Set(lines.prefix(2)) == ["job1", "job2"])
        #expect(lines.dropFirst(2) == ["hello from gcc", "threads 8"], "\(r.stdout)")
    }
}
