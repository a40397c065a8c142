import Crypto
import Foundation
import ReproCore

/// A check's outputs on disk and its manifest, made with repro's own writer, for CLI tests.
struct SampleCheck {
    /// A temporary directory holding the key pair, the bundles and `artifacts/`.
    let directory: String
    /// The subjects of the manifest.
    let subjects: [Subject]
    /// The `t1:` tree digest of `artifacts/` as written.
    let tree: String

    /// The certified output tree: `out/hello` and `out/doc/readme.txt`, nothing else.
    var artifacts: String { directory + "/artifacts" }

    /// Writes `artifacts/out/hello` and `artifacts/out/doc/readme.txt` under a fresh temporary directory.
    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("repro-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(
            atPath: directory + "/artifacts/out/doc", withIntermediateDirectories: true)
        let files = [
            "out/hello": Data("#!/bin/sh\necho hello\n".utf8), "out/doc/readme.txt": Data("hello, reproducibly\n".utf8),
        ]
        var subjects: [Subject] = []
        var entries: [TreeEntry] = [.directory("out"), .directory("out/doc")]
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try data.write(to: URL(fileURLWithPath: directory + "/artifacts/" + name))
            subjects.append(Subject(name: name, sha256: Hex.encode(SHA256.hash(data: data))))
            entries.append(.file(name, contents: data))
        }
        self.subjects = subjects
        tree = try TreeDigest.digest(entries)
    }

    /// Removes the directory.
    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// The manifest of a check of these outputs (reproducible, or a failed build), signed by `key` (unsigned if nil).
    /// `subjects` and `tree` replace the sample's own.
    func manifest(key: SigningKey?, verdict: Verdict = .reproducible, subjects: [Subject]? = nil, tree: String? = nil)
        throws -> Manifest
    {
        let tree = tree ?? self.tree
        let provenance = ProvenanceInputs(
            subjects: subjects ?? self.subjects, command: ["sh", "build.sh"], profile: "strict",
            config: ["build": ["command": ["sh", "build.sh"]]],
            normalization: ["SOURCE_DATE_EPOCH": "1700000000"],
            isolation: ["namespaces": ["user", "mount", "pid", "net"]],
            dependencies: [
                .archive(
                    name: "busybox", uri: "file:///srv/busybox.tar.gz", sha256: String(repeating: "9a", count: 32)),
                try .sourceTree(uri: "file:///src/hello", treeDigest: "t1:" + String(repeating: "d4", count: 32)),
            ],
            reproVersion: "0.1.0", invocationID: UUID().uuidString,
            startedOn: Date(timeIntervalSince1970: 1_800_000_000),
            finishedOn: Date(timeIntervalSince1970: 1_800_000_009))
        let runs =
            verdict == .buildFailed
            ? [RunRecord(index: 1, outputTreeDigest: nil, exitStatus: 2)]
            : [
                RunRecord(index: 1, outputTreeDigest: tree, exitStatus: 0),
                RunRecord(index: 2, outputTreeDigest: tree, exitStatus: 0),
            ]
        return try Manifest.make(
            provenance: provenance, reproducibility: ReproducibilityInputs(runs: runs, verdict: verdict),
            signingKey: key)
    }

    /// Writes `data` to `name` under the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let path = directory + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }
}
