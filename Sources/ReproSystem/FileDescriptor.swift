import Glibc
import ReproCore

/// Owns one open file descriptor and closes it exactly once (when consumed or at the end of its life).
struct FileDescriptor: ~Copyable {
    /// The descriptor number.
    let raw: Int32

    /// Takes ownership of `raw`.
    init(_ raw: Int32) { self.raw = raw }

    /// Opens `path` (open(2), close-on-exec) for the sandbox: a failure means the sandbox cannot
    /// be set up (exit 4).
    init(opening path: String, flags: Int32) throws(ReproError) {
        try self.init(opening: path, flags: flags) { e in .sandbox("opening \(path) failed: \(e).", errno: e.code) }
    }

    /// Opens `path` (open(2), close-on-exec, created with `mode` under `O_CREAT`); a failure is
    /// thrown as `failure` says, which names what it means for the caller (and so its exit status).
    init(opening path: String, flags: Int32, mode: mode_t = 0, failure: (Errno) -> ReproError) throws(ReproError) {
        switch Syscalls.open(path, flags, mode) {
        case .success(let fd): raw = fd
        case .failure(let e): throw failure(e)
        }
    }

    /// Opens `name` in the open directory `directory` (openat(2), close-on-exec); a failure is
    /// thrown as `failure` says.
    init(
        openingAt directory: Int32, _ name: String, flags: Int32, mode: mode_t = 0,
        failure: (Errno) -> ReproError
    ) throws(ReproError) {
        switch Syscalls.openat(directory, name, flags, mode) {
        case .success(let fd): raw = fd
        case .failure(let e): throw failure(e)
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
