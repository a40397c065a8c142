import Foundation
import Testing

/// Writes fixture pairs with Debian's python3 (tarfile, gzip, zipfile) in `dir`.
private func fixture(_ script: String, in dir: String) throws {
    let result = try Shell.run(
        [
            "python3", "-c",
            """
            import io, tarfile, gzip, zipfile, os
            def tgz(path, members, gz_mtime):
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
                    for name, data, mtime in members:
                        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = mtime
                        tf.addfile(ti, io.BytesIO(data))
                with open(path, "wb") as f:
                    with gzip.GzipFile(filename="six-1.16.0.tar", mode="wb", fileobj=f, mtime=gz_mtime) as g:
                        g.write(buf.getvalue())

            """ + script,
        ], directory: dir)
    try #require(result.status == 0, "fixture script failed: \(result.stderr)")
}

/// Debian's chromium, headless: `--dump-dom` (the DOM after parsing) or `--screenshot`.
private func chromium(_ arguments: [String], page: String) throws -> CLI.Result {
    let home = try temporaryDirectory("repro-chromium-home-")
    defer { try? FileManager.default.removeItem(atPath: home) }
    // Root needs --no-sandbox; a home of its own keeps the profile out of the user's.
    return try Shell.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + home + "/profile"]
            + arguments + ["file://" + page],
        environment: ["HOME": home, "PATH": "/usr/bin:/bin"])
}

