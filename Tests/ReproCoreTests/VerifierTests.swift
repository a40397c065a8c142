import Crypto
import Foundation
import Testing
@testable import ReproCore

@Suite struct VerifierTests {
    let key = SigningKey.generate()

    func signed(_ reproducibility: ReproducibilityInputs = ManifestFixtures.reproducible) throws -> Manifest {
        try Manifest.make(provenance: ManifestFixtures.provenance(), reproducibility: reproducibility, signingKey: key)
    }

    /// The verification failure message for `data`, or nil if it verified.
    func failure(_ data: Data, keys: [PublicKey]? = nil) -> String? {
        do {
            _ = try Verifier.verify(bundle: data, keys: keys ?? [key.publicKey])
            return nil
        } catch {
            #expect(error.kind == .verification, "\(error.message)")
            return error.message
        }
    }

    /// The bundle's lines as JSON objects, for tampering.
    func lines(_ bundle: Manifest) throws -> [[String: JSONValue]] {
        try bundle.envelopes.map { try StrictJSON.parse($0.jsonLine).objectValue! }
    }

    func join(_ objects: [[String: JSONValue]]) -> Data {
        Data(objects.map { JSONValue.object($0).serializedString + "\n" }.joined().utf8)
    }

    /// A bundle whose first statement is `statement` with a valid signature by `key`.
    func withFirstStatement(_ statement: JSONValue) throws -> Data {
        var bundle = try signed()
        bundle.envelopes[0] = try DSSEEnvelope.sign(
            payload: Array(statement.serialized()), payloadType: DSSEEnvelope.inTotoPayloadType, key: key)
        return bundle.data
    }

    func firstStatement() throws -> [String: JSONValue] {
        try StrictJSON.parse(Data(signed().envelopes[0].payload)).objectValue!
    }

    @Test func signedBundleVerifies() throws {
        let bundle = try signed()
        #expect(bundle.isSigned)
        let data = bundle.data
        #expect(data.split(separator: 0x0A).count == 2)
        let report = try Verifier.verify(bundle: data, keys: [key.publicKey])
        #expect(report.signers == [[key.keyID], [key.keyID]])
        #expect(report.provenance.builderID == ManifestURI.builderID)
        #expect(report.provenance.reproVersion == "0.1.0")
        #expect(report.provenance.sources.map(\.digest) == [["repro-tree-v1": String(repeating: "5e", count: 32)]])
        #expect(report.provenance.toolchains.count == 1)
        #expect(report.provenance.startedOn == "2026-09-21T14:13:20Z")
        #expect(report.reproducibility == ManifestFixtures.reproducible)
        #expect(report.provenance.subjects.map(\.name) == ["out/hello", "out/hello.1"])
    }

    @Test func negativeVerdictsAreSignedAndVerify() throws {
        for inputs in [ManifestFixtures.differ, ManifestFixtures.buildFailed] {
            let report = try Verifier.verify(bundle: signed(inputs).data, keys: [key.publicKey])
            #expect(report.reproducibility == inputs)
        }
    }

