import Foundation
@testable import ReproCore

/// Sample check results for manifest tests.
enum ManifestFixtures {
    static let treeA = "t1:" + String(repeating: "a1", count: 32)
    static let treeB = "t1:" + String(repeating: "b2", count: 32)

    static func provenance(subjects: [Subject]? = nil, invocationID: String = "0f5c3f0e-2c1e-4a8e-9d55-6a3f1c2b7d10")
        throws -> ProvenanceInputs
    {
        ProvenanceInputs(
            subjects: subjects ?? [
                Subject(name: "out/hello", sha256: String(repeating: "0123456789abcdef", count: 4)),
                Subject(name: "out/hello.1", sha256: String(repeating: "fedcba9876543210", count: 4)),
            ],
            command: ["make", "-j1", "all"],
            profile: "default",
            config: [
                "build": ["command": ["make", "-j1", "all"], "outputs": ["out/"]],
                "toolchains": ["debian-bookworm-build"],
            ],
            normalization: ["SOURCE_DATE_EPOCH": "1700000000", "TZ": "UTC", "LANG": "C.UTF-8", "umask": "022"],
            isolation: [
                "namespaces": ["user", "mount", "pid", "net", "uts", "ipc"], "seccomp": true,
                "network": "loopback-only",
            ],
            dependencies: [
                .archive(
                    name: "debian-bookworm-build", uri: "file:///srv/mirror/debian-bookworm-build.tar.gz",
                    sha256: String(repeating: "45287bb9", count: 8)),
                try .sourceTree(
                    uri: "git+file:///home/dev/hello", treeDigest: "t1:" + String(repeating: "5e", count: 32)),
            ],
            reproVersion: "0.1.0",
            invocationID: invocationID,
            startedOn: Date(timeIntervalSince1970: 1_790_000_000),
            finishedOn: Date(timeIntervalSince1970: 1_790_000_042)
        )
    }

    static let reproducible = ReproducibilityInputs(
        runs: [
            RunRecord(index: 1, outputTreeDigest: treeA, exitStatus: 0),
            RunRecord(index: 2, outputTreeDigest: treeA, exitStatus: 0),
        ],
        verdict: .reproducible)

    static let differ = ReproducibilityInputs(
        runs: [
            RunRecord(index: 1, outputTreeDigest: treeA, exitStatus: 0),
            RunRecord(index: 2, outputTreeDigest: treeB, exitStatus: 0),
        ],
        verdict: .differ,
        differences: [
            DifferingFile(path: "out/hello", kind: .changed, sizes: [16384, 16384], firstDifferingOffset: 4120)
        ])

    static let buildFailed = ReproducibilityInputs(
        runs: [RunRecord(index: 1, outputTreeDigest: nil, exitStatus: 2)],
        verdict: .buildFailed)
}

extension PublicKey {
    /// The key in the PEM file at `path` (the file read here; ReproSystem reads key files for repro).
    init(pemFile path: String) throws {
        try self.init(pem: String(contentsOfFile: path, encoding: .utf8), source: path)
    }
}
