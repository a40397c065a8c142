import Foundation
import Testing
import ReproCore
@testable import ReproSystem

/// Runs a Python 3 script (Debian's python3) in `dir`; the fixtures are made by the standard
/// library's tarfile, gzip and zipfile, and ar archives are written byte by byte.
func python(_ script: String, in dir: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", pythonHelpers + script]
    process.currentDirectoryURL = URL(fileURLWithPath: dir)
    try! process.run()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "the fixture script failed:\n\(script)")
}

/// Helpers the fixture scripts share: `tar(path, members, gz_mtime=None)` with members
/// `(name, bytes, mtime)`, `zipf(path, members)` with `(name, bytes, (y,m,d,H,M,S))`, and
/// `ar(path, members)` with `(name, bytes, mtime)`.
let pythonHelpers = """
    import io, tarfile, gzip, zipfile, struct
    def tarbytes(members, uname="builder"):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
            for name, data, mtime in members:
                ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = mtime; ti.uname = uname; ti.mode = 0o644
                tf.addfile(ti, io.BytesIO(data))
        return buf.getvalue()
    def gz(data, mtime, name="x.tar"):
        out = io.BytesIO()
        with gzip.GzipFile(filename=name, mode="wb", fileobj=out, mtime=mtime) as g: g.write(data)
        return out.getvalue()
    def tar(path, members, gz_mtime=None, uname="builder"):
        data = tarbytes(members, uname)
        open(path, "wb").write(data if gz_mtime is None else gz(data, gz_mtime))
    def zipf(path, members):
        with zipfile.ZipFile(path, "w") as z:
            for name, data, when in members:
                z.writestr(zipfile.ZipInfo(name, when), data)
    def arbytes(members):
        out = b"!<arch>\\n"
        for name, data, mtime in members:
            out += ("%-16s%-12d%-6d%-6d%-8o%-10d`\\n" % (name, mtime, 0, 0, 0o100644, len(data))).encode() + data
            if len(data) % 2: out += b"\\n"
        return out
    def ar(path, members): open(path, "wb").write(arbytes(members))

    """

private let now: Int64 = 1_790_000_000
private let setting = DiffSetting(now: now, sourceDateEpoch: 1_700_000_000, buildPaths: ["/build/src"])

/// Explains a pair written by `script` (as a.NAME and b.NAME in a scratch directory).
private func explain(_ name: String, _ script: String, limits: DiffLimits = .standard) -> FileExplanation? {
    let scratch = Scratch()
    defer { scratch.remove() }
    python(script, in: scratch.path)
    return DiffEngine.explainFile(
        scratch.path + "/a." + name, scratch.path + "/b." + name, path: "x." + name, limits: limits,
        setting: setting, deadline: .now + .seconds(60))
}

private func finding(_ e: FileExplanation?, _ aspect: String) -> DiffFinding? {
    e?.findings.first { $0.aspect == aspect }
}

@Suite struct DiffEngineTests {
    /// A Python sdist as `setup.py sdist` writes it: gzip's header time and every tar member's
    /// time come from the clock, so both are named, each with its fix.
    @Test func sdistNamesGzipHeaderAndMemberTimes() {
        let e = explain(
            "tar.gz",
            """
            files = [("six-1.16.0/six.py", b"import sys\\n"), ("six-1.16.0/setup.py", b"setup()\\n")]
            tar("a.tar.gz", [(n, d, \(now)) for n, d in files], gz_mtime=\(now))
            tar("b.tar.gz", [(n, d, \(now + 7)) for n, d in files], gz_mtime=\(now + 7))
            """)
        let header = finding(e, "gzip header mtime")
        #expect(header?.cause == .timestamp)
        #expect(header?.fix?.contains("gzip -n") == true)
        #expect(header?.detail.contains("the run's clock") == true)
        let members = finding(e, "tar member mtime")
        #expect(members?.cause == .timestamp)
        #expect(members?.detail.contains("2 of 2 members") == true)
        #expect(members?.fix?.contains("--mtime") == true)
        #expect(e?.summary?.contains("gzip -n") == true)
        // Contents and order agree: nothing else is reported.
        #expect(e?.findings.count == 2)
    }

