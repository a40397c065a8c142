import Crypto
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// Writes a run's checksums file (``SHA256Sums``) into its collected output tree, so that the
/// file is one of the outputs: in every run's tree digest, a subject of the manifest, placed and
/// verified with the rest.
public enum ChecksumsFile {
    /// Writes the checksums of `listing`'s files at `path` below `root` (mode 0644), creating the
    /// directories on the way, and returns the tree's new listing. Throws (exit 2) when the build
    /// itself left something at `path`, or something other than a directory on the way to it.
    static func add(_ path: String, to root: String, listing: TreeListing) throws(ReproError) -> TreeListing {
        let text = try SHA256Sums.render(listing.entries, at: path)
        let kinds = Dictionary(listing.entries.map { ($0.path, $0.kind) }, uniquingKeysWith: { a, _ in a })
        if kinds[path] != nil {
            throw .configuration(
                "the build produced \(path) itself, where repro is to write the checksums file (--checksums or build.checksums). Name another file for the checksums."
            )
        }
        var parts = path.split(separator: "/").map(String.init)
        let name = parts.removeLast()
        // Directory by directory from the tree's root, never following a symbolic link: the tree
        // holds what the build made, and its links must not lead the write out of it.
        var current = try FileDescriptor(opening: root, flags: O_RDONLY | O_DIRECTORY) { e in
            .configuration("cannot open the output tree \(root): \(e.text).", errno: e.code)
        }
        var walked = ""
        for part in parts {
            walked += walked.isEmpty ? part : "/" + part
            if let kind = kinds[walked], kind != .directory {
                throw .configuration(
                    "the build produced \(walked) as a \(kind.rawValue), where the checksums file \(path) needs a directory. Name another place for the checksums."
                )
            }
            // A later run's tree holds only what differs from run 1's, so a listed directory may
            // be absent from it.
            if case .failure(let e) = Syscalls.mkdirat(current.raw, part, 0o755), e.code != EEXIST {
                throw .configuration("cannot create \(walked) for the checksums file: \(e.text).", errno: e.code)
            }
            current = try FileDescriptor(openingAt: current.raw, part, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
                e in
                .configuration("cannot open \(walked) for the checksums file: \(e.text).", errno: e.code)
            }
        }
        func writeFailed(_ e: Errno) -> ReproError {
            .configuration("cannot write the checksums file \(path): \(e.text).", errno: e.code)
        }
        let file = try FileDescriptor(
            openingAt: current.raw, name, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644,
            failure: writeFailed)
        // A file that could not be written whole is not left in the tree (a disk that filled up).
        if case .failure(let e) = Syscalls.writeAll(file.raw, Array(text.utf8)).flatMap({
            Syscalls.fchmod(file.raw, 0o644).map { _ in }
        }) {
            Syscalls.unlinkat(current.raw, name, 0)
            throw writeFailed(e)
        }
        // The listing with the file and the directories made for it, digested again from its
        // entries (not by walking `root`, which for a later run holds only what differs).
        var entries = listing.entries
        var made = ""
        for part in parts {
            made += made.isEmpty ? part : "/" + part
            if kinds[made] == nil { entries.append(.directory(made)) }
        }
        entries.append(.file(path, contents: Data(text.utf8)))
        return try TreeWalker.listing(of: entries)
    }
}

extension ChecksumsFile {
    /// The largest checksums file `repro verify --checksums` reads.
    public static let maxBytes = 16 << 20

    /// `repro verify --checksums FILE`: FILE must be the checksums file the manifest certifies
    /// (its bytes are a subject, and every line agrees with the subjects), and every file it lists,
    /// found relative to FILE's directory as `sha256sum -c` finds them, must have the listed
    /// SHA-256. Returns the subject FILE is and the check of the listed files (exit 5 on a
    /// mismatch, named; exit 2 when FILE or its directory cannot be read).
    public static func verify(_ path: String, subjects: [Subject]) throws(ReproError) -> (
        subject: String, files: ArtifactsReport
    ) {
        guard let info = Syscalls.lstat(path), info.st_mode & S_IFMT == S_IFREG else {
            throw .configuration("cannot read the checksums file \(path): it does not exist or is not a regular file.")
        }
        func tooLarge(_ size: Int) -> ReproError {
            .configuration(
                "the checksums file \(path) is \(size) bytes, more than the \(maxBytes) repro reads; it is not a SHA256SUMS file repro wrote."
            )
        }
        let size = Int(info.st_size)
        guard size <= maxBytes else { throw tooLarge(size) }
        // Read as it was found (never through a link swapped in since), and never more than the
        // limit even if it grew meanwhile.
        let read = try Hashing.contents(path, flags: O_RDONLY | O_NOFOLLOW, limit: maxBytes) { e in
            .configuration("cannot read the checksums file \(path). Check that it is readable.", errno: e.code)
        }
        guard read.bytes.count <= maxBytes else { throw tooLarge(read.bytes.count) }
        let data = Data(read.bytes)
        let digest = read.sha256
        let (subject, entries) = try SHA256Sums.certified(data, sha256: digest, path: path, subjects: subjects)
        let directory = path.droppingLastPathPart
        let files = try Verifier.compareSubjects(
            entries.map { Subject(name: $0.name, sha256: $0.sha256) },
            in: directory.isEmpty ? "." : directory)
        return (subject, files)
    }
}
