import Crypto
import Foundation
import Testing
@testable import ReproCore

/// The bounds `repro verify` puts on a bundle, an empty manifest, and edge values in the parsers.
@Suite struct VerifierLimitsTests {
    let key = SigningKey.generate()

    func signed(_ provenance: ProvenanceInputs? = nil) throws -> Manifest {
        try Manifest.make(
            provenance: provenance ?? ManifestFixtures.provenance(), reproducibility: ManifestFixtures.reproducible,
            signingKey: key)
    }

    /// A source that hands out `data` in chunks of `size` bytes, counting what it gave.
    final class Chunks {
        let data: Data
        let size: Int
        var given = 0
        init(_ data: Data, size: Int) {
            self.data = data
            self.size = size
        }
        func next() -> Data {
            let end = min(given + size, data.count)
            defer { given = end }
            return data.subdata(in: given..<end)
        }
    }

    /// The lines `Manifest.forEachLine` yields for `data` read in chunks of `size`.
    func lines(_ data: Data, size: Int, limits: Manifest.Limits) throws(ReproError) -> [Data] {
        let chunks = Chunks(data, size: size)
        var lines: [Data] = []
        try Manifest.forEachLine(limits: limits, next: chunks.next) { _, line in
            lines.append(line)
            return true
        }
        return lines
    }

