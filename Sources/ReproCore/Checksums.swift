import FoundationEssentials
import Glibc

/// A checksums file in the format `sha256sum` writes and `sha256sum -c` reads: one line per file,
/// `<64 lowercase hex>  <name>`, names relative to the file's own directory. A name holding a
/// backslash or a newline is written as GNU coreutils does: the line starts with `\`, and in the
/// name `\` is written `\\` and a newline `\n`.
public enum SHA256Sums {
    /// One line: a file name and its SHA-256.
    public struct Entry: Sendable, Equatable {
        /// The name, relative to the checksums file's directory.
        public var name: String
        /// The SHA-256, 64 lowercase hex digits.
        public var sha256: String

        /// Creates an entry.
        public init(name: String, sha256: String) {
            self.name = name
            self.sha256 = sha256
        }
    }

    /// Whether `path` can name a checksums file in the output tree: relative, without empty, `.`
    /// or `..` components, not ending in `/`.
    public static func isValidPath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(0) else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }

    /// The file's text for the regular files of an output tree (`entries`, paths relative to the
    /// tree's root, in any order), written at `path` in that tree: each file by its path relative
    /// to `path`'s directory, sorted by the bytes of that name; the file itself is left out.
    /// Throws (exit 2) when a file lies outside that directory, which the format cannot name
    /// without `..`.
    public static func render(_ entries: [TreeEntry], at path: String) throws(ReproError) -> String {
        let directory = path.split(separator: "/").dropLast().joined(separator: "/")
        var lines: [Entry] = []
        for entry in entries where entry.kind == .file && entry.path != path {
            let name: String
            if directory.isEmpty {
                name = entry.path
            } else if entry.path.hasPrefix(directory + "/") {
                name = String(entry.path.dropFirst(directory.count + 1))
            } else {
                throw .configuration(
                    "the checksums file \(path) names the outputs relative to its own directory, \(directory)/, and the output \(entry.path) is outside it. Put the checksums file where every output is below it (for example checksums = \"SHA256SUMS\"), or narrow build.outputs."
                )
            }
            lines.append(Entry(name: name, sha256: entry.sha256))
        }
        lines.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return lines.map(line).joined()
    }

    /// One line of the file, newline included.
    public static func line(_ entry: Entry) -> String {
        guard entry.name.contains("\\") || entry.name.contains("\n") else {
            return entry.sha256 + "  " + entry.name + "\n"
        }
        let escaped = entry.name.replacingEvery("\\", with: "\\\\").replacingEvery("\n", with: "\\n")
        return "\\" + entry.sha256 + "  " + escaped + "\n"
    }

    /// The entries of a checksums file, in the format `sha256sum -c` reads (text `  ` or binary
    /// ` *` separator, the escaped form, blank lines skipped). Throws (exit 2) naming the first
    /// line that is not of that format, or a name listed twice. `kind` is the kind of that error:
    /// a checksums file repro writes or is handed is input (exit 2), one a manifest certifies
    /// is checked (exit 5).
    public static func parse(_ text: String, path: String, failing kind: ReproError.Kind = .configuration)
        throws(ReproError) -> [Entry]
    {
        var entries: [Entry] = []
        var seen = Set<String>()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.isEmpty { continue }
            func fail(_ why: String) -> ReproError {
                ReproError(
                    kind,
                    "\(path), line \(number + 1): \(why); a SHA256SUMS file has lines of the form '<64 hex digits>  <file name>', as sha256sum writes them.",
                    context: .init(path: path, line: number + 1))
            }
            let escaped = line.hasPrefix("\\")
            if escaped { line = line.dropFirst() }
            let hex = String(line.prefix(64)).lowercased()
            guard Hex.isLowercase(hex, length: 64) else { throw fail("no SHA-256 at the start of the line") }
            line = line.dropFirst(64)
            guard line.hasPrefix("  ") || line.hasPrefix(" *") else { throw fail("no '  ' or ' *' after the SHA-256") }
            var name = String(line.dropFirst(2))
            if escaped {
                guard let unescaped = unescape(name) else {
                    throw fail("a '\\' in the name that is not '\\\\' or '\\n'")
                }
                name = unescaped
            }
            guard !name.isEmpty else { throw fail("no file name") }
            guard seen.insert(name).inserted else { throw fail("\(name) is listed a second time") }
            entries.append(Entry(name: name, sha256: hex))
        }
        return entries
    }

    private static func unescape(_ name: String) -> String? {
        var result = ""
        var iterator = name.makeIterator()
        while let c = iterator.next() {
            guard c == "\\" else {
                result.append(c)
                continue
            }
            switch iterator.next() {
            case "\\": result.append("\\")
            case "n": result.append("\n")
            default: return nil
            }
        }
        return result
    }

    /// Checks a checksums file against a manifest's subjects: `data` must be the bytes of a
    /// subject (the file is certified), and every line must name, relative to that subject's
    /// directory, a subject with the same SHA-256. Returns the certified checksums file's subject
    /// name and the entries; throws (exit 5) naming what does not hold.
    public static func certified(_ data: Data, sha256: String, path: String, subjects: [Subject]) throws(ReproError)
        -> (subject: String, entries: [Entry])
    {
        guard let own = subjects.first(where: { $0.sha256 == sha256 }) else {
            throw .verification(
                "the checksums file \(path) (SHA-256 \(sha256)) is not one of the manifest's subjects: it is not the checksums file this manifest certifies. Use the SHA256SUMS published with the manifest, or check the artifacts with --artifacts DIR."
            )
        }
        let text = String(decoding: data, as: UTF8.self)
        let entries = try parse(text, path: path, failing: .verification)
        let directory = own.name.split(separator: "/").dropLast().joined(separator: "/")
        let byName = Dictionary(subjects.map { ($0.name, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        for entry in entries {
            let name = directory.isEmpty ? entry.name : directory + "/" + entry.name
            switch byName[name] {
            case nil: problems.append("\(entry.name) is not a subject (\(name))")
            case let hash? where hash != entry.sha256:
                problems.append("\(entry.name) has SHA-256 \(entry.sha256) in the list, the manifest says \(hash)")
            default: break
            }
        }
        if !problems.isEmpty {
            throw .verification(
                "the checksums file \(path) disagrees with the manifest's subjects: " + problems.joined(separator: "; ")
            )
        }
        return (own.name, entries)
    }
}
