import FoundationEssentials
import ReproCore

/// A whole `repro rebuild`, as the command line runs it: the signing key and the trusted keys
/// read first (a wrong key must not cost a build), the bundle read within the manifest limits,
/// the rebuild run and compared (``Rebuilder``), and the rebuild's own manifest signed and
/// written. The command line fills the request and prints the report.
public struct RebuildSession {
    /// The bundle's path (named in messages and in the rebuild's own manifest).
    public var bundlePath: String
    /// The cache root.
    public var cacheDir: String
    /// The trusted public keys (SPKI PEM files), one of which must sign the whole bundle; empty
    /// only with `verify` false.
    public var keyPaths: [String] = []
    /// False only for `--no-verify`: the bundle's signatures are not checked.
    public var verify = true
    /// A directory holding the source (`--source DIR`); nil to clone the recorded git URL.
    public var sourceDir: String?
    /// The original outputs (`--artifacts DIR`), to find the first differing byte of a changed file.
    public var originalOutputs: String?
    /// Content-addressed mirrors tried after each recorded toolchain URL.
    public var mirrors: [String] = []
    /// A profile file the rebuilder vouches for (`--profile`).
    public var profilePath: String?
    /// The Ed25519 private key (PKCS#8 PEM) to sign the rebuild's manifest with; nil: unsigned.
    public var signingKeyPath: String?
    /// Where to write the rebuild's own manifest (checked before anything is built); nil: none.
    public var manifestPath: String?
    /// Called with progress lines.
    public var progress: @Sendable (String) -> Void = { _ in }
    /// Called with progress events: phases, unpack progress, the build's log file.
    public var events: ProgressSink = { _ in }

    /// Creates a session for a bundle and a cache.
    public init(bundlePath: String, cacheDir: String) {
        self.bundlePath = bundlePath
        self.cacheDir = cacheDir
    }

    /// Runs the rebuild and writes its manifest when asked to. The report's verdict may be any:
    /// the caller exits with `report.outcome.result.exitStatus`. Throws for configuration,
    /// verification, build-setup, sandbox and signing failures.
    public func run() throws(ReproError) -> RebuildReport {
        let key = try signingKeyPath.map { path throws(ReproError) in try SigningKey(contentsOf: path) }
        let publicKeys = try keyPaths.map { path throws(ReproError) in try PublicKey(contentsOf: path) }
        var options = RebuildOptions(
            bundlePath: bundlePath, bundle: try BoundedFileReader.bundle(at: bundlePath), cacheDir: cacheDir)
        options.keys = publicKeys
        options.verify = verify
        options.sourceDir = sourceDir
        options.originalOutputs = originalOutputs
        options.mirrors = mirrors
        options.profilePath = profilePath
        options.manifestPath = manifestPath
        options.progress = progress
        options.events = events
        if !verify {
            progress("warning: --no-verify: the bundle's signatures are not checked; anyone could have written it")
        }
        let outcome = try Rebuilder(options: options).run()
        if let manifestPath {
            try outcome.manifest(signingKey: key).write(toFile: manifestPath)
        }
        return RebuildReport(outcome: outcome, manifest: manifestPath)
    }
}
