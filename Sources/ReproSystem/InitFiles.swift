import Glibc
import ReproCore

/// The files `repro init` writes in a project: its `repro.toml` and the `.repro/` line of its
/// `.gitignore`, each replaced whole (``AtomicFile``), so that a full disk or a crash leaves the
/// earlier file or the new one, never a part of one.
public enum InitFiles {
    /// The largest `.gitignore` that `repro init --gitignore` reads to add its line.
    public static let maxIgnoreBytes = 16 << 20

    /// Whether something is at `path`, following a final symlink (stat(2)): the `repro.toml` that
    /// `repro init` does not replace without `--force`.
    public static func exists(_ path: String) -> Bool { Syscalls.statFollowingLinks(path) != nil }

    /// Writes `text` as the `repro.toml` at `path` in the project `directory`, replacing one that
    /// is there (keeping its permission bits). Exit 2 when it cannot be written; nothing of the new
    /// file is left then.
    public static func writeConfig(_ text: String, at path: String, directory: String) throws(ReproError) {
        try AtomicFile.write(Array(text.utf8), to: path, mode: permissions(path)) { e in
            .configuration(
                "cannot write \(path): \(e.text). Check that \(directory) exists and is writable.", errno: e.code)
        }
    }

    /// The `.gitignore` at `path` as bytes (empty when there is none). Exit 2 when it exists but
    /// cannot be read, is larger than ``maxIgnoreBytes``, or is not a regular file: a symlink
    /// could name a file outside the project (whose bytes would be copied into it) and a FIFO
    /// would never end. It is never replaced by one that lost its lines.
    public static func readIgnore(_ path: String) throws(ReproError) -> [UInt8] {
        guard let info = Syscalls.lstat(path) else { return [] }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let what = info.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "not a regular file"
            throw .configuration(
                "\(path) is \(what); repro reads only a regular .gitignore. Add the line .repro/ to it yourself.",
                context: .init(path: path))
        }
        let read = try Hashing.contents(path, limit: maxIgnoreBytes) { e in
            .configuration("cannot read \(path): \(e.text). Add the line .repro/ to it yourself.", errno: e.code)
        }
        guard read.bytes.count <= maxIgnoreBytes else {
            throw .configuration(
                "\(path) is larger than the \(maxIgnoreBytes) bytes repro reads. Add the line .repro/ to it yourself.")
        }
        return read.bytes
    }

    /// Replaces the `.gitignore` at `path` with `bytes` (keeping its permission bits). Exit 2 when
    /// it cannot be written; the earlier file stays as it was then.
    public static func writeIgnore(_ bytes: [UInt8], at path: String) throws(ReproError) {
        try AtomicFile.write(bytes, to: path, mode: permissions(path)) { e in
            .configuration("cannot write \(path): \(e.text). Add the line .repro/ to it yourself.", errno: e.code)
        }
    }

    /// The permission bits of the file at `path` (following a symlink), nil when there is none.
    private static func permissions(_ path: String) -> mode_t? {
        guard let info = Syscalls.statFollowingLinks(path), info.st_mode & S_IFMT == S_IFREG else { return nil }
        return info.st_mode & 0o777
    }
}
