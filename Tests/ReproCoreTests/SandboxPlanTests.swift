import Foundation
import Testing
@testable import ReproCore

struct SandboxPlanTests {
    let profile = try! Profile.builtin("default")

    func plan(_ spec: SandboxSpec, _ mapping: IDMapping = .privileged) throws -> SandboxPlan {
        try SandboxPlan.build(spec, mapping: mapping)
    }

    @Test("a normalized absolute path: no empty, '.' or '..' component, no trailing '/', no NUL")
    func normalAbsolutePaths() {
        for good in ["/", "/a", "/a/b", "/build/src/d000/f00001.c", "/...", "/a/.b", "/a/b..", "/.x/y", "/é/ü"] {
            #expect(SandboxPlan.isNormalAbsolute(good), "\(good)")
        }
        for bad in [
            "", "a", "a/b", "//", "/a/", "/a//b", "/.", "/..", "/a/.", "/a/..", "/./a", "/../a", "/a/./b", "/a/../b",
            "/a\0b", "/\0", "./a",
        ] {
            #expect(!SandboxPlan.isNormalAbsolute(bad), "\(bad.debugDescription)")
        }
    }

    @Test func rootToolchainIsAnOverlayOverASkeleton() throws {
        let p = try plan(
            SandboxSpec(
                argv: ["make"], profile: profile,
                toolchains: [
                    ToolchainMount(hostTree: "/cache/trees/a", mountPath: "/"),
                    ToolchainMount(hostTree: "/cache/trees/b", mountPath: "/"),
                ]))
        #expect(p.ops.first == .mkdir(path: "/skel", mode: 0o755, builder: false))
        #expect(p.ops.contains(.overlay(lowers: ["/skel", "/layers/0", "/layers/1"], path: "/newroot")))
        #expect(p.ops.contains(.bind(source: "/oldroot/cache/trees/a", path: "/layers/0", readOnly: true)))
        #expect(p.ops.contains(.bind(source: "/oldroot/cache/trees/b", path: "/layers/1", readOnly: true)))
        // Mount points and synthesized files live in the skeleton, before the overlay.
        let overlayIndex = p.ops.firstIndex { if case .overlay = $0 { return true } else { return false } }!
        for dir in ["/skel/proc", "/skel/dev", "/skel/tmp", "/skel/build/src", "/skel/build/home"] {
            let i = p.ops.firstIndex(of: .mkdir(path: dir, mode: 0o755, builder: false))
            #expect(i != nil && i! < overlayIndex, "\(dir)")
        }
        let passwd = p.ops.first { $0.path == "/skel/etc/passwd" }
        guard case .writeFile(_, let bytes, 0o644, false)? = passwd else {
            Issue.record("no passwd")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self).contains("builder:x:1000:1000:builder:/build/home:/bin/sh\n"))
        // The root is read-only by being an overlay without an upper dir: no remount of /newroot.
        #expect(!p.ops.contains(.remountReadOnly(path: "/newroot")))
        #expect(p.ops.last == .proc(path: "/newroot/proc"))
    }

    @Test func withoutRootToolchainTheRootIsATmpfsMadeReadOnly() throws {
        let p = try plan(
            SandboxSpec(
                argv: ["/opt/tc/bin/sh"], profile: profile,
                toolchains: [
                    ToolchainMount(hostTree: "/t/one", mountPath: "/opt/tc"),
                    ToolchainMount(hostTree: "/t/two", mountPath: "/opt/tc"),
                    ToolchainMount(hostTree: "/t/three", mountPath: "/opt/x"),
                ]))
        #expect(p.ops.first == .tmpfs(path: "/newroot", options: "mode=0755,size=16m"))
        #expect(p.ops.contains(.mkdir(path: "/newroot/opt/tc", mode: 0o755, builder: false)))
        #expect(p.ops.contains(.overlay(lowers: ["/layers/0", "/layers/1"], path: "/newroot/opt/tc")))
        #expect(p.ops.contains(.mkdir(path: "/empty", mode: 0o755, builder: false)))
        #expect(p.ops.contains(.overlay(lowers: ["/layers/2", "/empty"], path: "/newroot/opt/x")))
        #expect(p.ops.last == .remountReadOnly(path: "/newroot"))
    }

    @Test("overlays name neutral layer paths, never host paths; a tree used twice is bound once")
    func overlaysNameNoHostPath() throws {
        let p = try plan(
            SandboxSpec(
                argv: ["make"], profile: profile,
                toolchains: [
                    ToolchainMount(hostTree: "/home/u/.cache/repro/trees/aa", mountPath: "/"),
                    ToolchainMount(hostTree: "/home/u/.cache/repro/trees/bb", mountPath: "/opt/tc"),
                    ToolchainMount(hostTree: "/home/u/.cache/repro/trees/aa", mountPath: "/opt/again"),
                ]))
        let overlays = p.ops.compactMap { op -> [String]? in
            if case .overlay(let lowers, _) = op { return lowers } else { return nil }
        }
        #expect(overlays == [["/skel", "/layers/0"], ["/layers/1", "/empty"], ["/layers/0", "/empty"]])
        let binds = p.ops.compactMap { op -> String? in
            if case .bind(let source, _, _) = op { return source } else { return nil }
        }
        #expect(binds == ["/oldroot/home/u/.cache/repro/trees/aa", "/oldroot/home/u/.cache/repro/trees/bb"])
        // Each layer is bound before the first overlay that names it.
        let first = try #require(p.ops.firstIndex { if case .overlay = $0 { return true } else { return false } })
        let lastBind = try #require(p.ops.lastIndex { if case .bind = $0 { return true } else { return false } })
        #expect(lastBind < first)
    }

    @Test func writableDirectoriesAndDev() throws {
        let p = try plan(SandboxSpec(argv: ["true"], profile: profile))
        let size = profile.limits.tmpfsBytes
        #expect(p.ops.contains(.tmpfs(path: "/newroot/tmp", options: "mode=1777,size=\(size)")))
        #expect(p.ops.contains(.tmpfs(path: "/newroot/build/src", options: "mode=0755,size=\(size),uid=1000,gid=1000")))
        #expect(
            p.ops.contains(.tmpfs(path: "/newroot/build/home", options: "mode=0755,size=\(size),uid=1000,gid=1000")))
        let devices = p.ops.compactMap { op -> String? in
            if case .bindDevice(_, let path) = op { return path } else { return nil }
        }
        #expect(devices == ["full", "null", "random", "tty", "urandom", "zero"].map { "/newroot/dev/" + $0 })
        #expect(p.ops.contains(.devpts(path: "/newroot/dev/pts")))
        #expect(p.ops.contains(.symlink(target: "pts/ptmx", path: "/newroot/dev/ptmx", builder: false)))
        #expect(p.ops.contains(.symlink(target: "/proc/self/fd/0", path: "/newroot/dev/stdin", builder: false)))
        #expect(p.workdir == "/build/src" && p.umask == 0o022 && p.uid == 1000 && p.gid == 1000)
    }

    @Test func workOpsRunInTheGivenOrderAfterTheWorkTmpfs() throws {
        let ops: [WorkOp] = [
            .mkdir(dest: "/build/src/z", mode: 0o755),
            .copyFile(host: "/home/u/p/z/b.c", dest: "/build/src/z/b.c", mode: 0o644),
            .mkdir(dest: "/build/src/a", mode: 0o755),
            .symlink(target: "../z/b.c", dest: "/build/src/a/link"),
        ]
        let p = try plan(SandboxSpec(argv: ["make"], profile: profile, workOps: ops))
        let tmpfs = p.ops.firstIndex {
            if case .tmpfs("/newroot/build/src", _) = $0 { return true } else { return false }
        }!
        let work = Array(p.ops[(tmpfs + 2)..<(tmpfs + 6)])
        #expect(
            work == [
                .mkdir(path: "/newroot/build/src/z", mode: 0o755, builder: true),
                .copyFile(
                    source: "/oldroot/home/u/p/z/b.c", path: "/newroot/build/src/z/b.c", mode: 0o644, builder: true),
                .mkdir(path: "/newroot/build/src/a", mode: 0o755, builder: true),
                .symlink(target: "../z/b.c", path: "/newroot/build/src/a/link", builder: true),
            ])
    }

    @Test func sourceTimesAreSetAfterEverythingIsWrittenChildrenBeforeParents() throws {
        let ops: [WorkOp] = [
            .mkdir(dest: "/build/src/a", mode: 0o755),
            .copyFile(host: "/h/a/f.c", dest: "/build/src/a/f.c", mode: 0o644),
            .symlink(target: "f.c", dest: "/build/src/a/l"),
            .setTimes(dest: "/build/src/a/l", seconds: 1_700_000_000),
            .setTimes(dest: "/build/src/a/f.c", seconds: 1_700_000_000),
            .setTimes(dest: "/build/src/a", seconds: 1_700_000_000),
            .setTimes(dest: "/build/src", seconds: 1_700_000_000),
        ]
        let p = try plan(SandboxSpec(argv: ["make"], profile: profile, workOps: ops))
        let start = p.ops.firstIndex(of: .mkdir(path: "/newroot/build/src/a", mode: 0o755, builder: true))!
        #expect(
            Array(p.ops[start..<(start + ops.count)]) == [
                .mkdir(path: "/newroot/build/src/a", mode: 0o755, builder: true),
                .copyFile(source: "/oldroot/h/a/f.c", path: "/newroot/build/src/a/f.c", mode: 0o644, builder: true),
                .symlink(target: "f.c", path: "/newroot/build/src/a/l", builder: true),
                .setTimes(path: "/newroot/build/src/a/l", seconds: 1_700_000_000),
                .setTimes(path: "/newroot/build/src/a/f.c", seconds: 1_700_000_000),
                .setTimes(path: "/newroot/build/src/a", seconds: 1_700_000_000),
                .setTimes(path: "/newroot/build/src", seconds: 1_700_000_000),
            ])
        #expect(
            MountOp.setTimes(path: "/newroot/build/src/a", seconds: 7).summary
                == "setting the times of /build/src/a to 7")
    }

    @Test(
        "a set-times op before its path exists, or a new entry in a directory whose times are set, is refused",
        arguments: [
            [WorkOp.setTimes(dest: "/build/src/a", seconds: 0), .mkdir(dest: "/build/src/a", mode: 0o755)],
            [
                WorkOp.mkdir(dest: "/build/src/a", mode: 0o755), .setTimes(dest: "/build/src/a", seconds: 0),
                .copyFile(host: "/h/f", dest: "/build/src/a/f", mode: 0o644),
            ],
            [WorkOp.setTimes(dest: "/build/src", seconds: 0), .symlink(target: "x", dest: "/build/src/l")],
            [WorkOp.setTimes(dest: "/opt", seconds: 0)],
            [WorkOp.setTimes(dest: "/build/src/../etc", seconds: 0)],
        ])
    func misorderedSetTimes(_ ops: [WorkOp]) {
        #expect {
            _ = try SandboxPlan.build(SandboxSpec(argv: ["x"], profile: profile, workOps: ops), mapping: .privileged)
        } throws: { ($0 as! ReproError).kind == .configuration }
    }

    @Test(
        "invalid specs are configuration errors",
        arguments: [
            SandboxSpec(argv: [], profile: try! Profile.builtin("default")),
            SandboxSpec(argv: ["x"], profile: try! Profile.builtin("default"), workdir: "build"),
            SandboxSpec(
                argv: ["x"], profile: try! Profile.builtin("default"),
                toolchains: [ToolchainMount(hostTree: "/a/../b", mountPath: "/")]),
            SandboxSpec(
                argv: ["x"], profile: try! Profile.builtin("default"),
                toolchains: [ToolchainMount(hostTree: "/a:b", mountPath: "/")]),
            SandboxSpec(
                argv: ["x"], profile: try! Profile.builtin("default"),
                toolchains: [ToolchainMount(hostTree: "/a", mountPath: "/proc")]),
            SandboxSpec(
                argv: ["x"], profile: try! Profile.builtin("default"),
                binds: [BindMount(host: "/a", dest: "/build/src/x", writable: true, isDirectory: true)]),
            SandboxSpec(
                argv: ["x"], profile: try! Profile.builtin("default"),
                binds: [
                    BindMount(host: "/a", dest: "/opt", writable: false, isDirectory: true),
                    BindMount(host: "/b", dest: "/opt/b", writable: false, isDirectory: true),
                ]),
            SandboxSpec(
                argv: ["x"], profile: try! Profile.builtin("default"),
                workOps: [.copyFile(host: "/a", dest: "/build/src/d/f", mode: 0o644)]),
            SandboxSpec(
                argv: ["x"], profile: try! Profile.builtin("default"), workOps: [.mkdir(dest: "/opt/d", mode: 0o755)]),
            SandboxSpec(
                argv: ["x"], profile: try! Profile.builtin("default"),
                workOps: [.copyFile(host: "/a", dest: "/build/src/f", mode: 0o4755)]),
            SandboxSpec(argv: ["x"], profile: try! Profile.builtin("default"), environment: ["A=B": "c"]),
        ])
    func invalid(spec: SandboxSpec) {
        #expect {
            _ = try SandboxPlan.build(spec, mapping: .privileged)
        } throws: { ($0 as! ReproError).kind == .configuration }
    }

    @Test func idMaps() throws {
        let root = try plan(SandboxSpec(argv: ["x"], profile: profile), .privileged)
        #expect(
            root.uidMapText == "0 0 1\n1000 65534 1\n" && root.gidMapText == "0 0 1\n1000 65534 1\n"
                && root.maySetgroups)
        let user = try plan(SandboxSpec(argv: ["x"], profile: profile), .unprivileged(uid: 4242, gid: 77))
        #expect(user.uidMapText == "1000 4242 1\n" && user.gidMapText == "1000 77 1\n" && !user.maySetgroups)
    }

    @Test func environmentIsExactAndSorted() throws {
        let p = try plan(SandboxSpec(argv: ["x"], profile: profile, environment: ["B": "2", "A": "1", "PATH": "/bin"]))
        #expect(p.environment == ["A=1", "B=2", "PATH=/bin"])
        #expect(p.searchPath == "/bin")
        #expect(p.rlimits[.core] == 0 && p.rlimits[.processes] == UInt64(profile.limits.processes))
        #expect(p.timeoutSeconds == profile.limits.timeoutSeconds)
    }

    @Test func failingOpsAreDescribedInSandboxTerms() {
        #expect(MountOp.proc(path: "/newroot/proc").summary == "mounting /proc")
        #expect(
            MountOp.bind(source: "/oldroot/srv/t", path: "/newroot/opt/t", readOnly: true).summary
                == "bind-mounting /srv/t on /opt/t read-only")
    }

    @Test func isolationReportHasStableKeys() throws {
        let p = try plan(SandboxSpec(argv: ["x"], profile: profile), .unprivileged(uid: 1, gid: 2))
        let report = IsolationReport(
            plan: p, namespaces: IsolationReport.namespacesRequired, seccompBPFSHA256: String(repeating: "a", count: 64)
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        for key in [
            "namespaces", "uid_map", "gid_map", "setgroups_denied", "uid", "gid", "user", "hostname", "network",
            "seccomp_profile", "seccomp_bpf_sha256", "no_new_privs", "capabilities_dropped", "rlimits",
            "timeout_seconds", "root_filesystem",
        ] {
            #expect(json.contains("\"\(key)\":"), "\(key)")
        }
        #expect(json.contains("\"uid_map\":[{\"count\":1,\"inside\":1000,\"outside\":1}]"))
        #expect(try JSONDecoder().decode(IsolationReport.self, from: encoder.encode(report)) == report)
    }
}

extension SandboxSpec: CustomTestStringConvertible {
    public var testDescription: String {
        "argv \(argv), workdir \(workdir), trees \(toolchains.map(\.hostTree)), binds \(binds.map(\.dest)), work \(workOps.map(\.dest))"
    }
}
