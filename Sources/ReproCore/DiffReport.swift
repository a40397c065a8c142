import FoundationEssentials
import Glibc

/// The bounds every explanation of a difference keeps to (docs/diff.md, "Limits").
///
/// Two outputs of a build are hostile input: an archive can nest without end, decompress to
/// terabytes or hold millions of members, and a text diff can be as long as the files. Each bound
/// is explicit, and what it cut is said in ``FileExplanation/truncated``.
public struct DiffLimits: Codable, Sendable, Equatable {
    /// How many containers deep to open (a `.tar.gz` inside a `.deb` is depth 2); 0 opens none.
    public var maxDepth: Int
    /// How many bytes of each side are read in all, per file given, including decompressed
    /// and nested contents; reading stops there.
    public var maxBytes: Int
    /// How many bytes of one container member are held in memory to look inside it; larger
    /// members are hashed as they stream and compared by digest only.
    public var maxMemberBytes: Int
    /// How many members of one container are compared.
    public var maxEntries: Int
    /// How many lines the human output and each unified diff hold.
    public var maxLines: Int
    /// How many findings one file's explanation holds.
    public var maxFindings: Int
    /// How many differing files are explained (the rest are listed without explanation).
    public var maxFiles: Int
    /// Wall-clock seconds for the whole explanation; what is left is reported unexplained.
    public var maxSeconds: Double

    /// The defaults of `repro diff` and `repro check`.
    public static let standard = DiffLimits(
        maxDepth: 4, maxBytes: 256 << 20, maxMemberBytes: 16 << 20, maxEntries: 10_000,
        maxLines: 300, maxFindings: 40, maxFiles: 100, maxSeconds: 20)

    /// The limits of the explanation a failed `repro check` includes for every differing file:
    /// fewer findings and lines per file, so that the report and the signed statement stay small.
    public static let check = DiffLimits(
        maxDepth: 4, maxBytes: 256 << 20, maxMemberBytes: 16 << 20, maxEntries: 10_000,
        maxLines: 40, maxFindings: 10, maxFiles: 50, maxSeconds: 30)

    /// Creates limits.
    public init(
        maxDepth: Int, maxBytes: Int, maxMemberBytes: Int, maxEntries: Int, maxLines: Int, maxFindings: Int,
        maxFiles: Int, maxSeconds: Double
    ) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.maxMemberBytes = maxMemberBytes
        self.maxEntries = maxEntries
        self.maxLines = maxLines
        self.maxFindings = maxFindings
        self.maxFiles = maxFiles
        self.maxSeconds = maxSeconds
    }

    enum CodingKeys: String, CodingKey {
        case maxDepth = "max_depth"
        case maxBytes = "max_bytes"
        case maxMemberBytes = "max_member_bytes"
        case maxEntries = "max_entries"
        case maxLines = "max_lines"
        case maxFindings = "max_findings"
        case maxFiles = "max_files"
        case maxSeconds = "max_seconds"
    }
}

/// Why a region differs: the class of nondeterminism it most likely comes from.
public enum DiffCause: String, Codable, Sendable, CaseIterable {
    /// A time: a clock reading, a file's modification time, an archive header's date.
    case timestamp
    /// An absolute build directory or a temporary file name.
    case buildPath = "build-path"
    /// The host name, a user or group name, a uid or gid.
    case identity
    /// The same members, lines or bytes in another order.
    case ordering
    /// Random bytes or a random token.
    case randomness
    /// A value of an environment variable.
    case environment
    /// Follows from other differences (a hash of the rest, compressed bytes).
    case derived
    /// Permissions or file type.
    case metadata
    /// Contents differ in no recognised way.
    case unknown
}

/// Two versions of a region shown side by side.
public struct DiffSideBySide: Codable, Sendable, Equatable {
    /// `text` (lines) or `hex` (lines of `offset: hex  ascii`).
    public var format: String
    /// Run 1's (or A's) lines.
    public var a: [String]
    /// The other run's (or B's) lines.
    public var b: [String]

    /// Creates a side-by-side context.
    public init(format: String, a: [String], b: [String]) {
        self.format = format
        self.a = a
        self.b = b
    }
}

/// One differing region and its likely cause.
public struct DiffFinding: Codable, Sendable, Equatable {
    /// Where: the file, then each container member down to the region (`["six.tar.gz",
    /// "six-1.16.0/setup.py"]`).
    public var location: [String]
    /// What differs, named as the format names it: `gzip header mtime`, `tar member mtime`,
    /// `member order`, `ELF section .text`, `pyc header mtime`, `content`, `text`, ...
    public var aspect: String
    /// The likely cause.
    public var cause: DiffCause
    /// The two values or a description of the change.
    public var detail: String
    /// A one-line fix, when one is known.
    public var fix: String?
    /// The byte offset of the region within the innermost file, when it has one.
    public var offset: Int64?
    /// The region's context, side by side.
    public var context: DiffSideBySide?
    /// A bounded unified diff of the region (text only).
    public var unified: [String]?

    /// Creates a finding.
    public init(
        location: [String], aspect: String, cause: DiffCause, detail: String, fix: String? = nil,
        offset: Int64? = nil, context: DiffSideBySide? = nil, unified: [String]? = nil
    ) {
        self.location = location
        self.aspect = aspect
        self.cause = cause
        self.detail = detail
        self.fix = fix
        self.offset = offset
        self.context = context
        self.unified = unified
    }

    /// The finding without its context and diff, as a check's report and statement record it.
    public var brief: DiffFinding {
        DiffFinding(location: location, aspect: aspect, cause: cause, detail: detail, fix: fix, offset: offset)
    }

