// repro-fetch URL [MAX_BYTES]: writes the body of an HTTP(S) resource to stdout.
//
// repro runs this small program for `https://` (and loopback `http://`) toolchain sources, so that
// the TLS and HTTP stack (FoundationNetworking, libcurl and its libraries) is loaded only when
// something is downloaded, not at every start of repro. repro hashes and stores what this
// program writes; this program only transfers it.
//
// With MAX_BYTES, a body announced (Content-Length) or sent longer than that many bytes is stopped
// at once (the program exits): nothing past the chunk that crossed the limit is written, and the
// exit status is 3.
//
// Exit status: 0 when the whole body was written; 1 with one line on stderr (the HTTP status, a
// transfer cut short, a network error) otherwise; 2 for usage; 3 the body is longer than MAX_BYTES.
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// What went wrong with a transfer, in words that say what happened, never Foundation's "The
/// operation could not be completed" sentence.
func describe(_ error: Error) -> String {
    if let url = error as? URLError {
        switch url.code {
        case .cannotFindHost, .dnsLookupFailed: return "the host name could not be resolved"
        case .cannotConnectToHost: return "the server refused the connection"
        case .timedOut: return "the connection timed out"
        case .networkConnectionLost: return "the connection was lost"
        case .notConnectedToInternet: return "there is no network connection"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return "the TLS connection failed (check the server's certificate and the system's CA certificates)"
        case .badServerResponse: return "the server's response was not valid HTTP"
        case .unsupportedURL, .badURL: return "the URL is not supported"
        case .httpTooManyRedirects: return "the server redirected too many times"
        default: break
        }
    }
    let ns = error as NSError
    let text = ns.localizedDescription
    if text.hasPrefix("The operation could not be completed") || text.hasPrefix("The operation couldn’t be completed") {
        return "\(ns.domain) error \(ns.code)"
    }
    return text
}

/// Receives a response body chunk by chunk and writes each to stdout; signals `done` at the end.
final class StreamingSink: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    var received: Int64 = 0
    var expected: Int64 = -1
    var status: Int?
    var writeFailed = false
    var error: Error?
    let done = DispatchSemaphore(value: 0)
    /// The most body bytes accepted.
    let limit: UInt64

    init(limit: UInt64) { self.limit = limit }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        status = (response as? HTTPURLResponse)?.statusCode
        expected = response.expectedContentLength
        // Exit rather than cancel: a cancelled transfer is not stopped at once, and the server
        // may go on sending for as long as it likes.
        if status == 200, expected > 0, UInt64(expected) > limit {
            fail("the server announced \(expected) bytes, more than the limit of \(limit)", status: 3)
        }
        completionHandler(status == 200 ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard !writeFailed else { return }
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(1, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    writeFailed = true
                    dataTask.cancel()
                    return
                }
                offset += n
            }
        }
        received += Int64(data.count)
        if UInt64(received) > limit {
            fail("the server sent more than the limit of \(limit) bytes", status: 3)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        self.error = error
        done.signal()
    }
}

/// Writes `message` to stderr and ends the program at once, from any thread (nothing is buffered:
/// stdout is written with write(2)).
func fail(_ message: String, status: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    _exit(status)
}

let arguments = CommandLine.arguments
let limit = arguments.count == 3 ? UInt64(arguments[2]) : UInt64.max
guard arguments.count == 2 || arguments.count == 3, let limit, let url = URL(string: arguments[1]),
    ["https", "http"].contains(url.scheme?.lowercased() ?? "")
else {
    fail(
        "usage: repro-fetch URL [MAX_BYTES] (https:// or http://); repro runs this program to download toolchain archives",
        status: 2)
}
signal(SIGPIPE, SIG_IGN)
let sink = StreamingSink(limit: limit)
let queue = OperationQueue()
queue.maxConcurrentOperationCount = 1
let configuration = URLSessionConfiguration.ephemeral
configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
configuration.urlCache = nil
configuration.timeoutIntervalForRequest = 60
let session = URLSession(configuration: configuration, delegate: sink, delegateQueue: queue)
session.dataTask(with: url).resume()
sink.done.wait()
session.finishTasksAndInvalidate()
if sink.writeFailed { fail("writing the download failed: \(String(cString: strerror(errno)))") }
if let status = sink.status, status != 200 {
    fail("the server answered with HTTP status \(status)")
}
if let error = sink.error {
    let cut = sink.expected > 0 && sink.received < sink.expected
    fail(
        cut
            ? "the download was cut short after \(sink.received) of \(sink.expected) bytes: \(describe(error))"
            : "the download failed: \(describe(error))")
}
if sink.expected >= 0 && sink.received != sink.expected {
    fail("the download was cut short after \(sink.received) of \(sink.expected) bytes")
}
exit(0)
