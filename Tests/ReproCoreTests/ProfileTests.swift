import Foundation
import Testing
@testable import ReproCore

struct ProfileTests {
    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    @Test("the built-in profiles are byte-identical to profiles/*.toml and parse", arguments: Profile.builtinNames)
    func builtinsMatchFiles(name: String) throws {
        let file = try String(contentsOfFile: Self.repoRoot + "/profiles/\(name).toml", encoding: .utf8)
        #expect(Profile.builtinText(name) == file)
        let profile = try Profile.builtin(name)
        #expect(profile.name == name)
        #expect(profile.environment["HOME"] == "/build/home")
        #expect(profile.environment["TMPDIR"] == "/tmp")
        #expect(profile.limits.coreBytes == 0)
        #expect(profile.seccomp.denyENOSYS.contains("clone3"))
        #expect(profile.seccomp.denyEPERM.contains("ptrace"))
    }

    @Test func strictIsStricter() throws {
        let d = try Profile.builtin("default"), s = try Profile.builtin("strict")
        #expect(Set(d.seccomp.denyEPERM).isSubset(of: Set(s.seccomp.denyEPERM)))
        #expect(s.limits.processes < d.limits.processes)
        #expect(s.seccomp.foreignABI == "kill" && d.seccomp.foreignABI == "deny")
    }

    @Test func syntaxErrorNamesLineAndColumn() {
        let text = Profile.builtinText("default")!.replacingOccurrences(of: "hostname = \"repro\"", with: "hostname = = 1")
        #expect {
            _ = try Profile.parse(text, origin: "bad.toml")
        } throws: { e in
            let error = e as! ReproError
            return error.status == .configuration && error.message.hasPrefix("bad.toml:4:")
        }
    }

    @Test("bad values are rejected with the key named", arguments: [
        ("hostname = \"repro\"", "hostname = \"bad host\"", "hostname"),
        ("processes = 4096", "processes = 0", "limits.processes"),
        ("foreign_abi = \"deny\"", "foreign_abi = \"allow\"", "foreign_abi"),
        ("deny_enosys = [\"clone3\"]", "deny_enosys = [\"clone3\", \"ptrace\"]", "both"),
        ("timeout_seconds = 3600", "timeout_secs = 3600", "timeout"),
    ])
    func badValues(from: String, to: String, mention: String) {
        let text = Profile.builtinText("default")!.replacingOccurrences(of: from, with: to)
        #expect(text != Profile.builtinText("default")!)
        #expect {
            _ = try Profile.parse(text, origin: "p.toml")
        } throws: { e in
            let error = e as! ReproError
            return error.status == .configuration && error.message.contains(mention)
        }
    }

    @Test func unknownBuiltin() {
        #expect(throws: ReproError.self) { try Profile.builtin("nope") }
    }
}
