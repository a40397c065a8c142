import FoundationEssentials
import Glibc
import ReproCore

/// Where the content-addressed cache lives.
public enum CachePaths {
    /// The mode of a cache root repro creates: only its owner can list or enter it.
    static let rootMode: mode_t = 0o700

    /// The cache root: `--cache DIR`, else `$REPRO_CACHE`, else `$XDG_CACHE_HOME/repro`,
    /// else `~/.cache/repro`.
    public static func root(
        explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        passwd: String = "/etc/passwd"
    ) throws(ReproError) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let dir = environment["REPRO_CACHE"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/repro" }
        guard let home = homeDirectory(environment: environment, passwd: passwd) else {
            throw .configuration(
                "no cache directory: HOME is not set and uid \(Syscalls.geteuid()) has no home directory in \(passwd). Set HOME, XDG_CACHE_HOME or REPRO_CACHE, or pass --cache DIR."
            )
        }
        return home + "/.cache/repro"
    }

    /// The home directory: `$HOME`, else the effective user's entry in `/etc/passwd`, else nil.
    ///
    /// Never getpwuid(3): in a static executable it loads the host's NSS modules (such as
    /// libnss_systemd) into a process they were not built for, which crashes for a uid the
    /// files do not list (a container's `--user 1001`). Foundation's `NSHomeDirectory()` and
    /// `attributesOfItem` call it, so repro uses neither.
    public static func homeDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        passwd: String = "/etc/passwd"
    ) -> String? {
        if let home = environment["HOME"], !home.isEmpty { return home }
        guard let text = Syscalls.readSmallFile(passwd, limit: 16 << 20) else { return nil }
        let uid = String(Syscalls.geteuid())
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 7, fields[2] == uid, fields[5].hasPrefix("/") { return String(fields[5]) }
        }
        return nil
    }
}

extension CachePaths {
    /// The cache root created if missing (mode 0700, as are missing parents such as `~/.cache`)
    /// and with symlinks resolved: mounts into the sandbox need real paths, and `~/.cache` or
    /// `/home` are often symlinks.
    public static func resolved(_ root: String) throws(ReproError) -> String {
        if case .failure(let e) = Syscalls.mkdirs(root, mode: rootMode) {
            throw .configuration(
                "cannot create the cache directory \(root): \(e.text). Choose another with --cache DIR or REPRO_CACHE.",
                errno: e.code)
        }
        switch Syscalls.realpath(root) {
        case .success(let path): return path
        case .failure(let e):
            throw .configuration(
                "cannot use the cache directory \(root): \(e.text). Choose another with --cache DIR or REPRO_CACHE.",
                errno: e.code)
        }
    }
}
