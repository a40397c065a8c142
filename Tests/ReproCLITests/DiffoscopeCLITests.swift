import Foundation
import Testing

/// `repro diff --diffoscope`: diffoscope's report for the files repro compares as plain bytes.
@Suite struct DiffoscopeCLITests {
    static let installed = FileManager.default.isExecutableFile(atPath: "/usr/bin/diffoscope")

    /// Two 4 KiB binary blobs (not text, no format repro opens) that differ in one byte, and a
    /// text pair that repro explains itself.
    private func pairs(in dir: String) throws {
        var blob = [UInt8](repeating: 0, count: 4096)
        for i in blob.indices { blob[i] = UInt8((i * 7 + 3) & 0xFF) }
        try Data(blob).write(to: URL(fileURLWithPath: dir + "/a/blob.bin"))
        blob[2000] ^= 0xFF
        try Data(blob).write(to: URL(fileURLWithPath: dir + "/b/blob.bin"))
        try "one\ntwo\n".write(toFile: dir + "/a/notes.txt", atomically: false, encoding: .utf8)
        try "one\nthree\n".write(toFile: dir + "/b/notes.txt", atomically: false, encoding: .utf8)
    }

    private func tree() throws -> String {
        let dir = try temporaryDirectory("repro-diffoscope-")
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try pairs(in: dir)
        return dir
    }

    /// Without diffoscope on PATH, --diffoscope is a bad input (2) whose message names the package.
    @Test func withoutDiffoscopeOnPathItSaysHowToInstallIt() throws {
        let dir = try tree()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try CLI.run(["diff", "--diffoscope", dir + "/a", dir + "/b"], environment: ["PATH": dir + "/bin"])
        #expect(result.status == 2, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("apt-get install diffoscope"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// A program called diffoscope on PATH gets the plain-bytes file only, with --text - and a
    /// report size bound; what it prints is escaped for the terminal and cut to --max-lines.
    @Test func onlyPlainBytesFilesGoToDiffoscopeAndItsOutputIsEscapedAndBounded() throws {
        let dir = try tree()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/bin/diffoscope"
        try """
        #!/bin/sh
        echo "args: $*"
        printf 'hostile \\033[2Jline\\n'
        i=0; while [ $i -lt 500 ]; do echo "row $i"; i=$((i+1)); done
        exit 1
        """.write(toFile: script, atomically: false, encoding: .utf8)
        chmod(script, 0o755)
        let result = try CLI.run(
            ["diff", "--diffoscope", "--max-lines", "50", dir + "/a", dir + "/b"],
            environment: ["PATH": dir + "/bin:/usr/bin:/bin"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("diffoscope on blob.bin:"))
        #expect(!result.stdout.contains("diffoscope on notes.txt"))
        #expect(
            result.stdout.contains(
                "args: --text - --max-report-size 65536 --no-progress \(dir)/a/blob.bin \(dir)/b/blob.bin"))
        #expect(result.stdout.contains("hostile \\e[2Jline"))
        #expect(!result.stdout.contains("\u{1B}"))
        #expect(result.stdout.contains("row 40"))
        #expect(!result.stdout.contains("row 499"))
        #expect(result.stdout.contains("more lines not shown (raise --max-lines)"))
    }

    /// A descriptor repro inherited (here fd 7, open without close-on-exec) does not reach the
    /// host programs it starts: diffoscope gets its stdin, stdout and stderr only.
    @Test func diffoscopeGetsNoInheritedDescriptor() throws {
        let dir = try tree()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/bin/diffoscope"
        try """
        #!/bin/sh
        if [ -e /proc/$$/fd/7 ]; then echo "inherited fd 7"; else echo "no fd 7"; fi
        exit 1
        """.write(toFile: script, atomically: false, encoding: .utf8)
        chmod(script, 0o755)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = dir + "/bin:/usr/bin:/bin"
        let result = try Shell.run(
            [
                "/bin/sh", "-c", "exec \"$@\" 7</etc/hostname", "sh", CLI.binary, "diff", "--diffoscope",
                dir + "/a", dir + "/b",
            ],
            environment: env)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("no fd 7"), "\(result.stdout)")
        #expect(!result.stdout.contains("inherited fd 7"), "\(result.stdout)")
    }

    /// A diffoscope that runs past --max-seconds is killed and the report says so.
    @Test func aSlowDiffoscopeIsStoppedAtTheTimeLimit() throws {
        let dir = try tree()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/bin/diffoscope"
        try "#!/bin/sh\necho started\nexec sleep 600\n".write(toFile: script, atomically: false, encoding: .utf8)
        chmod(script, 0o755)
        let start = Date()
        let result = try CLI.run(
            ["diff", "--diffoscope", "--max-seconds", "2", dir + "/a", dir + "/b"],
            environment: ["PATH": dir + "/bin:/usr/bin:/bin"])
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("started"))
        #expect(result.stdout.contains("diffoscope was stopped after"), "\(result.stdout)")
    }

    /// Debian's diffoscope itself, on the blob pair: its hex dump lines follow repro's report.
    @Test(.enabled(if: installed)) func debiansDiffoscopeReportFollowsReprosReport() throws {
        let dir = try tree()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try CLI.run(["diff", "--diffoscope", dir + "/a/blob.bin", dir + "/b/blob.bin"])
        #expect(result.status == 1, "\(result.stderr)")
        let report = result.stdout
        let ours = try #require(report.range(of: "changed: blob.bin"))
        let theirs = try #require(report.range(of: "diffoscope on blob.bin:"))
        #expect(ours.lowerBound < theirs.lowerBound)
        #expect(report[theirs.upperBound...].contains("blob.bin"), "\(report)")
        #expect(report[theirs.upperBound...].contains("000007d0"), "\(report)")
    }
}
