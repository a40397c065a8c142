import FoundationEssentials
import Glibc
import ReproCore

/// What `repro rebuild` prints: lines for people, or one JSON object (`--json`).
public struct RebuildReport: Sendable {
    /// The rebuild.
    public var outcome: RebuildOutcome
    /// Where its own manifest was written, if anywhere.
    public var manifest: String?

    /// A report of `outcome`.
    public init(outcome: RebuildOutcome, manifest: String?) {
        self.outcome = outcome
        self.manifest = manifest
    }

    /// The differences in the words of a failed check (run 1 the original, run 2 the rebuild).
    static func differenceLines(_ differences: [Difference]) -> [String] {
        var lines: [String] = []
        for d in differences {
            var line = "  \(d.kind.rawValue) in the rebuild: \(TerminalText.escape(d.path))"
            let sizes = d.sizes.map { $0.map(String.init) ?? "unknown" }.joined(separator: " vs ")
            line += " (sizes \(sizes)"
            if let offset = d.firstDifference { line += ", first difference at byte \(offset)" }
            line += ")"
            lines.append(line)
            if let why = d.explanation { lines.append("      likely cause: \(TerminalText.escape(why))") }
        }
        return lines
    }

    /// The human-readable lines.
    public var humanLines: [String] {
        let o = outcome
        var lines: [String] = []
        let signed =
            o.signers.isEmpty
            ? "signatures NOT checked (--no-verify)" : "signed by \(o.signers.joined(separator: ", "))"
        lines.append("bundle:  \(TerminalText.escape(o.bundlePath)) (sha256 \(o.bundleSHA256)), \(signed)")
        lines.append(
            "source:  \(o.sourceFrom == "clone" ? "cloned from " : "directory, recorded as ")\(TerminalText.escape(o.original.sources.first?.uri ?? "")) t1:\(o.original.sources.first?.digest[ManifestURI.treeDigestKey] ?? "")"
        )
        switch o.result {
        case .reproduced:
            lines.append(
                "REPRODUCED: all \(o.original.subjects.count) subject\(o.original.subjects.count == 1 ? "" : "s") rebuilt bit for bit"
            )
            lines.append("output digest: \(o.outputTreeDigest ?? "-")")
            for output in o.outputs { lines.append("  \(output.sha256)  \(TerminalText.escape(output.path))") }
        case .differ:
            let files = Set(o.differences.map(\.path)).count
            lines.append("NOT REPRODUCED: \(files) file\(files == 1 ? " differs" : "s differ") from the signed outputs")
            lines.append("  signed:  \(o.expectedTreeDigest)")
            lines.append("  rebuild: \(o.outputTreeDigest ?? "-")")
            lines += Self.differenceLines(o.differences)
            if o.differences.contains(where: { $0.kind == .changed && $0.firstDifference == nil }) {
                lines.append(
                    "  (the bundle records digests only: pass the original outputs with --artifacts DIR to find the first differing byte)"
                )
            }
        case .buildFailed:
            lines.append("BUILD FAILED: \(o.failure ?? "the build failed")")
        }
        if let manifest { lines.append("manifest: \(TerminalText.escape(manifest))") }
        return lines
    }

    /// The JSON report (snake_case).
    public var jsonValue: JSONValue {
        let o = outcome
        return .object([
            "result": .string(o.result.rawValue),
            "exit_status": .integer(Int64(o.result.exitStatus.rawValue)),
            "bundle": .object([
                "path": .string(o.bundlePath), "sha256": .string(o.bundleSHA256),
                "signers": .array(o.signers.map { .string($0) }), "verified": .bool(!o.signers.isEmpty),
                "invocation_id": .string(o.original.invocationID),
            ]),
            "source": .object([
                "from": .string(o.sourceFrom), "uri": .string(o.original.sources.first?.uri ?? ""),
                "digest": .string("t1:" + (o.original.sources.first?.digest[ManifestURI.treeDigestKey] ?? "")),
            ]),
            "expected_tree_digest": .string(o.expectedTreeDigest),
            "output_tree_digest": o.outputTreeDigest.map { .string($0) } ?? .null,
            "exit_status_of_build": .integer(Int64(o.exitStatus)),
            "failure": o.failure.map { .string($0) } ?? .null,
            "seconds": .number(o.seconds),
            "subjects": .integer(Int64(o.original.subjects.count)),
            "outputs": .array(o.outputs.map { .object(["path": .string($0.path), "sha256": .string($0.sha256)]) }),
            "differences": .array(
                o.differences.map { d in
                    .object([
                        "path": .string(d.path), "kind": .string(d.kind.rawValue),
                        "sizes": .array(d.sizes.map { $0.map { .integer(Int64(clamping: $0)) } ?? .null }),
                        "first_difference": d.firstDifference.map { .integer($0) } ?? .null,
                        "explanation": d.explanation.map { .string($0) } ?? .null,
                    ])
                }),
            "manifest": manifest.map { .string($0) } ?? .null,
        ])
    }
}
