import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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
        switch Sys.open(destination, O_WRONLY | O_CREAT | O_EXCL, 0o644) {
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
        switch Sys.open(path, O_RDONLY) {
        case .success(let value): inFD = value
        case .failure(let e):
            throw .configuration("cannot read \(url): \(e.text). Check the path in the spec's url.", errno: e.code)
        }
        let input = FileDescriptor(inFD)
        var hasher = SHA256()
        var total: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            switch Sys.read(input.raw, buffer) {
            case .success(0):
                return Download(sha256: TreeDigest.hex(hasher.finalize()), size: total)
            case .success(let n):
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                hasher.update(bufferPointer: chunk)
                if case .failure(let e) = Sys.writeAll(fd, chunk) {
                    throw .configuration("cannot write the download of \(url) into the cache: \(e.text).", errno: e.code)
                }
                total += UInt64(n)
            case .failure(let e):
                throw .configuration("cannot read \(url): \(e.text).", errno: e.code)
            }
        }
    }

    /// Streams an HTTP(S) response body to `fd` while hashing.
    private static func fetchHTTP(_ parsed: URL, to fd: Int32, url: String) throws(ReproError) -> Download {
        let sink = StreamingSink(fd: fd)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.timeoutIntervalForRequest = 60
        let session = URLSession(configuration: configuration, delegate: sink, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: parsed).resume()
        sink.done.wait()
        if let e = sink.writeError {
            throw .configuration("cannot write the download of \(url) into the cache: \(e.text).", errno: e.code)
        }
        if let status = sink.status, status != 200 {
            throw .configuration("downloading \(url) failed with HTTP status \(status). Check the url in the spec and that the server has the file.")
        }
        if let error = sink.error {
            let cut = sink.expected > 0 && Int64(sink.received) < sink.expected
            let what = cut ? "the download was cut short after \(sink.received) of \(sink.expected) bytes" : "the download failed"
            throw .configuration("\(what) (\(url)): \(error.localizedDescription). Nothing was cached; run the command again when the server is reachable.")
        }
        if sink.expected >= 0 && Int64(sink.received) != sink.expected {
            throw .configuration("the download was cut short after \(sink.received) of \(sink.expected) bytes (\(url)). Nothing was cached; run the command again.")
        }
        return Download(sha256: TreeDigest.hex(sink.hasher.finalize()), size: sink.received)
    }
}

/// Receives a response body chunk by chunk, writing and hashing each; signals `done` at the end.
private final class StreamingSink: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let fd: Int32
    var hasher = SHA256()
    var received: UInt64 = 0
    var expected: Int64 = -1
    var status: Int?
    var writeError: Sys.Errno?
    var error: Error?
    let done = DispatchSemaphore(value: 0)

    init(fd: Int32) { self.fd = fd }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        status = (response as? HTTPURLResponse)?.statusCode
        expected = response.expectedContentLength
        completionHandler(status == 200 ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard writeError == nil else { return }
        data.withUnsafeBytes { bytes in
            hasher.update(bufferPointer: bytes)
            if case .failure(let e) = Sys.writeAll(fd, bytes) {
                writeError = e
                dataTask.cancel()
            }
        }
        received += UInt64(data.count)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        self.error = error
        done.signal()
    }
}
