import Crypto
import Foundation

/// What `repro verify` established about a bundle.
public struct VerificationReport: Sendable, Equatable {
    /// The keyids that validly signed each envelope, in line order.
    public var signers: [[String]]
    /// The verified SLSA provenance statement.
    public var provenance: ProvenanceSummary
    /// The verified reproducibility predicate.
    public var reproducibility: ReproducibilityInputs
    /// The number of subject files checked against a directory, nil if none was given.
    public var artifactsChecked: Int?

    /// The report as JSON (`repro verify --json`).
    public var jsonValue: JSONValue {
        func dependency(_ d: ResolvedDependency) -> JSONValue { d.jsonValue }
        return .object([
            "verified": true,
            "envelopes": .array(zip([ManifestURI.slsaProvenance, ManifestURI.reproducibility], signers).map {
                .object(["predicateType": .string($0.0), "keyids": .array($0.1.map { .string($0) })])
            }),
            "builder": .object(["id": .string(provenance.builderID), "version": provenance.reproVersion.map { .string($0) } ?? .null]),
            "buildType": .string(provenance.buildType),
            "invocationId": .string(provenance.invocationID),
            "startedOn": .string(provenance.startedOn),
            "finishedOn": .string(provenance.finishedOn),
            "command": .array(provenance.command.map { .string($0) }),
            "profile": .string(provenance.profile),
            "sources": .array(provenance.sources.map(dependency)),
            "toolchains": .array(provenance.toolchains.map(dependency)),
            "verdict": .string(reproducibility.verdict.rawValue),
            "runs": .array(reproducibility.runs.map {
                .object(["index": .integer(Int64($0.index)), "outputTreeDigest": $0.outputTreeDigest.map { .string($0) } ?? .null,
                         "exitStatus": .integer(Int64($0.exitStatus))])
            }),
            "differences": .array(reproducibility.differences.map {
                .object(["path": .string($0.path), "kind": .string($0.kind.rawValue)])
            }),
            "subjects": .array(provenance.subjects.map { .object(["name": .string($0.name), "sha256": .string($0.sha256)]) }),
            "artifactsChecked": artifactsChecked.map { .integer(Int64($0)) } ?? .null,
        ])
    }
}

