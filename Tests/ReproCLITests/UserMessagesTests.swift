import Foundation
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// The configuration of the checks below: busybox, outputs in `out`, a fixed epoch.
private let checkConfig = ProjectConfigText.busyboxOut

/// Waits (up to `seconds`) until `condition` holds; returns whether it did.
private func waitUntil(seconds: Double = 60, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// Names in `directory` (nothing if it cannot be read).
private func names(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

/// The `.NAME.new-*` and `.NAME.old-*` entries repro stages beside `destination`.
private func stagedBeside(_ destination: String) -> [String] {
    let parent = (destination as NSString).deletingLastPathComponent, name = (destination as NSString).lastPathComponent
    return names(parent).filter { $0.hasPrefix("." + name + ".new-") || $0.hasPrefix("." + name + ".old-") }
}

@Suite struct KeepAndOutputDestinationTests {
    /// A directory kept by one check is replaced as a whole by the next: no run-3 of an earlier
    /// three-run check stays beside a two-run check's runs.
    @Test func aKeptDirectoryIsReplacedAsAWholeByTheNextCheck() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: checkConfig)
        let kept = project.dir + "-kept"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: kept)
        }
        let three = try project.check(["--keep", kept, "--runs", "3"])
        #expect(three.status == 0, "\(three.stderr)")
        #expect(names(kept) == ["run-1", "run-2", "run-3"])
        let two = try project.check(["--keep", kept])
        #expect(two.status == 0, "\(two.stderr)")
        #expect(names(kept) == ["run-1", "run-2"])
        #expect(try String(contentsOfFile: kept + "/run-2/out/a", encoding: .utf8) == "x\n")
        #expect(stagedBeside(kept).isEmpty)
        // The third check accepts what the second placed.
        #expect(try project.check(["--keep", kept]).status == 0)
    }

    /// A file, a named pipe or a symlink at --keep or --output is refused before anything is read.
    @Test func aDestinationThatIsNotADirectoryIsRefusedFirst() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: checkConfig)
        let file = project.dir + "-notes.txt", fifo = project.dir + "-fifo", link = project.dir + "-link"
        defer {
            project.remove()
            for path in [file, fifo, link] { try? FileManager.default.removeItem(atPath: path) }
        }
        try "my notes\n".write(toFile: file, atomically: false, encoding: .utf8)
        #expect(mkfifo(fifo, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        for (option, path, kind) in [
            ("--keep", file, "a regular file"), ("--output", fifo, "a named pipe"),
            ("--keep", fifo, "a named pipe"), ("--keep", link, "a symbolic link"),
        ] {
            let result = try project.check([option, path])
            #expect(result.status == 2)
            #expect(
                result.stderr
                    == "repro: error: \(option) \(path) is \(kind), not a directory; repro places a directory there and never replaces what it did not place itself. Give the path of a new or empty directory (or remove \(path) first).\n"
            )
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "my notes\n")
    }

    /// --keep and the outputs' directory are replaced as wholes: one must not hold the other.
    @Test func keepAndOutputMustBeSeparateDirectories() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: checkConfig)
        let dest = project.dir + "-dest"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: dest)
        }
        let tail =
            "; repro replaces each of them as a whole, so one would destroy the other. Give them separate directories, neither inside the other.\n"
        let same = try project.check(["--keep", dest, "--output", dest])
        #expect(same.status == 2)
        #expect(same.stderr == "repro: error: --keep \(dest) and --output \(dest) name the same directory" + tail)
        let inside = try project.check(["--keep", dest, "--output", dest + "/out"])
        #expect(inside.status == 2)
        #expect(
            inside.stderr
                == "repro: error: --keep \(dest) and --output \(dest)/out are nested (the outputs' directory is inside the kept runs' directory)"
                + tail)
        let inDefault = try project.check(["--keep", project.dir + "/.repro/out/kept"])
        #expect(inDefault.status == 2)
        #expect(
            inDefault.stderr
                == "repro: error: --keep \(project.dir)/.repro/out/kept and the outputs' directory \(project.dir)/.repro/out are nested (the kept runs' directory is inside the outputs' directory)"
                + tail)
        #expect(!FileManager.default.fileExists(atPath: dest))
    }
}

