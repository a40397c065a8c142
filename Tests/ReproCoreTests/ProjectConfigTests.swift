import Testing
@testable import ReproCore

@Suite struct ProjectConfigTests {
    @Test func parsesTheDocumentedForm() throws {
        let config = try ProjectConfig.parse("""
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
            return e.status == .configuration && e.message.hasPrefix("p/repro.toml:") && e.message.contains("TOML syntax error")
        }
    }

    @Test func unknownKeyIsRejected() {
        #expect {
            _ = try ProjectConfig.parse("[build]\ncomand = [\"make\"]\n", path: "repro.toml")
        } throws: { error in
            (error as! ReproError).message.contains("missing required key 'build.command' (is 'comand' a misspelling of it?)")
        }
    }

    @Test func unknownOptionalKeyIsRejected() {
        #expect {
            _ = try ProjectConfig.parse("[build]\ncommand = [\"make\"]\noutput = [\"x\"]\n", path: "repro.toml")
        } throws: { error in
            (error as! ReproError).message.contains("unknown key 'build.output'")
        }
    }

    @Test func missingCommandIsNamed() {
        #expect {
            _ = try ProjectConfig.parse("[build]\noutputs = [\"x\"]\n", path: "repro.toml")
        } throws: { error in
            (error as! ReproError).message.contains("missing required key 'build.command'")
        }
    }

    @Test func outputsMustStayInTheSourceTree() {
        for bad in ["/etc", "../x", "a/../../b", ""] {
            #expect(throws: ReproError.self) {
                _ = try ProjectConfig.parse("[build]\ncommand = [\"make\"]\noutputs = [\"\(bad)\"]\n", path: "repro.toml")
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
        let env = n.environment(toolchains: [["PATH": "/opt/bin", "TZ": "Europe/Paris"]],
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
