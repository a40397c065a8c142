import FoundationEssentials
import Glibc

/// How one output differs between run 1 and another run.
public struct Difference: Codable, Sendable, Equatable {
    /// The path relative to the source root.
    public var path: String
    /// What kind of difference.
    public var kind: DifferenceKind
    /// The run compared with run 1 (1-based).
    public var run: Int
    /// The sizes in run 1 and in the other run (nil where absent).
    public var sizes: [UInt64?]
    /// The first byte offset at which the contents differ, for changed files.
    public var firstDifference: Int64?
    /// A short human explanation of the likely cause, when one can be told.
    public var explanation: String?
    /// Every differing region found inside the file (containers opened, formats named), each
    /// with its cause and fix (``DiffFinding``); nil when the file was not explained.
    public var findings: [DiffFinding]?
    /// What a bound cut from the findings (``DiffLimits``), when something was.
    public var explanationTruncated: [String]?

    /// Creates a difference.
    public init(
        path: String, kind: DifferenceKind, run: Int, sizes: [UInt64?], firstDifference: Int64? = nil,
        explanation: String? = nil
    ) {
        self.path = path
        self.kind = kind
        self.run = run
        self.sizes = sizes
        self.firstDifference = firstDifference
        self.explanation = explanation
    }

    enum CodingKeys: String, CodingKey {
        case path, kind, run, sizes, explanation, findings
        case firstDifference = "first_difference"
        case explanationTruncated = "explanation_truncated"
    }
}

/// Compares output trees entry by entry.
public enum Comparison {
    /// The differences between run 1's entries and another run's, sorted by path. Entries must
    /// each be sorted by path. Changed files get no offset here: the caller reads the bytes and
    /// fills ``Difference/firstDifference`` and ``Difference/explanation``.
    public static func differences(reference: [TreeEntry], other: [TreeEntry], run: Int) -> [Difference] {
        var result: [Difference] = []
        let left = Dictionary(reference.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let right = Dictionary(other.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for path in Set(left.keys).union(right.keys).sorted() {
            switch (left[path], right[path]) {
            case let (a?, b?) where a != b:
                var explanation: String?
                if a.kind != b.kind {
                    explanation = "type differs: \(a.kind.rawValue) in run 1, \(b.kind.rawValue) in run \(run)"
                } else if a.executable != b.executable {
                    explanation = "executable bit differs"
                } else if a.target != b.target {
                    explanation = "symlink target differs: '\(a.target)' in run 1, '\(b.target)' in run \(run)"
                }
                result.append(
                    Difference(path: path, kind: .changed, run: run, sizes: [a.size, b.size], explanation: explanation))
            case let (a?, nil):
                result.append(Difference(path: path, kind: .missing, run: run, sizes: [a.size, nil]))
            case let (nil, b?):
                result.append(Difference(path: path, kind: .extra, run: run, sizes: [nil, b.size]))
            default:
                break
            }
        }
        return result
    }

    /// The first offset at which two byte strings differ, or nil when equal.
    public static func firstDifference(_ a: Data, _ b: Data) -> Int64? {
        let common = min(a.count, b.count)
        let found: Int? = a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                let x = pa.bindMemory(to: UInt8.self), y = pb.bindMemory(to: UInt8.self)
                var i = 0
                while i < common {
                    if x[i] != y[i] { return i }
                    i += 1
                }
                return nil
            }
        }
        if let found { return Int64(found) }
        return a.count == b.count ? nil : Int64(common)
    }
}

/// Guesses why two versions of a file differ, from their bytes around the first difference.
public enum DifferenceExplainer {
    /// A short explanation, or nil when no known pattern fits. `a` and `b` are the two versions,
    /// `offset` their first differing byte.
    ///
    /// For large files the caller passes windows instead: the bytes from `base` on of each file
    /// (`complete` false, `offset` relative to the windows). Then only the patterns that nearby
    /// bytes show are tried (not reordering, which needs the whole files), the ELF check needs
    /// `base` 0, and offsets in the text are the files'.
    public static func explain(_ a: Data, _ b: Data, offset: Int, now: Int64, base: Int = 0, complete: Bool = true)
        -> String?
    {
        explain([UInt8](a), [UInt8](b), offset: offset, now: now, base: base, complete: complete)
    }

