import FoundationEssentials
import Glibc

/// A gzip member header (RFC 1952): the fields a build can make differ.
public struct GzipHeader: Sendable, Equatable {
    /// MTIME: the input file's modification time, or 0.
    public var mtime: UInt32
    /// FNAME: the original file name, when recorded.
    public var name: [UInt8]?
    /// XFL: the compression level hint.
    public var extraFlags: UInt8
    /// OS: the operating system the file was written on.
    public var os: UInt8

    /// Reads the header at the start of `s`, or nil when `s` is not gzip or the header is cut.
    public static func parse(_ s: [UInt8]) -> GzipHeader? {
        guard s.count >= 10, s[0] == 0x1f, s[1] == 0x8b, s[2] == 8 else { return nil }
        let flags = s[3]
        let mtime = UInt32(s[4]) | UInt32(s[5]) << 8 | UInt32(s[6]) << 16 | UInt32(s[7]) << 24
        var end = 10
        if flags & 0x04 != 0 {
            guard end + 2 <= s.count else { return nil }
            end += 2 + (Int(s[end]) | Int(s[end + 1]) << 8)
        }
        var name: [UInt8]?
        if flags & 0x08 != 0 {
            guard end <= s.count, let zero = s[end...].firstIndex(of: 0) else { return nil }
            name = Array(s[end..<zero])
        }
        return GzipHeader(mtime: mtime, name: name, extraFlags: s[8], os: s[9])
    }

    /// Findings for the header fields that differ between `a` and `b`.
    public static func findings(_ a: GzipHeader, _ b: GzipHeader, location: [String], setting: DiffSetting)
        -> [DiffFinding]
    {
        var out: [DiffFinding] = []
        if a.mtime != b.mtime {
            out.append(
                DiffFinding(
                    location: location, aspect: "gzip header mtime", cause: .timestamp,
                    detail: CauseHints.times(Int64(a.mtime), Int64(b.mtime), setting), fix: DiffFix.gzipHeader,
                    offset: 4))
        }
        if a.name != b.name {
            func show(_ n: [UInt8]?) -> String { n.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" } ?? "none" }
            out.append(
                DiffFinding(
                    location: location, aspect: "gzip header name", cause: .buildPath,
                    detail: "\(show(a.name)) vs \(show(b.name))", fix: DiffFix.gzipHeader, offset: 10))
        }
        if a.os != b.os || a.extraFlags != b.extraFlags {
            out.append(
                DiffFinding(
                    location: location, aspect: "gzip header OS/flags", cause: .environment,
                    detail: "OS \(a.os), XFL \(a.extraFlags) vs OS \(b.os), XFL \(b.extraFlags)",
                    fix: "compress with the same gzip implementation and level", offset: 8))
        }
        return out
    }
}

/// A Python bytecode (`.pyc`) header (PEP 552): 16 bytes after Python 3.7.
public struct PycHeader: Sendable, Equatable {
    /// The magic number (the Python version).
    public var magic: UInt32
    /// The flags: 0 for timestamp-based invalidation, bit 0 for hash-based.
    public var flags: UInt32
    /// The source's modification time (timestamp mode).
    public var mtime: UInt32?
    /// The source's size (timestamp mode).
    public var sourceSize: UInt32?

    /// Reads the header of `s` when its name ends in `.pyc` and the magic ends in `\r\n`.
    public static func parse(_ s: [UInt8], name: String) -> PycHeader? {
        guard name.hasSuffix(".pyc"), s.count >= 16, s[2] == 0x0d, s[3] == 0x0a else { return nil }
        func word(_ i: Int) -> UInt32 {
            UInt32(s[i]) | UInt32(s[i + 1]) << 8 | UInt32(s[i + 2]) << 16 | UInt32(s[i + 3]) << 24
        }
        let flags = word(4)
        return PycHeader(
            magic: word(0), flags: flags, mtime: flags & 1 == 0 ? word(8) : nil,
            sourceSize: flags & 1 == 0 ? word(12) : nil)
    }

