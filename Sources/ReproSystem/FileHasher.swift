import Crypto
import Foundation
import ReproCore

/// Streams a file descriptor through SHA-256, optionally copying the bytes to another one.
struct FileHasher {
    private var hash = SHA256()

    /// Reads `fd` to its end, hashing every byte and writing it to `copyTo` when given.
    mutating func consume(fd: Int32, copyTo: Int32?, path: String) throws(ReproError) {
        let size = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw .configuration("cannot read \(path): \(String(cString: strerror(errno))).")
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hash.update(bufferPointer: chunk)
            if let copyTo {
                var offset = 0
                while offset < n {
                    let w = write(copyTo, chunk.baseAddress! + offset, n - offset)
                    if w < 0 {
                        if errno == EINTR { continue }
                        throw .configuration("cannot write a copy of \(path): \(String(cString: strerror(errno))).")
                    }
                    offset += w
                }
            }
        }
    }

    /// The lowercase hex digest.
    func finalize() -> String {
        hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
