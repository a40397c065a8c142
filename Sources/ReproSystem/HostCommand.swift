import Foundation
import ReproCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs a host program (git) to completion and captures its standard output.
enum HostCommand {
    /// The outcome of one run.
    struct Output {
        /// The exit status.
        var status: Int32
        /// Everything written to stdout.
        var stdout: Data
        /// Everything written to stderr, as text.
        var stderr: String
    }

    /// How a streamed program ended.
    struct Ended {
        /// Whether it exited by itself (rather than by a signal).
        var exited: Bool
        /// The exit status, or the signal number.
        var status: Int32
        /// Everything written to stderr, as text.
        var stderr: String
    }

    /// Runs `argv` (looked up on PATH) in `directory`, with repro's environment changed by
    /// `environment` (each value replaces or adds a variable) and without the variables named in
    /// `removing`; throws only when it cannot be started.
    static func run(_ argv: [String], in directory: String? = nil, environment: [String: String] = [:],
                    removing: [String] = []) throws(ReproError) -> Output {
        var stdout = Data()
        let ended = try stream(URL(fileURLWithPath: "/usr/bin/env"), argv, in: directory, environment: environment,
                               removing: removing, cannotStart: "cannot run \(argv[0])", hint: "Install it or put it on PATH.") { fd in
            stdout = FileHandle(fileDescriptor: fd, closeOnDealloc: false).readDataToEndOfFile()
        }
        return Output(status: ended.status, stdout: stdout, stderr: ended.stderr)
    }

    /// Runs `program` with `arguments`, hands the read end of its stdout to `readStdout` (stderr
    /// is drained on another thread so that neither pipe fills up), then waits for it. When
    /// `readStdout` throws, the program is killed (SIGKILL: a SIGTERM may be blocked in the mask
    /// it inherited, and it would otherwise block writing to a pipe nobody reads) and the error rethrown.
    static func stream(_ program: URL, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:],
                       removing: [String] = [], cannotStart: String, hint: String,
                       readStdout: (Int32) throws(ReproError) -> Void) throws(ReproError) -> Ended {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        if !environment.isEmpty || !removing.isEmpty {
            var changed = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            for name in removing { changed[name] = nil }
            process.environment = changed
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Foundation.Pipe(), err = Foundation.Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .configuration("\(cannotStart): \(ReproError.reason(error)). \(hint)")
        }
        final class Sink: @unchecked Sendable { var data = Data() }
        let errSink = Sink()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errSink.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        do throws(ReproError) {
            try readStdout(out.fileHandleForReading.fileDescriptor)
        } catch {
            _ = Syscalls.kill(process.processIdentifier, SIGKILL)
            group.wait()
            process.waitUntilExit()
            throw error
        }
        group.wait()
        process.waitUntilExit()
        return Ended(exited: process.terminationReason == .exit, status: process.terminationStatus,
                     stderr: String(decoding: errSink.data, as: UTF8.self))
    }
}
