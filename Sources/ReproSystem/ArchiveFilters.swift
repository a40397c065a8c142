internal import CArchive

/// The decompression filters repro lets libarchive use: only those that run in this process.
///
/// `archive_read_support_filter_all` also registers lrzip, lzop and grzip, which libarchive
/// handles by starting the program of that name from PATH: an archive or index repro reads would
/// then run a host program on bytes a project chose, outside every sandbox. Here an archive in
/// one of those formats is simply not recognized (exit 2).
enum ArchiveFilters {
    static func enableInProcess(_ archive: OpaquePointer) {
        for enable in [
            archive_read_support_filter_gzip, archive_read_support_filter_bzip2, archive_read_support_filter_xz,
            archive_read_support_filter_lzma, archive_read_support_filter_lzip, archive_read_support_filter_zstd,
            archive_read_support_filter_lz4, archive_read_support_filter_compress,
        ] {
            _ = enable(archive)
        }
    }
}
