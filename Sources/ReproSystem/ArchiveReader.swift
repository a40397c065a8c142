import Crypto
import FoundationEssentials
import Glibc
internal import CArchive
import ReproCore

/// One member of a container, as libarchive reads it.
struct ArchiveMember: Sendable {
    /// Where the member stands in its container, from 0; a second reading finds it again by it.
    var index: Int
    /// The member's name in the container (its bytes decoded as UTF-8, invalid bytes replaced).
    var name: String
    /// `file`, `dir`, `symlink`, `hardlink` or `other`.
    var type: String
    /// The modification time, when the format records one.
    var mtime: Int64?
    var uid: Int64
    var gid: Int64
    var uname: String?
    var gname: String?
    /// The permission bits.
    var mode: UInt32
    /// The declared size.
    var size: Int64
    /// A symlink's or hard link's target.
    var link: String?
    /// The SHA-256 of the contents read, for a member that was not compared with the member at
    /// the same place on the other side (nil when it was: see ``sameAsOther``).
    var sha256: String?
    /// For a member compared byte by byte with the member of the same name at the same index
    /// on the other side while both streamed: whether their contents were equal.
    var sameAsOther: Bool?
    /// How many bytes of contents were read.
    var bytesRead = 0
    /// Whether all the contents were read (no budget, deadline or read error cut them).
    var complete = true

    /// Whether the contents of `a` and `b` (one from each side) are equal; nil when this reading
    /// cannot tell (a name that appears more than once, compared at another index).
    static func sameContents(_ a: ArchiveMember, _ b: ArchiveMember) -> Bool? {
        if a.index == b.index, let same = a.sameAsOther, b.sameAsOther != nil { return same }
        if let x = a.sha256, let y = b.sha256 { return x == y }
        return nil
    }
}

/// What a container holds.
struct ArchiveListing: Sendable {
    /// libarchive's name of the format (`GNU tar format`, `ZIP 2.0 (deflation)`, `raw`, ...).
    var format: String
    /// The compression filters around it (`gzip`, `xz`, ...), outermost first.
    var filters: [String]
    var members: [ArchiveMember]
    /// What a bound cut while reading.
    var truncated: [String]
    /// Whether this is a compressed single stream rather than an archive of members.
    var isRaw = false
}

/// Reads containers with libarchive, for `repro diff`: tar, zip, ar, cpio, ISO 9660, 7-Zip, cab,
/// lha and rar, in gzip, bzip2, xz, lzma, zstd, lz4, compress or rpm; not mtree (it would take
/// plain text for an archive), not xar (it needs libxml2, which the static build does not link
/// in that order) and no `filter_all`, whose lrzip, lzop and grzip filters start a program. Reading is bounded by the byte budget (decompressed
/// bytes, all members together), the member limit and the deadline.
///
/// No member's contents are kept while listing: two containers are read side by side
/// (``readPair(_:_:limits:budgetA:budgetB:deadline:)``), a member with the same name at the same
/// place on both sides is compared chunk by chunk as both stream, and any other member is hashed.
/// The contents of the few members that differ are read again on demand
/// (``contents(_:indices:maxBytes:deadline:)``), so memory stays bounded by one chunk while
/// listing, whatever the size of the container.
enum ArchiveReader {
    /// Where the bytes come from.
    enum Source {
        case file(String)
        case memory([UInt8])
    }

    /// The bytes compared or hashed at a time.
    static let chunkBytes = 1 << 18

    /// The members of `source` when it is a container (an archive, or a compressed stream as one
    /// `raw` member), nil when libarchive recognises neither. Every member is hashed.
    static func read(_ source: Source, limits: DiffLimits, budget: inout Int, deadline: ContinuousClock.Instant)
        -> ArchiveListing?
    {
        withArchive(source) { a in
            guard let a else { return nil }
            let side = Side(a, budget: budget)
            defer { budget = side.budget }
            while side.next(limits: limits, deadline: deadline) {
                side.hash(limits: limits, deadline: deadline)
            }
            return side.result()
        }
    }

