import Foundation
import Testing

private let config = """
    [build]
    command = ["sh", "build.sh"]
    outputs = ["out"]
    toolchains = ["busybox"]
    """

/// What `repro check` shows while it works: live status lines on a terminal, plain phase lines
/// and heartbeats elsewhere, the build's output with -v, nothing but the verdict with -q.
@Suite struct ProgressCLITests {
    /// Runs `repro ARGS...` on a pseudo-terminal (util-linux `script`), returning what the
    /// terminal received (stdout and stderr together).
    private func onTerminal(_ arguments: [String], environment: [String: String] = [:]) throws -> CLI.Result {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in BusyboxToolchain.shared.environment { env[key] = value }
        for (key, value) in environment { env[key] = value }
        env["TERM"] = "xterm"
        let command = ([CLI.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        // A bound, so that a check that never ends fails the test instead of hanging it.
        return try Shell.run(
            ["timeout", "-s", "KILL", "180", "script", "-qfec", command, "/dev/null"], environment: env)
    }

    /// The elapsed times shown in status lines of `run` building, in seconds.
    private func buildingTimes(_ text: String, run: String) -> [Int] {
        let marker = "repro: \(run): building ("
        return text.components(separatedBy: marker).dropFirst().compactMap { rest in
            Int(rest.prefix { $0 != " " })
        }
    }

    @Test func terminalShowsALiveStatusLineWithElapsedTimeAndLastOutput() throws {
        let project = try Project(
            files: [
                "build.sh": """
                echo step-one
                sleep 5
                mkdir -p out
                echo done > out/a
                """
            ], config: config, git: true)
        defer { project.remove() }
        let result = try onTerminal(["check", project.dir])
        let text = result.stdout
        #expect(result.status == 0, "\(text)")
        // Redrawn in place: carriage return and erase line.
        #expect(text.contains("\r\u{1B}[K"))
        // The elapsed time grows while the build sleeps, next to its last output line.
        let times = buildingTimes(text, run: "run 1/2")
        #expect(times.contains { $0 >= 2 }, "\(text.debugDescription)")
        #expect(
            text.range(of: #"repro: run 1/2: building \([0-9]+ s\): step-one"#, options: .regularExpression) != nil,
            "\(text.debugDescription)")
        #expect(buildingTimes(text, run: "run 2/2").contains { $0 >= 2 })
        // The log path is printed when the run starts, before any status line of it.
        let log = "repro: run 1/2: log: \(project.dir)/.repro/logs/run-1.log"
        let logAt = try #require(text.range(of: log), "\(text.debugDescription)")
        let firstStatus = try #require(text.range(of: "repro: run 1/2: building ("))
        #expect(logAt.lowerBound < firstStatus.lowerBound)
        // Cleared at the end: nothing of a status line after the last erase.
        let lastErase = try #require(text.range(of: "\u{1B}[K", options: .backwards))
        #expect(!text[lastErase.upperBound...].contains("building ("))
        #expect(text[lastErase.upperBound...].contains("REPRODUCIBLE"))
    }

    @Test func statusLineEscapesTheBuildsLastOutputLine() throws {
        let project = try Project(
            files: [
                "build.sh": """
                printf 'evil \\033[31mred\\033[0m\\033]0;title\\007\\n'
                sleep 2
                mkdir -p out
                echo done > out/a
                """
            ], config: config, git: true)
        defer { project.remove() }
        let result = try onTerminal(["check", "--parallel", project.dir])
        let text = result.stdout
        #expect(result.status == 0, "\(text)")
        #expect(text.contains(#"evil \e[31mred\e[0m\e]0;title\x07"#), "\(text.debugDescription)")
        #expect(!text.contains("\u{1B}[31m") && !text.contains("\u{1B}]0;") && !text.contains("\u{07}"))
        // One line per run at once under --parallel.
        #expect(
            text.range(
                of: #"building \([0-9]+ s\): evil[^\r\n]*\r?\nrepro: run 2/2: building \("#, options: .regularExpression
            ) != nil,
            "\(text.debugDescription)")
    }

    @Test func withoutATerminalPhasesArePlainLinesWithHeartbeats() throws {
        let project = try Project(
            files: [
                "build.sh": """
                echo first-line
                sleep 3
                mkdir -p out
                echo done > out/a
                """
            ], config: config, git: true)
        defer { project.remove() }
        let result = try project.check([], environment: ["REPRO_PROGRESS_HEARTBEAT": "1"])
        let err = result.stderr
        #expect(result.status == 0, "\(err)")
        #expect(!err.contains("\r") && !err.contains("\u{1B}"))
        for line in [
            "repro: snapshotting the source...",
            "repro: fetching toolchains...",
            "repro: run 1/2: log: \(project.dir)/.repro/logs/run-1.log\nrepro: run 1/2: building...\n",
            "repro: run 1/2: still building after 1 s; last output: first-line\n",
            "repro: run 1/2: building: done in ",
            "repro: run 1/2: collecting outputs...\n",
            "repro: run 2/2: building...\n",
            "repro: comparing outputs...\n",
            "repro: comparing outputs: done in ",
        ] {
            #expect(err.contains(line), "\(line) not in:\n\(err)")
        }
        #expect(result.stdout.hasPrefix("REPRODUCIBLE"))
    }

    @Test func quietPrintsOnlyTheVerdict() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out\necho hi\necho done > out/a\n"], config: config, git: true)
        defer { project.remove() }
        let result = try project.check(["-q"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr == "")
        #expect(result.stdout.hasPrefix("REPRODUCIBLE"))
        let failing = try Project(files: ["build.sh": "echo broken; exit 7\n"], config: config, git: true)
        defer { failing.remove() }
        let failed = try failing.check(["--quiet"])
        #expect(failed.status == 3)
        #expect(!failed.stderr.contains("building"))
        #expect(failed.stdout.hasPrefix("BUILD FAILED in every run"), "\(failed.stdout)")
    }

    @Test func verboseStreamsTheBuildsOutputAsItIsWritten() throws {
        let project = try Project(
            files: [
                "build.sh": """
                echo early-line
                sleep 3
                echo late-line
                mkdir -p out
                echo done > out/a
                """
            ], config: config, git: true)
        defer { project.remove() }
        let result = try project.check(["-v"], environment: ["REPRO_PROGRESS_HEARTBEAT": "1"])
        let err = result.stderr
        #expect(result.status == 0, "\(err)")
        // Live: the early line shows while the build still runs, before the heartbeat.
        let early = try #require(err.range(of: "\nearly-line\n"), "\(err)")
        let beat = try #require(err.range(of: "repro: run 1/2: still building"), "\(err)")
        let late = try #require(err.range(of: "\nlate-line\n"), "\(err)")
        #expect(early.lowerBound < beat.lowerBound && beat.lowerBound < late.lowerBound, "\(err)")

        let parallel = try project.check(["--verbose", "--parallel"])
        #expect(parallel.status == 0, "\(parallel.stderr)")
        for run in ["1/2", "2/2"] {
            #expect(parallel.stderr.contains("\n[run \(run)] early-line\n"), "\(parallel.stderr)")
            #expect(parallel.stderr.contains("\n[run \(run)] late-line\n"), "\(parallel.stderr)")
        }
    }

    /// One endless line costs -v no more than a bounded line: its first part is shown and the
    /// cut said (the whole line was once held and rescanned per chunk: minutes for 300 MB).
    @Test func verboseCutsAnEndlessLine() throws {
        let project = try Project(
            files: [
                "build.sh": """
                echo before
                dd if=/dev/zero bs=1M count=64 2>/dev/null | tr '\\0' x; printf '\\n'
                echo after
                mkdir -p out
                echo done > out/a
                """
            ], config: config, git: true)
        defer { project.remove() }
        let result = try project.check(["-v"])
        #expect(result.status == 0, "\(result.stderr.prefix(2000))")
        let cut = "\n" + String(repeating: "x", count: 16 * 1024) + " [line cut]\nafter\n"
        #expect(result.stderr.contains("\nbefore\n") && result.stderr.contains(cut), "\(result.stderr.count) bytes")
        #expect(result.stderr.utf8.count < 1 << 20)
    }

    /// Later runs wait for run 1's entries while their sandboxes linger, and run 1's sandbox
    /// ends only after the sandboxes cloned after it (they hold its release pipe): run 1's
    /// entries must reach them before its sandbox ends, or a parallel check never finishes.
    @Test func parallelCheckFinishes() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo same > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["check", project.dir, "--parallel", "--runs", "5"]
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        let finished = ended.wait(timeout: .now() + 120) == .success
        if !finished {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(finished, "a --parallel check of 5 runs did not finish within 120 s")
        #expect(process.terminationStatus == 0)
    }

    @Test func verboseAndQuietContradict() throws {
        let result = try CLI.run(["check", "-v", "-q", "/nonexistent"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--verbose and --quiet contradict each other"))
    }
}
