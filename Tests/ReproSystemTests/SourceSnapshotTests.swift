import Foundation
import Testing
import ReproCore
@testable import ReproSystem

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory(_ label: String = "test") -> String {
    let path = NSTemporaryDirectory() + "repro-\(label)-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

@discardableResult
private func sh(_ script: String, in dir: String) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", script]
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

@Suite struct SourceSnapshotTests {
    @Test func gitSnapshotHoldsTrackedFilesWithTheirChanges() throws {
        let project = makeTemporaryDirectory("proj")
        let staging = makeTemporaryDirectory("stage") + "/snap"
        defer {
            try? FileManager.default.removeItem(atPath: project)
            try? FileManager.default.removeItem(atPath: (staging as NSString).deletingLastPathComponent)
        }
        try write("a\n", to: project + "/src/a.c")
        try write("ignored.o\n", to: project + "/.gitignore")
        try write("#!/bin/sh\n", to: project + "/build.sh")
        chmod(project + "/build.sh", 0o700)
        #expect(
            try sh(
                "git init -q . && git add -A && GIT_COMMITTER_DATE='@1700000000 +0000' git -c user.name=t -c user.email=t@t commit -qm init",
                in: project) == 0)
        try write("changed\n", to: project + "/src/a.c")
        try write("stray\n", to: project + "/stray.txt")
        try write("obj\n", to: project + "/ignored.o")
        try write("old\n", to: project + "/.repro/out/x")

        let snapshot = try SourceSnapshot.take(projectDir: project, into: staging)
        #expect(snapshot.selection == "git")
        #expect(snapshot.paths == [".gitignore", "build.sh", "src/a.c"])
        #expect(snapshot.untrackedExcluded == 1)
        #expect(snapshot.untrackedSample == ["stray.txt"])
        #expect(snapshot.commitTime == 1700000000)
        #expect(snapshot.commit?.count == 40)
        #expect(try String(contentsOfFile: staging + "/src/a.c", encoding: .utf8) == "changed\n")
        let mode = try FileManager.default.attributesOfItem(atPath: staging + "/build.sh")[.posixPermissions] as! Int
        #expect(mode == 0o755)
        #expect(!FileManager.default.fileExists(atPath: staging + "/stray.txt"))
    }

    @Test func directorySnapshotDoesNotFollowSymlinks() throws {
        let project = makeTemporaryDirectory("proj")
        let outside = makeTemporaryDirectory("outside")
        let staging = makeTemporaryDirectory("stage") + "/snap"
        defer {
            for d in [project, outside, (staging as NSString).deletingLastPathComponent] {
                try? FileManager.default.removeItem(atPath: d)
            }
        }
        try write("secret\n", to: outside + "/secret")
        try write("x\n", to: project + "/x")
        try FileManager.default.createSymbolicLink(atPath: project + "/link", withDestinationPath: outside)

        let snapshot = try SourceSnapshot.take(projectDir: project, into: staging)
        #expect(snapshot.selection == "directory")
        #expect(snapshot.paths == ["link", "x"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: staging + "/link") == outside)
        #expect(snapshot.commitTime == nil)
    }
}

/// A git repository made for one test: `a.txt`, `sub/b.txt`, `run.sh` (executable) and a symlink
/// `sub/link`, committed at 1700000000, plus a marker path outside it that nothing may create.
private struct HostileRepo {
    let dir: String
    let outside: String
    var marker: String { outside + "/marker" }
    /// A program that creates the marker, then passes its stdin through (a well-behaved clean
    /// filter, textconv or pager would, and git keeps going).
    var evil: String { outside + "/evil" }

    init() throws {
        dir = makeTemporaryDirectory("hostile")
        outside = makeTemporaryDirectory("outside")
        try write("a\n", to: dir + "/a.txt")
        try write("b\n", to: dir + "/sub/b.txt")
        try write("#!/bin/sh\n", to: dir + "/run.sh")
        chmod(dir + "/run.sh", 0o755)
        try FileManager.default.createSymbolicLink(atPath: dir + "/sub/link", withDestinationPath: "b.txt")
        try write("#!/bin/sh\ntouch '\(outside)/marker'\nexec cat\n", to: evil)
        chmod(evil, 0o755)
        #expect(try sh(Self.commit, in: dir) == 0)
    }

    static let commit =
        "git init -q . && git add -A && GIT_COMMITTER_DATE='@1700000000 +0000' GIT_AUTHOR_DATE='@1700000000 +0000' git -c user.name=t -c user.email=t@t commit -qm init"

    func remove() {
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: outside)
    }
}

/// The scripts of Tests/GitPrograms: each configures a repository so that git would run `$EVIL`.
let gitProgramCases: [String] = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("GitPrograms").path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.hasSuffix(".sh") }.sorted().map { dir + "/" + $0 }
}()

