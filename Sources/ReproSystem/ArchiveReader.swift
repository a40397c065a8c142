import Crypto
import Foundation
import Glibc
internal import CArchive
import ReproCore

/// One member of a container, as libarchive reads it.
struct ArchiveMember: Sendable {
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
    /// The SHA-256 of the contents read.
    var sha256: String
    /// The contents, when they fit in the member limit; nil when larger (compared by digest).
    var content: [UInt8]?
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
enum ArchiveReader {
    /// Where the bytes come from.
    enum Source {
        case file(String)
        case memory([UInt8])
    }

    /// The members of `source` when it is a container (an archive, or a compressed stream as one
    /// `raw` member), nil when libarchive recognises neither.
    static func read(_ source: Source, limits: DiffLimits, budget: inout Int, deadline: ContinuousClock.Instant) -> ArchiveListing? {
        switch source {
        case .file(let path):
            guard let fd = try? FileDescriptor(opening: path, flags: O_RDONLY | O_NOFOLLOW) else { return nil }
            return withReader({ archive_read_open_fd($0, fd.raw, 65536) }, limits: limits, budget: &budget, deadline: deadline)
        case .memory(let bytes):
            return bytes.withUnsafeBytes { buffer in
                withReader({ archive_read_open_memory($0, buffer.baseAddress, buffer.count) }, limits: limits, budget: &budget, deadline: deadline)
            }
        }
    }

    private static func withReader(_ open: (OpaquePointer) -> Int32, limits: DiffLimits, budget: inout Int,
                                   deadline: ContinuousClock.Instant) -> ArchiveListing? {
        guard let a = archive_read_new() else { fatalError("archive_read_new: out of memory") }
        defer { archive_read_free(a) }
        for enable in [archive_read_support_filter_gzip, archive_read_support_filter_bzip2, archive_read_support_filter_xz,
                       archive_read_support_filter_lzma, archive_read_support_filter_zstd, archive_read_support_filter_lz4,
                       archive_read_support_filter_compress, archive_read_support_filter_rpm] {
            _ = enable(a)
        }
        for enable in [archive_read_support_format_tar, archive_read_support_format_gnutar, archive_read_support_format_zip,
                       archive_read_support_format_ar, archive_read_support_format_cpio, archive_read_support_format_iso9660,
                       archive_read_support_format_7zip, archive_read_support_format_cab, archive_read_support_format_lha,
                       archive_read_support_format_rar, archive_read_support_format_raw] {
            _ = enable(a)
        }
        guard open(a) == ARCHIVE_OK else { return nil }
        var listing = ArchiveListing(format: "", filters: [], members: [], truncated: [])
        var entry: OpaquePointer?
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let status = archive_read_next_header(a, &entry)
            if status == ARCHIVE_EOF { break }
            if status < ARCHIVE_WARN || entry == nil {
                if listing.members.isEmpty { return nil }
                listing.truncated.append("reading stopped after \(listing.members.count) members: \(archive_error_string(a).map { String(cString: $0) } ?? "unreadable")")
                break
            }
            if listing.members.isEmpty {
                listing.format = archive_format_name(a).map { String(cString: $0) } ?? "unknown"
                listing.isRaw = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_RAW
                let count = archive_filter_count(a)
                listing.filters = (0..<max(0, count)).compactMap { i in archive_filter_name(a, i).map { String(cString: $0) } }
                    .filter { $0 != "none" }.reversed()
                // A raw stream with no compression is any file at all: not a container.
                if listing.isRaw, listing.filters.isEmpty { return nil }
            }
            if listing.members.count >= limits.maxEntries {
                listing.truncated.append("only the first \(limits.maxEntries) members were compared (max_entries)")
                break
            }
            if ContinuousClock.now >= deadline {
                listing.truncated.append("the time limit of \(limits.maxSeconds) s was reached after \(listing.members.count) members")
                break
            }
            var member = ArchiveMember(
                name: archive_entry_pathname(entry).map { String(cString: $0) } ?? "?", type: "other",
                mtime: archive_entry_mtime_is_set(entry) != 0 ? Int64(archive_entry_mtime(entry)) : nil,
                uid: Int64(archive_entry_uid(entry)), gid: Int64(archive_entry_gid(entry)),
                uname: archive_entry_uname(entry).map { String(cString: $0) }, gname: archive_entry_gname(entry).map { String(cString: $0) },
                mode: UInt32(archive_entry_perm(entry)), size: Int64(archive_entry_size(entry)),
                link: nil, sha256: "", content: nil)
            if let hard = archive_entry_hardlink(entry) {
                member.type = "hardlink"
                member.link = String(cString: hard)
            } else {
                switch archive_entry_filetype(entry) {
                case S_IFREG: member.type = "file"
                case S_IFDIR: member.type = "dir"
                case S_IFLNK: member.type = "symlink"; member.link = archive_entry_symlink(entry).map { String(cString: $0) }
                default: member.type = "other"
                }
            }
            var hash = SHA256()
            var kept: [UInt8]? = []
            while true {
                let n = buffer.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress, $0.count) }
                if n == 0 { break }
                if n < 0 {
                    listing.truncated.append("\(member.name): contents unreadable: \(archive_error_string(a).map { String(cString: $0) } ?? "error")")
                    break
                }
                let count = min(n, budget)
                budget -= count
                hash.update(data: buffer[0..<count])
                if kept != nil {
                    if kept!.count + count <= limits.maxMemberBytes { kept!.append(contentsOf: buffer[0..<count]) } else { kept = nil }
                }
                if count < n || budget <= 0 {
                    listing.truncated.append("\(member.name): reading stopped at the limit of \(limits.maxBytes) bytes read (max_bytes)")
                    kept = nil
                    break
                }
            }
            member.sha256 = TreeDigest.hex(hash.finalize())
            member.content = kept
            listing.members.append(member)
            if budget <= 0 { break }
        }
        return listing.members.isEmpty && listing.format.isEmpty ? (listing.truncated.isEmpty ? nil : listing) : listing
    }
}
