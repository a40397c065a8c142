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
    static func copy(example name: String, to parent: String = NSTemporaryDirectory() + "repro-example-" + UUID().uuidString) -> String {
        try! FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let target = parent + "/" + name
        try! FileManager.default.copyItem(atPath: repository + "/examples/" + name, toPath: target)
        try? FileManager.default.removeItem(atPath: target + "/.repro")
        return target
    }

    /// Runs `repro check --json` on a directory with this toolchain.
    func check(_ dir: String, environment: [String: String] = [:]) throws -> (status: Int32, report: [String: Any], stderr: String) {
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
        }
    }

    @Test func helloAtTwoHostPathsWithDifferentEnvironmentsGivesOneDigest() throws {
        let one = DebianToolchain.copy(example: "hello-c")
        let two = DebianToolchain.copy(example: "hello-c", to: NSTemporaryDirectory() + "elsewhere/a/much/longer/path-" + UUID().uuidString)
        defer {
            try? FileManager.default.removeItem(atPath: (one as NSString).deletingLastPathComponent)
            try? FileManager.default.removeItem(atPath: (two as NSString).deletingLastPathComponent)
        }
        let a = try DebianToolchain.shared.check(one, environment: ["TZ": "Pacific/Auckland", "LANG": "de_DE.UTF-8", "CC": "clang", "CFLAGS": "-O0 -g"])
        let b = try DebianToolchain.shared.check(two, environment: ["TZ": "America/Lima", "LC_ALL": "C", "MAKEFLAGS": "-j7", "SOURCE_DATE_EPOCH": "1"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
        let da = a.report["output_digest"] as? String, db = b.report["output_digest"] as? String
        #expect(da != nil && da == db)
    }
}
