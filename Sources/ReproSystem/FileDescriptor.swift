import Glibc
import ReproCore

/// Owns one open file descriptor and closes it exactly once (when consumed or at the end of its life).
struct FileDescriptor: ~Copyable {
    /// The descriptor number.
    let raw: Int32

    /// Takes ownership of `raw`.
    init(_ raw: Int32) { self.raw = raw }

    /// Opens `path` (open(2), close-on-exec).
    init(opening path: String, flags: Int32) throws(ReproError) {
        switch Syscalls.open(path, flags) {
        case .success(let fd): raw = fd
        case .failure(let e): throw .sandbox("opening \(path) failed: \(e).", errno: e.code)
        }
    }

    /// A new anonymous memory file (memfd_create(2), close-on-exec).
    init(memfd name: String) throws(ReproError) {
        switch Syscalls.memfdCreate(name) {
        case .success(let fd): raw = fd
        case .failure(let e): throw .sandbox("memfd_create failed: \(e).", errno: e.code)
        }
    }

    /// Closes the descriptor now (close(2)).
    consuming func close() {
        Syscalls.close(raw)
        discard self
    }

    /// Gives up ownership without closing; the caller closes the returned number.
    consuming func release() -> Int32 {
        let r = raw
        discard self
        return r
    }

    deinit { Syscalls.close(raw) }
}

/// The two ends of a pipe, each owned.
struct OwnedPipe: ~Copyable {
    /// The read end.
    var read: FileDescriptor
    /// The write end.
    var write: FileDescriptor

    /// A new pipe (pipe2(2), close-on-exec).
    init() throws(ReproError) {
        switch Syscalls.pipe() {
        case .success(let (r, w)):
            read = FileDescriptor(r)
            write = FileDescriptor(w)
        case .failure(let e): throw .sandbox("pipe failed: \(e).", errno: e.code)
        }
    }
}
