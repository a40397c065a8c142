import Foundation
import Testing
@testable import ReproCore

@Suite struct DiffCoreTests {
    let setting = DiffSetting(now: 1_790_000_000, sourceDateEpoch: 1_700_000_000, buildPaths: ["/build/src"])

    @Test func gzipHeaderFieldsAreRead() {
        var a: [UInt8] = [0x1f, 0x8b, 8, 0x08, 0x10, 0x27, 0, 0, 0, 3] + Array("x.tar".utf8) + [0, 1, 2]
        let ha = GzipHeader.parse(a)
        #expect(ha?.mtime == 10_000 && ha?.name == Array("x.tar".utf8) && ha?.os == 3)
        var b = a
        b[4] = 0
        let found = GzipHeader.findings(ha!, GzipHeader.parse(b)!, location: ["f"], setting: setting)
        #expect(found.map(\.aspect) == ["gzip header mtime"])
        // A name without its terminating NUL is a cut header, not a read past the end.
        a = Array(a.prefix(13))
        #expect(GzipHeader.parse(a) == nil)
        #expect(GzipHeader.parse([0x1f, 0x8b]) == nil)
    }

    @Test func pycHeaderModes() {
        let stamp: [UInt8] = [0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0]
        let hashed: [UInt8] = [0xa7, 0x0d, 0x0d, 0x0a, 1, 0, 0, 0] + [UInt8](repeating: 7, count: 8)
        #expect(PycHeader.parse(stamp, name: "m.pyc")?.mtime == 1)
        #expect(PycHeader.parse(hashed, name: "m.pyc")?.mtime == nil)
        #expect(PycHeader.parse(stamp, name: "m.py") == nil)
        let found = PycHeader.findings(
            PycHeader.parse(stamp, name: "a.pyc")!, PycHeader.parse(hashed, name: "a.pyc")!, location: ["a.pyc"],
            setting: setting)
        #expect(found.first?.aspect == "pyc header flags")
    }

    /// Hostile ELF headers (offsets past the end, huge counts) are refused, never read past the data.
    /// Context around an offset past the end of one side (taken from the other file's layout),
    /// or far past both, never slices out of bounds.
    @Test(arguments: [0, 70, 200, 10_000, Int.max])
    func contextAtAnyOffsetStaysInBounds(offset: Int) {
        let text = Array(String(repeating: "line of text\n", count: 20).utf8), short = Array("short\n".utf8)
        _ = CauseHints.context(text, short, offset: offset)
        _ = CauseHints.context(short, text, offset: offset)
        _ = CauseHints.context([0, 1, 2], [], offset: offset)
    }

    /// A minimal little-endian ELF64 with `count` section headers, every one naming offset 0 of a
    /// string table of `nameBytes` bytes without a NUL.
    static func elf(sections count: Int, nameBytes: Int) -> [UInt8] {
        let strtab = 64, shoff = 64 + nameBytes
        var s = [UInt8](repeating: 0, count: shoff + count * 64)
        s[0...3] = [0x7f, 0x45, 0x4c, 0x46]
        s[4] = 2
        s[5] = 1
        s[6] = 1
        func put(_ value: Int, at offset: Int, _ width: Int) {
            for i in 0..<width { s[offset + i] = UInt8((value >> (8 * i)) & 0xff) }
        }
        put(shoff, at: 0x28, 8)
        put(64, at: 0x3a, 2)
        put(count, at: 0x3c, 2)
        put(1, at: 0x3e, 2)
        for i in 0..<nameBytes { s[strtab + i] = UInt8(ascii: "a") }
        for i in 0..<count {
            let h = shoff + i * 64
            put(0, at: h, 4)
            put(i == 1 ? 3 : 1, at: h + 4, 4)
            put(strtab, at: h + 0x18, 8)
            put(nameBytes, at: h + 0x20, 8)
        }
        return s
    }

