import Foundation
import Testing

/// The release side of `repro check`: the REPRO_GIT_* metadata, the SHA256SUMS file, the GitHub
/// Actions output and the JUnit report, with the busybox toolchain.
@Suite struct ReleaseCLITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// Runs a shell script in `dir`, returning its exit status and stdout (stderr joined).
    func capture(_ script: String, in dir: String) throws -> (status: Int32, out: String) {
        let result = try Shell.run(["/bin/sh", "-c", script + " 2>&1"], directory: dir)
        return (result.status, result.stdout)
    }

    /// Reads a file as UTF-8 text.
    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static let gitConfig = """
        [build]
        command = ["sh", "build.sh"]
        outputs = ["out"]
        toolchains = ["busybox"]
        """
    static let gitBuild = """
        mkdir -p out
        printf '%s\\n' "commit=${REPRO_GIT_COMMIT-unset}" "short=${REPRO_GIT_COMMIT_SHORT-unset}" "describe=${REPRO_GIT_DESCRIBE-unset}" "tag=${REPRO_GIT_TAG-unset}" > out/git.env
        """

    /// What the build saw, by name, and the check's report.
    func gitValues(_ project: Project) throws -> (values: [String: String], report: [String: Any]) {
        let result = try project.check(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        var values: [String: String] = [:]
        for line in try read(project.dir + "/.repro/out/out/git.env").split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            values[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return (values, try json(result.stdout))
    }

    @Test func gitDescribeMatchesGitForTaggedUntaggedAndDirtyCheckouts() throws {
        let project = try Project(
            files: ["build.sh": Self.gitBuild, "README": "one\n"], config: Self.gitConfig, git: true)
        defer { project.remove() }
        let git = "git -c user.name=t -c user.email=t@t"
        func describe() throws -> String {
            try capture("git describe --tags --always --dirty", in: project.dir).out.trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        func head() throws -> String {
            try capture("git rev-parse HEAD", in: project.dir).out.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        // No tag: the abbreviated commit id.
        var (values, report) = try gitValues(project)
        #expect(values["describe"] == (try describe()))
        #expect(values["commit"] == (try head()))
        #expect(
            values["short"]
                == (try capture("git rev-parse --short HEAD", in: project.dir).out.trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        #expect(values["tag"] == "unset")
        #expect((report["normalization"] as? [String: String])?["git_describe"] == values["describe"])

        // The repository's own abbreviation length does not change what the build gets: every
        // clone of the commit must get the same string.
        #expect(shell("git config core.abbrev 12", in: project.dir) == 0)
        (values, _) = try gitValues(project)
        #expect(values["short"]?.count == 7 && values["describe"] == values["short"])
        #expect(shell("git config --unset core.abbrev", in: project.dir) == 0)

        // An annotated tag on the commit.
        #expect(shell("\(git) tag -a -m release v1.4.2", in: project.dir) == 0)
        (values, report) = try gitValues(project)
        #expect(values["describe"] == "v1.4.2")
        #expect(values["describe"] == (try describe()))
        #expect(values["tag"] == "v1.4.2")
        #expect((report["normalization"] as? [String: String])?["git_tag"] == "v1.4.2")

        // Three commits later (a lightweight tag further back is not the nearest).
        for n in 1...3 {
            #expect(shell("echo \(n) >> README && \(git) commit -qam 'change \(n)'", in: project.dir) == 0)
        }
        (values, _) = try gitValues(project)
        #expect(values["describe"]?.hasPrefix("v1.4.2-3-g") == true)
        #expect(values["describe"] == (try describe()))
        #expect(values["tag"] == "unset")

        // Uncommitted changes to a tracked file: -dirty, and no tag even on a tagged commit.
        #expect(shell("\(git) tag v1.5.0 && echo changed >> README", in: project.dir) == 0)
        (values, report) = try gitValues(project)
        #expect(values["describe"] == "v1.5.0-dirty")
        #expect(values["describe"] == (try describe()))
        #expect(values["tag"] == "unset")
        #expect((report["normalization"] as? [String: String])?["git_tag"] == nil)
        // An untracked file is not a change, for git as for the snapshot.
        #expect(shell("git checkout -q README && echo x > untracked.txt", in: project.dir) == 0)
        (values, _) = try gitValues(project)
        #expect(values["describe"] == "v1.5.0")
        #expect(values["describe"] == (try describe()))
    }

    @Test func withoutGitNoMetadataIsSet() throws {
        let project = try Project(
            files: ["build.sh": Self.gitBuild], config: Self.gitConfig + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let (values, report) = try gitValues(project)
        #expect(values == ["commit": "unset", "short": "unset", "describe": "unset", "tag": "unset"])
        #expect((report["normalization"] as? [String: String])?.keys.contains { $0.hasPrefix("git_") } == false)
    }

    static let distBuild = """
        mkdir -p dist/sub
        echo alpha > dist/a.txt
        echo beta > 'dist/b c.txt'
        echo gamma > dist/sub/g.txt
        """

    @Test func checksumsFilePassesSha256sumAndIsASubject() throws {
        let project = try Project(
            files: ["build.sh": Self.distBuild],
            config: """
                [build]
                command = ["sh", "build.sh"]
                outputs = ["dist"]
                toolchains = ["busybox"]
                checksums = "dist/SHA256SUMS"
                """, git: true)
        defer { project.remove() }
        let keyed = try CLI.run(["keygen", "-o", project.dir + "/signer"])
        #expect(keyed.status == 0)
        let result = try project.check(["--json", "--sign", project.dir + "/signer.key"])
        #expect(result.status == 0, "\(result.stderr)")
        let dist = project.dir + "/.repro/out/dist"
        #expect(
            try read(dist + "/SHA256SUMS").split(separator: "\n").map { String($0.dropFirst(66)) } == [
                "a.txt", "b c.txt", "sub/g.txt",
            ])
        let checked = try capture("sha256sum -c SHA256SUMS", in: dist)
        #expect(checked.status == 0, "\(checked.out)")
        #expect(checked.out == "a.txt: OK\nb c.txt: OK\nsub/g.txt: OK\n")
        let outputs = (try json(result.stdout)["outputs"] as? [[String: Any]] ?? []).compactMap {
            $0["path"] as? String
        }
        #expect(outputs.contains("dist/SHA256SUMS"))

        // The placed tree, checksums file included, is exactly the signed tree.
        let manifest = project.dir + "/.repro/repro.intoto.jsonl"
        let pub = project.dir + "/signer.pub"
        let exact = try CLI.run(["verify", manifest, "--key", pub, "--artifacts", project.dir + "/.repro/out"])
        #expect(exact.status == 0, "\(exact.stderr)")
        // The checksums file as the artifact list: certified, and the files beside it match.
        let listed = try CLI.run(["verify", manifest, "--key", pub, "--checksums", dist + "/SHA256SUMS"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("is the certified dist/SHA256SUMS; all 3 files it lists match"))

        // A release directory (the files flat, as release assets are) with one file altered.
        let assets = project.dir + "/assets"
        #expect(
            shell(
                "mkdir -p '\(assets)/sub' && cp '\(dist)'/*.txt '\(dist)/SHA256SUMS' '\(assets)/' && cp '\(dist)/sub/g.txt' '\(assets)/sub/' && echo tampered > '\(assets)/a.txt'",
                in: project.dir) == 0)
        let tampered = try CLI.run(["verify", manifest, "--key", pub, "--checksums", assets + "/SHA256SUMS"])
        #expect(tampered.status == 5)
        #expect(tampered.stderr.contains("a.txt"))
        // A list the manifest does not certify.
        #expect(
            shell(
                "echo tampered > '\(dist)/a.txt' && cd '\(dist)' && sha256sum a.txt 'b c.txt' sub/g.txt > '\(assets)/SHA256SUMS'",
                in: project.dir) == 0)
        let uncertified = try CLI.run(["verify", manifest, "--key", pub, "--checksums", assets + "/SHA256SUMS"])
        #expect(uncertified.status == 5)
        #expect(uncertified.stderr.contains("not one of the manifest's subjects"))
    }

    @Test func checksumsOptionAtTheTopAndClashes() throws {
        let project = try Project(
            files: ["build.sh": Self.distBuild + "\necho mine > dist/SHA256SUMS\n"],
            config: """
                [build]
                command = ["sh", "build.sh"]
                outputs = ["dist"]
                toolchains = ["busybox"]
                """, git: true)
        defer { project.remove() }
        let top = try project.check(["--checksums", "SHA256SUMS"])
        #expect(top.status == 0, "\(top.stderr)")
        let checked = try capture("sha256sum -c SHA256SUMS", in: project.dir + "/.repro/out")
        #expect(checked.status == 0, "\(checked.out)")
        #expect(checked.out.contains("dist/SHA256SUMS: OK"))
        // The build's own file at that path: a configuration error, not an overwrite.
        let clash = try project.check(["--checksums", "dist/SHA256SUMS"])
        #expect(clash.status == 2)
        #expect(clash.stderr.contains("the build produced dist/SHA256SUMS itself"))
        let outside = try project.check(["--checksums", "dist/sub/SHA256SUMS"])
        #expect(outside.status == 2)
        #expect(outside.stderr.contains("is outside it"))
        let bad = try project.check(["--checksums", "../SHA256SUMS"])
        #expect(bad.status == 64)
    }

    static let randomBuild = """
        mkdir -p out
        echo "::error::a line of the build log"
        od -An -N16 -tx1 /dev/urandom > out/token
        echo stable > out/stable
        """

    @Test func githubFormatOnAFailingCheckLineByLine() throws {
        let parent = NSTemporaryDirectory() + "repro-gh-" + UUID().uuidString
        let project = try Project(
            files: ["build.sh": Self.randomBuild], config: Self.gitConfig, git: true, at: parent + "/proj")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let summary = parent + "/summary.md"
        let result = try project.check(
            [],
            environment: [
                "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary,
                "GITHUB_WORKSPACE": parent,
            ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(!result.stderr.contains("\r"), "progress carries a carriage return")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 16 else {
            Issue.record("too few lines: \(result.stdout)")
            return
        }
        for run in 0..<2 {
            let group = Array(lines[(run * 5)..<(run * 5 + 5)])
            #expect(group[0] == "::group::run \(run + 1) build log (exit 0)")
            #expect(group[1].hasPrefix("::stop-commands::"))
            let token = String(group[1].dropFirst("::stop-commands::".count))
            #expect(token.count >= 32)
            #expect(group[2] == "::error::a line of the build log")
            #expect(group[3] == "::\(token)::")
            #expect(group[4] == "::endgroup::")
        }
        #expect(
            lines[10].hasPrefix(
                "::error file=proj/out/token,title=Not reproducible%3A out/token::out/token is changed in run 2 (sizes "
            ))
        #expect(lines[11] == "NOT REPRODUCIBLE: 1 file differs between runs")
        #expect(lines[12].hasPrefix("  run 1: t1:"))
        #expect(lines[13].hasPrefix("  run 2: t1:"))
        #expect(lines[14].hasPrefix("  changed in run 2: out/token (sizes "))
        #expect(lines.contains { $0.hasPrefix("run outputs kept in: ") })
        #expect(
            lines.filter { $0.hasPrefix("::error") }.count == 3,
            "one annotation, and the log's own line twice (not obeyed)")

        let markdown = try read(summary).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(markdown[0] == "## repro check: ❌ not reproducible")
        #expect(markdown[1] == "")
        #expect(markdown[2] == "| | |")
        #expect(markdown[3] == "|---|---|")
        #expect(markdown[4] == "| Project | `\(project.dir)` |")
        #expect(markdown[5] == "| Verdict | differ (exit 1, 2 runs) |")
        #expect(markdown[6].hasPrefix("| Version | `") && markdown[6].hasSuffix("` |"))
        #expect(markdown[7].hasPrefix("| Commit | `"))
        #expect(markdown[8].hasPrefix("| Source digest | `t1:"))
        #expect(markdown[9].hasPrefix("| Run 1 | exit 0, ") && markdown[9].contains(" s, `t1:"))
        #expect(markdown[10].hasPrefix("| Run 2 | exit 0, "))
        #expect(markdown[11].hasPrefix("| Manifest | `") && markdown[11].hasSuffix("` (unsigned) |"))
        #expect(markdown[12] == "")
        #expect(markdown[13] == "| Differs | Kind | Run | First differing byte | Likely cause |")
        #expect(markdown[14] == "|---|---|---|---|---|")
        #expect(markdown[15].hasPrefix("| `out/token` | changed | 2 | "))
        #expect(markdown[16] == "")
        #expect(markdown.count == 17)

        // --format human overrides GITHUB_ACTIONS; --json wins too.
        let human = try project.check(
            ["--format", "human"], environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary])
        #expect(human.stdout.hasPrefix("NOT REPRODUCIBLE"))
        let machine = try project.check(["--json"], environment: ["GITHUB_ACTIONS": "true"])
        #expect((try json(machine.stdout))["verdict"] as? String == "differ")
    }

    @Test func githubFormatAnnotatesAnError() throws {
        let project = try Project(files: ["build.sh": "true"], config: "[build]\ncommand = []\n", git: true)
        defer { project.remove() }
        let summary = project.dir + ".summary.md"
        defer { try? FileManager.default.removeItem(atPath: summary) }
        let result = try project.check(["--format", "github"], environment: ["GITHUB_STEP_SUMMARY": summary])
        #expect(result.status == 2)
        #expect(result.stdout.hasPrefix("::error title=repro check failed (exit 2)::"))
        #expect(try read(summary).hasPrefix("## repro check: ❌ error (exit 2)\n"))
    }

    /// Validates a file against the committed JUnit schema with xmllint.
    func validateJUnit(_ path: String) throws -> (status: Int32, out: String) {
        try capture(
            "xmllint --noout --schema '\(Self.repository)/docs/schemas/junit.xsd' '\(path)'", in: Self.repository)
    }

    @Test func junitReportsValidateAgainstTheSchema() throws {
        let dir = NSTemporaryDirectory() + "repro-junit-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(String, String, Int32, String)] = [
            (
                "differ", Self.randomBuild, 1,
                "<failure message=\"1 file differs between runs\" type=\"not-reproducible\">"
            ),
            ("same", "mkdir -p out && echo '<&\"\u{1}>' > out/x", 0, "<system-out>REPRODUCIBLE"),
            ("fails", "exit 3", 3, "<error message=\"run 1: the build exited with status 3\" type=\"build-failed\">"),
        ]
        for (name, build, status, expected) in cases {
            let project = try Project(
                files: ["build.sh": build], config: Self.gitConfig, git: true, at: dir + "/" + name)
            let junit = dir + "/\(name).xml"
            let result = try project.check(["--junit", junit])
            #expect(result.status == status, "\(name): \(result.stderr)")
            let text = try read(junit)
            #expect(text.contains(expected), "\(name): \(text)")
            let valid = try validateJUnit(junit)
            #expect(valid.status == 0, "\(name): \(valid.out)")
        }
        // A check that stops with an error still leaves a report.
        let broken = try Project(files: ["build.sh": "true"], config: "[build]\ncommand = []\n", at: dir + "/broken")
        let junit = dir + "/broken.xml"
        #expect(try broken.check(["--junit", junit]).status == 2)
        #expect(try validateJUnit(junit).status == 0)
        #expect(try read(junit).contains("type=\"exit-2\""))
        // The schema is not a blank cheque: a test case without a name is refused.
        try (try read(junit)).replacingOccurrences(of: "name=\"repro check\" time", with: "time")
            .write(toFile: dir + "/nameless.xml", atomically: true, encoding: .utf8)
        #expect(try validateJUnit(dir + "/nameless.xml").status != 0)
    }
}
