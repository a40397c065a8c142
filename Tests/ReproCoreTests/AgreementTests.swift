import Foundation
import Testing
@testable import ReproCore

/// Bundles for the agreement rules, built as values (no files, no signatures).
private enum Sample {
    static let a = String(repeating: "a", count: 64)
    static let b = String(repeating: "b", count: 64)
    static let c = String(repeating: "c", count: 64)
    static let d = String(repeating: "d", count: 64)
    static let hello = String(repeating: "11", count: 32)
    static let helloOther = String(repeating: "22", count: 32)
    static let readme = String(repeating: "33", count: 32)

    static func inputs(
        toolchain: String = String(repeating: "9a", count: 32), toolchainName: String = "busybox",
        uri: String = "file:///srv/busybox.tar.gz", source: String = String(repeating: "d4", count: 32),
        profile: String? = String(repeating: "e5", count: 32), profileName: String = "default",
        command: [String] = ["sh", "build.sh"], epoch: String? = "1700000000"
    ) -> BuildInputs {
        BuildInputs(
            sources: [
                ResolvedDependency(
                    name: "source", uri: "file:///runner/\(UUID().uuidString)",
                    digest: [ManifestURI.treeDigestKey: source])
            ],
            toolchains: [.archive(name: toolchainName, uri: uri, sha256: toolchain)],
            profileName: profileName,
            profiles: profile.map { [.archive(name: "profile", uri: "repro:profiles/" + profileName, sha256: $0)] }
                ?? [],
            command: command, sourceDateEpoch: epoch)
    }

    static func bundle(
        _ label: String, _ signers: [String], hello: String? = Sample.hello, readme: String? = Sample.readme,
        verdict: Verdict = .reproducible, inputs: BuildInputs = Sample.inputs()
    ) -> ComparedBundle {
        var subjects: [Subject] = []
        if let hello { subjects.append(Subject(name: "out/hello", sha256: hello)) }
        if let readme { subjects.append(Subject(name: "out/readme.txt", sha256: readme)) }
        return ComparedBundle(
            label: label, signers: signers, inputs: inputs, subjects: subjects, verdict: verdict,
            invocationID: UUID().uuidString, reproVersion: "0.1.0")
    }
}

