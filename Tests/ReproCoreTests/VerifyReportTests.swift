import Foundation
import Testing
@testable import ReproCore

/// `repro verify --json` (schema verify-report/v2) and the human lines keep their exact form.
@Suite struct VerifyReportTests {
    static let keyID = String(repeating: "4d", count: 32)

    /// A verified report of every kind of member: an environment, annotations, a profile, an
    /// explained difference and a rebuild reference.
    static func report() throws -> VerificationReport {
        var p = try ManifestFixtures.provenance()
        p.environment = ["PATH": "/bin"]
        p.dependencies[0].annotations = ["mount": "/opt/tc", "strip_components": .integer(1)]
        p.dependencies.append(
            .archive(
                name: ManifestURI.profileDependencyName, uri: "repro:profiles/default",
                sha256: String(repeating: "9f", count: 32)))
        var r = ManifestFixtures.differ
        r.differences[0].explanation = "timestamp: gzip header mtime"
        r.rebuildOf = RebuildReference(
            bundleSHA256: String(repeating: "3c", count: 32), signers: [keyID], invocationID: "orig")
        let statements = [
            try Verifier.checkStatement(payload: Array(p.statement.jsonValue.serialized())),
            try Verifier.checkStatement(
                payload: Array(
                    Statement(
                        subjects: p.subjects, predicateType: ManifestURI.reproducibility,
                        predicate: r.predicate(invocationID: p.invocationID)
                    ).jsonValue.serialized())),
        ]
        let (provenance, reproducibility) = try Verifier.checkStatements(statements)
        return VerificationReport(
            signers: [[keyID], [keyID]], provenance: provenance, reproducibility: reproducibility, artifactsChecked: nil
        )
    }

    /// The two statements of ``report()`` as signed.
    static func payloads() throws -> [String] {
        var p = try ManifestFixtures.provenance()
        p.environment = ["PATH": "/bin"]
        p.dependencies[0].annotations = ["mount": "/opt/tc", "strip_components": .integer(1)]
        var r = ManifestFixtures.differ
        r.differences[0].explanation = "timestamp: gzip header mtime"
        r.differences[0].findings = [
            DiffFinding(
                location: ["out/hello"], aspect: "gzip header mtime", cause: .timestamp, detail: "1 vs 2",
                fix: "gzip -n", offset: 4)
        ]
        r.rebuildOf = RebuildReference(
            bundleSHA256: String(repeating: "3c", count: 32), signers: [keyID], invocationID: "orig")
        return try Manifest.make(provenance: p, reproducibility: r, signingKey: nil).envelopes.map {
            String(decoding: $0.payload, as: UTF8.self)
        }
    }