extension SourceSnapshotTests {
    @Test("every case of Tests/GitPrograms is found")
    func gitProgramCasesAreThere() {
        #expect(gitProgramCases.count >= 10)
    }

    @Test("a snapshot runs none of the programs a repository can name", arguments: gitProgramCases)
    func snapshotRunsNoProgramOfTheRepository(_ script: String) throws {
        let name = ((script as NSString).lastPathComponent as NSString).deletingPathExtension
        let repo = try HostileRepo()
        let staging = makeTemporaryDirectory("stage") + "/snap"
        defer {
            repo.remove()
            try? FileManager.default.removeItem(atPath: (staging as NSString).deletingLastPathComponent)
        }
        #expect(
            try sh(
                "export EVIL='\(repo.evil)'; . '\(script)' && touch -d @1000000000 a.txt sub/b.txt run.sh", in: repo.dir
            ) == 0, "\(name): setup failed")
        let snapshot = try SourceSnapshot.take(projectDir: repo.dir, into: staging)
        #expect(
            !FileManager.default.fileExists(atPath: repo.marker),
            "\(name): git ran the repository's program on the host")
        #expect(snapshot.selection == "git")
        #expect(snapshot.paths.contains("a.txt") && snapshot.paths.contains("sub/b.txt"), "\(snapshot.paths)")
        #expect(try String(contentsOfFile: staging + "/a.txt", encoding: .utf8) == "a\n")
    }

    @Test func theSnapshotIsNamedByItsCommitOnlyWhenItHoldsExactlyThatCommitsFiles() throws {
        func uri(_ change: String, project: String = "", sha256: Bool = false) throws -> String {
            let repo = try HostileRepo()
            let staging = makeTemporaryDirectory("stage") + "/snap"
            defer {
                repo.remove()
                try? FileManager.default.removeItem(atPath: (staging as NSString).deletingLastPathComponent)
            }
            if sha256 {
                #expect(
                    try sh(
                        "rm -rf .git && "
                            + HostileRepo.commit.replacingOccurrences(
                                of: "git init -q .", with: "git init -q --object-format=sha256 ."), in: repo.dir) == 0)
            }
            if !change.isEmpty { #expect(try sh(change, in: repo.dir) == 0, "\(change)") }
            let snapshot = try SourceSnapshot.take(projectDir: repo.dir + project, into: staging)
            return snapshot.uri.replacingOccurrences(of: repo.dir, with: "REPO").replacingOccurrences(
                of: snapshot.commit ?? "-", with: "HEAD")
        }
        #expect(try uri("") == "git+file://REPO@HEAD")
        #expect(try uri("", sha256: true) == "git+file://REPO@HEAD")
        #expect(try uri("touch -d @1000000000 a.txt") == "git+file://REPO@HEAD")  // times are not content
        // Untracked files are not in the snapshot.
        #expect(try uri("echo stray > stray.txt && mkdir -p .repro && echo x > .repro/y") == "git+file://REPO@HEAD")
        #expect(try uri("echo b > a.txt") == "file://REPO")
        #expect(try uri("echo b > a.txt", sha256: true) == "file://REPO")
        #expect(try uri("chmod -x run.sh") == "file://REPO")
        #expect(try uri("ln -sf a.txt sub/link") == "file://REPO")
        #expect(try uri("rm a.txt") == "file://REPO")
        #expect(try uri("echo new > new.txt && git add new.txt") == "file://REPO")
        #expect(try uri("git rm -q --cached a.txt") == "file://REPO")
        // A file git would store otherwise than it is checked out (here through a clean filter
        // repro does not run) is not the commit's file.
        #expect(
            try uri("echo 'a.txt filter=up' > .git/info/attributes && git config filter.up.clean 'tr a-z A-Z'")
                == "git+file://REPO@HEAD")
        #expect(
            try uri(
                "git config filter.up.clean 'tr a-z A-Z' && echo 'a.txt filter=up' > .gitattributes && git add .gitattributes && printf 'A\\n' > a.txt && git add a.txt && printf 'a\\n' > a.txt && git -c user.name=t -c user.email=t@t commit -qm f"
            ) == "file://REPO")
        // A project in a subdirectory: only its own files count.
        #expect(try uri("echo b > a.txt", project: "/sub") == "git+file://REPO@HEAD#sub")
        #expect(try uri("echo c > sub/b.txt", project: "/sub") == "file://REPO/sub")
    }
}

/// The previous check's snapshot, kept in the cache, and what a later snapshot takes from it.
@Suite struct SnapshotReuseTests {
    /// A committed project of three files and a symlink, a cache, and a work directory for packs.
    private struct Fixture {
        let project = makeTemporaryDirectory("reuse-proj")
        let cache = makeTemporaryDirectory("reuse-cache")
        var packs = 0

