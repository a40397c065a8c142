import Foundation
import Testing
@testable import ReproCore

/// Every field of the two signed predicates refuses a missing or malformed value with its own
/// sentence (exit 5); the sentences are pinned here so that moving where the fields are
/// described cannot change what a user reads.
@Suite struct ManifestFieldMessagesTests {
    /// `value` with the member at `path` replaced by `new` (removed when nil).
    static func setting(_ value: JSONValue, _ path: [String], to new: JSONValue?) -> JSONValue {
        guard let first = path.first else { return new ?? .null }
        if case .array(var list) = value, let i = Int(first), list.indices.contains(i) {
            list[i] = path.count == 1 ? new ?? .null : setting(list[i], Array(path.dropFirst()), to: new)
            return .array(list)
        }
        var members = value.objectValue ?? [:]
        if path.count == 1 {
            members[first] = new
        } else {
            members[first] = setting(members[first] ?? .object([:]), Array(path.dropFirst()), to: new)
        }
        return .object(members)
    }

    /// The message refusing the provenance predicate with `path` set to `new`, nil if it is accepted.
    func provenanceFailure(_ path: String, _ new: JSONValue?) throws -> String? {
        let statement = try ManifestFixtures.provenance().statement
        let predicate = Self.setting(statement.predicate, path.split(separator: ".").map(String.init), to: new)
        do {
            _ = try ProvenanceSummary(
                validating: Statement(
                    subjects: statement.subjects, predicateType: ManifestURI.slsaProvenance, predicate: predicate))
            return nil
        } catch {
            #expect(error.status == .verificationFailed)
            return error.message
        }
    }

    /// The message refusing `inputs`' reproducibility predicate with `path` set to `new`.
    func reproducibilityFailure(
        _ path: String, _ new: JSONValue?, _ inputs: ReproducibilityInputs = ManifestFixtures.differ
    ) -> String? {
        let predicate = Self.setting(
            inputs.predicate(invocationID: "inv"), path.split(separator: ".").map(String.init), to: new)
        do {
            _ = try ReproducibilityInputs(
                validating: Statement(subjects: [], predicateType: ManifestURI.reproducibility, predicate: predicate))
            return nil
        } catch {
            #expect(error.status == .verificationFailed)
            return error.message
        }
    }

    static let hex = String(repeating: "ab", count: 32)

