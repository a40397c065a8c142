import Foundation
import Testing
@testable import ReproCore

/// What the manifest records for a rebuild: toolchain mounts, the environment, the source's
/// commit and rebuildability, and a rebuild's `rebuildOf`; all read back by the verifier.
@Suite struct RebuildRecordTests {
    func statement(_ provenance: ProvenanceInputs) throws -> Statement {
        try Verifier.checkStatement(payload: Array(provenance.statement.jsonValue.serialized()))
    }

    @Test func annotationsAndTheEnvironmentAreWrittenAndReadBack() throws {
        var p = try ManifestFixtures.provenance()
        p.dependencies[0].annotations = ["mount": "/", "strip_components": .integer(1)]
        p.dependencies[1].digest[ManifestURI.gitCommitKey] = String(repeating: "c0", count: 20)
        p.dependencies[1].annotations = ["rebuildable": .bool(true)]
        p.environment = ["PATH": "/bin", "SOURCE_DATE_EPOCH": "1700000000"]
        let summary = try ProvenanceSummary(validating: try statement(p))
        #expect(summary.toolchains.first?.mount == "/")
        #expect(summary.toolchains.first?.stripComponents == 1)
        #expect(summary.sources.first?.rebuildable == true)
        #expect(summary.sources.first?.digest[ManifestURI.gitCommitKey] == String(repeating: "c0", count: 20))
        #expect(summary.environment == ["PATH": "/bin", "SOURCE_DATE_EPOCH": "1700000000"])
        #expect(summary.normalization["TZ"] == "UTC")
        #expect(summary.config["build"]?["outputs"] == ["out/"])
    }

    @Test func aBundleFromBeforeHasNoneOfItAndStillVerifies() throws {
        let p = try ManifestFixtures.provenance()
        let json = p.statement.jsonValue
        #expect(json["predicate"]?["buildDefinition"]?["internalParameters"]?["environment"] == nil)
        #expect(
            json["predicate"]?["buildDefinition"]?["resolvedDependencies"]?.arrayValue?.allSatisfy {
                $0["annotations"] == nil
            } == true)
        let summary = try ProvenanceSummary(validating: try statement(p))
        #expect(summary.environment == nil)
        #expect(summary.toolchains.first?.mount == nil)
        #expect(summary.sources.first?.rebuildable == nil)
    }

    @Test func malformedAnnotationsOrEnvironmentFailVerification() throws {
        var bad = try ManifestFixtures.provenance().statement.jsonValue
        guard case .object(var top) = bad, case .object(var predicate)? = top["predicate"],
            case .object(var definition)? = predicate["buildDefinition"],
            case .object(var internals)? = definition["internalParameters"]
        else {
            Issue.record("unexpected statement shape")
            return
        }
        internals["environment"] = ["PATH": .integer(1)]
        definition["internalParameters"] = .object(internals)
        predicate["buildDefinition"] = .object(definition)
        top["predicate"] = .object(predicate)
        bad = .object(top)
        #expect(throws: ReproError.self) {
            try ProvenanceSummary(validating: try Verifier.checkStatement(payload: Array(bad.serialized())))
        }

        var p = try ManifestFixtures.provenance()
        p.dependencies[0] = ResolvedDependency(
            name: "tc", uri: "file:///x", digest: ["sha256": String(repeating: "ab", count: 32)])
        var dep = p.dependencies[0].jsonValue.objectValue!
        dep["annotations"] = .string("mount=/")
        guard case .object(var top2) = p.statement.jsonValue, case .object(var predicate2)? = top2["predicate"],
            case .object(var definition2)? = predicate2["buildDefinition"],
            case .array(var deps)? = definition2["resolvedDependencies"]
        else {
            Issue.record("unexpected statement shape")
            return
        }
        deps[0] = .object(dep)
        definition2["resolvedDependencies"] = .array(deps)
        predicate2["buildDefinition"] = .object(definition2)
        top2["predicate"] = .object(predicate2)
        #expect(throws: ReproError.self) {
            try ProvenanceSummary(
                validating: try Verifier.checkStatement(payload: Array(JSONValue.object(top2).serialized())))
        }
    }

    @Test func aRebuildsReproducibilityStatementNamesTheBundleItRebuilt() throws {
        let reference = RebuildReference(
            bundleSHA256: String(repeating: "3c", count: 32), signers: [String(repeating: "4d", count: 32)],
            invocationID: "orig")
        var inputs = ManifestFixtures.reproducible
        inputs.rebuildOf = reference
        let statement = Statement(
            subjects: [], predicateType: ManifestURI.reproducibility, predicate: inputs.predicate(invocationID: "inv"))
        let read = try ReproducibilityInputs(validating: statement)
        #expect(read.rebuildOf == reference)
        #expect(ManifestFixtures.reproducible.predicate(invocationID: "inv")["rebuildOf"] == nil)

        // Three runs, or a malformed reference, do not verify.
        var three = inputs
        three.runs.append(RunRecord(index: 3, outputTreeDigest: ManifestFixtures.treeA, exitStatus: 0))
        #expect(throws: ReproError.self) {
            try ReproducibilityInputs(
                validating: Statement(
                    subjects: [], predicateType: ManifestURI.reproducibility,
                    predicate: three.predicate(invocationID: "inv")))
        }
        var wrong = inputs
        wrong.rebuildOf?.bundleSHA256 = "short"
        #expect(throws: ReproError.self) {
            try ReproducibilityInputs(
                validating: Statement(
                    subjects: [], predicateType: ManifestURI.reproducibility,
                    predicate: wrong.predicate(invocationID: "inv")))
        }
    }

    @Test func compareHoldsSourcesEqualByTheirTreeWhateverCommitTheyCameFrom() throws {
        let tree = "t1:" + String(repeating: "5e", count: 32)
        var one = try ResolvedDependency.sourceTree(uri: "git+https://a/p@x", treeDigest: tree)
        one.digest[ManifestURI.gitCommitKey] = String(repeating: "1", count: 40)
        var two = try ResolvedDependency.sourceTree(uri: "git+https://b/p@y", treeDigest: tree)
        two.digest[ManifestURI.gitCommitKey] = String(repeating: "2", count: 40)
        let a = BuildInputs(
            sources: [one], toolchains: [], profileName: "default", profiles: [], command: ["make"],
            sourceDateEpoch: "1")
        let b = BuildInputs(
            sources: [two], toolchains: [], profileName: "default", profiles: [], command: ["make"],
            sourceDateEpoch: "1")
        #expect(a.differingAspects(from: b).isEmpty)
        #expect(a.key(.source) == [tree])
    }
}