    @Test func limitsHoldToTheByteWhateverTheChunks() throws {
        // "abc\ndefgh\n" is 10 bytes; its longest line is 5.
        let data = Data("abc\ndefgh\n".utf8)
        for size in [1, 2, 3, 4, 7, 10, 64] {
            #expect(
                try lines(data, size: size, limits: Manifest.Limits(bytes: 10, lineBytes: 5)) == [
                    Data("abc".utf8), Data("defgh".utf8),
                ])
            #expect(try lines(data.dropLast(), size: size, limits: Manifest.Limits(bytes: 9, lineBytes: 5)).count == 2)
            var error = #expect(throws: ReproError.self) {
                try lines(data, size: size, limits: Manifest.Limits(bytes: 9, lineBytes: 5))
            }
            #expect(error?.kind == .verification)
            #expect(error?.message.contains("larger than 9 bytes") == true)
            error = #expect(throws: ReproError.self) {
                try lines(data, size: size, limits: Manifest.Limits(bytes: 10, lineBytes: 4))
            }
            #expect(error?.kind == .verification)
            #expect(error?.message.contains("line 2 of the bundle is longer than 4 bytes") == true)
            error = #expect(throws: ReproError.self) {
                try lines(data.dropLast(), size: size, limits: Manifest.Limits(bytes: 10, lineBytes: 4))
            }
            #expect(error?.kind == .verification)
            #expect(error?.message.contains("line 2 of the bundle is longer than 4 bytes") == true)
        }
        // Limits of 1 byte, and inputs of 0 and 1 byte.
        let one = Manifest.Limits(bytes: 1, lineBytes: 1)
        #expect(try lines(Data("a".utf8), size: 1, limits: one) == [Data("a".utf8)])
        for (data, size, limits, expected) in [
            (Data(), 1, one, "empty"), (Data("\n".utf8), 1, one, "line 1 of the bundle is blank"),
            (Data("ab".utf8), 1, one, "larger than 1 bytes"),
            (
                Data("ab".utf8), 2, Manifest.Limits(bytes: 2, lineBytes: 1),
                "line 1 of the bundle is longer than 1 bytes"
            ),
        ] {
            let error = #expect(throws: ReproError.self) { try lines(data, size: size, limits: limits) }
            #expect(error?.kind == .verification, "\(expected)")
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "accepted")")
        }
    }

    @Test func signedBundleVerifiesAtTheLimitsAndNotPast() throws {
        let data = try signed().data
        let lineBytes = data.split(separator: 0x0A).map(\.count).max()!
        for size in [1000, data.count] {
            let chunks = Chunks(data, size: size)
            _ = try Verifier.verify(
                keys: [key.publicKey], limits: Manifest.Limits(bytes: data.count, lineBytes: lineBytes),
                next: chunks.next)
        }
        #expect(throws: ReproError.self) {
            try Verifier.verify(
                bundle: data, keys: [key.publicKey],
                limits: Manifest.Limits(bytes: data.count - 1, lineBytes: lineBytes))
        }
        #expect(throws: ReproError.self) {
            try Verifier.verify(
                bundle: data, keys: [key.publicKey],
                limits: Manifest.Limits(bytes: data.count, lineBytes: lineBytes - 1))
        }
    }

    @Test func anEndlessInputIsReadOnlyToTheLineLimit() throws {
        // A line that never ends (a pipe, a device): spaces forever.
        var given = 0
        let chunk = Data(repeating: 0x20, count: 1 << 20)
        let error = #expect(throws: ReproError.self) {
            try Verifier.verify(keys: [key.publicKey]) { () -> Data in
                given += chunk.count
                return chunk
            }
        }
        #expect(error?.kind == .verification)
        #expect(error?.message.contains("line 1 of the bundle is longer than 48 MiB") == true)
        #expect(given <= Manifest.Limits.standard.lineBytes + chunk.count)
        // Short lines forever: the total limit stops it.
        given = 0
        let blankless = Data(repeating: 0x61, count: 1 << 20 - 1) + Data([0x0A])
        let total = #expect(throws: ReproError.self) {
            try Manifest.forEachLine(next: { () -> Data in
                given += blankless.count
                return blankless
            }) { _, _ in true }
        }
        #expect(total?.kind == .verification)
        #expect(total?.message.contains("larger than 64 MiB") == true)
        #expect(given <= Manifest.Limits.standard.bytes + blankless.count)
    }

    @Test func aBundleOfManyLinesIsRefusedAtTheThird() throws {
        let bundle = try signed()
        let line = bundle.envelopes[0].jsonLine + Data([0x0A])
        var data = bundle.data
        for _ in 0..<5000 { data.append(line) }
        let chunks = Chunks(data, size: line.count)
        let error = #expect(throws: ReproError.self) { try Verifier.verify(keys: [key.publicKey], next: chunks.next) }
        #expect(error?.kind == .verification)
        #expect(error?.message.contains("more than 2 envelopes (line 3") == true)
        #expect(error?.message.contains("exactly 2") == true)
        // Reading stopped within a chunk of the third line.
        #expect(chunks.given <= bundle.data.count + 2 * line.count)
    }

    @Test func aManifestWithoutSubjectsIsRefusedUnlessAllowed() throws {
        let empty = try signed(ManifestFixtures.provenance(subjects: []))
        let report = try Verifier.verify(bundle: empty.data, keys: [key.publicKey])
        let error = #expect(throws: ReproError.self) { try Verifier.checkNotEmpty(report, allowEmpty: false) }
        #expect(error?.kind == .verification)
        #expect(error?.message.contains("--allow-empty") == true)
        try Verifier.checkNotEmpty(report, allowEmpty: true)
        try Verifier.checkNotEmpty(try Verifier.verify(bundle: signed().data, keys: [key.publicKey]), allowEmpty: false)
    }

    @Test func makeRefusesABundleVerifyWouldRefuse() throws {
        let bundle = try signed()
        let lineBytes = bundle.envelopes.map(\.jsonLine.count).max()!
        try bundle.checkSize(Manifest.Limits(bytes: bundle.data.count, lineBytes: lineBytes))
        var error = #expect(throws: ReproError.self) {
            try bundle.checkSize(Manifest.Limits(bytes: bundle.data.count - 1, lineBytes: lineBytes))
        }
        #expect(error?.kind == .configuration)
        error = #expect(throws: ReproError.self) {
            try bundle.checkSize(Manifest.Limits(bytes: bundle.data.count, lineBytes: lineBytes - 1))
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("would be \(lineBytes) bytes") == true)
    }

    /// The verification failure for a bundle whose envelope `line` replaces line 1 (unsigned lines fail too).
    func failure(_ line: String) -> String? {
        do {
            _ = try Verifier.verify(
                bundle: Data((line + "\n").utf8) + signed().envelopes[1].jsonLine, keys: [key.publicKey])
            return nil
        } catch let error as ReproError {
            #expect(error.kind == .verification, "\(error.message)")
            #expect(error.context.line == 1, "\(error.message)")
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func lengthEdgesInTheEnvelopeFailCleanly() throws {
        let type = DSSEEnvelope.inTotoPayloadType
        let sig64 = Base64.encode([UInt8](repeating: 1, count: 64))
        func line(payload: String, sigs: [String]) -> String {
            JSONValue.object([
                "payload": .string(payload), "payloadType": .string(type),
                "signatures": .array(sigs.map { .object(["keyid": .string(key.keyID), "sig": .string($0)]) }),
            ]).serializedString
        }
        // Payloads of 0 and 1 byte, signatures of 0, 1, 63, 65 bytes and a huge one.
        #expect(failure(line(payload: "", sigs: [sig64]))?.contains("does not verify") == true)
        #expect(failure(line(payload: "MQ==", sigs: [sig64]))?.contains("does not verify") == true)
        #expect(failure(line(payload: "e30=", sigs: []))?.contains("unsigned") == true)
        for (count, expected) in [
            (0, "is empty"), (1, "is 1 bytes"), (63, "is 63 bytes"), (65, "is 65 bytes"), (1 << 20, "is 1048576 bytes"),
        ] {
            #expect(
                failure(line(payload: "e30=", sigs: [Base64.encode([UInt8](repeating: 7, count: count))]))?.contains(
                    expected) == true)
        }
        // Statements signed as they are: a 0-byte and a 1-byte payload are not statements.
        for payload in [[], [0x31], [0x7B]] as [[UInt8]] {
            let envelope = try DSSEEnvelope.sign(payload: payload, payloadType: type, key: key)
            let message = failure(envelope.jsonLine.utf8String) ?? "verified"
            #expect(
                message.contains("line 1: the payload is not valid strict JSON")
                    || message.contains("line 1: the statement is not a JSON object"), "\(message)")
        }
        // PAE lengths are plain decimal byte counts at 0 and 1.
        #expect(DSSEEnvelope.pae(payloadType: "", payload: []) == Array("DSSEv1 0  0 ".utf8))
        #expect(DSSEEnvelope.pae(payloadType: "a", payload: [0x62]) == Array("DSSEv1 1 a 1 b".utf8))
    }

    @Test func integerEdgesInTheStatementsFailCleanly() throws {
        let provenance = try ManifestFixtures.provenance()
        /// The failure of a bundle whose reproducibility predicate is `predicate`, validly signed.
        func failure(predicate: String) throws -> String? {
            var bundle = try signed()
            // The predicate's text signed as written (serializing would turn 2.0 into 2).
            let statement = Statement(
                subjects: provenance.subjects, predicateType: ManifestURI.reproducibility, predicate: "PREDICATE")
            let payload = statement.jsonValue.serializedString.replacingOccurrences(
                of: #""PREDICATE""#, with: predicate)
            bundle.envelopes[1] = try DSSEEnvelope.sign(
                payload: Array(payload.utf8), payloadType: DSSEEnvelope.inTotoPayloadType, key: key)
            do {
                _ = try Verifier.verify(bundle: bundle.data, keys: [key.publicKey])
                return nil
            } catch {
                #expect(error.kind == .verification)
                return error.message
            }
        }
        let tree = ManifestFixtures.treeA, id = provenance.invocationID
        func predicate(runCount: String = "2", index: String = "1", exit: String = "0") -> String {
            #"{"differences":[],"invocationId":"\#(id)","runCount":\#(runCount),"runs":[{"exitStatus":\#(exit),"index":\#(index),"outputTreeDigest":"\#(tree)"},{"exitStatus":0,"index":2,"outputTreeDigest":"\#(tree)"}],"verdict":"reproducible"}"#
        }
        #expect(try failure(predicate: predicate()) == nil)
        for runCount in [
            "0", "1", "3", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "2.0",
        ] {
            let message = try failure(predicate: predicate(runCount: runCount))
            #expect(message?.contains("runCount") == true, "runCount \(runCount): \(message ?? "verified")")
        }
        for index in ["0", "2", "-1", "9223372036854775807", "18446744073709551616"] {
            #expect(try failure(predicate: predicate(index: index))?.contains("out of order") == true)
        }
        for exit in ["2147483648", "-2147483649", "9223372036854775807", "1e3"] {
            #expect(try failure(predicate: predicate(exit: exit))?.contains("exitStatus") == true)
        }
        for exit in ["2147483647", "-2147483648"] {
            #expect(try failure(predicate: predicate(exit: exit))?.contains("says reproducible") == true)
        }
        // Numbers too large for a Double are refused by the parser itself.
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(Data("1e400".utf8)) }
        #expect(throws: StrictJSON.SyntaxError.self) {
            try StrictJSON.parse(Data(("-" + String(repeating: "9", count: 400)).utf8))
        }
        #expect(try StrictJSON.parse(Data("-9223372036854775808".utf8)) == .integer(Int64.min))
    }
}

private extension Data {
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}
