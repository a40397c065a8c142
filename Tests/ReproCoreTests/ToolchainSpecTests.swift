import Testing
@testable import ReproCore

@Suite struct ToolchainSpecTests {
    let pin = String(repeating: "ab", count: 32)

    func parse(_ text: String) throws(ReproError) -> ToolchainSpec {
        try ToolchainSpec.parse(toml: text, path: "toolchains/t.toml")
    }

    func error(_ text: String) -> ReproError? {
        do {
            _ = try parse(text)
            return nil
        } catch { return error }
    }

    @Test func parsesAFullSpecWithDefaults() throws {
        let spec = try parse(
            """
            name = "debian-bookworm-build"
            description = "Debian 12"
            [[source]]
            url = "file:///srv/a.tar.gz"
            sha256 = "\(pin)"
            [[source]]
            url = "https://example.org/go.tar.gz"
            sha256 = "\(pin)"
            mount = "/opt/go"
            strip_components = 1
            [env]
            PATH = "/usr/bin:/bin"
            """)
        #expect(spec.name == "debian-bookworm-build")
        #expect(spec.description == "Debian 12")
        #expect(
            spec.sources == [
                ToolchainSource(url: "file:///srv/a.tar.gz", sha256: pin, mount: "/", stripComponents: 0),
                ToolchainSource(
                    url: "https://example.org/go.tar.gz", sha256: pin, mount: "/opt/go", stripComponents: 1),
            ])
        #expect(spec.env == ["PATH": "/usr/bin:/bin"])
        #expect(spec.sources[0].treeKey == pin)
        #expect(spec.sources[1].treeKey == pin + "-strip1")
    }

    @Test func missingSHA256IsAConfigurationError() {
        let e = error("name = \"t\"\n[[source]]\nurl = \"file:///a.tar\"\n")
        #expect(e?.kind == .configuration)
        #expect(e?.message.contains("sha256") == true)
        #expect(e?.message.contains("toolchains/t.toml") == true)
    }

    @Test(arguments: [
        "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB", "abc", "",
        String(repeating: "g", count: 64),
    ])
    func malformedSHA256IsRefused(_ bad: String) {
        let e = error("name = \"t\"\n[[source]]\nurl = \"file:///a.tar\"\nsha256 = \"\(bad)\"\n")
        #expect(e?.kind == .configuration)
        #expect(e?.message.contains("64 lowercase hex") == true)
    }

    @Test func tomlSyntaxErrorNamesLineAndColumn() {
        let e = error("name = \"t\"\n[[source]]\nurl = = \"file:///a.tar\"\n")
        #expect(e?.kind == .configuration)
        #expect(e?.context.path == "toolchains/t.toml" && e?.context.line == 3 && e?.context.column != nil)
        #expect(e?.message.contains("toolchains/t.toml:3:") == true)
        #expect(e?.message.contains("TOML syntax error") == true)
    }

    @Test(arguments: ["ftp://example.org/a.tar", "http://example.org/a.tar", "file:relative.tar", "not a url"])
    func unacceptedURLsAreRefused(_ url: String) {
        let e = error("name = \"t\"\n[[source]]\nurl = \"\(url)\"\nsha256 = \"\(pin)\"\n")
        #expect(e?.kind == .configuration)
    }

    @Test func plainHTTPOnlyOnLoopback() {
        #expect(ToolchainSpec.urlProblem("http://127.0.0.1:8000/a.tar") == nil)
        #expect(ToolchainSpec.urlProblem("http://localhost/a.tar") == nil)
        #expect(ToolchainSpec.urlProblem("http://10.0.0.1/a.tar")?.contains("loopback") == true)
        #expect(ToolchainSpec.urlProblem("gopher://x/a")?.contains("unknown URL scheme") == true)
    }

    @Test func unknownKeysAndBadMountsAreRefused() {
        // Each message names the key at fault.
        for (text, named) in [
            ("name = \"t\"\n[[source]]\nurl = \"file:///a\"\nsha265 = \"\(pin)\"\nsha256 = \"\(pin)\"\n", "sha265"),
            ("name = \"t\"\n[[source]]\nurl = \"file:///a\"\nsha256 = \"\(pin)\"\nmount = \"opt\"\n", "mount"),
            ("name = \"t\"\n", "no [[source]]"),
        ] {
            let e = error(text)
            #expect(e?.kind == .configuration, "\(named)")
            #expect(e?.message.contains(named) == true, "\(e?.message ?? "accepted")")
        }
        #expect(
            error("name = \"t\"\n[[source]]\nurl = \"file:///a\"\nsha256 = \"\(pin)\"\nstrip_components = -1\n")?.kind
                == .configuration)
    }

    @Test func sizeIsOptionalAndNeverNegative() throws {
        let base = "name = \"t\"\n[[source]]\nurl = \"file:///a\"\nsha256 = \"\(pin)\"\n"
        #expect(try parse(base).sources[0].size == nil)
        #expect(try parse(base + "size = 0\n").sources[0].size == 0)
        #expect(try parse(base + "size = 9223372036854775807\n").sources[0].size == UInt64(Int64.max))
        let negative = error(base + "size = -1\n")
        #expect(negative?.kind == .configuration)
        #expect(negative?.message.contains("source[1].size") == true, "\(negative?.message ?? "")")
        #expect(negative?.message.contains("negative") == true)
        let mistyped = error(base + "size = \"12\"\n")
        #expect(mistyped?.kind == .configuration)
        #expect(mistyped?.message.contains("size") == true)
        #expect(error(base + "size = 9223372036854775808\n")?.kind == .configuration)
    }
}
