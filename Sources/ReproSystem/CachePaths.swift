import Foundation
import ReproCore

/// Where the content-addressed cache lives.
public enum CachePaths {
    /// The mode of a cache root repro creates: only its owner can list or enter it.
    static let rootMode: mode_t = 0o700

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

extension CachePaths {
    /// The cache root created if missing (mode 0700, as are missing parents such as `~/.cache`)
    /// and with symlinks resolved: mounts into the sandbox need real paths, and `~/.cache` or
    /// `/home` are often symlinks.
    public static func resolved(_ root: String) throws(ReproError) -> String {
        if case .failure(let e) = Syscalls.mkdirs(root, mode: rootMode) {
            throw .configuration("cannot create the cache directory \(root): \(e.text). Choose another with --cache DIR or REPRO_CACHE.", errno: e.code)
        }
        switch Syscalls.realpath(root) {
        case .success(let path): return path
        case .failure(let e): throw .configuration("cannot use the cache directory \(root): \(e.text). Choose another with --cache DIR or REPRO_CACHE.", errno: e.code)
        }
    }
}
