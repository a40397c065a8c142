import Crypto
import Foundation
import ReproCore

/// A profile with the bytes it came from: what the manifest records of it.
public struct ResolvedProfile: Sendable {
    /// The parsed profile.
    public var profile: Profile
    /// The SHA-256 (hex) of its TOML text.
    public var sha256: String
    /// Where it came from: `repro:profiles/NAME` for a built-in profile, else `file://PATH`.
    public var uri: String
}

/// Finds sandbox profiles by name or path.
///
/// A name (`default`, `strict`) is always a built-in profile: a file in the project, or in the
/// directory repro runs from, never takes its place, so a repository cannot weaken the sandbox
/// that checks it by committing a `profiles/default.toml`. A project's own profile is used only
/// when named by path (containing '/' or ending in `.toml`), and the manifest records the SHA-256
/// of whichever profile was used.
public enum SandboxProfiles {
    /// Loads a profile by name or path; a relative path is taken from `directory` (the current
    /// directory if nil).
    public static func load(_ nameOrPath: String, relativeTo directory: String? = nil) throws(ReproError) -> Profile {
        // A built-in profile is a Swift value: nothing to read or hash at a sandbox's start.
        if !isPath(nameOrPath) { return try Profile.builtin(nameOrPath) }
        return try resolve(nameOrPath, relativeTo: directory).profile
    }

    /// Whether `nameOrPath` names a file rather than a built-in profile.
    public static func isPath(_ nameOrPath: String) -> Bool {
        nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml")
    }

    /// Loads a profile by name or path, with the digest of its text.
    public static func resolve(_ nameOrPath: String, relativeTo directory: String? = nil) throws(ReproError) -> ResolvedProfile {
        guard isPath(nameOrPath) else {
            let profile = try Profile.builtin(nameOrPath)
            let text = Profile.builtinText(nameOrPath) ?? ""
            return ResolvedProfile(profile: profile, sha256: Hex.encode(SHA256.hash(data: Data(text.utf8))),
                                   uri: "repro:profiles/" + nameOrPath)
        }
        let path = nameOrPath.hasPrefix("/") || directory == nil ? nameOrPath : directory! + "/" + nameOrPath
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .configuration("cannot read profile \(path): \(ReproError.reason(error)). Give a readable .toml file or a built-in name (\(Profile.builtinNames.joined(separator: ", "))).")
        }
        let profile = try Profile.parse(text, origin: path)
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return ResolvedProfile(profile: profile, sha256: Hex.encode(SHA256.hash(data: Data(text.utf8))),
                               uri: "file://" + absolute)
    }
}
