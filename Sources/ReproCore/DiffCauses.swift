import FoundationEssentials
import Glibc

/// What is known about the runs that produced the two versions, for naming causes: a time near
/// `now` is the build's clock, a path under a build directory is a build path.
public struct DiffSetting: Sendable, Equatable {
    /// The time the runs happened (Unix seconds).
    public var now: Int64
    /// The SOURCE_DATE_EPOCH the runs had, when known.
    public var sourceDateEpoch: Int64?
    /// Directories a build ran in or wrote to (the sandbox's `/build/src`, the compared roots).
    public var buildPaths: [String]
    /// Host and user names the build could see.
    public var identities: [String]
    /// Environment values the build got (name, value), to recognise one embedded in an output.
    public var environment: [(String, String)]

    /// Creates a setting.
    public init(
        now: Int64, sourceDateEpoch: Int64? = nil, buildPaths: [String] = [], identities: [String] = [],
        environment: [(String, String)] = []
    ) {
        self.now = now
        self.sourceDateEpoch = sourceDateEpoch
        self.buildPaths = buildPaths
        self.identities = identities
        self.environment = environment
    }

    /// The sandbox's build and home directories (``Normalization``), which every run shares.
    public static var sandboxPaths: [String] {
        let defaults = Normalization(sourceDateEpoch: 0, epochSource: .config)
        return [defaults.workdir, defaults.home]
    }

    /// The setting of a check's runs: their clock, epoch and directories (host and user names are
    /// the same in every run, so they cannot be a cause).
    public init(now: Int64, normalization: Normalization, hostRoots: [String] = []) {
        self.init(
            now: now, sourceDateEpoch: normalization.sourceDateEpoch,
            buildPaths: [normalization.workdir, normalization.home] + hostRoots)
    }

    public static func == (l: DiffSetting, r: DiffSetting) -> Bool {
        l.now == r.now && l.sourceDateEpoch == r.sourceDateEpoch && l.buildPaths == r.buildPaths
            && l.identities == r.identities
            && l.environment.map { $0.0 + "=" + $0.1 } == r.environment.map { $0.0 + "=" + $0.1 }
    }
}

/// The one-line fixes that findings name.
public enum DiffFix {
    public static let sourceDateEpoch = "honor SOURCE_DATE_EPOCH instead of reading the clock"
    public static let gzipHeader = "gzip -n (or Python's gzip.GzipFile(mtime=SOURCE_DATE_EPOCH))"
    public static let tarMtime =
        "tar --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime (Python tarfile: set each TarInfo.mtime)"
    public static let tarOrder = "tar --sort=name (Python: add members in sorted order)"
    public static let tarOwner = "tar --owner=0 --group=0 --numeric-owner"
    public static let tarMode = "set modes explicitly (umask 022, tar --mode=go-w)"
    public static let zipTime =
        "zip -X with the files' times set from SOURCE_DATE_EPOCH (touch -d @$SOURCE_DATE_EPOCH), or strip-nondeterminism"
    public static let zipExtra = "zip -X (leave out extra fields: uid/gid and extended timestamps)"
    public static let zipOrder = "add entries in sorted order (zip -r with a sorted file list)"
    public static let arMember = "ar D (deterministic mode: ar rcD), or SOURCE_DATE_EPOCH with binutils >= 2.36"
    public static let cpio = "cpio --reproducible, with the files' times set from SOURCE_DATE_EPOCH"
    public static let pyc =
        "compile with --invalidation-mode checked-hash (py_compile does it when SOURCE_DATE_EPOCH is set)"
    public static let buildPath = "do not embed the build directory (-ffile-prefix-map=$PWD=., relative paths)"
    public static let tempName = "use a fixed name instead of a mktemp/tempfile name"
    public static let identity = "do not embed the host name, user name or uid"
    public static let ordering =
        "sort before writing (LC_ALL=C sort, sorted(os.listdir()), make without a parallel race)"
    public static let randomness =
        "seed randomness from a fixed value (PYTHONHASHSEED=0, a seed derived from the source)"
    public static let buildID = "fix the other differences: the build ID is a hash of the rest"
    public static let compressed = "compare the decompressed contents (the cause is there)"
    public static func environment(_ name: String) -> String { "do not embed $\(name), or pin it in the profile" }
}

/// Names the cause of a differing region of bytes.
public enum CauseHints {
    /// A Unix time as ISO-8601 UTC.
    public static func iso(_ t: Int64) -> String {
        guard t > -62_135_596_800, t < 253_402_300_800 else { return String(t) }
        return RFC3339.format(Date(timeIntervalSince1970: TimeInterval(t)))
    }

    /// A description of two differing times: both as ISO-8601, and which is near the run's
    /// clock or equals SOURCE_DATE_EPOCH.
    public static func times(_ a: Int64, _ b: Int64, _ setting: DiffSetting) -> String {
        func note(_ t: Int64) -> String {
            if let epoch = setting.sourceDateEpoch, t == epoch { return " (SOURCE_DATE_EPOCH)" }
            if abs(t - setting.now) < 2 * 86400 { return " (the run's clock)" }
            return ""
        }
        return "\(iso(a))\(note(a)) vs \(iso(b))\(note(b))"
    }

