import FoundationEssentials
import Glibc

/// `repro check --format github`: GitHub Actions workflow commands (log groups, error
/// annotations) and the Markdown job summary, made from a check's report.
///
/// The build logs are the build's own text, which repro does not trust: inside a group they are
/// printed between `::stop-commands::TOKEN` and `::TOKEN::` with a token the build cannot know,
/// so a line of the log that looks like a workflow command (`::add-mask::`, `::error::`) is
/// shown, never obeyed; control characters are escaped as on a terminal (``TerminalText``).
public enum GitHubOutput {
    /// A build log to show: the run, and the log's text (or its tail).
    public struct Log: Sendable {
        /// The run (1-based).
        public var run: Int
        /// Where the full log is.
        public var path: String
        /// The text shown.
        public var text: String
        /// Whether `text` is only the end of the log.
        public var truncated: Bool

        /// Creates a log.
        public init(run: Int, path: String, text: String, truncated: Bool) {
            self.run = run
            self.path = path
            self.text = text
            self.truncated = truncated
        }
    }

    /// A workflow command's message with `%`, CR and LF escaped, as the runner reads it back.
    public static func escapeData(_ text: String) -> String {
        text.replacingEvery("%", with: "%25").replacingEvery("\r", with: "%0D")
            .replacingEvery("\n", with: "%0A")
    }

    /// A workflow command's property value: ``escapeData(_:)`` and `:` and `,` escaped too.
    public static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingEvery(":", with: "%3A").replacingEvery(",", with: "%2C")
    }

    /// An `::error` annotation, with a file when it names one.
    public static func error(_ message: String, title: String, file: String? = nil) -> String {
        var properties: [String] = []
        if let file { properties.append("file=" + escapeProperty(file)) }
        properties.append("title=" + escapeProperty(TerminalText.escape(title)))
        return "::error " + properties.joined(separator: ",") + "::" + escapeData(TerminalText.escape(message))
    }

    /// The lines `repro check --format github` prints on stdout: each log in a group, then an
    /// annotation per differing file (`file=` is `filePrefix` + the output's path, the path from
    /// the workflow's workspace), per failed run, or a notice for a reproducible check; then
    /// the human summary.
    public static func lines(report: CheckReport, logs: [Log], filePrefix: String, token: String) -> [String] {
        var lines: [String] = []
        for log in logs {
            let run = report.runs.first { $0.index == log.run }
            let status = run.map { $0.failure ?? "exit \($0.exitStatus)" } ?? ""
            lines.append("::group::" + escapeData("run \(log.run) build log (\(status))"))
            if log.truncated { lines.append("(the end of the log; the whole log is \(log.path))") }
            lines.append("::stop-commands::" + token)
            var text = log.text
            if text.hasSuffix("\n") { text.removeLast() }
            if !text.isEmpty { lines.append(TerminalText.escape(text)) }
            lines.append("::" + token + "::")
            lines.append("::endgroup::")
        }
        switch report.verdict {
        case .reproducible:
            lines.append(
                "::notice title=" + escapeProperty("Reproducible") + "::"
                    + escapeData("\(report.runs.count) runs produced identical outputs, \(report.outputDigest ?? "-")"))
        case .differ:
            for d in report.differences {
                lines.append(error(differenceText(d), title: "Not reproducible: \(d.path)", file: filePrefix + d.path))
            }
        case .buildFailed:
            for run in report.runs where run.failure != nil {
                lines.append(
                    error(
                        "run \(run.index): \(run.failure ?? "failed")" + (run.log.map { "; full log: \($0)" } ?? ""),
                        title: "Build failed in run \(run.index)"))
            }
        }
        lines.append(
            contentsOf: report.summary.split(separator: "\n", omittingEmptySubsequences: false).map {
                TerminalText.escape(String($0))
            })
        return lines
    }

    /// One difference in a sentence: kind, run, sizes, first differing byte, likely cause.
    static func differenceText(_ d: Difference) -> String {
        let sizes = d.sizes.map { $0.map(String.init) ?? "absent" }.joined(separator: " vs ")
        var text = "\(d.path) is \(d.kind.rawValue) in run \(d.run) (sizes \(sizes)"
        if let offset = d.firstDifference { text += ", first difference at byte \(offset)" }
        text += ")"
        if let why = d.explanation { text += ". Likely cause: \(why)" }
        return text
    }

    /// The Markdown job summary appended to `$GITHUB_STEP_SUMMARY`: the verdict, the digests,
    /// the outputs or the differences with their likely causes, or the failed runs.
    public static func stepSummary(report: CheckReport) -> String {
        var lines: [String] = []
        let title: String
        switch report.verdict {
        case .reproducible: title = "✅ reproducible"
        case .differ: title = "❌ not reproducible"
        case .buildFailed: title = "❌ build failed"
        }
        lines.append("## repro check: \(title)")
        lines.append("")
        lines.append("| | |")
        lines.append("|---|---|")
        lines.append("| Project | \(code(report.project)) |")
        lines.append("| Verdict | \(report.verdict.rawValue) (exit \(report.exitCode), \(report.runs.count) runs) |")
        if let describe = report.normalization["git_describe"] {
            lines.append("| Version | \(code(describe)) |")
        }
        if let commit = report.source.commit { lines.append("| Commit | \(code(commit)) |") }
        lines.append("| Source digest | \(code(report.source.digest)) |")
        if let digest = report.outputDigest { lines.append("| Output digest | \(code(digest)) |") }
        for run in report.runs {
            lines.append(
                "| Run \(run.index) | \(run.failure.map(cell) ?? "exit \(run.exitStatus)"), \(String(printf: "%.1f", run.seconds)) s, \(run.outputDigest.map(code) ?? "no outputs") |"
            )
        }
        if let manifest = report.manifest {
            lines.append("| Manifest | \(code(manifest)) (\(report.manifestSigned == true ? "signed" : "unsigned")) |")
        }
        switch report.verdict {
        case .reproducible:
            lines.append("")
            lines.append("| Output | SHA-256 | Bytes |")
            lines.append("|---|---|---|")
            for output in report.outputs {
                lines.append("| \(code(output.path)) | \(code(output.sha256)) | \(output.size) |")
            }
        case .differ:
            lines.append("")
            lines.append("| Differs | Kind | Run | First differing byte | Likely cause |")
            lines.append("|---|---|---|---|---|")
            for d in report.differences {
                lines.append(
                    "| \(code(d.path)) | \(d.kind.rawValue) | \(d.run) | \(d.firstDifference.map(String.init) ?? "-") | \(d.explanation.map(cell) ?? "-") |"
                )
            }
        case .buildFailed:
            break
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The Markdown job summary of a check that stopped with an error instead of a verdict.
    public static func stepSummary(error: ReproError, project: String) -> String {
        "## repro check: ❌ error (exit \(error.status.rawValue))\n\n\(cell(error.message))\n\nProject: \(code(project))\n"
    }

    /// Text for a Markdown table cell: `|` escaped, lines joined, control characters escaped.
    static func cell(_ text: String) -> String {
        TerminalText.escape(text).replacingEvery("\n", with: " ").replacingEvery("|", with: "\\|")
    }

    /// Text as inline code in a table cell, whatever backticks it holds.
    static func code(_ text: String) -> String {
        let inner = cell(text)
        var fence = "`"
        while inner.contains(fence) { fence += "`" }
        let pad = inner.hasPrefix("`") || inner.hasSuffix("`") ? " " : ""
        return fence + pad + inner + pad + fence
    }
}