    /// Findings for the header fields that differ.
    public static func findings(_ a: PycHeader, _ b: PycHeader, location: [String], setting: DiffSetting)
        -> [DiffFinding]
    {
        var out: [DiffFinding] = []
        if a.magic != b.magic {
            out.append(
                DiffFinding(
                    location: location, aspect: "pyc header magic", cause: .environment,
                    detail: "Python magic \(a.magic & 0xffff) vs \(b.magic & 0xffff) (different Python versions)",
                    fix: "build with one pinned Python", offset: 0))
        } else if a.flags != b.flags {
            out.append(
                DiffFinding(
                    location: location, aspect: "pyc header flags", cause: .environment,
                    detail:
                        "invalidation mode \(a.flags & 1 == 0 ? "timestamp" : "hash") vs \(b.flags & 1 == 0 ? "timestamp" : "hash")",
                    fix: DiffFix.pyc, offset: 4))
        } else if let ma = a.mtime, let mb = b.mtime, ma != mb {
            out.append(
                DiffFinding(
                    location: location, aspect: "pyc header mtime", cause: .timestamp,
                    detail: "source mtime " + CauseHints.times(Int64(ma), Int64(mb), setting)
                        + " (timestamp-based invalidation)",
                    fix: DiffFix.pyc, offset: 8))
        }
        return out
    }
}

/// The sections of an ELF file, from its section header table.
public struct ELFSection: Sendable, Equatable {
    /// The most sections an ELF file may declare to be read by section (more: compared as bytes).
    public static let maxSections = 4096
    /// The longest section name read; longer names are cut there.
    public static let maxNameBytes = 256
    /// The section's name (`.text`, `.note.gnu.build-id`, ...).
    public var name: String
    /// SHT_NOBITS sections (`.bss`) have no bytes in the file.
    public var hasBytes: Bool
    /// Where its bytes start in the file.
    public var offset: Int
    /// How many bytes.
    public var size: Int

    /// The sections of `s`, or nil when it is not a well-formed ELF file (32 or 64 bit, either
    /// byte order); every offset and size is checked against the data.
    public static func parse(_ s: [UInt8]) -> [ELFSection]? {
        guard s.count >= 52, s[0] == 0x7f, s[1] == 0x45, s[2] == 0x4c, s[3] == 0x46 else { return nil }
        let is64 = s[4] == 2, little = s[5] == 1
        func read(_ at: Int, _ n: Int) -> Int? {
            guard at >= 0, n <= 8, at <= s.count - n else { return nil }
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(s[at + (little ? i : n - 1 - i)]) << (8 * UInt64(i)) }
            return v <= UInt64(Int.max) ? Int(v) : nil
        }
        guard let shoff = read(is64 ? 0x28 : 0x20, is64 ? 8 : 4), let shentsize = read(is64 ? 0x3a : 0x2e, 2),
            let shnum = read(is64 ? 0x3c : 0x30, 2), let shstrndx = read(is64 ? 0x3e : 0x32, 2),
            shoff > 0, shnum > 0, shentsize >= (is64 ? 64 : 40), shstrndx < shnum,
            shoff <= s.count, shnum <= (s.count - shoff) / shentsize, shnum <= ELFSection.maxSections
        else { return nil }
        var raw: [(nameIndex: Int, type: Int, offset: Int, size: Int)] = []
        for i in 0..<shnum {
            let h = shoff + i * shentsize
            guard let name = read(h, 4), let type = read(h + 4, 4),
                let offset = read(h + (is64 ? 0x18 : 0x10), is64 ? 8 : 4),
                let size = read(h + (is64 ? 0x20 : 0x14), is64 ? 8 : 4)
            else { return nil }
            raw.append((name, type, offset, size))
        }
        let strtab = raw[shstrndx]
        guard strtab.offset <= s.count, strtab.size <= s.count - strtab.offset else { return nil }
        var sections: [ELFSection] = []
        for (i, r) in raw.enumerated() where i > 0 {
            let hasBytes = r.type != 8
            if hasBytes, r.offset > s.count || r.size > s.count - r.offset { return nil }
            var name = ""
            if r.nameIndex < strtab.size {
                // A name is read up to its NUL, but no further than maxNameBytes: 65,535 sections
                // naming one huge unterminated string would otherwise copy it 65,535 times.
                let start = strtab.offset + r.nameIndex
                let limit = min(strtab.offset + strtab.size, start + ELFSection.maxNameBytes)
                let end = s[start..<limit].firstIndex(of: 0) ?? limit
                name = String(decoding: s[start..<end], as: UTF8.self)
            }
            sections.append(
                ELFSection(
                    name: name.isEmpty ? "[\(i)]" : name, hasBytes: hasBytes, offset: r.offset,
                    size: hasBytes ? r.size : 0))
        }
        return sections
    }
}

