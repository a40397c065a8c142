import FoundationEssentials
import Glibc
import ReproCore

/// Content-addressed blob mirrors: base URLs (`https://`, `file://`, `http://` on a loopback
/// host) under which the archive with SHA-256 `<hex>` is `BASE/sha256/<hex>`, the layout of the
/// cache's own `blobs/` directory. Any cache's `blobs/`, or a directory written by
/// `repro toolchain export`, served by any static web server (or read as `file://`) is a mirror.
///
/// A mirror is only a location: what it serves is checked against the pin like any download.
public enum Mirrors {
    /// The environment variable listing mirrors, separated by whitespace or commas.
    public static let variable = "REPRO_MIRRORS"

    /// The mirrors to use: those given on the command line (`--mirror`, in order), then those of
    /// `$REPRO_MIRRORS`; each checked, trailing slashes removed, duplicates dropped.
    public static func configured(
        options: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ReproError) -> [String] {
        let listed = (environment[variable] ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(
            String.init)
        var result: [String] = []
        for (base, origin) in options.map({ ($0, "--mirror") }) + listed.map({ ($0, "$" + variable) }) {
            let normalized = try check(base, origin: origin)
            if !result.contains(normalized) { result.append(normalized) }
        }
        return result
    }

    /// `base` without trailing slashes, if it is a URL repro fetches from; else an input error
    /// naming `origin`.
    public static func check(_ base: String, origin: String) throws(ReproError) -> String {
        var trimmed = base
        while trimmed.hasSuffix("/"), trimmed.count > 1 { trimmed.removeLast() }
        if let problem = ToolchainSpec.urlProblem(trimmed + "/sha256/x") {
            throw .configuration(
                "\(origin) \(base): \(problem) A mirror is a base URL serving sha256/<hex>, e.g. https://mirror.example/repro or file:///srv/repro-mirror."
            )
        }
        if trimmed.contains("?") || trimmed.contains("#") {
            throw .configuration(
                "\(origin) \(base): a mirror is a base URL without a query or fragment; sha256/<hex> is appended to it."
            )
        }
        return trimmed
    }

    /// The URL of the archive `sha256` on the mirror `base`.
    public static func blobURL(base: String, sha256: String) -> String {
        base + "/sha256/" + sha256
    }

    /// Writes the blobs of the cached sources into `directory` as a mirror: an archive at
    /// `sha256/<hex>`, a Debian lock's packages at their pool paths (so `directory` is also a
    /// Debian mirror for `--debian-mirror file://DIR`). Each file is a read-only copy checked
    /// against its pin; an existing file that already holds the pinned bytes is kept. `blobs`
    /// gives a cache blob's path by its SHA-256. Returns the paths written, in order.
    public static func export(_ sources: [CachedSource], to directory: String, blobs: (String) -> String)
        throws(ReproError) -> [String]
    {
        var written: [String] = []
        for source in sources {
            if source.packages.isEmpty {
                written.append(
                    try copyChecked(
                        source.blobPath, sha256: source.source.sha256, to: directory + "/sha256/" + source.source.sha256
                    ))
            } else {
                for pin in source.packages {
                    written.append(
                        try copyChecked(blobs(pin.sha256), sha256: pin.sha256, to: directory + "/" + pin.path))
                }
            }
        }
        return written
    }

    /// Copies `blob` to `target` (made read-only) and checks the copy against `sha256`; keeps a
    /// target that already holds those bytes.
    static func copyChecked(_ blob: String, sha256 sha: String, to target: String) throws(ReproError) -> String {
        let dir = target.droppingLastPathPart
        if case .failure(let e) = Syscalls.mkdirs(dir) {
            throw .configuration("cannot create \(dir): \(e.text). Give a writable directory with -o.", errno: e.code)
        }
        if Syscalls.exists(target), (try? Hashing.sha256(file: target)) == sha { return target }
        let staging = dir + "/." + target.lastPathPart + ".tmp-" + String(getpid())
        Syscalls.unlink(staging)
        // A copy, not a hard link: whatever is done to the mirror later cannot reach the cache.
        // Read-only from its creation; hashed as it is copied.
        let copied = try NewFile.copy(blob, to: staging, mode: 0o444) { e in
            .configuration(
                "cannot copy \(blob) to \(staging): \(e.text). Give a writable directory with -o.", errno: e.code)
        }
        if case .failure(let e) = Syscalls.chmod(staging, 0o444) {
            Syscalls.unlink(staging)
            throw .configuration(
                "cannot make \(staging) read-only: \(e.text). Give a writable directory with -o.", errno: e.code)
        }
        // The copy must still match the pin (a cache blob may have changed since it was fetched).
        guard copied == sha else {
            Syscalls.unlink(staging)
            throw .verification(
                "the cached \(blob) no longer matches its pin \(sha); run `repro toolchain verify` and fetch it again.")
        }
        if case .failure(let e) = Syscalls.rename(staging, target) {
            Syscalls.unlink(staging)
            throw .configuration("cannot move \(staging) into place at \(target): \(e.text).", errno: e.code)
        }
        return target
    }
}
