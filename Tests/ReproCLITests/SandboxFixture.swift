import Foundation

/// A toolchain tree for sandbox tests, built once per test process: busybox-static with applet
/// links, plus the probe (Tests/Probe/probe.c, compiled with `cc -static`), and a copy of the
/// repro binary that unprivileged users can run. Everything is world-readable.
enum SandboxFixture {
    /// The fixture directory: `tree/` (the toolchain tree) and `repro`.
    static let root: String = {
        do { return try build() } catch { fatalError("building the sandbox fixture failed: \(error)") }
    }()

    /// The toolchain tree (mount at /).
    static var tree: String { root + "/tree" }
    /// A copy of the repro binary that any user can execute.
    static var repro: String { root + "/repro" }

    /// The fixture directory, removed when the test process exits.
    nonisolated(unsafe) static var removeAtExit: String?

    static let applets = [
        "sh", "sleep", "cat", "ls", "echo", "true", "false", "id", "hostname", "touch", "mkdir",
        "rm", "env", "kill", "wc", "grep", "test", "printf", "ln", "chmod", "stat", "head",
    ]

    static var probeSource: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Probe/probe.c").path
    }

    private static func build() throws -> String {
        let fm = FileManager.default
        let dir = "/tmp/repro-sandbox-fixture-\(getpid())"
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(
            atPath: dir + "/tree/bin", withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755])
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/tree")
        try fm.copyItem(atPath: "/bin/busybox", toPath: dir + "/tree/bin/busybox")
        for applet in applets {
            try fm.createSymbolicLink(atPath: dir + "/tree/bin/" + applet, withDestinationPath: "busybox")
        }
        let cc = try Shell.run(["cc", "-static", "-O2", "-o", dir + "/tree/bin/probe", probeSource])
        guard cc.status == 0 else { throw FixtureError("cc -static probe.c failed: \(cc.stderr)") }
        removeAtExit = dir
        atexit { if let dir = SandboxFixture.removeAtExit { try? FileManager.default.removeItem(atPath: dir) } }
        try fm.copyItem(atPath: CLI.binary, toPath: dir + "/repro")
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/repro")
        return dir
    }

    /// Runs `repro ARGS` as the unprivileged host user `nobody` (setpriv), with no supplementary groups.
    static func runUnprivileged(_ arguments: [String], directory: String = "/tmp") throws -> CLI.Result {
        try Shell.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", repro] + arguments,
            directory: directory)
    }

    /// Whether any process's command line is exactly `argv` (to check nothing was left behind).
    static func processExists(_ argv: [String]) -> Bool {
        let wanted = Data(argv.joined(separator: "\0").utf8 + [0])
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.contains { pid in
            guard Int(pid) != nil, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
                return false
            }
            return data == wanted
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
