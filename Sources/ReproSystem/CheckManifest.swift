import FoundationEssentials
import Glibc
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
        let dependencies = try resolvedDependencies()
        let config: JSONValue
        let isolationJSON: JSONValue
        do {
            config = try JSONValue(encoding: self.config)
            isolationJSON = try isolation.map { try JSONValue(encoding: $0) } ?? .null
        } catch {
            throw .configuration("cannot encode the manifest's parameters: \(error)")
        }
        var provenance = ProvenanceInputs(
            subjects: subjects, command: report.command, profile: report.profile, config: config,
            normalization: report.normalization, isolation: isolationJSON, dependencies: dependencies,
            reproVersion: ReproInfo.version, invocationID: invocationID, startedOn: startedOn, finishedOn: finishedOn)
        provenance.environment = environment
        let reproducibility = ReproducibilityInputs(
            runs: report.runs.map {
                RunRecord(index: $0.index, outputTreeDigest: $0.outputDigest, exitStatus: $0.exitStatus)
            },
            verdict: report.verdict, differences: differingFiles())
        return try Manifest.make(provenance: provenance, reproducibility: reproducibility, signingKey: key)
    }

    /// The manifest's resolved dependencies: the toolchains, the profile and the source tree.
    private func resolvedDependencies() throws(ReproError) -> [ResolvedDependency] {
        // Each archive as its spec gives it (the URL, never a cache path), with where it is
        // mounted: enough to rebuild without the spec. A Debian lock is recorded package by package
        // (`pkg:deb/debian/NAME@VERSION?arch=ARCH` with the .deb's SHA-256, its pool path, size and
        // suite), so an auditor sees exactly what the environment held and a rebuild can fetch it.
        var dependencies: [ResolvedDependency] = toolchains.flatMap { toolchain -> [ResolvedDependency] in
            if toolchain.cached.packages.isEmpty {
                var archive = ResolvedDependency.archive(
                    name: toolchain.name, uri: toolchain.cached.source.url, sha256: toolchain.cached.source.sha256)
                archive.annotations = [
                    "mount": .string(toolchain.cached.source.mount),
                    "strip_components": .integer(Int64(toolchain.cached.source.stripComponents)),
                ]
                return [archive]
            }
            return toolchain.cached.packages.map { pin in
                var package = ResolvedDependency.archive(name: toolchain.name, uri: pin.purl, sha256: pin.sha256)
                package.annotations = [
                    "path": .string(pin.path), "size": .integer(Int64(clamping: pin.size)),
                    "suite": .string(
                        toolchain.cached.source.url.hasPrefix("debian:")
                            ? String(toolchain.cached.source.url.dropFirst("debian:".count)) : ""),
                ]
                return package
            }
        }
        // The profile is an input like the toolchains: its name alone would not say which rules
        // the sandbox applied.
        dependencies.append(
            .archive(name: ManifestURI.profileDependencyName, uri: profileSource.uri, sha256: profileSource.sha256))
        var source = try ResolvedDependency.sourceTree(
            name: "source", uri: report.source.uri ?? "file://" + report.project, treeDigest: report.source.digest)
        if let origin = sourceOrigin {
            if let commit = origin.commit { source.digest[ManifestURI.gitCommitKey] = commit }
            source.annotations = origin.annotations
        }
        dependencies.append(source)
        return dependencies
    }

    /// One entry per differing path, with its size in every run.
    private func differingFiles() -> [DifferingFile] {
        var differing: [DifferingFile] = []
        var seen = Set<String>()
        for difference in report.differences where seen.insert(difference.path).inserted {
            let sizes: [Int64?] = runEntries.map { entries in
                (entries?.first { $0.path == difference.path }).map { Int64($0.size) }
            }
            differing.append(
                DifferingFile(
                    path: difference.path, kind: difference.kind, sizes: sizes,
                    firstDifferingOffset: difference.firstDifference,
                    explanation: difference.explanation, findings: difference.findings ?? []))
        }
        return differing
    }
}
