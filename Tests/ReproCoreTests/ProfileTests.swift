import Foundation
import Testing
@testable import ReproCore

struct ProfileTests {
    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
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
        let text = Profile.builtinText("default")!.replacingOccurrences(
            of: "hostname = \"repro\"", with: "hostname = = 1")
        #expect {
            _ = try Profile.parse(text, origin: "bad.toml")
        } throws: { e in
            let error = e as! ReproError
            return error.kind == .configuration && error.context.path == "bad.toml" && error.context.line == 4
                && error.message.hasPrefix("bad.toml:4:")
        }
    }

    @Test(
        "bad values are rejected with the key named",
        arguments: [
            ("hostname = \"repro\"", "hostname = \"bad host\"", "hostname"),
            ("processes = 4096", "processes = 0", "limits.processes"),
            ("foreign_abi = \"deny\"", "foreign_abi = \"allow\"", "foreign_abi"),
            ("deny_enosys = [\"clone3\",", "deny_enosys = [\"clone3\", \"ptrace\",", "both"),
            ("\"inet6\", \"netlink\"]", "\"inet6\", \"netlink\", \"vsocket\"]", "allowed_socket_families"),
            ("\"inet6\", \"netlink\"]", "\"inet6\", \"netlink\", \"unix\"]", "twice"),
            ("timeout_seconds = 3600", "timeout_secs = 3600", "timeout"),
        ])
    func badValues(from: String, to: String, mention: String) {
        let text = Profile.builtinText("default")!.replacingOccurrences(of: from, with: to)
        #expect(text != Profile.builtinText("default")!)
        #expect {
            _ = try Profile.parse(text, origin: "p.toml")
        } throws: { e in
            let error = e as! ReproError
            return error.kind == .configuration && error.message.contains(mention)
        }
    }

    @Test("allowed_socket_families may be left out: the default four families")
    func socketFamiliesDefault() throws {
        let text = Profile.builtinText("default")!.replacingOccurrences(
            of: "allowed_socket_families = [\"unix\", \"inet\", \"inet6\", \"netlink\"]\n", with: "")
        #expect(text != Profile.builtinText("default")!)
        let profile = try Profile.parse(text, origin: "p.toml")
        #expect(profile.seccomp.allowedSocketFamilies == ["unix", "inet", "inet6", "netlink"])
        let wider = Profile.builtinText("default")!.replacingOccurrences(
            of: "\"inet6\", \"netlink\"]", with: "\"inet6\", \"netlink\", \"vsock\"]")
        #expect(try Profile.parse(wider, origin: "p.toml").seccomp.allowedSocketFamilies.contains("vsock"))
    }

    @Test("socket families: the names match Linux's numbers, and only the allowed ones are left out of the denied set")
    func socketFamilyNumbers() {
        #expect(
            SocketFamily.numbers["unix"] == 1 && SocketFamily.numbers["inet"] == 2
                && SocketFamily.numbers["inet6"] == 10)
        #expect(
            SocketFamily.numbers["netlink"] == 16 && SocketFamily.numbers["packet"] == 17
                && SocketFamily.numbers["alg"] == 38)
        #expect(
            SocketFamily.numbers["bluetooth"] == 31 && SocketFamily.numbers["vsock"] == 40
                && SocketFamily.numbers["mctp"] == 45)
        #expect(Set(SocketFamily.numbers.values) == Set(0..<SocketFamily.limit))
        let denied = SocketFamily.denied(allowing: Profile.SeccompPolicy.defaultSocketFamilies)
        #expect(
            denied.count == SocketFamily.limit - 4 && !denied.contains(1) && !denied.contains(16) && denied.contains(40)
        )
    }

    @Test(
        "both shipped profiles deny io_uring and openat2 (ENOSYS) and allow only the four socket families",
        arguments: Profile.builtinNames)
    func shippedHardening(name: String) throws {
        let s = try Profile.builtin(name).seccomp
        for call in ["io_uring_setup", "io_uring_enter", "io_uring_register", "openat2"] {
            #expect(s.denyENOSYS.contains(call))
        }
        #expect(s.allowedSocketFamilies == ["unix", "inet", "inet6", "netlink"])
        #expect(s.denySetidModes)
    }

    @Test func unknownBuiltin() {
        #expect(throws: ReproError.self) { try Profile.builtin("nope") }
    }
}
