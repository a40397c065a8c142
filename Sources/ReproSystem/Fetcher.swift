import Crypto
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// Downloads an archive to a file while hashing it: `file://`, `https://`, and `http://` on loopback.
/// Every download is bounded: it stops as soon as the source has sent more than its limit.
public enum Fetcher {
    /// What a download produced.
    public struct Download: Sendable, Equatable {
        /// The lowercase hex SHA-256 of the bytes written (empty when `exceeded`).
        public var sha256: String
        /// The number of bytes written.
        public var size: UInt64
        /// Whether the source had more than the limit's bytes; the transfer was stopped there and
        /// what was written is to be thrown away.
        public var exceeded: Bool = false
    }

    /// The download limit when neither `--max-download-bytes` nor `$REPRO_MAX_DOWNLOAD_BYTES`
    /// sets one: 8 GiB, above any real toolchain archive, below what fills a typical disk.
    public static let defaultMaxDownloadBytes: UInt64 = 8 << 30

    /// The environment variable that sets the download limit in bytes.
    public static let maxDownloadVariable = "REPRO_MAX_DOWNLOAD_BYTES"

    /// The download limit from `$REPRO_MAX_DOWNLOAD_BYTES` (a whole number of bytes, up to
    /// 18446744073709551615), else ``defaultMaxDownloadBytes``.
    public static func maxDownloadBytes(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ReproError) -> UInt64
    {
        guard let text = environment[maxDownloadVariable], !text.isEmpty else { return defaultMaxDownloadBytes }
        guard text.utf8.allSatisfy({ (48...57).contains($0) }), let value = UInt64(text) else {
            throw .configuration(
                "\(maxDownloadVariable)=\(text) is not a whole number of bytes (0 to \(UInt64.max)). Set it to e.g. \(defaultMaxDownloadBytes) (8 GiB), or unset it for that default."
            )
        }
        return value
    }

    /// Copies the resource at `url` into the new file `destination`, hashing it on the way, and
    /// stops as soon as more than `maxBytes` bytes arrive (the result is then `exceeded`).
    /// A transfer that ends before its announced length, an HTTP status other than 200, or an
    /// unreadable file is an error (exit 2); the caller removes `destination`. With `anyHTTPHost`
    /// (Debian mirrors, whose every file is checked against a pin or signed checksums), `http://`
    /// is accepted for any host, not only loopback.
    public static func download(_ url: String, to destination: String, maxBytes: UInt64, anyHTTPHost: Bool = false)
        throws(ReproError) -> Download
    {
        if let problem = anyHTTPHost ? DebianMirrors.problem(url) : ToolchainSpec.urlProblem(url) {
            throw .configuration(problem)
        }
        guard let parsed = URL(string: url) else { throw .configuration("\"\(url)\" is not a URL.") }
        let out = try FileDescriptor(opening: destination, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644) { e in
            .configuration(
                "cannot create \(destination): \(e.text). Check that the cache directory is writable.", errno: e.code)
        }
        if parsed.scheme?.lowercased() == "file" {
            return try copyFile(parsed.path, to: out.raw, url: url, maxBytes: maxBytes)
        }
        return try fetchHTTP(parsed, to: out.raw, url: url, maxBytes: maxBytes)
    }

    /// Copies a local file to `fd` while hashing.
    private static func copyFile(_ path: String, to fd: Int32, url: String, maxBytes: UInt64) throws(ReproError)
        -> Download
    {
        let input = try FileDescriptor(opening: path, flags: O_RDONLY) { e in
            .configuration("cannot read \(url): \(e.text). Check the path in the spec's url.", errno: e.code)
        }
        return try copyHashing(from: input.raw, to: fd, url: url, maxBytes: maxBytes)
    }

    /// Copies everything readable from `input` to `fd`, hashing it on the way; stops without
    /// writing the rest once more than `maxBytes` bytes were read.
    private static func copyHashing(from input: Int32, to fd: Int32, url: String, maxBytes: UInt64) throws(ReproError)
        -> Download
    {
        var total: UInt64 = 0  // never more than maxBytes
        let result = try Hashing.withBuffer { buffer throws(ReproError) in
            try Hashing.stream(
                input, buffer: buffer,
                readFailed: { e in .configuration("cannot read \(url): \(e.text).", errno: e.code) }
            ) { chunk throws(ReproError) in
                if UInt64(chunk.count) > maxBytes - total { return false }
                if case .failure(let e) = Syscalls.writeAll(fd, chunk) {
                    throw .configuration(
                        "cannot write the download of \(url) into the cache: \(e.text).", errno: e.code)
                }
                total += UInt64(chunk.count)
                return true
            }
        }
        return Download(sha256: result.hex, size: result.size, exceeded: result.stopped)
    }