@Suite struct DiffCLITests {
    /// The Python sdist of issue 11: gzip header time and member times from the clock; both
    /// named with their fixes, in the human output, the JSON report (valid against its schema)
    /// and the HTML page.
    @Test func sdistPairIsExplainedEverywhere() throws {
        let dir = try temporaryDirectory("repro-diff-")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let now = Int(Date().timeIntervalSince1970)
        try fixture(
            """
            files = [("six-1.16.0/six.py", b"import sys\\n"), ("six-1.16.0/setup.py", b"setup()\\n")]
            tgz("a.tar.gz", [(n, d, \(now)) for n, d in files], \(now))
            tgz("b.tar.gz", [(n, d, \(now + 7)) for n, d in files], \(now + 7))
            """, in: dir)
        let human = try CLI.run(["diff", dir + "/a.tar.gz", dir + "/b.tar.gz"])
        #expect(human.status == 1)
        #expect(human.stdout.contains("gzip header mtime"))
        #expect(human.stdout.contains("fix: gzip -n"))
        #expect(human.stdout.contains("tar member mtime"))
        #expect(human.stdout.contains("--mtime=@$SOURCE_DATE_EPOCH"))
        #expect(human.stdout.contains("(the run's clock)"))

        let json = try CLI.run(["diff", "--json", "--html", dir + "/page.html", dir + "/a.tar.gz", dir + "/b.tar.gz"])
        #expect(json.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["schema"] as? String == "https://repro.dev/diff-report/v1")
        #expect(report["same"] as? Bool == false)
        let files = try #require(report["files"] as? [[String: Any]])
        let aspects = (files.first?["findings"] as? [[String: Any]] ?? []).compactMap { $0["aspect"] as? String }
        #expect(aspects == ["gzip header mtime", "tar member mtime"])
        try json.stdout.write(toFile: dir + "/report.json", atomically: false, encoding: .utf8)
        let checked = try InteropTests().interop([
            "schema", InteropTests.root + "/docs/schemas/diff-report-v1.json", dir + "/report.json",
        ])
        #expect(checked.status == 0, "the diff report does not match its schema: \(checked.stdout)")

        let dom = try chromium(["--dump-dom"], page: dir + "/page.html")
        #expect(dom.status == 0, "\(dom.stderr)")
        #expect(dom.stdout.contains("<table id=\"summary\">"))
        #expect(dom.stdout.contains("gzip header mtime"))
        #expect(dom.stdout.contains("<td class=\"cause\">timestamp</td>"))
        let shot = try chromium(
            ["--screenshot=" + dir + "/page.png", "--window-size=1200,900"], page: dir + "/page.html")
        #expect(shot.status == 0, "\(shot.stderr)")
        let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/page.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47]) && png.count > 1000)
    }

    /// Member names and contents are hostile: in the terminal they cannot send escapes, in the
    /// page they cannot add elements (the browser's DOM holds no element they name).
    @Test func hostileNamesNeverBecomeMarkupOrEscapes() throws {
        let dir = try temporaryDirectory("repro-diff-hostile-")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try fixture(
            """
            evil = "<img src=x onerror=alert(1)><script>document.title='pwned'</script>\\x1b[2J\\x1b]0;t\\x07"
            tgz("a.tar.gz", [(evil, evil.encode() + b"\\n1\\n", 1)], 1)
            tgz("b.tar.gz", [(evil, evil.encode() + b"\\n2\\n", 1)], 1)
            """, in: dir)
        let human = try CLI.run(["diff", dir + "/a.tar.gz", dir + "/b.tar.gz", "--html", dir + "/page.html"])
        #expect(human.status == 1)
        #expect(!human.stdout.contains("\u{1b}") && !human.stdout.contains("\u{07}"))
        #expect(human.stdout.contains("\\e[2J"))
        let dom = try chromium(["--dump-dom"], page: dir + "/page.html")
        #expect(dom.status == 0, "\(dom.stderr)")
        #expect(!dom.stdout.contains("<img") && !dom.stdout.contains("<script"))
        #expect(!dom.stdout.contains("pwned</title>"))
        #expect(dom.stdout.contains("&lt;img src=x onerror=alert(1)&gt;"))
        let page = try String(contentsOfFile: dir + "/page.html", encoding: .utf8)
        // Self-contained: no scripts, links, images or fetches of any kind.
        for forbidden in ["<script", "<link", "<img", "src=\"", "url(", "http://", "https://"] {
            #expect(!page.contains(forbidden), "the page contains \(forbidden)")
        }
    }

    @Test func exitCodesFollowDiff() throws {
        let dir = try temporaryDirectory("repro-diff-codes-")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "x\n".write(toFile: dir + "/a", atomically: false, encoding: .utf8)
        try "x\n".write(toFile: dir + "/b", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/d", withIntermediateDirectories: true)
        let same = try CLI.run(["diff", dir + "/a", dir + "/b"])
        #expect(same.status == 0 && same.stdout.hasPrefix("same:"))
        #expect(try CLI.run(["diff", dir + "/a", dir + "/missing"]).status == 2)
        #expect(try CLI.run(["diff", dir + "/a", dir + "/d"]).status == 2)
        // A symbolic link named on the command line is read where it points: never "same" for
        // files with other bytes.
        try "other\n".write(toFile: dir + "/c", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "a")
        let linked = try CLI.run(["diff", dir + "/link", dir + "/c"])
        #expect(linked.status == 1, "\(linked.stdout)\(linked.stderr)")
        #expect(try CLI.run(["diff", dir + "/link", dir + "/b"]).status == 0)
        #expect(try CLI.run(["diff", "--max-lines", "0", dir + "/a", dir + "/b"]).status == 64)
        #expect(try CLI.run(["diff", "--max-depth", "-1", dir + "/a", dir + "/b"]).status == 64)
        // --max-lines bounds the human output, the last line saying what was cut.
        try (0..<50).map { "line \($0)\n" }.joined().write(toFile: dir + "/b", atomically: false, encoding: .utf8)
        for max in [1, 5] {
            let cut = try CLI.run(["diff", "--max-lines", String(max), dir + "/a", dir + "/b"])
            #expect(cut.status == 1)
            let lines = cut.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count == max)
            #expect(lines.last?.contains("more lines not shown") == true)
        }
    }

    /// Two 96 MiB tarballs of 96 members of 1 MiB (sparse files: the contents are holes), once
    /// differing only in one member's mtime and once in one byte of every member, are explained
    /// under a 128 MiB address-space limit (prlimit --as): no member's contents are kept while
    /// the containers are listed, and the differing members are read again a bounded batch at a
    /// time. Keeping every member up to max_member_bytes, as before, needs 200 MiB here.
    @Test func largeTarPairsAreExplainedInBoundedMemory() throws {
        let dir = try temporaryDirectory("repro-diff-large-")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try fixture(
            """
            def sparse_tar(path, mtime_of, byte=None):
                with open(path, "wb") as f:
                    for i in range(96):
                        info = tarfile.TarInfo("data/member-%03d.bin" % i); info.size = 1 << 20; info.mtime = mtime_of(i)
                        f.write(info.tobuf(format=tarfile.GNU_FORMAT))
                        at = f.tell()
                        if byte is not None:
                            f.seek(at + (1 << 19)); f.write(bytes([byte]))
                        f.seek(at + (1 << 20))
                    f.write(bytes(1024))
            sparse_tar("a.tar", lambda i: 1700000000)
            sparse_tar("b.tar", lambda i: 1700000000 + (3600 if i == 50 else 0))
            sparse_tar("c.tar", lambda i: 1700000000, 1)
            sparse_tar("d.tar", lambda i: 1700000000, 2)
            """, in: dir)
        let cap = String(128 << 20)
        let mtime = try Shell.run(["prlimit", "--as=" + cap, CLI.binary, "diff", dir + "/a.tar", dir + "/b.tar"])
        #expect(mtime.status == 1, "\(mtime.stderr)")
        #expect(
            mtime.stdout.contains("tar member mtime: differs in 1 of 96 members; first data/member-050.bin"),
            "\(mtime.stdout)")
        let content = try Shell.run([
            "prlimit", "--as=" + cap, CLI.binary, "diff", "--json", dir + "/c.tar", dir + "/d.tar",
        ])
        #expect(content.status == 1, "\(content.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(content.stdout.utf8)) as? [String: Any]
        let file = (report?["files"] as? [[String: Any]])?.first
        let findings = file?["findings"] as? [[String: Any]] ?? []
        #expect(findings.count == 40)
        #expect(findings.first?["offset"] as? Int == 1 << 19)
        #expect((findings.first?["location"] as? [String])?.last == "data/member-000.bin")
        #expect((file?["truncated"] as? [String])?.contains("56 more findings not shown (max_findings 40)") == true)
    }
}