@Suite struct AgreementTests {
    @Test func twoSignersWithTheSameSubjectsAgree() throws {
        let report = try Agreement.evaluate(
            bundles: [Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b])],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(report.result == .agree)
        #expect(report.exitStatus == .success)
        #expect(report.threshold == 2)
        #expect(report.agreeingSigners == [Sample.a, Sample.b])
        #expect(report.rows.map(\.name) == ["out/hello", "out/readme.txt"])
        #expect(report.rows.allSatisfy { $0.agreed })
        #expect(report.disagreements.isEmpty)
        #expect(report.signers.map(\.status) == [.certifies, .certifies])
    }

    @Test func aDifferingSubjectIsNamedWithTheSignersOnEachSide() throws {
        let report = try Agreement.evaluate(
            bundles: [
                Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b], hello: Sample.helloOther),
            ],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(report.result == .disagree)
        #expect(report.exitStatus == .outputsDiffer)
        #expect(
            report.disagreements == [
                .init(
                    subject: "out/hello",
                    sides: [
                        .init(sha256: Sample.hello, signers: [Sample.a]),
                        .init(sha256: Sample.helloOther, signers: [Sample.b]),
                    ])
            ])
        #expect(report.rows.map(\.agreed) == [false, true])
        #expect(report.rows[0].sha256 == [Sample.hello, Sample.helloOther])
        let text = report.humanLines.joined(separator: "\n")
        #expect(text.contains("DISAGREE: threshold 2 not met"))
        #expect(
            text.contains(
                "out/hello: sha256:\(Sample.hello) by aaaaaaaaaaaa; sha256:\(Sample.helloOther) by bbbbbbbbbbbb"))
    }

    @Test func aSubjectOnlyOneSignerHasIsAMissingSide() throws {
        let report = try Agreement.evaluate(
            bundles: [Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b], readme: nil)],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(report.result == .disagree)
        #expect(
            report.disagreements == [
                .init(
                    subject: "out/readme.txt",
                    sides: [
                        .init(sha256: Sample.readme, signers: [Sample.a]), .init(sha256: nil, signers: [Sample.b]),
                    ])
            ])
        #expect(report.rows[1].sha256 == [Sample.readme, nil])
        #expect(
            report.humanLines.joined(separator: "\n").contains(
                "out/readme.txt: sha256:\(Sample.readme) by aaaaaaaaaaaa; missing by bbbbbbbbbbbb"))
    }

    @Test func anotherToolchainIsNotComparableAndSaysWhich() throws {
        let other = Sample.inputs(toolchain: String(repeating: "7b", count: 32))
        let report = try Agreement.evaluate(
            bundles: [Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b], inputs: other)],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(report.result == .notComparable)
        #expect(report.exitStatus == .configuration)
        #expect(report.mismatches.map(\.aspect) == [.toolchains])
        #expect(report.mismatches[0].value == "busybox sha256:" + String(repeating: "7b", count: 32))
        #expect(report.mismatches[0].referenceValue == "busybox sha256:" + String(repeating: "9a", count: 32))
        #expect(report.signers.isEmpty && report.rows.isEmpty)
        let text = report.humanLines.joined(separator: "\n")
        #expect(text.contains("NOT COMPARABLE"))
        #expect(text.contains("toolchains: b.jsonl has busybox sha256:7b7b"))
    }

    @Test func namesAndURIsAreNotCompared() throws {
        // Every runner has its own checkout path and may fetch from its own mirror.
        let other = Sample.inputs(toolchainName: "bb", uri: "https://mirror.example/bb.tar.gz")
        let report = try Agreement.evaluate(
            bundles: [Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b], inputs: other)],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(report.result == .agree)
    }

    @Test func everyInputAspectIsCompared() throws {
        let cases: [(BuildInputs, BuildInputs.Aspect)] = [
            (Sample.inputs(source: String(repeating: "0f", count: 32)), .source),
            (Sample.inputs(profile: String(repeating: "0e", count: 32)), .profile),
            (Sample.inputs(profile: nil), .profile),
            (Sample.inputs(command: ["sh", "build.sh", "-v"]), .command),
            (Sample.inputs(epoch: "1700000001"), .sourceDateEpoch),
            (Sample.inputs(epoch: nil), .sourceDateEpoch),
        ]
        for (inputs, aspect) in cases {
            let report = try Agreement.evaluate(
                bundles: [Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b], inputs: inputs)],
                keys: [Sample.a, Sample.b], threshold: nil)
            #expect(report.result == .notComparable)
            #expect(report.mismatches.map(\.aspect) == [aspect])
        }
        // Without a recorded profile digest on either side, the names are compared.
        let unnamed = try Agreement.evaluate(
            bundles: [
                Sample.bundle("a.jsonl", [Sample.a], inputs: Sample.inputs(profile: nil)),
                Sample.bundle("b.jsonl", [Sample.b], inputs: Sample.inputs(profile: nil, profileName: "strict")),
            ],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(unnamed.mismatches.map(\.aspect) == [.profile])
        // With one, the name is not: the same rules under another name are the same profile.
        let renamed = try Agreement.evaluate(
            bundles: [
                Sample.bundle("a.jsonl", [Sample.a]),
                Sample.bundle("b.jsonl", [Sample.b], inputs: Sample.inputs(profileName: "ci/default.toml")),
            ],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(renamed.result == .agree)
    }

    @Test func everyBundleIsComparedWithTheFirst() throws {
        let report = try Agreement.evaluate(
            bundles: [
                Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b]),
                Sample.bundle("c.jsonl", [Sample.c], inputs: Sample.inputs(command: ["make"], epoch: "1")),
            ],
            keys: [Sample.a, Sample.b, Sample.c], threshold: nil)
        #expect(
            report.mismatches.map { "\($0.bundle)/\($0.reference)/\($0.aspect.rawValue)" } == [
                "2/0/command", "2/0/source_date_epoch",
            ])
    }

    @Test func twoOfThreeMeetAThresholdOfTwo() throws {
        let bundles = [
            Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b]),
            Sample.bundle("c.jsonl", [Sample.c], hello: Sample.helloOther),
        ]
        let met = try Agreement.evaluate(bundles: bundles, keys: [Sample.a, Sample.b, Sample.c], threshold: 2)
        #expect(met.result == .agree)
        #expect(met.agreeingSigners == [Sample.a, Sample.b])
        #expect(met.signers.map(\.outcome) == [0, 0, 1])
        // The dissent is still named.
        #expect(met.disagreements.map(\.subject) == ["out/hello"])
        #expect(met.disagreements[0].sides.map(\.signers) == [[Sample.a, Sample.b], [Sample.c]])
        let text = met.humanLines.joined(separator: "\n")
        #expect(
            text.contains(
                "AGREE: 2 of 3 signers (aaaaaaaaaaaa, bbbbbbbbbbbb) certify the same 2 subjects; threshold 2 met"))
        #expect(text.contains("by cccccccccccc"))

        let notMet = try Agreement.evaluate(bundles: bundles, keys: [Sample.a, Sample.b, Sample.c], threshold: nil)
        #expect(notMet.threshold == 3)
        #expect(notMet.result == .disagree)
        #expect(notMet.agreeingSigners.isEmpty)
        #expect(notMet.humanLines.joined(separator: "\n").contains("threshold 3 not met: at most 2 of 3 signers"))
    }

    @Test func twoSetsThatBothReachTheThresholdDisagree() throws {
        let bundles = [
            Sample.bundle("a", [Sample.a]), Sample.bundle("b", [Sample.b]),
            Sample.bundle("c", [Sample.c], hello: Sample.helloOther),
            Sample.bundle("d", [Sample.d], hello: Sample.helloOther),
        ]
        let report = try Agreement.evaluate(
            bundles: bundles, keys: [Sample.a, Sample.b, Sample.c, Sample.d], threshold: 2)
        #expect(report.result == .disagree)
        #expect(report.outcomes.map(\.signers) == [[Sample.a, Sample.b], [Sample.c, Sample.d]])
        #expect(
            report.humanLines.joined(separator: "\n").contains(
                "2 different sets of outputs each have 2 or more signers"))
    }

    @Test func theSameSignerTwiceCountsOnce() throws {
        let report = try Agreement.evaluate(
            bundles: [Sample.bundle("a1", [Sample.a]), Sample.bundle("a2", [Sample.a])],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(report.result == .disagree)
        #expect(report.outcomes.map(\.signers) == [[Sample.a]])
        #expect(report.signers.map(\.status) == [.certifies, .noBundle])
        #expect(report.signers[0].bundles == [0, 1])
        let text = report.humanLines.joined(separator: "\n")
        #expect(text.contains("at most 1 of 2 signers"))
        #expect(text.contains("bbbbbbbbbbbb: signed none of the bundles"))
        #expect(text.contains("aaaaaaaaaaaa signed 2 bundles and counts once"))
    }

    @Test func aSignerWhoseOwnCheckWasNotReproducibleCountsAsDisagreeing() throws {
        for verdict in [Verdict.differ, .buildFailed] {
            let report = try Agreement.evaluate(
                bundles: [Sample.bundle("a", [Sample.a]), Sample.bundle("b", [Sample.b], verdict: verdict)],
                keys: [Sample.a, Sample.b], threshold: nil)
            #expect(report.result == .disagree)
            #expect(report.signers.map(\.status) == [.certifies, .notReproducible])
            #expect(
                report.humanLines.joined(separator: "\n").contains(
                    "bbbbbbbbbbbb: its own check was not reproducible (\(verdict.rawValue) in b)"))
        }
        // Even when it is the only dissent and the threshold is met without it.
        let met = try Agreement.evaluate(
            bundles: [
                Sample.bundle("a", [Sample.a]), Sample.bundle("b", [Sample.b]),
                Sample.bundle("c", [Sample.c], verdict: .differ),
            ],
            keys: [Sample.a, Sample.b, Sample.c], threshold: 2)
        #expect(met.result == .agree)
        #expect(met.signers.map(\.status) == [.certifies, .certifies, .notReproducible])
    }

    @Test func aSignerOfBundlesWithDifferentSubjectsCertifiesNothing() throws {
        let report = try Agreement.evaluate(
            bundles: [
                Sample.bundle("a1", [Sample.a]), Sample.bundle("a2", [Sample.a], hello: Sample.helloOther),
                Sample.bundle("b", [Sample.b]),
            ],
            keys: [Sample.a, Sample.b], threshold: nil)
        #expect(report.result == .disagree)
        #expect(report.signers.map(\.status) == [.inconsistent, .certifies])
        #expect(report.humanLines.joined(separator: "\n").contains("signed bundles with different subjects (a1, a2)"))
    }

    @Test func aCoSignedBundleCountsForEachSigner() throws {
        let report = try Agreement.evaluate(
            bundles: [Sample.bundle("ab", [Sample.b, Sample.a]), Sample.bundle("c", [Sample.c])],
            keys: [Sample.a, Sample.b, Sample.c], threshold: nil)
        #expect(report.result == .agree)
        #expect(report.agreeingSigners == [Sample.a, Sample.b, Sample.c])
        #expect(report.humanLines.contains { $0.hasPrefix("subject") && $0.contains("aaaaaaaaaaaa+1") })
    }

    @Test func badCountsAndThresholdsAreInputErrors() throws {
        let two = [Sample.bundle("a", [Sample.a]), Sample.bundle("b", [Sample.b])]
        func status(_ body: () throws(ReproError) -> AgreementReport) -> ReproError.Kind? {
            do {
                _ = try body()
                return nil
            } catch { return error.kind }
        }
        let one = status { () throws(ReproError) in
            try Agreement.evaluate(bundles: [two[0]], keys: [Sample.a, Sample.b], threshold: nil)
        }
        let low = status { () throws(ReproError) in
            try Agreement.evaluate(bundles: two, keys: [Sample.a, Sample.b], threshold: 1)
        }
        let high = status { () throws(ReproError) in
            try Agreement.evaluate(bundles: two, keys: [Sample.a, Sample.b], threshold: 3)
        }
        #expect(one == .configuration && low == .configuration && high == .configuration)
        // The same key given twice is one builder.
        let sameKey = status { () throws(ReproError) in
            try Agreement.evaluate(bundles: two, keys: [Sample.a, Sample.a], threshold: nil)
        }
        #expect(sameKey == .configuration)
        let dedup = try Agreement.evaluate(bundles: two, keys: [Sample.a, Sample.b, Sample.a], threshold: nil)
        #expect(dedup.keys == [Sample.a, Sample.b] && dedup.threshold == 2)
    }

    @Test func shortIDsGrowUntilTheyTellValuesApart() {
        let x = String(repeating: "0", count: 20) + String(repeating: "1", count: 44)
        let y = String(repeating: "0", count: 20) + String(repeating: "2", count: 44)
        #expect(Agreement.uniquePrefixLength([Sample.a, Sample.b]) == 12)
        #expect(Agreement.uniquePrefixLength([x, y, x]) == 21)
        #expect(Agreement.uniquePrefixLength([]) == 12)
        #expect(Agreement.uniquePrefixLength([x]) == 12)
    }

    @Test func theTableHasAColumnPerBundleAndEscapesNames() throws {
        var odd = Sample.bundle("b\u{1b}[2K.jsonl", [Sample.b])
        odd.subjects.append(Subject(name: "out/new\nline", sha256: Sample.readme))
        var first = Sample.bundle("a.jsonl", [Sample.a])
        first.subjects.append(Subject(name: "out/new\nline", sha256: Sample.readme))
        let lines = try Agreement.evaluate(bundles: [first, odd], keys: [Sample.a, Sample.b], threshold: nil).humanLines
        #expect(lines.contains("subject         aaaaaaaaaaaa  bbbbbbbbbbbb"))
        #expect(lines.contains("out/hello       111111111111  111111111111  agree"))
        #expect(lines.contains("out/new\\nline   333333333333  333333333333  agree"))
        #expect(lines.contains { $0.contains("b\\e[2K.jsonl: reproducible") })
        #expect(lines.allSatisfy { !$0.contains("\n") && !$0.contains("\u{1b}") })
    }

    @Test func jsonHasSnakeCaseKeysAndEveryPart() throws {
        let report = try Agreement.evaluate(
            bundles: [
                Sample.bundle("a.jsonl", [Sample.a]), Sample.bundle("b.jsonl", [Sample.b]),
                Sample.bundle("c.jsonl", [Sample.c], hello: Sample.helloOther),
            ],
            keys: [Sample.a, Sample.b, Sample.c], threshold: 2)
        let json = try StrictJSON.parse(report.jsonValue.serialized())
        #expect(json["result"] == "agree")
        #expect(json["agreed"] == true)
        #expect(json["comparable"] == true)
        #expect(json["exit_status"] == 0)
        #expect(json["threshold"] == 2)
        #expect(json["agreeing_signers"] == .array([.string(Sample.a), .string(Sample.b)]))
        #expect(json["agreed_outcome"] == 0)
        #expect(json["bundles"]?.arrayValue?.first?["path"] == "a.jsonl")
        #expect(
            json["subjects"]?.arrayValue?.first?["sha256"]
                == .array([.string(Sample.hello), .string(Sample.hello), .string(Sample.helloOther)]))
        #expect(json["disagreements"]?.arrayValue?.first?["subject"] == "out/hello")
        #expect(json["signers"]?.arrayValue?.last?["status"] == "certifies")
        #expect(json["signers"]?.arrayValue?.last?["outcome"] == 1)
        #expect(json["inputs"]?["source_date_epoch"] == "1700000000")
        #expect(
            json["inputs"]?["toolchains"]?.arrayValue?.first?["digest"]?["sha256"]
                == .string(String(repeating: "9a", count: 32)))
        // Every key, at any depth, is snake_case.
        func keys(_ value: JSONValue) -> [String] {
            switch value {
            case .object(let o): return o.keys.map { $0 } + o.values.flatMap(keys)
            case .array(let a): return a.flatMap(keys)
            default: return []
            }
        }
        let all = keys(json).filter { $0 != ManifestURI.treeDigestKey }
        #expect(all.allSatisfy { $0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } }, "\(all)")

        let apart = try Agreement.evaluate(
            bundles: [
                Sample.bundle("a.jsonl", [Sample.a]),
                Sample.bundle("b.jsonl", [Sample.b], inputs: Sample.inputs(command: ["make"])),
            ],
            keys: [Sample.a, Sample.b], threshold: nil)
        let apartJSON = try StrictJSON.parse(apart.jsonValue.serialized())
        #expect(apartJSON["result"] == "not_comparable")
        #expect(apartJSON["exit_status"] == 2)
        #expect(apartJSON["inputs"] == .null)
        #expect(apartJSON["mismatches"]?.arrayValue?.first?["aspect"] == "command")
        #expect(apartJSON["mismatches"]?.arrayValue?.first?["value"] == #"["make"]"#)
    }
}

