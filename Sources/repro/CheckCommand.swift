import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// `repro check`: build the project several times in fresh sandboxes and certify that the
/// outputs are identical.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Build a project twice in fresh sandboxes and certify that the outputs are identical.",
        discussion: """
            Reads repro.toml in DIR (without one, assumes defaults and says which). Snapshots the \
            source (git-tracked files, or all files), fetches the pinned toolchains, runs the build \
            in a fresh sandbox per run with a normalized environment, compares the output trees, \
            places the certified outputs in --output and writes a manifest.

            Exit status: 0 reproducible, 1 outputs differ, 2 configuration or input error, \
            3 the build failed, 4 sandbox unavailable, 5 verification failed, 64 usage.

            \(HelpText.examples([
                "Check the project in the current directory:": "repro check",
                "Build three times at once and sign the manifest:": "repro check --runs 3 --parallel --sign builder.key ~/src/hello",
            ]))
            """
    )

    @Argument(help: "The project directory.")
    var directory: String = "."

    @Flag(name: .long, help: "Print one JSON report on stdout (schema: docs/report.md); the same as --format json.")
    var json = false

    @Option(
        name: .long,
        help:
            "How to print the result: human, json or github (workflow commands and a job summary; the default when GITHUB_ACTIONS=true). See docs/ci.md."
    )
    var format: CheckFormat?

    @Option(name: .long, help: ArgumentHelp("Also write the result as a JUnit XML report to FILE.", valueName: "FILE"))
    var junit: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write a SHA256SUMS file (sha256sum -c format) at this path among the certified outputs, overriding build.checksums.",
            valueName: "FILE"))
    var checksums: String?

    @Option(name: .long, help: "Where to place the certified outputs (default: DIR/.repro/out).")
    var output: String?

    @Option(name: .long, help: "Keep every run's output tree under this directory (run-1, run-2, ...).")
    var keep: String?

    @Flag(name: .long, help: "Run the builds at the same time instead of one after another.")
    var parallel = false

    @Option(name: .long, help: "How many times to build (at least 2).")
    var runs: Int = 2

    @Option(
        name: .long,
        help:
            "The sandbox profile, overriding build.profile: a built-in name (default, strict) or a path to a .toml file."
    )
    var profile: String?

    @Option(name: .customLong("date-epoch"), help: "SOURCE_DATE_EPOCH, overriding git's and repro.toml's.")
    var dateEpoch: Int64?

    @OptionGroup var cacheOptions: ToolchainSourceOptions<AfterToolchainURL>

    @Option(
        name: .long, help: "Sign the manifest with this Ed25519 private key (PKCS#8 PEM; default: $REPRO_SIGNING_KEY).")
    var sign: String?

    @Option(name: .long, help: "Where to write the manifest (default: DIR/.repro/repro.intoto.jsonl).")
    var manifest: String?

    @Option(
        name: .customLong("source-uri"),
        help: ArgumentHelp(
            "The git URL others fetch the source from, recorded in the manifest instead of the origin remote's.",
            valueName: "URL"))
    var sourceURI: String?

    @Flag(
        name: .customLong("no-wait"),
        help: "Fail at once (exit 2) when another check of the project is running, instead of waiting for it.")
    var noWait = false

    @OptionGroup var level: OutputLevelOptions

    func validate() throws {
        if runs < 2 { throw ValidationError("--runs must be 2 or more: a check compares at least two builds.") }
        if let dateEpoch, dateEpoch < 0 { throw ValidationError("--date-epoch must be a Unix time of 0 or more.") }
        if json, let format, format != .json { throw ValidationError("--json is --format json; pass one of them.") }
        if let checksums, !SHA256Sums.isValidPath(checksums) {
            throw ValidationError(
                "--checksums takes a path relative to the source root without '.' or '..' components, such as SHA256SUMS or dist/SHA256SUMS."
            )
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let chosen = json ? .json : format ?? (CIOutput.isGitHubActions(environment) ? .github : .human)
        let started = Date()
        let runs = runs
        let display = ProgressDisplay(level: level, parallel: parallel, environment: environment) {
            "run \($0)/\(runs)"
        }
        defer { display.finish() }
        do {
            try check(format: chosen, started: started, environment: environment, display: display)
        } catch let error as ReproError {
            // Before a report exists: the error object every `--json` of repro prints
            // (docs/report.md, docs/schemas/error-v1.json); the report itself was not printed.
            if chosen == .json {
                Console.json(
                    JSONValue.object(error.jsonMembers.merging(["verdict": "error"]) { _, own in own }).serializedString
                )
            }
            if chosen == .github {
                Console.verbatim(
                    GitHubOutput.error(error.message, title: "repro check failed (exit \(error.status.rawValue))"))
                if let warning = CIOutput.appendStepSummary(
                    GitHubOutput.stepSummary(error: error, project: absolute(directory)), environment: environment)
                {
                    Console.progress("warning: " + warning)
                }
            }
            if let junit {
                try? CIOutput.writeJUnit(JUnitReport.xml(error: error, timestamp: started), to: absolute(junit))
            }
            throw error
        }
    }

    private func check(format: CheckFormat, started: Date, environment: [String: String], display: ProgressDisplay)
        throws
    {
        var options = CheckOptions(projectDir: absolute(directory), cacheDir: try cacheOptions.cacheRoot())
        options.runs = runs
        options.parallel = parallel
        options.keepDir = keep.map(absolute)
        options.outputDir = output.map(absolute)
        options.manifestPath = manifest.map(absolute)
        options.profile = profile
        options.dateEpoch = dateEpoch
        options.mirrors = try cacheOptions.configuredMirrors()
        options.sourceURI = sourceURI
        options.checksums = checksums
        options.environment = environment
        options.progress = { Console.progress($0) }
        options.events = { display.event($0) }
        let keyPath = sign ?? environment["REPRO_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let report = try CheckSession(options: options, signingKeyPath: keyPath, waitForOtherChecks: !noWait).run()
            .report
        if let junit {
            try CIOutput.writeJUnit(JUnitReport.xml(report: report, timestamp: started), to: absolute(junit))
        }
        switch format {
        case .json:
            Console.json(report.json())
        case .human:
            Console.out(report.summary)
        case .github:
            let prefix = CIOutput.filePrefix(project: report.project, environment: environment)
            for line in GitHubOutput.lines(
                report: report, logs: CIOutput.logs(of: report), filePrefix: prefix,
                token: UUID().uuidString.lowercased())
            {
                Console.verbatim(line)
            }
            if let warning = CIOutput.appendStepSummary(
                GitHubOutput.stepSummary(report: report), environment: environment)
            {
                Console.progress("warning: " + warning)
            }
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

/// How `repro check` prints its result.
enum CheckFormat: String, ExpressibleByArgument, CaseIterable {
    /// The summary for people.
    case human
    /// The JSON report (docs/report.md).
    case json
    /// GitHub Actions workflow commands, the summary, and a job summary in `$GITHUB_STEP_SUMMARY`.
    case github
}

/// Makes a path absolute against the current directory.
func absolute(_ path: String) -> String {
    let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    return url.standardizedFileURL.path
}