@Suite struct KilledCheckLeftoversTests {
    /// A check killed outright (SIGKILL) leaves its work area in the cache and run 1's outputs
    /// staged beside --output; the next check removes both, and nothing of a check still running.
    @Test func theNextCheckRemovesAKilledChecksTempsButNotARunningChecks() throws {
        let cache = NSTemporaryDirectory() + "repro-cli-leftovers-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: cache) }
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        env["REPRO_CACHE"] = cache
        func start(_ arguments: [String]) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = arguments
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        // Each run sleeps 2 s after writing its outputs: run 1's are staged while run 2 builds.
        let killed = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a; sleep 2\n"], config: checkConfig)
        let output = killed.dir + "-out"
        let marker = String(1000 + Int.random(in: 0..<900))
        let running = try Project(
            files: ["build.sh": "mkdir -p out; echo x > out/a; sleep \(marker)\n"], config: checkConfig)
        defer {
            killed.remove()
            running.remove()
            try? FileManager.default.removeItem(atPath: output)
            for name in stagedBeside(output) {
                try? FileManager.default.removeItem(atPath: (output as NSString).deletingLastPathComponent + "/" + name)
            }
        }

        let first = try start(["check", killed.dir, "--output", output])
        #expect(waitUntil { !stagedBeside(output).isEmpty }, "run 1's outputs were never staged")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let left = stagedBeside(output)
        let leftTemps = names(cache + "/tmp")
        #expect(!left.isEmpty && !leftTemps.isEmpty)

        let other = try start(["check", running.dir])
        defer {
            if other.isRunning { other.terminate() }
            other.waitUntilExit()
        }
        #expect(
            waitUntil {
                shellOutput("pgrep -c -f '^sleep \(marker)$' || true").trimmingCharacters(in: .whitespacesAndNewlines)
                    != "0"
            },
            "the concurrent check's build never started")
        let otherTemps = Set(names(cache + "/tmp")).subtracting(leftTemps)
        #expect(otherTemps.count == 1)

        let next = try CLI.run(["check", killed.dir, "--output", output], environment: env)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(stagedBeside(output).isEmpty, "left beside --output: \(stagedBeside(output))")
        #expect(Set(names(cache + "/tmp")).intersection(leftTemps).isEmpty)
        // The running check's work area is untouched, and it is still building.
        #expect(Set(names(cache + "/tmp")) == otherTemps)
        #expect(other.isRunning)
    }
}

@Suite struct FailedRunsTests {
    /// Runs that fail the same way show one log tail; runs that fail differently show each.
    @Test func oneLogTailWhenBothRunsFailTheSameWay() throws {
        let project = try Project(
            files: ["build.sh": "echo compiling; echo 'error: boom'; exit 2\n"], config: checkConfig)
        defer { project.remove() }
        let result = try project.check()
        #expect(result.status == 3)
        let logs = project.dir + "/.repro/logs"
        #expect(
            result.stderr.contains(
                "repro: both runs failed the same way; run 1 log (last lines; full logs: \(logs)/run-1.log, \(logs)/run-2.log):\ncompiling\nerror: boom\n\n"
            ), "\(result.stderr)")
        #expect(!result.stderr.contains("run 2 log"))

        try "echo \"error: $(od -An -N4 -tx4 /dev/urandom)\"; exit 2\n".write(
            toFile: project.dir + "/build.sh", atomically: false, encoding: .utf8)
        let different = try project.check()
        #expect(different.status == 3)
        #expect(!different.stderr.contains("failed the same way"))
        #expect(different.stderr.contains("repro: run 1 log (last lines; full log: \(logs)/run-1.log):\nerror: "))
        #expect(different.stderr.contains("repro: run 2 log (last lines; full log: \(logs)/run-2.log):\nerror: "))

        // Empty logs are said to be empty, not shown as a blank tail.
        try "exit 2\n".write(toFile: project.dir + "/build.sh", atomically: false, encoding: .utf8)
        let silent = try project.check()
        #expect(silent.status == 3)
        #expect(
            silent.stderr.contains(
                "repro: both runs failed the same way; their logs are empty (\(logs)/run-1.log, \(logs)/run-2.log)\n"),
            "\(silent.stderr)")
    }
}

