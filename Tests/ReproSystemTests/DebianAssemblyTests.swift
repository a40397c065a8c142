import Crypto
import Foundation
import Testing
import ReproCore
@testable import ReproSystem
#if canImport(Glibc)
    import Glibc
#endif

/// Hand-made `.deb` files (an `ar` archive holding `debian-binary`, `control.tar.gz` and
/// `data.tar.gz`) served from `file://` mirror directories.
struct DebMirror {
    let scratch = Scratch()
    var root: String { scratch.path + "/mirror" }
    var url: String { "file://" + root }

    /// Writes `pool/main/NAME.deb` with `items` as its data tree; returns its pin.
    func add(_ name: String, _ items: [ArchiveBuilder.Item], version: String = "1") -> DebianPackagePin {
        let work = scratch.path + "/work-\(name)"
        _ = Syscalls.mkdirs(work)
        ArchiveBuilder(items).write(to: work + "/data.tar.gz")
        ArchiveBuilder([.file("./control", "Package: \(name)\n")]).write(to: work + "/control.tar.gz")
        var deb = Data("!<arch>\n".utf8)
        for (member, contents) in [
            ("debian-binary", Data("2.0\n".utf8)),
            ("control.tar.gz", FileManager.default.contents(atPath: work + "/control.tar.gz")!),
            ("data.tar.gz", FileManager.default.contents(atPath: work + "/data.tar.gz")!),
        ] {
            func field(_ text: String, _ width: Int) -> String {
                text.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            deb += Data(
                (field(member, 16) + field("0", 12) + field("0", 6) + field("0", 6) + field("100644", 8)
                    + field(String(contents.count), 10) + "`\n").utf8)
            deb += contents
            if contents.count % 2 == 1 { deb += Data("\n".utf8) }
        }
        let path = "pool/main/\(name)_\(version)_amd64.deb"
        _ = Syscalls.mkdirs(root + "/pool/main")
        FileManager.default.createFile(atPath: root + "/" + path, contents: deb)
        return DebianPackagePin(
            name: name, version: version, architecture: "amd64", path: path,
            sha256: TreeDigest.hex(SHA256.hash(data: deb)), size: UInt64(deb.count))
    }

    static func spec(_ pins: [DebianPackagePin]) -> ToolchainSpec {
        var spec = ToolchainSpec(name: "t", sources: [])
        spec.debian = DebianLockInfo(
            suite: "bookworm", suites: ["bookworm"], architecture: "amd64", locked: "", include: [])
        spec.packages = pins
        return spec
    }
}

@Suite struct DebianAssemblyTests {
    /// A small package set exercising every rule: merged-/usr paths, an identical duplicate,
    /// alternatives, base-passwd's masters, a setuid bit and a device node.
    func basePackages(_ mirror: DebMirror) -> [DebianPackagePin] {
        [
            mirror.add(
                "dash",
                [
                    .directory("./"), .directory("./bin/"), .file("./bin/dash", "#!dash\n", mode: 0o755),
                    .symlink("./bin/sh", "dash"),
                ]),
            mirror.add(
                "gcc",
                [
                    .directory("./usr/bin/"), .file("./usr/bin/gcc-12", "gcc\n", mode: 0o755),
                    .symlink("./usr/bin/gcc", "gcc-12"),
                    .file("./usr/share/doc/common/README", "same\n"),
                ]),
            mirror.add(
                "mawk",
                [
                    .directory("./usr/bin/"), .file("./usr/bin/mawk", "mawk\n", mode: 0o4755),
                    .file("./usr/share/doc/common/README", "same\n"),
                ]),
            mirror.add(
                "base-passwd",
                [
                    .file("./usr/share/base-passwd/passwd.master", "root:*:0:0:root:/root:/bin/sh\n"),
                    .file("./usr/share/base-passwd/group.master", "root:*:0:\n"),
                    .device("./dev/null", type: S_IFCHR),
                ]),
            mirror.add(
                "libc6",
                [
                    .directory("./lib64/"), .symlink("./lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld.so"),
                    .file("./lib/x86_64-linux-gnu/ld.so", "ld\n", mode: 0o755),
                ]),
        ]
    }

