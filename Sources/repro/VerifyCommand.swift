import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// `repro verify BUNDLE --key PUB...`: checks a signed manifest, failing closed.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a signed manifest (.intoto.jsonl) and, optionally, the artifacts it names.",
        discussion: """
            Checks that every envelope carries a valid Ed25519 signature by one of the given keys over \
            its DSSE pre-authentication encoding, that the payloads are in-toto Statement v1 of the \
            SLSA provenance v1 and repro reproducibility v1 types, and that the manifest certifies at \
            least one file (--allow-empty accepts one that certifies none). With --artifacts DIR, DIR \
            must be exactly the certified output tree (its tree digest is the signed one, every \
            subject file has its SHA-256, nothing else is there); --subjects-only checks only the \
            subjects' files. A signed negative verdict (differ, build-failed) verifies as authentic; \
            add --require-reproducible to fail on it too. A bundle over 64 MiB, or with a line over \
            48 MiB, is refused unread. Exit 0 only if all of it holds; 5 naming what failed \
            otherwise; 2 for an unreadable bundle, key file or artifacts directory. With --checksums FILE, FILE \
            must be the SHA256SUMS file the manifest certifies (repro check --checksums) and every file it \
            lists, beside it, must match, as sha256sum -c checks them. \
            See docs/manifest.md.

            \(HelpText.examples([
                "Verify a manifest and the output tree it certifies:": "repro verify hello.intoto.jsonl --key builder.pub --artifacts out/",
                "Verify downloaded release files against a signed SHA256SUMS:": "repro verify hello.intoto.jsonl --key builder.pub --checksums SHA256SUMS",
            ]))
            """
    )

    @Argument(help: ArgumentHelp("The manifest bundle (JSON Lines of DSSE envelopes).", valueName: "BUNDLE"))
    var bundle: String

    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "A trusted public key (SPKI PEM, NAME.pub, as `repro keygen -o NAME` writes); repeat for several.",
            valueName: "PUB"))
    var keys: [String]

    @Option(
        name: .customLong("artifacts"),
        help: ArgumentHelp("Check that this directory is exactly the certified output tree.", valueName: "DIR"))
    var artifacts: String?

    @Option(
        name: .customLong("checksums"),
        help: ArgumentHelp(
            "Check the files a certified SHA256SUMS file lists, beside it, as sha256sum -c does (an alternative to --artifacts).",
            valueName: "FILE"))
    var checksums: String?

    @Flag(
        name: .customLong("subjects-only"),
        help: "With --artifacts: check only the subjects' files; other files in DIR are allowed.")
    var subjectsOnly = false

    @Flag(name: .customLong("allow-empty"), help: "Accept a manifest that certifies no files (no subjects).")
    var allowEmpty = false

    @Flag(
        name: .customLong("require-reproducible"), help: "Also fail (exit 5) unless the signed verdict is reproducible."
    )
    var requireReproducible = false

    @Flag(name: .customLong("json"), help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        if subjectsOnly, artifacts == nil {
            throw ValidationError("--subjects-only applies to --artifacts DIR; pass both, or leave --subjects-only out")
        }
    }

    func run() throws {
        var artifactsReport: ArtifactsReport?
        do {
            var report = try verifiedBundle()
            if let artifacts {
                let found = try compareArtifacts(artifacts, with: report)
                artifactsReport = found
                if let error = found.error { throw error }
                report.artifacts = found
                report.artifactsChecked = report.provenance.subjects.count
            }
            var checksumsChecked: (subject: String, files: Int)?
            if let checksums {
                checksumsChecked = try checkChecksums(checksums, report: &report)
            }
            if requireReproducible, report.reproducibility.verdict != .reproducible {
                throw ReproError.verification(
                    "the manifest is authentic but its verdict is \(report.reproducibility.verdict.rawValue), and --require-reproducible was given"
                )
            }
            printResult(report, checksumsChecked: checksumsChecked)
        } catch let error as ReproError {
            if json {
                Console.json(
                    JSONValue.object(
                        error.jsonMembers.merging([
                            "schema": .string(VerificationReport.schemaURI),
                            "verified": false, "artifacts": artifactsReport?.jsonValue ?? .null,
                        ]) { _, own in own }
                    ).serializedString)
            }
            throw error
        }
    }

    /// The bundle's report once its signatures and statements are verified with the keys, and it
    /// certifies something (or `--allow-empty` was given).
    private func verifiedBundle() throws -> VerificationReport {
        let publicKeys = try keys.map { path throws(ReproError) in try PublicKey(contentsOf: path) }
        let limits = Manifest.Limits.standard
        let reader = try BoundedFileReader(path: bundle, limit: limits.bytes, tooLarge: limits.tooLarge)
        let report = try Verifier.verify(keys: publicKeys, limits: limits, next: reader.next)
        try Verifier.checkNotEmpty(report, allowEmpty: allowEmpty)
        return report
    }

    /// The directory `artifacts` compared with what `report` certifies: its subjects alone with
    /// `--subjects-only`, otherwise the whole tree and its digest.
    private func compareArtifacts(_ artifacts: String, with report: VerificationReport) throws -> ArtifactsReport {
        let subjects = report.provenance.subjects
        if subjectsOnly {
            return try Verifier.compareSubjects(subjects, in: artifacts)
        }
        let expected = try Verifier.certifiedTreeDigest(report.reproducibility)
        let listing: TreeListing
        do throws(ReproError) {
            listing = try TreeWalker.walk(artifacts)
        } catch {
            throw error.prefixed("cannot digest the artifacts directory: ")
        }
        return Verifier.compareTree(
            listing.entries, digest: listing.digest, in: artifacts,
            subjects: subjects, expected: expected)
    }

    /// Checks the checksums file `checksums` (a certified subject) against the files it lists,
    /// recording them in `report` when no artifacts were compared; returns the subject and the
    /// number of files checked.
    private func checkChecksums(_ checksums: String, report: inout VerificationReport) throws
        -> (subject: String, files: Int)
    {
        let (subject, found) = try ChecksumsFile.verify(checksums, subjects: report.provenance.subjects)
        if let error = found.error {
            throw error.prefixed(
                "\(checksums) is the certified \(subject), but the files it lists do not match it: ",
                context: .init(path: checksums))
        }
        if report.artifacts == nil {
            report.artifacts = found
            report.artifactsChecked = found.subjectsChecked
        }
        return (subject, found.subjectsChecked)
    }

    /// Prints the verified report: JSON with `--json`, otherwise the human lines and the
    /// checksums file's line.
    private func printResult(_ report: VerificationReport, checksumsChecked: (subject: String, files: Int)?) {
        if json {
            Console.json(report.jsonValue.serializedString)
        } else {
            printHuman(report)
            if let checksumsChecked {
                Console.out(
                    "checksums:  \(checksums ?? "") is the certified \(checksumsChecked.subject); \(checksumsChecked.files == 1 ? "the 1 file it lists matches" : "all \(checksumsChecked.files) files it lists match")"
                )
            }
        }
    }

    private func printHuman(_ report: VerificationReport) {
        for line in report.humanLines(bundle: bundle) { Console.out(line) }
    }
}
