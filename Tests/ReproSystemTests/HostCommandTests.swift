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
}
