import ArgumentParser
import Foundation
import ReproCore
import ReproSystem

/// `repro diff`: explain why two files or two output trees differ.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Explain why two files or two output trees differ.",
        discussion: """
            Compares A and B (two files, or two directories such as the runs a failed check keeps \
            in .repro/runs). Containers are opened recursively (tar, gzip/xz/zstd/bzip2, zip/jar/wheel, \
            ar/.deb, cpio and the other formats libarchive reads), ELF files are compared by section, \
            .pyc headers and gzip headers are named, and text gets a unified diff. Each differing \
            region gets a likely cause and a one-line fix (docs/diff.md).

            Exit status: 0 same, 1 different, 2 bad input (a missing path, a file and a directory), 64 usage.
            """
    )

    @Argument(help: "The first file or directory.")
    var a: String

    @Argument(help: "The second file or directory.")
    var b: String

    @Flag(name: .long, help: "Print one JSON report on stdout (schema: docs/schemas/diff-report-v1.json).")
    var json = false

    @Option(name: .long, help: "Also write a self-contained HTML page to this file.")
    var html: String?

    @Option(name: .customLong("max-lines"), help: "The most lines of human output, and of each unified diff.")
    var maxLines: Int = DiffLimits.standard.maxLines

    @Option(name: .customLong("max-depth"), help: "How many containers deep to open (0: none).")
    var maxDepth: Int = DiffLimits.standard.maxDepth

    @Option(name: .customLong("max-seconds"), help: "Seconds to spend explaining before reporting the rest unexplained.")
    var maxSeconds: Double = DiffLimits.standard.maxSeconds

    func validate() throws {
        if maxLines < 1 { throw ValidationError("--max-lines must be 1 or more.") }
        if maxDepth < 0 { throw ValidationError("--max-depth must be 0 or more.") }
        if !(maxSeconds >= 0) || maxSeconds > 86400 { throw ValidationError("--max-seconds must be between 0 and 86400.") }
    }

    func run() throws {
        var limits = DiffLimits.standard
        limits.maxLines = maxLines
        limits.maxDepth = maxDepth
        limits.maxSeconds = maxSeconds
        let pathA = absolute(a), pathB = absolute(b)
        let host = ProcessInfo.processInfo
        let setting = DiffSetting(now: Int64(Date().timeIntervalSince1970), buildPaths: DiffSetting.sandboxPaths,
                                  identities: [host.hostName, host.environment["USER"] ?? ""].filter { !$0.isEmpty && $0 != "localhost" })
        let report = try DiffEngine.compare(pathA, pathB, limits: limits, setting: setting)
        if let html {
            do {
                try Data(DiffHTML.render(report).utf8).write(to: URL(fileURLWithPath: absolute(html)), options: .atomic)
            } catch {
                throw ReproError.configuration("cannot write \(html): \(error.localizedDescription). Check that its directory exists and is writable.")
            }
        }
        if json {
            Console.json(report.json())
        } else {
            Console.out(report.summary)
        }
        if !report.same { throw ExitCode(1) }
    }
}
