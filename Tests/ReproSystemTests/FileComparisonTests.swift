import Foundation
import Testing
import ReproCore
@testable import ReproSystem

/// Two versions of a file as the check compares them after two runs.
private struct Pair {
    let scratch = Scratch()
    var a: String { scratch.path + "/a" }
    var b: String { scratch.path + "/b" }

    func write(_ x: [UInt8], _ y: [UInt8]) {
        _ = FileManager.default.createFile(atPath: a, contents: Data(x))
        _ = FileManager.default.createFile(atPath: b, contents: Data(y))
    }
}

private let now: Int64 = 1_790_000_000
private let large = FileComparison.wholeFileLimit + (4 << 20)

private func put(_ text: String, into bytes: inout [UInt8], at offset: Int) {
    bytes.replaceSubrange(offset..<offset + text.utf8.count, with: Array(text.utf8))
}

/// An ELF header and a GNU build-id note whose 20-byte id differs between the two versions.
private func elfPair(size: Int) -> ([UInt8], [UInt8]) {
    var a = [UInt8](repeating: 0, count: size)
    a.replaceSubrange(0..<4, with: [0x7f, 0x45, 0x4c, 0x46])
    a.replaceSubrange(40..<56, with: [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 0x47, 0x4e, 0x55, 0])
    var b = a
    for i in 56..<76 {
        a[i] = UInt8(i)
        b[i] = UInt8(255 - i)
    }
    return (a, b)
}

@Suite struct FileComparisonTests {
    @Test func smallFilesAreExplainedWhole() {
        let pair = Pair()
        defer { pair.scratch.remove() }
        pair.write(Array("b\na\nc\n".utf8), Array("a\nb\nc\n".utf8))
        let found = FileComparison.compare(pair.a, pair.b, now: now)
        #expect(found?.offset == 0)
        #expect(found?.explanation?.hasPrefix("ordering") == true)
    }

    @Test func largeFilesAreComparedInChunksAndExplainedFromAWindow() {
        let pair = Pair()
        defer { pair.scratch.remove() }
        var x = [UInt8](repeating: 0x41, count: large), y = x
        let at = large - (3 << 20) + 12345
        put("built 1790000123", into: &x, at: at - 6)
        put("built 1790000999", into: &y, at: at - 6)
        pair.write(x, y)
        let found = FileComparison.compare(pair.a, pair.b, now: now)
        #expect(found?.offset == Int64(at + 7))
        #expect(found?.explanation?.hasPrefix("timestamp") == true)
    }

    @Test func largeFilesThatOnlyReorderAreNotCalledReordered() {
        // Reordering needs the whole files; a window must not guess it.
        let pair = Pair()
        defer { pair.scratch.remove() }
        let filler = [UInt8](repeating: 0x66, count: large)
        pair.write(Array("line-a\nline-b\n".utf8) + filler, Array("line-b\nline-a\n".utf8) + filler)
        let found = FileComparison.compare(pair.a, pair.b, now: now)
        #expect(found?.offset == 5)
        #expect(found?.explanation?.hasPrefix("ordering") != true)
    }

    @Test func aLargeELFNamesTheNextDifferenceByItsFileOffset() {
        let pair = Pair()
        defer { pair.scratch.remove() }
        var (x, y) = elfPair(size: large)
        put("stamp 1790000123", into: &x, at: 500_000)
        put("stamp 1790000999", into: &y, at: 500_000)
        pair.write(x, y)
        let found = FileComparison.compare(pair.a, pair.b, now: now)
        #expect(found?.offset == 56)
        #expect(found?.explanation?.hasPrefix("ELF build ID differs") == true)
        #expect(found?.explanation?.contains("the next difference, at byte 500013: timestamp") == true)
    }

    @Test func aLargeELFSaysWhenTheNextDifferenceIsBeyondTheWindow() {
        let pair = Pair()
        defer { pair.scratch.remove() }
        var (x, y) = elfPair(size: large)
        x[large - 10] = 1
        pair.write(x, y)
        let found = FileComparison.compare(pair.a, pair.b, now: now)
        #expect(found?.offset == 56)
        #expect(found?.explanation?.contains("no other difference in the") == true)
    }

    @Test func largeFilesDifferingInLengthOnlyDifferAtTheShorterOnesEnd() {
        let pair = Pair()
        defer { pair.scratch.remove() }
        let x = [UInt8](repeating: 7, count: large)
        pair.write(x, x + [1, 2, 3])
        #expect(FileComparison.compare(pair.a, pair.b, now: now)?.offset == Int64(large))
        pair.write(x, x)
        let same = FileComparison.compare(pair.a, pair.b, now: now)
        #expect(same != nil && same?.offset == nil)
    }

    @Test func aSymlinkIsNotFollowed() {
        let pair = Pair()
        defer { pair.scratch.remove() }
        pair.write(Array("x".utf8), Array("y".utf8))
        pair.scratch.symlink("link", to: pair.b)
        #expect(FileComparison.compare(pair.a, pair.scratch.path + "/link", now: now) == nil)
    }
}