    /// ``explain(_:_:offset:now:base:complete:)`` on byte arrays, without copying them.
    static func explain(_ x: [UInt8], _ y: [UInt8], offset: Int, now: Int64, base: Int, complete: Bool) -> String? {
        if let stamp = timestamp(x, y, offset: offset, now: now) { return stamp }
        if base == 0, let cause = gzip(x, y, offset: offset, complete: complete) { return cause }
        if base == 0, let idEnd = elfBuildIDEnd(x, y, offset: offset) {
            let note = "ELF build ID differs (a hash of the binary, so it follows from another difference)"
            var next = idEnd
            while next < min(x.count, y.count), x[next] == y[next] { next += 1 }
            guard next < min(x.count, y.count) else {
                return complete
                    ? note
                    : note
                        + "; no other difference in the \(max(0, min(x.count, y.count) - idEnd)) bytes after it that were compared"
            }
            let cause = explain(x, y, offset: next, now: now, base: base, complete: complete) ?? "no known pattern"
            return note + "; the next difference, at byte \(base + next): " + cause
        }
        guard complete else {
            return randomBytes(x, y, offset: offset) ?? randomText(x, y, offset: offset)
        }
        // The same lines are also the same bytes: the lines are hashed only when the bytes agree.
        let sameBytes = x.count == y.count && x.count > 0 && byteCounts(x) == byteCounts(y)
        if sameBytes, x.contains(10), lineMultiset(x) == lineMultiset(y) {
            return
                "ordering: the same lines in a different order (an unsorted directory listing, hash-table iteration or a parallel race)"
        }
        if sameBytes {
            return "ordering: the same bytes in a different order (unsorted input or a parallel race)"
        }
        if let random = randomBytes(x, y, offset: offset) { return random }
        if let random = randomText(x, y, offset: offset) { return random }
        return nil
    }