    @Test func provenanceFieldsAreRefusedWithTheirSentences() throws {
        let slsa = "the SLSA provenance predicate "
        let u = "file:///u"
        let cases: [(String, JSONValue?, String)] = [
            ("buildDefinition", nil, "has no buildDefinition object"),
            ("buildDefinition", "x", "has no buildDefinition object"),
            ("buildDefinition.buildType", nil, "has no buildDefinition.buildType"),
            (
                "buildDefinition.buildType", "https://example.com/other",
                "has buildType \"https://example.com/other\"; repro verifies only \"https://repro.dev/buildtypes/check/v1\""
            ),
            ("buildDefinition.externalParameters", nil, "has no externalParameters object"),
            ("buildDefinition.externalParameters.command", nil, "has no externalParameters.command array"),
            ("buildDefinition.externalParameters.command", [], "has no externalParameters.command array"),
            ("buildDefinition.externalParameters.command", "make", "has no externalParameters.command array"),
            ("buildDefinition.externalParameters.command", ["make", 1], "has a command argument that is not a string"),
            ("buildDefinition.externalParameters.profile", nil, "has no externalParameters.profile"),
            ("buildDefinition.externalParameters.profile", 1, "has no externalParameters.profile"),
            ("buildDefinition.externalParameters.config", nil, "has no externalParameters.config object"),
            ("buildDefinition.externalParameters.config", [], "has no externalParameters.config object"),
            ("buildDefinition.internalParameters", nil, "has no internalParameters object"),
            (
                "buildDefinition.internalParameters.normalization", nil,
                "has no internalParameters.normalization object of strings"
            ),
            (
                "buildDefinition.internalParameters.normalization", ["TZ": 1],
                "has no internalParameters.normalization object of strings"
            ),
            ("buildDefinition.internalParameters.isolation", nil, "has no internalParameters.isolation"),
            (
                "buildDefinition.internalParameters.environment", [],
                "has an internalParameters.environment that is not an object of strings"
            ),
            (
                "buildDefinition.internalParameters.environment", ["PATH": 1],
                "has an internalParameters.environment that is not an object of strings"
            ),
            ("buildDefinition.resolvedDependencies", nil, "has no resolvedDependencies array"),
            (
                "buildDefinition.resolvedDependencies", [["digest": ["sha256": .string(Self.hex)]]],
                "has resolvedDependencies[0] without a uri"
            ),
            (
                "buildDefinition.resolvedDependencies", [["uri": "", "digest": ["sha256": .string(Self.hex)]]],
                "has resolvedDependencies[0] without a uri"
            ),
            (
                "buildDefinition.resolvedDependencies", [["uri": .string(u)]],
                "has resolvedDependencies[0] (\(u)) without a digest"
            ),
            (
                "buildDefinition.resolvedDependencies", [["uri": .string(u), "digest": [:]]],
                "has resolvedDependencies[0] (\(u)) without a digest"
            ),
            (
                "buildDefinition.resolvedDependencies", [["uri": .string(u), "digest": ["sha256": 1]]],
                "has a non-string digest in resolvedDependencies[0]"
            ),
            (
                "buildDefinition.resolvedDependencies", [["uri": .string(u), "digest": ["sha256": "abc"]]],
                "has a sha256 digest in resolvedDependencies[0] (\(u)) that is not 64 lowercase hex digits"
            ),
            (
                "buildDefinition.resolvedDependencies", [["uri": .string(u), "digest": ["repro-tree-v1": "ABC"]]],
                "has a repro-tree-v1 digest in resolvedDependencies[0] (\(u)) that is not 64 lowercase hex digits"
            ),
            (
                "buildDefinition.resolvedDependencies", [["uri": .string(u), "digest": ["md5": "x"]]],
                "has resolvedDependencies[0] (\(u)) with neither a sha256 nor a repro-tree-v1 digest"
            ),
            (
                "buildDefinition.resolvedDependencies",
                [["uri": .string(u), "digest": ["sha256": .string(Self.hex)], "annotations": 1]],
                "has resolvedDependencies[0] (\(u)) with annotations that are not an object"
            ),
            ("runDetails", nil, "has no runDetails object"),
            ("runDetails.builder", nil, "has no runDetails.builder.id"),
            ("runDetails.builder.id", "", "has no runDetails.builder.id"),
            ("runDetails.metadata", nil, "has no runDetails.metadata object"),
            ("runDetails.metadata.invocationId", nil, "has no metadata.invocationId"),
            ("runDetails.metadata.invocationId", "", "has no metadata.invocationId"),
            ("runDetails.metadata.startedOn", "yesterday", "has no RFC 3339 metadata.startedOn"),
            ("runDetails.metadata.finishedOn", nil, "has no RFC 3339 metadata.finishedOn"),
            ("runDetails.builder.version.repro", 1, "has a runDetails.builder.version.repro that is not a string"),
            (
                "runDetails.builder.version.repro", .null,
                "has a runDetails.builder.version.repro that is not a string"
            ),
            // An object that may be absent is refused when present as anything but an object,
            // null included, as the members inside it are.
            ("runDetails.builder.version", .null, "has a runDetails.builder.version that is not an object"),
            ("runDetails.builder.version", "0.1.0", "has a runDetails.builder.version that is not an object"),
            ("runDetails.builder.version", [], "has a runDetails.builder.version that is not an object"),
            ("runDetails.builder", .null, "has a runDetails.builder that is not an object"),
            // RFC 3339 allows a leap second; in-toto's timestamps (protobuf Timestamp) do not.
            (
                "runDetails.metadata.startedOn", "2016-12-31T23:59:60Z",
                "has the timestamp \"2016-12-31T23:59:60Z\" with a leap second (second 60), which in-toto and SLSA timestamps (protobuf Timestamps, where every minute has 60 seconds) cannot hold"
            ),
            (
                "runDetails.metadata.finishedOn", "2016-12-31T23:59:60.5Z",
                "has the timestamp \"2016-12-31T23:59:60.5Z\" with a leap second (second 60), which in-toto and SLSA timestamps (protobuf Timestamps, where every minute has 60 seconds) cannot hold"
            ),
            ("runDetails.metadata.finishedOn", "2016-12-31T23:59:61Z", "has no RFC 3339 metadata.finishedOn"),
        ]
        for (path, value, expected) in cases {
            #expect(
                try provenanceFailure(path, value) == slsa + expected,
                "\(path) = \(value.map { $0.serializedString } ?? "(removed)")")
        }
        // Optional members may be absent, and members repro does not know are ignored (in-toto:
        // consumers ignore unrecognized fields).
        for (path, value) in [
            ("buildDefinition.internalParameters.environment", nil), ("runDetails.builder.version", nil),
            ("buildDefinition.externalParameters.extra", "x"), ("runDetails.byproducts", []),
            (
                "buildDefinition.resolvedDependencies",
                [["uri": .string(u), "digest": ["sha256": .string(Self.hex), "md5": "x"]]]
            ),
        ] as [(String, JSONValue?)] {
            #expect(try provenanceFailure(path, value) == nil, "\(path)")
        }
        let statement = try ManifestFixtures.provenance().statement
        #expect(throws: ReproError.self) {
            try ProvenanceSummary(
                validating: Statement(
                    subjects: [], predicateType: ManifestURI.reproducibility, predicate: statement.predicate))
        }
    }

    @Test func reproducibilityFieldsAreRefusedWithTheirSentences() throws {
        let r = "the reproducibility predicate "
        let finding: JSONValue = ["location": ["a"], "aspect": "x", "cause": "timestamp", "detail": "d"]
        let cases: [(String, JSONValue?, String)] = [
            ("verdict", nil, "has no verdict of reproducible, differ, build-failed"),
            ("verdict", "maybe", "has no verdict of reproducible, differ, build-failed"),
            ("invocationId", nil, "has no invocationId"),
            ("runs", nil, "has no runs"),
            ("runs", [], "has no runs"),
            ("runCount", 3, "has a runCount that is not the number of runs"),
            ("runCount", nil, "has a runCount that is not the number of runs"),
            ("runs.0.index", 2, "has runs out of order (expected index 1)"),
            ("runs.1.index", nil, "has runs out of order (expected index 2)"),
            ("runs.1.exitStatus", nil, "has run 2 without an integer exitStatus"),
            ("runs.0.exitStatus", 2147483648, "has run 1 without an integer exitStatus"),
            ("runs.0.outputTreeDigest", "t1:zz", "has run 1 with a malformed outputTreeDigest \"t1:zz\""),
            ("runs.0.outputTreeDigest", nil, "has run 1 without an outputTreeDigest (string or null)"),
            ("runs.0.outputTreeDigest", 5, "has run 1 without an outputTreeDigest (string or null)"),
            ("differences", nil, "has no differences array"),
            ("differences.0.path", "/abs", "has differences[0] without a safe relative path"),
            ("differences.0.path", nil, "has differences[0] without a safe relative path"),
            ("differences.0.kind", "odd", "has differences[0] (out/hello) without a kind of changed, missing, extra"),
            ("differences.0.sizes", [1], "has differences[0] (out/hello) without one size per run"),
            ("differences.0.sizes", nil, "has differences[0] (out/hello) without one size per run"),
            (
                "differences.0.sizes", [-1, 1],
                "has differences[0] (out/hello) with a size that is not a natural number or null"
            ),
            (
                "differences.0.sizes", ["1", 1],
                "has differences[0] (out/hello) with a size that is not a natural number or null"
            ),
            (
                "differences.0.firstDifferingOffset", nil,
                "has differences[0] (out/hello) without a firstDifferingOffset (natural number or null)"
            ),
            (
                "differences.0.firstDifferingOffset", -1,
                "has differences[0] (out/hello) without a firstDifferingOffset (natural number or null)"
            ),
            ("differences.0.explanation", 1, "has differences[0] (out/hello) with an explanation that is not a string"),
            ("differences.0.findings", 1, "has differences[0] (out/hello) with findings that are not a list"),
            (
                "differences.0.findings", [[:]],
                "has differences[0] (out/hello) with findings[0] that lacks a location, aspect, cause or detail"
            ),
            (
                "differences.0.findings",
                [finding, ["location": [], "aspect": "x", "cause": "timestamp", "detail": "d"]],
                "has differences[0] (out/hello) with findings[1] that lacks a location, aspect, cause or detail"
            ),
            (
                "differences.0.findings", [Self.setting(finding, ["fix"], to: 1)],
                "has differences[0] (out/hello) with findings[0] that lacks a location, aspect, cause or detail"
            ),
            (
                "differences.0.findings", [Self.setting(finding, ["offset"], to: -1)],
                "has differences[0] (out/hello) with findings[0] that lacks a location, aspect, cause or detail"
            ),
            (
                "differences.0.findings", [Self.setting(finding, ["location"], to: [1])],
                "has differences[0] (out/hello) with findings[0] that lacks a location, aspect, cause or detail"
            ),
            (
                "verdict", "reproducible",
                "says reproducible but its runs disagree (a reproducible check has two or more successful runs with one output tree digest and no differences)"
            ),
            ("verdict", "build-failed", "says build-failed but every run exited 0 with outputs"),
            (
                "runs.1.outputTreeDigest", .string(ManifestFixtures.treeA),
                "says differ but its runs do not (a differing check has two or more successful runs whose output tree digests are not all equal)"
            ),
        ]
        for (path, value, expected) in cases {
            #expect(
                reproducibilityFailure(path, value) == r + expected,
                "\(path) = \(value.map { $0.serializedString } ?? "(removed)")")
        }
        // A finding's unknown cause is read as unknown; optional members may be absent.
        #expect(
            reproducibilityFailure("differences.0.findings", [Self.setting(finding, ["cause"], to: "cosmic-rays")])
                == nil)
        #expect(reproducibilityFailure("differences.0.explanation", nil) == nil)
        #expect(reproducibilityFailure("extra", "ignored") == nil)

        let rebuild = "the reproducibility predicate's rebuildOf "
        let reference: JSONValue = [
            "bundle": ["sha256": .string(Self.hex)], "signers": [.string(Self.hex)], "invocationId": "orig",
        ]
        let rebuildCases: [([String], JSONValue?, String)] = [
            (["bundle", "sha256"], "x", "has no bundle.sha256 of 64 lowercase hex digits"),
            (["bundle"], nil, "has no bundle.sha256 of 64 lowercase hex digits"),
            (["signers"], nil, "has no signers array"),
            (["signers"], ["x"], "has a signer that is not a keyid (64 lowercase hex)"),
            (["invocationId"], "", "has no invocationId"),
        ]
        #expect(reproducibilityFailure("rebuildOf", reference) == nil)
        for (path, value, expected) in rebuildCases {
            #expect(
                reproducibilityFailure("rebuildOf", Self.setting(reference, path, to: value)) == rebuild + expected,
                "\(path)")
        }
        var three = ManifestFixtures.reproducible
        three.runs.append(RunRecord(index: 3, outputTreeDigest: ManifestFixtures.treeA, exitStatus: 0))
        #expect(
            reproducibilityFailure("rebuildOf", reference, three) == r
                + "has rebuildOf but not exactly 2 runs (the rebuild, then the original)")
        #expect(throws: ReproError.self) {
            try ReproducibilityInputs(
                validating: Statement(
                    subjects: [], predicateType: ManifestURI.slsaProvenance,
                    predicate: ManifestFixtures.differ.predicate(invocationID: "inv")))
        }
    }
}
