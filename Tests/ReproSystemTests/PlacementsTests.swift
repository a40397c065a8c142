import Foundation
import Testing
@testable import ReproSystem
import ReproCore

/// An earlier check's output directory, once confirmed by reading it, is trusted later in the
/// same check only while nothing in it changed: every change is seen.
@Suite struct PlacementsTests {
    struct Fixture {
        let cache = makeTemporaryDirectory("placed-cache")
        let placed: String
        let placements: Placements

        init() throws {
            placed = makeTemporaryDirectory("placed") + "/out"
            for (path, text) in ["a.txt": "alpha\n", "sub/b.txt": "beta\n"] {
                let full = placed + "/" + path
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: full, atomically: false, encoding: .utf8)
            }
            placements = Placements(cache: cache)
            try placements.record(placed, digest: try TreeWalker.walk(placed).digest)
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: cache)
            try? FileManager.default.removeItem(atPath: (placed as NSString).deletingLastPathComponent)
        }

        func sh(_ script: String) -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", script]
            p.currentDirectoryURL = URL(fileURLWithPath: placed)
            try? p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
    }

    @Test func anUnchangedDirectoryStillHolds() throws {
        let f = try Fixture()
        defer { f.remove() }
        let verified = try #require(f.placements.verify(f.placed, margin: 0))
        #expect(verified.stamp != nil)
        #expect(f.placements.holds(f.placed, since: verified))
    }

    @Test(
        "a change after the directory was confirmed is seen, whatever it is",
        arguments: [
            // The same length, and the old modification time put back: only the ctime tells.
            "touch -r sub/b.txt ../stamp && printf 'BETA\\n' > sub/b.txt && touch -r ../stamp sub/b.txt",
            "echo extra > c.txt",
            "rm a.txt",
            "mv a.txt z.txt",
            "chmod 755 a.txt",
        ])
    func aChangedDirectoryNoLongerHolds(change: String) throws {
        let f = try Fixture()
        defer { f.remove() }
        let verified = try #require(f.placements.verify(f.placed, margin: 0))
        #expect(f.sh(change) == 0)
        #expect(!f.placements.holds(f.placed, since: verified))
    }

    @Test func entriesChangedWithinTheMarginAreReadAgain() throws {
        let f = try Fixture()
        defer { f.remove() }
        // Just written: within the real margin, so no stamp, and the later answer comes from a read.
        let verified = try #require(f.placements.verify(f.placed))
        #expect(verified.stamp == nil)
        #expect(f.placements.holds(f.placed, since: verified))
        #expect(f.sh("echo changed > a.txt") == 0)
        #expect(!f.placements.holds(f.placed, since: verified))
    }

    @Test func aChangedRecordIsReadAgain() throws {
        let f = try Fixture()
        defer { f.remove() }
        let verified = try #require(f.placements.verify(f.placed, margin: 0))
        try f.placements.record(f.placed, digest: "t1:" + String(repeating: "0", count: 64))
        #expect(!f.placements.holds(f.placed, since: verified))
    }
}

/// Outputs are swapped into place in one step: the destination's name never goes missing.
@Suite struct AtomicPlaceTests {
    @Test func twoDirectoriesAreExchangedInOneStep() throws {
        let root = makeTemporaryDirectory("exchange")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/b", withIntermediateDirectories: true)
        try "old\n".write(toFile: root + "/a/f", atomically: false, encoding: .utf8)
        try "new\n".write(toFile: root + "/b/f", atomically: false, encoding: .utf8)
        guard case .success = Syscalls.exchange(root + "/b", root + "/a") else {
            Issue.record("renameat2(RENAME_EXCHANGE) failed on \(root)")
            return
        }
        #expect(try String(contentsOfFile: root + "/a/f", encoding: .utf8) == "new\n")
        #expect(try String(contentsOfFile: root + "/b/f", encoding: .utf8) == "old\n")
        if case .success = Syscalls.exchange(root + "/missing", root + "/a") {
            Issue.record("exchanged with a missing path")
        }
    }
}

/// Removal never follows a link: a link inside the tree goes, what it points at stays.
@Suite struct RemoveTreeTests {
    @Test func linksAreRemovedNotFollowedAndReadOnlyDirectoriesGo() throws {
        let root = makeTemporaryDirectory("remove-tree")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/outside", withIntermediateDirectories: true)
        try "keep\n".write(toFile: root + "/outside/precious", atomically: false, encoding: .utf8)
        try fm.createDirectory(atPath: root + "/tree/a/b", withIntermediateDirectories: true)
        try "x\n".write(toFile: root + "/tree/a/b/f", atomically: false, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/tree/a/link", withDestinationPath: root + "/outside")
        try fm.createSymbolicLink(atPath: root + "/tree/a/b/filelink", withDestinationPath: root + "/outside/precious")
        chmod(root + "/tree/a/b", 0o500)
        chmod(root + "/tree/a", 0o500)
        Syscalls.removeTree(root + "/tree")
        #expect(!fm.fileExists(atPath: root + "/tree"))
        #expect(try String(contentsOfFile: root + "/outside/precious", encoding: .utf8) == "keep\n")
    }
}
