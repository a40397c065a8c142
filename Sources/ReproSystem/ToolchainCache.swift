import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// What the cache records beside an unpacked tree, written last (its presence makes the tree trusted).
public struct TreeRecord: Codable, Sendable, Equatable {
    /// The record format version: 2 since trees are stored without group or other write bits. A
    /// tree recorded in another format is unpacked again rather than trusted.
    public var format: Int
    /// The format this version writes and trusts.
    public static let currentFormat = 2
    /// The SHA-256 of the archive the tree was unpacked from.
    public var archiveSHA256: String
    /// The strip count used.
    public var stripComponents: Int
    /// The `t1:` digest of the tree right after unpacking.
    public var treeDigest: String
    /// Entries read from the archive.
    public var archiveEntries: Int
    /// Bytes of file contents unpacked.
    public var bytes: UInt64
    /// Devices, fifos and sockets not created and setuid/setgid bits removed, in archive order.
    public var neutralized: [NeutralizedEntry]
}

/// A source present in the cache: its blob, its unpacked tree and the tree's recorded digest.
public struct CachedSource: Sendable, Equatable {
    /// The spec's source.
    public var source: ToolchainSource
    /// `<cache>/blobs/sha256/<hex>`: the archive bytes.
    public var blobPath: String
    /// `<cache>/trees/<key>/`: the unpacked tree (key: the archive hex, plus `-strip<N>` if stripped).
    public var treePath: String
    /// The `t1:` digest recorded when the tree was unpacked.
    public var treeDigest: String
    /// What unpacking neutralized.
    public var neutralized: [NeutralizedEntry]
    /// Whether this call downloaded the blob.
    public var downloaded: Bool
    /// Whether this call unpacked the tree.
    public var unpacked: Bool
    /// For a Debian lock, every package the tree was assembled from, in assembly order.
    public var packages: [DebianPackagePin] = []
}

/// The result of verifying one cached source against its pin and its recorded tree digest.
public struct SourceVerification: Sendable, Equatable {
    /// The source checked.
    public var source: ToolchainSource
    /// False when neither blob nor tree is in the cache (nothing to verify).
    public var cached: Bool
    /// One line per problem, each naming the file that changed. Empty when everything matches.
    public var problems: [String]
}

/// The content-addressed toolchain cache: `blobs/sha256/<hex>`, `trees/<key>/` with
/// `trees/<key>.lines` (the digest input) and `trees/<key>.json` (the ``TreeRecord``), `locks/`, `tmp/`.
///
/// Everything is made under `tmp/` and renamed into place when complete; the record is renamed
/// last, so a tree without a record is never trusted. A lock per archive digest makes concurrent
/// fetches share one download and one unpack. Temp entries left by a crashed run are removed by
/// the next fetch, a cache hit included (each live one is `flock`ed by its owner). Downloads are
/// bounded by the source's pinned `size`, else by ``maxDownloadBytes``. Trees are stored without
/// group or other write bits, and a hit trusts a tree only while its root and its record are
/// owned by the current user (or root) and writable by nobody else.
public final class ToolchainCache: @unchecked Sendable {
    /// The cache root, made absolute against the current directory.
    public let root: String
    /// Bounds for unpacking archives.
    public var limits: ExtractLimits = .default
    /// The most bytes a download of a source without a pinned `size` may have; nil means
    /// `$REPRO_MAX_DOWNLOAD_BYTES`, else ``Fetcher/defaultMaxDownloadBytes`` (8 GiB). A pinned
    /// `size` above it is refused before anything is downloaded.
    public var maxDownloadBytes: UInt64?
    /// Receives progress lines (downloading, unpacking); ignored by default.
    public var progress: (String) -> Void = { _ in }
    /// Receives progress events (an unpack's start, its entries and bytes so far, its end).
    public var events: ProgressSink = { _ in }
    /// Content-addressed mirrors tried, in order, after a source's own URL: base URLs serving
    /// `sha256/<hex>` (the layout of the cache's `blobs/`). See ``Mirrors``.
    public var mirrors: [String] = []
    /// The mirrors a Debian lock's packages are downloaded from; nil means
    /// ``DebianMirrors/resolve(explicit:release:environment:etc:)`` with no explicit ones.
    public var debianMirrors: [String]?