        init() throws {
            try write("alpha\n", to: project + "/a.txt")
            try write("beta\n", to: project + "/sub/b.txt")
            try write("#!/bin/sh\n", to: project + "/run.sh")
            chmod(project + "/run.sh", 0o755)
            try FileManager.default.createSymbolicLink(atPath: project + "/sub/link", withDestinationPath: "b.txt")
            #expect(
                try sh(
                    "git init -q . && git add -A && GIT_COMMITTER_DATE='@1700000000 +0000' git -c user.name=t -c user.email=t@t commit -qm init",
                    in: project) == 0)
        }

        /// A snapshot packed into the cache's file system, reusing what `margin` allows.
        mutating func take(margin: Int64) throws -> SourceSnapshot {
            packs += 1
            var entry = SnapshotCache(cacheRoot: cache, project: project)
            entry.margin = margin
            return try SourceSnapshot.take(projectDir: project, storage: .pack(cache + "/pack-\(packs)"), cache: entry)
        }

        func inode(_ path: String) -> UInt64 {
            var info = stat()
            return lstat(path, &info) == 0 ? UInt64(info.st_ino) : 0
        }

        /// What a snapshot without any cache finds.
        func fresh() throws -> SourceSnapshot {
            try SourceSnapshot.take(projectDir: project, into: makeTemporaryDirectory("reuse-fresh") + "/snap")
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: project)
            try? FileManager.default.removeItem(atPath: cache)
        }
    }

    @Test func anUnchangedSourceIsThePreviousPackNotReadAgain() throws {
        var f = try Fixture()
        defer { f.remove() }
        let first = try f.take(margin: 0)
        let second = try f.take(margin: 0)
        // Linked, not copied: nothing was read on the host or written.
        #expect(f.inode(second.root) == f.inode(first.root))
        #expect(second.listing == first.listing)
        #expect(second.listing == (try f.fresh()).listing)
        #expect(second.uri == first.uri && second.uri.hasPrefix("git+file://"))
        #expect(second.packOffsets == first.packOffsets)
    }

    @Test func filesWrittenInTheSameClockTicksAsTheyWereReadAreReadAgain() throws {
        var f = try Fixture()
        defer { f.remove() }
        let first = try f.take(margin: 0)
        // With the real margin, files changed less than two seconds before the previous snapshot
        // (these were just written) are not trusted to be unchanged.
        let second = try f.take(margin: SnapshotCache.racyMargin)
        #expect(f.inode(second.root) != f.inode(first.root))
        #expect(second.listing == first.listing)
    }

    @Test func aChangedFileIsReadAgainAndTheRestComesFromThePreviousPack() throws {
        var f = try Fixture()
        defer { f.remove() }
        let first = try f.take(margin: 0)
        // The same length, and the old modification time put back: only the ctime tells.
        let stamp = f.cache + "/stamp"
        #expect(
            try sh(
                "touch -r sub/b.txt '\(stamp)' && printf 'BETA\\n' > sub/b.txt && touch -r '\(stamp)' sub/b.txt",
                in: f.project) == 0)
        let second = try f.take(margin: 0)
        let expected = try f.fresh()
        #expect(second.listing == expected.listing)
        #expect(second.listing != first.listing)
        #expect(second.uri == "file://" + SourceSnapshot.percentEncoded(f.project))
        // As Foundation's urlPathAllowed: ":" stays, ";", "#", "?", "%", "[" and spaces are encoded.
        #expect(SourceSnapshot.percentEncoded("/c:o;l é[x]%/p#?") == "/c:o%3Bl%20%C3%A9%5Bx%5D%25/p%23%3F")
        let pack = try Data(contentsOf: URL(fileURLWithPath: second.root))
        for entry in second.listing.entries where entry.kind == .file {
            let offset = Int(second.packOffsets[PathKey(entry.path)]!)
            let bytes = pack[offset..<offset + Int(entry.size)]
            #expect(
                bytes == (try Data(contentsOf: URL(fileURLWithPath: f.project + "/" + entry.path))), "\(entry.path)")
        }
        // Back to the commit's bytes: the snapshot is the commit again.
        #expect(try sh("printf 'beta\\n' > sub/b.txt", in: f.project) == 0)
        let third = try f.take(margin: 0)
        #expect(third.listing == first.listing)
        #expect(third.uri == first.uri)
    }

    @Test func aRemovedOrAddedFileChangesTheSnapshot() throws {
        var f = try Fixture()
        defer { f.remove() }
        _ = try f.take(margin: 0)
        #expect(try sh("git rm -q a.txt && echo new > c.txt && git add c.txt", in: f.project) == 0)
        let second = try f.take(margin: 0)
        #expect(second.listing == (try f.fresh()).listing)
        #expect(second.paths == ["c.txt", "run.sh", "sub/b.txt", "sub/link"])
    }
}