    /// One line: where, what, why and the fix.
    public var line: String {
        // One line: names and values from inside the files may hold newlines.
        var text = TerminalText.field(
            location.joined(separator: " > ") + ": " + aspect + " (" + cause.rawValue + "): " + detail)
        if let fix { text += "; fix: " + fix }
        return text
    }
}

/// Why one file differs between two versions.
public struct FileExplanation: Codable, Sendable, Equatable {
    /// The path (relative to the compared trees, or the file name).
    public var path: String
    /// `changed`, `missing` (only in A) or `extra` (only in B).
    public var kind: String
    /// The findings, most telling first.
    public var findings: [DiffFinding]
    /// What a bound cut (depth, bytes, members, findings, time), one sentence each.
    public var truncated: [String]

    /// Creates an explanation.
    public init(path: String, kind: String, findings: [DiffFinding] = [], truncated: [String] = []) {
        self.path = path
        self.kind = kind
        self.findings = findings
        self.truncated = truncated
    }

    /// The causes found, in order of first appearance, except that ``DiffCause/derived`` (never
    /// a root cause) and ``DiffCause/unknown`` come last.
    public var causes: [DiffCause] {
        var seen = Set<DiffCause>()
        let distinct = findings.map(\.cause).filter { seen.insert($0).inserted }
        return distinct.filter { $0 != .derived && $0 != .unknown }
            + distinct.filter { $0 == .derived || $0 == .unknown }
    }

    /// One line for a report: for each of the first three distinct causes, its first finding
    /// (`cause: aspect of member: detail (fix: ...)`).
    public var summary: String? {
        guard !findings.isEmpty else { return nil }
        var parts: [String] = []
        for cause in causes.prefix(3) {
            guard let first = findings.first(where: { $0.cause == cause }) else { continue }
            var part = cause.rawValue + ": " + first.aspect
            if first.location.count > 1 { part += " of " + first.location.dropFirst().joined(separator: " > ") }
            part += ": " + first.detail
            if let fix = first.fix { part += " (fix: " + fix + ")" }
            parts.append(part)
        }
        return parts.joined(separator: "; ")
    }
}

/// What `repro diff` found (schema docs/schemas/diff-report-v1.json).
public struct DiffReport: Codable, Sendable, Equatable {
    /// The schema URI of this report format.
    public static let schemaURI = "https://repro.dev/diff-report/v1"

    /// The schema URI.
    public var schema: String = DiffReport.schemaURI
    /// The first path compared.
    public var a: String
    /// The second path compared.
    public var b: String
    /// Whether the two are the same (bytes, and for trees layout too).
    public var same: Bool
    /// Every differing file, explained up to the limits.
    public var files: [FileExplanation]
    /// The limits applied.
    public var limits: DiffLimits
    /// What a bound cut at the top level (files not explained, time).
    public var truncated: [String]

    /// Creates a report.
    public init(
        a: String, b: String, same: Bool, files: [FileExplanation], limits: DiffLimits, truncated: [String] = []
    ) {
        self.a = a
        self.b = b
        self.same = same
        self.files = files
        self.limits = limits
        self.truncated = truncated
    }

    /// The report as pretty JSON with sorted keys.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain values cannot fail; a failure is a bug.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The human-readable text, at most `limits.maxLines` lines (the last says what was cut).
    /// Not yet escaped for a terminal: print it through ``TerminalText/escape(_:)``.
    public var summary: String {
        var lines: [String] = []
        if same {
            lines.append("same: \(a) and \(b) are identical")
        } else {
            lines.append(
                "DIFFERENT: \(files.count) file\(files.count == 1 ? " differs" : "s differ") between \(a) and \(b)")
            for file in files {
                lines.append(contentsOf: file.humanLines(indent: "  "))
            }
            for note in truncated { lines.append("  (cut: \(note))") }
        }
        return DiffReport.bounded(lines, limits.maxLines).joined(separator: "\n")
    }

    /// `lines` cut to at most `max` lines (1 when `max` is smaller), the last one saying how
    /// many were left out.
    public static func bounded(_ lines: [String], _ max: Int) -> [String] {
        let limit = Swift.max(1, max)
        guard lines.count > limit else { return lines }
        let keep = limit - 1
        return Array(lines.prefix(keep)) + ["... \(lines.count - keep) more lines not shown (raise --max-lines)"]
    }
}

extension FileExplanation {
    /// The lines a human report shows for this file.
    public func humanLines(indent: String) -> [String] {
        var lines = ["\(indent)\(kind): \(TerminalText.field(path))"]
        for finding in findings {
            // Names and values from inside the files stay on their line (a member named
            // "x\nREPRODUCIBLE" must not print a line of its own).
            var where_ = TerminalText.field(finding.location.dropFirst().joined(separator: " > "))
            if !where_.isEmpty { where_ += ": " }
            var line = "\(indent)  \(where_)\(TerminalText.field(finding.aspect))"
            if let offset = finding.offset { line += " at byte \(offset)" }
            line += ": \(TerminalText.field(finding.detail))"
            lines.append(line)
            lines.append("\(indent)    cause: \(finding.cause.rawValue)" + (finding.fix.map { "; fix: \($0)" } ?? ""))
            if let unified = finding.unified {
                lines.append(contentsOf: unified.map { "\(indent)    \($0)" })
            }
        }
        for note in truncated { lines.append("\(indent)  (cut: \(note))") }
        return lines
    }
}
