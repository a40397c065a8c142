import Crypto
import FoundationEssentials
import Glibc

/// One entry of a directory tree, as the tree digest sees it.
public struct TreeEntry: Sendable, Hashable, Codable {
    /// What an entry is. Devices, fifos and sockets have no kind: trees never contain them.
    public enum Kind: String, Sendable, Codable {
        /// A regular file.
        case file
        /// A directory.
        case directory
        /// A symbolic link (never followed).
        case symlink
    }

    /// The path relative to the tree's root, `/`-separated, without a leading `./` or `/`.
    public var path: String
    /// The entry's kind.
    public var kind: Kind
    /// For files: whether any execute bit (0o111) is set. False for directories and symlinks.
    public var executable: Bool
    /// For files: the size in bytes. 0 otherwise.
    public var size: UInt64
    /// For files: the SHA-256 of the contents; for symlinks: of the target's bytes; empty for directories.
    public var sha256: String
    /// For symlinks: the target, as stored (not resolved). Empty otherwise.
    public var target: String

    /// Creates an entry from its parts.
    public init(
        path: String, kind: Kind, executable: Bool = false, size: UInt64 = 0, sha256: String = "", target: String = ""
    ) {
        self.path = path
        self.kind = kind
        self.executable = executable
        self.size = size
        self.sha256 = sha256
        self.target = target
    }

    /// A directory entry.
    public static func directory(_ path: String) -> TreeEntry { TreeEntry(path: path, kind: .directory) }

    /// A file entry with the given contents.
    public static func file(_ path: String, contents: some DataProtocol, executable: Bool = false) -> TreeEntry {
        TreeEntry(
            path: path, kind: .file, executable: executable, size: UInt64(contents.count),
            sha256: TreeDigest.hex(SHA256.hash(data: contents)))
    }

    /// A symlink entry pointing at `target`.
    public static func symlink(_ path: String, target: String) -> TreeEntry {
        TreeEntry(
            path: path, kind: .symlink, sha256: TreeDigest.hex(SHA256.hash(data: Data(target.utf8))), target: target)
    }
}

/// The versioned digest of a directory tree, `t1:<64 hex>`.
///
/// Algorithm `t1`, precise enough to redo in a shell:
/// 1. List every entry below the root (not the root itself), without following symlinks, as its
///    path relative to the root (`a/b/c`, no leading `./`). Paths must be valid UTF-8 and must not
///    contain a newline. Only regular files, directories and symlinks may occur.
/// 2. Sort the paths by their bytes (what `LC_ALL=C sort` does).
/// 3. For each path write one line `<type> <hex> <path>\n` where
///    - a regular file with no execute bit is `f`, with any of the bits 0o111 set is `x`, and
///      `<hex>` is the lowercase SHA-256 of its contents;
///    - a symlink is `l` and `<hex>` is the SHA-256 of the target string's bytes (no newline);
///    - a directory is `d` and `<hex>` is a single `-`.
/// 4. The digest is `t1:` followed by the lowercase SHA-256 of all lines concatenated.
///
/// Owners, times, other mode bits, hard links and extended attributes do not count. An empty tree is
/// `t1:` + SHA-256 of the empty string. In shell (GNU find, coreutils), from inside the root:
/// ```
/// find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | while IFS= read -r p; do
///   if [ -L "$p" ]; then printf 'l %s %s\n' "$(printf %s "$(readlink -- "$p")" | sha256sum | cut -c1-64)" "$p"
///   elif [ -d "$p" ]; then printf 'd - %s\n' "$p"
///   elif [ -n "$(find "$p" -maxdepth 0 -perm /111)" ]; then printf 'x %s %s\n' "$(sha256sum < "$p" | cut -c1-64)" "$p"
///   else printf 'f %s %s\n' "$(sha256sum < "$p" | cut -c1-64)" "$p"; fi
/// done | sha256sum | sed 's/^/t1:/; s/ .*//'
/// ```
public enum TreeDigest {
    /// The version prefix of digests made by this algorithm.
    public static let prefix = "t1:"

    /// The digest of `entries`, in any order. Throws if a path is empty, absolute, has `.`/`..`
    /// components, contains a newline, or occurs twice.
    public static func digest(_ entries: [TreeEntry]) throws(ReproError) -> String {
        let text = try lines(entries)
        return prefix + hex(SHA256.hash(data: Data(text.utf8)))
    }

    /// The digest of the already-made line text of ``lines(_:)``.
    public static func digest(lines text: some DataProtocol) -> String {
        prefix + hex(SHA256.hash(data: text))
    }

    /// The bytes the digest hashes: one line per entry, sorted by path bytes.
    public static func lines(_ entries: [TreeEntry]) throws(ReproError) -> String {
        let sorted = sortedByPath(entries)
        var text = ""
        text.reserveCapacity(sorted.count * 90)
        var previous: String? = nil
        for entry in sorted {
            if let problem = pathProblem(entry.path) {
                throw .configuration("cannot digest tree entry \"\(entry.path)\": \(problem)")
            }
            if previous == entry.path {
                throw .configuration("cannot digest tree: the path \"\(entry.path)\" occurs twice")
            }
            previous = entry.path
            text += line(entry)
        }
        return text
    }

    /// The line of one entry, with its newline.
    public static func line(_ entry: TreeEntry) -> String {
        switch entry.kind {
        case .directory: return "d - \(entry.path)\n"
        case .symlink: return "l \(entry.sha256) \(entry.path)\n"
        case .file: return "\(entry.executable ? "x" : "f") \(entry.sha256) \(entry.path)\n"
        }
    }

    /// Sorts entries by the bytes of their paths (not by Swift's `String` order).
    public static func sortedByPath(_ entries: [TreeEntry]) -> [TreeEntry] {
        entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// Why `path` cannot be a tree entry path, or nil when it can.
    public static func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        if path.hasPrefix("/") { return "the path is absolute" }
        if path.contains("\n") { return "the path contains a newline, which the t1 tree digest cannot represent" }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." || component == ".." {
                return "the path has an empty, \".\" or \"..\" component"
            }
        }
        return nil
    }

    /// Lowercase hex of a digest.
    public static func hex(_ digest: some Sequence<UInt8>) -> String { Hex.encode(digest) }

    /// The paths whose lines differ between two line texts of ``lines(_:)``: changed, added, removed.
    public static func differences(recorded: String, actual: String) -> [String] {
        func table(_ text: String) -> [Substring: Substring] {
            var result = [Substring: Substring]()
            for line in text.split(separator: "\n") {
                guard let first = line.firstIndex(of: " "),
                    let second = line[line.index(after: first)...].firstIndex(of: " ")
                else { continue }
                result[line[line.index(after: second)...]] = line[..<second]
            }
            return result
        }
        let old = table(recorded), new = table(actual)
        var changed = [String]()
        for (path, head) in old where new[path] != head { changed.append(String(path)) }
        for path in new.keys where old[path] == nil { changed.append(String(path)) }
        return changed.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// A path compared and hashed by its bytes: Swift's `String` equality holds two spellings of one
/// name in different Unicode normalizations equal, which must not make a new output look like a
/// source file, or a tree with other names look like the certified one.
public struct PathKey: Hashable, Sendable {
    /// The UTF-8 bytes.
    public let bytes: [UInt8]
    /// The key of `path`.
    public init(_ path: String) { bytes = Array(path.utf8) }
    /// The key of a path given as bytes.
    public init(bytes: [UInt8]) { self.bytes = bytes }
}
