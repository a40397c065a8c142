import FoundationEssentials
import Glibc
import ReproCore

/// What `repro check` writes for CI systems besides its report: the GitHub Actions output
/// (``GitHubOutput``) with the build logs read from disk, the job summary, the JUnit file.
public enum CIOutput {
    /// How much of each build log a GitHub log group shows: its last 64 KiB.
    public static let logTailBytes = 64 * 1024

    /// Whether `repro check` defaults to the GitHub format: inside GitHub Actions, which sets
    /// `GITHUB_ACTIONS=true` for every step.
    public static func isGitHubActions(_ environment: [String: String]) -> Bool {
        environment["GITHUB_ACTIONS"] == "true"
    }

    /// The prefix that makes an output path (relative to the project) a path from the workflow's
    /// workspace (`GITHUB_WORKSPACE`), for annotations: "" when the project is the workspace or
    /// outside it, `sub/dir/` for a project in a subdirectory.
    public static func filePrefix(project: String, environment: [String: String]) -> String {
        guard var workspace = environment["GITHUB_WORKSPACE"], !workspace.isEmpty else { return "" }
        while workspace.count > 1, workspace.hasSuffix("/") { workspace.removeLast() }
        guard project.hasPrefix(workspace + "/") else { return "" }
        return String(project.dropFirst(workspace.count + 1)) + "/"
    }

    /// The runs' logs (the last ``logTailBytes`` of each), in run order, for the log groups.
    public static func logs(of report: CheckReport) -> [GitHubOutput.Log] {
        report.runs.compactMap { run in
            guard let path = run.log, case .success(let fd) = Syscalls.open(path, O_RDONLY) else { return nil }
            defer { close(fd) }
            let size = max(0, lseek(fd, 0, SEEK_END))
            let start = size > off_t(logTailBytes) ? size - off_t(logTailBytes) : 0
            lseek(fd, start, SEEK_SET)
            var data = Data()
            var chunk = [UInt8](repeating: 0, count: 65536)
            while case .success(let n) = chunk.withUnsafeMutableBytes({ Syscalls.read(fd, $0) }), n > 0 {
                data.append(contentsOf: chunk[..<n])
            }
            return GitHubOutput.Log(
                run: run.index, path: path, text: String(decoding: data, as: UTF8.self), truncated: start > 0)
        }
    }

    /// Appends Markdown to the job summary file named by `GITHUB_STEP_SUMMARY`, if it is set.
    /// Returns a warning to print when it cannot be written.
    public static func appendStepSummary(_ markdown: String, environment: [String: String]) -> String? {
        guard let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else { return nil }
        guard case .success(let fd) = Syscalls.open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644) else {
            return "cannot write the job summary to \(path) (GITHUB_STEP_SUMMARY)"
        }
        defer { close(fd) }
        if case .failure(let error) = Syscalls.writeAll(fd, Array(markdown.utf8)) {
            return "cannot write the job summary to \(path) (GITHUB_STEP_SUMMARY): \(error.text)"
        }
        return nil
    }

    /// Writes a JUnit XML report (``JUnitReport``) to `path`, replacing it whole (``AtomicFile``):
    /// a report that cannot be written leaves the earlier one, and no part of the new one.
    public static func writeJUnit(_ xml: String, to path: String) throws(ReproError) {
        try AtomicFile.write(Array(xml.utf8), to: path) { e in
            .configuration(
                "cannot write the JUnit report \(path): \(e.text). Check that its directory exists and is writable, or pass another --junit FILE.",
                errno: e.code)
        }
    }
}
