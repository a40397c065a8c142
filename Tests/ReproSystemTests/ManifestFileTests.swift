import Crypto
import Foundation
import ReproCore
import Testing
@testable import ReproSystem

/// The files ReproCore's values are written to and read from: a manifest written whole, and the
/// artifacts `repro verify --artifacts DIR --subjects-only` hashes.
@Suite struct ManifestFileTests {
    /// A bundle of two signed envelopes.
    private func bundle() throws -> Manifest {
        let key = SigningKey.generate()
        return Manifest(
            envelopes: try ["{\"a\":1}", "{\"b\":2}"].map { text throws(ReproError) in
                try DSSEEnvelope.sign(
                    payload: Array(text.utf8), payloadType: DSSEEnvelope.inTotoPayloadType, key: key)
            })
    }

    @Test func writesAtomicallyAndReadsBack() throws {
        let dir = makeTemporaryDirectory("manifest")
        defer { Syscalls.removeTree(dir) }
        let path = dir + "/" + Manifest.defaultFileName
        let first = try bundle()
        try first.write(toFile: path)
        #expect(try Manifest.read(Data(contentsOf: URL(fileURLWithPath: path))) == first)
        // An existing manifest is replaced, and no temporary file stays beside it.
        let second = try bundle()
        try second.write(toFile: path)
        #expect(try Manifest.read(Data(contentsOf: URL(fileURLWithPath: path))) == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [Manifest.defaultFileName])
        let error = #expect(throws: ReproError.self) { try second.write(toFile: dir + "/missing/dir/x.jsonl") }
        #expect(error?.kind == .configuration)
        #expect(error?.errno == ENOENT)
        #expect(
            error?.message
                == "cannot write the manifest \(dir)/missing/dir/x.jsonl: No such file or directory; check that its directory exists and is writable"
        )
    }

    @Test func artifactsAreCheckedByContent() throws {
        let dir = makeTemporaryDirectory("artifacts")
        defer { Syscalls.removeTree(dir) }
        try FileManager.default.createDirectory(atPath: "\(dir)/out", withIntermediateDirectories: true)
        let files = ["out/a": Data("alpha\n".utf8), "out/b": Data("beta\n".utf8)]
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: "\(dir)/\(name)")) }
        let subjects = files.map { Subject(name: $0.key, sha256: Hex.encode(SHA256.hash(data: $0.value))) }
        try Verifier.checkArtifacts(subjects, in: dir)
        try Data("alphA\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/out/a"))
        var error = #expect(throws: ReproError.self) { try Verifier.checkArtifacts(subjects, in: dir) }
        #expect(error?.message.contains("out/a: SHA-256 is") == true)
        #expect(error?.kind == .verification)
        try FileManager.default.removeItem(atPath: "\(dir)/out/a")
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/out/a", withDestinationPath: "\(dir)/elsewhere")
        try Data("alpha\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/elsewhere"))
        error = #expect(throws: ReproError.self) { try Verifier.checkArtifacts(subjects, in: dir) }
        #expect(error?.kind == .verification)
        #expect(error?.message.contains("symbolic link") == true)
        try FileManager.default.removeItem(atPath: "\(dir)/out/b")
        error = #expect(throws: ReproError.self) { try Verifier.checkArtifacts(subjects, in: dir) }
        #expect(error?.kind == .verification)
        #expect(error?.message.contains("out/b: missing") == true)
        error = #expect(throws: ReproError.self) { try Verifier.checkArtifacts(subjects, in: dir + "/none") }
        #expect(error?.kind == .configuration)
    }
}
