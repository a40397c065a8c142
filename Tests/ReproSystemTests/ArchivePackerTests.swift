import Foundation
import Testing
import ReproCore
@testable import ReproSystem
#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ArchivePackerTests {
    /// A small tree with files, an executable, a symlink, an empty dir and a name with a space.
    func makeTree(_ s: Scratch, at dir: String, reverse: Bool, mtime: Int, owner: uid_t?, fileMode: mode_t) {
        var steps: [() -> Void] = [
            { s.write("\(dir)/bin/tool", "#!/bin/sh\necho tool\n", mode: 0o755) },
            { s.write("\(dir)/lib/data file.txt", String(repeating: "data ", count: 5000), mode: fileMode) },
            { s.write("\(dir)/lib/z", "z", mode: fileMode) },
            { s.symlink("\(dir)/bin/link", to: "../lib/z") },
            { s.mkdir("\(dir)/empty") },
        ]
        if reverse { steps.reverse() }
        for step in steps { step() }
        let root = s.path + "/" + dir
        for entry in try! TreeWalker.walk(root).entries {
            var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
            utimensat(AT_FDCWD, root + "/" + entry.path, &times, AT_SYMLINK_NOFOLLOW)
            if let owner { lchown(root + "/" + entry.path, owner, owner) }
        }
    }

    @Test(arguments: [".tar", ".tar.gz", ".tar.zst", ".tar.xz"])
    func sameTreeGivesSameBytes(_ suffix: String) throws {
        let s = Scratch()
        defer { s.remove() }
        makeTree(s, at: "a", reverse: false, mtime: 1_000, owner: nil, fileMode: 0o644)
        makeTree(s, at: "b", reverse: true, mtime: 2_000_000, owner: getuid() == 0 ? 4321 : nil, fileMode: 0o600)
        let first = try Packer.pack(directory: s.path + "/a", to: s.path + "/1" + suffix, mtime: 7)
        let again = try Packer.pack(directory: s.path + "/a", to: s.path + "/2" + suffix, mtime: 7)
        let copy = try Packer.pack(directory: s.path + "/b", to: s.path + "/3" + suffix, mtime: 7)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: s.path + "/1" + suffix))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: s.path + "/2" + suffix))))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: s.path + "/3" + suffix))))
        #expect(first.sha256 == again.sha256 && first.sha256 == copy.sha256)
        #expect(first.sha256 == (try Hashing.sha256(file: s.path + "/1" + suffix)))
        #expect(first.tree.digest == copy.tree.digest)
        // A different mtime gives different bytes: the option is really used.
        let other = try Packer.pack(directory: s.path + "/a", to: s.path + "/4" + suffix, mtime: 8)
        #expect(other.sha256 != first.sha256)
    }

    @Test func headersAreSortedAndAnonymous() throws {
        let s = Scratch()
        defer { s.remove() }
        makeTree(s, at: "a", reverse: true, mtime: 99, owner: getuid() == 0 ? 4321 : nil, fileMode: 0o600)
        _ = try Packer.pack(directory: s.path + "/a", to: s.path + "/out.tar.gz", mtime: 1_234_567)
        let headers = readHeaders(s.path + "/out.tar.gz")
        #expect(
            headers.map(\.path) == ["bin/", "bin/link", "bin/tool", "empty/", "lib/", "lib/data file.txt", "lib/z"])
        for h in headers {
            #expect(h.uid == 0 && h.gid == 0 && (h.uname ?? "").isEmpty && h.mtime == 1_234_567)
        }
        #expect(headers.first { $0.path == "bin/tool" }!.mode & 0o7777 == 0o755)
        #expect(headers.first { $0.path == "lib/z" }!.mode & 0o7777 == 0o644)
        // gzip header: no FNAME flag (bit 3) and MTIME zero.
        let gz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: s.path + "/out.tar.gz")).prefix(10))
        #expect(gz[0] == 0x1f && gz[1] == 0x8b)
        #expect(gz[3] & 0x08 == 0)
        #expect(gz[4] == 0 && gz[5] == 0 && gz[6] == 0 && gz[7] == 0)
    }

    @Test func packedTreeUnpacksToTheSameDigest() throws {
        let s = Scratch()
        defer { s.remove() }
        makeTree(s, at: "a", reverse: false, mtime: 5, owner: nil, fileMode: 0o644)
        let packed = try Packer.pack(directory: s.path + "/a", to: s.path + "/a.tar.zst")
        s.mkdir("out")
        _ = try ArchiveExtractor.extract(archive: s.path + "/a.tar.zst", into: s.path + "/out")
        #expect(try TreeWalker.walk(s.path + "/out").digest == packed.tree.digest)
    }

    @Test func unknownSuffixAndSpecialFilesAreRefused() throws {
        let s = Scratch()
        defer { s.remove() }
        s.write("a/x", "x")
        #expect(throws: ReproError.self) { try Packer.pack(directory: s.path + "/a", to: s.path + "/a.zip") }
        mkfifo(s.path + "/a/pipe", 0o644)
        do {
            _ = try Packer.pack(directory: s.path + "/a", to: s.path + "/a.tar")
            Issue.record("a fifo was packed")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.message.contains("a/pipe is a fifo"))
        }
        #expect(!Syscalls.exists(s.path + "/a.tar"))
    }
}