    /// The exit status with which `repro-fetch` says the body is longer than its limit.
    static let fetchTooLargeStatus: Int32 = 3

    /// Streams an HTTP(S) response body to `fd` while hashing it. The transfer is done by the
    /// `repro-fetch` program beside repro (so the TLS stack is loaded only to download), which
    /// writes the body to a pipe and exits 0 only when the whole body was sent. It is given the
    /// limit too, so that it stops a body announced or sent longer than that at once; repro stops
    /// reading and kills it when more than the limit arrives through the pipe.
    private static func fetchHTTP(_ parsed: URL, to fd: Int32, url: String, maxBytes: UInt64) throws(ReproError)
        -> Download
    {
        let helper = try fetchProgram()
        var download = Download(sha256: "", size: 0)
        let ended: HostCommand.Ended
        do {
            ended = try HostCommand.stream(
                URL(fileURLWithPath: helper), [url, String(maxBytes)],
                cannotStart: "cannot run \(helper) to download \(url)",
                hint: "Reinstall repro (make install)."
            ) { body throws(ReproError) in
                download = try copyHashing(from: body, to: fd, url: url, maxBytes: maxBytes)
                // Stop the transfer now: the error makes `stream` kill repro-fetch.
                if download.exceeded { throw .configuration("the download is longer than its limit") }
            }
        } catch {
            if download.exceeded { return download }
            throw error
        }
        if ended.exited, ended.status == fetchTooLargeStatus {
            return Download(sha256: "", size: download.size, exceeded: true)
        }
        guard ended.exited, ended.status == 0 else {
            let text = ended.stderr.trimmingWhitespace()
            let why = text.isEmpty ? "repro-fetch ended with status \(ended.status)" : text
            throw .configuration(
                "downloading \(url) failed: \(why). Nothing was cached; check the url in the spec and that the server is reachable, then run the command again."
            )
        }
        return download
    }

    /// Whether a pin mismatch may show the actual digest and length of what `url` named.
    ///
    /// Always for `https://` and `http://`, and when the spec file's owner is the user running
    /// repro (the file was read with that user's own rights). Otherwise (root or a CI user running
    /// someone else's spec) only when the spec's owner could have read the `file://` path
    /// themselves: every directory on its real path searchable and the file readable by them
    /// through its owner bits (when they own it) or its other bits; group bits are not counted.
    /// A spec that is not a file (made in code) counts as the running user's.
    static func mayDisclose(_ url: String, specPath: String) -> Bool {
        guard let parsed = URL(string: url), parsed.scheme?.lowercased() == "file" else { return true }
        guard let owner = Syscalls.statFollowingLinks(specPath)?.st_uid, owner != Syscalls.geteuid() else {
            return true
        }
        guard case .success(let real) = Syscalls.realpath(parsed.path) else { return false }
        var directories = ["/"]
        var prefix = ""
        for component in real.split(separator: "/").dropLast() {
            prefix += "/" + component
            directories.append(prefix)
        }
        func allows(_ path: String, _ bits: (owner: mode_t, other: mode_t)) -> Bool {
            guard let entry = Syscalls.lstat(path) else { return false }
            return entry.st_mode & (entry.st_uid == owner ? bits.owner : bits.other) != 0
        }
        return directories.allSatisfy { allows($0, (0o100, 0o001)) } && allows(real, (0o400, 0o004))
    }

    /// The `repro-fetch` program: `$REPRO_FETCH`, else installed beside repro (`bin/` in a
    /// build, `libexec/repro/` in an installation).
    static func fetchProgram() throws(ReproError) -> String {
        if let path = ProcessInfo.processInfo.environment["REPRO_FETCH"], !path.isEmpty { return path }
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let dir = exe.droppingLastPathPart
        let candidates = [dir + "/repro-fetch", dir + "/../libexec/repro/repro-fetch"]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw .configuration(
            "cannot find the repro-fetch program (looked for \(candidates.joined(separator: " and "))); it downloads https:// sources. Reinstall repro (make install), or set REPRO_FETCH to its path."
        )
    }
}
