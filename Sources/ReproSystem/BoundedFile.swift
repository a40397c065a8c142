import FoundationEssentials
import Glibc
import ReproCore

/// Reads an untrusted file (a manifest bundle) in chunks, never more than a limit.
///
/// A regular file larger than the limit is refused by its size before a byte is read; a pipe or
/// device is refused once the limit is passed, by the line reader that consumes the chunks.
public final class BoundedFileReader {
    /// The size of one read.
    public static let chunkBytes = 1 << 20

    private let fd: FileDescriptor
    private let path: String
    private let limit: Int
    private let tooLarge: ReproError

    /// Opens `path` for reading (open(2), fstat(2)). A file that cannot be opened, or is a
    /// directory, is an input error (exit 2); a regular file of more than `limit` bytes throws
    /// `tooLarge`.
    public init(path: String, limit: Int, tooLarge: ReproError) throws(ReproError) {
        fd = try FileDescriptor(opening: path, flags: O_RDONLY) { e in
            .configuration(
                "cannot read the bundle \(path): \(e.text); check the path and its permissions", errno: e.code,
                context: .init(path: path))
        }
        self.path = path
        self.limit = limit
        self.tooLarge = tooLarge
        switch Syscalls.fstat(fd.raw) {
        case .success(let st):
            if st.st_mode & S_IFMT == S_IFDIR {
                throw .configuration(
                    "cannot read the bundle \(path): it is a directory; pass the .intoto.jsonl file",
                    context: .init(path: path))
            }
            if st.st_mode & S_IFMT == S_IFREG, st.st_size > off_t(limit) { throw tooLarge }
        case .failure(let e):
            throw .configuration("cannot read the bundle \(path): \(e.text)", errno: e.code, context: .init(path: path))
        }
    }

    /// A whole bundle, read up to the manifest size limit: `tooLarge` once more than `limit` bytes
    /// arrive, from a pipe or a device as from a growing file, so that nothing is held past it.
    public static func bundle(at path: String) throws(ReproError) -> Data {
        let limits = Manifest.Limits.standard
        let reader = try BoundedFileReader(path: path, limit: limits.bytes, tooLarge: limits.tooLarge)
        var data = Data()
        while true {
            let chunk = try reader.next()
            if chunk.isEmpty { return data }
            guard chunk.count <= reader.limit - data.count else { throw reader.tooLarge }
            data.append(chunk)
        }
    }

    /// The next chunk of at most ``chunkBytes`` bytes (read(2)), empty at the end of the file.
    public func next() throws(ReproError) -> Data {
        var chunk = Data(count: BoundedFileReader.chunkBytes)
        let result = chunk.withUnsafeMutableBytes { Syscalls.read(fd.raw, $0) }
        switch result {
        case .success(let n):
            chunk.count = n
            return chunk
        case .failure(let e):
            throw .configuration("cannot read the bundle \(path): \(e.text)", errno: e.code, context: .init(path: path))
        }
    }
}