    /// Many sections naming one long unterminated string: the names are cut at maxNameBytes and a
    /// file declaring more than maxSections sections is not read by section.
    @Test func elfSectionNamesAndCountsAreBounded() throws {
        let sections = try #require(ELFSection.parse(Self.elf(sections: 8, nameBytes: 10_000)))
        #expect(sections.count == 7)
        #expect(sections.allSatisfy { $0.name.utf8.count == ELFSection.maxNameBytes })
        #expect(ELFSection.parse(Self.elf(sections: ELFSection.maxSections, nameBytes: 16)) != nil)
        #expect(ELFSection.parse(Self.elf(sections: ELFSection.maxSections + 1, nameBytes: 16)) == nil)
    }

    @Test func malformedELFIsRefused() throws {
        var s = [UInt8](repeating: 0, count: 64)
        s.replaceSubrange(0..<6, with: [0x7f, 0x45, 0x4c, 0x46, 2, 1])
        #expect(ELFSection.parse(s) == nil)
        s[0x28] = 0x30
        s[0x3a] = 64
        s[0x3c] = 0xff
        s[0x3d] = 0xff
        #expect(ELFSection.parse(s) == nil)
        for i in 0x28..<0x30 { s[i] = 0xff }
        #expect(ELFSection.parse(s) == nil)
        let real = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/bin/true")))
        let sections = try #require(ELFSection.parse(real))
        #expect(sections.contains { $0.name == ".text" })
    }

