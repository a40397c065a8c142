import Foundation
import Testing
import ReproCore
@testable import ReproSystem

@Suite struct MirrorTests {
    func archive(_ s: Scratch) throws -> (path: String, sha256: String) {
        s.write("src/bin/tool", "#!/bin/sh\necho tool\n", mode: 0o755)
        let packed = try Packer.pack(directory: s.path + "/src", to: s.path + "/tc.tar.gz")
        return (s.path + "/tc.tar.gz", packed.sha256)
    }

    func spec(_ url: String, _ sha: String) -> ToolchainSpec {
        ToolchainSpec(name: "tc", sources: [ToolchainSource(url: url, sha256: sha)])
    }

    @Test func aSourceWhoseURLIsGoneIsFetchedFromAMirrorInTheCacheLayout() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        // Another cache's blobs/ is a mirror.
        let first = ToolchainCache(root: s.path + "/cache-a")
        _ = try first.fetch(spec("file://" + path, sha), specPath: "tc.toml")
        try FileManager.default.removeItem(atPath: path)
        let second = ToolchainCache(root: s.path + "/cache-b")
        second.mirrors = ["file://" + s.path + "/cache-a/blobs"]
        let got = try second.fetch(spec("file://" + path, sha), specPath: "tc.toml")
        #expect(got[0].downloaded)
        #expect(try Hashing.sha256(file: got[0].blobPath) == sha)
        // Without the mirror the URL alone fails as before: an input error naming it.
        let third = ToolchainCache(root: s.path + "/cache-c")
        #expect(throws: ReproError.self) { try third.fetch(spec("file://" + path, sha), specPath: "tc.toml") }
        do {
            _ = try third.fetch(spec("file://" + path, sha), specPath: "tc.toml")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.message.contains("tc.tar.gz"))
        }
    }

    @Test func theSpecURLComesBeforeTheMirrorsAndWrongBytesMoveOnToTheNext() throws {
        let s = Scratch()
        defer { s.remove() }
        let (path, sha) = try archive(s)
        s.write("bad/sha256/" + sha, "not the archive")
        let cacheA = ToolchainCache(root: s.path + "/cache-a")
        let exported = try Mirrors.export(
            try cacheA.fetch(spec("file://" + path, sha), specPath: "tc.toml"),
            to: s.path + "/good", blobs: { cacheA.blobPath($0) })
        #expect(exported == [s.path + "/good/sha256/" + sha])
        var lines: [String] = []
        let cache = ToolchainCache(root: s.path + "/cache-b")
        cache.progress = { lines.append($0) }
        cache.mirrors = ["file://" + s.path + "/bad", "file://" + s.path + "/good"]
        _ = try cache.fetch(spec("file:///nonexistent/tc.tar.gz", sha), specPath: "tc.toml")
        let downloads = lines.filter { $0.hasPrefix("downloading ") }
        #expect(
            downloads == [
                "downloading file:///nonexistent/tc.tar.gz", "downloading file://\(s.path)/bad/sha256/\(sha)",
                "downloading file://\(s.path)/good/sha256/\(sha)",
            ])
        #expect(lines.contains { $0.contains("pin mismatch") && $0.contains("/bad/sha256/") })

        // A spec URL that works is used, the mirrors never asked.
        lines = []
        let direct = ToolchainCache(root: s.path + "/cache-c")
        direct.progress = { lines.append($0) }
        direct.mirrors = ["file://" + s.path + "/bad"]
        _ = try direct.fetch(spec("file://" + path, sha), specPath: "tc.toml")
        #expect(lines.filter { $0.hasPrefix("downloading ") } == ["downloading file://\(path)"])
    }

    @Test func onlyWrongBytesEverywhereIsAPinMismatchAndNothingIsCached() throws {
        let s = Scratch()
        defer { s.remove() }
        let (_, sha) = try archive(s)
        s.write("bad/sha256/" + sha, "not the archive")
        let cache = ToolchainCache(root: s.path + "/cache")
        cache.mirrors = ["file://" + s.path + "/bad"]
        do {
            _ = try cache.fetch(spec("file:///nonexistent/tc.tar.gz", sha), specPath: "tc.toml")
            Issue.record("a fetch with no good location succeeded")
        } catch {
            #expect(error.kind == .verification)
            #expect(error.message.contains("no location served the archive"))
            #expect(error.message.contains("/nonexistent/tc.tar.gz"))
        }
        #expect(s.list("cache/blobs/sha256").isEmpty)
    }

    @Test func mirrorsComeFromOptionsThenTheEnvironmentChecked() throws {
        let env = ["REPRO_MIRRORS": "https://m1.example/r/, file:///srv/m2\nhttps://m1.example/r"]
        #expect(
            try Mirrors.configured(options: ["http://127.0.0.1:8000/"], environment: env)
                == ["http://127.0.0.1:8000", "https://m1.example/r", "file:///srv/m2"])
        #expect(try Mirrors.configured(options: [], environment: [:]) == [])
        for bad in ["http://mirror.example/r", "ftp://x/y", "relative/dir", "https://m.example/r?x=1"] {
            #expect(throws: ReproError.self) { try Mirrors.configured(options: [bad], environment: [:]) }
        }
        #expect(Mirrors.blobURL(base: "https://m.example", sha256: "ab") == "https://m.example/sha256/ab")
    }
}

@Suite struct SourceOriginTests {
    @Test func remotesBecomeURLs() throws {
        #expect(
            try SourceOrigin.normalizedRemote("https://example.com/p.git", top: "/w") == "https://example.com/p.git")
        #expect(
            try SourceOrigin.normalizedRemote("git@github.com:o/p.git", top: "/w") == "ssh://git@github.com/o/p.git")
        #expect(try SourceOrigin.normalizedRemote("/srv/git/p.git", top: "/w") == "file:///srv/git/p.git")
        #expect(try SourceOrigin.normalizedRemote("../p.git", top: "/w/src") == "file:///w/p.git")
        #expect(throws: ReproError.self) { try SourceOrigin.normalizedRemote("has space", top: "/w") }
        #expect(throws: ReproError.self) { try SourceOrigin.normalizedRemote("", top: "/w") }
    }

    @Test func aGitURIParsesBackIntoItsParts() {
        let commit = String(repeating: "ab", count: 20)
        let uri = SourceOrigin.uri(remote: "ssh://git@host/o/p.git", commit: commit, subdirectory: "sub dir/x")
        #expect(uri == "git+ssh://git@host/o/p.git@\(commit)#sub%20dir/x")
        let parsed = SourceOrigin.parse(uri)
        #expect(
            parsed?.remote == "ssh://git@host/o/p.git" && parsed?.commit == commit
                && parsed?.subdirectory == "sub dir/x")
        #expect(SourceOrigin.parse("git+file:///r@\(commit)")?.subdirectory == "")
        #expect(SourceOrigin.parse("file:///r") == nil)
        #expect(SourceOrigin.parse("git+file:///r@notacommit") == nil)
        #expect(SourceOrigin.parse("git+file:///r@\(commit)#../escape") == nil)
        #expect(SourceOrigin.parse("git+file:///r@\(commit)#/abs") == nil)
    }
}
