import Foundation
import Testing
import ReproCore
@testable import ReproSystem
#if canImport(Glibc)
    import Glibc
#endif

@Suite struct TreeDigestWalkerTests {
    /// The shell recipe of TreeDigest's doc comment, verbatim.
    static let shellRecipe = """
        find . -mindepth 1 -printf '%P\\n' | LC_ALL=C sort | while IFS= read -r p; do
          if [ -L "$p" ]; then printf 'l %s %s\\n' "$(printf %s "$(readlink -- "$p")" | sha256sum | cut -c1-64)" "$p"
          elif [ -d "$p" ]; then printf 'd - %s\\n' "$p"
          elif [ -n "$(find "$p" -maxdepth 0 -perm /111)" ]; then printf 'x %s %s\\n' "$(sha256sum < "$p" | cut -c1-64)" "$p"
          else printf 'f %s %s\\n' "$(sha256sum < "$p" | cut -c1-64)" "$p"; fi
        done | sha256sum | sed 's/^/t1:/; s/ .*//'
        """

    func shellDigest(_ dir: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", Self.shellRecipe]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Foundation.Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func walkerAgreesWithTheDocumentedShellRecipe() throws {
        let s = Scratch()
        defer { s.remove() }
        s.write("t/a b/c.txt", "hello")
        s.write("t/a-b", "dash")
        s.write("t/run", "#!/bin/sh\n", mode: 0o711)
        s.write("t/grp-exec", "g", mode: 0o610)
        s.write("t/empty", "")
        s.mkdir("t/empty-dir")
        s.symlink("t/abs", to: "/etc/passwd")
        s.symlink("t/dangling", to: "no/such")
        s.symlink("t/dirlink", to: "a b")
        s.write("t/ünïcode", "u")
        let listing = try TreeWalker.walk(s.path + "/t")
        #expect(listing.digest.hasPrefix("t1:"))
        #expect(listing.digest == (try shellDigest(s.path + "/t")))
        #expect(
            listing.entries.map(\.path) == [
                "a b", "a b/c.txt", "a-b", "abs", "dangling", "dirlink", "empty", "empty-dir", "grp-exec", "run",
                "ünïcode",
            ])
        #expect(listing.entries.first { $0.path == "grp-exec" }?.executable == true)
        #expect(listing.entries.first { $0.path == "dirlink" }?.target == "a b")
    }

    @Test func symlinksAreNotFollowed() throws {
        let s = Scratch()
        defer { s.remove() }
        s.write("outside/secret", "s")
        s.symlink("t/out", to: s.path + "/outside")
        let listing = try TreeWalker.walk(s.path + "/t")
        #expect(listing.entries.map(\.path) == ["out"])
        #expect(listing.entries[0].kind == .symlink)
    }

    @Test func specialFilesAreErrorsNamingThePath() throws {
        let s = Scratch()
        defer { s.remove() }
        s.write("t/ok", "x")
        mkfifo(s.path + "/t/fifo", 0o644)
        do {
            _ = try TreeWalker.walk(s.path + "/t")
            Issue.record("a fifo was accepted")
        } catch {
            #expect(error.message.contains("t/fifo is a fifo"))
            #expect(error.kind == .configuration)
        }
    }

    @Test func explicitEntryListsDigestLikeWalkedTrees() throws {
        let s = Scratch()
        defer { s.remove() }
        s.write("t/x", "1", mode: 0o755)
        s.symlink("t/y", to: "x")
        let explicit = try TreeWalker.listing(of: [
            .symlink("y", target: "x"), .file("x", contents: Data("1".utf8), executable: true),
        ])
        #expect(explicit.digest == (try TreeWalker.walk(s.path + "/t").digest))
        #expect(explicit.entries.map(\.path) == ["x", "y"])
    }

    @Test func changesChangeTheDigest() throws {
        let s = Scratch()
        defer { s.remove() }
        let file = s.write("t/x", "1")
        let before = try TreeWalker.walk(s.path + "/t").digest
        chmod(file, 0o744)
        let afterChmod = try TreeWalker.walk(s.path + "/t").digest
        #expect(afterChmod != before)
        s.write("t/x", "2", mode: 0o744)
        #expect(try TreeWalker.walk(s.path + "/t").digest != afterChmod)
    }
}
