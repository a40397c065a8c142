import Crypto
import FoundationEssentials
import Glibc
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
    /// Where a profile is found: a built-in one, or a file.
    enum Location {
        case builtin(String)
        case file(String)
    }

    /// Finds `nameOrPath` (from `option`, such as `--profile` or `build.profile`): the one lookup
    /// `repro check`, `repro run` and `repro rebuild` share. A name is a built-in profile and
    /// nothing else; a path (containing '/' or ending in `.toml`) is taken from `directory` (the
    /// current directory if nil). The error for a name that is not built in says where it was
    /// looked for, and points at a profile file of that name if one is there to be named by path.
    static func locate(_ nameOrPath: String, relativeTo directory: String?, option: String) throws(ReproError)
        -> Location
    {
        let base = directory ?? FileManager.default.currentDirectoryPath
        if isPath(nameOrPath) {
            return .file(nameOrPath.hasPrefix("/") ? nameOrPath : base + "/" + nameOrPath)
        }
        guard Profile.builtinText(nameOrPath) == nil else { return .builtin(nameOrPath) }
        var message =
            "no profile named \(nameOrPath.debugDescription) (from \(option)): looked among the built-in profiles (\(Profile.builtinNames.joined(separator: ", "))); a profile file is used only when named by its path (containing / or ending in .toml), never by a name."
        for candidate in ["profiles/\(nameOrPath).toml", "\(nameOrPath).toml"]
        where Syscalls.exists(base + "/" + candidate) {
            let spelled = option.hasPrefix("--") ? "\(option) ./\(candidate)" : "\(option) = \"./\(candidate)\""
            message += " \(base)/\(candidate) exists: to use it, name it by its path (\(spelled))."
            break
        }
        throw .configuration(message)
    }

    /// Loads a profile by name or path; a relative path is taken from `directory` (the current
    /// directory if nil).
    public static func load(_ nameOrPath: String, relativeTo directory: String? = nil, option: String = "--profile")
        throws(ReproError) -> Profile
    {
        // A built-in profile is a Swift value: nothing to read or hash at a sandbox's start.
        switch try locate(nameOrPath, relativeTo: directory, option: option) {
        case .builtin(let name): return try Profile.builtin(name)
        case .file: return try resolve(nameOrPath, relativeTo: directory, option: option).profile
        }
    }

    /// Whether `nameOrPath` names a file rather than a built-in profile.
    public static func isPath(_ nameOrPath: String) -> Bool {
        nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml")
    }

    /// Loads a profile by name or path, with the digest of its text.
    public static func resolve(_ nameOrPath: String, relativeTo directory: String? = nil, option: String = "--profile")
        throws(ReproError) -> ResolvedProfile
    {
        let path: String
        switch try locate(nameOrPath, relativeTo: directory, option: option) {
        case .builtin(let name):
            let profile = try Profile.builtin(name)
            let text = Profile.builtinText(name) ?? ""
            return ResolvedProfile(
                profile: profile, sha256: Hex.encode(SHA256.hash(data: Data(text.utf8))),
                uri: "repro:profiles/" + name)
        case .file(let file):
            path = file
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            let looked =
                " (from \(option) \(nameOrPath.debugDescription)\(nameOrPath.hasPrefix("/") ? "" : directory == nil ? ", relative to the current directory" : ", relative to the project"))"
            throw .configuration(
                "cannot read the profile \(path)\(looked): \(ReproError.reason(error)). Give a readable .toml file or a built-in name (\(Profile.builtinNames.joined(separator: ", ")))."
            )
        }
        let profile = try Profile.parse(text, origin: path)
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return ResolvedProfile(
            profile: profile, sha256: Hex.encode(SHA256.hash(data: Data(text.utf8))),
            uri: "file://" + absolute)
    }
}