/// A bounded line diff (Myers' O(ND) algorithm, stopped after a fixed number of edits, a fixed
/// amount of work or a deadline).
public enum TextDiff {
    /// Lines of `a` and `b` as a unified diff with 3 lines of context, at most `maxLines` lines,
    /// and the 0-based first line that differs in each. `maxEdits` bounds the work: when more
    /// edits are needed the differing region is shown removed then added.
    public static func unified(_ a: [Substring], _ b: [Substring], maxLines: Int, maxEdits: Int = 2000) -> [String] {
        // Trim the common prefix and suffix first: most build differences are a few lines.
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let x = Array(a[prefix..<a.count - suffix]), y = Array(b[prefix..<b.count - suffix])
        var ops: [(Character, Substring)] = []
        switch script(x.count, y.count, equal: { x[$0] == y[$1] }, maxEdits: maxEdits, maxWork: .max, deadline: nil) {
        case .success(let edits):
            ops = edits.map { ($0.op, $0.op == "+" ? y[$0.line] : x[$0.line]) }
        case .failure:
            // Too different to align within the bound: show both sides of the region as removed
            // and added, which is still exact.
            ops = x.map { ("-", $0) } + y.map { ("+", $0) }
        }
        var lines: [String] = []
        let contextBefore = a[max(0, prefix - 3)..<prefix]
        lines.append("@@ -\(prefix - contextBefore.count + 1) +\(prefix - contextBefore.count + 1) @@")
        lines += contextBefore.map { " " + $0 }
        lines += ops.map { String($0.0) + $0.1 }
        lines += a[(a.count - suffix)..<min(a.count, a.count - suffix + 3)].map { " " + $0 }
        return DiffReport.bounded(lines, maxLines)
    }

    /// The most comparisons of two lines (and diagonals visited) one diff may take by default.
    public static let defaultMaxWork = 20_000_000
    /// The most lines the differing region of one side may have to be aligned by default.
    public static let defaultMaxRegionLines = 1_000_000

