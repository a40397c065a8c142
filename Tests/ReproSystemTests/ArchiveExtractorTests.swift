import Foundation
import Testing
import ReproCore
@testable import ReproSystem
#if canImport(Glibc)
    import Glibc
#endif

/// Unpacking through the cache: hostile archives are refused, rootfs specials are neutralized.
@Suite struct ArchiveExtractorTests {
    /// Pins `items` as an archive in `scratch`, fetches it into a cache there, and returns the result or the error.
    func fetch(_ items: [ArchiveBuilder.Item], in scratch: Scratch, limits: ExtractLimits = .default, strip: Int = 0)
        throws -> (cache: ToolchainCache, result: Result<[CachedSource], ReproError>)
    {
        let archive = scratch.path + "/in.tar.gz"
        ArchiveBuilder(items).write(to: archive)
        let spec = ToolchainSpec(
            name: "t",
            sources: [
                ToolchainSource(
                    url: "file://" + archive, sha256: try Hashing.sha256(file: archive), stripComponents: strip)
            ])
        let cache = ToolchainCache(root: scratch.path + "/cache")
        cache.limits = limits
        do throws(ReproError) {
            return (cache, .success(try cache.fetch(spec, specPath: "t.toml")))
        } catch {
            return (cache, .failure(error))
        }
    }

    /// Expects a refusal naming `entry`, with no tree and an empty temp area left behind.
    func expectRefused(
        _ items: [ArchiveBuilder.Item], entry: String, in scratch: Scratch, limits: ExtractLimits = .default
    ) throws {
        let (_, result) = try fetch(items, in: scratch, limits: limits)
        guard case .failure(let error) = result else {
            Issue.record("the archive was accepted")
            return
        }
        #expect(error.kind == .configuration)
        #expect(error.message.contains("entry \"\(entry)\""), "\(error.message)")
        #expect(scratch.list("cache/trees").isEmpty)
        #expect(scratch.list("cache/tmp").isEmpty)
    }