/// Bundles read through the verifier: what compare takes from a real signed manifest.
@Suite struct ComparedBundleTests {
    static func provenance(invocationID: String = UUID().uuidString) throws -> ProvenanceInputs {
        var p = try ManifestFixtures.provenance(invocationID: invocationID)
        p.normalization = ["source_date_epoch": "1700000000", "epoch_source": "git"]
        p.dependencies.insert(
            .archive(name: "profile", uri: "repro:profiles/default", sha256: String(repeating: "e5", count: 32)), at: 1)
        return p
    }

    @Test func readsInputsSubjectsAndSignersFromAVerifiedBundle() throws {
        let key = SigningKey.generate(), other = SigningKey.generate()
        let manifest = try Manifest.make(
            provenance: Self.provenance(), reproducibility: ManifestFixtures.reproducible, signingKey: key)
        let bundle = try ComparedBundle(
            label: "x.jsonl", verifying: manifest.data, keys: [other.publicKey, key.publicKey])
        #expect(bundle.signers == [key.keyID])
        #expect(bundle.verdict == .reproducible)
        #expect(bundle.subjects.map(\.name) == ["out/hello", "out/hello.1"])
        #expect(bundle.inputs.sourceDateEpoch == "1700000000")
        #expect(bundle.inputs.toolchains.map(\.name) == ["debian-bookworm-build"])
        #expect(bundle.inputs.profiles.map { $0.digest["sha256"] } == [String(repeating: "e5", count: 32)])
        #expect(bundle.inputs.sources.count == 1)
        #expect(bundle.inputs.command == ["make", "-j1", "all"])
    }