    @Test func boundedKeepsAtMostMaxLines() {
        let lines = (1...10).map(String.init)
        #expect(DiffReport.bounded(lines, 10) == lines)
        #expect(DiffReport.bounded(lines, 11) == lines)
        #expect(
            DiffReport.bounded(lines, 9) == Array(lines.prefix(8)) + ["... 2 more lines not shown (raise --max-lines)"])
        #expect(DiffReport.bounded(lines, 1) == ["... 10 more lines not shown (raise --max-lines)"])
        #expect(DiffReport.bounded(lines, 0) == DiffReport.bounded(lines, 1))
        #expect(DiffReport.bounded(lines, Int.max) == lines)
        #expect(DiffReport.bounded([], 0).isEmpty)
    }

    @Test func unifiedDiffOfOneChangedLine() {
        let a = "a\nb\nc\nd\ne\n".split(separator: "\n", omittingEmptySubsequences: false)
        let b = "a\nb\nC\nd\ne\n".split(separator: "\n", omittingEmptySubsequences: false)
        #expect(TextDiff.unified(a, b, maxLines: 100) == ["@@ -1 +1 @@", " a", " b", "-c", "+C", " d", " e", " "])
        // A move is aligned by Myers: only the moved line is removed and added.
        let x = "1\n2\n3\n4\n".split(separator: "\n"), y = "2\n3\n4\n1\n".split(separator: "\n")
        #expect(TextDiff.unified(x, y, maxLines: 100) == ["@@ -1 +1 @@", "-1", " 2", " 3", " 4", "+1"])
        // Past the edit bound, the region is shown removed then added, still exact.
        #expect(
            TextDiff.unified(x, y, maxLines: 100, maxEdits: 1) == [
                "@@ -1 +1 @@", "-1", "-2", "-3", "-4", "+2", "+3", "+4", "+1",
            ])
    }

    @Test func causesOfContentRegions() {
        func cause(_ a: String, _ b: String) -> DiffCause {
            let x = Array(a.utf8), y = Array(b.utf8)
            let offset = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(x.count, y.count)
            return CauseHints.classify(x, y, offset: offset, setting: setting).cause
        }
        #expect(cause("file /build/src/a.c\n", "file a.c\n") == .buildPath)
        #expect(cause("out /tmp/tmpab12cd34ef/x\n", "out /tmp/tmpzz99yy88xx/x\n") == .buildPath)
        #expect(cause("built at 1789999000\n", "built at 1789999999\n") == .timestamp)
        #expect(cause("built 2026-11-30T10:00:03\n", "built 2026-11-30T11:00:03\n") == .timestamp)
        #expect(cause("b\na\nc\n", "a\nb\nc\n") == .ordering)
        #expect(cause("id 0123456789abcdef0123\n", "id fedcba9876543210fedc\n") == .randomness)
        #expect(cause("version 1\n", "version 2\n") == .unknown)
        // The build path on both sides beside a differing time (a .buildinfo): the time is the cause.
        #expect(
            cause(
                "Build-Path: /build/src\nBuild-Date: Mon, 30 Nov 2026 10:00:03 +0000\n",
                "Build-Path: /build/src\nBuild-Date: Mon, 30 Nov 2026 10:00:09 +0000\n") == .timestamp)
        let env = DiffSetting(now: 0, environment: [("CFLAGS", "-O2 -g")])
        #expect(
            CauseHints.classify(Array("flags -O2 -g\n".utf8), Array("flags \n".utf8), offset: 6, setting: env).cause
                == .environment)
        let who = DiffSetting(now: 0, identities: ["alice"])
        #expect(
            CauseHints.classify(Array("by alice\n".utf8), Array("by bob\n".utf8), offset: 3, setting: who).cause
                == .identity)
    }

    /// Names and contents from the files never become markup or terminal escapes in the page.
    @Test func htmlEscapesEverythingFromTheFiles() {
        let hostile = "<script>alert(1)</script>\u{1b}[31m\"'&\u{202e}gpj.exe"
        let escaped = DiffHTML.escape(hostile)
        #expect(!escaped.contains("<") && !escaped.contains(">") && !escaped.contains("\"") && !escaped.contains("'"))
        #expect(!escaped.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x202e })
        #expect(escaped.contains("&lt;script&gt;") && escaped.contains("\\e[31m") && escaped.contains("&amp;"))
        let finding = DiffFinding(
            location: [hostile, hostile], aspect: "text", cause: .unknown, detail: hostile, fix: hostile,
            context: DiffSideBySide(format: "text", a: [hostile], b: [hostile]), unified: ["-" + hostile])
        let page = DiffHTML.render(
            DiffReport(
                a: hostile, b: hostile, same: false,
                files: [FileExplanation(path: hostile, kind: "changed", findings: [finding], truncated: [hostile])],
                limits: .standard, truncated: [hostile]))
        #expect(!page.contains("<script"))
        #expect(!page.contains("\u{1b}"))
        #expect(!page.contains("src=") && !page.contains("href=\"http"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    /// The reproducibility predicate carries each file's explanation and findings, and reads
    /// them back; a malformed finding is refused.
    @Test func predicateRecordsFindings() throws {
        let finding = DiffFinding(
            location: ["x.tar.gz"], aspect: "gzip header mtime", cause: .timestamp, detail: "a vs b",
            fix: DiffFix.gzipHeader, offset: 4)
        let inputs = ReproducibilityInputs(
            runs: [
                RunRecord(index: 1, outputTreeDigest: "t1:" + String(repeating: "a", count: 64), exitStatus: 0),
                RunRecord(index: 2, outputTreeDigest: "t1:" + String(repeating: "b", count: 64), exitStatus: 0),
            ],
            verdict: .differ,
            differences: [
                DifferingFile(
                    path: "x.tar.gz", kind: .changed, sizes: [10, 10], firstDifferingOffset: 4,
                    explanation: "timestamp: gzip header mtime", findings: [finding])
            ])
        let predicate = inputs.predicate(invocationID: "id")
        let statement = Statement(subjects: [], predicateType: ManifestURI.reproducibility, predicate: predicate)
        let read = try ReproducibilityInputs(validating: statement)
        #expect(read.differences == inputs.differences)
        guard case .object(var p) = predicate, case .array(var diffs)? = p["differences"],
            case .object(var d) = diffs[0]
        else {
            Issue.record("unexpected predicate shape")
            return
        }
        d["findings"] = .array([
            .object([
                "location": .array([]), "aspect": .string("x"), "cause": .string("timestamp"), "detail": .string(""),
            ])
        ])
        diffs[0] = .object(d)
        p["differences"] = .array(diffs)
        #expect(throws: ReproError.self) {
            _ = try ReproducibilityInputs(
                validating: Statement(subjects: [], predicateType: ManifestURI.reproducibility, predicate: .object(p)))
        }
    }

    @Test func summaryNamesCausesAndFixes() {
        let file = FileExplanation(
            path: "six.tar.gz", kind: "changed",
            findings: [
                DiffFinding(
                    location: ["six.tar.gz"], aspect: "gzip header mtime", cause: .timestamp, detail: "t1 vs t2",
                    fix: DiffFix.gzipHeader),
                DiffFinding(
                    location: ["six.tar.gz"], aspect: "tar member mtime", cause: .timestamp, detail: "d",
                    fix: DiffFix.tarMtime),
                DiffFinding(
                    location: ["six.tar.gz"], aspect: "tar member order", cause: .ordering, detail: "o",
                    fix: DiffFix.tarOrder),
            ])
        #expect(file.causes == [.timestamp, .ordering])
        #expect(
            file.summary
                == "timestamp: gzip header mtime: t1 vs t2 (fix: \(DiffFix.gzipHeader)); ordering: tar member order: o (fix: \(DiffFix.tarOrder))"
        )
    }
}

