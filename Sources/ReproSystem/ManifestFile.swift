import FoundationEssentials
import ReproCore

extension Manifest {
    /// Writes the bundle to `path` atomically (``AtomicFile``: a temporary file beside it, flushed
    /// and renamed into place), so a reader never sees half a manifest; an existing file is
    /// replaced. A failure (exit 2, with its errno) leaves no new file and no temporary file.
    public func write(toFile path: String) throws(ReproError) {
        try AtomicFile.write(Array(data), to: path) { e in
            .configuration(
                "cannot write the manifest \(path): \(e.text); check that its directory exists and is writable",
                errno: e.code)
        }
    }
}