    @Test func absolutePathIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        try expectRefused(
            [.file("ok", "x"), .file(s.path + "/outside-abs", "pwned")], entry: s.path + "/outside-abs", in: s)
        #expect(!Syscalls.exists(s.path + "/outside-abs"))
    }

    @Test func dotDotIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        // staging is cache/tmp/X/tree: four levels up is the scratch dir.
        try expectRefused([.file("a/../../../../escaped", "pwned")], entry: "a/../../../../escaped", in: s)
        #expect(!Syscalls.exists(s.path + "/escaped"))
    }

    @Test func writingThroughASymlinkIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        s.mkdir("outside")
        try expectRefused(
            [.symlink("evil", s.path + "/outside"), .file("evil/pwned", "pwned")], entry: "evil/pwned", in: s)
        #expect(s.list("outside").isEmpty)
    }

    @Test func writingThroughARelativeSymlinkIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        try expectRefused(
            [.directory("d"), .symlink("d/up", "../../../../.."), .file("d/up/pwned", "x")], entry: "d/up/pwned", in: s)
        #expect(!Syscalls.exists(s.path + "/pwned"))
    }

    @Test func replacingASymlinkIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        s.mkdir("outside")
        try expectRefused(
            [.symlink("evil", s.path + "/outside"), .directory("evil", mode: 0o777)], entry: "evil/", in: s)
        #expect(Syscalls.lstat(s.path + "/outside")!.st_mode & 0o777 == 0o755)
    }

    @Test func hardlinkToOutsideIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        let victim = s.write("victim", "secret")
        try expectRefused([.hardlink("hl", victim)], entry: "hl", in: s)
        try expectRefused([.hardlink("hl2", "../../../../victim")], entry: "hl2", in: s)
        #expect(Syscalls.lstat(victim)!.st_nlink == 1)
    }

    @Test func hardlinkToASymlinkIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        try expectRefused([.symlink("ln", "/etc/passwd"), .hardlink("hl", "ln")], entry: "hl", in: s)
    }

    @Test func hardlinkInsideTheArchiveWorks() throws {
        let s = Scratch()
        defer { s.remove() }
        let (_, result) = try fetch([.file("a", "same"), .hardlink("b", "a")], in: s)
        let tree = try result.get()[0].treePath
        #expect(try String(contentsOfFile: tree + "b", encoding: .utf8) == "same")
    }

    @Test func tooManyEntriesIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        try expectRefused(
            [.file("1", ""), .file("2", ""), .file("3", ""), .file("4", "")], entry: "4", in: s,
            limits: ExtractLimits(maxEntries: 3, maxBytes: 1 << 30))
    }

    @Test func tooManyBytesIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        try expectRefused(
            [.file("small", String(repeating: "a", count: 60)), .file("big", String(repeating: "b", count: 60))],
            entry: "big", in: s,
            limits: ExtractLimits(maxEntries: 100, maxBytes: 100))
    }

    @Test func devicesFifosAndSetuidAreNeutralizedDeterministically() throws {
        let s = Scratch()
        defer { s.remove() }
        let hostile: [ArchiveBuilder.Item] = [
            .directory("dev"), .device("dev/null", type: S_IFCHR), .device("dev/sda", type: S_IFBLK),
            .device("run-fifo", type: S_IFIFO), .file("usr/bin/su", "su", mode: 0o4755),
            .file("usr/bin/wall", "w", mode: 0o2755),
            .file("etc/owned", "x", mode: 0o640, uid: 4321),
        ]
        let (_, result) = try fetch(hostile, in: s)
        let cached = try result.get()[0]
        #expect(
            cached.neutralized == [
                NeutralizedEntry(path: "dev/null", action: "character device not created"),
                NeutralizedEntry(path: "dev/sda", action: "block device not created"),
                NeutralizedEntry(path: "run-fifo", action: "fifo not created"),
                NeutralizedEntry(path: "usr/bin/su", action: "setuid/setgid bits removed"),
                NeutralizedEntry(path: "usr/bin/wall", action: "setuid/setgid bits removed"),
            ])
        #expect(!Syscalls.exists(cached.treePath + "dev/null"))
        #expect(!Syscalls.exists(cached.treePath + "run-fifo"))
        #expect(Syscalls.lstat(cached.treePath + "usr/bin/su")!.st_mode & 0o7777 == 0o755)
        #expect(Syscalls.lstat(cached.treePath + "usr/bin/wall")!.st_mode & 0o7777 == 0o755)
        let owned = Syscalls.lstat(cached.treePath + "etc/owned")!
        #expect(owned.st_uid == getuid() && owned.st_mode & 0o777 == 0o640)

        // The digest does not depend on what was neutralized: the same tree without the specials.
        let t = Scratch()
        defer { t.remove() }
        let (_, plain) = try fetch(
            [
                .directory("dev"), .file("usr/bin/su", "su", mode: 0o755), .file("usr/bin/wall", "w", mode: 0o755),
                .file("etc/owned", "x", mode: 0o640),
            ], in: t)
        #expect(try plain.get()[0].treeDigest == cached.treeDigest)
        #expect(try TreeWalker.walk(cached.treePath).digest == cached.treeDigest)
    }

    @Test func groupAndOtherWriteBitsAreNotKept() throws {
        let s = Scratch()
        defer { s.remove() }
        let items: [ArchiveBuilder.Item] = [
            .directory("tmp", mode: 0o1777), .directory("open", mode: 0o777), .directory("group", mode: 0o775),
            .file("open/data", "d", mode: 0o666), .file("open/tool", "t", mode: 0o777),
            .file("group/g", "g", mode: 0o664),
            .file("plain", "shared", mode: 0o646), .hardlink("also-plain", "plain", mode: 0o666),
            .directory("kept", mode: 0o750), .file("kept/private", "p", mode: 0o600),
        ]
        let (_, result) = try fetch(items, in: s)
        let cached = try result.get()[0]
        let expected: [String: mode_t] = [
            "": 0o755, "tmp": 0o1755, "open": 0o755, "group": 0o755, "open/data": 0o644, "open/tool": 0o755,
            "group/g": 0o644, "plain": 0o644, "also-plain": 0o644, "kept": 0o750, "kept/private": 0o600,
        ]
        for (path, mode) in expected {
            #expect(Syscalls.lstat(cached.treePath + path)!.st_mode & 0o7777 == mode, "\(path)")
        }
        // The digest covers only the execute bits, which stay: the same tree packed with 0755/0644.
        let t = Scratch()
        defer { t.remove() }
        let (_, plain) = try fetch(
            [
                .directory("tmp"), .directory("open"), .directory("group"), .file("open/data", "d"),
                .file("open/tool", "t", mode: 0o755), .file("group/g", "g"), .file("plain", "shared"),
                .hardlink("also-plain", "plain"), .directory("kept"), .file("kept/private", "p"),
            ], in: t)
        #expect(try plain.get()[0].treeDigest == cached.treeDigest)
        #expect(try TreeWalker.walk(cached.treePath).digest == cached.treeDigest)
    }

    @Test func digestMadeWhileUnpackingEqualsAWalk() throws {
        let s = Scratch()
        defer { s.remove() }
        let items: [ArchiveBuilder.Item] = [
            .file("implicit/parents/file", "p"),
            .file("dup", "first"), .file("dup", "second", mode: 0o755),
            .file("plain", "shared"), .hardlink("exec-link", "plain", mode: 0o755), .file("later", "l"),
            .file("becomes-link", "x"), .symlink("becomes-link", "/usr/bin/env"),
            .directory("d", mode: 0o700), .file("d/inner", "i", mode: 0o600), .directory("empty", mode: 0o555),
        ]
        let archive = s.path + "/in.tar"
        ArchiveBuilder(items).write(to: archive)
        s.mkdir("out")
        let report = try ArchiveExtractor.extract(archive: archive, into: s.path + "/out")
        let walked = try TreeWalker.walk(s.path + "/out")
        #expect(report.tree.lines == walked.lines)
        #expect(report.tree.digest == walked.digest)
        #expect(report.archiveSHA256 == (try Hashing.sha256(file: archive)))
    }

    @Test func stripComponentsDropsLeadingDirectories() throws {
        let s = Scratch()
        defer { s.remove() }
        let (_, result) = try fetch(
            [.directory("go-1.22"), .file("go-1.22/bin/go", "go", mode: 0o755), .file("top", "dropped")], in: s,
            strip: 1)
        let cached = try result.get()[0]
        #expect(cached.treePath.hasSuffix("-strip1/"))
        #expect(try TreeWalker.walk(cached.treePath).entries.map(\.path) == ["bin", "bin/go"])
    }

    @Test func theArchiveDigestCoversBytesTheTarReaderNeverNeeds() throws {
        // A compressed archive whose decompressed stream goes on after the end-of-archive blocks,
        // followed by bytes that are not part of the compressed stream at all: every byte of the
        // file is hashed, and many chunks' worth of data pass between the two threads.
        let s = Scratch()
        defer { s.remove() }
        let archive = s.path + "/in.tar.gz"
        let big = String(repeating: "0123456789abcdef", count: 300_000)  // 4.8 MB, several chunks
        ArchiveBuilder([.file("big", big), .file("small", "s")]).write(to: archive)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: archive))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0, count: 70_000) + Data("trailing".utf8))
        try handle.close()
        s.mkdir("out")
        let report = try ArchiveExtractor.extract(archive: archive, into: s.path + "/out")
        #expect(report.archiveSHA256 == (try Hashing.sha256(file: archive)))
        #expect(try String(contentsOfFile: s.path + "/out/big", encoding: .utf8) == big)
        #expect(report.tree.entries.map(\.path) == ["big", "small"])
    }

    @Test func aCorruptCompressedStreamIsNamedAsSuch() throws {
        // The decompressing thread's failure reaches the message, whether it comes at the very
        // start (nothing decompressed) or later (inside an entry's contents).
        let s = Scratch()
        defer { s.remove() }
        let archive = s.path + "/in.tar.gz"
        ArchiveBuilder([.file("big", String(repeating: "0123456789abcdef", count: 300_000))]).write(to: archive)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive)))
        var flipped = original
        flipped[40] ^= 0xff
        try Data(flipped).write(to: URL(fileURLWithPath: s.path + "/bad.tar.gz"))
        try Data(original.prefix(original.count / 2)).write(to: URL(fileURLWithPath: s.path + "/cut.tar.gz"))
        for (name, expected) in [("bad.tar.gz", "gzip decompression failed"), ("cut.tar.gz", "truncated gzip input")] {
            s.mkdir("out-" + name)
            #expect {
                try ArchiveExtractor.extract(archive: s.path + "/" + name, into: s.path + "/out-" + name)
            } throws: { error in
                (error as? ReproError)?.kind == .configuration
                    && (error as? ReproError)?.message.contains(expected) == true
            }
        }
    }

    @Test func truncatedArchiveIsAnError() throws {
        let s = Scratch()
        defer { s.remove() }
        let archive = s.path + "/full.tar"
        ArchiveBuilder([.file("big", String(repeating: "z", count: 100_000))]).write(to: archive)
        let data = try Data(contentsOf: URL(fileURLWithPath: archive))
        try data.prefix(50_000).write(to: URL(fileURLWithPath: s.path + "/cut.tar"))
        s.mkdir("out")
        #expect(throws: ReproError.self) {
            try ArchiveExtractor.extract(archive: s.path + "/cut.tar", into: s.path + "/out")
        }
    }

    /// A GNU sparse (format 1.0) tar whose map puts 4 bytes at `offset` of a file of `realSize`
    /// bytes, written byte by byte: libarchive's writer makes only well-formed maps.
    static func sparseTar(offset: String, realSize: Int) -> Data {
        func header(_ name: String, size: Int, type: Character) -> Data {
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ at: Int, _ text: String) { for (i, b) in text.utf8.enumerated() { h[at + i] = b } }
            put(0, name)
            put(100, "0000644\0")
            put(108, "0000000\0")
            put(116, "0000000\0")
            put(124, String(format: "%011o\0", size))
            put(136, String(format: "%011o\0", 1_700_000_000))
            put(148, "        ")
            put(156, String(type))
            put(257, "ustar\0")
            put(263, "00")
            put(148, String(format: "%06o\0 ", h.reduce(0) { $0 + Int($1) }))
            return Data(h)
        }
        func padded(_ d: Data) -> Data { d + Data(count: (512 - d.count % 512) % 512) }
        func record(_ key: String, _ value: String) -> String {
            let body = " \(key)=\(value)\n"
            var n = body.utf8.count + 1
            while "\(n)\(body)".utf8.count != n { n += 1 }
            return "\(n)\(body)"
        }
        let pax = Data(
            [
                record("GNU.sparse.major", "1"), record("GNU.sparse.minor", "0"), record("GNU.sparse.name", "big"),
                record("GNU.sparse.realsize", String(realSize)),
            ].joined().utf8)
        let map = padded(Data("1\n\(offset)\n4\n".utf8))
        return header("PaxHeaders/big", size: pax.count, type: "x") + padded(pax)
            + header("GNUSparseFile.0/big", size: map.count + 4, type: "0") + map + padded(Data("abcd".utf8))
            + Data(count: 1024)
    }

    /// A sparse map that puts data far past the entry's declared size is refused at once, never
    /// written or hashed (a terabyte of zeros would keep the unpack busy for hours).
    @Test func aSparseMapPastTheDeclaredSizeIsRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        for (offset, accepted) in [("8", true), ("1020", true), ("1021", false), ("1099511627776", false)] {
            let archive = s.path + "/sparse-\(offset).tar"
            FileManager.default.createFile(atPath: archive, contents: Self.sparseTar(offset: offset, realSize: 1024))
            let spec = ToolchainSpec(
                name: "t",
                sources: [ToolchainSource(url: "file://" + archive, sha256: try Hashing.sha256(file: archive))])
            let cache = ToolchainCache(root: s.path + "/cache-\(offset)")
            do throws(ReproError) {
                let got = try cache.fetch(spec, specPath: "t.toml")[0]
                #expect(accepted, "offset \(offset) was accepted")
                #expect(Syscalls.lstat(got.treePath + "big")?.st_size == 1024)
            } catch {
                #expect(!accepted, "offset \(offset): \(error.message)")
                #expect(error.kind == .configuration)
                #expect(error.message.contains("outside its declared size"), "\(error.message)")
            }
        }
    }

    /// Sparse entries count at their full length against --max-bytes.
    @Test func sparseEntriesCountAtTheirFullLength() throws {
        let s = Scratch()
        defer { s.remove() }
        let archive = s.path + "/sparse.tar"
        FileManager.default.createFile(atPath: archive, contents: Self.sparseTar(offset: "8", realSize: 1 << 20))
        let spec = ToolchainSpec(
            name: "t", sources: [ToolchainSource(url: "file://" + archive, sha256: try Hashing.sha256(file: archive))])
        let cache = ToolchainCache(root: s.path + "/cache")
        cache.limits = ExtractLimits(maxEntries: 10, maxBytes: 1000)
        #expect(throws: ReproError.self) { try cache.fetch(spec, specPath: "t.toml") }
    }
}

