import FoundationEssentials
import Glibc

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

    /// The JSON Lines bytes (what ReproSystem's `write(toFile:)` writes).
    public var data: Data {
        var out = Data()
        for envelope in envelopes {
            out.append(envelope.jsonLine)
            out.append(0x0A)
        }
        return out
    }

    /// Builds a check's bundle: the SLSA provenance statement and the reproducibility statement
    /// (same subjects, same invocationId), each in a DSSE envelope signed by `signingKey`, or
    /// unsigned (no signatures; `repro verify` rejects it) when `signingKey` is nil.
    ///
    /// The statements are checked by the same rules `repro verify` applies before anything is
    /// returned, so repro never writes a manifest it would reject; bad inputs throw exit 2.
    public static func make(
        provenance: ProvenanceInputs, reproducibility: ReproducibilityInputs,
        signingKey: SigningKey?
    ) throws(ReproError) -> Manifest {
        let slsa = provenance.statement
        let repro = Statement(
            subjects: provenance.subjects, predicateType: ManifestURI.reproducibility,
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
            // The verifier's rules broken by statements repro itself made: the check's inputs
            // (a configuration or a path) are at fault, not a forged bundle.
            throw .wrapping(error, as: .configuration, message: "cannot write the manifest: \(error.message)")
        }
        for i in envelopes.indices {
            envelopes[i] = try DSSEEnvelope.sign(
                payload: envelopes[i].payload, payloadType: envelopes[i].payloadType, key: signingKey)
        }
        let bundle = Manifest(envelopes: envelopes)
        try bundle.checkSize(Limits.standard)
        return bundle
    }

    /// Refuses (exit 2) a bundle that `repro verify` would refuse as too large under `limits`.
    func checkSize(_ limits: Limits) throws(ReproError) {
        var total = 0
        for (i, envelope) in envelopes.enumerated() {
            let count = envelope.jsonLine.count
            guard count <= limits.lineBytes else {
                throw .configuration(
                    "cannot write the manifest: line \(i + 1) would be \(count) bytes, more than the \(Limits.text(limits.lineBytes)) `repro verify` reads; declare fewer output files in build.outputs"
                )
            }
            total += count + 1
        }
        guard total <= limits.bytes else {
            throw .configuration(
                "cannot write the manifest: it would be \(total) bytes, more than the \(Limits.text(limits.bytes)) `repro verify` reads; declare fewer output files in build.outputs"
            )
        }
    }

    /// Reads a JSON Lines bundle strictly: every line one envelope (see ``DSSEEnvelope/parse(_:)``),
    /// no blank lines, the last line's newline optional, within `limits` (see ``forEachLine(limits:next:_:)``).
    public static func read(_ data: Data, limits: Limits = .standard) throws(ReproError) -> Manifest {
        var envelopes: [DSSEEnvelope] = []
        var source: Data? = data
        try forEachLine(
            limits: limits,
            next: { () -> Data in
                defer { source = nil }
                return source ?? Data()
            }
        ) { number, line throws(ReproError) in
            do throws(ReproError) {
                envelopes.append(try DSSEEnvelope.parse(line))
            } catch {
                throw error.prefixed("line \(number): ", context: .init(line: number))
            }
            return true
        }
        return Manifest(envelopes: envelopes)
    }

    /// The most a bundle may hold, so that reading an untrusted file has a bounded cost.
    public struct Limits: Sendable, Equatable {
        /// The most bytes a bundle may hold, newlines included.
        public var bytes: Int
        /// The most bytes one line may hold, its newline not counted.
        public var lineBytes: Int

        /// Limits of `bytes` in all and `lineBytes` a line; both at least 1.
        public init(bytes: Int, lineBytes: Int) {
            precondition(bytes >= 1 && lineBytes >= 1, "a bundle limit must be at least 1 byte")
            self.bytes = bytes
            self.lineBytes = lineBytes
        }

        /// 64 MiB a bundle and 48 MiB a line. A check's two statements each list every subject,
        /// so a line needs about half the bundle; the reproducibility line also lists the
        /// differing files. That is room for a few hundred thousand output files.
        public static let standard = Limits(bytes: 64 << 20, lineBytes: 48 << 20)

        /// `n` bytes as a short text: `64 MiB (67108864 bytes)` for whole MiB, else `n bytes`.
        static func text(_ n: Int) -> String {
            n >= 1 << 20 && n % (1 << 20) == 0 ? "\(n >> 20) MiB (\(n) bytes)" : "\(n) bytes"
        }

        /// The error for a bundle larger than ``bytes``.
        public var tooLarge: ReproError {
            .verification(
                "the bundle is larger than \(Limits.text(bytes)), more than any manifest repro writes (a check's bundle is two lines); it is not a repro manifest"
            )
        }

        /// The error for line `number` longer than ``lineBytes``.
        func lineTooLong(_ number: Int) -> ReproError {
            .verification(
                "line \(number) of the bundle is longer than \(Limits.text(lineBytes)), longer than any envelope repro writes; it is not a repro manifest"
            )
        }
    }

    /// Splits a bundle into lines as its bytes arrive, holding one line (and one chunk) at a time.
    ///
    /// `next` returns the next chunk of bytes, empty at the end. `body` gets each line's number
    /// (from 1) and bytes without the newline, and returns false to stop reading. The last line's
    /// newline is optional. An empty bundle, a blank line, a line longer than `limits.lineBytes`
    /// and more than `limits.bytes` bytes in all are verification failures (exit 5), raised as
    /// soon as they are seen, so reading stops within one chunk of a limit.
    public static func forEachLine(
        limits: Limits = .standard, next: () throws(ReproError) -> Data,
        _ body: (Int, Data) throws(ReproError) -> Bool
    ) throws(ReproError) {
        var pending = Data()
        var total = 0
        var number = 0
        while true {
            let chunk = try next()
            if chunk.isEmpty { break }
            // Both stay at most one chunk past a limit, so neither sum can overflow.
            guard chunk.count <= limits.bytes - total else { throw limits.tooLarge }
            total += chunk.count
            var start = chunk.startIndex
            while let newline = chunk.withUnsafeBytes({ raw -> Int? in
                // memchr(3): a walk over Data's indices is many times slower.
                let offset = start - chunk.startIndex
                guard let base = raw.baseAddress, offset < raw.count,
                    let found = memchr(base + offset, 0x0A, raw.count - offset)
                else { return nil }
                return chunk.startIndex + (UnsafeRawPointer(found) - base)
            }) {
                guard newline - start <= limits.lineBytes - pending.count else { throw limits.lineTooLong(number + 1) }
                pending.append(chunk[start..<newline])
                number += 1
                guard !pending.isEmpty else { throw .verification("line \(number) of the bundle is blank") }
                guard try body(number, pending) else { return }
                pending = Data()
                start = newline + 1
            }
            guard chunk.endIndex - start <= limits.lineBytes - pending.count else {
                throw limits.lineTooLong(number + 1)
            }
            pending.append(chunk[start...])
        }
        if !pending.isEmpty {
            number += 1
            _ = try body(number, pending)
        }
        guard number > 0 else {
            throw .verification("the bundle is empty; a manifest holds one DSSE envelope per line")
        }
    }
}
