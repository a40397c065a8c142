import FoundationEssentials
import Glibc
import ReproCore

/// The committed lock `toolchains/debian-bookworm-build.toml`, built into repro so that the
/// zero-config check has a base toolchain when no spec of that name is found anywhere else
/// (the project's `toolchains/`, `$REPRO_TOOLCHAIN_PATH`, the installed specs).
///
/// The text is ``BaseToolchainLockText/text``, which `scripts/lock-base-toolchain.sh` (`make lock`)
/// writes from the committed file; a test checks that the two are the same bytes.
public enum BaseToolchainLock {
    /// The name the built-in lock answers to.
    public static let name = ProjectDefaults.toolchain
    /// How errors and reports name the built-in spec.
    public static let path = "repro:toolchains/\(ProjectDefaults.toolchain).toml"

    /// The built-in lock when `name` is its name and this machine has its architecture; nil otherwise.
    public static func spec(named name: String, architecture: String = DebianLocker.hostArchitecture) throws(ReproError)
        -> ToolchainSpec?
    {
        guard name == Self.name else { return nil }
        let spec = try ToolchainSpec.parse(toml: BaseToolchainLockText.text, path: path)
        guard spec.debian?.architecture == architecture else { return nil }
        return spec
    }
}
