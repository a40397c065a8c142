import Testing
@testable import ReproCore

@Suite struct ProjectConfigTests {
    @Test func parsesTheDocumentedForm() throws {
        let config = try ProjectConfig.parse(
            """
            [build]
            command = ["make", "-j2", "dist"]
            outputs = ["dist"]
            toolchains = ["debian-bookworm-build"]
            profile = "default"
            pass_env = ["CI"]
            [source]
            date_epoch = 1700000000
            """, path: "repro.toml")
        #expect(config.build.command == ["make", "-j2", "dist"])
        #expect(config.build.outputs == ["dist"])
        #expect(config.build.toolchains == ["debian-bookworm-build"])
        #expect(config.build.passEnv == ["CI"])
        #expect(config.source.dateEpoch == 1700000000)
    }

    @Test func syntaxErrorNamesLineAndColumn() {
        #expect {
            _ = try ProjectConfig.parse("[build]\ncommand = [\"make\"\n", path: "p/repro.toml")
        } throws: { error in
            let e = error as! ReproError
            return e.kind == .configuration && e.context.path == "p/repro.toml" && e.context.line != nil
                && e.message.hasPrefix("p/repro.toml:") && e.message.contains("TOML syntax error")
        }
    }

    @Test func unknownKeyIsRejected() {
        #expect {
            _ = try ProjectConfig.parse("[build]\ncomand = [\"make\"]\n", path: "repro.toml")
        } throws: { error in
            (error as! ReproError).kind == .configuration
                && (error as! ReproError).message.hasPrefix(
                    "repro.toml: required key 'build.command' is missing; the file has 'comand' there: did you mean 'command'? The keys"
                )
        }
    }

    @Test func unknownOptionalKeyIsRejected() {
        #expect {
            _ = try ProjectConfig.parse("[build]\ncommand = [\"make\"]\noutput = [\"x\"]\n", path: "repro.toml")
        } throws: { error in
            (error as! ReproError).kind == .configuration
                && (error as! ReproError).message.hasPrefix(
                    "repro.toml: unknown key 'build.output' (did you mean 'outputs'?); remove or rename it. The keys")
        }
    }

    /// Each message names the key, what the file must hold there and what it holds, in words
    /// rather than Swift or TOML library type names.
    @Test(arguments: [
        ("[build]\ncommand = \"make\"\n", "key 'build.command' must be an array of strings, not the string \"make\"."),
        ("[build]\ncommand = [\"make\", 3]\n", "key 'build.command[2]' must be a string, not the integer 3."),
        (
            "[build]\ncommand = [\"make\"]\n[source]\ndate_epoch = \"x\"\n",
            "key 'source.date_epoch' must be an integer, not the string \"x\"."
        ),
        (
            "[build]\ncommand = [\"make\"]\ntimeout = 1.5\n",
            "key 'build.timeout' must be an integer, not the number 1.5."
        ),
        ("[build]\ncommand = [\"make\"]\ntimeout = true\n", "key 'build.timeout' must be an integer, not true."),
        ("[build]\ncommand = [\"make\"]\nenv = { A = 1 }\n", "key 'build.env.A' must be a string, not the integer 1."),
        (
            "[build]\ncommand = [\"make\"]\nenv = \"A=1\"\n",
            "key 'build.env' must be a table of strings, not the string \"A=1\"."
        ),
        ("build = [1]\n", "key 'build' must be a table, not an array."),
        (
            "[build]\ncommand = [\"make\"]\ntoolchain = [\"x\"]\n",
            "unknown key 'build.toolchain' (did you mean 'toolchains'?); remove or rename it."
        ),
        (
            "[build]\ncommand = [\"make\"]\nzzz = 1\n[extra]\nq = 1\n",
            "unknown keys 'build.zzz', 'extra'; remove or rename them."
        ),
        (
            "[bild]\ncommand = [\"make\"]\n",
            "required key 'build' is missing; the file has 'bild' there: did you mean 'build'?"
        ),
        ("[source]\ndate_epoch = 99999999999999999999\n", "TOML syntax error"),
        (
            "[build]\ncommand = [\"make\"]\n[source]\ndate_epoch = 1979-05-27\n",
            "key 'source.date_epoch' must be an integer, not a date or time."
        ),
    ])
    func typeAndKeyErrorsSayWhatToWrite(text: String, expected: String) {
        #expect {
            _ = try ProjectConfig.parse(text, path: "repro.toml")
        } throws: { error in
            let message = (error as! ReproError).message
            return (error as! ReproError).kind == .configuration && message.contains(expected)
        }
    }

    struct Narrow: Decodable { var level: UInt8 }

    @Test(arguments: [("level = 255", true), ("level = 256", false), ("level = -1", false), ("level = 0", true)])
    func integersOutsideTheFieldsRangeAreNamed(text: String, fits: Bool) {
        if fits {
            #expect(throws: Never.self) { _ = try TOMLFile.decode(Narrow.self, from: text, path: "n.toml", guide: "") }
        } else {
            #expect {
                _ = try TOMLFile.decode(Narrow.self, from: text, path: "n.toml", guide: "")
            } throws: { error in
                (error as! ReproError).kind == .configuration
                    && (error as! ReproError).message.contains(
                        "key 'level' is \(text.dropFirst(8)), outside the range 0...255")
            }
        }
    }

    @Test func missingCommandIsNamed() {
        #expect {
            _ = try ProjectConfig.parse("[build]\noutputs = [\"x\"]\n", path: "repro.toml")
        } throws: { error in
            (error as! ReproError).kind == .configuration
                && (error as! ReproError).message.hasPrefix(
                    "repro.toml: required key 'build.command' is missing. The keys")
        }
    }

    @Test func outputsMustStayInTheSourceTree() {
        for bad in ["/etc", "../x", "a/../../b", ""] {
            #expect {
                _ = try ProjectConfig.parse(
                    "[build]\ncommand = [\"make\"]\noutputs = [\"\(bad)\"]\n", path: "repro.toml")
            } throws: { error in
                (error as! ReproError).kind == .configuration
            }
        }
    }

    /// A file without `toolchains` gets the default base toolchain, said to the user, rather than
    /// an empty root whose first command fails as if the build were broken; `[]` is an empty root.
    @Test func withoutToolchainsTheDefaultIsAssumed() throws {
        let absent = try ProjectConfig.parse("[build]\ncommand = [\"make\"]\n", path: "repro.toml")
        #expect(absent.build.toolchains == [ProjectDefaults.toolchain])
        #expect(absent.build.toolchainsAssumed)
        let empty = try ProjectConfig.parse("[build]\ncommand = [\"make\"]\ntoolchains = []\n", path: "repro.toml")
        #expect(empty.build.toolchains.isEmpty)
        #expect(!empty.build.toolchainsAssumed)
    }

    @Test(arguments: [(0, "0 files"), (1, "1 file"), (2, "2 files")])
    func countsAgreeWithTheirNoun(count: Int, text: String) {
        #expect(counted(count, "file") == text)
    }

    /// A timeout is positive and at most seven days: larger ones are mistakes, and near Int.max the
    /// deadline would overflow.
    @Test(arguments: [(1, true), (604800, true), (604801, false), (0, false), (-1, false), (Int.max, false)])
    func timeoutsAreBounded(seconds: Int, accepted: Bool) {
        let text = "[build]\ncommand = [\"make\"]\ntimeout = \(seconds)\n"
        if accepted {
            #expect(throws: Never.self) { _ = try ProjectConfig.parse(text, path: "repro.toml") }
        } else {
            #expect {
                _ = try ProjectConfig.parse(text, path: "repro.toml")
            } throws: { error in
                (error as! ReproError).kind == .configuration
                    && (error as! ReproError).message.contains(
                        "'build.timeout' must be a positive number of seconds up to 604800 (seven days), not \(seconds)."
                    )
            }
        }
    }

    @Test func templateParsesBack() throws {
        let text = ProjectConfig.template(command: ["make", "dist"], outputs: ["dist"], toolchains: ["busybox"])
        let config = try ProjectConfig.parse(text, path: "repro.toml")
        #expect(config.build.command == ["make", "dist"])
        #expect(config.build.profile == "default")
    }
}

@Suite struct NormalizationTests {
    @Test func fixedValuesWinOverEveryLayer() {
        let n = Normalization(sourceDateEpoch: 1700000000, epochSource: .git)
        let env = n.environment(
            toolchains: [["PATH": "/opt/bin", "TZ": "Europe/Paris"]],
            profile: ["LANG": "de_DE.UTF-8"], project: ["HOME": "/root"], passed: ["CI": "true"])
        #expect(env["PATH"] == "/opt/bin")
        #expect(env["TZ"] == "UTC")
        #expect(env["LANG"] == "C.UTF-8")
        #expect(env["LC_ALL"] == "C.UTF-8")
        #expect(env["HOME"] == "/build/home")
        #expect(env["SOURCE_DATE_EPOCH"] == "1700000000")
        #expect(env["CI"] == "true")
        #expect(env.count == 12)
    }
}
