import Foundation
import Testing

/// The pinned Debian base toolchain made by scripts/base-toolchain.sh (cached after the first
/// time), for the example projects.
struct DebianToolchain: Sendable {
    let specDir: String

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static let shared: DebianToolchain = {
        let specDir = NSTemporaryDirectory() + "repro-examples-specs-" + UUID().uuidString
        let status = shell("scripts/base-toolchain.sh '\(specDir)' >/dev/null", in: repository)
        precondition(status == 0, "scripts/base-toolchain.sh failed (exit \(status)); run it by hand to see why")
        return DebianToolchain(specDir: specDir)
    }()

    /// Copies `examples/NAME` to a fresh directory outside the repository.
    static func copy(
        example name: String, to parent: String = NSTemporaryDirectory() + "repro-example-" + UUID().uuidString
    ) -> String {
        try! FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let target = parent + "/" + name
        try! FileManager.default.copyItem(atPath: repository + "/examples/" + name, toPath: target)
        try? FileManager.default.removeItem(atPath: target + "/.repro")
        return target
    }

    /// Runs `repro check --json` on a directory with this toolchain.
    func check(_ dir: String, environment: [String: String] = [:]) throws -> (
        status: Int32, report: [String: Any], stderr: String
    ) {
        var env = ["REPRO_TOOLCHAIN_PATH": specDir]
        env.merge(environment) { _, new in new }
        let result = try CLI.run(["check", dir, "--json"], environment: env)
        let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result.status, report, result.stderr)
    }
}

@Suite(.serialized) struct ExamplesTests {
    static let expected: [(String, String)] = [
        ("hello-c", "reproducible"),
        ("timestamps", "reproducible"),
        ("environment", "reproducible"),
        ("nondeterministic-date", "differ"),
        ("nondeterministic-random", "differ"),
        ("parallel-race", "differ"),
    ]

    @Test(arguments: expected)
    func exampleVerdict(_ name: String, _ verdict: String) throws {
        let dir = DebianToolchain.copy(example: name)
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let result = try DebianToolchain.shared.check(dir)
        #expect(result.report["verdict"] as? String == verdict, "\(name): \(result.stderr)")
        #expect(result.status == (verdict == "reproducible" ? 0 : 1))
        if verdict == "differ" {
            let differences = result.report["differences"] as? [[String: Any]] ?? []
            #expect(!differences.isEmpty)
            #expect(differences.contains { $0["explanation"] != nil }, "no difference of \(name) was explained")
            // Every differing file's findings name the cause the example is about.
            let cause = [
                "nondeterministic-date": "timestamp", "nondeterministic-random": "randomness",
                "parallel-race": "ordering",
            ][name]!
            for difference in differences {
                let causes = (difference["findings"] as? [[String: Any]] ?? []).compactMap { $0["cause"] as? String }
                #expect(
                    causes.contains(cause), "\(name): \(difference["path"] ?? "") has causes \(causes), not \(cause)")
            }
        }
    }

    /// A failed check explains every differing file in its human output and in the signed
    /// reproducibility statement, with the same findings as its JSON report.
    @Test func failedCheckExplainsInSummaryAndStatement() throws {
        let dir = DebianToolchain.copy(example: "nondeterministic-date")
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let result = try CLI.run(["check", dir], environment: ["REPRO_TOOLCHAIN_PATH": DebianToolchain.shared.specDir])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("changed in run 2: dist/build-id.txt"))
        #expect(result.stdout.contains("ELF section .rodata"), "\(result.stdout)")
        #expect(result.stdout.contains("cause: timestamp; fix: honor SOURCE_DATE_EPOCH"))
        #expect(result.stdout.contains("explain further: repro diff "))
        let bundle = try String(contentsOfFile: dir + "/.repro/repro.intoto.jsonl", encoding: .utf8)
        var predicate: [String: Any] = [:]
        for line in bundle.split(separator: "\n") {
            let envelope = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let payload = Data(base64Encoded: envelope["payload"] as? String ?? "") ?? Data()
            let statement = try JSONSerialization.jsonObject(with: payload) as? [String: Any] ?? [:]
            if statement["predicateType"] as? String == "https://repro.dev/reproducibility/v1" {
                predicate = statement["predicate"] as? [String: Any] ?? [:]
            }
        }
        let differences = predicate["differences"] as? [[String: Any]] ?? []
        #expect(differences.count == 2)
        for difference in differences {
            #expect((difference["explanation"] as? String)?.hasPrefix("timestamp") == true, "\(difference)")
            let findings = difference["findings"] as? [[String: Any]] ?? []
            #expect(findings.contains { $0["cause"] as? String == "timestamp" && $0["fix"] != nil }, "\(difference)")
        }
    }

    /// The timestamps example built under two SOURCE_DATE_EPOCH values: `repro diff` of the
    /// kept runs names __DATE__/__TIME__ in the program's .rodata and in its output as times,
    /// and the build ID as derived from them.
    @Test func timestampsUnderTwoEpochsAreExplainedByDiff() throws {
        let dir = DebianToolchain.copy(example: "timestamps")
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let env = ["REPRO_TOOLCHAIN_PATH": DebianToolchain.shared.specDir]
        // Kept beside the project, not in it: the second check's snapshot must not see the first's runs.
        let parent = (dir as NSString).deletingLastPathComponent
        for (epoch, keep) in [("1700000000", "one"), ("1700090061", "two")] {
            let run = try CLI.run(
                ["check", dir, "--date-epoch", epoch, "--keep", parent + "/" + keep], environment: env)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let diff = try CLI.run(["diff", "--json", parent + "/one/run-1", parent + "/two/run-1"])
        #expect(diff.status == 1, "\(diff.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any] ?? [:]
        let files = report["files"] as? [[String: Any]] ?? []
        func findings(_ path: String) -> [[String: Any]] {
            files.first { $0["path"] as? String == path }?["findings"] as? [[String: Any]] ?? []
        }
        #expect(findings("dist/stamp.txt").first?["cause"] as? String == "timestamp", "\(diff.stdout)")
        let program = findings("dist/stamp")
        #expect(
            program.contains {
                $0["aspect"] as? String == "ELF section .rodata" && $0["cause"] as? String == "timestamp"
            }, "\(program)")
        #expect(
            program.contains {
                $0["aspect"] as? String == "ELF section .note.gnu.build-id" && $0["cause"] as? String == "derived"
            })
    }

    @Test func helloAtTwoHostPathsWithDifferentEnvironmentsGivesOneDigest() throws {
        let one = DebianToolchain.copy(example: "hello-c")
        let two = DebianToolchain.copy(
            example: "hello-c", to: NSTemporaryDirectory() + "elsewhere/a/much/longer/path-" + UUID().uuidString)
        defer {
            try? FileManager.default.removeItem(atPath: (one as NSString).deletingLastPathComponent)
            try? FileManager.default.removeItem(atPath: (two as NSString).deletingLastPathComponent)
        }
        let a = try DebianToolchain.shared.check(
            one, environment: ["TZ": "Pacific/Auckland", "LANG": "de_DE.UTF-8", "CC": "clang", "CFLAGS": "-O0 -g"])
        let b = try DebianToolchain.shared.check(
            two, environment: ["TZ": "America/Lima", "LC_ALL": "C", "MAKEFLAGS": "-j7", "SOURCE_DATE_EPOCH": "1"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
        let da = a.report["output_digest"] as? String, db = b.report["output_digest"] as? String
        #expect(da != nil && da == db)
    }
}
