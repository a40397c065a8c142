import Foundation
import ReproCore

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

    /// Runs `argv` (looked up on PATH) in `directory`; throws only when it cannot be started.
    static func run(_ argv: [String], in directory: String? = nil) throws(ReproError) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Foundation.Pipe(), err = Foundation.Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .configuration("cannot run \(argv[0]): \(error.localizedDescription). Install it or put it on PATH.")
        }
        // Drain stderr on another thread so that neither pipe fills up and blocks the program.
        final class Sink: @unchecked Sendable { var data = Data() }
        let errSink = Sink()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errSink.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errSink.data, as: UTF8.self))
    }
}
