import Foundation
import Testing
import CReproSandbox
@testable import ReproCore
@testable import ReproSystem

/// busybox-static and the probe (compiled with `cc -static`), in a world-readable tree.
enum ProbeTree {
    static let path: String = {
        let fm = FileManager.default
        let dir = "/tmp/repro-system-fixture-\(getpid())"
        try? fm.removeItem(atPath: dir)
        try! fm.createDirectory(
            atPath: dir + "/bin", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try! fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        removeAtExit = dir
        atexit { if let dir = ProbeTree.removeAtExit { try? FileManager.default.removeItem(atPath: dir) } }
        try! fm.copyItem(atPath: "/bin/busybox", toPath: dir + "/bin/busybox")
        for applet in ["sh", "cat", "ls", "mkdir", "echo", "true", "sleep"] {
            try! fm.createSymbolicLink(atPath: dir + "/bin/" + applet, withDestinationPath: "busybox")
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Probe/probe.c").path
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-static", "-O2", "-o", dir + "/bin/probe", source]
        try! cc.run()
        cc.waitUntilExit()
        precondition(cc.terminationStatus == 0, "cc -static probe.c failed")
        return dir
    }()

    static var probe: String { path + "/bin/probe" }

    /// The fixture directory, removed when the test process exits.
    nonisolated(unsafe) static var removeAtExit: String?
}

/// Runs a host program; returns its stdout and status.
func runHost(_ argv: [String]) throws -> (status: Int32, stdout: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    let out = Foundation.Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

struct SeccompTests {
    @Test("the shipped profiles compile, deterministically", arguments: Profile.builtinNames)
    func compiles(name: String) throws {
        let profile = try Profile.builtin(name)
        let a = try SeccompProgram.compile(profile.seccomp, profileName: name)
        let b = try SeccompProgram.compile(profile.seccomp, profileName: name)
        #expect(a.instructionCount > 20)
        #expect(a.bytes == b.bytes && a.sha256 == b.sha256 && a.sha256.count == 64)
    }

    @Test func profilesGiveDifferentPrograms() throws {
        let d = try SeccompProgram.compile(Profile.builtin("default").seccomp, profileName: "default")
        let s = try SeccompProgram.compile(Profile.builtin("strict").seccomp, profileName: "strict")
        #expect(d.sha256 != s.sha256)
    }

    @Test func unknownSyscallIsAConfigurationError() throws {
        var policy = try Profile.builtin("default").seccomp
        policy.denyEPERM.append("no_such_syscall")
        #expect {
            _ = try SeccompProgram.compile(policy, profileName: "x")
        } throws: { ($0 as! ReproError).kind == .configuration }
    }

    /// The filter alone, on the host, as root (with every capability): each call that would
    /// otherwise fail differently (or succeed) now gets the profile's errno.
    @Test("the compiled filter itself denies each call (host, root)", .enabled(if: geteuid() == 0))
    func filterDeniesOnHost() throws {
        let program = try SeccompProgram.compile(Profile.builtin("default").seccomp, profileName: "default")
        let file = NSTemporaryDirectory() + "repro-bpf-\(UUID().uuidString)"
        try Data(program.bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let expected: [String: Int32] = [
            "mount": EPERM, "umount2": EPERM, "pivot_root": EPERM, "chroot": EPERM, "setns": EPERM,
            "unshare_user": EPERM, "clone_newuser": EPERM, "clone3": ENOSYS, "ptrace": EPERM,
            "process_vm_readv": EPERM, "keyctl": EPERM, "add_key": EPERM, "bpf": EPERM, "perf_event_open": EPERM,
            "userfaultfd": EPERM, "clock_settime": EPERM, "settimeofday": EPERM, "tiocsti": EPERM,
            "tiocsti_high_bits": EPERM, "tioclinux": EPERM, "chmod_setuid": EPERM, "fchmodat_setgid": EPERM,
            "personality_linux32": EPERM, "int80_unshare": ENOSYS,
            "socket_vsock": EAFNOSUPPORT, "socket_vsock_high_bits": EAFNOSUPPORT, "socket_packet": EAFNOSUPPORT,
            "socketpair_vsock": EAFNOSUPPORT, "io_uring_setup": ENOSYS, "io_uring_enter": ENOSYS,
            "io_uring_register": ENOSYS,
        ]
        for (name, errno) in expected {
            let bare = try runHost([ProbeTree.probe, "syscall", name])
            let filtered = try runHost([ProbeTree.probe, "filter", file, "syscall", name])
            #expect(filtered.stdout == "\(name) \(errno)\nalive\n", "\(name) filtered: \(filtered.stdout)")
            #expect(bare.stdout != filtered.stdout, "\(name) gives the same result without the filter")
        }
        // Allowed calls still work under the filter.
        for name in [
            "fork", "unshare_files", "personality_query", "socket_unix", "socket_inet", "socket_inet6",
            "socket_netlink", "socketpair_unix",
        ] {
            #expect(try runHost([ProbeTree.probe, "filter", file, "syscall", name]).stdout == "\(name) 0\nalive\n")
        }
    }

    /// Creating files through a mode argument, on the host, as root: set-id bits get EPERM from
    /// each call (openat2, whose mode the filter cannot read, gets ENOSYS), ordinary modes pass.
    @Test(
        "the compiled filter denies set-id modes in open, openat, creat, mknod and mknodat (host, root)",
        .enabled(if: geteuid() == 0))
    func filterDeniesSetidCreation() throws {
        let program = try SeccompProgram.compile(Profile.builtin("default").seccomp, profileName: "default")
        let dir = NSTemporaryDirectory() + "repro-setid-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + ".bpf"
        try Data(program.bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        func results(_ argv: [String]) throws -> [String: Int32] {
            var values: [String: Int32] = [:]
            for line in try runHost(argv).stdout.split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count == 2, let v = Int32(f[1]) { values[String(f[0])] = v }
            }
            return values
        }
        let bare = try results([ProbeTree.probe, "setid", dir])
        let filtered = try results([ProbeTree.probe, "filter", file, "setid", dir])
        #expect(filtered.count == 18 && bare.count == 18, "\(filtered)")
        for (name, value) in filtered {
            let want: Int32 = name.hasPrefix("openat2") ? ENOSYS : name.contains("set") ? EPERM : 0
            #expect(value == want, "\(name): got \(value), want \(want)")
            #expect(bare[name] == 0, "\(name) fails without the filter: \(bare[name] ?? -99)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test("a profile may allow more socket families; families it leaves out stay denied", .enabled(if: geteuid() == 0))
    func socketFamiliesFollowTheProfile() throws {
        var policy = try Profile.builtin("default").seccomp
        policy.allowedSocketFamilies.append("vsock")
        let program = try SeccompProgram.compile(policy, profileName: "vsock")
        let file = NSTemporaryDirectory() + "repro-bpf-\(UUID().uuidString)"
        try Data(program.bytes).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let bare = try runHost([ProbeTree.probe, "syscall", "socket_vsock"]).stdout
        #expect(try runHost([ProbeTree.probe, "filter", file, "syscall", "socket_vsock"]).stdout == bare)
        #expect(
            try runHost([ProbeTree.probe, "filter", file, "syscall", "socket_packet"]).stdout
                == "socket_packet \(EAFNOSUPPORT)\nalive\n")
    }
}

@Suite(.serialized)
struct SandboxAPITests {
    let profile = try! Profile.builtin("default")

    @Test(
        "work files are laid out in the given order and outputs are collected before teardown",
        .enabled(if: geteuid() == 0))
    func workOpsAndCollect() throws {
        let src = NSTemporaryDirectory() + "repro-src-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: src) }
        for name in ["a", "m", "z"] {
            try Data("file \(name)\n".utf8).write(to: URL(fileURLWithPath: src + "/" + name))
        }

        func listing(order: [String]) throws -> (String, String, Termination) {
            var ops: [WorkOp] = [.mkdir(dest: "/build/src/in", mode: 0o755)]
            for n in order { ops.append(.copyFile(host: src + "/" + n, dest: "/build/src/in/" + n, mode: 0o644)) }
            ops.append(.symlink(target: "in/a", dest: "/build/src/link"))
            let spec = SandboxSpec(
                argv: ["sh", "-c", "mkdir dist && probe readdir in > dist/order && cat link in/z > dist/content"],
                profile: profile, toolchains: [ToolchainMount(hostTree: ProbeTree.path, mountPath: "/")], workOps: ops)
            let plan = try SandboxPlan.build(spec, mapping: Sandbox.currentMapping())
            var order = "", content = ""
            var seen: Termination?
            let result = try Sandbox.run(plan) { (root: String, termination: Termination) throws(ReproError) in
                seen = termination
                order = (try? String(contentsOfFile: root + "/build/src/dist/order", encoding: .utf8)) ?? "<missing>"
                content =
                    (try? String(contentsOfFile: root + "/build/src/dist/content", encoding: .utf8)) ?? "<missing>"
            }
            #expect(result.termination == .exited(0) && seen == .exited(0))
            return (order, content, result.termination)
        }
        let (first, content, _) = try listing(order: ["z", "a", "m"])
        let (second, _, _) = try listing(order: ["a", "m", "z"])
        #expect(content == "file a\nfile z\n")
        let names = { (s: String) in s.split(separator: "\n").map(String.init).filter { $0 != "." && $0 != ".." } }
        // The listing follows the op order (tmpfs lists in creation order or its reverse), not the names.
        #expect([["z", "a", "m"], ["m", "a", "z"]].contains(names(first)), "\(first)")
        #expect([["a", "m", "z"], ["z", "m", "a"]].contains(names(second)), "\(second)")
        #expect(names(first) != names(second))
    }

    @Test(
        "every file, symlink and directory of the snapshot, and /build/src, gets the epoch as its times",
        .enabled(if: geteuid() == 0))
    func snapshotTimesAreTheEpoch() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        scratch.write("src/a/b/deep.c", "int x;\n")
        scratch.write("src/z.txt", "z\n", mode: 0o755)
        scratch.symlink("src/a/link", to: "b/deep.c")
        scratch.symlink("src/dangling", to: "/nonexistent/target")  // a followed link would fail with ENOENT
        let listing = try TreeWalker.walk(scratch.path + "/src")
        let epoch: Int64 = 1_234_567_890
        let ops = CheckRunner.workOps(for: listing, root: scratch.path + "/src", workdir: "/build/src", mtime: epoch)
        let spec = SandboxSpec(
            argv: ["true"], profile: profile, toolchains: [ToolchainMount(hostTree: ProbeTree.path, mountPath: "/")],
            workOps: ops)
        var times: [String: [Int]] = [:]
        let result = try Sandbox.run(try SandboxPlan.build(spec, mapping: Sandbox.currentMapping())) {
            (root: String, _: Termination) throws(ReproError) in
            for path in [""] + listing.entries.map({ "/" + $0.path }) {
                var st = stat()
                guard lstat(root + "/build/src" + path, &st) == 0 else {
                    times[path] = []
                    continue
                }
                times[path] = [st.st_atim.tv_sec, st.st_atim.tv_nsec, st.st_mtim.tv_sec, st.st_mtim.tv_nsec]
            }
        }
        #expect(result.termination == .exited(0))
        #expect(times.count == listing.entries.count + 1)
        for (path, t) in times.sorted(by: { $0.key < $1.key }) {
            #expect(t == [Int(epoch), 0, Int(epoch), 0], "\(path.isEmpty ? "/build/src" : path): \(t)")
        }
    }

    @Test("a failing setup step is reported with the step and errno (exit 4)", .enabled(if: geteuid() == 0))
    func setupFailure() throws {
        let dir = NSTemporaryDirectory() + "repro-dir-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = SandboxSpec(
            argv: ["true"], profile: profile, toolchains: [ToolchainMount(hostTree: ProbeTree.path, mountPath: "/")],
            workOps: [.copyFile(host: dir, dest: "/build/src/x", mode: 0o644)])
        let plan = try SandboxPlan.build(spec, mapping: .privileged)
        #expect {
            _ = try Sandbox.run(plan)
        } throws: { e in
            let error = e as! ReproError
            return error.kind == .sandbox
                && error.message.contains("copying \(dir) to /build/src/x failed: Is a directory")
        }
    }

    @Test("stdout and stderr go to the given descriptors; the report names the isolation", .enabled(if: geteuid() == 0))
    func outputDescriptorsAndReport() throws {
        let path = NSTemporaryDirectory() + "repro-log-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = FileHandle(forWritingAtPath: path)!
        let spec = SandboxSpec(
            argv: ["sh", "-c", "echo out; echo err >&2; exit 3"], profile: profile,
            toolchains: [ToolchainMount(hostTree: ProbeTree.path, mountPath: "/")])
        let plan = try SandboxPlan.build(spec, mapping: .privileged)
        let result = try Sandbox.run(plan, io: SandboxIO(stdout: log.fileDescriptor, stderr: log.fileDescriptor))
        try log.close()
        #expect(result.termination == .exited(3) && !result.timedOut)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "out\nerr\n")
        let program = try SeccompProgram.compile(profile.seccomp, profileName: "default")
        #expect(result.isolation.seccompBPFSHA256 == program.sha256)
        #expect(
            result.isolation.uidMap == [
                IDMapEntry(inside: 0, outside: 0, count: 1), IDMapEntry(inside: 1000, outside: 65534, count: 1),
            ])
        #expect(result.isolation.rootFilesystem == "overlay")
        // Observed in the running sandbox, not copied from a constant: every kind, each once.
        #expect(result.isolation.namespaces == ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"])
    }