/// A refused archive is named by its toolchain, spec file and URL, and the way to raise a limit
/// is one the command has.
@Suite struct RefusedArchiveMessageTests {
    @Test func theRefusalNamesTheToolchainSpecAndURLAndAHintTheCommandHas() throws {
        let s = Scratch()
        defer { s.remove() }
        let archive = s.path + "/in.tar.gz"
        ArchiveBuilder([.file("1", ""), .file("2", "")]).write(to: archive)
        let sha = try Hashing.sha256(file: archive)
        let spec = ToolchainSpec(name: "t", sources: [ToolchainSource(url: "file://" + archive, sha256: sha)])
        for setByOptions in [false, true] {
            let cache = ToolchainCache(root: s.path + "/cache-\(setByOptions)")
            cache.limits = ExtractLimits(maxEntries: 1, maxBytes: 1 << 30, setByOptions: setByOptions)
            do throws(ReproError) {
                _ = try cache.fetch(spec, specPath: "/specs/t.toml")
                Issue.record("the archive was accepted")
            } catch {
                let hint =
                    setByOptions
                    ? "raise it with --max-entries"
                    : "to unpack it, raise the limit once with `repro toolchain fetch --max-entries N SPEC`, then run this command again"
                // A hostile archive is an input error; the cache's blob path alone does not say which
                // toolchain it is, so the fetch adds that, as text and as context.
                #expect(error.kind == .configuration)
                #expect(
                    error.context.toolchain == "t" && error.context.path == "/specs/t.toml"
                        && error.context.url == "file://" + archive)
                #expect(
                    error.message
                        == "toolchain \"t\" (/specs/t.toml), source file://\(archive): the archive \(cache.blobPath(sha)) is refused: entry \"2\" goes past the limit of 1 entry (\(hint)). Nothing from it was kept. Check where the archive comes from, or repack its tree with `repro toolchain pack`."
                )
            }
        }
    }
}
