import Foundation
import Testing

/// The Go toolchain of examples/go-release, made by scripts/go-toolchain.sh (cached after the
/// first time): Debian 12 with golang-go and zip.
struct GoToolchain: Sendable {
    let specDir: String

    static let shared: GoToolchain = {
        let specDir = NSTemporaryDirectory() + "repro-go-specs-" + UUID().uuidString
        let status = shell("scripts/go-toolchain.sh '\(specDir)' >/dev/null", in: DebianToolchain.repository)
        precondition(status == 0, "scripts/go-toolchain.sh failed (exit \(status)); run it by hand to see why")
        return GoToolchain(specDir: specDir)
    }()
}

/// examples/go-release: a Go program released the Go way, certified; its `$(date ...)` sibling
/// fails; its GitHub Actions workflows lint clean.
@Suite(.serialized) struct GoReleaseTests {
    static let git = "git -c user.name=t -c user.email=t@t"

    /// A copy of examples/go-release (with `build` from another example, if given) outside the
    /// repository, vendored from the pinned Debian package and committed at a fixed time, tagged `tag`.
    func release(tag: String, build: String? = nil) throws -> String {
        let dir = DebianToolchain.copy(example: "go-release")
        if let build {
            try FileManager.default.removeItem(atPath: dir + "/build.sh")
            try FileManager.default.copyItem(
                atPath: DebianToolchain.repository + "/examples/" + build, toPath: dir + "/build.sh")
        }
        let vendored = shell("scripts/vendor.sh 2>/dev/null", in: dir)
        #expect(vendored == 0, "scripts/vendor.sh failed: apt-get download of the pinned package")
        let committed = shell(
            """
            git init -q . && git add -A && GIT_COMMITTER_DATE='@1700000000 +0000' GIT_AUTHOR_DATE='@1700000000 +0000' \
            \(Self.git) commit -qm release && \(Self.git) tag -a -m \(tag) \(tag)
            """, in: dir)
        #expect(committed == 0)
        return dir
    }

    @Test func goReleaseCertifiesAndItsBinaryPrintsTheInjectedVersion() throws {
        let dir = try release(tag: "v1.2.3")
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let key = (dir as NSString).deletingLastPathComponent + "/builder"
        #expect(try CLI.run(["keygen", "-o", key]).status == 0)
        let result = try CLI.run(
            ["check", dir, "--json", "--sign", key + ".key"],
            environment: ["REPRO_TOOLCHAIN_PATH": GoToolchain.shared.specDir])
        #expect(result.status == 0, "\(result.stderr)")
        let report = (try? json(result.stdout)) ?? [:]
        let outputs = (report["outputs"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(
            outputs == ["dist/SHA256SUMS"]
                + ["darwin_arm64.tar.gz", "linux_amd64.tar.gz", "linux_arm64.tar.gz", "windows_amd64.zip"]
                .map { "dist/go-release_v1.2.3_" + $0 })
        #expect((report["normalization"] as? [String: String])?["git_describe"] == "v1.2.3")

        let dist = dir + "/.repro/out/dist"
        let sums = try Shell.run(["/bin/sh", "-c", "sha256sum -c SHA256SUMS"], directory: dist)
        #expect(sums.status == 0, "\(sums.stdout)\(sums.stderr)")
        #expect(sums.stdout.split(separator: "\n").count == 4)
        // The host's binary, unpacked from its archive, prints what the build injected.
        let unpacked = try Shell.run(
            [
                "/bin/sh", "-c",
                "tar -xzf go-release_v1.2.3_linux_amd64.tar.gz -C \"$TMPDIR\" && \"$TMPDIR\"/go-release_v1.2.3_linux_amd64/go-release --version && \"$TMPDIR\"/go-release_v1.2.3_linux_amd64/go-release",
            ],
            directory: dist,
            environment: ProcessInfo.processInfo.environment.merging([
                "TMPDIR": (dir as NSString).deletingLastPathComponent
            ]) { _, new in new })
        #expect(unpacked.status == 0, "\(unpacked.stderr)")
        #expect(
            unpacked.stdout
                == "go-release v1.2.3 (built 2023-11-14T22:13:20Z, linux/amd64)\n512 bytes is 512 B\n82854982 bytes is 83 MB\n1099511627776 bytes is 1.1 TB\n"
        )
        // The archives are stamped with the commit's time, and owned by no one.
        let listing = try Shell.run(["tar", "-tvzf", "go-release_v1.2.3_linux_arm64.tar.gz"], directory: dist)
        #expect(
            listing.stdout.split(separator: "\n").allSatisfy {
                $0.contains(" 0/0 ") && $0.contains("2023-11-14 22:13")
            }, "\(listing.stdout)")
        // The signed bundle certifies SHA256SUMS, and through it the archives beside it.
        let verified = try CLI.run([
            "verify", dir + "/.repro/repro.intoto.jsonl", "--key", key + ".pub", "--checksums", dist + "/SHA256SUMS",
            "--require-reproducible",
        ])
        #expect(verified.status == 0, "\(verified.stderr)")
    }

    @Test func theDateVariantDiffersInItsBinary() throws {
        let dir = try release(tag: "v1.2.3", build: "go-release-date/build.sh")
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let result = try CLI.run(
            ["check", dir, "--json"], environment: ["REPRO_TOOLCHAIN_PATH": GoToolchain.shared.specDir])
        #expect(result.status == 1, "\(result.stderr)")
        let report = (try? json(result.stdout)) ?? [:]
        #expect(report["verdict"] as? String == "differ")
        let differing = (report["differences"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(differing == ["dist/go-release"])
    }

    /// actionlint from the test environment (scripts/test-venv.sh); missing is a failure.
    func actionlint() throws -> String {
        let python =
            ProcessInfo.processInfo.environment["REPRO_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? DebianToolchain.repository + "/.build-venv/bin/python"
        let path = (python as NSString).deletingLastPathComponent + "/actionlint"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw InteropTests.MissingEnvironment(
                description: "actionlint is missing at \(path): run scripts/test-venv.sh (make test does)")
        }
        return path
    }

    @Test func theExampleWorkflowsPassActionlint() throws {
        let linter = try actionlint()
        let workflows = DebianToolchain.repository + "/examples/go-release/.github/workflows"
        let files = try FileManager.default.contentsOfDirectory(atPath: workflows).filter { $0.hasSuffix(".yml") }
            .sorted()
        #expect(files == ["check.yml", "release.yml"])
        let result = try Shell.run([linter, "-no-color"] + files.map { workflows + "/" + $0 })
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // The linter does look: a misspelt input of a pinned action is an error.
        let dir = NSTemporaryDirectory() + "repro-actionlint-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/.github/workflows", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let broken = try String(contentsOfFile: workflows + "/check.yml", encoding: .utf8).replacingOccurrences(
            of: "fetch-depth:", with: "fetch-dept:")
        try broken.write(toFile: dir + "/.github/workflows/check.yml", atomically: true, encoding: .utf8)
        let failed = try Shell.run([linter, "-no-color", dir + "/.github/workflows/check.yml"])
        #expect(failed.status != 0)
        #expect(failed.stdout.contains("fetch-dept"))
    }
}