    @Test func theStatementsAreUnchanged() throws {
        let actual = try Self.payloads()
        #expect(actual.count == 2)
        #expect(
            actual.first
                == #"{"_type":"https://in-toto.io/Statement/v1","predicate":{"buildDefinition":{"buildType":"https://repro.dev/buildtypes/check/v1","externalParameters":{"command":["make","-j1","all"],"config":{"build":{"command":["make","-j1","all"],"outputs":["out/"]},"toolchains":["debian-bookworm-build"]},"profile":"default"},"internalParameters":{"environment":{"PATH":"/bin"},"isolation":{"namespaces":["user","mount","pid","net","uts","ipc"],"network":"loopback-only","seccomp":true},"normalization":{"LANG":"C.UTF-8","SOURCE_DATE_EPOCH":"1700000000","TZ":"UTC","umask":"022"}},"resolvedDependencies":[{"annotations":{"mount":"/opt/tc","strip_components":1},"digest":{"sha256":"45287bb945287bb945287bb945287bb945287bb945287bb945287bb945287bb9"},"name":"debian-bookworm-build","uri":"file:///srv/mirror/debian-bookworm-build.tar.gz"},{"digest":{"repro-tree-v1":"5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"},"name":"source","uri":"git+file:///home/dev/hello"}]},"runDetails":{"builder":{"id":"https://repro.dev/builders/local/v1","version":{"repro":"0.1.0"}},"metadata":{"finishedOn":"2026-09-21T14:14:02Z","invocationId":"0f5c3f0e-2c1e-4a8e-9d55-6a3f1c2b7d10","startedOn":"2026-09-21T14:13:20Z"}}},"predicateType":"https://slsa.dev/provenance/v1","subject":[{"digest":{"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},"name":"out/hello"},{"digest":{"sha256":"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"},"name":"out/hello.1"}]}"#
        )
        #expect(
            actual.last
                == #"{"_type":"https://in-toto.io/Statement/v1","predicate":{"differences":[{"explanation":"timestamp: gzip header mtime","findings":[{"aspect":"gzip header mtime","cause":"timestamp","detail":"1 vs 2","fix":"gzip -n","location":["out/hello"],"offset":4}],"firstDifferingOffset":4120,"kind":"changed","path":"out/hello","sizes":[16384,16384]}],"invocationId":"0f5c3f0e-2c1e-4a8e-9d55-6a3f1c2b7d10","rebuildOf":{"bundle":{"sha256":"3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"},"invocationId":"orig","signers":["4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d"]},"runCount":2,"runs":[{"exitStatus":0,"index":1,"outputTreeDigest":"t1:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"},{"exitStatus":0,"index":2,"outputTreeDigest":"t1:b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"}],"verdict":"differ"},"predicateType":"https://repro.dev/reproducibility/v1","subject":[{"digest":{"sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},"name":"out/hello"},{"digest":{"sha256":"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"},"name":"out/hello.1"}]}"#
        )
    }

    @Test func theJSONReportIsUnchanged() throws {
        let expected =
            #"{"artifacts":null,"artifacts_checked":null,"build_type":"https://repro.dev/buildtypes/check/v1","builder":{"id":"https://repro.dev/builders/local/v1","version":"0.1.0"},"command":["make","-j1","all"],"differences":[{"explanation":"timestamp: gzip header mtime","kind":"changed","path":"out/hello"}],"envelopes":[{"keyids":["4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d"],"predicate_type":"https://slsa.dev/provenance/v1"},{"keyids":["4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d"],"predicate_type":"https://repro.dev/reproducibility/v1"}],"finished_on":"2026-09-21T14:14:02Z","invocation_id":"0f5c3f0e-2c1e-4a8e-9d55-6a3f1c2b7d10","profile":"default","rebuild_of":{"bundle":{"sha256":"3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"},"invocation_id":"orig","signers":["4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d"]},"runs":[{"exit_status":0,"index":1,"output_tree_digest":"t1:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"},{"exit_status":0,"index":2,"output_tree_digest":"t1:b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"}],"schema":"https://repro.dev/verify-report/v2","sources":[{"digest":{"repro-tree-v1":"5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"},"name":"source","uri":"git+file:///home/dev/hello"}],"started_on":"2026-09-21T14:13:20Z","subjects":[{"name":"out/hello","sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},{"name":"out/hello.1","sha256":"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"}],"toolchains":[{"annotations":{"mount":"/opt/tc","strip_components":1},"digest":{"sha256":"45287bb945287bb945287bb945287bb945287bb945287bb945287bb945287bb9"},"name":"debian-bookworm-build","uri":"file:///srv/mirror/debian-bookworm-build.tar.gz"}],"verdict":"differ","verified":true}"#
        #expect(try Self.report().jsonValue.serializedString == expected)
    }

    /// The example bundle in docs/examples, as `repro verify` reports it in both forms.
    @Test func theExampleIsReportedAsBefore() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/examples").path
        let data = try Data(contentsOf: URL(fileURLWithPath: examples + "/synthetic.intoto.jsonl"))
        let report = try Verifier.verify(bundle: data, keys: [try PublicKey(pemFile: examples + "/synthetic.pub")])
        #expect(
            report.jsonValue.serializedString
                == #"{"artifacts":null,"artifacts_checked":null,"build_type":"https://repro.dev/buildtypes/check/v1","builder":{"id":"https://repro.dev/builders/local/v1","version":"0.1.0"},"command":["make","-j1","all"],"differences":[{"kind":"changed","path":"out/hello"}],"envelopes":[{"keyids":["8c70cc561259d63e5d11c45b3f34dac1aa76d623d41cc6b792243b969a95e1c4"],"predicate_type":"https://slsa.dev/provenance/v1"},{"keyids":["8c70cc561259d63e5d11c45b3f34dac1aa76d623d41cc6b792243b969a95e1c4"],"predicate_type":"https://repro.dev/reproducibility/v1"}],"finished_on":"2026-09-21T14:14:02Z","invocation_id":"0f5c3f0e-2c1e-4a8e-9d55-6a3f1c2b7d10","profile":"default","runs":[{"exit_status":0,"index":1,"output_tree_digest":"t1:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"},{"exit_status":0,"index":2,"output_tree_digest":"t1:b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"}],"schema":"https://repro.dev/verify-report/v2","sources":[{"digest":{"repro-tree-v1":"5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"},"name":"source","uri":"git+file:///home/dev/hello"}],"started_on":"2026-09-21T14:13:20Z","subjects":[{"name":"out/hello","sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},{"name":"out/hello.1","sha256":"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"}],"toolchains":[{"digest":{"sha256":"45287bb945287bb945287bb945287bb945287bb945287bb945287bb945287bb9"},"name":"debian-bookworm-build","uri":"file:///srv/mirror/debian-bookworm-build.tar.gz"}],"verdict":"differ","verified":true}"#
        )
        let expected = [
            #"verified docs/examples/synthetic.intoto.jsonl: 2 envelopes, signed by 8c70cc561259d63e5d11c45b3f34dac1aa76d623d41cc6b792243b969a95e1c4"#,
            #"builder:    https://repro.dev/builders/local/v1 (repro 0.1.0)"#,
            #"invocation: 0f5c3f0e-2c1e-4a8e-9d55-6a3f1c2b7d10, 2026-09-21T14:13:20Z to 2026-09-21T14:14:02Z"#,
            #"command:    make -j1 all (profile default)"#,
            #"source:     source git+file:///home/dev/hello t1:5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"#,
            #"toolchain:  debian-bookworm-build file:///srv/mirror/debian-bookworm-build.tar.gz sha256:45287bb945287bb945287bb945287bb945287bb945287bb945287bb945287bb9"#,
            #"verdict:    differ (2 runs)"#,
            #"  run 1: exit 0, output t1:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"#,
            #"  run 2: exit 0, output t1:b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"#,
            #"  differs: out/hello (changed)"#,
            #"subjects:   2"#,
            #"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  out/hello"#,
            #"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210  out/hello.1"#,
        ]
        #expect(report.humanLines(bundle: "docs/examples/synthetic.intoto.jsonl") == expected)
    }
}
