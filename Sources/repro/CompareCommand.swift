import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// `repro compare BUNDLE... --key PUB...`: agreement of independent builders on one build.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Check that signed manifests from independent builders agree on the outputs.",
        discussion: """
            Verifies every bundle (as repro verify does) with the given keys, checks \
            that all were built from the same inputs (source tree digest, toolchain \
            archive digests, sandbox profile digest, command, SOURCE_DATE_EPOCH), \
            and prints a table of subjects by builder keyid. Votes are per signer: \
            a key that signed several bundles counts once; a signer whose own check \
            was not reproducible counts as disagreeing. The bundles agree when \
            exactly one set of subjects is certified by at least --threshold \
            distinct signers (default: every key given). See docs/compare.md.

            Exit status: 0 agree (threshold met), 1 disagree or threshold not met \
            (the subjects and the signers on each side are named), 2 not comparable \
            (the differing inputs are named) or an unreadable bundle or key, \
            5 a bundle does not verify, 64 usage (fewer than 2 bundles or keys, \
            a threshold outside 2 through the number of keys).

            \(HelpText.examples([
                "Check that two builders certified the same outputs:": "repro compare a.intoto.jsonl b.intoto.jsonl --key a.pub --key b.pub",
                "Accept two of three builders agreeing:": "repro compare *.jsonl --key a.pub --key b.pub --key c.pub --threshold 2",
            ]))
            """
    )

    @Argument(
        help: ArgumentHelp("The manifest bundles (.intoto.jsonl), one per builder; at least 2.", valueName: "BUNDLE"))
    var bundles: [String]

    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "A builder's public key (SPKI PEM, NAME.pub); repeat for each builder, at least 2.", valueName: "PUB"))
    var keys: [String]

    @Option(
        name: .customLong("threshold"),
        help: ArgumentHelp("How many distinct signers must agree (default: all keys given).", valueName: "K"))
    var threshold: Int?

    @Flag(name: .customLong("json"), help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        if bundles.count < 2 {
            throw ValidationError(
                "give at least 2 bundles to compare (one per builder); to check a single bundle use `repro verify BUNDLE --key PUB`"
            )
        }
        if keys.count < Agreement.minimumThreshold {
            throw ValidationError(
                "give the public key of every builder with --key NAME.pub, at least \(Agreement.minimumThreshold): one builder cannot corroborate itself"
            )
        }
        if let threshold, threshold < Agreement.minimumThreshold || threshold > keys.count {
            throw ValidationError(
                "--threshold must be between \(Agreement.minimumThreshold) and the number of --key options (\(keys.count))"
            )
        }
    }

    func run() throws {
        do {
            let publicKeys = try keys.map { path throws(ReproError) in try PublicKey(contentsOf: path) }
            var contents: [Data] = []
            for path in bundles {
                contents.append(try BoundedFileReader.bundle(at: path))
            }
            // Every bundle is verified before any is judged, and every failure is named.
            var compared: [ComparedBundle] = []
            var failures: [String] = []
            for (path, data) in zip(bundles, contents) {
                switch Result(catching: { () throws(ReproError) in
                    try ComparedBundle(label: path, verifying: data, keys: publicKeys)
                }) {
                case .success(let bundle): compared.append(bundle)
                case .failure(let error) where error.kind == .verification: failures.append("\(path): \(error.message)")
                case .failure(let error): throw error
                }
            }
            guard failures.isEmpty else {
                throw ReproError.verification(
                    "\(failures.count) of \(bundles.count) bundles \(failures.count == 1 ? "does" : "do") not verify, so nothing was compared: \(failures.joined(separator: "; "))"
                )
            }
            let report = try Agreement.evaluate(bundles: compared, keys: publicKeys.map(\.keyID), threshold: threshold)
            if json {
                Console.json(report.jsonValue.serializedString)
            } else {
                for line in report.humanLines { Console.out(line) }
            }
            if report.exitStatus != .success { throw ExitCode(report.exitStatus.rawValue) }
        } catch let error as ReproError {
            if json {
                Console.json(
                    JSONValue.object(error.jsonMembers.merging(["result": "error", "agreed": false]) { _, own in own })
                        .serializedString)
            }
            throw error
        }
    }
}