    @Test func assemblesTheSameTreeWhateverTheOrderAndAppliesTheRecordedRules() throws {
        let mirror = DebMirror()
        defer { mirror.scratch.remove() }
        let pins = basePackages(mirror)
        let a = ToolchainCache(root: mirror.scratch.path + "/cache-a"),
            b = ToolchainCache(root: mirror.scratch.path + "/cache-b")
        a.debianMirrors = [mirror.url]
        b.debianMirrors = [mirror.url]
        let first = try a.fetch(DebMirror.spec(pins), specPath: "t.toml")
        let second = try b.fetch(DebMirror.spec(pins.reversed()), specPath: "t.toml")
        #expect(first.count == 1)
        #expect(first[0].treeDigest == second[0].treeDigest)
        #expect(first[0].packages.map(\.name) == ["base-passwd", "dash", "gcc", "libc6", "mawk"])
        #expect(first[0].downloaded && first[0].unpacked)
        let tree = first[0].treePath
        func link(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: tree + path) }
        // merged /usr
        #expect(link("bin") == "usr/bin" && link("lib64") == "usr/lib64" && link("lib") == "usr/lib")
        #expect(FileManager.default.contents(atPath: tree + "usr/bin/dash") == Data("#!dash\n".utf8))
        #expect(link("usr/bin/sh") == "dash")
        #expect(link("usr/lib64/ld-linux-x86-64.so.2") == "/lib/x86_64-linux-gnu/ld.so")
        // alternatives, by recorded links
        #expect(link("usr/bin/cc") == "/etc/alternatives/cc" && link("etc/alternatives/cc") == "/usr/bin/gcc")
        #expect(link("usr/bin/awk") == "/etc/alternatives/awk" && link("etc/alternatives/awk") == "/usr/bin/mawk")
        #expect(link("usr/bin/c++") == nil)  // no g++ in the set
        // /etc basics and the dpkg status
        #expect(
            FileManager.default.contents(atPath: tree + "etc/passwd") == Data("root:*:0:0:root:/root:/bin/sh\n".utf8))
        #expect(FileManager.default.contents(atPath: tree + "etc/group") == Data("root:*:0:\n".utf8))
        let status = String(
            decoding: FileManager.default.contents(atPath: tree + "var/lib/dpkg/status") ?? Data(), as: UTF8.self)
        #expect(status.contains("Package: mawk\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n"))
        // neutralized: no setid bits, no device nodes; fixed mtimes
        #expect(Syscalls.lstat(tree + "usr/bin/mawk")!.st_mode & 0o7777 == 0o755)
        #expect(Syscalls.lstat(tree + "dev/null") == nil)
        #expect(first[0].neutralized.map(\.path).sorted() == ["base-passwd: dev/null", "mawk: usr/bin/mawk"])
        #expect(Syscalls.lstat(tree + "usr/bin/gcc-12")!.st_mtim.tv_sec == 0)
        #expect(Syscalls.lstat(tree + "usr/bin/cc")!.st_mtim.tv_sec == 0)
        #expect(Syscalls.lstat(tree + "usr")!.st_mtim.tv_sec == 0)
        // a hit is a hit, and verify finds the tree and blobs intact
        let again = try a.fetch(DebMirror.spec(pins), specPath: "t.toml")
        #expect(!again[0].downloaded && !again[0].unpacked && again[0].treeDigest == first[0].treeDigest)
        #expect(a.verifyDebian(DebMirror.spec(pins)).problems.isEmpty)
    }

    @Test func packagesThatPutDifferentFilesAtOnePathAreRefused() throws {
        let mirror = DebMirror()
        defer { mirror.scratch.remove() }
        let pins = [
            mirror.add("one", [.file("./bin/tool", "one\n", mode: 0o755)]),
            mirror.add("two", [.file("./usr/bin/tool", "two\n", mode: 0o755)]),
        ]
        let cache = ToolchainCache(root: mirror.scratch.path + "/cache")
        cache.debianMirrors = [mirror.url]
        do {
            _ = try cache.fetch(DebMirror.spec(pins), specPath: "t.toml")
            Issue.record("a conflict was accepted")
        } catch {
            #expect(error.kind == .configuration)
            #expect(
                error.message.contains("two has /usr/bin/tool") && error.message.contains("one put there"),
                "\(error.message)")
        }
    }

    /// A member the extractor refuses is named with its package and the toolchain spec whose
    /// lock holds it.
    @Test func aRefusedMemberNamesItsPackageAndSpec() throws {
        let mirror = DebMirror()
        defer { mirror.scratch.remove() }
        let pins = [
            mirror.add("good", [.file("./usr/bin/good", "good\n", mode: 0o755)]),
            mirror.add("evil", [.file("../escape", "x\n")], version: "6.6"),
        ]
        let cache = ToolchainCache(root: mirror.scratch.path + "/cache")
        cache.debianMirrors = [mirror.url]
        do {
            _ = try cache.fetch(DebMirror.spec(pins), specPath: "/specs/t.toml")
            Issue.record("a member with .. was accepted")
        } catch {
            #expect(error.message.hasPrefix("toolchain \"t\" (/specs/t.toml): evil 6.6: "), "\(error.message)")
            #expect(error.message.contains("../escape"), "\(error.message)")
            #expect(error.context.toolchain == "t")
            #expect(error.context.path == "/specs/t.toml")
        }
        #expect(!Syscalls.exists(mirror.scratch.path + "/cache/escape"))
    }

    /// A package whose tree has `./etc` and `./var` as symbolic links to host directories: the
    /// recorded rules (etc/passwd, var/lib/dpkg/status, etc/alternatives) must not write, change
    /// modes or read through them. The assembly is refused and the host directories stay as they were.
    @Test(arguments: ["etc", "var"])
    func aPackageSymlinkCannotLeadTheRecordedRulesOutOfTheTree(top: String) throws {
        let mirror = DebMirror()
        defer { mirror.scratch.remove() }
        let victim = mirror.scratch.path + "/victim"
        _ = Syscalls.mkdirs(victim)
        chmod(victim, 0o700)
        var pins = basePackages(mirror)
        pins.append(mirror.add("evil", [.symlink("./\(top)", victim)]))
        let cache = ToolchainCache(root: mirror.scratch.path + "/cache")
        cache.debianMirrors = [mirror.url]
        do {
            _ = try cache.fetch(DebMirror.spec(pins), specPath: "t.toml")
            Issue.record("a package symlinked /\(top) out of the tree and the assembly went on")
        } catch {
            #expect(error.kind == .verification, "\(error.message)")
            #expect(error.message.contains("something other than a directory at /\(top)"), "\(error.message)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty)
        #expect(Syscalls.lstat(victim)!.st_mode & 0o777 == 0o700)
    }

    @Test func aMirrorServingWrongBytesIsSkippedForTheNextAndNoneIsExitFive() throws {
        let good = DebMirror(), bad = DebMirror()
        defer {
            good.scratch.remove()
            bad.scratch.remove()
        }
        let pins = basePackages(good)
        try FileManager.default.copyItem(atPath: good.root, toPath: bad.root)
        // The bad mirror serves another build of mawk at the pinned path.
        let tampered = bad.add("mawk", [.file("./usr/bin/mawk", "evil\n", mode: 0o755)])
        #expect(tampered.sha256 != pins.first { $0.name == "mawk" }!.sha256)
        var lines = [String]()
        let cache = ToolchainCache(root: good.scratch.path + "/cache")
        cache.debianMirrors = [bad.url, good.url]
        cache.progress = { lines.append($0) }
        let fetched = try cache.fetch(DebMirror.spec(pins), specPath: "t.toml")
        #expect(FileManager.default.contents(atPath: fetched[0].treePath + "usr/bin/mawk") == Data("mawk\n".utf8))
        #expect(lines.contains { $0.hasPrefix("refused \(bad.url)/pool/main/mawk_1_amd64.deb") }, "\(lines)")

        let alone = ToolchainCache(root: good.scratch.path + "/cache-2")
        alone.debianMirrors = [bad.url]
        do {
            _ = try alone.fetch(DebMirror.spec(pins), specPath: "t.toml")
            Issue.record("a tampered .deb was accepted")
        } catch {
            #expect(error.kind == .verification, "\(error.message)")
        }
        #expect(!Syscalls.exists(alone.blobPath(pins.first { $0.name == "mawk" }!.sha256)))
        #expect(Syscalls.exists(alone.blobPath(pins.first { $0.name == "dash" }!.sha256)))
    }

    @Test func mirrorsComeFromOptionsTheEnvironmentAndAptSources() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        scratch.write(
            "etc/sources.list",
            "deb [arch=amd64] http://deb.example/debian bookworm main\ndeb http://other/ubuntu jammy main\n")
        scratch.write(
            "etc/sources.list.d/debian.sources",
            """
            Types: deb
            URIs: http://deb.debian.org/debian-security
            Suites: bookworm-security
            Components: main

            Types: deb
            URIs: http://disabled/debian
            Suites: bookworm
            Enabled: no
            """)
        let sources = DebianMirrors.hostSources(release: "bookworm", etc: scratch.path + "/etc")
        #expect(
            sources == [
                .init(uri: "http://deb.example/debian", suite: "bookworm", components: ["main"]),
                .init(uri: "http://deb.debian.org/debian-security", suite: "bookworm-security", components: ["main"]),
            ])
        let mirrors = try DebianMirrors.resolve(
            explicit: ["file:///srv/debian/"], release: "bookworm",
            environment: [DebianMirrors.variable: "https://a/debian, http://deb.example/debian"],
            etc: scratch.path + "/etc")
        #expect(
            mirrors == [
                "file:///srv/debian", "https://a/debian", "http://deb.example/debian",
                "http://deb.debian.org/debian-security",
            ])
        #expect(throws: ReproError.self) {
            try DebianMirrors.resolve(explicit: ["ftp://x/debian"], release: "bookworm", environment: [:])
        }
    }

    @Test func theBuiltInLockIsTheCommittedFile() throws {
        let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("toolchains/debian-bookworm-build.toml")
        #expect(try String(contentsOf: committed, encoding: .utf8) == BaseToolchainLockText.text)
        let spec = try #require(try BaseToolchainLock.spec(named: "debian-bookworm-build", architecture: "amd64"))
        #expect(spec.packages.contains { $0.name == "build-essential" })
        #expect(try BaseToolchainLock.spec(named: "debian-bookworm-build", architecture: "arm64") == nil)
        #expect(try BaseToolchainLock.spec(named: "other", architecture: "amd64") == nil)
    }

    @Test func aLockIsNeverMadeFromAnIndexWhoseSignatureDoesNotVerify() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        scratch.write(
            "mirror/dists/bookworm/InRelease",
            """
            -----BEGIN PGP SIGNED MESSAGE-----
            Hash: SHA256

            Codename: bookworm
            SHA256:
             \(String(repeating: "0", count: 64)) 10 main/binary-amd64/Packages
            -----BEGIN PGP SIGNATURE-----

            iQIzBAEBCAAdFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
            =AAAA
            -----END PGP SIGNATURE-----
            """)
        scratch.mkdir("etc")
        let cache = ToolchainCache(root: scratch.path + "/cache")
        do {
            _ = try DebianLocker.lock(
                release: "bookworm", include: [], architecture: "amd64",
                explicitMirrors: ["file://" + scratch.path + "/mirror"],
                cache: cache, environment: [:], etc: scratch.path + "/etc")
            Issue.record("an unsigned index was accepted")
        } catch {
            #expect(error.kind == .verification, "\(error.message)")
            #expect(error.message.contains("does not verify"), "\(error.message)")
        }
    }
}
