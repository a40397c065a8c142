import Foundation
import Testing
@testable import ReproCore

@Suite struct ComparisonTests {
    @Test func changedMissingExtra() {
        let a = [
            TreeEntry(path: "a", kind: .file, size: 1, sha256: "11"),
            TreeEntry(path: "b", kind: .file, size: 2, sha256: "22"),
            TreeEntry(path: "c", kind: .file, size: 3, sha256: "33"),
        ]
        let b = [
            TreeEntry(path: "a", kind: .file, size: 1, sha256: "11"),
            TreeEntry(path: "b", kind: .file, size: 2, sha256: "99"),
            TreeEntry(path: "d", kind: .file, size: 4, sha256: "44"),
        ]
        let d = Comparison.differences(reference: a, other: b, run: 2)
        #expect(d.map(\.path) == ["b", "c", "d"])
        #expect(d.map(\.kind) == [.changed, .missing, .extra])
        #expect(d[1].sizes == [3, nil])
        #expect(d[2].sizes == [nil, 4])
    }

    @Test func identicalTreesHaveNoDifferences() {
        let a = [TreeEntry.symlink("x", target: "y")]
        #expect(Comparison.differences(reference: a, other: a, run: 2).isEmpty)
    }

    @Test func firstDifferenceOffset() {
        #expect(Comparison.firstDifference(Data("hello".utf8), Data("help!".utf8)) == 3)
        #expect(Comparison.firstDifference(Data("abc".utf8), Data("abcd".utf8)) == 3)
        #expect(Comparison.firstDifference(Data("abc".utf8), Data("abc".utf8)) == nil)
    }

    @Test func explainsTimestamps() {
        let now: Int64 = 1_800_000_000
        let a = Data("built at 1799999990123456789\n".utf8), b = Data("built at 1799999995987654321\n".utf8)
        let offset = Int(Comparison.firstDifference(a, b)!)
        #expect(DifferenceExplainer.explain(a, b, offset: offset, now: now)?.hasPrefix("timestamp") == true)
    }

    @Test func explainsOrdering() {
        let a = Data("one\ntwo\nthree\n".utf8), b = Data("three\none\ntwo\n".utf8)
        let offset = Int(Comparison.firstDifference(a, b)!)
        #expect(DifferenceExplainer.explain(a, b, offset: offset, now: 0)?.hasPrefix("ordering") == true)
    }

    @Test func explainsRandomBytes() {
        let a = Data([0x00, 0x01, 0xff, 0x8a, 0x10, 0x99, 0xc3, 0x07, 0xee, 0x42])
        let b = Data([0x00, 0x01, 0x13, 0x02, 0xfe, 0x55, 0x81, 0xd0, 0x1f, 0xa4])
        #expect(DifferenceExplainer.explain(a, b, offset: 2, now: 0)?.hasPrefix("random") == true)
    }

    @Test func explainsRandomHexText() {
        let a = Data("token=3f9a0c77e1b24d5a8c6e0f1b2a3d4c5e\n".utf8),
            b = Data("token=a71be04f9c3d2e1f0a9b8c7d6e5f4a3b\n".utf8)
        let offset = Int(Comparison.firstDifference(a, b)!)
        #expect(DifferenceExplainer.explain(a, b, offset: offset, now: 0)?.hasPrefix("random value") == true)
    }