    /// A name twice in one archive and once in the other (tar -r appends): named as such, never
    /// an index past the shorter list, in either order, for tar and zip.
    @Test(arguments: ["tar", "zip"])
    func aNameTwiceOnOneSideIsNamedNotACrash(kind: String) throws {
        let write =
            kind == "tar"
            ? "tar('a.tar', [('x', b'same\\n', 1), ('x', b'same\\n', 1)]); tar('b.tar', [('x', b'same\\n', 1)])"
            : "zipf('a.zip', [('x', b'same\\n', (2020,1,1,0,0,0)), ('x', b'same\\n', (2020,1,1,0,0,0))]); zipf('b.zip', [('x', b'same\\n', (2020,1,1,0,0,0))])"
        let explanation = try #require(explain(kind, "import warnings; warnings.simplefilter('ignore')\n" + write))
        #expect(
            explanation.findings.contains { $0.detail.contains("2 vs 1 members with the same names") },
            "\(explanation.findings)")
        #expect(!explanation.findings.contains { $0.aspect.hasSuffix("member order") })
    }

    @Test func tarWithAndWithoutSortNamesTheOrder() {
        let e = explain(
            "tar",
            """
            a = [("p/a", b"1", 5), ("p/b", b"2", 5)]
            tar("a.tar", a); tar("b.tar", list(reversed(a)))
            """)
        let order = finding(e, "tar member order")
        #expect(order?.cause == .ordering)
        #expect(order?.fix?.contains("--sort=name") == true)
        #expect(e?.findings.count == 1)
    }

    @Test func tarOwnerNamesAreIdentity() {
        let e = explain(
            "tar",
            """
            tar("a.tar", [("f", b"x", 5)], uname="alice"); tar("b.tar", [("f", b"x", 5)], uname="bob")
            """)
        #expect(finding(e, "tar member owner names")?.cause == .identity)
        #expect(finding(e, "tar member owner names")?.fix?.contains("--owner=0") == true)
    }

    @Test func zipEntryTimesAreNamed() {
        let e = explain(
            "zip",
            """
            zipf("a.zip", [("pkg/__init__.py", b"x = 1\\n", (2024, 1, 1, 0, 0, 0))])
            zipf("b.zip", [("pkg/__init__.py", b"x = 1\\n", (2024, 1, 1, 0, 0, 2))])
            """)
        let times = finding(e, "zip member mtime")
        #expect(times?.cause == .timestamp)
        #expect(times?.fix?.contains("zip -X") == true)
    }

    @Test func arMemberTimesAreNamed() {
        let e = explain(
            "a",
            """
            ar("a.a", [("x.o/", b"obj", 0)]); ar("b.a", [("x.o/", b"obj", \(now))])
            """)
        let times = finding(e, "ar member mtime")
        #expect(times?.cause == .timestamp)
        #expect(times?.fix?.contains("ar D") == true)
    }

    /// A .deb (ar of debian-binary, control.tar.gz, data.tar.gz) whose data.tar member times
    /// differ: found two containers down, and not opened past the depth limit.
    @Test func debDataMemberTimesAreFoundInsideTwoContainers() {
        let script = """
            def deb(path, t):
                data = gz(tarbytes([("./usr/bin/hello", b"ELF?", t)]), 0)
                control = gz(tarbytes([("./control", b"Package: hello\\n", 0)]), 0)
                ar(path, [("debian-binary", b"2.0\\n", 0), ("control.tar.gz", control, 0), ("data.tar.gz", data, 0)])
            deb("a.deb", \(now)); deb("b.deb", \(now + 60))
            """
        let e = explain("deb", script)
        let times = finding(e, "tar member mtime")
        #expect(times?.location == ["x.deb", "data.tar.gz"])
        #expect(times?.cause == .timestamp)
        #expect(e?.findings.count == 1)
        // Depth 1 opens the ar but not data.tar.gz, and says so.
        var one = DiffLimits.standard
        one.maxDepth = 1
        let shallow = explain("deb", script, limits: one)
        #expect(finding(shallow, "tar member mtime") == nil)
        #expect(shallow?.truncated.contains { $0.contains("data.tar.gz") && $0.contains("depth limit of 1") } == true)
        // Depth 0 opens nothing.
        one.maxDepth = 0
        let none = explain("deb", script, limits: one)
        #expect(none?.findings.allSatisfy { $0.location == ["x.deb"] } == true)
        #expect(none?.truncated.contains { $0.contains("depth limit of 0") } == true)
    }

    @Test func cpioMemberTimesAreNamed() {
        let scratch = Scratch()
        defer { scratch.remove() }
        let script = """
            set -e
            mkdir t; echo hi > t/f
            touch -d @1700000000 t/f; echo t/f | bsdcpio -o --format newc > a.cpio 2>/dev/null
            touch -d @1700000100 t/f; echo t/f | bsdcpio -o --format newc > b.cpio 2>/dev/null
            """
        #expect(runShell(script, in: scratch.path) == 0)
        let e = DiffEngine.explainFile(
            scratch.path + "/a.cpio", scratch.path + "/b.cpio", path: "x.cpio", limits: .standard,
            setting: setting, deadline: .now + .seconds(60))
        #expect(finding(e, "cpio member mtime")?.fix?.contains("cpio --reproducible") == true)
    }

    @Test func pycHeaderTimeIsNamed() {
        let e = explain(
            "pyc",
            """
            body = b"\\xe3" + bytes(40)
            open("a.pyc", "wb").write(b"\\xa7\\x0d\\x0d\\x0a" + struct.pack("<III", 0, \(now), 10) + body)
            open("b.pyc", "wb").write(b"\\xa7\\x0d\\x0d\\x0a" + struct.pack("<III", 0, \(now + 5), 10) + body)
            """)
        let header = finding(e, "pyc header mtime")
        #expect(header?.cause == .timestamp)
        #expect(header?.fix?.contains("checked-hash") == true)
        #expect(e?.findings.count == 1)
    }

    @Test func textWithTheBuildPathGetsAUnifiedDiff() {
        let e = explain(
            "txt",
            """
            open("a.txt", "w").write("one\\ntwo\\nsource: /build/src/x.c\\nfour\\n")
            open("b.txt", "w").write("one\\ntwo\\nsource: ./x.c\\nfour\\n")
            """)
        let text = finding(e, "text")
        #expect(text?.cause == .buildPath)
        #expect(text?.unified?.contains("-source: /build/src/x.c") == true)
        #expect(text?.unified?.contains("+source: ./x.c") == true)
        #expect(text?.context?.format == "text")
    }

    @Test func unifiedDiffIsBoundedByMaxLines() {
        var limits = DiffLimits.standard
        for max in [1, 2, 10] {
            limits.maxLines = max
            let e = explain(
                "txt",
                """
                open("a.txt", "w").write("".join("line %d\\n" % i for i in range(100)))
                open("b.txt", "w").write("".join("LINE %d\\n" % i for i in range(100)))
                """, limits: limits)
            let unified = finding(e, "text")?.unified ?? []
            #expect(unified.count == max, "max_lines \(max) gave \(unified.count) lines")
            #expect(unified.last?.contains("more lines not shown") == true)
        }
    }

    @Test func randomBytesAreRandomness() {
        let e = explain(
            "bin",
            """
            import os
            open("a.bin", "wb").write(bytes(64) + os.urandom(32) + bytes(64))
            open("b.bin", "wb").write(bytes(64) + os.urandom(32) + bytes(64))
            """)
        #expect(finding(e, "content")?.cause == .randomness)
        #expect(finding(e, "content")?.context?.format == "hex")
        #expect(finding(e, "content")?.offset == 64)
    }

    @Test func identicalFilesHaveNoExplanation() {
        #expect(
            explain(
                "tar.gz",
                """
                tar("a.tar.gz", [("f", b"x", 5)], gz_mtime=5); tar("b.tar.gz", [("f", b"x", 5)], gz_mtime=5)
                """) == nil)
    }

    /// A C program with __TIME__, compiled under two SOURCE_DATE_EPOCH values: the ELF section
    /// that holds the string is named with a time cause, the build ID as derived.
    @Test func elfWithTimeIsExplainedBySection() {
        let scratch = Scratch()
        defer { scratch.remove() }
        let script = """
            set -e
            printf '#include <stdio.h>\\nint main(void){puts("built " __DATE__ " " __TIME__);return 0;}\\n' > t.c
            SOURCE_DATE_EPOCH=1700000000 gcc -O2 -Wl,--build-id -o a.out t.c
            SOURCE_DATE_EPOCH=1700003723 gcc -O2 -Wl,--build-id -o b.out t.c
            """
        #expect(runShell(script, in: scratch.path) == 0)
        let e = DiffEngine.explainFile(
            scratch.path + "/a.out", scratch.path + "/b.out", path: "stamp", limits: .standard,
            setting: setting, deadline: .now + .seconds(60))
        #expect(finding(e, "ELF section .rodata")?.cause == .timestamp, "\(e?.findings.map(\.line) ?? [])")
        #expect(finding(e, "ELF section .note.gnu.build-id")?.cause == .derived)
    }

    @Test func byteMemberAndEntryLimitsAreReported() {
        var limits = DiffLimits.standard
        limits.maxEntries = 1
        let few = explain(
            "tar",
            """
            tar("a.tar", [("a", b"1", 1), ("b", b"2", 1)]); tar("b.tar", [("a", b"1", 1), ("b", b"3", 1)])
            """, limits: limits)
        #expect(few?.truncated.contains { $0.contains("only the first 1 members") } == true)
        limits = .standard
        limits.maxMemberBytes = 4
        let big = explain(
            "tar",
            """
            tar("a.tar", [("a", b"12345", 1)]); tar("b.tar", [("a", b"12346", 1)])
            """, limits: limits)
        #expect(big?.findings.first?.detail.contains("larger than max_member_bytes 4, compared whole only") == true)
        limits = .standard
        limits.maxBytes = 1
        let budget = explain(
            "tar.gz",
            """
            tar("a.tar.gz", [("a", b"12345", 1)], gz_mtime=1); tar("b.tar.gz", [("a", b"12346", 1)], gz_mtime=1)
            """, limits: limits)
        #expect(budget?.truncated.contains { $0.contains("max_bytes") } == true)
    }

    @Test func timeLimitZeroExplainsNothingAndSaysSo() {
        var limits = DiffLimits.standard
        limits.maxSeconds = 0
        let scratch = Scratch()
        defer { scratch.remove() }
        python(
            """
            open("a.txt", "w").write("x\\n"); open("b.txt", "w").write("y\\n")
            """, in: scratch.path)
        let e = DiffEngine.explainFile(
            scratch.path + "/a.txt", scratch.path + "/b.txt", path: "t", limits: limits,
            setting: setting, deadline: .now)
        #expect(e?.findings.isEmpty == true)
        #expect(e?.truncated.first?.contains("time limit") == true)
    }

    @Test func findingsAreCutAtMaxFindings() {
        var limits = DiffLimits.standard
        limits.maxFindings = 1
        let e = explain(
            "tar",
            """
            tar("a.tar", [("a", b"1", 1), ("b", b"2", 1)], uname="x"); tar("b.tar", [("b", b"3", 2), ("a", b"1", 2)], uname="y")
            """, limits: limits)
        #expect(e?.findings.count == 1)
        #expect(e?.truncated.contains { $0.contains("max_findings 1") } == true)
    }

    @Test func treesReportMissingExtraAndChangedFiles() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        python(
            """
            import os
            for side, extra in (("A", "only-a"), ("B", "only-b")):
                os.makedirs(side + "/d")
                open(side + "/" + extra, "w").write("x")
                open(side + "/d/same", "w").write("same")
                tar(side + "/d/t.tar", [("m", b"1", 1 if side == "A" else 2)])
            """, in: scratch.path)
        let report = try DiffEngine.compare(
            scratch.path + "/A", scratch.path + "/B", limits: .standard, setting: setting)
        #expect(!report.same)
        #expect(report.files.map(\.path) == ["d/t.tar", "only-a", "only-b"])
        #expect(report.files.map(\.kind) == ["changed", "missing", "extra"])
        #expect(report.files[0].findings.first?.aspect == "tar member mtime")
        let same = try DiffEngine.compare(
            scratch.path + "/A/d", scratch.path + "/A/d", limits: .standard, setting: setting)
        #expect(same.same && same.files.isEmpty)
    }

    @Test func missingInputIsAConfigurationError() {
        #expect(throws: ReproError.self) {
            _ = try DiffEngine.compare("/nonexistent/a", "/nonexistent/b", limits: .standard, setting: setting)
        }
    }

    /// Members whose contents differ are read again a batch at a time (here one member of 13
    /// bytes a batch, max_member_bytes being 16), in the containers' order, whether they were compared side by
    /// side (same order) or hashed (another order).
    @Test func differingMembersAreExplainedInBatchesInOrder() {
        var limits = DiffLimits.standard
        limits.maxMemberBytes = 16
        let same = explain(
            "tar",
            """
            tar("a.tar", [("m%d" % i, b"t=%d\\n" % (1700000000 + i), 1) for i in range(5)])
            tar("b.tar", [("m%d" % i, b"t=%d\\n" % (1790000000 + i), 1) for i in range(5)])
            """, limits: limits)
        let locations = same?.findings.map { $0.location.last ?? "" }
        #expect(locations == ["m0", "m1", "m2", "m3", "m4"], "\(same?.findings.map(\.line) ?? [])")
        #expect(same?.findings.allSatisfy { $0.cause == .timestamp } == true)
        let moved = explain(
            "tar",
            """
            tar("a.tar", [("a", b"1", 1), ("b", b"2", 1)]); tar("b.tar", [("b", b"3", 1), ("a", b"1", 1)])
            """)
        #expect(finding(moved, "tar member order")?.cause == .ordering)
        #expect(
            moved?.findings.contains { $0.location.last == "b" && $0.aspect == "text" } == true,
            "\(moved?.findings.map(\.line) ?? [])")
        #expect(moved?.findings.contains { $0.location.last == "a" } == false)
    }

    /// A text member whose line diff took seconds and hundreds of MB (1.2 million lines that all
    /// differ as a region) is explained within a generous bound, and the cut is said.
    @Test func hugeTextRegionIsCutAndSaysSo() {
        var limits = DiffLimits.standard
        limits.maxSeconds = 2
        let scratch = Scratch()
        defer { scratch.remove() }
        python(
            """
            open("a.txt", "w").write("x\\n" * 1200000)
            open("b.txt", "w").write("".join("y\\n" if i % 600 == 0 else "x\\n" for i in range(1200000)))
            """, in: scratch.path)
        let start = ContinuousClock.now
        let e = DiffEngine.explainFile(
            scratch.path + "/a.txt", scratch.path + "/b.txt", path: "t.txt", limits: limits,
            setting: setting, deadline: .now + .seconds(2))
        let took = ContinuousClock.now - start
        #expect(took < .seconds(5), "took \(took)")
        #expect(finding(e, "text")?.unified?.first == "@@ -1 +1 @@")
        #expect(e?.truncated.contains { $0.contains("the line diff was cut") } == true, "\(e?.truncated ?? [])")
    }
}

/// Runs a shell script in `dir` and returns its exit status.
func runShell(_ script: String, in dir: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    process.currentDirectoryURL = URL(fileURLWithPath: dir)
    try! process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
