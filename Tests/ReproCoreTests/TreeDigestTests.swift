import Crypto
import Foundation
import Testing
@testable import ReproCore

@Suite struct TreeDigestTests {
    func sha(_ text: String) -> String { TreeDigest.hex(SHA256.hash(data: Data(text.utf8))) }

    @Test func digestIsSHA256OfTheSortedLines() throws {
        let entries: [TreeEntry] = [
            .file("b", contents: Data("B".utf8)),
            .directory("a"),
            .symlink("a/link", target: "../b"),
            .file("a/run", contents: Data("#!".utf8), executable: true),
            .file("a-b", contents: Data()),
        ]
        // "a" < "a-b" < "a/link" < "a/run" < "b" by bytes ('-' is 0x2d, '/' is 0x2f).
        let expected =
            "d - a\n" + "f \(sha("")) a-b\n" + "l \(sha("../b")) a/link\n" + "x \(sha("#!")) a/run\n"
            + "f \(sha("B")) b\n"
        #expect(try TreeDigest.lines(entries) == expected)
        #expect(try TreeDigest.digest(entries) == "t1:" + sha(expected))
        #expect(try TreeDigest.digest(entries.reversed()) == TreeDigest.digest(entries))
    }

    @Test func emptyTreeIsTheHashOfNothing() throws {
        #expect(try TreeDigest.digest([]) == "t1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func everyCoveredPropertyChangesTheDigest() throws {
        let base = try TreeDigest.digest([.file("x", contents: Data("1".utf8))])
        #expect(try TreeDigest.digest([.file("x", contents: Data("2".utf8))]) != base)
        #expect(try TreeDigest.digest([.file("x", contents: Data("1".utf8), executable: true)]) != base)
        #expect(try TreeDigest.digest([.file("y", contents: Data("1".utf8))]) != base)
        #expect(try TreeDigest.digest([.symlink("x", target: "1")]) != base)
        #expect(try TreeDigest.digest([.symlink("x", target: "a")]) != TreeDigest.digest([.symlink("x", target: "b")]))
        #expect(try TreeDigest.digest([.directory("x")]) != base)
    }

    @Test(arguments: ["", "/abs", "a/../b", "a//b", "./a", "new\nline"])
    func badPathsAreRefused(_ path: String) {
        #expect(throws: ReproError.self) { try TreeDigest.digest([.directory(path)]) }
    }

    @Test func duplicatePathsAreRefused() {
        #expect(throws: ReproError.self) { try TreeDigest.digest([.directory("a"), .file("a", contents: Data())]) }
    }

    @Test func differencesNameChangedAddedAndRemovedPaths() throws {
        let old = try TreeDigest.lines([
            .file("keep", contents: Data("k".utf8)), .file("edit", contents: Data("1".utf8)), .directory("gone"),
        ])
        let new = try TreeDigest.lines([
            .file("keep", contents: Data("k".utf8)), .file("edit", contents: Data("2".utf8)),
            .file("new dir/x", contents: Data()),
        ])
        #expect(TreeDigest.differences(recorded: old, actual: new) == ["edit", "gone", "new dir/x"])
    }
}