    /// The members of two containers read side by side, or nil when either is not a container.
    /// Members with the same name at the same index are compared chunk by chunk
    /// (``ArchiveMember/sameAsOther``); the others are hashed.
    static func readPair(
        _ sa: Source, _ sb: Source, limits: DiffLimits, budgetA: inout Int, budgetB: inout Int,
        deadline: ContinuousClock.Instant
    ) -> (ArchiveListing, ArchiveListing)? {
        withArchive(sa) { a in
            guard let a else { return nil }
            return withArchive(sb) { b in
                guard let b else { return nil }
                let x = Side(a, budget: budgetA), y = Side(b, budget: budgetB)
                defer {
                    budgetA = x.budget
                    budgetB = y.budget
                }
                var bufferA = [UInt8](repeating: 0, count: chunkBytes),
                    bufferB = [UInt8](repeating: 0, count: chunkBytes)
                while true {
                    let hasA = x.next(limits: limits, deadline: deadline),
                        hasB = y.next(limits: limits, deadline: deadline)
                    if x.notContainer || y.notContainer { return nil }
                    if !hasA, !hasB { break }
                    if hasA, hasB, x.member.name == y.member.name {
                        compare(x, y, &bufferA, &bufferB, limits: limits, deadline: deadline)
                        x.finish()
                        y.finish()
                    } else {
                        if hasA { x.hash(limits: limits, deadline: deadline) }
                        if hasB { y.hash(limits: limits, deadline: deadline) }
                    }
                }
                guard let la = x.result(), let lb = y.result() else { return nil }
                return (la, lb)
            }
        }
    }

