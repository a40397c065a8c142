import Foundation
import Testing
import ReproCore
@testable import ReproSystem
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ToolchainCacheTests {
    /// Packs a small tree and returns the archive path and its pin.
    func archive(_ s: Scratch, files: Int = 3) throws -> (path: String, sha256: String) {
        for i in 0..<files { s.write("src/dir\(i % 2)/file\(i)", "contents \(i)\n", mode: i == 0 ? 0o755 : 0o644) }
        s.symlink("src/link", to: "dir0/file0")
        let packed = try Packer.pack(directory: s.path + "/src", to: s.path + "/tc.tar.gz")
        return (s.path + "/tc.tar.gz", packed.sha256)
    }

    func spec(_ url: String, _ sha: String) -> ToolchainSpec {
        ToolchainSpec(name: "tc", sources: [ToolchainSource(url: url, sha256: sha)])
    }

    @Test func fetchStoresBlobAndTreeByDigest() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s)
        let cache = ToolchainCache(root: s.path + "/cache")
        let got = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")
        #expect(got.count == 1)
        #expect(got[0].blobPath == s.path + "/cache/blobs/sha256/" + sha)
        #expect(got[0].treePath == s.path + "/cache/trees/" + sha + "/")
        #expect(got[0].downloaded && got[0].unpacked)
        #expect(try Hashing.sha256(file: got[0].blobPath) == sha)
        #expect(got[0].treeDigest == (try TreeWalker.walk(s.path + "/src").digest))
        #expect(got[0].treeDigest == (try TreeWalker.walk(got[0].treePath).digest))
        #expect(s.list("cache/tmp").isEmpty)
    }

    @Test func secondFetchIsAHitWithoutSourceOrRewalk() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s)
        let cache = ToolchainCache(root: s.path + "/cache")
        let first = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")[0]
        let inode = Syscalls.lstat(first.treePath)!.st_ino
        unlink(path)  // the source is gone: a hit must not read it
        s.write("cache/trees/\(sha)/dir1/file1", "edited")  // a hit must not walk the tree either
        let second = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")[0]
        #expect(!second.downloaded && !second.unpacked)
        #expect(second.treeDigest == first.treeDigest)
        #expect(Syscalls.lstat(second.treePath)!.st_ino == inode)
        // verify does walk it, and names the file.
        let check = try cache.verify(second.source)
        #expect(check.problems.count == 1)
        #expect(check.problems[0].contains("/trees/\(sha)/dir1/file1: changed"))
    }

    @Test func pinMismatchLeavesNothing() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s)
        let wrong = String(repeating: "0", count: 64)
        let cache = ToolchainCache(root: s.path + "/cache")
        do {
            _ = try cache.fetch(spec("file://" + path, wrong), specPath: "toolchains/tc.toml")
            Issue.record("a wrong pin was accepted")
        } catch {
            #expect(error.status == .verificationFailed)
            for part in ["\"tc\"", "toolchains/tc.toml", "file://" + path, sha, wrong] {
                #expect(error.message.contains(part), "\(part) missing from: \(error.message)")
            }
        }
        #expect(s.list("cache/blobs/sha256").isEmpty)
        #expect(s.list("cache/trees").isEmpty)
        #expect(s.list("cache/tmp").isEmpty)
    }

    @Test func verifyNamesAFlippedByteInBlobOrTree() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s)
        let cache = ToolchainCache(root: s.path + "/cache")
        let got = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")[0]
        #expect(try cache.verify(got.source).problems.isEmpty)
        #expect(try cache.verifyAll().allSatisfy { $0.problems.isEmpty })

        func flip(_ file: String) throws {
            chmod(file, 0o644)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: file))
        }
        try flip(got.blobPath)
        var problems = try cache.verify(got.source).problems
        #expect(problems.count == 1 && problems[0].contains(got.blobPath))
        #expect(try cache.verifyAll().flatMap(\.problems).contains { $0.contains(got.blobPath) })

        try flip(got.treePath + "dir0/file2")
        problems = try cache.verify(got.source).problems
        #expect(problems.count == 2)
        #expect(problems.contains { $0.contains("/trees/\(sha)/dir0/file2: changed") })
    }

    @Test func staleTempsAndUnrecordedTreesAreNotTrusted() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s)
        // What a kill -9 mid-unpack leaves: a temp dir nobody holds, and a tree renamed without its record.
        s.write("cache/tmp/999999-abcdef/tree/half-written", "partial")
        s.write("cache/trees/\(sha)/planted", "not from the archive")
        let cache = ToolchainCache(root: s.path + "/cache")
        #expect(cache.cached(spec("file://" + path, sha).sources[0]) == nil)
        let got = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")[0]
        #expect(got.unpacked)
        #expect(!Syscalls.exists(got.treePath + "planted"))
        #expect(s.list("cache/tmp").isEmpty)
    }

    @Test func aCorruptedBlobIsNotUnpacked() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s)
        let cache = ToolchainCache(root: s.path + "/cache")
        let first = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")[0]
        Syscalls.removeTree(first.treePath)
        chmod(first.blobPath, 0o644)
        try Data("not the archive".utf8).write(to: URL(fileURLWithPath: first.blobPath))
        let again = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")[0]
        #expect(again.downloaded && again.unpacked)
        #expect(again.treeDigest == first.treeDigest)
        #expect(try Hashing.sha256(file: again.blobPath) == sha)
    }

    @Test func liveTempsAreNotRemoved() throws {
        let s = Scratch(); defer { s.remove() }
        let cache = ToolchainCache(root: s.path + "/cache")
        let live = try TempEntry(cache: cache)
        cache.removeStaleTemps()
        #expect(Syscalls.isDirectory(live.path))
        _ = consume live
        #expect(s.list("cache/tmp").isEmpty)
    }

    @Test func unusableCacheDirectoryIsAConfigurationError() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s)
        s.write("not-a-dir", "file")
        let cache = ToolchainCache(root: s.path + "/not-a-dir/cache")
        do {
            _ = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")
            Issue.record("fetched into an unusable cache")
        } catch {
            #expect(error.status == .configuration)
            #expect(error.message.contains("cannot use the cache directory"))
        }
    }

    @Test func fetchesOverLoopbackHTTP() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s)
        let server = try LoopbackServer(serving: path)
        defer { server.stop() }
        let cache = ToolchainCache(root: s.path + "/cache")
        let got = try cache.fetch(spec(server.url("full"), sha), specPath: "tc.toml")[0]
        #expect(got.downloaded)
        #expect(try Hashing.sha256(file: got.blobPath) == sha)
    }

    @Test func downloadCutShortIsAnErrorAndLeavesNothing() throws {
        let s = Scratch(); defer { s.remove() }
        let (path, sha) = try archive(s, files: 200)
        let server = try LoopbackServer(serving: path)
        defer { server.stop() }
        let cache = ToolchainCache(root: s.path + "/cache")
        do {
            _ = try cache.fetch(spec(server.url("short"), sha), specPath: "tc.toml")
            Issue.record("a cut-short download was accepted")
        } catch {
            #expect(error.status == .configuration)
            #expect(error.message.contains("cut short"), "\(error.message)")
        }
        do {
            _ = try cache.fetch(spec(server.url("missing"), sha), specPath: "tc.toml")
            Issue.record("a 404 was accepted")
        } catch {
            #expect(error.message.contains("HTTP status 404"))
        }
        #expect(s.list("cache/blobs/sha256").isEmpty)
        #expect(s.list("cache/trees").isEmpty)
        #expect(s.list("cache/tmp").isEmpty)
    }

    @Test func resolverLooksInProjectThenSearchPathThenInstalled() throws {
        let s = Scratch(); defer { s.remove() }
        let pin = String(repeating: "c", count: 64)
        func specText(_ name: String, _ description: String) -> String {
            "name = \"\(name)\"\ndescription = \"\(description)\"\n[[source]]\nurl = \"file:///x.tar\"\nsha256 = \"\(pin)\"\n"
        }
        s.write("project/toolchains/a.toml", specText("a", "project"))
        s.write("extra/a.toml", specText("a", "extra"))
        s.write("extra/b.toml", specText("b", "extra"))
        s.write("share/b.toml", specText("b", "installed"))
        s.write("share/c.toml", specText("c", "installed"))
        let resolver = SpecResolver(projectDirectory: s.path + "/project", searchPath: [s.path + "/extra"], installedDirectory: s.path + "/share")
        #expect(try resolver.resolve("a").spec.description == "project")
        #expect(try resolver.resolve("b").spec.description == "extra")
        #expect(try resolver.resolve("c").path == s.path + "/share/c.toml")
        #expect(try resolver.resolve(s.path + "/extra/a.toml").spec.description == "extra")
        #expect(resolver.allSpecPaths().map(\.name) == ["a", "b", "c"])
        do {
            _ = try resolver.resolve("nope")
            Issue.record("an unknown name resolved")
        } catch {
            #expect(error.status == .configuration)
            #expect(error.message.contains(s.path + "/project/toolchains") && error.message.contains(s.path + "/share"))
        }
    }
}