    /// A cache rooted at `root` (created on first use).
    public init(root: String) {
        self.root = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
    }

    /// `blobs/sha256/<hex>` for an archive digest.
    public func blobPath(_ sha256: String) -> String { "\(root)/blobs/sha256/\(sha256)" }
    /// `trees/<key>` for a source.
    public func treePath(_ source: ToolchainSource) -> String { "\(root)/trees/\(source.treeKey)" }
    private func recordPath(_ source: ToolchainSource) -> String { "\(root)/trees/\(source.treeKey).json" }
    private func linesPath(_ source: ToolchainSource) -> String { "\(root)/trees/\(source.treeKey).lines" }

    /// Makes sure every source of `spec` is downloaded, pin-checked and unpacked; returns them in order.
    /// A cache hit costs a few `stat`s and one small read: the tree is not walked again.
    public func fetch(_ spec: ToolchainSpec, specPath: String) throws(ReproError) -> [CachedSource] {
        if !spec.packages.isEmpty { return [try fetchDebian(spec, specPath: specPath)] }
        var results = [CachedSource]()
        removeStaleTemps()
        for source in spec.sources {
            if let hit = cached(source) {
                results.append(hit)
                continue
            }
            try prepare()
            removeStaleTemps()  // also when the cache had no locks/ before
            let result = try FileLock.holding("\(root)/locks/\(source.sha256).lock") {
                () throws(ReproError) -> CachedSource in
                if let hit = cached(source) { return hit }
                var downloaded = try ensureBlob(source, spec: spec, specPath: specPath)
                var result: CachedSource
                if let done = try unpack(source, spec: spec, specPath: specPath) {
                    result = done
                } else {
                    // The cached blob no longer matched its pin while it was unpacked: fetch it again.
                    progress("the cached \(blobPath(source.sha256)) no longer matches its pin; downloading it again")
                    Syscalls.removeTree(blobPath(source.sha256))
                    downloaded = try ensureBlob(source, spec: spec, specPath: specPath)
                    guard let again = try unpack(source, spec: spec, specPath: specPath) else {
                        throw .verification(
                            "\(source.url) changed while it was being unpacked from \(blobPath(source.sha256)); nothing was cached. Run the command again."
                        )
                    }
                    result = again
                }
                result.downloaded = downloaded
                return result
            }
            results.append(result)
        }
        return results
    }

    /// The cached source if its blob, tree and record are all in place and the tree can be
    /// trusted without reading it again (see ``isTrusted(_:directory:)``); nil otherwise.
    public func cached(_ source: ToolchainSource) -> CachedSource? {
        let blob = blobPath(source.sha256), tree = treePath(source), recordFile = recordPath(source)
        guard Syscalls.exists(blob),
            let treeStat = Syscalls.lstat(tree), Self.isTrusted(treeStat, directory: true),
            let recordStat = Syscalls.lstat(recordFile), Self.isTrusted(recordStat, directory: false),
            let data = FileManager.default.contents(atPath: recordFile),
            let record = try? JSONDecoder().decode(TreeRecord.self, from: data),
            record.format == TreeRecord.currentFormat,
            record.archiveSHA256 == source.sha256, record.stripComponents == source.stripComponents
        else { return nil }
        return CachedSource(
            source: source, blobPath: blob, treePath: tree + "/", treeDigest: record.treeDigest,
            neutralized: record.neutralized, downloaded: false, unpacked: false)
    }