    @Test func aBundleThatDoesNotVerifyIsRefused() throws {
        let key = SigningKey.generate(), stranger = SigningKey.generate()
        let manifest = try Manifest.make(
            provenance: Self.provenance(), reproducibility: ManifestFixtures.reproducible, signingKey: stranger)
        #expect(throws: ReproError.self) {
            try ComparedBundle(label: "x", verifying: manifest.data, keys: [key.publicKey])
        }
        do { _ = try ComparedBundle(label: "x", verifying: manifest.data, keys: [key.publicKey]) } catch {
            #expect(error.kind == .verification)
        }
    }

    @Test func aBundleWhoseEnvelopesHaveDifferentSignersCountsForNoOne() throws {
        let a = SigningKey.generate(), b = SigningKey.generate()
        let provenance = try Self.provenance(invocationID: "same")
        let byA = try Manifest.make(
            provenance: provenance, reproducibility: ManifestFixtures.reproducible, signingKey: a)
        let byB = try Manifest.make(
            provenance: provenance, reproducibility: ManifestFixtures.reproducible, signingKey: b)
        let mixed = Manifest(envelopes: [byA.envelopes[0], byB.envelopes[1]])
        do {
            _ = try ComparedBundle(label: "mixed", verifying: mixed.data, keys: [a.publicKey, b.publicKey])
            Issue.record("a bundle signed half by each key was accepted")
        } catch {
            #expect(error.kind == .verification)
            #expect(error.message.contains("no single given key signed every envelope"))
        }
    }
}
