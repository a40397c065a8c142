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
        let s = Scratch()
        defer { s.remove() }
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
        let s = Scratch()
        defer { s.remove() }
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
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        let wrong = String(repeating: "0", count: 64)
        let cache = ToolchainCache(root: s.path + "/cache")
        do {
            _ = try cache.fetch(spec("file://" + path, wrong), specPath: "toolchains/tc.toml")
            Issue.record("a wrong pin was accepted")
        } catch {
            #expect(error.kind == .verification)
            for part in ["\"tc\"", "toolchains/tc.toml", "file://" + path, sha, wrong] {
                #expect(error.message.contains(part), "\(part) missing from: \(error.message)")
            }
        }
        #expect(s.list("cache/blobs/sha256").isEmpty)
        #expect(s.list("cache/trees").isEmpty)
        #expect(s.list("cache/tmp").isEmpty)
    }

    @Test func verifyNamesAFlippedByteInBlobOrTree() throws {
        let s = Scratch()
        defer { s.remove() }
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
        let s = Scratch()
        defer { s.remove() }
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
        let s = Scratch()
        defer { s.remove() }
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
        let s = Scratch()
        defer { s.remove() }
        let cache = ToolchainCache(root: s.path + "/cache")
        let live = try TempEntry(cache: cache)
        cache.removeStaleTemps()
        #expect(Syscalls.isDirectory(live.path))
        _ = consume live
        #expect(s.list("cache/tmp").isEmpty)
    }

    @Test func unusableCacheDirectoryIsAConfigurationError() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        s.write("not-a-dir", "file")
        let cache = ToolchainCache(root: s.path + "/not-a-dir/cache")
        do {
            _ = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")
            Issue.record("fetched into an unusable cache")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.message.contains("cannot use the cache directory"))
        }
    }

    @Test func fetchesOverLoopbackHTTP() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        let server = try LoopbackServer(serving: path)
        defer { server.stop() }
        let cache = ToolchainCache(root: s.path + "/cache")
        let got = try cache.fetch(spec(server.url("full"), sha), specPath: "tc.toml")[0]
        #expect(got.downloaded)
        #expect(try Hashing.sha256(file: got.blobPath) == sha)
    }

    @Test func downloadCutShortIsAnErrorAndLeavesNothing() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s, files: 200)
        let server = try LoopbackServer(serving: path)
        defer { server.stop() }
        let cache = ToolchainCache(root: s.path + "/cache")
        do {
            _ = try cache.fetch(spec(server.url("short"), sha), specPath: "tc.toml")
            Issue.record("a cut-short download was accepted")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.message.contains("cut short"), "\(error.message)")
        }
        do {
            _ = try cache.fetch(spec(server.url("missing"), sha), specPath: "tc.toml")
            Issue.record("a 404 was accepted")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.message.contains("HTTP status 404"))
        }
        #expect(s.list("cache/blobs/sha256").isEmpty)
        #expect(s.list("cache/trees").isEmpty)
        #expect(s.list("cache/tmp").isEmpty)
    }

    @Test func resolverLooksInProjectThenSearchPathThenInstalled() throws {
        let s = Scratch()
        defer { s.remove() }
        let pin = String(repeating: "c", count: 64)
        func specText(_ name: String, _ description: String) -> String {
            "name = \"\(name)\"\ndescription = \"\(description)\"\n[[source]]\nurl = \"file:///x.tar\"\nsha256 = \"\(pin)\"\n"
        }
        s.write("project/toolchains/a.toml", specText("a", "project"))
        s.write("extra/a.toml", specText("a", "extra"))
        s.write("extra/b.toml", specText("b", "extra"))
        s.write("share/b.toml", specText("b", "installed"))
        s.write("share/c.toml", specText("c", "installed"))
        let resolver = SpecResolver(
            projectDirectory: s.path + "/project", searchPath: [s.path + "/extra"],
            installedDirectory: s.path + "/share")
        #expect(try resolver.resolve("a").spec.description == "project")
        #expect(try resolver.resolve("b").spec.description == "extra")
        #expect(try resolver.resolve("c").path == s.path + "/share/c.toml")
        #expect(try resolver.resolve(s.path + "/extra/a.toml").spec.description == "extra")
        #expect(resolver.allSpecPaths().map(\.name) == ["a", "b", "c"])
        do {
            _ = try resolver.resolve("nope")
            Issue.record("an unknown name resolved")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.message.contains(s.path + "/project/toolchains") && error.message.contains(s.path + "/share"))
        }
    }

    // MARK: bounded downloads

    /// Fetches `spec` into a cache under `s` with the given download limit; returns the error.
    func fetchError(_ spec: ToolchainSpec, in s: Scratch, maxDownload: UInt64? = nil, specPath: String = "tc.toml")
        -> ReproError?
    {
        let cache = ToolchainCache(root: s.path + "/cache")
        cache.maxDownloadBytes = maxDownload
        do {
            _ = try cache.fetch(spec, specPath: specPath)
            return nil
        } catch {
            return error
        }
    }

    /// Nothing was kept: no blob, no tree, an empty temp area.
    func expectNothingCached(_ s: Scratch, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(s.list("cache/blobs/sha256").isEmpty, sourceLocation: sourceLocation)
        #expect(s.list("cache/trees").isEmpty, sourceLocation: sourceLocation)
        #expect(s.list("cache/tmp").isEmpty, sourceLocation: sourceLocation)
    }

    @Test func anEndlessFileIsStoppedAtTheDownloadLimit() throws {
        let s = Scratch()
        defer { s.remove() }
        let pin = String(repeating: "0", count: 64)
        let error = fetchError(spec("file:///dev/zero", pin), in: s, maxDownload: 1 << 20)
        #expect(error?.kind == .configuration)
        #expect(
            error?.message.contains("file:///dev/zero is longer than the download limit of 1048576 bytes") == true,
            "\(error?.message ?? "accepted")")
        #expect(error?.message.contains("--max-download-bytes") == true)
        expectNothingCached(s)
        // With a pinned size, the same source is a pin mismatch, stopped right after that size.
        var pinned = spec("file:///dev/zero", pin)
        pinned.sources[0].size = 4096
        let mismatch = fetchError(pinned, in: s)
        #expect(mismatch?.kind == .verification)
        #expect(mismatch?.message.contains("has more than 4096 bytes") == true, "\(mismatch?.message ?? "accepted")")
        expectNothingCached(s)
    }

    @Test func anEndlessHTTPBodyIsCutOff() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        let server = try LoopbackServer(serving: path)
        defer { server.stop() }
        for name in ["endless", "huge"] {
            let error = fetchError(spec(server.url(name), sha), in: s, maxDownload: 1 << 20)
            #expect(error?.kind == .configuration)
            #expect(
                error?.message.contains("is longer than the download limit of 1048576 bytes") == true,
                "\(name): \(error?.message ?? "accepted")")
            // The server was stopped well before its own bound of 256 MiB.
            let outcome = server.readLine()
            #expect(outcome.hasPrefix("stopped "), "\(name): \(outcome)")
            expectNothingCached(s)
        }
        var pinned = spec(server.url("endless"), sha)
        pinned.sources[0].size = 100
        let endless = fetchError(pinned, in: s)
        #expect(endless?.kind == .verification)
        #expect(endless?.message.contains("has more than 100 bytes") == true)
        #expect(server.readLine().hasPrefix("stopped "))
        expectNothingCached(s)
    }

    @Test func aPinnedSizeMustMatchExactly() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        let length = UInt64(Syscalls.lstat(path)!.st_size)
        var pinned = spec("file://" + path, sha)
        pinned.sources[0].size = length - 1
        let long = fetchError(pinned, in: s)
        #expect(long?.kind == .verification)
        #expect(long?.message.contains("has more than \(length - 1) bytes") == true, "\(long?.message ?? "accepted")")
        #expect(long?.message.contains("pins size \(length - 1)") == true)
        expectNothingCached(s)
        pinned.sources[0].size = length + 1
        let short = fetchError(pinned, in: s)
        #expect(short?.kind == .verification)
        #expect(
            short?.message.contains("has \(length) bytes, but the spec pins size \(length + 1)") == true,
            "\(short?.message ?? "accepted")")
        expectNothingCached(s)
        pinned.sources[0].size = 0
        let empty = fetchError(pinned, in: s)
        #expect(empty?.kind == .verification)
        #expect(empty?.message.contains("has more than 0 bytes") == true)
        // The size may equal the limit, not pass it; then nothing is downloaded at all.
        pinned.sources[0].size = length
        let over = fetchError(pinned, in: s, maxDownload: length - 1)
        #expect(over?.kind == .configuration)
        #expect(
            over?.message.contains("pins size \(length) bytes, more than the download limit of \(length - 1) bytes")
                == true, "\(over?.message ?? "accepted")")
        expectNothingCached(s)
        #expect(fetchError(pinned, in: s, maxDownload: length) == nil)
        // A source without a size may be exactly as long as the limit.
        Syscalls.removeTree(s.path + "/cache")
        #expect(fetchError(spec("file://" + path, sha), in: s, maxDownload: length) == nil)
        Syscalls.removeTree(s.path + "/cache")
        let longer = fetchError(spec("file://" + path, sha), in: s, maxDownload: length - 1)
        #expect(longer?.kind == .configuration)
        #expect(longer?.message.contains("longer than the download limit") == true)
        #expect(fetchError(spec("file://" + path, sha), in: s, maxDownload: .max) == nil)
    }

    @Test func downloadLimitEdges() throws {
        let s = Scratch()
        defer { s.remove() }
        let empty = s.write("empty", "")
        let one = s.write("one", "x")
        func get(_ file: String, _ limit: UInt64) throws -> Fetcher.Download {
            let out = s.path + "/out-\(UUID().uuidString)"
            return try Fetcher.download("file://" + file, to: out, maxBytes: limit)
        }
        let none = try get(empty, 0)
        #expect(!none.exceeded && none.size == 0)
        #expect(none.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try get(one, 0).exceeded)
        #expect(try !get(one, 1).exceeded && get(one, 1).size == 1)
        #expect(try !get(one, .max).exceeded)
        #expect(try !get(one, UInt64(Int.max)).exceeded)
        #expect(try get("/dev/zero", 1).exceeded)
        #expect(try get("/dev/zero", 1).size == 0)  // nothing past the limit is written
    }

    @Test func downloadLimitFromTheEnvironment() throws {
        let name = Fetcher.maxDownloadVariable
        #expect(try Fetcher.maxDownloadBytes(environment: [:]) == 8 << 30)
        #expect(try Fetcher.maxDownloadBytes(environment: [name: ""]) == 8 << 30)
        #expect(try Fetcher.maxDownloadBytes(environment: [name: "0"]) == 0)
        #expect(try Fetcher.maxDownloadBytes(environment: [name: "18446744073709551615"]) == .max)
        for bad in ["18446744073709551616", "-1", "+5", "8G", " 5", "0x10"] {
            do {
                _ = try Fetcher.maxDownloadBytes(environment: [name: bad])
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(error.kind == .configuration)
                #expect(error.message.contains("\(name)=\(bad)"))
            }
        }
    }

    @Test func aCacheHitRemovesStaleTemps() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        let cache = ToolchainCache(root: s.path + "/cache")
        _ = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")
        // What a killed run leaves: a half download and a half tree in temp entries nobody holds.
        s.write("cache/tmp/999999-abcdef/download", "partial")
        s.write("cache/tmp/999998-abcdef/tree/dir/file", "partial")
        chmod(s.path + "/cache/tmp/999998-abcdef/tree/dir", 0o555)
        let live = try TempEntry(cache: cache)
        let hit = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")[0]
        #expect(!hit.downloaded && !hit.unpacked)
        #expect(s.list("cache/tmp") == [(live.path as NSString).lastPathComponent])
        _ = consume live
        #expect(s.list("cache/tmp").isEmpty)
    }

    // MARK: trees nobody else can write

    @Test func theCacheRootIsPrivateAndRecordsAreNotWritableByOthers() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        let root = try CachePaths.resolved(s.path + "/xdg/repro")
        #expect(Syscalls.lstat(s.path + "/xdg")!.st_mode & 0o7777 == 0o700)
        #expect(Syscalls.lstat(root)!.st_mode & 0o7777 == 0o700)
        let cache = ToolchainCache(root: s.path + "/other")
        let got = try cache.fetch(spec("file://" + path, sha), specPath: "tc.toml")[0]
        #expect(Syscalls.lstat(s.path + "/other")!.st_mode & 0o7777 == 0o700)
        #expect(Syscalls.lstat(got.treePath)!.st_mode & 0o7777 == 0o755)
        for suffix in [".json", ".lines"] {
            #expect(Syscalls.lstat(s.path + "/other/trees/\(sha)" + suffix)!.st_mode & 0o022 == 0)
        }
    }

    @Test func aHitDistrustsATreeOthersCouldHaveChanged() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        let cache = ToolchainCache(root: s.path + "/cache")
        let source = spec("file://" + path, sha)
        let first = try cache.fetch(source, specPath: "tc.toml")[0]
        let tree = s.path + "/cache/trees/" + sha, record = tree + ".json"
        let tampers: [(String, () throws -> Void)] = [
            ("tree root mode 0777", { chmod(tree, 0o777) }),
            ("tree root mode 1777", { chmod(tree, 0o1777) }),
            ("tree root g+w", { chmod(tree, 0o775) }),
            ("record mode 0666", { chmod(record, 0o666) }),
            ("record o+w", { chmod(record, 0o646) }),
            ("tree root owned by another user", { chown(tree, 12345, 12345) }),
            ("record owned by another user", { chown(record, 12345, 12345) }),
            (
                "tree root is a symlink",
                {
                    rename(tree, tree + "-moved")
                    Glibc.symlink(tree + "-moved", tree)
                }
            ),
            (
                "record is a symlink",
                {
                    rename(record, record + "-moved")
                    Glibc.symlink(record + "-moved", record)
                }
            ),
            (
                "record of format 1 (trees kept group/other write bits)",
                {
                    let text = try String(contentsOfFile: record, encoding: .utf8).replacingOccurrences(
                        of: "\"format\" : 2", with: "\"format\" : 1")
                    unlink(record)
                    s.write("cache/trees/\(sha).json", text)
                }
            ),
        ]
        for (what, tamper) in tampers {
            s.write("cache/trees/\(sha)/planted", "not from the archive")
            try tamper()
            #expect(cache.cached(source.sources[0]) == nil, "trusted with \(what)")
            let again = try cache.fetch(source, specPath: "tc.toml")[0]
            #expect(again.unpacked, "\(what)")
            #expect(again.treeDigest == first.treeDigest)
            #expect(!Syscalls.exists(again.treePath + "planted"), "\(what)")
            #expect(Syscalls.isDirectory(tree) && Syscalls.lstat(tree)!.st_mode & 0o7777 == 0o755, "\(what)")
            #expect(cache.cached(source.sources[0]) != nil, "\(what)")
            Syscalls.removeTree(tree + "-moved")
            Syscalls.removeTree(record + "-moved")
        }
    }

    // MARK: what a pin mismatch shows

    @Test(.enabled(if: geteuid() == 0, "needs root to give files to another user"))
    func aPinMismatchHidesWhatTheSpecOwnerCannotRead() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        chmod(s.path, 0o755)
        let specFile = s.write("spec.toml", "# the spec's owner is another user\n")
        chown(specFile, 12345, 12345)
        let wrong = String(repeating: "0", count: 64)
        func message(size: UInt64? = nil) -> String {
            var pinned = spec("file://" + path, wrong)
            pinned.sources[0].size = size
            let error = fetchError(pinned, in: s, specPath: specFile)
            #expect(error?.kind == .verification)
            #expect(s.list("cache/tmp").isEmpty)
            return error?.message ?? ""
        }
        let length = UInt64(Syscalls.lstat(path)!.st_size)
        chmod(path, 0o600)  // root's own file
        var text = message()
        #expect(!text.contains(sha) && text.contains("not shown") && text.contains(wrong), "\(text)")
        text = message(size: length + 1)
        #expect(!text.contains("\(length) bytes") && text.contains("another length"), "\(text)")
        chmod(path, 0o644)  // everybody's
        #expect(message().contains("has SHA-256 \(sha)"))
        #expect(message(size: length + 1).contains("has \(length) bytes"))
        chmod(s.path, 0o700)  // ... but in a directory only root can enter
        #expect(!message().contains(sha))
        chmod(s.path, 0o711)
        chown(path, 12345, 12345)
        chmod(path, 0o600)  // the spec owner's own file
        #expect(message().contains("has SHA-256 \(sha)"))
        chown(specFile, 0, 0)  // root's spec, run by root
        chown(path, 0, 0)
        #expect(message().contains("has SHA-256 \(sha)"))
    }
}
