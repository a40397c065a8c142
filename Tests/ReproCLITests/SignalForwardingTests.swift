import Foundation
import Testing

/// The supervisor's signal forwarding with several sandboxes at once, compiled with its C source
/// into a program of its own (Tests/SignalForwarding/signals.c): signals are process-wide, so
/// raising one here would reach every sandbox the other tests are running.
@Suite struct SignalForwardingTests {
    @Test func aSignalReachesTheRunsStillGoingAfterOneEnds() throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let sources = tests.deletingLastPathComponent().appendingPathComponent("Sources/CReproSandbox")
        let binary = NSTemporaryDirectory() + "repro-signals-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: binary) }
        let cc = try Shell.run([
            "cc", "-O2", "-pthread", "-o", binary, "-I", sources.appendingPathComponent("include").path,
            tests.appendingPathComponent("SignalForwarding/signals.c").path,
            sources.appendingPathComponent("sandbox.c").path,
        ])
        try #require(cc.status == 0, "cc failed: \(cc.stderr)")
        let run = try Shell.run([binary])
        #expect(run.status == 0 && run.stdout == "ok\n", "\(run.stdout)\(run.stderr)")
    }
}
