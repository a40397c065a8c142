import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// `repro rebuild BUNDLE --key PUB`: rebuild a signed check from its manifest and compare.
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild a signed manifest's build from what it records and compare the outputs bit for bit.",
        discussion: """
            Verifies BUNDLE with the given keys (one key must sign all of it), takes the source \
            from --source DIR (its snapshot must have the recorded tree digest) or clones the \
            recorded git URL at the recorded commit, fetches every toolchain by its pins (cache, \
            the recorded URL, then the mirrors), and builds once with the recorded command, \
            profile (by digest), environment and SOURCE_DATE_EPOCH. Every subject must come out \
            with its SHA-256, and nothing else (the same check as repro verify --artifacts). \
            With --sign or --manifest, writes the rebuild's own bundle (see docs/rebuild.md).

            Exit status: 0 every subject reproduced, 1 the outputs differ (named), 2 the bundle \
            lacks what a rebuild needs or an input cannot be had, 3 the build failed, \
            4 sandbox unavailable, 5 the bundle, the source or a pin does not verify, 64 usage.

            \(HelpText.examples([
                "Rebuild a release from its signed manifest, cloning the recorded source:": "repro rebuild hello.intoto.jsonl --key builder.pub",
                "Rebuild an unsigned manifest's build from a local checkout:": "repro rebuild hello.intoto.jsonl --no-verify --source ~/src/hello",
            ]))
            """
    )

    @Argument(help: ArgumentHelp("The manifest bundle (.intoto.jsonl) to rebuild.", valueName: "BUNDLE"))
    var bundle: String

    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "A trusted public key (SPKI PEM); repeat for several. One must sign the whole bundle.", valueName: "PUB"))
    var keys: [String] = []

    @Flag(
        name: .customLong("no-verify"),
        help: "Do not check the bundle's signatures (an unsigned or untrusted bundle); say so explicitly.")
    var noVerify = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Take the source from this directory instead of cloning the recorded git URL.", valueName: "DIR"))
    var source: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The original outputs, to find the first differing byte of a changed file.", valueName: "DIR"))
    var artifacts: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A sandbox profile file you vouch for, used when no built-in profile has the digest the bundle records (the builder used a profile file of its own). Its SHA-256 must be the recorded one.",
            valueName: "FILE"))
    var profile: String?

    @OptionGroup var cacheOptions: ToolchainSourceOptions<AfterRecordedURL>

    @Option(name: .long, help: "Sign the rebuild's own manifest with this Ed25519 private key (PKCS#8 PEM).")
    var sign: String?

    @Option(
        name: .long, help: "Where to write the rebuild's own manifest (default with --sign: ./rebuild.intoto.jsonl).")
    var manifest: String?

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var level: OutputLevelOptions

    func validate() throws {
        if keys.isEmpty, !noVerify {
            throw ValidationError(
                "pass the builder's public key with --key NAME.pub; to rebuild without checking signatures, say so with --no-verify"
            )
        }
        if !keys.isEmpty, noVerify {
            throw ValidationError("--no-verify and --key contradict each other; give one")
        }
    }

    func run() throws {
        let display = ProgressDisplay(level: level, parallel: false, environment: ProcessInfo.processInfo.environment) {
            _ in "rebuild"
        }
        defer { display.finish() }
        do {
            var session = RebuildSession(bundlePath: bundle, cacheDir: try cacheOptions.cacheRoot())
            session.keyPaths = keys
            session.verify = !noVerify
            session.sourceDir = source.map(absolute)
            session.originalOutputs = artifacts.map(absolute)
            session.mirrors = try cacheOptions.configuredMirrors()
            session.profilePath = profile.map(absolute)
            session.signingKeyPath = sign
            session.manifestPath = manifest.map(absolute) ?? (sign != nil ? absolute("rebuild.intoto.jsonl") : nil)
            session.progress = { Console.progress($0) }
            session.events = { display.event($0) }
            let report = try session.run()
            if json {
                Console.json(report.jsonValue.serializedString)
            } else {
                for line in report.humanLines { Console.out(line) }
            }
            let status = report.outcome.result.exitStatus
            if status != .success { throw ExitCode(status.rawValue) }
        } catch let error as ReproError {
            if json {
                Console.json(
                    JSONValue.object(error.jsonMembers.merging(["result": "error"]) { _, own in own }).serializedString)
            }
            throw error
        }
    }
}
