import Foundation

/// A manifest: a JSON Lines bundle (`*.intoto.jsonl`) of DSSE envelopes, one per line, each
/// line compact sorted-key JSON ending in `\n`. A check's bundle holds exactly two: the SLSA
/// provenance statement, then the reproducibility statement.
public struct Manifest: Sendable, Equatable {
    /// The default file name of a check's manifest.
    public static let defaultFileName = "repro.intoto.jsonl"

    /// The envelopes, in line order.
    public var envelopes: [DSSEEnvelope]

    /// Creates a bundle of the given envelopes.
    public init(envelopes: [DSSEEnvelope]) { self.envelopes = envelopes }

    /// True if every envelope carries at least one signature.
    public var isSigned: Bool { !envelopes.isEmpty && envelopes.allSatisfy { !$0.signatures.isEmpty } }

    /// The JSON Lines bytes.
    public var data: Data {
        var out = Data()
        for envelope in envelopes {
            out.append(envelope.jsonLine)
            out.append(0x0A)
        }
        return out
    }

    /// Writes the bundle to `path` atomically (a temporary file renamed into place), so a reader
    /// never sees half a manifest; an existing file is replaced.
    public func write(toFile path: String) throws(ReproError) {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .configuration("cannot write the manifest \(path): \(error.localizedDescription); check that its directory exists and is writable")
        }
    }

    /// Builds a check's bundle: the SLSA provenance statement and the reproducibility statement
    /// (same subjects, same invocationId), each in a DSSE envelope signed by `signingKey`, or
    /// unsigned (no signatures; `repro verify` rejects it) when `signingKey` is nil.
    ///
    /// The statements are checked by the same rules `repro verify` applies before anything is
    /// returned, so repro never writes a manifest it would reject; bad inputs throw exit 2.
    public static func make(provenance: ProvenanceInputs, reproducibility: ReproducibilityInputs,
                            signingKey: SigningKey?) throws(ReproError) -> Manifest {
        let slsa = provenance.statement
        let repro = Statement(subjects: provenance.subjects, predicateType: ManifestURI.reproducibility,
                              predicate: reproducibility.predicate(invocationID: provenance.invocationID))
        var envelopes: [DSSEEnvelope] = []
        var checked: [Statement] = []
        do throws(ReproError) {
            for statement in [slsa, repro] {
                let payload = Array(statement.jsonValue.serialized())
                checked.append(try Verifier.checkStatement(payload: payload))
                envelopes.append(DSSEEnvelope(payload: payload, payloadType: DSSEEnvelope.inTotoPayloadType))
            }
            _ = try Verifier.checkStatements(checked)
        } catch {
            throw .configuration("cannot write the manifest: \(error.message)")
        }
        for i in envelopes.indices {
            envelopes[i] = try DSSEEnvelope.sign(payload: envelopes[i].payload, payloadType: envelopes[i].payloadType, key: signingKey)
        }
        let bundle = Manifest(envelopes: envelopes)
        return bundle
    }

    /// Reads a JSON Lines bundle strictly: every line one envelope (see ``DSSEEnvelope/parse(_:)``),
    /// no blank lines, the last line's newline optional.
    public static func read(_ data: Data) throws(ReproError) -> Manifest {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty else { throw .verification("the bundle is empty; a manifest holds one DSSE envelope per line") }
        var envelopes: [DSSEEnvelope] = []
        for (i, line) in lines.enumerated() {
            guard !line.isEmpty else { throw .verification("line \(i + 1) of the bundle is blank") }
            do throws(ReproError) {
                envelopes.append(try DSSEEnvelope.parse(Data(line)))
            } catch {
                throw .verification("line \(i + 1): \(error.message)")
            }
        }
        return Manifest(envelopes: envelopes)
    }
}
