import FoundationEssentials
import Glibc
import ReproCore

extension RebuildOutcome {
    /// The rebuild's own bundle, in the check's format so that `repro verify` and `repro compare`
    /// read it: the SLSA provenance of the rebuild (the original's build definition, this machine's
    /// isolation and times; subjects the rebuild's outputs), and a reproducibility statement whose
    /// run 1 is the rebuild and run 2 the original's run 1, with `rebuildOf` naming the original
    /// bundle's SHA-256, its signers and its invocationId. Signed with `key` when one is given.
    public func manifest(signingKey key: SigningKey?) throws(ReproError) -> Manifest {
        let subjects = outputs.map { Subject(name: $0.path, sha256: $0.sha256) }
        let isolationJSON: JSONValue
        do {
            isolationJSON = try isolation.map { try JSONValue(encoding: $0) } ?? .null
        } catch {
            throw .configuration("cannot encode the manifest's parameters: \(error)")
        }
        var provenance = ProvenanceInputs(
            subjects: result == .buildFailed ? [] : subjects, command: original.command, profile: original.profile,
            config: original.config, normalization: original.normalization, isolation: isolationJSON,
            dependencies: original.dependencies, reproVersion: ReproInfo.version, invocationID: invocationID,
            startedOn: startedOn, finishedOn: finishedOn)
        provenance.environment = original.environment ?? [:]
        let originalExit = originalReproducibility.runs.first?.exitStatus ?? 0
        let runs = [
            RunRecord(index: 1, outputTreeDigest: outputTreeDigest, exitStatus: exitStatus),
            RunRecord(index: 2, outputTreeDigest: expectedTreeDigest, exitStatus: originalExit),
        ]
        // Differences as seen from run 1, the rebuild: a subject it did not produce is only in a
        // later run (extra); a file only it produced is absent from a later run (missing).
        let differing: [DifferingFile] =
            result != .differ
            ? []
            : differences.map { d in
                let kind: DifferenceKind = d.kind == .missing ? .extra : d.kind == .extra ? .missing : .changed
                let sizes = [d.sizes.count > 1 ? d.sizes[1] : nil, d.sizes.first ?? nil].map {
                    $0.map { Int64(clamping: $0) }
                }
                return DifferingFile(path: d.path, kind: kind, sizes: sizes, firstDifferingOffset: d.firstDifference)
            }.filter { Statement.pathProblem($0.path) == nil }
        let verdict: Verdict = result == .reproduced ? .reproducible : result == .differ ? .differ : .buildFailed
        let reproducibility = ReproducibilityInputs(
            runs: runs, verdict: verdict, differences: differing,
            rebuildOf: RebuildReference(
                bundleSHA256: bundleSHA256, signers: signers, invocationID: original.invocationID))
        return try Manifest.make(provenance: provenance, reproducibility: reproducibility, signingKey: key)
    }
}