    /// Whether a tree's root (`directory`) or its record, as `lstat` found it, may be trusted on a
    /// cache hit: the right type (not a symlink), owned by the current user or by root, and without
    /// group or other write bits. Everything below the root was unpacked without those bits, so
    /// nobody else can have changed the tree since; a full check is `repro toolchain verify`.
    static func isTrusted(_ st: stat, directory: Bool) -> Bool {
        let type = st.st_mode & S_IFMT
        guard type == (directory ? S_IFDIR : S_IFREG) else { return false }
        guard st.st_uid == Syscalls.geteuid() || st.st_uid == 0 else { return false }
        return st.st_mode & 0o022 == 0
    }

    /// Creates the cache directories (the root 0700 if it is missing, the others 0755 at most);
    /// an unusable cache root is a configuration error.
    func prepare() throws(ReproError) {
        if !Syscalls.isDirectory(root), case .failure(let e) = Syscalls.mkdirs(root, mode: CachePaths.rootMode) {
            throw .configuration(
                "cannot use the cache directory \(root): \(e.text). Choose a writable cache with --cache DIR or $REPRO_CACHE.",
                errno: e.code)
        }
        for dir in ["blobs/sha256", "trees", "locks", "tmp"] {
            if case .failure(let e) = Syscalls.mkdirs("\(root)/\(dir)") {
                throw .configuration(
                    "cannot use the cache directory \(root): creating \(dir) failed: \(e.text). Choose a writable cache with --cache DIR or $REPRO_CACHE.",
                    errno: e.code)
            }
        }
        if case .failure(let e) = Syscalls.access(root + "/tmp", R_OK | W_OK | X_OK) {
            throw .configuration(
                "cannot use the cache directory \(root): \(e.text). Choose a writable cache with --cache DIR or $REPRO_CACHE.",
                errno: e.code)
        }
    }

    /// Downloads the blob unless present; returns whether it downloaded. The caller holds the key's lock.
    ///
    /// The locations are tried in order: the source's own URL, then each of ``mirrors``
    /// (`BASE/sha256/<hex>`). Every download is checked against the pin; one that fails (cannot be
    /// fetched, or does not match) is thrown away and the next location is tried. When all fail,
    /// the error is the one a single location gives when there are no mirrors, else a pin mismatch
    /// (exit 5) if any location served wrong bytes, else an input error (exit 2), naming each try.
    ///
    /// A download stops as soon as it passes the source's pinned `size` (a pin mismatch) or,
    /// without one, the download limit (exit 2). Either way, and on any other failure, the temp
    /// entry and everything in it is removed.
    private func ensureBlob(_ source: ToolchainSource, spec: ToolchainSpec, specPath: String) throws(ReproError) -> Bool
    {
        let blob = blobPath(source.sha256)
        if Syscalls.exists(blob) { return false }
        let cap: UInt64
        if let maxDownloadBytes { cap = maxDownloadBytes } else { cap = try Fetcher.maxDownloadBytes() }
        let here = "toolchain \"\(spec.name)\" (\(specPath))"
        if let size = source.size, size > cap {
            throw .configuration(
                "\(here): \(source.url) pins size \(size) bytes, more than the download limit of \(cap) bytes; nothing was downloaded. If the archive is really that large, raise the limit with --max-download-bytes \(size) or \(Fetcher.maxDownloadVariable)=\(size)."
            )
        }
        let locations = [source.url] + mirrors.map { Mirrors.blobURL(base: $0, sha256: source.sha256) }
        var failures: [ReproError] = []
        for (index, url) in locations.enumerated() {
            do throws(ReproError) {
                try download(url, source: source, here: here, specPath: specPath, cap: cap, into: blob)
                return true
            } catch {
                failures.append(error)
                if index + 1 < locations.count {
                    progress("\(url): \(error.message) Trying \(locations[index + 1]).")
                }
            }
        }
        if failures.count == 1 { throw failures[0] }
        let tried = zip(locations, failures).map { "\($0.0): \($0.1.message)" }.joined(separator: "; ")
        if failures.contains(where: { $0.kind == .verification }) {
            throw .verification(
                "no location served the archive pinned by \(here) (sha256 \(source.sha256)); nothing was cached. Tried: \(tried)"
            )
        }
        throw .configuration(
            "cannot fetch the archive pinned by \(here) (sha256 \(source.sha256)) from its url or any mirror; nothing was cached. Tried: \(tried). Check the url in the spec, the mirrors (--mirror, $\(Mirrors.variable)) and that the servers are reachable."
        )
    }

