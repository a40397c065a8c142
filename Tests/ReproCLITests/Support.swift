import Foundation

/// Runs the built `repro` binary and captures its output (black-box CLI tests).
enum CLI {
    /// The `repro` binary: `$REPRO_BIN`, else beside the running test executable.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["REPRO_BIN"], !path.isEmpty { return path }
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // Inside an .xctest bundle directory on some layouts.
        while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("repro").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("repro").path
    }

    /// The result of one run.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `repro ARGS...` with the given environment additions and working directory.
    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: String? = nil, stdin: Data? = nil
    ) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        return try Shell.run([binary] + arguments, directory: directory, environment: env, stdin: stdin)
    }
}

/// Runs a host program and captures its output.
enum Shell {
    /// Runs `argv` (looked up on PATH) to completion; stdin is `stdin`, else empty.
    @discardableResult
    static func run(
        _ argv: [String], directory: String? = nil, environment: [String: String]? = nil, stdin: Data? = nil
    ) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try inp.fileHandleForWriting.close()
        // Drain stderr on another thread so that neither pipe fills up.
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
        return CLI.Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errSink.data, as: UTF8.self))
    }
}
