import Foundation
import ReproCore
#if canImport(Glibc)
import Glibc
#endif

/// What the cache records beside an unpacked tree, written last (its presence makes the tree trusted).
public struct TreeRecord: Codable, Sendable, Equatable {
    /// The record format version.
    public var format: Int
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
/// the next run that needs the cache (each live one is `flock`ed by its owner).
public final class ToolchainCache: @unchecked Sendable {
    /// The cache root, made absolute against the current directory.
    public let root: String
    /// Bounds for unpacking archives.
    public var limits: ExtractLimits = .default
    /// Receives progress lines (downloading, unpacking); ignored by default.
    public var progress: (String) -> Void = { _ in }

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
        var results = [CachedSource]()
        for source in spec.sources {
            if let hit = cached(source) {
                results.append(hit)
                continue
            }
            try prepare()
            removeStaleTemps()
            let result = try FileLock.holding("\(root)/locks/\(source.sha256).lock") { () throws(ReproError) -> CachedSource in
                if let hit = cached(source) { return hit }
                var downloaded = try ensureBlob(source, spec: spec, specPath: specPath)
                var result: CachedSource
                if let done = try unpack(source) {
                    result = done
                } else {
                    // The cached blob no longer matched its pin while it was unpacked: fetch it again.
                    progress("the cached \(blobPath(source.sha256)) no longer matches its pin; downloading it again")
                    Syscalls.removeTree(blobPath(source.sha256))
                    downloaded = try ensureBlob(source, spec: spec, specPath: specPath)
                    guard let again = try unpack(source) else {
                        throw .verification("\(source.url) changed while it was being unpacked from \(blobPath(source.sha256)); nothing was cached. Run the command again.")
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

    /// The cached source if its blob, tree and record are all in place; nil otherwise.
    public func cached(_ source: ToolchainSource) -> CachedSource? {
        let blob = blobPath(source.sha256), tree = treePath(source)
        guard Syscalls.exists(blob), Syscalls.isDirectory(tree),
              let data = FileManager.default.contents(atPath: recordPath(source)),
              let record = try? JSONDecoder().decode(TreeRecord.self, from: data),
              record.archiveSHA256 == source.sha256, record.stripComponents == source.stripComponents else { return nil }
        return CachedSource(source: source, blobPath: blob, treePath: tree + "/", treeDigest: record.treeDigest,
                            neutralized: record.neutralized, downloaded: false, unpacked: false)
    }

    /// Creates the cache directories; an unusable cache root is a configuration error.
    func prepare() throws(ReproError) {
        for dir in ["blobs/sha256", "trees", "locks", "tmp"] {
            if case .failure(let e) = Syscalls.mkdirs("\(root)/\(dir)") {
                throw .configuration("cannot use the cache directory \(root): creating \(dir) failed: \(e.text). Choose a writable cache with --cache DIR or $REPRO_CACHE.", errno: e.code)
            }
        }
        if access(root + "/tmp", R_OK | W_OK | X_OK) != 0 {
            let code = errno
            throw .configuration("cannot use the cache directory \(root): \(String(cString: strerror(code))). Choose a writable cache with --cache DIR or $REPRO_CACHE.", errno: code)
        }
    }

    /// Downloads the blob unless present; returns whether it downloaded. The caller holds the key's lock.
    private func ensureBlob(_ source: ToolchainSource, spec: ToolchainSpec, specPath: String) throws(ReproError) -> Bool {
        let blob = blobPath(source.sha256)
        if Syscalls.exists(blob) { return false }
        let temp = try TempEntry(cache: self)
        let file = temp.path + "/download"
        progress("downloading \(source.url)")
        let got = try Fetcher.download(source.url, to: file)
        if got.sha256 != source.sha256 {
            throw .verification("pin mismatch for toolchain \"\(spec.name)\" (\(specPath)): \(source.url) has SHA-256 \(got.sha256), but the spec pins \(source.sha256). Nothing was cached. If this archive is the one you want, put its digest in the spec's sha256; otherwise the source changed or was tampered with.")
        }
        _ = chmod(file, 0o444)
        if case .failure(let e) = Syscalls.rename(file, blob) {
            throw .configuration("cannot move the download into \(blob): \(e.text).", errno: e.code)
        }
        return true
    }

    /// Unpacks the blob into a temp dir, digesting the archive and the tree on the way, and renames
    /// tree, lines and record into place. Returns nil (keeping nothing) if the blob's bytes no longer
    /// match the pin.
    private func unpack(_ source: ToolchainSource) throws(ReproError) -> CachedSource? {
        let tree = treePath(source)
        let temp = try TempEntry(cache: self)
        let staging = temp.path + "/tree"
        if case .failure(let e) = Syscalls.mkdirs(staging) {
            throw .configuration("cannot create \(staging): \(e.text).", errno: e.code)
        }
        progress("unpacking \(source.sha256.prefix(12)) into \(tree)")
        let report: ExtractReport
        do {
            report = try ArchiveExtractor.extract(archive: blobPath(source.sha256), into: staging,
                                                  stripComponents: source.stripComponents, limits: limits)
        } catch {
            // A blob damaged in the cache is fetched again rather than reported as a bad archive.
            if (try? Hashing.sha256(file: blobPath(source.sha256))) != source.sha256 { return nil }
            throw error
        }
        if report.archiveSHA256 != source.sha256 { return nil }
        let listing = report.tree
        let record = TreeRecord(format: 1, archiveSHA256: source.sha256, stripComponents: source.stripComponents,
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
        for (from, to) in [(staging, tree), (temp.path + "/lines", linesPath(source)), (temp.path + "/record", recordPath(source))] {
            if case .failure(let e) = Syscalls.rename(from, to) {
                throw .configuration("cannot move \(from) into place at \(to): \(e.text).", errno: e.code)
            }
        }
        return CachedSource(source: source, blobPath: blobPath(source.sha256), treePath: tree + "/", treeDigest: listing.digest,
                            neutralized: report.neutralized, downloaded: false, unpacked: true)
    }

    /// Writes a whole file.
    private func write(_ data: Data, to path: String) throws(ReproError) {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw .configuration("cannot write \(path): \(error.localizedDescription). Check the cache directory.")
        }
    }

    /// Removes temp entries whose owner is gone (their `flock` is free). Skipped while another run cleans.
    public func removeStaleTemps() {
        guard let guardLock = try? FileLock(path: "\(root)/locks/tmp.lock", wait: false) else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp") else { return }
        for name in names {
            let path = root + "/tmp/" + name
            guard case .success(let raw) = Syscalls.open(path, O_RDONLY | O_NOFOLLOW) else {
                Syscalls.removeTree(path)
                continue
            }
            if let held = FileLock(lockingWithoutWait: FileDescriptor(raw)) {
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
              let record = try? JSONDecoder().decode(TreeRecord.self, from: data) else {
            return ["\(recordPath(source)): the tree's record is missing or unreadable; the tree is not trusted (the next fetch unpacks it again)"]
        }
        guard Syscalls.isDirectory(tree) else { return ["\(tree): the unpacked tree is missing"] }
        let recordedLines = FileManager.default.contents(atPath: linesPath(source)) ?? Data()
        var problems = [String]()
        if TreeDigest.digest(lines: recordedLines) != record.treeDigest {
            problems.append("\(linesPath(source)): the recorded entry list does not match the recorded digest \(record.treeDigest)")
        }
        let actual: TreeListing
        do { actual = try TreeWalker.walk(tree) } catch {
            return problems + ["\(tree): \(error.message)"]
        }
        if actual.digest != record.treeDigest {
            let changed = TreeDigest.differences(recorded: String(decoding: recordedLines, as: UTF8.self), actual: actual.lines)
            if changed.isEmpty {
                problems.append("\(tree): the tree digest is \(actual.digest), but \(record.treeDigest) was recorded")
            }
            for path in changed {
                problems.append("\(tree)/\(path): changed since it was unpacked (tree digest \(actual.digest), recorded \(record.treeDigest))")
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
                  let record = try? JSONDecoder().decode(TreeRecord.self, from: data) else { continue }
            let source = ToolchainSource(url: "cache", sha256: record.archiveSHA256, stripComponents: record.stripComponents)
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
        guard let guardLock = try FileLock(path: "\(cache.root)/locks/tmp.lock", shared: true) else { fatalError("a waiting lock cannot be busy") }
        var template = Array("\(cache.root)/tmp/\(getpid())-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            let code = errno
            throw .configuration("cannot create a temp directory in \(cache.root)/tmp: \(String(cString: strerror(code))). Check the cache directory.", errno: code)
        }
        let made = String(cString: template)
        guard case .success(let raw) = Syscalls.open(made, O_RDONLY | O_DIRECTORY),
              let held = FileLock(lockingWithoutWait: FileDescriptor(raw)) else {
            Syscalls.removeTree(made)
            throw .configuration("cannot lock the temp directory \(made).")
        }
        path = made
        lock = held
        _ = consume guardLock
    }

    deinit { Syscalls.removeTree(path) }
}