    /// Downloads `url` into a temp entry, checks it against the pin of `source` and renames it to
    /// `blob`; throws (keeping nothing) on any failure.
    private func download(
        _ url: String, source: ToolchainSource, here: String, specPath: String, cap: UInt64,
        into blob: String
    ) throws(ReproError) {
        let temp = try TempEntry(cache: self)
        let file = temp.path + "/download"
        progress("downloading \(url)")
        let got = try Fetcher.download(url, to: file, maxBytes: source.size ?? cap)
        // The actual length and digest of a local file the spec's owner cannot read are not shown.
        let disclose = Fetcher.mayDisclose(url, specPath: specPath)
        if let size = source.size, got.exceeded || got.size != size {
            let actual =
                got.exceeded
                ? "more than \(size) bytes (the download was stopped there)"
                : disclose ? "\(got.size) bytes" : "another length"
            throw .verification(
                "pin mismatch for \(here): \(url) has \(actual), but the spec pins size \(size). Nothing was cached. If this archive is the one you want, put its length and digest in the spec's size and sha256; otherwise the source changed or was tampered with."
            )
        }
        if got.exceeded {
            throw .configuration(
                "\(here): \(url) is longer than the download limit of \(cap) bytes; the download was stopped there and nothing was cached. If the archive is really that large, raise the limit with --max-download-bytes N or \(Fetcher.maxDownloadVariable)=N, and pin its length with size in the spec."
            )
        }
        if got.sha256 != source.sha256 {
            let actual =
                disclose
                ? "has SHA-256 \(got.sha256)" : "has another SHA-256 (not shown: the spec's owner cannot read \(url))"
            throw .verification(
                "pin mismatch for \(here): \(url) \(actual), but the spec pins \(source.sha256). Nothing was cached. If this archive is the one you want, put its digest in the spec's sha256; otherwise the source changed or was tampered with."
            )
        }
        if case .failure(let e) = Syscalls.chmod(file, 0o444) {
            throw .configuration(
                "cannot make the download \(file) read-only: \(e.text). Check the cache directory.", errno: e.code)
        }
        if case .failure(let e) = Syscalls.rename(file, blob) {
            throw .configuration("cannot move the download into \(blob): \(e.text).", errno: e.code)
        }
    }

