import Foundation
import Testing

private let config = """
    [build]
    command = ["sh", "build.sh"]
    outputs = ["out"]
    toolchains = ["busybox"]
    """

/// How `repro check` runs git on the host, and what it says when it cannot.
@Suite struct HostProgramCLITests {
    @Test func startedWithSIGCHLDIgnoredTheCheckStillWaitsForItsPrograms() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/x\n"], config: config, git: true)
        defer { project.remove() }
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        // An ignored signal stays ignored across exec: started with SIGCHLD ignored, repro would
        // have the kernel reap git and the sandbox's processes, and every wait would fail
        // (before, git's run read as "cannot tell how git ended", exit 4). repro sets it back.
        // (dash's `trap '' CHLD` does not ignore it; Python's signal module does.)
        let result = try Shell.run(
            [
                try InteropTests().python(), "-c",
                "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])",
                CLI.binary, "check", project.dir,
            ], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("SIGCHLD"), "\(result.stderr)")
    }

    @Test func withoutGitOnPATHAGitWorkTreeIsRefusedNotTakenForADirectory() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/x\n"], config: config, git: true)
        defer { project.remove() }
        let empty = project.dir + "-bin"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let result = try project.check(environment: ["PATH": empty])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("git was not found on PATH (\(empty))"), "\(result.stderr)")
        #expect(result.stderr.contains("is in a git work tree (\(project.dir)/.git exists)"), "\(result.stderr)")
        #expect(!result.stderr.contains("not a git work tree"))
    }

    @Test func withoutGitOnPATHAPlainDirectoryIsStillChecked() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo x > out/x\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let empty = project.dir + "-bin"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let result = try project.check(["--json"], environment: ["PATH": empty])
        #expect(result.status == 0, "\(result.stderr)")
        #expect((try json(result.stdout)["source"] as! [String: Any])["selection"] as? String == "directory")
    }
}
