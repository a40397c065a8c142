import ArgumentParser
import Foundation
import ReproCore

/// `repro verify BUNDLE --key PUB...`: checks a signed manifest, failing closed.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a signed manifest (.intoto.jsonl) and, optionally, the artifacts it names.",
        discussion: """
            Checks that every envelope carries a valid Ed25519 signature by one of the given keys over
            its DSSE pre-authentication encoding, that the payloads are in-toto Statement v1 of the
            SLSA provenance v1 and repro reproducibility v1 types, and, with --artifacts, that every
            subject file exists under DIR with its SHA-256. A signed negative verdict (differ,
            build-failed) verifies as authentic; add --require-reproducible to fail on it too.
            Exit 0 only if all of it holds; 5 naming what failed otherwise; 2 for an unreadable
            bundle or key file. See docs/manifest.md.
            """
    )

    @Argument(help: ArgumentHelp("The manifest bundle (JSON Lines of DSSE envelopes).", valueName: "BUNDLE"))
    var bundle: String

    @Option(name: .customLong("key"), help: ArgumentHelp("A trusted public key (SPKI PEM, NAME.pub); repeat for several.", valueName: "PUB"))
    var keys: [String] = []

    @Option(name: .customLong("artifacts"), help: ArgumentHelp("Check the subjects' files under this directory.", valueName: "DIR"))
    var artifacts: String?

    @Flag(name: .customLong("require-reproducible"), help: "Also fail (exit 5) unless the signed verdict is reproducible.")
    var requireReproducible = false

    @Flag(name: .customLong("json"), help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        if keys.isEmpty {
            throw ValidationError("pass at least one trusted public key with --key NAME.pub (from `repro keygen -o NAME`)")
        }
    }

    func run() throws {
        do {
            let publicKeys = try keys.map { path throws(ReproError) in try PublicKey(contentsOf: path) }
            guard let data = FileManager.default.contents(atPath: bundle) else {
                throw ReproError.configuration("cannot read the bundle \(bundle): it does not exist or is not readable")
            }
            var report = try Verifier.verify(bundle: data, keys: publicKeys)
            if let artifacts {
                try Verifier.checkArtifacts(report.provenance.subjects, in: artifacts)
                report.artifactsChecked = report.provenance.subjects.count
            }
            if requireReproducible, report.reproducibility.verdict != .reproducible {
                throw ReproError.verification("the manifest is authentic but its verdict is \(report.reproducibility.verdict.rawValue), and --require-reproducible was given")
            }
            if json {
                Console.json(report.jsonValue.serializedString)
            } else {
                printHuman(report)
            }
        } catch let error as ReproError {
            if json {
                Console.json(JSONValue.object(["verified": false, "error": .string(error.message), "exitStatus": .integer(Int64(error.status.rawValue))]).serializedString)
            }
            throw error
        }
    }

    private func printHuman(_ report: VerificationReport) {
        let p = report.provenance, r = report.reproducibility
        let signers = Set(report.signers.flatMap { $0 }).sorted()
        Console.out("verified \(bundle): \(report.signers.count) envelopes, signed by \(signers.joined(separator: ", "))")
        Console.out("builder:    \(p.builderID)" + (p.reproVersion.map { " (repro \($0))" } ?? ""))
        Console.out("invocation: \(p.invocationID), \(p.startedOn) to \(p.finishedOn)")
        Console.out("command:    \(p.command.joined(separator: " ")) (profile \(p.profile))")
        for source in p.sources {
            Console.out("source:     \(source.name) \(source.uri) t1:\(source.digest[ManifestURI.treeDigestKey] ?? "")")
        }
        for toolchain in p.toolchains {
            let digest = toolchain.digest["sha256"].map { "sha256:\($0)" } ?? toolchain.digest.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            Console.out("toolchain:  \(toolchain.name) \(toolchain.uri) \(digest)")
        }
        Console.out("verdict:    \(r.verdict.rawValue) (\(r.runs.count) runs)")
        for run in r.runs {
            Console.out("  run \(run.index): exit \(run.exitStatus), output \(run.outputTreeDigest ?? "none")")
        }
        for difference in r.differences {
            Console.out("  differs: \(difference.path) (\(difference.kind.rawValue))")
        }
        Console.out("subjects:   \(p.subjects.count)")
        for subject in p.subjects {
            Console.out("\(subject.sha256)  \(subject.name)")
        }
        if let checked = report.artifactsChecked, let artifacts {
            Console.out("artifacts:  all \(checked) subject files match in \(artifacts)")
        }
    }
}