    /// Init holds only its two pipes to repro while the command runs: nothing of the caller's
    /// (another sandbox's release pipe kept open here tied that sandbox's end to this one's, and
    /// hung `check --parallel`).
    @Test(.enabled(if: geteuid() == 0)) func initKeepsOnlyItsOwnPipes() throws {
        var stray: [Int32] = [0, 0]
        #expect(pipe(&stray) == 0)  // not close-on-exec, as a careless caller's would be
        defer {
            close(stray[0])
            close(stray[1])
        }
        let spec = SandboxSpec(
            argv: ["true"], profile: profile, toolchains: [ToolchainMount(hostTree: ProbeTree.path, mountPath: "/")])
        let plan = try SandboxPlan.build(spec, mapping: .privileged)
        var held: [String] = []
        _ = try Sandbox.run(plan) { root, _ throws(ReproError) in
            let fdDir = (root as NSString).deletingLastPathComponent + "/fd"
            held = ((try? FileManager.default.contentsOfDirectory(atPath: fdDir)) ?? []).sorted()
        }
        #expect(held.count == 2, "init holds \(held)")
    }

    @Test func namespaceBitsAreNamedAndAMissingOneIsFound() {
        #expect(Namespaces.names(0) == [])
        #expect(
            Namespaces.names(UInt32(REPRO_NS_USER.rawValue) | UInt32(REPRO_NS_CGROUP.rawValue)) == ["cgroup", "user"])
        let all = Namespaces.bits.reduce(UInt32(0)) { $0 | $1.0 }
        #expect(Namespaces.names(all) == IsolationReport.namespacesRequired)
        #expect(Namespaces.missing(from: Namespaces.names(all)) == nil)
        #expect(Namespaces.missing(from: Namespaces.names(all & ~UInt32(REPRO_NS_NETWORK.rawValue))) == "network")
    }
}

struct CommandLineAreaTests {
    @Test("fields 48 to 51 of /proc/PID/stat are found, also after a command name with ') ' in it")
    func parsesStat() throws {
        let tail = (4...47).map { $0 == 4 ? "-1" : String($0) }.joined(separator: " ")
        let text = "123 (a) b) c) S \(tail) 140737488346000 140737488346100 140737488346100 140737488347000 0\n"
        let area = try #require(Sandbox.commandLineArea(stat: text))
        #expect(area.args == 140737488346000...140737488346100)
        #expect(area.environment == 140737488346100...140737488347000)
        // This process's own: the arguments come before the environment.
        let own = try #require(
            Sandbox.commandLineArea(stat: String(contentsOfFile: "/proc/self/stat", encoding: .utf8)))
        #expect(own.args.lowerBound > 0 && own.args.upperBound <= own.environment.lowerBound)
    }

    @Test(
        "malformed stat text is refused",
        arguments: ["", "1 (x", "1 (x) S 1 2", "1 (x) S" + String(repeating: " 1", count: 44) + " 0 0 0 0"])
    func refusesMalformed(text: String) {
        #expect(Sandbox.commandLineArea(stat: text) == nil)
    }
}
