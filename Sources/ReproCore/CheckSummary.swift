import FoundationEssentials
import Glibc

extension CheckReport {
    /// The human-readable summary `repro check` prints on stdout without `--json`.
    public var summary: String {
        let report = self
        var lines: [String] = []
        switch report.verdict {
        case .reproducible:
            lines.append("REPRODUCIBLE: \(report.runs.count) runs produced identical outputs")
            lines.append("output digest: \(report.outputDigest ?? "-")")
            for output in report.outputs {
                lines.append("  \(output.sha256)  \(output.path)")
            }
            if let dir = report.outputDir { lines.append("certified outputs: \(dir)") }
        case .differ:
            let files = Set(report.differences.map(\.path)).count
            lines.append("NOT REPRODUCIBLE: \(files) file\(files == 1 ? " differs" : "s differ") between runs")
            for run in report.runs {
                lines.append("  run \(run.index): \(run.outputDigest ?? "-")")
            }
            for d in report.differences { lines += Self.lines(of: d) }
            if let kept = report.keptRuns, report.runs.count >= 2 {
                lines.append("  explain further: repro diff \(kept)/run-1 \(kept)/run-2 --html diff.html")
            }
        case .buildFailed:
            lines += failedLines()
        }
        if let kept = report.keptRuns { lines.append("run outputs kept in: \(kept)") }
        if let manifest = report.manifest {
            lines.append("manifest: \(manifest)\(report.manifestSigned == true ? " (signed)" : " (unsigned)")")
        }
        return lines.joined(separator: "\n")
    }

    /// The lines of one difference of a check whose outputs differ: the path and sizes, then its
    /// findings (or the one-line likely cause when there are none).
    private static func lines(of d: Difference) -> [String] {
        var lines: [String] = []
        var line = "  \(d.kind.rawValue) in run \(d.run): \(d.path)"
        let sizes = d.sizes.map { $0.map(String.init) ?? "absent" }.joined(separator: " vs ")
        line += " (sizes \(sizes)"
        if let offset = d.firstDifference { line += ", first difference at byte \(offset)" }
        line += ")"
        lines.append(line)
        // The findings name each cause and fix; the one-line summary only stands in for them.
        if let why = d.explanation, (d.findings ?? []).isEmpty {
            lines.append("      likely cause: \(TerminalText.field(why))")
        }
        for finding in d.findings ?? [] {
            // Names and values from inside the outputs stay on their line.
            var place = TerminalText.field(finding.location.dropFirst().joined(separator: " > "))
            if !place.isEmpty { place += ": " }
            lines.append(
                "      - \(place)\(TerminalText.field(finding.aspect))\(finding.offset.map { " at byte \($0)" } ?? ""): \(TerminalText.field(finding.detail))"
            )
            lines.append("        cause: \(finding.cause.rawValue)\(finding.fix.map { "; fix: \($0)" } ?? "")")
        }
        for note in d.explanationTruncated ?? [] { lines.append("      (cut: \(note))") }
        return lines
    }

    /// The lines of a check whose build failed: which runs failed, then each one's failure and
    /// its log.
    private func failedLines() -> [String] {
        var lines: [String] = []
        let failed = runs.filter { $0.failure != nil }
        let indices = failed.map { String($0.index) }
        let which =
            indices.count == 1
            ? "run " + indices[0] : "runs " + indices.dropLast().joined(separator: ", ") + " and " + indices.last!
        if failed.count < runs.count {
            lines.append("BUILD FAILED in \(which) but not in the others: the build itself is not deterministic")
        } else {
            lines.append("BUILD FAILED in every run")
        }
        for run in failed {
            // A failure that is whole sentences ends with its own full stop.
            let failure = run.failure ?? "failed"
            let log = run.log.map { (failure.hasSuffix(".") ? " Full log: " : "; full log: ") + $0 } ?? ""
            lines.append("  run \(run.index): \(failure)\(log)")
        }
        return lines
    }
}
