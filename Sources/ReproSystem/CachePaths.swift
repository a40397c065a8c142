import Foundation
import ReproCore

/// Where the content-addressed cache lives.
public enum CachePaths {
    /// The cache root: `--cache DIR`, else `$REPRO_CACHE`, else `$XDG_CACHE_HOME/repro`,
    /// else `~/.cache/repro`.
    public static func root(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let dir = environment["REPRO_CACHE"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/repro" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/repro"
    }
}
