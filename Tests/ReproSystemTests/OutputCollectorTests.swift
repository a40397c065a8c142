import Foundation
import Testing
@testable import ReproSystem
import ReproCore

private func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

@Suite struct OutputCollectorTests {
    @Test func collectsGlobsAndWholeDirectories() throws {
        let root = makeTemporaryDirectory("build"), out = makeTemporaryDirectory("out") + "/o"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("a", to: root + "/dist/a.tar.gz")
        try write("b", to: root + "/dist/sub/b")
        try write("p", to: root + "/prog")
        try write("c", to: root + "/main.c")
        chmod(root + "/prog", 0o700)
        let copied = try OutputCollector.collect(from: root, selection: .patterns(["dist", "pro?"]), into: out)
        #expect(copied == ["dist/a.tar.gz", "dist/sub/b", "prog"])
        let mode = try FileManager.default.attributesOfItem(atPath: out + "/prog")[.posixPermissions] as! Int
        #expect(mode == 0o755)
        #expect(!FileManager.default.fileExists(atPath: out + "/main.c"))
    }

    @Test func symlinksAreCopiedNeverFollowed() throws {
        let root = makeTemporaryDirectory("build"), out = makeTemporaryDirectory("out") + "/o"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createSymbolicLink(atPath: root + "/dist", withDestinationPath: "/etc")
        let copied = try OutputCollector.collect(from: root, selection: .patterns(["dist"]), into: out)
        #expect(copied == ["dist"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/dist") == "/etc")
        // A pattern below the symlink does not reach through it.
        #expect(throws: ReproError.self) {
            try OutputCollector.collect(
                from: root, selection: .patterns(["dist/passwd"]), into: makeTemporaryDirectory("out") + "/o")
        }
    }

    /// What the check's collection calls a failed build (a fifo among the outputs) is, for
    /// `repro run --copy-out`, a path the user asked for that cannot be copied: an input error,
    /// re-classified explicitly so that the first kind stays known.
    @Test func copyOutOfAFifoIsAnInputError() throws {
        let s = Scratch()
        defer { s.remove() }
        s.write("root/out/a", "a")
        #expect(mkfifo(s.path + "/root/out/pipe", 0o644) == 0)
        let error = #expect(throws: ReproError.self) {
            try OutputCollector.copyOut(root: s.path + "/root", inside: "/out", to: s.path + "/copy")
        }
        #expect(error?.kind == .configuration)
        #expect(error?.wrappedKind == .build)
        #expect(
            error?.message.hasPrefix("--copy-out: /out: the output 'out/pipe' is a device, fifo or socket") == true,
            "\(error?.message ?? "")")
        #expect(!Syscalls.exists(s.path + "/copy"))
    }

    @Test func unmatchedPatternIsABuildFailure() throws {
        let root = makeTemporaryDirectory("build")
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect {
            try OutputCollector.collect(
                from: root, selection: .patterns(["dist"]), into: makeTemporaryDirectory("out") + "/o")
        } throws: { error in
            let e = error as! ReproError
            return e.kind == .build && e.message.contains("'dist'")
        }
    }

    @Test func fifosAreRefused() throws {
        let root = makeTemporaryDirectory("build")
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkfifo(root + "/pipe", 0o644) == 0)
        #expect(throws: ReproError.self) {
            try OutputCollector.collect(
                from: root, selection: .patterns(["*"]), into: makeTemporaryDirectory("out") + "/o")
        }
    }

    @Test func changedFromSnapshotSelectsNewAndModifiedFiles() throws {
        let root = makeTemporaryDirectory("build"), out = makeTemporaryDirectory("out") + "/o"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("same", to: root + "/kept.c")
        try write("new", to: root + "/changed.c")
        try write("obj", to: root + "/sub/new.o")
        let source = [PathKey("kept.c"): try Hashing.sha256(file: root + "/kept.c"), PathKey("changed.c"): "0000"]
        let copied = try OutputCollector.collect(from: root, selection: .changedFrom(source), into: out)
        #expect(copied == ["changed.c", "sub/new.o"])
    }

    @Test func sparseFilesKeepTheirHolesAndTheirBytes() throws {
        let root = makeTemporaryDirectory("build"), out = makeTemporaryDirectory("out") + "/o"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fd = open(root + "/image", O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0)
        // Data at 1 MiB and at the very end, holes elsewhere: 64 MiB long.
        #expect(pwrite(fd, "middle", 6, 1 << 20) == 6)
        #expect(pwrite(fd, "end", 3, (64 << 20) - 3) == 3)
        close(fd)
        try OutputCollector.collect(from: root, selection: .patterns(["image"]), into: out)
        var st = stat()
        #expect(stat(out + "/image", &st) == 0)
        #expect(st.st_size == 64 << 20)
        #expect(Int(st.st_blocks) * 512 < 4 << 20, "not sparse: \(st.st_blocks) blocks")
        #expect(try Hashing.sha256(file: out + "/image") == Hashing.sha256(file: root + "/image"))
    }

    @Test func outputsOverTheLimitAreRefused() throws {
        let root = makeTemporaryDirectory("build")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(String(repeating: "a", count: 600), to: root + "/dist/a")
        try write(String(repeating: "b", count: 400), to: root + "/dist/b")
        let fits = try OutputCollector.collect(
            from: root, selection: .patterns(["dist"]), into: makeTemporaryDirectory("out") + "/o", limit: 1000)
        #expect(fits == ["dist/a", "dist/b"])
        #expect {
            try OutputCollector.collect(
                from: root, selection: .patterns(["dist"]), into: makeTemporaryDirectory("out") + "/o", limit: 999)
        } throws: { error in
            let e = error as! ReproError
            return e.kind == .build && e.message.contains("more than 999 bytes")
                && e.message.contains("limits.tmpfs_bytes")
        }
    }

    /// Zero-byte outputs (stamp files, an empty `__init__.py`) at every limit, the default
    /// `Int.max` among them, and at a limit of exactly the bytes they need.
    @Test(arguments: [Int.max, Int.max - 1, 2, 1, 0])
    func emptyFilesAreCollectedAtEveryLimit(limit: Int) throws {
        let root = makeTemporaryDirectory("build")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("", to: root + "/dist/empty")
        try write("", to: root + "/dist/sub/also-empty")
        let out = makeTemporaryDirectory("out") + "/o"
        let copied = try OutputCollector.collect(from: root, selection: .patterns(["dist"]), into: out, limit: limit)
        #expect(copied == ["dist/empty", "dist/sub/also-empty"])
        #expect(try FileManager.default.attributesOfItem(atPath: out + "/dist/empty")[.size] as? Int == 0)
        // Placing a collected tree copies it with no limit at all.
        let placed = makeTemporaryDirectory("placed") + "/p"
        try OutputCollector.copyTree(from: out, to: placed)
        #expect(FileManager.default.fileExists(atPath: placed + "/dist/sub/also-empty"))
    }

    @Test func aFileOfExactlyTheLimitFitsAndOneByteMoreDoesNot() throws {
        let root = makeTemporaryDirectory("build")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("", to: root + "/dist/empty")
        try write("x", to: root + "/dist/one")
        #expect(
            try OutputCollector.collect(
                from: root, selection: .patterns(["dist"]), into: makeTemporaryDirectory("out") + "/o", limit: 1
            ).count == 2)
        #expect(throws: ReproError.self) {
            try OutputCollector.collect(
                from: root, selection: .patterns(["dist"]), into: makeTemporaryDirectory("out") + "/o", limit: 0)
        }
    }

    @Test func theNextReadNeverOverflows() {
        #expect(OutputCollector.Budget(limit: .max).nextRead(buffer: 4096) == 4096)
        #expect(OutputCollector.Budget(limit: 10).nextRead(buffer: 4096) == 11)
        #expect(OutputCollector.Budget(limit: 0).nextRead(buffer: 4096) == 1)
    }

    /// A name with a byte-order mark in front, or in another Unicode normalization, is a new
    /// output, not the source file whose name Swift would hold equal: it is collected.
    @Test func namesAreComparedByTheirBytes() throws {
        let root = makeTemporaryDirectory("build"), out = makeTemporaryDirectory("out") + "/o"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("orig", to: root + "/x")
        try write("same", to: root + "/caf\u{e9}")
        try write("evil", to: root + "/\u{feff}x")
        try write("same", to: root + "/cafe\u{301}.new")
        let source = [
            PathKey("x"): try Hashing.sha256(file: root + "/x"),
            PathKey("caf\u{e9}"): try Hashing.sha256(file: root + "/caf\u{e9}"),
        ]
        let copied = try OutputCollector.collect(from: root, selection: .changedFrom(source), into: out)
        #expect(copied.map { Array($0.utf8) } == [Array("cafe\u{301}.new".utf8), Array("\u{feff}x".utf8)])
        #expect(FileManager.default.fileExists(atPath: out + "/\u{feff}x"))
        #expect(ExactUTF8.decode([0xEF, 0xBB, 0xBF, 0x61]).map { Array($0.utf8) } == [0xEF, 0xBB, 0xBF, 0x61])
        #expect(ExactUTF8.decode([0xFF]) == nil)
    }

    /// Two names Swift holds equal in one output directory are refused: the collector would visit
    /// one path twice, and a build could swap what is there in between.
    @Test func oneNameInTwoNormalizationsIsRefused() throws {
        let root = makeTemporaryDirectory("build")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("a", to: root + "/out/caf\u{e9}")
        try write("b", to: root + "/out/cafe\u{301}")
        #expect {
            try OutputCollector.collect(
                from: root, selection: .patterns(["out"]), into: makeTemporaryDirectory("out") + "/o")
        } throws: { error in
            (error as! ReproError).kind == .build && (error as! ReproError).message.contains("two entries named")
        }
    }

    @Test func theParentOfAPathIsFoundByBytes() {
        #expect(OutputCollector.parentOf("sub/\u{301}x") == "sub")
        #expect(OutputCollector.parentOf("a/b/c") == "a/b")
        #expect(OutputCollector.parentOf("c") == "")
    }
}
