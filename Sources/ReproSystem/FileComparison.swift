import FoundationEssentials
import Glibc
import ReproCore

/// Finds where two versions of an output file first differ, and why, reading no more of them
/// than it needs: files up to `wholeFileLimit` are read whole (every pattern can be tried); larger
/// ones are compared a chunk at a time and explained from a window around the first difference,
/// so a multi-gigabyte image that differs costs two streaming reads, not its size in memory twice.
enum FileComparison {
    /// Files up to this size (both of them) are read whole.
    static let wholeFileLimit = 16 << 20
    /// How many bytes after the first difference a window holds.
    static let windowAfter = 1 << 20
    /// How many bytes before it (a timestamp or token may begin before its first differing digit).
    static let windowBefore = 4096
    /// The size of each read while looking for the first difference.
    static let chunk = 1 << 20

    /// The first differing byte of `a` and `b` (nil if their contents are equal) and a likely
    /// cause; nil when either cannot be read as a regular file.
    static func compare(_ a: String, _ b: String, now: Int64) -> (offset: Int64?, explanation: String?)? {
        guard let fa = try? FileDescriptor(opening: a, flags: O_RDONLY | O_NOFOLLOW),
            let fb = try? FileDescriptor(opening: b, flags: O_RDONLY | O_NOFOLLOW),
            let sa = regularSize(fa.raw), let sb = regularSize(fb.raw)
        else { return nil }
        if sa <= wholeFileLimit, sb <= wholeFileLimit {
            guard let x = read(fa.raw, at: 0, count: sa), let y = read(fb.raw, at: 0, count: sb) else { return nil }
            guard let offset = Comparison.firstDifference(x, y) else { return (nil, nil) }
            return (offset, DifferenceExplainer.explain(x, y, offset: Int(offset), now: now))
        }
        let offset: Int
        switch firstDifference(fa.raw, fb.raw, common: min(sa, sb)) {
        case .unreadable: return nil
        case .differs(let at): offset = at
        case .same where sa == sb: return (nil, nil)
        case .same: offset = min(sa, sb)
        }
        // Windows start at the file's beginning when the difference is near it, so that headers
        // (an ELF file's build-id note) can be recognized.
        let base = offset < windowAfter ? 0 : offset - windowBefore
        let end = offset + windowAfter
        guard let x = read(fa.raw, at: base, count: min(sa, end) - base),
            let y = read(fb.raw, at: base, count: min(sb, end) - base)
        else { return (Int64(offset), nil) }
        let explanation = DifferenceExplainer.explain(
            x, y, offset: offset - base, now: now, base: base, complete: false)
        return (Int64(offset), explanation)
    }

    /// The size of an open regular file, or nil for anything else.
    private static func regularSize(_ fd: Int32) -> Int? {
        guard case .success(let st) = Syscalls.fstat(fd), st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    /// `count` bytes from `offset` (fewer at the end of the file); nil on a read error.
    private static func read(_ fd: Int32, at offset: Int, count: Int) -> Data? {
        var bytes = Data(count: max(0, count))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buf in
                Syscalls.pread(fd, UnsafeMutableRawBufferPointer(rebasing: buf[done...]), at: off_t(offset + done))
            }
            guard case .success(let got) = n else { return nil }
            if got == 0 { break }
            done += got
        }
        bytes.count = done
        return bytes
    }

    private enum Scan { case differs(at: Int), same, unreadable }

    /// Where the first `common` bytes of both files first differ.
    private static func firstDifference(_ a: Int32, _ b: Int32, common: Int) -> Scan {
        var position = 0
        while position < common {
            let count = min(chunk, common - position)
            guard let x = read(a, at: position, count: count), let y = read(b, at: position, count: count),
                x.count == count, y.count == count
            else { return .unreadable }
            let equal = x.withUnsafeBytes { px in
                y.withUnsafeBytes { py in memcmp(px.baseAddress!, py.baseAddress!, count) == 0 }
            }
            if !equal, let i = (0..<count).first(where: { x[$0] != y[$0] }) { return .differs(at: position + i) }
            position += count
        }
        return .same
    }
}
