import FoundationEssentials
import ReproCore

/// A whole `repro check`, as the command line runs it: the signing key read first (a wrong key
/// must not cost a build), the project locked, the builds run and compared, the outputs placed
/// (``CheckRunner``), the manifest signed and written, and the outputs withdrawn again when it
/// cannot be, so that certified outputs never stay published without the manifest that
/// certifies them. The command line fills the request and prints the result.
public struct CheckSession {
    /// The check's options; `options.manifestPath` is where the manifest goes (nil:
    /// ``defaultManifestPath(project:)``, which is not checked before the build).
    public var options: CheckOptions
    /// The Ed25519 private key (PKCS#8 PEM) to sign the manifest with; nil: unsigned.
    public var signingKeyPath: String?
    /// Whether to wait for another check of the project to finish (else fail at once, exit 2).
    public var waitForOtherChecks = true

    /// Creates a session.
    public init(options: CheckOptions, signingKeyPath: String? = nil, waitForOtherChecks: Bool = true) {
        self.options = options
        self.signingKeyPath = signingKeyPath
        self.waitForOtherChecks = waitForOtherChecks
    }

    /// What a finished check produced.
    public struct Result: Sendable {
        /// The report, with the manifest's path and whether it is signed.
        public var report: CheckReport
        /// The manifest as written.
        public var manifest: Manifest
    }

    /// Where a project's manifest goes by default: `DIR/.repro/repro.intoto.jsonl`.
    public static func defaultManifestPath(project: String) -> String {
        project + "/.repro/" + Manifest.defaultFileName
    }

    /// Runs the check and writes its manifest. The report's verdict may be any: the caller exits
    /// with `report.exitCode`. Throws for configuration, sandbox and signing failures (the
    /// outputs this check placed are then gone again).
    public func run() throws(ReproError) -> Result {
        let key = try signingKeyPath.map { path throws(ReproError) in try SigningKey(contentsOf: path) }
        let manifestPath = options.manifestPath ?? Self.defaultManifestPath(project: options.projectDir)
        // One check of a project at a time, from the snapshot to the manifest.
        let lock = try ProjectLock(project: options.projectDir, wait: waitForOtherChecks, progress: options.progress)
        let written = Swift.Result { () throws(ReproError) -> (CheckReport, Manifest) in
            let outcome = try CheckRunner(options: options).run()
            return (outcome.report, try Self.writeManifest(of: outcome, signingKey: key, to: manifestPath))
        }
        _ = consume lock
        var (report, manifest) = try written.get()
        report.manifest = manifestPath
        report.manifestSigned = manifest.isSigned
        if !manifest.isSigned {
            options.progress(
                "the manifest is unsigned: pass --sign KEY (or set REPRO_SIGNING_KEY) to sign it; `repro keygen -o NAME` makes a key"
            )
        }
        return Result(report: report, manifest: manifest)
    }

    /// Signs and writes `outcome`'s manifest; when that fails, withdraws the outputs the check
    /// placed and says so in the error.
    static func writeManifest(of outcome: CheckOutcome, signingKey: SigningKey?, to path: String) throws(ReproError)
        -> Manifest
    {
        do throws(ReproError) {
            let manifest = try outcome.manifest(signingKey: signingKey)
            try manifest.write(toFile: path)
            return manifest
        } catch {
            // Certified outputs never stay published without the manifest that certifies them.
            guard let withdrawn = outcome.withdrawPlacedOutputs() else { throw error }
            var withdrawnError = error
            if !withdrawnError.message.hasSuffix(".") { withdrawnError.message += "." }
            withdrawnError.message += " The outputs placed at \(withdrawn) were removed again."
            throw withdrawnError
        }
    }
}
