import Foundation
import Testing
@testable import ReproCore

@Suite struct ReleaseFormatTests {
    @Test func gitMetadataEnvironmentAndValues() {
        var git = GitMetadata(
            commit: String(repeating: "a", count: 40), shortCommit: "aaaaaaa", describe: "v1.4.2", tag: "v1.4.2",
            dirty: false)
        var n = Normalization(sourceDateEpoch: 1700000000, epochSource: .git)
        n.git = git
        let env = n.environment(toolchains: [], profile: [:], project: ["REPRO_GIT_DESCRIBE": "spoofed"], passed: [:])
        #expect(env["REPRO_GIT_DESCRIBE"] == "v1.4.2")
        #expect(env["REPRO_GIT_TAG"] == "v1.4.2")
        #expect(env["REPRO_GIT_COMMIT_SHORT"] == "aaaaaaa")
        #expect(n.values["git_describe"] == "v1.4.2")
        #expect(n.values["git_commit"] == String(repeating: "a", count: 40))
        git.dirty = true
        n.git = git
        #expect(n.fixedEnvironment["REPRO_GIT_DESCRIBE"] == "v1.4.2-dirty")
        #expect(n.fixedEnvironment["REPRO_GIT_TAG"] == nil)
        #expect(n.values["git_tag"] == nil)
        n.git = nil
        #expect(!n.fixedEnvironment.keys.contains { $0.hasPrefix("REPRO_GIT_") })
    }

    @Test func sha256SumsRenderAndParseBack() throws {
        let h = String(repeating: "0", count: 63) + "1"
        let entries = [
            TreeEntry(path: "dist/b", kind: .file, sha256: h),
            TreeEntry(path: "dist/a\\b\nc", kind: .file, sha256: h),
            TreeEntry(path: "dist", kind: .directory),
            TreeEntry(path: "dist/SHA256SUMS", kind: .file, sha256: h),
        ]
        let text = try SHA256Sums.render(entries, at: "dist/SHA256SUMS")
        #expect(text == "\\\(h)  a\\\\b\\nc\n\(h)  b\n")
        let parsed = try SHA256Sums.parse(text + "\n" + h.uppercased() + " *c\n", path: "S")
        #expect(
            parsed == [.init(name: "a\\b\nc", sha256: h), .init(name: "b", sha256: h), .init(name: "c", sha256: h)])
        #expect(throws: ReproError.self) { try SHA256Sums.parse("\(h) b\n", path: "S") }
        #expect(throws: ReproError.self) { try SHA256Sums.parse("\(h)  b\n\(h)  b\n", path: "S") }
        #expect(throws: ReproError.self) {
            try SHA256Sums.render([TreeEntry(path: "x", kind: .file, sha256: h)], at: "dist/SHA256SUMS")
        }
        #expect(
            !SHA256Sums.isValidPath("../S") && !SHA256Sums.isValidPath("/S") && !SHA256Sums.isValidPath("a//S")
                && !SHA256Sums.isValidPath("dist/"))
        #expect(SHA256Sums.isValidPath("dist/SHA256SUMS"))
    }

    @Test func workflowCommandEscaping() {
        #expect(GitHubOutput.escapeData("50%\r\nx") == "50%25%0D%0Ax")
        #expect(GitHubOutput.escapeProperty("a:b,c") == "a%3Ab%2Cc")
        #expect(
            GitHubOutput.error("two\nlines \u{1b}[2J", title: "t: 1", file: "d/f,g")
                == "::error file=d/f%2Cg,title=t%3A 1::two%0Alines \\e[2J")
        #expect(GitHubOutput.code("a`b|c") == "``a`b\\|c``")
    }

    @Test func junitEscapesWhatXMLCannotHold() {
        #expect(JUnitReport.escape("<a & \"b\">\u{1}", attribute: true) == "&lt;a &amp; &quot;b&quot;&gt;\\x01")
        #expect(JUnitReport.escape("x\r\n\u{FFFE}") == "x\\r\n\\u{fffe}")
    }
}
