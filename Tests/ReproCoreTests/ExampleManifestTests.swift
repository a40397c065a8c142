import Foundation
import Testing
@testable import ReproCore

/// The example manifest in docs/examples/ stays verifiable and in step with the writer.
///
/// `REPRO_REGENERATE_EXAMPLE=1 swift test --filter ExampleManifestTests` rewrites it with a new
/// throwaway key (only the public half is kept).
@Suite struct ExampleManifestTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/examples").path
    static let bundlePath = directory + "/synthetic.intoto.jsonl"
    static let keyPath = directory + "/synthetic.pub"

    func expected(key: SigningKey?) throws -> Manifest {
        try Manifest.make(
            provenance: ManifestFixtures.provenance(), reproducibility: ManifestFixtures.differ, signingKey: key)
    }

    @Test func exampleVerifiesAndMatchesTheWriter() throws {
        if ProcessInfo.processInfo.environment["REPRO_REGENERATE_EXAMPLE"] == "1" {
            let key = SigningKey.generate()
            try FileManager.default.createDirectory(atPath: Self.directory, withIntermediateDirectories: true)
            try expected(key: key).data.write(to: URL(fileURLWithPath: Self.bundlePath))
            try Data(key.publicKey.pemRepresentation.utf8).write(to: URL(fileURLWithPath: Self.keyPath))
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.bundlePath))
        let key = try PublicKey(pemFile: Self.keyPath)
        let report = try Verifier.verify(bundle: data, keys: [key])
        #expect(report.reproducibility.verdict == .differ)
        // Signatures are compared by verifying; the statement bodies byte for byte.
        #expect(try Manifest.read(data).envelopes.map(\.payload) == expected(key: nil).envelopes.map(\.payload))
        // A different key does not verify it.
        #expect(throws: ReproError.self) { try Verifier.verify(bundle: data, keys: [SigningKey.generate().publicKey]) }
    }
}
