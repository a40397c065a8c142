import Foundation
import Testing
@testable import ReproCore

/// The sandbox's layout and identity are written once, in ``SandboxLayout``; everything else that
/// states them derives from it or is checked against it here.
@Suite struct SandboxLayoutTests {
    @Test func theNormalizationRecordIsTheLayout() {
        let n = Normalization(sourceDateEpoch: 1, epochSource: .config)
        #expect(n.workdir == SandboxLayout.workDirectory && n.home == SandboxLayout.homeDirectory)
        #expect(n.tmpdir == SandboxLayout.tmpDirectory && n.locale == SandboxLayout.locale)
        #expect(n.timeZone == SandboxLayout.timeZone && n.umask == SandboxLayout.umask)
        #expect(n.hostname == SandboxLayout.hostname && n.user == SandboxLayout.builderName)
        #expect(n.uid == SandboxLayout.builderID && n.gid == SandboxLayout.builderID)
        let env = n.environment(toolchains: [], profile: [:], project: [:], passed: [:])
        #expect(env["PATH"] == SandboxLayout.searchPath && env["TZ"] == SandboxLayout.timeZone)
    }

    @Test("the built-in profiles' environment and host name are the layout's", arguments: Profile.builtinNames)
    func profilesAgree(name: String) throws {
        let p = try Profile.builtin(name)
        #expect(p.hostname == SandboxLayout.hostname)
        #expect(
            p.environment["HOME"] == SandboxLayout.homeDirectory
                && p.environment["TMPDIR"] == SandboxLayout.tmpDirectory)
        #expect(
            p.environment["USER"] == SandboxLayout.builderName && p.environment["LOGNAME"] == SandboxLayout.builderName)
        #expect(p.environment["LANG"] == SandboxLayout.locale && p.environment["LC_ALL"] == SandboxLayout.locale)
        #expect(p.environment["TZ"] == SandboxLayout.timeZone && p.environment["PATH"] == SandboxLayout.searchPath)
    }

    /// docs/normalization.md's table states each value; a change to the layout that the table does
    /// not follow fails here.
    @Test func theDocumentedTableStatesTheLayout() throws {
        let doc = try String(contentsOfFile: ProfileTests.repoRoot + "/docs/normalization.md", encoding: .utf8)
        func row(_ what: String) -> String? {
            doc.split(separator: "\n").first { $0.hasPrefix("| \(what) |") }.map(String.init)
        }
        #expect(row("Build directory")?.contains("`\(SandboxLayout.workDirectory)`") == true)
        #expect(row("`HOME`")?.contains("`\(SandboxLayout.homeDirectory)`") == true)
        #expect(row("`TMPDIR`")?.contains("`\(SandboxLayout.tmpDirectory)`") == true)
        #expect(row("`LANG`, `LC_ALL`")?.contains("`\(SandboxLayout.locale)`") == true)
        #expect(row("`TZ`")?.contains("`\(SandboxLayout.timeZone)`") == true)
        #expect(row("umask")?.contains("`0\(String(SandboxLayout.umask, radix: 8))`") == true)
        #expect(row("Host name, domain")?.contains("`\(SandboxLayout.hostname)`") == true)
        #expect(
            row("User")?.contains(
                "`\(SandboxLayout.builderName)`, uid \(SandboxLayout.builderID), gid \(SandboxLayout.builderID)")
                == true)
        #expect(row("Environment")?.contains("`\(SandboxLayout.searchPath)`") == true)
    }
}