    @Test func statementsAreSortedCompactJSON() throws {
        let bundle = try signed()
        let payload = String(decoding: bundle.envelopes[0].payload, as: UTF8.self)
        #expect(
            payload.hasPrefix(
                #"{"_type":"https://in-toto.io/Statement/v1","predicate":{"buildDefinition":{"buildType":"https://repro.dev/buildtypes/check/v1","#
            ))
        #expect(payload.contains(#""subject":[{"digest":{"sha256":"0123456789abcdef"#))
        // Same inputs, same statement bytes.
        #expect(try signed().envelopes.map(\.payload) == bundle.envelopes.map(\.payload))
    }

    @Test func unsignedBundleIsWrittenButRejected() throws {
        let bundle = try Manifest.make(
            provenance: ManifestFixtures.provenance(), reproducibility: ManifestFixtures.reproducible, signingKey: nil)
        #expect(!bundle.isSigned)
        #expect(bundle.envelopes.allSatisfy { $0.signatures.isEmpty })
        #expect(failure(bundle.data)?.contains("unsigned") == true)
    }

    @Test func urlSafeBase64AndMissingNewlineAreAccepted() throws {
        var objects = try lines(signed())
        for i in objects.indices {
            var sig = objects[i]["signatures"]!.arrayValue![0].objectValue!
            sig["sig"] = .string(
                sig["sig"]!.stringValue!.replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                    of: "/", with: "_"
                ).replacingOccurrences(of: "=", with: ""))
            objects[i]["signatures"] = .array([.object(sig)])
        }
        var data = join(objects)
        data.removeLast()
        #expect(failure(data) == nil)
    }

    // MARK: attacks

    @Test func changedPayloadIsRejected() throws {
        var objects = try lines(signed())
        var statement = try firstStatement()
        statement["subject"] = [
            ["name": "out/hello", "digest": ["sha256": .string(String(repeating: "e", count: 64))]]
        ]
        objects[0]["payload"] = .string(Base64.encode(JSONValue.object(statement).serialized()))
        #expect(failure(join(objects))?.contains("does not verify") == true)
        // One flipped byte anywhere in the payload is enough.
        var payload = try signed().envelopes[1]
        payload.payload[payload.payload.count / 2] ^= 0x01
        var bundle = try signed()
        bundle.envelopes[1] = payload
        #expect(failure(bundle.data)?.contains("does not verify") == true)
    }

    @Test func changedPayloadTypeIsRejected() throws {
        var objects = try lines(signed())
        objects[1]["payloadType"] = "application/json"
        #expect(failure(join(objects))?.contains("payloadType") == true)
        // Re-signed under another type, the signature is valid but the type is still refused.
        var bundle = try signed()
        bundle.envelopes[0] = try DSSEEnvelope.sign(
            payload: bundle.envelopes[0].payload, payloadType: "application/json", key: key)
        #expect(failure(bundle.data)?.contains("payloadType") == true)
    }

    @Test func signatureByAnotherKeyIsRejected() throws {
        let other = SigningKey.generate()
        let otherBundle = try Manifest.make(
            provenance: ManifestFixtures.provenance(), reproducibility: ManifestFixtures.reproducible, signingKey: other
        )
        #expect(failure(otherBundle.data)?.contains("no signature verifies") == true)
        // Another key's signature under our keyid.
        var objects = try lines(otherBundle)
        objects[0]["signatures"] = [
            ["keyid": .string(key.keyID), "sig": objects[0]["signatures"]!.arrayValue![0]["sig"]!]
        ]
        #expect(failure(join(objects))?.contains("does not verify") == true)
        // A key that did sign, passed alongside one that did not, is enough.
        #expect(failure(otherBundle.data, keys: [key.publicKey, other.publicKey]) == nil)
    }

    func withSignatures(_ signatures: JSONValue, line: Int = 0) throws -> Data {
        var objects = try lines(signed())
        objects[line]["signatures"] = signatures
        return join(objects)
    }

    func sig(line: Int = 0) throws -> String {
        try lines(signed())[line]["signatures"]!.arrayValue![0]["sig"]!.stringValue!
    }

    @Test func truncatedOrEmptySignatureIsRejected() throws {
        let full = Base64.decode(try sig())!
        #expect(
            failure(
                try withSignatures([["keyid": .string(key.keyID), "sig": .string(Base64.encode(full.dropLast()))]]))?
                .contains("63 bytes") == true)
        #expect(failure(try withSignatures([["keyid": .string(key.keyID), "sig": ""]]))?.contains("is empty") == true)
    }

    @Test func badBase64IsRejected() throws {
        #expect(
            failure(
                try withSignatures([["keyid": .string(key.keyID), "sig": .string("!" + String(try sig().dropFirst()))]])
            )?.contains("not valid base64") == true)
        var objects = try lines(signed())
        objects[0]["payload"] = .string("e30=*")
        #expect(failure(join(objects))?.contains("payload is not valid base64") == true)
    }

    @Test func missingOrDuplicatedSignatureIsRejected() throws {
        #expect(failure(try withSignatures([]))?.contains("unsigned") == true)
        var objects = try lines(signed())
        objects[1].removeValue(forKey: "signatures")
        #expect(failure(join(objects))?.contains("signatures") == true)
        let entry: JSONValue = ["keyid": .string(key.keyID), "sig": .string(try sig())]
        #expect(failure(try withSignatures([entry, entry]))?.contains("twice") == true)
        let noKeyID: JSONValue = ["sig": .string(try sig())]
        #expect(failure(try withSignatures([noKeyID, noKeyID]))?.contains("duplicate") == true)
    }

    @Test func duplicateJSONKeysAreRejected() throws {
        // In the envelope: a second payload member that a lax reader would take instead.
        let line = String(decoding: try signed().envelopes[0].jsonLine, as: UTF8.self)
        let evil = line.replacingOccurrences(of: #"{"payload":"#, with: #"{"payload":"e30=","payload":"#)
        let second = String(decoding: try signed().envelopes[1].jsonLine, as: UTF8.self)
        #expect(failure(Data((evil + "\n" + second + "\n").utf8))?.contains("duplicate key") == true)
        // In a validly signed payload: two _type members.
        let payload = String(decoding: try signed().envelopes[0].payload, as: UTF8.self)
            .replacingOccurrences(
                of: #"{"_type":"https://in-toto.io/Statement/v1","#,
                with: #"{"_type":"https://in-toto.io/Statement/v1","_type":"x","#)
        var bundle = try signed()
        bundle.envelopes[0] = try DSSEEnvelope.sign(
            payload: Array(payload.utf8), payloadType: DSSEEnvelope.inTotoPayloadType, key: key)
        #expect(failure(bundle.data)?.contains(#"duplicate key "_type""#) == true)
    }

    @Test func statementOfAnotherTypeIsRejected() throws {
        var statement = try firstStatement()
        statement["_type"] = "https://in-toto.io/Statement/v0.1"
        #expect(failure(try withFirstStatement(.object(statement)))?.contains("_type") == true)
        statement = try firstStatement()
        statement["predicateType"] = "https://slsa.dev/provenance/v0.2"
        #expect(failure(try withFirstStatement(.object(statement)))?.contains("predicate type") == true)
    }

    @Test func badSubjectDigestIsRejected() throws {
        for digest in [
            String(repeating: "A", count: 64), String(repeating: "a", count: 63),
            "sha256:" + String(repeating: "a", count: 64),
        ] {
            var statement = try firstStatement()
            statement["subject"] = [["name": "out/hello", "digest": ["sha256": .string(digest)]]]
            #expect(failure(try withFirstStatement(.object(statement)))?.contains("64 lowercase hex") == true)
        }
        var statement = try firstStatement()
        statement["subject"] = [
            ["name": "../etc/passwd", "digest": ["sha256": .string(String(repeating: "a", count: 64))]]
        ]
        #expect(failure(try withFirstStatement(.object(statement)))?.contains("..") == true)
    }

    @Test func extraLinesAreRejected() throws {
        let bundle = try signed()
        var data = bundle.data
        data.append(
            try DSSEEnvelope.sign(
                payload: bundle.envelopes[1].payload, payloadType: DSSEEnvelope.inTotoPayloadType, key: nil
            ).jsonLine)
        data.append(0x0A)
        #expect(failure(data)?.contains("line 3: the envelope is unsigned") == true)
        // A validly signed replay of a line is refused too.
        #expect(failure(bundle.data + bundle.envelopes[1].jsonLine + Data([0x0A]))?.contains("exactly 2") == true)
        #expect(failure(bundle.data + Data([0x0A]))?.contains("blank") == true)
    }

    @Test func statementsFromTwoChecksDoNotMix() throws {
        let first = try signed()
        let second = try Manifest.make(
            provenance: ManifestFixtures.provenance(invocationID: "another"), reproducibility: ManifestFixtures.differ,
            signingKey: key)
        #expect(
            failure(Manifest(envelopes: [first.envelopes[0], second.envelopes[1]]).data)?.contains("invocationIds")
                == true)
        #expect(
            failure(Manifest(envelopes: [first.envelopes[1], first.envelopes[0]]).data)?.contains("line 1") == true)
    }

    @Test func incoherentVerdictIsRefusedOnWriteAndRead() throws {
        let lie = ReproducibilityInputs(runs: ManifestFixtures.differ.runs, verdict: .reproducible)
        let error = #expect(throws: ReproError.self) { try self.signed(lie) }
        // The verifier's own rule, broken by what repro was asked to write: an input error,
        // re-classified on purpose from the verification failure it is when read.
        #expect(error?.kind == .configuration)
        #expect(error?.wrappedKind == .verification)
        #expect(error?.message.hasPrefix("cannot write the manifest: line 2: ") == true, "\(error?.message ?? "")")
        #expect(error?.context.line == 2)
        var bundle = try signed()
        let provenance = try ManifestFixtures.provenance()
        let payload = Statement(
            subjects: provenance.subjects, predicateType: ManifestURI.reproducibility,
            predicate: lie.predicate(invocationID: provenance.invocationID)
        ).jsonValue.serialized()
        bundle.envelopes[1] = try DSSEEnvelope.sign(
            payload: Array(payload), payloadType: DSSEEnvelope.inTotoPayloadType, key: key)
        #expect(failure(bundle.data)?.contains("says reproducible") == true)
    }

    /// A certified tree: `out/a` (executable), `out/b`, a symlink `out/l` and an empty directory
    /// `out/empty`; the subjects are the two files.
    static let certified: [TreeEntry] = [
        .directory("out"), .file("out/a", contents: Data("a".utf8), executable: true),
        .file("out/b", contents: Data("b".utf8)),
        .symlink("out/l", target: "a"), .directory("out/empty"),
    ]
    static let certifiedSubjects = certified.filter { $0.kind == .file }.map {
        Subject(name: $0.path, sha256: $0.sha256)
    }

    /// The report for a directory holding `entries`, compared with ``certified``.
    func compare(_ entries: [TreeEntry]) throws -> ArtifactsReport {
        Verifier.compareTree(
            entries, digest: try TreeDigest.digest(entries), in: "DIR", subjects: Self.certifiedSubjects,
            expected: try TreeDigest.digest(Self.certified))
    }

    func replacing(_ path: String, with entry: TreeEntry?) -> [TreeEntry] {
        Self.certified.filter { $0.path != path } + (entry.map { [$0] } ?? [])
    }

    /// A subject named in one Unicode spelling (NFC "café") and a tree holding the other (NFD):
    /// two different names to the kernel and the tree digest, so the tree is not the certified one.
    @Test func aNameInAnotherUnicodeSpellingIsNotTheCertifiedFile() throws {
        let nfc = "out/caf\u{E9}", nfd = "out/cafe\u{301}"
        #expect(nfc == nfd)  // equal as Swift strings: exactly what must not decide here
        let certified: [TreeEntry] = [.directory("out"), .file(nfc, contents: Data("x".utf8))]
        let built: [TreeEntry] = [.directory("out"), .file(nfd, contents: Data("x".utf8))]
        let report = Verifier.compareTree(
            built, digest: try TreeDigest.digest(built), in: "DIR",
            subjects: [Subject(name: nfc, sha256: certified[1].sha256)],
            expected: try TreeDigest.digest(certified))
        #expect(!report.matches)
        #expect(report.missing == [nfc] && report.extra == [nfd])
    }

    @Test func theExactTreeMatchesAndEveryDifferenceIsNamed() throws {
        let same = try compare(Self.certified)
        #expect(same.matches && same.error == nil)
        #expect(same.jsonValue["matches"] == true)
        // An extra file, a missing one, a changed one.
        var report = try compare(Self.certified + [.file("out/x", contents: Data("x".utf8), executable: true)])
        #expect(
            report.extra == ["out/x"] && report.missing.isEmpty && report.changed.isEmpty && report.unlisted.isEmpty)
        #expect(report.error?.kind == .verification)
        #expect(report.error?.message.contains("DIR is not the certified output tree") == true)
        #expect(report.error?.message.contains("1 extra") == true)
        report = try compare(replacing("out/b", with: nil))
        #expect(report.missing == ["out/b"] && report.extra.isEmpty && report.unlisted.isEmpty)
        report = try compare(replacing("out/b", with: .file("out/b", contents: Data("B".utf8))))
        #expect(report.changed == ["out/b"] && report.problems.first?.contains("SHA-256 is") == true)
        #expect(report.jsonValue["changed"] == ["out/b"])
        // What the subjects do not list: a symlink, a directory with what is under it, an execute bit.
        report = try compare(Self.certified + [.symlink("out/m", target: "b")])
        #expect(report.extra == ["out/m"] && report.unlisted.isEmpty)
        #expect(report.problems == ["out/m: extra (a symbolic link the certified tree does not hold)"])
        report = try compare(Self.certified + [.directory("out/new"), .symlink("out/new/s", target: "x")])
        #expect(report.extra == ["out/new", "out/new/s"])
        report = try compare(replacing("out/a", with: .file("out/a", contents: Data("a".utf8))))
        #expect(
            report.changed == ["out/a"]
                && report.problems == ["out/a: the execute bit is clear; in the certified tree it is set"])
        // A subject's directory replaced by a symlink, a subject replaced by a directory.
        report = try compare([.symlink("out", target: "/tmp")])
        #expect(report.changed == ["out"] && report.missing == ["out/a", "out/b"])
        report = try compare(replacing("out/b", with: .directory("out/b")))
        #expect(report.changed == ["out/b"] && report.problems.first == "out/b: a directory, not a regular file")
        // A symlink of the certified tree removed: it cannot be named, the unlisted entries are.
        report = try compare(replacing("out/l", with: nil))
        #expect(!report.matches && report.extra.isEmpty && report.missing.isEmpty && report.changed.isEmpty)
        #expect(report.unlisted == ["out/empty"])
        #expect(report.error?.message.contains("out/empty") == true)
        report = try compare(Self.certified.filter { $0.path != "out/l" && $0.path != "out/empty" })
        #expect(report.unlisted.isEmpty && report.problems.count == 1)
        #expect(
            report.error?.message.contains(
                "a symbolic link or an empty directory of the certified tree is not here, or a file's execute bit differs"
            ) == true)
    }

    @Test func noCertifiedTreeFailsClosed() throws {
        #expect(try Verifier.certifiedTreeDigest(ManifestFixtures.reproducible) == ManifestFixtures.treeA)
        #expect(try Verifier.certifiedTreeDigest(ManifestFixtures.differ) == ManifestFixtures.treeA)
        var error = #expect(throws: ReproError.self) { try Verifier.certifiedTreeDigest(ManifestFixtures.buildFailed) }
        #expect(error?.kind == .verification)
        #expect(error?.message.contains("--subjects-only") == true)
        let future = ReproducibilityInputs(
            runs: [RunRecord(index: 1, outputTreeDigest: "t2:" + String(repeating: "0", count: 64), exitStatus: 0)],
            verdict: .buildFailed)
        error = #expect(throws: ReproError.self) { try Verifier.certifiedTreeDigest(future) }
        #expect(error?.kind == .verification)
        #expect(error?.message.contains("cannot compute") == true)
    }
}
