import Foundation
import Testing
import ReproCore
@testable import ReproSystem
#if canImport(Glibc)
    import Glibc
#endif

/// A real Debian rootfs made by mmdebstrap (device nodes in /dev, setuid binaries) unpacks fine.
///
/// The rootfs is built once per test run (about a minute, from Debian's archive) in the run's temp
/// root (`make test` gives each run a fresh one), or kept at `$REPRO_TEST_ROOTFS` when that is set.
/// Set `REPRO_SKIP_ROOTFS=1` to skip on a machine without access to the Debian archive.
@Suite struct ToolchainRootfsTests {
    static var enabled: Bool {
        ProcessInfo.processInfo.environment["REPRO_SKIP_ROOTFS"] == nil
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/mmdebstrap")
    }

    static var rootfsPath: String {
        ProcessInfo.processInfo.environment["REPRO_TEST_ROOTFS"]
            ?? NSTemporaryDirectory() + "repro-test-rootfs-bookworm-minbase.tar"
    }

    /// Builds the rootfs unless present, under a lock so that parallel test runs build it once.
    func rootfs() throws -> String {
        let path = Self.rootfsPath
        return try FileLock.holding(path + ".lock") { () throws(ReproError) -> String in
            if Syscalls.exists(path) { return path }
            // A run that died midway leaves a partial file or directory: never trust it.
            Syscalls.removeTree(path + ".partial")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/mmdebstrap")
            // mmdebstrap takes the output format from the name's extension, and ".partial" has
            // none it knows (it would make a directory): name the format.
            p.arguments = ["--quiet", "--variant=minbase", "--format=tar", "bookworm", path + ".partial"]
            p.environment = ["SOURCE_DATE_EPOCH": "1700000000", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
            do { try p.run() } catch { throw .configuration("cannot run mmdebstrap: \(error)") }
            p.waitUntilExit()
            guard p.terminationStatus == 0, !Syscalls.isDirectory(path + ".partial"),
                case .success = Syscalls.rename(path + ".partial", path)
            else {
                throw .configuration(
                    "mmdebstrap failed (status \(p.terminationStatus)); set REPRO_SKIP_ROOTFS=1 without access to Debian's archive"
                )
            }
            return path
        }
    }

    @Test(.enabled(if: enabled), .timeLimit(.minutes(15)))
    func mmdebstrapRootfsFetchesAndUnpacks() throws {
        let archive = try rootfs()
        let s = Scratch()
        defer { s.remove() }
        let sha = try Hashing.sha256(file: archive)
        let cache = ToolchainCache(root: s.path + "/cache")
        let spec = ToolchainSpec(name: "bookworm", sources: [ToolchainSource(url: "file://" + archive, sha256: sha)])
        let got = try cache.fetch(spec, specPath: "bookworm.toml")[0]
        #expect(got.neutralized.contains(NeutralizedEntry(path: "dev/null", action: "character device not created")))
        #expect(got.neutralized.contains(NeutralizedEntry(path: "usr/bin/su", action: "setuid/setgid bits removed")))
        #expect(!Syscalls.exists(got.treePath + "dev/null"))
        #expect(Syscalls.lstat(got.treePath + "usr/bin/su")!.st_mode & 0o7777 == 0o755)
        #expect(Syscalls.isDirectory(got.treePath + "usr/lib"))
        #expect(Syscalls.lstat(got.treePath + "tmp")!.st_mode & 0o7777 == 0o1755)  // 1777 in the archive
        #expect(Syscalls.exists(got.treePath + "bin/sh"))
        #expect(try TreeWalker.walk(got.treePath).digest == got.treeDigest)
        #expect(try cache.verify(got.source).problems.isEmpty)
    }
}
