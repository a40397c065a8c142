import Foundation
import Testing
@testable import ReproSystem
import ReproCore

/// How repro runs host programs (git, gpgv): what it reports when a program cannot be found,
/// started or waited for.
@Suite struct HostCommandTests {
    private func catching<T>(_ body: () throws(ReproError) -> T) -> ReproError? {
        do throws(ReproError) { _ = try body() } catch { return error }
        return nil
    }

    @Test func aFailedWaitIsAnErrorNamingTheProgramNeverAnExitStatus() {
        // ECHILD is what waitpid gives when SIGCHLD is ignored: the kernel has reaped the child.
        let error = SyscallFaults.inject([.init(.waitpid, ECHILD)]) {
            catching { () throws(ReproError) in try HostCommand.run(["false"]) }
        }.0
        #expect(error?.kind == .sandbox)
        #expect(error?.errno == ECHILD)
        #expect(error?.message.contains("cannot tell how false ended") == true)
        #expect(error?.message.contains("SIGCHLD") == true)
    }

    @Test func aProgramThatIsNotOnPATHIsAConfigurationErrorNamingIt() {
        let error = catching { () throws(ReproError) in try HostCommand.run(["repro-no-such-program"]) }
        #expect(error?.kind == .configuration)
        #expect(error?.errno == ENOENT)
        #expect(
            error?.message.hasPrefix("repro-no-such-program was not found on PATH (") == true,
            "\(String(describing: error))")
    }

    @Test func programsAreFoundOnPATHAsExecvpFindsThem() throws {
        let dir = makeTemporaryDirectory("path")
        defer { Syscalls.removeTree(dir) }
        for (name, mode) in [("tool", 0o755), ("plain", 0o644)] {
            FileManager.default.createFile(atPath: dir + "/" + name, contents: Data("#!/bin/sh\n".utf8))
            chmod(dir + "/" + name, mode_t(mode))
        }
        _ = Syscalls.mkdirs(dir + "/sub/tool")  // a directory of that name comes first and is skipped
        #expect(HostCommand.find("tool", in: "\(dir)/sub:/nonexistent:\(dir)") == dir + "/tool")
        #expect(HostCommand.find("plain", in: dir) == nil)
        #expect(HostCommand.find("tool", in: "/nonexistent") == nil)
        #expect(HostCommand.find("", in: dir) == nil)
        #expect(HostCommand.find(dir + "/tool", in: "") == dir + "/tool")
        #expect(HostCommand.searchPath(environment: ["PATH": "/x"]) == "/x")
        #expect(HostCommand.searchPath(removing: ["PATH"]) == "/bin:/usr/bin")
    }
}
