import Foundation
import ReproCore

extension CheckOutcome {
    /// The check's two statements (SLSA provenance and reproducibility), signed with `key`
    /// when one is given.
    ///
    /// Subjects are the certified outputs of a reproducible check; for a check whose outputs
    /// differ they are run 1's outputs, which the reproducibility statement marks as not
    /// reproducible; a check whose first run failed has none.
    public func manifest(signingKey key: SigningKey?) throws(ReproError) -> Manifest {
        let files = (runEntries.first ?? nil)?.filter { $0.kind == .file } ?? []
        let subjects = files.map { Subject(name: $0.path, sha256: $0.sha256) }
        var dependencies: [ResolvedDependency] = toolchains.map {
            .archive(name: $0.name, uri: $0.cached.source.url, sha256: $0.cached.source.sha256)
        }
        // The profile is an input like the toolchains: its name alone would not say which rules
        // the sandbox applied.
        dependencies.append(.archive(name: ManifestURI.profileDependencyName, uri: profileSource.uri, sha256: profileSource.sha256))
        dependencies.append(try .sourceTree(name: "source", uri: report.source.uri ?? "file://" + report.project, treeDigest: report.source.digest))
        let config: JSONValue
        let isolationJSON: JSONValue
        do {
            config = try JSONValue(encoding: self.config)
            isolationJSON = try isolation.map { try JSONValue(encoding: $0) } ?? .null
        } catch {
            throw .configuration("cannot encode the manifest's parameters: \(error)")
        }
        let provenance = ProvenanceInputs(
            subjects: subjects, command: report.command, profile: report.profile, config: config,
            normalization: report.normalization, isolation: isolationJSON, dependencies: dependencies,
            reproVersion: ReproInfo.version, invocationID: invocationID, startedOn: startedOn, finishedOn: finishedOn)

        // One entry per differing path, with its size in every run.
        var differing: [DifferingFile] = []
        var seen = Set<String>()
        for difference in report.differences where seen.insert(difference.path).inserted {
            let sizes: [Int64?] = runEntries.map { entries in
                (entries?.first { $0.path == difference.path }).map { Int64($0.size) }
            }
            differing.append(DifferingFile(path: difference.path, kind: difference.kind, sizes: sizes,
                                           firstDifferingOffset: difference.firstDifference,
                                           explanation: difference.explanation, findings: difference.findings ?? []))
        }
        let reproducibility = ReproducibilityInputs(
            runs: report.runs.map { RunRecord(index: $0.index, outputTreeDigest: $0.outputDigest, exitStatus: $0.exitStatus) },
            verdict: report.verdict, differences: differing)
        return try Manifest.make(provenance: provenance, reproducibility: reproducibility, signingKey: key)
    }
}