    @Test func explainsELFBuildID() {
        var a = [UInt8](repeating: 0, count: 128), b = a
        a.replaceSubrange(0..<4, with: [0x7f, 0x45, 0x4c, 0x46])
        b.replaceSubrange(0..<4, with: [0x7f, 0x45, 0x4c, 0x46])
        // namesz=4, descsz=20, type=3, "GNU\0", then the id.
        let header: [UInt8] = [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 0x47, 0x4e, 0x55, 0]
        a.replaceSubrange(40..<56, with: header)
        b.replaceSubrange(40..<56, with: header)
        for i in 56..<76 {
            a[i] = UInt8(i)
            b[i] = UInt8(255 - i)
        }
        #expect(
            DifferenceExplainer.explain(Data(a), Data(b), offset: 56, now: 0)?.hasPrefix("ELF build ID differs") == true
        )
    }

    /// A gzip member's header: magic, deflate, no flags, MTIME (little-endian), XFL, OS (Unix).
    private func gzipHeader(mtime: UInt32) -> [UInt8] {
        [0x1f, 0x8b, 0x08, 0x00] + withUnsafeBytes(of: mtime.littleEndian, Array.init) + [0x00, 0x03]
    }

    @Test func explainsAGzipHeaderTime() {
        let body: [UInt8] = [0x4b, 0x4c, 0x4a, 0x06, 0x00, 0xc2, 0x41, 0x24, 0x35, 0x03, 0x00, 0x00, 0x00]
        let a = gzipHeader(mtime: 1_764_486_193) + body, b = gzipHeader(mtime: 1_764_486_194) + body
        let only = DifferenceExplainer.explain(Data(a), Data(b), offset: 4, now: 0)
        #expect(only?.hasPrefix("timestamp: the gzip header's modification time") == true, "\(only ?? "nil")")
        #expect(only?.hasSuffix("nothing else differs") == true)
        // Python's tarfile: the header's time and the tar headers' times inside both differ.
        var c = b
        c[14] ^= 0x5a
        let both = DifferenceExplainer.explain(Data(a), Data(c + [0x00]), offset: 4, now: 0)
        #expect(both?.contains("gzip header's modification time") == true, "\(both ?? "nil")")
        #expect(
            both?.hasSuffix("the compressed data differs too, from byte 14 (compare the decompressed contents)") == true
        )
        // Not gzip, or a difference outside MTIME: not this explanation.
        var d = a, e = b
        d[0] = 0x1e
        e[0] = 0x1e
        #expect(DifferenceExplainer.explain(Data(d), Data(e), offset: 4, now: 0)?.contains("gzip") != true)
        // The same header time, other compressed data (runs within one second): not random bytes.
        var f = a
        for i in 12..<f.count { f[i] ^= 0xa5 }
        let data = DifferenceExplainer.explain(Data(a), Data(f), offset: 12, now: 0)
        #expect(data?.hasPrefix("compressed data: the gzip-compressed contents differ") == true, "\(data ?? "nil")")
        // With a file name in the header (FNAME, as Python's tarfile writes): the data begins after it.
        let named = [0x1f, 0x8b, 0x08, 0x08] + Array(a[4..<10]) + Array("x.tar".utf8) + [0x00]
        let g = named + body, h = named + body.map { $0 ^ 0xff }
        #expect(
            DifferenceExplainer.explain(Data(g), Data(h), offset: named.count, now: 0)?.hasPrefix("compressed data")
                == true)
    }

    @Test func aWindowIsNotJudgedAsReordered() {
        let a = Data("line b\nline a\n".utf8), b = Data("line a\nline b\n".utf8)
        #expect(DifferenceExplainer.explain(a, b, offset: 5, now: 0)?.hasPrefix("ordering") == true)
        #expect(DifferenceExplainer.explain(a, b, offset: 5, now: 0, base: 4096, complete: false) == nil)
    }

    @Test func aDifferenceJustAfterTheBuildIDIsNotTheBuildID() {
        // The id at 56..<76 differs, and again 20 bytes later: within reach of a search back
        // for the note, which must not take the second difference for the id again.
        var a = [UInt8](repeating: 0, count: 400)
        a.replaceSubrange(0..<4, with: [0x7f, 0x45, 0x4c, 0x46])
        a.replaceSubrange(40..<56, with: [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 0x47, 0x4e, 0x55, 0])
        var b = a
        for i in 56..<76 {
            a[i] = UInt8(i)
            b[i] = UInt8(255 - i)
        }
        a[96] = 1
        let text = DifferenceExplainer.explain(Data(a), Data(b), offset: 56, now: 0)
        #expect(text?.hasPrefix("ELF build ID differs") == true)
        #expect(text?.contains("the next difference, at byte 96") == true, "\(text ?? "nil")")
        #expect(DifferenceExplainer.explain(Data(a), Data(b), offset: 96, now: 0)?.hasPrefix("ELF build ID") != true)
    }

    @Test func plainTextChangeIsNotExplained() {
        let a = Data("version alpha\n".utf8), b = Data("version gamma\n".utf8)
        #expect(DifferenceExplainer.explain(a, b, offset: 8, now: 0) == nil)
    }
}

@Suite struct CheckSummaryTests {
    func report(runs: [CheckReport.Run], verdict: Verdict) -> CheckReport {
        CheckReport(
            reproVersion: "0", verdict: verdict, exitCode: 3, project: "/p", command: ["make"], outputPatterns: [],
            profile: "default",
            source: .init(digest: "t1:00", files: 1, selection: "git", untrackedExcluded: 0, commit: nil),
            toolchains: [], normalization: [:], assumptions: [], runs: runs)
    }

    @Test func aBuildFailingInOneRunOnlyIsCalledNondeterministic() {
        var failed = CheckReport.Run(
            index: 2, exitStatus: 2, timedOut: false, seconds: 1, outputDigest: nil, log: "/p/.repro/logs/run-2.log")
        failed.failure = "the build exited with status 2"
        let ok = CheckReport.Run(index: 1, exitStatus: 0, timedOut: false, seconds: 1, outputDigest: "t1:aa", log: nil)
        let text = report(runs: [ok, failed], verdict: .buildFailed).summary
        #expect(text.hasPrefix("BUILD FAILED in run 2 but not in the others"))
        #expect(text.contains("run 2: the build exited with status 2; full log: /p/.repro/logs/run-2.log"))
    }

    @Test func severalFailedRunsAreCountedInWords() {
        let runs = (1...3).map { index -> CheckReport.Run in
            var run = CheckReport.Run(
                index: index, exitStatus: index == 1 ? 0 : 2, timedOut: false, seconds: 1,
                outputDigest: index == 1 ? "t1:aa" : nil, log: nil)
            if index > 1 { run.failure = "the build exited with status 2" }
            return run
        }
        #expect(
            report(runs: runs, verdict: .buildFailed).summary.hasPrefix(
                "BUILD FAILED in runs 2 and 3 but not in the others: the build itself is not deterministic\n"))
    }

    @Test func aFailureThatEndsWithAFullStopIsNotFollowedBySemicolon() {
        var run = CheckReport.Run(
            index: 1, exitStatus: 0, timedOut: false, seconds: 1, outputDigest: nil, log: "/p/.repro/logs/run-1.log")
        run.failure =
            "the build produced no outputs: it created or changed no file below /build/src. A check certifies outputs."
        let text = report(runs: [run], verdict: .buildFailed).summary
        #expect(
            text.contains(
                "  run 1: the build produced no outputs: it created or changed no file below /build/src. A check certifies outputs. Full log: /p/.repro/logs/run-1.log"
            ), "\(text)")
    }

    @Test func aBuildFailingEverywhereSaysSo() {
        var a = CheckReport.Run(index: 1, exitStatus: 0, timedOut: true, seconds: 1, outputDigest: nil, log: nil)
        a.failure = "stopped by the timeout"
        var b = a
        b.index = 2
        #expect(report(runs: [a, b], verdict: .buildFailed).summary.hasPrefix("BUILD FAILED in every run"))
    }
}
