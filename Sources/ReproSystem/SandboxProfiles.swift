import Foundation
import ReproCore

/// Finds sandbox profiles by name or path.
public enum SandboxProfiles {
    /// Loads a profile: a path (containing '/' or ending in `.toml`) is read as is; a name is looked
    /// up as `profiles/NAME.toml` in `projectDirectory` (the current directory if nil), then among
    /// the built-in profiles.
    public static func load(_ nameOrPath: String, projectDirectory: String? = nil) throws(ReproError) -> Profile {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            return try read(nameOrPath)
        }
        let local = (projectDirectory.map { $0 + "/" } ?? "") + "profiles/" + nameOrPath + ".toml"
        if Syscalls.exists(local) { return try read(local) }
        return try Profile.builtin(nameOrPath)
    }

    private static func read(_ path: String) throws(ReproError) -> Profile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .configuration("cannot read profile \(path): \(error.localizedDescription). Give a readable .toml file or a built-in name (\(Profile.builtinNames.joined(separator: ", "))).")
        }
        return try Profile.parse(text, origin: path)
    }
}