    /// For an ELF file whose first difference lies in the id of its GNU build-id note, the
    /// offset just past the id (always beyond `offset`).
    private static func elfBuildIDEnd(_ x: [UInt8], _ y: [UInt8], offset: Int) -> Int? {
        let magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]
        guard x.starts(with: magic), y.starts(with: magic), offset >= 16 else { return nil }
        // The note is namesz=4, descsz, type=3 (NT_GNU_BUILD_ID), "GNU\0", then the id.
        let gnu: [UInt8] = [0x47, 0x4e, 0x55, 0x00]
        for start in stride(from: offset, through: max(16, offset - 64), by: -1) where start + 4 <= x.count {
            if Array(x[start..<start + 4]) == gnu, x[start - 4] == 3, x[start - 12] == 4 {
                let size = Int(x[start - 8]) | Int(x[start - 7]) << 8
                // Only a difference inside the id itself; one just after an equal note is not.
                return (start + 4..<start + 4 + size).contains(offset) ? start + 4 + size : nil
            }
        }
        return nil
    }

    /// For gzip files (RFC 1952): a first difference in the header's MTIME field (bytes 4-7,
    /// little-endian seconds), with whether the compressed data after the header differs too, or
    /// one in the compressed data itself, whose cause lies in the decompressed contents (compressed
    /// bytes that differ look random, but are not).
    private static func gzip(_ x: [UInt8], _ y: [UInt8], offset: Int, complete: Bool) -> String? {
        let magic: [UInt8] = [0x1f, 0x8b, 0x08]
        guard x.starts(with: magic), y.starts(with: magic), let header = gzipHeaderLength(x),
            gzipHeaderLength(y) == header
        else { return nil }
        if (4..<8).contains(offset) {
            let note =
                "timestamp: the gzip header's modification time (bytes 4-7) differs (gzip records the input file's time, "
                + "Python's gzip and tarfile the current time; use gzip -n, or a time from SOURCE_DATE_EPOCH)"
            var next = header
            while next < min(x.count, y.count), x[next] == y[next] { next += 1 }
            if next < min(x.count, y.count) || (complete && x.count != y.count) {
                return note + "; the compressed data differs too, from byte \(next) (compare the decompressed contents)"
            }
            return complete ? note + "; nothing else differs" : note
        }
        guard offset >= header else { return nil }
        return
            "compressed data: the gzip-compressed contents differ (the bytes compared are compressed, so the cause lies "
            + "in the decompressed contents: decompress both versions and compare them, for example with diffoscope)"
    }

    /// The length of a gzip member's header (RFC 1952: 10 bytes, then the optional extra field,
    /// name, comment and header CRC that its flags announce), or nil when it runs past the data.
    private static func gzipHeaderLength(_ s: [UInt8]) -> Int? {
        guard s.count >= 10 else { return nil }
        let flags = s[3]
        var end = 10
        if flags & 0x04 != 0 {
            guard end + 2 <= s.count else { return nil }
            end += 2 + (Int(s[end]) | Int(s[end + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {
            while end < s.count, s[end] != 0 { end += 1 }
            end += 1
        }
        if flags & 0x02 != 0 { end += 2 }
        return end <= s.count ? end : nil
    }

    private static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) }

    /// A run of 16 or more hex digits through `offset` in both versions, mostly differing: a
    /// random token, UUID or hash printed as text.
    private static func randomText(_ x: [UInt8], _ y: [UInt8], offset: Int) -> String? {
        func span(_ s: [UInt8]) -> Range<Int>? {
            guard offset < s.count, isHexDigit(s[offset]) else { return nil }
            var start = offset, end = offset
            while start > 0, isHexDigit(s[start - 1]) || s[start - 1] == 45 { start -= 1 }
            while end < s.count, isHexDigit(s[end]) || s[end] == 45 { end += 1 }
            return start..<end
        }
        guard let a = span(x), let b = span(y), a.count >= 16, a == b else { return nil }
        let differing = a.filter { x[$0] != y[$0] }.count
        guard differing * 2 >= (a.upperBound - offset) else { return nil }
        return
            "random value: a token, UUID or hash printed as text differs (a random seed, /dev/urandom, a UUID or a hash of other varying data)"
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// A run of digits through `offset` in both versions that reads as a Unix time near `now`.
    private static func timestamp(_ x: [UInt8], _ y: [UInt8], offset: Int, now: Int64) -> String? {
        func digits(_ s: [UInt8]) -> String? {
            guard offset < s.count, isDigit(s[offset]) else { return nil }
            var start = offset, end = offset
            while start > 0, isDigit(s[start - 1]) { start -= 1 }
            while end < s.count, isDigit(s[end]) { end += 1 }
            return String(decoding: s[start..<end], as: UTF8.self)
        }
        if let d1 = digits(x), let d2 = digits(y), d1.count >= 10, d2.count >= 10,
            let t1 = Int64(d1.prefix(10)), let t2 = Int64(d2.prefix(10))
        {
            let tenYears: Int64 = 10 * 365 * 86400
            if abs(t1 - now) < tenYears, abs(t2 - now) < tenYears {
                return
                    "timestamp: a Unix time from the build's clock is embedded at this offset (use SOURCE_DATE_EPOCH instead of the current time)"
            }
        }
        // A clock time HH:MM:SS around the offset in both versions.
        func clock(_ s: [UInt8]) -> Bool {
            let lo = max(0, offset - 8), hi = min(s.count, offset + 9)
            guard lo < hi else { return false }
            let window = String(decoding: s[lo..<hi], as: UTF8.self)
            return window.firstRange(ofPattern: #"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"#) != nil
        }
        if clock(x), clock(y) {
            return
                "timestamp: a wall-clock time (HH:MM:SS) is embedded at this offset (derive it from SOURCE_DATE_EPOCH)"
        }
        return nil
    }

    /// The multiset of `s`'s lines (split at every `\n`, the empty piece after a final one
    /// included) as two sums of 64-bit hashes of the lines, each keyed by the process's random
    /// hash seed: equal multisets give equal sums, and different ones the same pair of sums with
    /// a chance of about 2^-128. One pass, no copy: a sort of the lines would take n log n
    /// comparisons and a slice per line (about 4 times the bytes for short lines).
    private static func lineMultiset(_ s: [UInt8]) -> [UInt64] {
        var sums: [UInt64] = [0, 0]
        s.withUnsafeBytes { raw in
            var start = 0
            while start <= raw.count {
                var end = start
                if start < raw.count, let found = memchr(raw.baseAddress! + start, 10, raw.count - start) {
                    end = raw.baseAddress!.distance(to: UnsafeRawPointer(found))
                } else {
                    end = raw.count
                }
                let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                for key in 0..<2 {
                    var hasher = Hasher()
                    hasher.combine(key)
                    hasher.combine(bytes: line)
                    sums[key] &+= UInt64(bitPattern: Int64(hasher.finalize()))
                }
                start = end + 1
            }
        }
        return sums
    }

    /// How many times each byte value occurs in `s`.
    private static func byteCounts(_ s: [UInt8]) -> [Int] {
        var counts = [Int](repeating: 0, count: 256)
        counts.withUnsafeMutableBufferPointer { c in
            s.withUnsafeBufferPointer { bytes in
                for byte in bytes { c[Int(byte)] += 1 }
            }
        }
        return counts
    }

    /// Eight or more bytes (up to 32) from `offset` that mostly differ, with a good share of
    /// them not text in either version.
    private static func randomBytes(_ x: [UInt8], _ y: [UInt8], offset: Int) -> String? {
        let end = min(x.count, y.count, offset + 32)
        guard end - offset >= 8 else { return nil }
        var differing = 0, binary = 0
        for i in offset..<end {
            if x[i] != y[i] { differing += 1 }
            if x[i] < 9 || x[i] > 126 { binary += 1 }
            if y[i] < 9 || y[i] > 126 { binary += 1 }
        }
        let n = end - offset
        // Random bytes are about 54% non-text; a sixth of both versions rules out text.
        if differing * 4 >= n * 3, binary * 3 >= n {
            return
                "random bytes: a run of differing binary data (a random seed, /dev/urandom, uninitialized memory or a UUID)"
        }
        return nil
    }
}
