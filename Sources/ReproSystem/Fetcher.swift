import Crypto
import Foundation
import ReproCore
#if canImport(Glibc)
import Glibc
#endif

/// Downloads an archive to a file while hashing it: `file://`, `https://`, and `http://` on loopback.
public enum Fetcher {
    /// What a download produced.
    public struct Download: Sendable, Equatable {
        /// The lowercase hex SHA-256 of the bytes written.
        public var sha256: String
        /// The number of bytes written.
        public var size: UInt64
    }

    /// Copies the resource at `url` into the new file `destination`, hashing it on the way.
    /// A transfer that ends before its announced length, an HTTP status other than 200, or an
    /// unreadable file is an error (exit 2); the caller removes `destination`.
    public static func download(_ url: String, to destination: String) throws(ReproError) -> Download {
        if let problem = ToolchainSpec.urlProblem(url) { throw .configuration(problem) }
        guard let parsed = URL(string: url) else { throw .configuration("\"\(url)\" is not a URL.") }
        let outFD: Int32
        switch Syscalls.open(destination, O_WRONLY | O_CREAT | O_EXCL, 0o644) {
        case .success(let fd): outFD = fd
        case .failure(let e):
            throw .configuration("cannot create \(destination): \(e.text). Check that the cache directory is writable.", errno: e.code)
        }
        let out = FileDescriptor(outFD)
        if parsed.scheme?.lowercased() == "file" {
            return try copyFile(parsed.path, to: out.raw, url: url)
        }
        return try fetchHTTP(parsed, to: out.raw, url: url)
    }

    /// Copies a local file to `fd` while hashing.
    private static func copyFile(_ path: String, to fd: Int32, url: String) throws(ReproError) -> Download {
        let inFD: Int32
        switch Syscalls.open(path, O_RDONLY) {
        case .success(let value): inFD = value
        case .failure(let e):
            throw .configuration("cannot read \(url): \(e.text). Check the path in the spec's url.", errno: e.code)
        }
        let input = FileDescriptor(inFD)
        return try copyHashing(from: input.raw, to: fd, url: url)
    }

    /// Copies everything readable from `input` to `fd`, hashing it on the way.
    private static func copyHashing(from input: Int32, to fd: Int32, url: String) throws(ReproError) -> Download {
        var hasher = SHA256()
        var total: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            switch Syscalls.read(input, buffer) {
            case .success(0):
                return Download(sha256: TreeDigest.hex(hasher.finalize()), size: total)
            case .success(let n):
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                hasher.update(bufferPointer: chunk)
                if case .failure(let e) = Syscalls.writeAll(fd, chunk) {
                    throw .configuration("cannot write the download of \(url) into the cache: \(e.text).", errno: e.code)
                }
                total += UInt64(n)
            case .failure(let e):
                throw .configuration("cannot read \(url): \(e.text).", errno: e.code)
            }
        }
    }

    /// Streams an HTTP(S) response body to `fd` while hashing it. The transfer is done by the
    /// `repro-fetch` program beside repro (so the TLS stack is loaded only to download), which
    /// writes the body to a pipe and exits 0 only when the whole body was sent.
    private static func fetchHTTP(_ parsed: URL, to fd: Int32, url: String) throws(ReproError) -> Download {
        let helper = try fetchProgram()
        var download = Download(sha256: "", size: 0)
        let ended = try HostCommand.stream(URL(fileURLWithPath: helper), [url], cannotStart: "cannot run \(helper) to download \(url)",
                                           hint: "Reinstall repro (make install).") { body throws(ReproError) in
            download = try copyHashing(from: body, to: fd, url: url)
        }
        guard ended.exited, ended.status == 0 else {
            let text = ended.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            let why = text.isEmpty ? "repro-fetch ended with status \(ended.status)" : text
            throw .configuration("downloading \(url) failed: \(why). Nothing was cached; check the url in the spec and that the server is reachable, then run the command again.")
        }
        return download
    }

    /// The `repro-fetch` program: `$REPRO_FETCH`, else installed beside repro (`bin/` in a
    /// build, `libexec/repro/` in an installation).
    static func fetchProgram() throws(ReproError) -> String {
        if let path = ProcessInfo.processInfo.environment["REPRO_FETCH"], !path.isEmpty { return path }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let dir = (exe as NSString).deletingLastPathComponent
        let candidates = [dir + "/repro-fetch", dir + "/../libexec/repro/repro-fetch"]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw .configuration("cannot find the repro-fetch program (looked for \(candidates.joined(separator: " and "))); it downloads https:// sources. Reinstall repro (make install), or set REPRO_FETCH to its path.")
    }
}