@Suite struct TextDiffBoundTests {
    /// Lines of "x" with every 50th one "y" on the second side: aligning them takes many
    /// comparisons on every diagonal.
    private let pair: ([UInt8], [UInt8]) = {
        var a: [UInt8] = [], b: [UInt8] = []
        for i in 0..<20_000 {
            a += Array("x\n".utf8)
            b += Array((i % 50 == 0 ? "y\n" : "x\n").utf8)
        }
        return (a, b)
    }()

    @Test func lineDiffStopsAtItsWorkBoundAndSaysSo() {
        let (lines, cut) = TextDiff.unified(bytes: pair.0, pair.1, maxLines: 10, maxWork: 1000, deadline: nil)
        #expect(cut?.contains("cut after 1000 line comparisons") == true, "\(cut ?? "nil")")
        // Still exact: the region removed, then added, cut at max_lines.
        #expect(lines.first == "@@ -1 +1 @@")
        #expect(lines.dropFirst().first == "-x")
        #expect(lines.count == 10)
        // 19,951 differing-region lines a side, 3 of context after: 1 + 39,902 + 3 lines, 9 kept.
        #expect(lines.last == "... 39897 more lines not shown (raise --max-lines)")
    }

    @Test func lineDiffStopsAtTheDeadlineAndSaysSo() {
        let (_, cut) = TextDiff.unified(bytes: pair.0, pair.1, maxLines: 10, deadline: .now)
        #expect(cut?.contains("cut at the time limit") == true, "\(cut ?? "nil")")
        let (_, none) = TextDiff.unified(bytes: pair.0, pair.1, maxLines: 10, deadline: nil)
        #expect(none == nil)
    }

    @Test func lineDiffOfAHugeRegionIsCutBeforeSplittingIt() {
        let (lines, cut) = TextDiff.unified(bytes: pair.0, pair.1, maxLines: 5, maxRegionLines: 100, deadline: nil)
        #expect(cut?.contains("more than 100 lines on a side") == true)
        #expect(lines == ["@@ -1 +1 @@", "-x", "-x", "-x", "... 39902 more lines not shown (raise --max-lines)"])
    }

    /// The byte form gives the same diff as the line form.
    @Test func byteAndLineFormsAgree() {
        let cases = [
            ("a\nb\nc\nd\ne\n", "a\nb\nC\nd\ne\n"), ("1\n2\n3\n4\n", "2\n3\n4\n1\n"), ("x\nfoo\n", "y\nfoo\n"),
            ("p\nq\nr\ns\nt\nu\nv\n", "p\nq\nr\nS\nt\nu\nv\n"), ("one\n", "one\ntwo\n"),
        ]
        for (a, b) in cases {
            func lines(_ t: String) -> [Substring] {
                var all = t.split(separator: "\n", omittingEmptySubsequences: false)
                if t.hasSuffix("\n") { all.removeLast() }
                return all
            }
            let byLines = TextDiff.unified(lines(a), lines(b), maxLines: 100)
            let byBytes = TextDiff.unified(bytes: Array(a.utf8), Array(b.utf8), maxLines: 100, deadline: nil)
            #expect(byBytes.lines == byLines, "\(a.debugDescription) vs \(b.debugDescription)")
            #expect(byBytes.cut == nil)
        }
    }
}