    /// Unpacks the blob into a temp dir, digesting the archive and the tree on the way, and renames
    /// tree, lines and record into place. Returns nil (keeping nothing) if the blob's bytes no longer
    /// match the pin.
    private func unpack(_ source: ToolchainSource, spec: ToolchainSpec, specPath: String) throws(ReproError)
        -> CachedSource?
    {
        let tree = treePath(source)
        let temp = try TempEntry(cache: self)
        let staging = temp.path + "/tree"
        if case .failure(let e) = Syscalls.mkdirs(staging) {
            throw .configuration("cannot create \(staging): \(e.text).", errno: e.code)
        }
        // Whatever the umask: what a cache hit checks.
        if case .failure(let e) = Syscalls.chmod(staging, 0o755) {
            throw .configuration("cannot create \(staging): \(e.text).", errno: e.code)
        }
        progress("unpacking \(source.sha256.prefix(12)) into \(tree)")
        let report: ExtractReport
        let unpacking = PhaseTimer(.unpacking, sink: events)
        do {
            let events = self.events
            report = try ArchiveExtractor.extract(
                archive: blobPath(source.sha256), into: staging,
                stripComponents: source.stripComponents, limits: limits,
                progress: { events(.unpacked(entries: $0, bytes: $1)) })
            unpacking.end()
        } catch {
            unpacking.end(failed: true)
            // A blob damaged in the cache is fetched again rather than reported as a bad archive.
            if (try? Hashing.sha256(file: blobPath(source.sha256))) != source.sha256 { return nil }
            // The cache's blob path alone does not say which toolchain or download it is.
            throw error.prefixed(
                "toolchain \(spec.name.debugDescription) (\(specPath)), source \(source.url): ",
                context: .init(path: specPath, url: source.url, toolchain: spec.name))
        }
        if report.archiveSHA256 != source.sha256 { return nil }
        let listing = report.tree
        let record = TreeRecord(
            format: TreeRecord.currentFormat, archiveSHA256: source.sha256, stripComponents: source.stripComponents,
            treeDigest: listing.digest, archiveEntries: report.entries, bytes: report.bytes,
            neutralized: report.neutralized)
        try write(Data(listing.lines.utf8), to: temp.path + "/lines")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let json: Data
        do { json = try encoder.encode(record) } catch { fatalError("encoding a TreeRecord cannot fail: \(error)") }
        try write(json, to: temp.path + "/record")
        // A tree without a record was left by a crash between the renames: it is not trusted.
        Syscalls.removeTree(recordPath(source))
        Syscalls.removeTree(tree)
        for (from, to) in [
            (staging, tree), (temp.path + "/lines", linesPath(source)), (temp.path + "/record", recordPath(source)),
        ] {
            if case .failure(let e) = Syscalls.rename(from, to) {
                throw .configuration("cannot move \(from) into place at \(to): \(e.text).", errno: e.code)
            }
        }
        return CachedSource(
            source: source, blobPath: blobPath(source.sha256), treePath: tree + "/", treeDigest: listing.digest,
            neutralized: report.neutralized, downloaded: false, unpacked: true)
    }

    /// Writes a whole new file, mode 0644 at most (whatever the umask: a cache hit checks it).
    func write(_ data: Data, to path: String) throws(ReproError) {
        func failure(_ e: Errno) -> ReproError {
            .configuration("cannot write \(path): \(e.text). Check the cache directory.", errno: e.code)
        }
        let fd = try FileDescriptor(opening: path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644, failure: failure)
        if case .failure(let e) = data.withUnsafeBytes({ Syscalls.writeAll(fd.raw, $0) }) { throw failure(e) }
    }

    /// Removes temp entries whose owner is gone (their `flock` is free), with what a killed check
    /// recorded in its entry as being written outside the cache (``InterruptCleanup``). Skipped
    /// while another run cleans; costs one directory read when there is nothing to remove.
    public func removeStaleTemps() {
        guard let listed = try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp"), !listed.isEmpty,
            Syscalls.isDirectory(root + "/locks")
        else { return }
        guard let guardLock = try? FileLock(path: "\(root)/locks/tmp.lock", wait: false) else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp") else { return }
        for name in names {
            let path = root + "/tmp/" + name
            guard case .success(let raw) = Syscalls.open(path, O_RDONLY | O_NOFOLLOW) else {
                Syscalls.removeTree(path)
                continue
            }
            if let held = FileLock(lockingWithoutWait: FileDescriptor(raw)) {
                InterruptCleanup.removeRecorded(in: path)
                Syscalls.removeTree(path)
                _ = consume held
            }
        }
        _ = consume guardLock
    }

    // MARK: verify

    /// Re-hashes the cached blob of `source` against its pin and walks its tree against the recorded digest.
    public func verify(_ source: ToolchainSource) throws(ReproError) -> SourceVerification {
        let blob = blobPath(source.sha256), tree = treePath(source)
        var problems = [String]()
        var cachedAny = false
        if Syscalls.exists(blob) {
            cachedAny = true
            let actual = try Hashing.sha256(file: blob)
            if actual != source.sha256 {
                problems.append("\(blob): the archive's SHA-256 is \(actual), but its pin is \(source.sha256)")
            }
        }
        if Syscalls.exists(recordPath(source)) || Syscalls.exists(tree) {
            cachedAny = true
            problems += try verifyTree(source)
        }
        return SourceVerification(source: source, cached: cachedAny, problems: problems)
    }