/// Verifies manifests, failing closed: anything not positively checked is an error (exit 5).
///
/// Only payload bytes whose signature verified are ever parsed, and only once, strictly.
public enum Verifier {
    /// Checks one envelope's signatures against `keys` and returns the keyids that signed it.
    ///
    /// Rules: the payload type is `application/vnd.in-toto+json`; there is at least one signature;
    /// every signature is exactly 64 bytes; no keyid or signature appears twice; a signature whose
    /// keyid names a given key must verify with that key; one without a keyid is tried with every
    /// given key; at least one signature verifies. Signatures by other keyids are ignored.
    public static func verifyEnvelope(_ envelope: DSSEEnvelope, keys: [PublicKey]) throws(ReproError) -> [String] {
        guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
            throw .verification("the payloadType is \"\(envelope.payloadType)\", not \"\(DSSEEnvelope.inTotoPayloadType)\"")
        }
        guard !envelope.signatures.isEmpty else {
            throw .verification("the envelope is unsigned (no signatures); sign the manifest with `repro check --sign KEY`")
        }
        var seenKeyIDs = Set<String>()
        var seenSigs = Set<[UInt8]>()
        for (i, signature) in envelope.signatures.enumerated() {
            guard !signature.sig.isEmpty else { throw .verification("signature \(i + 1) is empty") }
            guard signature.sig.count == 64 else {
                throw .verification("signature \(i + 1) is \(signature.sig.count) bytes, not the 64 of an Ed25519 signature (truncated or not Ed25519)")
            }
            guard signature.keyID.isEmpty || seenKeyIDs.insert(signature.keyID).inserted else {
                throw .verification("keyid \(signature.keyID) signs the envelope twice; a duplicated signature is refused")
            }
            guard seenSigs.insert(signature.sig).inserted else {
                throw .verification("signature \(i + 1) is a duplicate of an earlier one")
            }
        }
        let message = envelope.pae
        var signers: [String] = []
        for (i, signature) in envelope.signatures.enumerated() {
            if signature.keyID.isEmpty {
                if let key = keys.first(where: { $0.isValidSignature(signature.sig, for: message) }), !signers.contains(key.keyID) {
                    signers.append(key.keyID)
                }
            } else if let key = keys.first(where: { $0.keyID == signature.keyID }) {
                guard key.isValidSignature(signature.sig, for: message) else {
                    throw .verification("signature \(i + 1) by key \(key.keyID) does not verify: the payload or payloadType was changed after signing, or the signature is forged")
                }
                if !signers.contains(key.keyID) { signers.append(key.keyID) }
            }
        }
        guard !signers.isEmpty else {
            let named = envelope.signatures.map { $0.keyID.isEmpty ? "(no keyid)" : $0.keyID }.joined(separator: ", ")
            throw .verification("no signature verifies with the given key(s) \(keys.map(\.keyID).joined(separator: ", ")); the envelope is signed by \(named): pass the signer's public key with --key, or the envelope was tampered with")
        }
        return signers
    }

    /// Parses verified payload bytes as an in-toto Statement v1 (strict JSON, no duplicate keys).
    public static func checkStatement(payload: [UInt8]) throws(ReproError) -> Statement {
        let value: JSONValue
        do {
            value = try StrictJSON.parse(Data(payload))
        } catch {
            throw .verification("the payload is not valid strict JSON: \(error)")
        }
        return try Statement(validating: value)
    }

    /// Checks that `statements` are a check's pair: SLSA provenance then reproducibility, with
    /// the same subjects and invocationId.
    public static func checkStatements(_ statements: [Statement]) throws(ReproError) -> (ProvenanceSummary, ReproducibilityInputs) {
        guard statements.count == 2 else {
            throw .verification("the bundle holds \(statements.count) envelope(s); a repro manifest holds exactly 2 (SLSA provenance, then reproducibility)")
        }
        let provenance: ProvenanceSummary
        let reproducibility: ReproducibilityInputs
        do throws(ReproError) {
            provenance = try ProvenanceSummary(validating: statements[0])
        } catch {
            throw .verification("line 1: \(error.message)")
        }
        do throws(ReproError) {
            reproducibility = try ReproducibilityInputs(validating: statements[1])
        } catch {
            throw .verification("line 2: \(error.message)")
        }
        guard Set(statements[0].subjects) == Set(statements[1].subjects) else {
            throw .verification("the two statements name different subjects; they do not come from one check")
        }
        guard statements[1].predicate["invocationId"]?.stringValue == provenance.invocationID else {
            throw .verification("the two statements have different invocationIds; they do not come from one check")
        }
        return (provenance, reproducibility)
    }

    /// Verifies a bundle's bytes against `keys`: every envelope signed (see
    /// ``verifyEnvelope(_:keys:)``), then the statements (see ``checkStatements(_:)``).
    public static func verify(bundle data: Data, keys: [PublicKey]) throws(ReproError) -> VerificationReport {
        guard !keys.isEmpty else { throw .configuration("no public key given; pass the signer's key with --key NAME.pub") }
        let bundle = try Manifest.read(data)
        var signers: [[String]] = []
        var statements: [Statement] = []
        for (i, envelope) in bundle.envelopes.enumerated() {
            do throws(ReproError) {
                signers.append(try verifyEnvelope(envelope, keys: keys))
                statements.append(try checkStatement(payload: envelope.payload))
            } catch {
                throw .verification("line \(i + 1): \(error.message)")
            }
        }
        let (provenance, reproducibility) = try checkStatements(statements)
        return VerificationReport(signers: signers, provenance: provenance, reproducibility: reproducibility, artifactsChecked: nil)
    }

    /// Checks that every subject is a regular file under `directory` (not reached through a
    /// symbolic link) whose SHA-256 matches; reports every failing subject at once.
    public static func checkArtifacts(_ subjects: [Subject], in directory: String) throws(ReproError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .configuration("the artifacts directory \(directory) does not exist or is not a directory")
        }
        var failures: [String] = []
        for subject in subjects {
            let path = directory + "/" + subject.name
            if let problem = Statement.pathProblem(subject.name) { failures.append("\(subject.name): \(problem)"); continue }
            var prefix = directory
            var throughLink = false
            for component in subject.name.split(separator: "/") {
                prefix += "/" + component
                if (try? FileManager.default.destinationOfSymbolicLink(atPath: prefix)) != nil { throughLink = true; break }
            }
            if throughLink { failures.append("\(subject.name): is or lies under a symbolic link"); continue }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                failures.append("\(subject.name): missing"); continue
            }
            guard attributes[.type] as? FileAttributeType == .typeRegular else {
                failures.append("\(subject.name): not a regular file"); continue
            }
            guard let digest = sha256(ofFile: path) else { failures.append("\(subject.name): unreadable"); continue }
            if digest != subject.sha256 {
                failures.append("\(subject.name): SHA-256 is \(digest), the manifest says \(subject.sha256)")
            }
        }
        guard failures.isEmpty else {
            throw .verification("\(failures.count) of \(subjects.count) artifact(s) in \(directory) do not match the manifest: \(failures.joined(separator: "; "))")
        }
    }

    /// The SHA-256 hex of a file's bytes, read in 1 MiB chunks.
    static func sha256(ofFile path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch { return nil }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return Hex.encode(hasher.finalize())
    }
}