    /// The texts `a` and `b` (UTF-8 bytes, lines ending in `\n`) as a unified diff, like
    /// ``unified(_:_:maxLines:maxEdits:)``, without copying either: the common prefix and suffix
    /// are found on the bytes, and only the differing region between them is split into lines.
    /// The alignment stops after `maxEdits` edits, `maxWork` line comparisons, at `deadline`, or
    /// when the region has more than `maxRegionLines` lines on a side; the region is then shown
    /// removed then added (still exact), and `cut` says which bound stopped it (nil for
    /// `maxEdits`, which is no loss: past it, lines removed then added read best).
    public static func unified(
        bytes a: [UInt8], _ b: [UInt8], maxLines: Int, maxEdits: Int = 2000, maxWork: Int = defaultMaxWork,
        maxRegionLines: Int = defaultMaxRegionLines, deadline: ContinuousClock.Instant?
    )
        -> (lines: [String], cut: String?)
    {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                unified(
                    pa, pb, maxLines: maxLines, maxEdits: maxEdits, maxWork: maxWork, maxRegionLines: maxRegionLines,
                    deadline: deadline)
            }
        }
    }

    private static func unified(
        _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, maxLines: Int, maxEdits: Int, maxWork: Int,
        maxRegionLines: Int, deadline: ContinuousClock.Instant?
    ) -> (lines: [String], cut: String?) {
        let (start, endA, endB) = differingRegion(a, b)
        let show = Swift.max(1, maxLines) + 1
        var cut: String?
        if let x = lineStarts(a, start..<endA, max: maxRegionLines),
            let y = lineStarts(b, start..<endB, max: maxRegionLines)
        {
            let result = script(
                x.count - 1, y.count - 1,
                equal: { i, j in
                    let ri = lineRange(x, i), rj = lineRange(y, j)
                    return ri.count == rj.count
                        && memcmp(a.baseAddress! + ri.lowerBound, b.baseAddress! + rj.lowerBound, ri.count) == 0
                }, maxEdits: maxEdits, maxWork: maxWork, deadline: deadline)
            switch result {
            case .success(let edits):
                let body = edits.prefix(show).map { e in
                    String(e.op)
                        + (e.op == "+" ? text(b, lineRange(y, e.line)) : text(a, lineRange(x, e.line)))
                }
                return finish(a, start: start, endA: endA, body: body, total: edits.count, maxLines: maxLines, cut: nil)
            case .failure(.edits):
                cut = nil
            case .failure(.work):
                cut =
                    "the line diff was cut after \(maxWork) line comparisons (a work bound): the differing region is shown removed then added"
            case .failure(.time):
                cut = "the line diff was cut at the time limit: the differing region is shown removed then added"
            }
        } else {
            cut =
                "the line diff was cut: the differing region has more than \(maxRegionLines) lines on a side, so it is shown removed then added, not aligned"
        }
        // Removed then added, only as many lines as can be shown; the rest are counted.
        var shown: [String] = []
        for (s, end, op) in [(a, endA, "-"), (b, endB, "+")] {
            var at = start
            while at < end, shown.count < show {
                let e = lineEnd(s, at, end)
                shown.append(op + text(s, at..<e))
                at = e + 1
            }
        }
        return finish(
            a, start: start, endA: endA, body: shown,
            total: lineCount(a, start..<endA) + lineCount(b, start..<endB), maxLines: maxLines, cut: cut)
    }

    /// Where `a` and `b` differ, in whole lines: `start` (the same offset on both sides) is the
    /// start of the line the first difference is in, and `endA` and `endB` are the starts of the
    /// common suffix (not overlapping the prefix), at the start of a line on both sides.
    private static func differingRegion(
        _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer
    ) -> (start: Int, endA: Int, endB: Int) {
        // The common prefix, back to the start of its last line.
        let common = min(a.count, b.count)
        var first = 0
        while first < common {
            let n = min(4096, common - first)
            if memcmp(a.baseAddress! + first, b.baseAddress! + first, n) != 0 {
                while a[first] == b[first] { first += 1 }
                break
            }
            first += n
        }
        var start = first
        while start > 0, a[start - 1] != 10 { start -= 1 }
        // The common suffix (not overlapping the prefix), on to the start of a line on both sides.
        var same = 0
        while same < common - start, a[a.count - 1 - same] == b[b.count - 1 - same] { same += 1 }
        var endA = a.count - same
        while endA < a.count {
            let endB = b.count - (a.count - endA)
            if endA == start || a[endA - 1] == 10, endB == start || b[endB - 1] == 10 { break }
            endA += 1
        }
        return (start, endA, b.count - (a.count - endA))
    }

    /// The bytes `r` of `s` as text.
    private static func text(_ s: UnsafeRawBufferPointer, _ r: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: s[r]), as: UTF8.self)
    }

    /// The end of the line that starts at `at` (its `\n`, or `end`).
    private static func lineEnd(_ s: UnsafeRawBufferPointer, _ at: Int, _ end: Int) -> Int {
        guard at < end, let found = memchr(s.baseAddress! + at, 10, end - at) else { return end }
        return s.baseAddress!.distance(to: UnsafeRawPointer(found))
    }

    /// The lines of a region as the offsets where they start, then the offset one past the
    /// last line's `\n` (line i is starts[i] ..< starts[i + 1] - 1); nil past `max` lines.
    private static func lineStarts(_ s: UnsafeRawBufferPointer, _ range: Range<Int>, max: Int) -> [Int32]? {
        guard range.upperBound < Int(Int32.max) else { return nil }
        var starts: [Int32] = []
        var at = range.lowerBound
        while at < range.upperBound {
            guard starts.count < max else { return nil }
            starts.append(Int32(at))
            at = lineEnd(s, at, range.upperBound) + 1
        }
        starts.append(Int32(at))
        return starts
    }

    /// Line `i` (without its `\n`) of a region split by ``lineStarts(_:_:max:)``.
    private static func lineRange(_ starts: [Int32], _ i: Int) -> Range<Int> {
        Int(starts[i])..<Int(starts[i + 1]) - 1
    }

    /// How many lines `r` of `s` has (a last one without `\n` counts).
    private static func lineCount(_ s: UnsafeRawBufferPointer, _ r: Range<Int>) -> Int {
        guard !r.isEmpty else { return 0 }
        return newlines(s, r) + (s[r.upperBound - 1] == 10 ? 0 : 1)
    }

    /// How many `\n` bytes `s` has in `r`.
    private static func newlines(_ s: UnsafeRawBufferPointer, _ r: Range<Int>) -> Int {
        var n = 0, at = r.lowerBound
        while at < r.upperBound, let found = memchr(s.baseAddress! + at, 10, r.upperBound - at) {
            n += 1
            at = s.baseAddress!.distance(to: UnsafeRawPointer(found)) + 1
        }
        return n
    }

    /// The unified diff around `body` (the first lines of `total` edit lines): the hunk header,
    /// 3 lines of context before `start` and after `endA` (in `a`), cut at `maxLines`.
    private static func finish(
        _ a: UnsafeRawBufferPointer, start: Int, endA: Int, body: [String], total: Int, maxLines: Int,
        cut: String?
    ) -> (lines: [String], cut: String?) {
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: a[r]), as: UTF8.self) }
        var before: [String] = []
        var at = start
        while at > 0, before.count < 3 {
            var lineStart = at - 1
            while lineStart > 0, a[lineStart - 1] != 10 { lineStart -= 1 }
            before.insert(text(lineStart..<(at - 1)), at: 0)
            at = lineStart
        }
        let prefixLines = newlines(a, 0..<start)
        var after: [String] = []
        at = endA
        while at < a.count, after.count < 3 {
            var end = at
            while end < a.count, a[end] != 10 { end += 1 }
            after.append(" " + text(at..<end))
            at = end + 1
        }
        let header = "@@ -\(prefixLines - before.count + 1) +\(prefixLines - before.count + 1) @@"
        let all = [header] + before.map { " " + $0 } + body + after
        let totalLines = 1 + before.count + total + after.count
        let limit = Swift.max(1, maxLines)
        guard totalLines > limit else { return (all, cut) }
        let keep = limit - 1
        return (Array(all.prefix(keep)) + ["... \(totalLines - keep) more lines not shown (raise --max-lines)"], cut)
    }

    /// Why an alignment stopped.
    public enum Stop: Error {
        case edits, work, time
    }

    /// One step of an edit script: `" "` keeps line `index` of the first side, `"-"` removes it,
    /// `"+"` adds line `index` of the second side.
    public struct Edit: Sendable, Equatable {
        /// The kind, as an ASCII byte: `" "`, `"-"` or `"+"`.
        public var code: UInt8
        /// The line, on the first side for `" "` and `"-"`, on the second for `"+"`.
        public var index: Int32
        /// The kind as a character.
        public var op: Character { Character(Unicode.Scalar(code)) }
        /// The line index.
        public var line: Int { Int(index) }
    }

    /// The shortest edit script between `n` and `m` lines compared by `equal`, or why it was not
    /// found: more than `maxEdits` edits, more than `maxWork` comparisons and diagonals visited,
    /// or `deadline` passed (checked every edit and every 65,536 comparisons). Memory: the
    /// furthest points of each edit count are kept for the walk back, d² 32-bit values for d
    /// edits (16 MB at 2,000).
    public static func script(
        _ n: Int, _ m: Int, equal: (Int, Int) -> Bool, maxEdits: Int, maxWork: Int,
        deadline: ContinuousClock.Instant?
    ) -> Result<[Edit], Stop> {
        guard n < Int(Int32.max), m < Int(Int32.max) else { return .failure(.work) }
        let limit = min(n + m, Swift.max(0, maxEdits))
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        // trace holds, for each d from 1, v[-(d-1)...(d-1)] as it was before step d.
        var trace: [Int32] = []
        var traceStart: [Int] = [0]
        var work = 0
        for d in 0...limit {
            if let deadline, ContinuousClock.now >= deadline { return .failure(.time) }
            if d > 0 {
                for k in stride(from: -(d - 1), through: d - 1, by: 1) { trace.append(Int32(v[offset + k])) }
            }
            traceStart.append(trace.count)
            for k in stride(from: -d, through: d, by: 2) {
                var i: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    i = v[offset + k + 1]
                } else {
                    i = v[offset + k - 1] + 1
                }
                var j = i - k
                work += 1
                while i < n, j < m, equal(i, j) {
                    i += 1
                    j += 1
                    work += 1
                    if work & 0xFFFF == 0, let deadline, ContinuousClock.now >= deadline { return .failure(.time) }
                }
                if work > maxWork { return .failure(.work) }
                v[offset + k] = i
                if i >= n, j >= m {
                    return .success(walkBack(trace: trace, traceStart: traceStart, edits: d, n: n, m: m))
                }
            }
        }
        return .failure(.edits)
    }

    /// The edit script of `edits` edits that reaches line `n` of the first side and `m` of the
    /// second, read back from the trace ``script(_:_:equal:maxEdits:maxWork:deadline:)`` kept.
    private static func walkBack(trace: [Int32], traceStart: [Int], edits d: Int, n: Int, m: Int) -> [Edit] {
        var script: [Edit] = []
        var ci = n, cj = m
        for back in stride(from: d, to: 0, by: -1) {
            // v before step `back`, at diagonal q (|q| <= back - 1).
            func pv(_ q: Int) -> Int { Int(trace[traceStart[back] + q + (back - 1)]) }
            let ck = ci - cj
            let down = ck == -back || (ck != back && pv(ck - 1) < pv(ck + 1))
            let pk = down ? ck + 1 : ck - 1
            let pi = pv(pk), pj = pi - pk
            while ci > pi + (down ? 0 : 1), cj > pj + (down ? 1 : 0) {
                ci -= 1
                cj -= 1
                script.append(Edit(code: 32, index: Int32(ci)))
            }
            if down {
                cj -= 1
                script.append(Edit(code: 43, index: Int32(cj)))
            } else {
                ci -= 1
                script.append(Edit(code: 45, index: Int32(ci)))
            }
        }
        while ci > 0, cj > 0 {
            ci -= 1
            cj -= 1
            script.append(Edit(code: 32, index: Int32(ci)))
        }
        return script.reversed()
    }
}