    /// Checks one unpacked tree against its record; returns problems naming each changed file.
    private func verifyTree(_ source: ToolchainSource) throws(ReproError) -> [String] {
        let tree = treePath(source)
        guard let data = FileManager.default.contents(atPath: recordPath(source)),
            let record = try? JSONDecoder().decode(TreeRecord.self, from: data)
        else {
            return [
                "\(recordPath(source)): the tree's record is missing or unreadable; the tree is not trusted (the next fetch unpacks it again)"
            ]
        }
        guard Syscalls.isDirectory(tree) else { return ["\(tree): the unpacked tree is missing"] }
        let recordedLines = FileManager.default.contents(atPath: linesPath(source)) ?? Data()
        var problems = [String]()
        if TreeDigest.digest(lines: recordedLines) != record.treeDigest {
            problems.append(
                "\(linesPath(source)): the recorded entry list does not match the recorded digest \(record.treeDigest)")
        }
        let actual: TreeListing
        do { actual = try TreeWalker.walk(tree) } catch {
            return problems + ["\(tree): \(error.message)"]
        }
        if actual.digest != record.treeDigest {
            let changed = TreeDigest.differences(
                recorded: String(decoding: recordedLines, as: UTF8.self), actual: actual.lines)
            if changed.isEmpty {
                problems.append("\(tree): the tree digest is \(actual.digest), but \(record.treeDigest) was recorded")
            }
            for path in changed {
                problems.append(
                    "\(tree)/\(path): changed since it was unpacked (tree digest \(actual.digest), recorded \(record.treeDigest))"
                )
            }
        }
        return problems
    }

    /// Verifies every blob (its name is its digest) and every recorded tree in the cache.
    public func verifyAll() throws(ReproError) -> [SourceVerification] {
        var sources = [String: ToolchainSource]()
        let blobs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/blobs/sha256")) ?? []
        for hex in blobs where ToolchainSpec.isSHA256Hex(hex) {
            sources[hex] = ToolchainSource(url: "cache", sha256: hex)
        }
        let trees = (try? FileManager.default.contentsOfDirectory(atPath: root + "/trees")) ?? []
        for name in trees where name.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: root + "/trees/" + name),
                let record = try? JSONDecoder().decode(TreeRecord.self, from: data)
            else { continue }
            let source = ToolchainSource(
                url: "cache", sha256: record.archiveSHA256, stripComponents: record.stripComponents)
            sources[source.treeKey] = source
        }
        var results = [SourceVerification]()
        for key in sources.keys.sorted() { results.append(try verify(sources[key]!)) }
        return results
    }
}

/// A directory under the cache's `tmp/`, `flock`ed while alive and removed when it goes away.
struct TempEntry: ~Copyable {
    /// The directory's path.
    let path: String
    private let lock: FileLock

    /// Creates and locks a fresh temp directory (holding `locks/tmp.lock` shared meanwhile, so a
    /// concurrent cleaner never sees it unlocked).
    init(cache: ToolchainCache) throws(ReproError) {
        try cache.prepare()
        guard let guardLock = try FileLock(path: "\(cache.root)/locks/tmp.lock", shared: true) else {
            fatalError("a waiting lock cannot be busy")
        }
        let made: String
        switch Syscalls.mkdtemp("\(cache.root)/tmp/\(getpid())-XXXXXX") {
        case .success(let path): made = path
        case .failure(let e):
            throw .configuration(
                "cannot create a temp directory in \(cache.root)/tmp: \(e.text). Check the cache directory.",
                errno: e.code)
        }
        guard case .success(let raw) = Syscalls.open(made, O_RDONLY | O_DIRECTORY),
            let held = FileLock(lockingWithoutWait: FileDescriptor(raw))
        else {
            Syscalls.removeTree(made)
            throw .configuration("cannot lock the temp directory \(made).")
        }
        path = made
        lock = held
        _ = consume guardLock
    }

    deinit { Syscalls.removeTree(path) }
}