    /// The contents of the members at `indices` of `source`, each at most `maxBytes` long (a
    /// longer one, or one cut by a read error or the deadline, is left out). Reads no further
    /// than the last index wanted; the other members are skipped.
    static func contents(_ source: Source, indices: Set<Int>, maxBytes: Int, deadline: ContinuousClock.Instant) -> [Int:
        [UInt8]]
    {
        guard let last = indices.max() else { return [:] }
        return withArchive(source) { a in
            guard let a else { return [:] }
            var found: [Int: [UInt8]] = [:]
            var entry: OpaquePointer?
            var buffer = [UInt8](repeating: 0, count: chunkBytes)
            for index in 0...last {
                guard archive_read_next_header(a, &entry) >= ARCHIVE_WARN, entry != nil else { break }
                guard indices.contains(index) else { continue }
                var kept: [UInt8] = []
                var whole = true
                while true {
                    let n = buffer.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress, $0.count) }
                    if n == 0 { break }
                    if n < 0 || kept.count + n > maxBytes || ContinuousClock.now >= deadline {
                        whole = false
                        break
                    }
                    kept.append(contentsOf: buffer[0..<n])
                }
                if whole { found[index] = kept }
            }
            return found
        }
    }

    /// Runs `body` with a libarchive reader opened on `source` (nil when it cannot be opened),
    /// and frees the reader after.
    private static func withArchive<R>(_ source: Source, _ body: (OpaquePointer?) -> R) -> R {
        guard let a = archive_read_new() else { fatalError("archive_read_new: out of memory") }
        defer { archive_read_free(a) }
        ArchiveFilters.enableInProcess(a)
        _ = archive_read_support_filter_rpm(a)
        for enable in [
            archive_read_support_format_tar, archive_read_support_format_gnutar, archive_read_support_format_zip,
            archive_read_support_format_ar, archive_read_support_format_cpio, archive_read_support_format_iso9660,
            archive_read_support_format_7zip, archive_read_support_format_cab, archive_read_support_format_lha,
            archive_read_support_format_rar, archive_read_support_format_raw,
        ] {
            _ = enable(a)
        }
        switch source {
        case .file(let path):
            guard let fd = try? FileDescriptor(opening: path, flags: O_RDONLY | O_NOFOLLOW) else { return body(nil) }
            return withExtendedLifetime(fd) {
                body(archive_read_open_fd(a, fd.raw, 65536) == ARCHIVE_OK ? a : nil)
            }
        case .memory(let bytes):
            return bytes.withUnsafeBytes { buffer in
                body(archive_read_open_memory(a, buffer.baseAddress, buffer.count) == ARCHIVE_OK ? a : nil)
            }
        }
    }

    /// Fills `buffer` from the current member of `side` (charging its budget); returns how many
    /// bytes, fewer only at the end of the contents or when reading stopped.
    private static func fill(_ side: Side, _ buffer: inout [UInt8], limits: DiffLimits) -> Int {
        var filled = 0
        while filled < buffer.count, !side.stopped {
            let n = buffer.withUnsafeMutableBytes { raw in
                archive_read_data(side.archive, raw.baseAddress! + filled, raw.count - filled)
            }
            if n == 0 { break }
            if n < 0 {
                side.cut("\(side.member.name): contents unreadable: \(side.error)")
                break
            }
            let count = min(n, side.budget)
            side.budget -= count
            side.member.bytesRead += count
            filled += count
            if count < n || side.budget <= 0 {
                side.cut(
                    "\(side.member.name): reading stopped at the limit of \(limits.maxBytes) bytes read (max_bytes)")
            }
        }
        return filled
    }

    /// Compares the current members of `x` and `y` as both stream, a chunk at a time.
    private static func compare(
        _ x: Side, _ y: Side, _ bufferA: inout [UInt8], _ bufferB: inout [UInt8],
        limits: DiffLimits, deadline: ContinuousClock.Instant
    ) {
        var same = true
        while true {
            let na = fill(x, &bufferA, limits: limits), nb = fill(y, &bufferB, limits: limits)
            if na != nb || memcmp(bufferA, bufferB, na) != 0 { same = false }
            if x.stopped || y.stopped || na < bufferA.count || nb < bufferB.count || !same { break }
            if ContinuousClock.now >= deadline {
                x.cut(
                    "\(x.member.name): contents compared up to byte \(x.member.bytesRead) only: the time limit of \(limits.maxSeconds) s was reached"
                )
                y.member.complete = false
                break
            }
        }
        // A difference found early: the rest is still read (and counted), to know the sizes.
        if !same {
            while !x.stopped, fill(x, &bufferA, limits: limits) == bufferA.count {}
            while !y.stopped, fill(y, &bufferB, limits: limits) == bufferB.count {}
        }
        // Members cut short are compared by what was read, as a digest of it would be.
        x.member.sameAsOther = same
        y.member.sameAsOther = same
    }

    /// One container being listed.
    private final class Side {
        let archive: OpaquePointer
        var budget: Int
        var listing = ArchiveListing(format: "", filters: [], members: [], truncated: [])
        /// The member being read.
        var member = ArchiveMember(index: 0, name: "", type: "other", uid: 0, gid: 0, mode: 0, size: 0)
        /// Set when the first header shows no container at all.
        var notContainer = false
        /// Set when no more headers are read.
        var ended = false
        /// Set when the current member's contents stopped being read (they are incomplete).
        var stopped = false

        init(_ archive: OpaquePointer, budget: Int) {
            self.archive = archive
            self.budget = budget
        }

        var error: String { archive_error_string(archive).map { String(cString: $0) } ?? "error" }

        /// Notes what cut the reading of the current member.
        func cut(_ note: String) {
            listing.truncated.append(note)
            member.complete = false
            stopped = true
        }

        /// Reads the next header into ``member``; false at the end or when a bound stops reading.
        func next(limits: DiffLimits, deadline: ContinuousClock.Instant) -> Bool {
            guard !ended else { return false }
            ended = true
            if budget <= 0, !listing.members.isEmpty { return false }
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { return false }
            guard status >= ARCHIVE_WARN, let entry else {
                if listing.members.isEmpty {
                    notContainer = true
                    return false
                }
                listing.truncated.append(
                    "reading stopped after \(listing.members.count) members: \(archive_error_string(archive).map { String(cString: $0) } ?? "unreadable")"
                )
                return false
            }
            if listing.members.isEmpty, !noteFormat() { return false }
            if listing.members.count >= limits.maxEntries {
                listing.truncated.append("only the first \(limits.maxEntries) members were compared (max_entries)")
                return false
            }
            if ContinuousClock.now >= deadline {
                listing.truncated.append(
                    "the time limit of \(limits.maxSeconds) s was reached after \(listing.members.count) members")
                return false
            }
            member = Self.headerMember(entry, index: listing.members.count)
            stopped = false
            ended = false
            return true
        }

        /// Notes the archive's format and filters, read with its first header; false (and not a
        /// container) for a raw stream with no compression, which is any file at all.
        private func noteFormat() -> Bool {
            listing.format = archive_format_name(archive).map { String(cString: $0) } ?? "unknown"
            listing.isRaw = archive_format(archive) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_RAW
            let count = archive_filter_count(archive)
            listing.filters = (0..<max(0, count)).compactMap { i in
                archive_filter_name(archive, i).map { String(cString: $0) }
            }
            .filter { $0 != "none" }.reversed()
            if listing.isRaw, listing.filters.isEmpty {
                notContainer = true
                return false
            }
            return true
        }

        /// The member `index` as its header `entry` describes it (its contents not read yet).
        private static func headerMember(_ entry: OpaquePointer, index: Int) -> ArchiveMember {
            var member = ArchiveMember(
                index: index,
                name: archive_entry_pathname(entry).map { String(cString: $0) } ?? "?", type: "other",
                mtime: archive_entry_mtime_is_set(entry) != 0 ? Int64(archive_entry_mtime(entry)) : nil,
                uid: Int64(archive_entry_uid(entry)), gid: Int64(archive_entry_gid(entry)),
                uname: archive_entry_uname(entry).map { String(cString: $0) },
                gname: archive_entry_gname(entry).map { String(cString: $0) },
                mode: UInt32(archive_entry_perm(entry)), size: Int64(archive_entry_size(entry)))
            if let hard = archive_entry_hardlink(entry) {
                member.type = "hardlink"
                member.link = String(cString: hard)
            } else {
                switch archive_entry_filetype(entry) {
                case S_IFREG: member.type = "file"
                case S_IFDIR: member.type = "dir"
                case S_IFLNK:
                    member.type = "symlink"
                    member.link = archive_entry_symlink(entry).map { String(cString: $0) }
                default: member.type = "other"
                }
            }
            return member
        }

        /// Reads the current member's contents, hashing them, and records the member.
        func hash(limits: DiffLimits, deadline: ContinuousClock.Instant) {
            var sha = SHA256()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !stopped {
                let n = ArchiveReader.fill(self, &buffer, limits: limits)
                sha.update(data: buffer[0..<n])
                if n < buffer.count { break }
                if ContinuousClock.now >= deadline {
                    cut(
                        "\(member.name): contents hashed up to byte \(member.bytesRead) only: the time limit of \(limits.maxSeconds) s was reached"
                    )
                }
            }
            member.sha256 = TreeDigest.hex(sha.finalize())
            finish()
        }

        /// Records the current member, its contents read.
        func finish() {
            listing.members.append(member)
        }

        /// The listing, nil when nothing was read at all.
        func result() -> ArchiveListing? {
            if notContainer { return nil }
            return listing.members.isEmpty && listing.format.isEmpty
                ? (listing.truncated.isEmpty ? nil : listing) : listing
        }
    }
}
