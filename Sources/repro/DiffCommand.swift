import ArgumentParser
import FoundationEssentials
import Glibc
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

            With --diffoscope, every differing file that repro compares only as plain bytes is \
            also handed to Debian's diffoscope (on PATH), whose text report is added to the human \
            output, within --max-lines lines per file and --max-seconds for all runs together.

            Exit status: 0 same, 1 different, 2 bad input (a missing path, a file and a directory), 64 usage.

            \(HelpText.examples([
                "Explain why the two runs of a failed check differ:": "repro diff .repro/runs/run-1 .repro/runs/run-2",
                "Compare two wheels and also write an HTML page:": "repro diff a/hello-1.0.whl b/hello-1.0.whl --html diff.html",
            ]))
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

    @Option(
        name: .customLong("max-seconds"), help: "Seconds to spend explaining before reporting the rest unexplained.")
    var maxSeconds: Double = DiffLimits.standard.maxSeconds

    @Flag(name: .long, help: "Also run diffoscope (on PATH) on each differing file whose format repro does not open.")
    var diffoscope = false

    func validate() throws {
        if maxLines < 1 { throw ValidationError("--max-lines must be 1 or more.") }
        if maxDepth < 0 { throw ValidationError("--max-depth must be 0 or more.") }
        if !(maxSeconds >= 0) || maxSeconds > 86400 {
            throw ValidationError("--max-seconds must be between 0 and 86400.")
        }
    }

    func run() throws {
        var limits = DiffLimits.standard
        limits.maxLines = maxLines
        limits.maxDepth = maxDepth
        limits.maxSeconds = maxSeconds
        let pathA = absolute(a), pathB = absolute(b)
        var diffoscopePath: String?
        if diffoscope {
            guard let found = Diffoscope.locate(searchPath: ProcessInfo.processInfo.environment["PATH"]) else {
                throw ReproError.configuration(
                    "--diffoscope needs diffoscope on PATH, and there is none. Install it (apt-get install diffoscope) or run without --diffoscope."
                )
            }
            diffoscopePath = found
        }
        let host = ProcessInfo.processInfo
        let setting = DiffSetting(
            now: Int64(Date().timeIntervalSince1970), buildPaths: DiffSetting.sandboxPaths,
            identities: [host.hostName, host.environment["USER"] ?? ""].filter { !$0.isEmpty && $0 != "localhost" })
        let report = try DiffEngine.compare(pathA, pathB, limits: limits, setting: setting)
        if let html {
            try AtomicFile.write(Array(DiffHTML.render(report).utf8), to: absolute(html)) { e in
                .configuration(
                    "cannot write \(html): \(e.text). Check that its directory exists and is writable.", errno: e.code)
            }
        }
        if json {
            Console.json(report.json())
        } else {
            Console.out(report.summary)
            if let diffoscopePath { try runDiffoscope(diffoscopePath, report, pathA, pathB, limits: limits) }
        }
        if !report.same { throw ExitCode(1) }
    }

    /// Prints diffoscope's report for each file repro compared as plain bytes, each within
    /// `limits.maxLines` lines, all runs together within `limits.maxSeconds`.
    private func runDiffoscope(_ program: String, _ report: DiffReport, _ a: String, _ b: String, limits: DiffLimits)
        throws
    {
        let deadline = ContinuousClock.now + .milliseconds(Int64(limits.maxSeconds * 1000))
        var isDirectory = false
        let single = !(FileManager.default.fileExists(atPath: a, isDirectory: &isDirectory) && isDirectory)
        for file in report.files where Diffoscope.unopened(file) {
            let fileA = single ? a : a + "/" + file.path, fileB = single ? b : b + "/" + file.path
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                Console.out(
                    "  diffoscope on \(file.path): not run, the time limit of \(limits.maxSeconds) s was reached (--max-seconds)"
                )
                continue
            }
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
            let output = try Diffoscope.run(program, fileA, fileB, maxBytes: 64 * 1024, seconds: seconds)
            var lines = ["  diffoscope on \(file.path):"]
            var body = output.text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + String($0) }
            if output.text.hasSuffix("\n") { body.removeLast() }
            if let note = output.note { body.append("    (cut: \(note))") }
            lines += DiffReport.bounded(body, limits.maxLines)
            Console.out(lines.joined(separator: "\n"))
        }
    }
}
