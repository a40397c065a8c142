import Foundation
import Testing

/// How many times a check opens each source and output file, counted with strace(1) on the real
/// binary and its sandboxes (`-f`): what the design says, and no more.
@Suite struct CheckIOTests {
    /// The open(2)/openat(2) calls of a traced `repro check`, one line each.
    private static func tracedCheck(_ project: Project, _ extra: [String]) throws -> (CLI.Result, [String]) {
        let log = NSTemporaryDirectory() + "repro-strace-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: log) }
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        let result = try Shell.run(
            ["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", log, CLI.binary, "check", project.dir] + extra,
            environment: env)
        let lines = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        return (result, lines)
    }

    /// Calls that open a file named `name` (the last component of the path argument) successfully,
    /// for reading (`read`) or for writing.
    private static func opens(_ lines: [String], _ name: String, read: Bool) -> [String] {
        lines.filter { line in
            guard let quote = line.range(of: "\""), let end = line[quote.upperBound...].range(of: "\"") else {
                return false
            }
            let path = String(line[quote.upperBound..<end.lowerBound])
            guard path == name || path.hasSuffix("/" + name) else { return false }
            guard !line.contains("= -1") else { return false }
            let writes = line.contains("O_WRONLY") || line.contains("O_RDWR")
            return read ? (line.contains("O_RDONLY") && !line.contains("O_DIRECTORY")) : writes
        }
    }

    @Test(
        "a check reads each source file once, each output once per run, and writes run 1's outputs once",
        .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/strace")))
    func eachFileIsReadOnce() throws {
        let project = try Project(
            files: [
                "src/alpha-source.txt": "alpha\n", "src/sub/beta-source.txt": "beta\n",
                "build.sh": "mkdir -p out/sub && echo one > out/gamma-output && echo two > out/sub/delta-output\n",
            ],
            config: ProjectConfigText.busybox(epoch: nil), git: true)
        defer { project.remove() }
        let destination = NSTemporaryDirectory() + "repro-io-out-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let (result, lines) = try Self.tracedCheck(project, ["--output", destination])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!lines.isEmpty)
        for source in ["alpha-source.txt", "beta-source.txt"] {
            // Read once on the host, hashed while it is copied into the snapshot's pack; no run
            // reads it again (they copy from the pack), and nothing hashes the snapshot again.
            #expect(
                Self.opens(lines, source, read: true).count == 1, "\(source): \(Self.opens(lines, source, read: true))")
            #expect(Self.opens(lines, source, read: false).count == 2, "\(source): the two runs' copies")
        }
        for output in ["gamma-output", "delta-output"] {
            // Run 1 copies it (hashing on the way), run 2 hashes it in place: one read each.
            #expect(
                Self.opens(lines, output, read: true).count == 2, "\(output): \(Self.opens(lines, output, read: true))")
            // The build writes it in each run; repro writes one copy, which a rename places.
            #expect(
                Self.opens(lines, output, read: false).count == 3,
                "\(output): \(Self.opens(lines, output, read: false))")
        }
        #expect(try String(contentsOfFile: destination + "/out/sub/delta-output", encoding: .utf8) == "two\n")
    }

    @Test(
        "outputs that differ are copied once each for the explanation, and the kept runs are whole trees",
        .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/strace")))
    func differingOutputsAreCopiedOnce() throws {
        let project = try Project(
            files: [
                "build.sh":
                    "mkdir -p out && echo same > out/same-output && cat /proc/sys/kernel/random/uuid > out/random-output\n"
            ],
            config: ProjectConfigText.busyboxOut)
        defer { project.remove() }
        let (result, lines) = try Self.tracedCheck(project, [])
        #expect(result.status == 1, "\(result.stderr)")
        // Run 2 hashes both in place; only the file that differs is read again to be kept.
        #expect(
            Self.opens(lines, "same-output", read: true).count == 2, "\(Self.opens(lines, "same-output", read: true))")
        #expect(
            Self.opens(lines, "random-output", read: true).count >= 3,
            "\(Self.opens(lines, "random-output", read: true))")
        // Written by the build in each run, and by repro once per run that has it differ (run 1's
        // copy is linked into run 2's kept tree, not copied).
        #expect(
            Self.opens(lines, "same-output", read: false).count == 3, "\(Self.opens(lines, "same-output", read: false))"
        )
        #expect(
            Self.opens(lines, "random-output", read: false).count == 4,
            "\(Self.opens(lines, "random-output", read: false))")
        let runs = project.dir + "/.repro/runs"
        for run in ["run-1", "run-2"] {
            #expect(try String(contentsOfFile: "\(runs)/\(run)/out/same-output", encoding: .utf8) == "same\n")
            #expect(FileManager.default.fileExists(atPath: "\(runs)/\(run)/out/random-output"))
        }
        let first = try String(contentsOfFile: runs + "/run-1/out/random-output", encoding: .utf8)
        let second = try String(contentsOfFile: runs + "/run-2/out/random-output", encoding: .utf8)
        #expect(first != second)
    }

    @Test(
        "a failed check reads an earlier check's --output directory once: confirmed before the build, withdrawn after it without a second read",
        .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/strace")))
    func previousOutputsAreReadOnce() throws {
        let project = try Project(
            files: [
                "build.sh": "mkdir -p out/sub && echo one > out/epsilon-output && echo two > out/sub/zeta-output\n"
            ],
            config: ProjectConfigText.busyboxOut)
        defer { project.remove() }
        let destination = NSTemporaryDirectory() + "repro-io-prev-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let first = try project.check(["--output", destination])
        #expect(first.status == 0, "\(first.stderr)")
        // Not synchronization: the placed files' status-change times must lie more than the racy
        // margin (2 s) before the next check looks at them, or it reads them again by design.
        Thread.sleep(forTimeInterval: 2.2)
        try "exit 3\n".write(toFile: project.dir + "/build.sh", atomically: false, encoding: .utf8)
        let (result, lines) = try Self.tracedCheck(project, ["--output", destination])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination), "the earlier outputs are withdrawn")
        for output in ["epsilon-output", "zeta-output"] {
            #expect(
                Self.opens(lines, output, read: true).count == 1, "\(output): \(Self.opens(lines, output, read: true))")
        }
    }
}
