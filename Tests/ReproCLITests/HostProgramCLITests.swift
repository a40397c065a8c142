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
    @Test func withSIGCHLDIgnoredAGitRunIsAnErrorNotASuccess() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/x\n"], config: config, git: true)
        defer { project.remove() }
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        // An ignored signal stays ignored across exec: repro starts with SIGCHLD ignored, so the
        // kernel reaps git itself and waitpid fails with ECHILD.
        // (dash's `trap '' CHLD` does not ignore it; Python's signal module does.)
        let result = try Shell.run(
            [
                try InteropTests().python(), "-c",
                "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])",
                CLI.binary, "check", project.dir,
            ], environment: env)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("cannot tell how git ended"), "\(result.stderr)")
        #expect(result.stderr.contains("SIGCHLD"))
    }
}