    /// The cause, detail and fix of a content difference at `offset` in `a` and `b` (which may be
    /// windows of larger files: `complete` false).
    public static func classify(_ a: [UInt8], _ b: [UInt8], offset: Int, setting: DiffSetting, complete: Bool = true)
        -> (cause: DiffCause, detail: String, fix: String?)
    {
        let lo = max(0, offset - 256)
        func window(_ s: [UInt8]) -> String {
            let hi = min(s.count, offset + 256)
            return lo < hi ? String(decoding: s[lo..<hi], as: UTF8.self) : ""
        }
        let wa = window(a), wb = window(b)
        // A configured build path or identity that appears on one side only (one on both sides
        // is not what differs: a .buildinfo names the build path beside a differing date).
        for path in setting.buildPaths where path.count >= 4 {
            if wa.contains(path) != wb.contains(path) {
                return (.buildPath, "the build path \(path) is embedded", DiffFix.buildPath)
            }
        }
        if let temp = tempName(wa) ?? tempName(wb), tempName(wa) != tempName(wb) {
            return (.buildPath, "a temporary file name (\(temp)) is embedded", DiffFix.tempName)
        }
        for name in setting.identities where name.count >= 3 {
            if wa.contains(name) != wb.contains(name) {
                return (.identity, "the name \(name) is embedded", DiffFix.identity)
            }
        }
        for (name, value) in setting.environment where value.count >= 4 {
            if wa.contains(value) != wb.contains(value) {
                return (.environment, "the value of \(name) is embedded", DiffFix.environment(name))
            }
        }
        if let text = DifferenceExplainer.explain(a, b, offset: offset, now: setting.now, base: 0, complete: complete) {
            // "timestamp: ..." and "ordering: ..." name the cause, which the finding names already.
            var detail = text
            for prefix in ["timestamp: ", "ordering: "] where detail.hasPrefix(prefix) {
                detail.removeFirst(prefix.count)
            }
            return (cause(of: text), detail, fix(of: text))
        }
        if let date = dateText(wa), dateText(wb) != nil {
            return (.timestamp, "a date (\(date)) is embedded", DiffFix.sourceDateEpoch)
        }
        return (.unknown, "the bytes differ in no recognised pattern", nil)
    }

    /// A temporary file name in `text`: `/tmp/` followed by a name with a random-looking part.
    static func tempName(_ text: String) -> String? {
        guard let r = text.firstRange(ofPattern: #"/tmp/[A-Za-z0-9._-]*(tmp|[A-Za-z0-9]{6,}\.)[A-Za-z0-9_]{6,}"#)
        else { return nil }
        return String(text[r])
    }

    /// An ISO-8601 date, a `date`(1) default date or a `__DATE__` in `text`.
    static func dateText(_ text: String) -> String? {
        let patterns = [
            #"[12][0-9]{3}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9]"#,
            #"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +[0-9]{1,2} "#,
            #"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-3][0-9] [12][0-9]{3}"#,
        ]
        for pattern in patterns {
            if let r = text.firstRange(ofPattern: pattern) { return String(text[r]) }
        }
        return nil
    }

    /// The cause that a ``DifferenceExplainer`` sentence names.
    public static func cause(of text: String) -> DiffCause {
        if text.hasPrefix("timestamp") { return .timestamp }
        if text.hasPrefix("ordering") { return .ordering }
        if text.hasPrefix("random") { return .randomness }
        if text.hasPrefix("ELF build ID") || text.hasPrefix("compressed data") { return .derived }
        return .unknown
    }

    /// The fix for a ``DifferenceExplainer`` sentence.
    public static func fix(of text: String) -> String? {
        if text.hasPrefix("timestamp: the gzip") { return DiffFix.gzipHeader }
        if text.hasPrefix("timestamp") { return DiffFix.sourceDateEpoch }
        if text.hasPrefix("ordering") { return DiffFix.ordering }
        if text.hasPrefix("random") { return DiffFix.randomness }
        if text.hasPrefix("ELF build ID") { return DiffFix.buildID }
        if text.hasPrefix("compressed data") { return DiffFix.compressed }
        return nil
    }

    /// Side-by-side context around `offset`: text lines when both sides are text there, else
    /// hex rows of 16 bytes (two before the differing row, two after).
    public static func context(_ a: [UInt8], _ b: [UInt8], offset: Int, base: Int = 0) -> DiffSideBySide {
        // The offset may lie past the end of either side (it comes from the other file's layout).
        let offset = min(max(offset, 0), max(a.count, b.count))
        func isText(_ s: [UInt8]) -> Bool {
            let lo = min(max(0, offset - 64), s.count), hi = min(s.count, offset + 64)
            return s[lo..<max(lo, hi)].allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 32 && $0 != 127) }
        }
        if isText(a), isText(b) {
            func lines(_ s: [UInt8]) -> [String] {
                var start = min(offset, s.count), end = min(offset, s.count)
                var before = 0
                while start > 0, before < 2 {
                    start -= 1
                    if s[start] == 10 { before += 1 }
                }
                if start > 0 || (start < s.count && s[start] == 10 && before == 2) { start += 1 }
                var after = 0
                while end < s.count, after < 3 {
                    if s[end] == 10 { after += 1 }
                    end += 1
                }
                let text = String(decoding: s[start..<max(start, min(end, start + 600))], as: UTF8.self)
                return text.split(separator: "\n", omittingEmptySubsequences: false).prefix(5).map(String.init)
            }
            return DiffSideBySide(format: "text", a: lines(a), b: lines(b))
        }
        func rows(_ s: [UInt8]) -> [String] {
            let first = max(0, offset / 16 - 2) * 16
            var out: [String] = []
            var row = first
            while row < s.count, row <= offset / 16 * 16 + 32 {
                let bytes = s[row..<min(s.count, row + 16)]
                let hex = bytes.map { String(printf: "%02x", $0) }.joined(separator: " ")
                let ascii = String(bytes.map { $0 >= 32 && $0 < 127 ? Character(UnicodeScalar($0)) : "." })
                out.append(String(printf: "%08llx: ", Int64(base + row)) + hex.padded(to: 47) + "  " + ascii)
                row += 16
            }
            return out
        }
        return DiffSideBySide(format: "hex", a: rows(a), b: rows(b))
    }
}
