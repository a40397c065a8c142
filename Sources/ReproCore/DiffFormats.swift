import Foundation

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
    public static func findings(_ a: GzipHeader, _ b: GzipHeader, location: [String], setting: DiffSetting) -> [DiffFinding] {
        var out: [DiffFinding] = []
        if a.mtime != b.mtime {
            out.append(DiffFinding(location: location, aspect: "gzip header mtime", cause: .timestamp,
                                   detail: CauseHints.times(Int64(a.mtime), Int64(b.mtime), setting), fix: DiffFix.gzipHeader, offset: 4))
        }
        if a.name != b.name {
            func show(_ n: [UInt8]?) -> String { n.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" } ?? "none" }
            out.append(DiffFinding(location: location, aspect: "gzip header name", cause: .buildPath,
                                   detail: "\(show(a.name)) vs \(show(b.name))", fix: DiffFix.gzipHeader, offset: 10))
        }
        if a.os != b.os || a.extraFlags != b.extraFlags {
            out.append(DiffFinding(location: location, aspect: "gzip header OS/flags", cause: .environment,
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
        func word(_ i: Int) -> UInt32 { UInt32(s[i]) | UInt32(s[i + 1]) << 8 | UInt32(s[i + 2]) << 16 | UInt32(s[i + 3]) << 24 }
        let flags = word(4)
        return PycHeader(magic: word(0), flags: flags, mtime: flags & 1 == 0 ? word(8) : nil, sourceSize: flags & 1 == 0 ? word(12) : nil)
    }

    /// Findings for the header fields that differ.
    public static func findings(_ a: PycHeader, _ b: PycHeader, location: [String], setting: DiffSetting) -> [DiffFinding] {
        var out: [DiffFinding] = []
        if a.magic != b.magic {
            out.append(DiffFinding(location: location, aspect: "pyc header magic", cause: .environment,
                                   detail: "Python magic \(a.magic & 0xffff) vs \(b.magic & 0xffff) (different Python versions)",
                                   fix: "build with one pinned Python", offset: 0))
        } else if a.flags != b.flags {
            out.append(DiffFinding(location: location, aspect: "pyc header flags", cause: .environment,
                                   detail: "invalidation mode \(a.flags & 1 == 0 ? "timestamp" : "hash") vs \(b.flags & 1 == 0 ? "timestamp" : "hash")",
                                   fix: DiffFix.pyc, offset: 4))
        } else if let ma = a.mtime, let mb = b.mtime, ma != mb {
            out.append(DiffFinding(location: location, aspect: "pyc header mtime", cause: .timestamp,
                                   detail: "source mtime " + CauseHints.times(Int64(ma), Int64(mb), setting) + " (timestamp-based invalidation)",
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
              shoff <= s.count, shnum <= (s.count - shoff) / shentsize, shnum <= ELFSection.maxSections else { return nil }
        var raw: [(nameIndex: Int, type: Int, offset: Int, size: Int)] = []
        for i in 0..<shnum {
            let h = shoff + i * shentsize
            guard let name = read(h, 4), let type = read(h + 4, 4),
                  let offset = read(h + (is64 ? 0x18 : 0x10), is64 ? 8 : 4),
                  let size = read(h + (is64 ? 0x20 : 0x14), is64 ? 8 : 4) else { return nil }
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
            sections.append(ELFSection(name: name.isEmpty ? "[\(i)]" : name, hasBytes: hasBytes, offset: r.offset, size: hasBytes ? r.size : 0))
        }
        return sections
    }
}

/// A bounded line diff (Myers' O(ND) algorithm, stopped after a fixed number of edits).
public enum TextDiff {
    /// Lines of `a` and `b` as a unified diff with 3 lines of context, at most `maxLines` lines,
    /// and the 0-based first line that differs in each. `maxEdits` bounds the work: when more
    /// edits are needed the diff shows the first differing region only and says so.
    public static func unified(_ a: [Substring], _ b: [Substring], maxLines: Int, maxEdits: Int = 2000) -> [String] {
        // Trim the common prefix and suffix first: most build differences are a few lines.
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let x = Array(a[prefix..<a.count - suffix]), y = Array(b[prefix..<b.count - suffix])
        var ops: [(Character, Substring)] = []
        if let script = myers(x, y, maxEdits: maxEdits) {
            ops = script
        } else {
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

    /// The edit script from `x` to `y` (`" "` keep, `"-"` remove, `"+"` add), or nil when it
    /// needs more than `maxEdits` edits.
    static func myers(_ x: [Substring], _ y: [Substring], maxEdits: Int) -> [(Character, Substring)]? {
        let n = x.count, m = y.count
        let limit = min(n + m, maxEdits)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        for d in 0...limit {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var i: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) { i = v[offset + k + 1] } else { i = v[offset + k - 1] + 1 }
                var j = i - k
                while i < n, j < m, x[i] == y[j] { i += 1; j += 1 }
                v[offset + k] = i
                if i >= n, j >= m {
                    // Walk back through the trace.
                    var script: [(Character, Substring)] = []
                    var ci = n, cj = m
                    for back in stride(from: d, to: 0, by: -1) {
                        let pv = trace[back]
                        let ck = ci - cj
                        let down = ck == -back || (ck != back && pv[offset + ck - 1] < pv[offset + ck + 1])
                        let pk = down ? ck + 1 : ck - 1
                        let pi = pv[offset + pk], pj = pi - pk
                        while ci > pi + (down ? 0 : 1), cj > pj + (down ? 1 : 0) { ci -= 1; cj -= 1; script.append((" ", x[ci])) }
                        if down { cj -= 1; script.append(("+", y[cj])) } else { ci -= 1; script.append(("-", x[ci])) }
                    }
                    while ci > 0, cj > 0 { ci -= 1; cj -= 1; script.append((" ", x[ci])) }
                    return script.reversed()
                }
            }
        }
        return nil
    }
}