@Suite struct ProfileLookupTests {
    /// check and run look a profile up the same way and say where they looked.
    @Test func checkAndRunSayWhereTheyLookedForAProfile() throws {
        let project = try Project(
            files: [
                "build.sh": "mkdir -p out; echo x > out/a\n",
                "profiles/mine.toml": "name = \"mine\"\n",
            ], config: checkConfig)
        defer { project.remove() }
        let expected =
            "repro: error: no profile named \"mine\" (from --profile): looked among the built-in profiles (default, strict); a profile file is used only when named by its path (containing / or ending in .toml), never by a name. \(project.dir)/profiles/mine.toml exists: to use it, name it by its path (--profile ./profiles/mine.toml).\n"
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        let check = try Shell.run(
            [CLI.binary, "check", ".", "--profile", "mine"], directory: project.dir, environment: env)
        #expect(check.status == 2)
        #expect(check.stderr.hasSuffix(expected), "\(check.stderr)")
        let run = try Shell.run(
            [CLI.binary, "run", "--profile", "mine", "--", "true"], directory: project.dir, environment: env)
        #expect(run.status == 2)
        #expect(run.stderr == expected)
        let missing = try Shell.run(
            [CLI.binary, "run", "--profile", "nope.toml", "--", "true"], directory: project.dir, environment: env)
        #expect(missing.status == 2)
        #expect(
            missing.stderr
                == "repro: error: cannot read the profile \(project.dir)/nope.toml (from --profile \"nope.toml\", relative to the current directory): No such file or directory. Give a readable .toml file or a built-in name (default, strict).\n"
        )
        // build.profile is taken from the project and spelled as repro.toml spells it.
        try (checkConfig.replacingOccurrences(of: "[source]", with: "profile = \"mine\"\n[source]"))
            .write(toFile: project.dir + "/repro.toml", atomically: false, encoding: .utf8)
        let configured = try project.check()
        #expect(configured.status == 2)
        #expect(
            configured.stderr.hasSuffix(
                "repro: error: no profile named \"mine\" (from build.profile): looked among the built-in profiles (default, strict); a profile file is used only when named by its path (containing / or ending in .toml), never by a name. \(project.dir)/profiles/mine.toml exists: to use it, name it by its path (build.profile = \"./profiles/mine.toml\").\n"
            ), "\(configured.stderr)")
    }
}

@Suite struct PassEnvUnsetTests {
    /// A pass_env variable that is not set is a warning naming it; the build runs without it.
    @Test func anUnsetPassEnvVariableIsAWarning() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo \"[${REPRO_TEST_UNSET_VAR-unset}]\" > out/v\n"],
            config: checkConfig.replacingOccurrences(
                of: "[source]", with: "pass_env = [\"REPRO_TEST_UNSET_VAR\"]\n[source]"))
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "repro: warning: build.pass_env names REPRO_TEST_UNSET_VAR, which is not set in repro's environment; the build runs without it, and the report does not record it. Set it before running repro, or remove it from pass_env.\n"
            ), "\(result.stderr)")
        #expect(try String(contentsOfFile: project.dir + "/.repro/out/out/v", encoding: .utf8) == "[unset]\n")
        #expect(
            (try json(result.stdout)["normalization"] as? [String: String])?["pass_env.REPRO_TEST_UNSET_VAR"] == nil)
    }
}

@Suite struct FoundationTextTests {
    /// A repro.toml that cannot be read says why in the system's words, not Foundation's.
    @Test func anUnreadableConfigSaysWhy() throws {
        let project = try Project(files: ["build.sh": "true\n"], config: nil)
        defer { project.remove() }
        try FileManager.default.createDirectory(atPath: project.dir + "/repro.toml", withIntermediateDirectories: false)
        let result = try project.check()
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "repro: error: cannot read \(project.dir)/repro.toml: Is a directory. repro.toml must be a readable UTF-8 text file; fix it, or remove it to let repro assume defaults.\n"
        )
        #expect(!result.stderr.contains("could not be completed"))
    }
}

@Suite struct BindWarningTests {
    /// Started as root, the build is the host's nobody: a writable bind it cannot write is
    /// warned about before the build, with the chown that fixes it.
    @Test(.enabled(if: geteuid() == 0)) func aBindTheBuildCannotWriteIsWarnedAbout() throws {
        let dir = NSTemporaryDirectory() + "repro-cli-bind-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let arguments = [
            "run", "--tree", SandboxFixture.tree, "--bind", dir + ":/out", "--", "sh", "-c", "echo x > /out/f",
        ]
        let refused = try CLI.run(arguments, directory: "/tmp")
        #expect(refused.status != 0)
        #expect(
            refused.stderr.hasPrefix(
                "repro: warning: --bind \(dir):/out: the build cannot create or change files in \(dir): started as root, repro runs the build as the host's nobody (uid and gid 65534), and \(dir) is owned by 0:0 with mode 755, so the build's writes there fail with \"Permission denied\". Give it to the build user (chown 65534:65534 \(dir)), or start repro as a regular user, whose own ids the build then has.\n"
            ), "\(refused.stderr)")
        #expect(chown(dir, 65534, 65534) == 0)
        let written = try CLI.run(arguments, directory: "/tmp")
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stderr.isEmpty)
        #expect(try String(contentsOfFile: dir + "/f", encoding: .utf8) == "x\n")
    }
}
