internal import CArchive
import Crypto
import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// Where `.deb` files and indexes of a Debian lock are downloaded from: base URLs of Debian
/// archives (`http://deb.debian.org/debian`), never named in a spec.
public enum DebianMirrors {
    /// The variable that adds mirrors: base URLs separated by spaces or commas.
    public static let variable = "REPRO_DEBIAN_MIRRORS"

    /// One enabled `deb` entry of the host's apt sources.
    public struct AptSource: Sendable, Equatable {
        /// The archive's base URL, without a trailing `/`.
        public var uri: String
        /// The suite (`bookworm`, `bookworm-security`).
        public var suite: String
        /// The components (`main`, ...).
        public var components: [String]
    }

    /// Why `url` cannot be a Debian mirror, or nil. Accepted: `file:///dir`, `https://host/...`
    /// and `http://host/...` for any host: every file taken from a mirror is checked against a pin
    /// or against InRelease's signed checksums, so the transport is not what is trusted (as apt
    /// does with the same archives).
    public static func problem(_ url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased() else {
            return "\"\(url)\" is not a URL. Use http://host/debian, https://host/debian or file:///srv/debian."
        }
        switch scheme {
        case "file":
            return parsed.path.hasPrefix("/") ? nil : "file URL \"\(url)\" needs an absolute path (file:///srv/debian)."
        case "http", "https": return (parsed.host ?? "").isEmpty ? "mirror URL \"\(url)\" has no host." : nil
        default:
            return "unknown URL scheme \"\(scheme)\" in the Debian mirror \"\(url)\". Use http://, https:// or file://."
        }
    }

    /// The enabled `deb` entries of `etc` (`sources.list`, `sources.list.d/*.list` and
    /// `*.sources`) whose suite is `release` or `release-something`, in file order, read the
    /// way `scripts/host-apt-sources.py` reads them.
    public static func hostSources(release: String, etc: String = "/etc/apt") -> [AptSource] {
        func matches(_ suite: String) -> Bool {
            suite == release || suite.hasPrefix(release + "-") || suite.hasPrefix(release + "/")
        }
        var found = [AptSource]()
        let fm = FileManager.default
        let listDir = etc + "/sources.list.d"
        let names = ((try? fm.contentsOfDirectory(atPath: listDir)) ?? []).sorted()
        let lists = [etc + "/sources.list"] + names.filter({ $0.hasSuffix(".list") }).map({ listDir + "/" + $0 })
        for path in lists {
            guard let text = Syscalls.readSmallFile(path, limit: 1 << 20) else { continue }
            for raw in text.split(separator: "\n") {
                var line =
                    raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
                    ?? ""
                if let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"), open < close {
                    line.removeSubrange(open...close)
                }
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard words.count >= 3, words[0] == "deb", matches(words[2]) else { continue }
                found.append(AptSource(uri: trimmed(words[1]), suite: words[2], components: Array(words.dropFirst(3))))
            }
        }
        for name in names where name.hasSuffix(".sources") {
            guard let text = Syscalls.readSmallFile(listDir + "/" + name, limit: 1 << 20) else { continue }
            for block in text.components(separatedBy: "\n\n") {
                var fields = [String: String]()
                var key: String?
                for line in block.split(separator: "\n") where !line.hasPrefix("#") {
                    if line.first == " " || line.first == "\t" {
                        if let key { fields[key, default: ""] += " " + line.trimmingSpaces() }
                        continue
                    }
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    key = line[..<colon].trimmingSpaces().lowercased()
                    fields[key!] = line[line.index(after: colon)...].trimmingSpaces()
                }
                guard fields["enabled"]?.lowercased() != "no",
                    (fields["types"] ?? "").split(separator: " ").contains("deb")
                else { continue }
                let components = (fields["components"] ?? "main").split(separator: " ").map(String.init)
                for uri in (fields["uris"] ?? "").split(separator: " ") {
                    for suite in (fields["suites"] ?? "").split(separator: " ") where matches(String(suite)) {
                        found.append(AptSource(uri: trimmed(String(uri)), suite: String(suite), components: components))
                    }
                }
            }
        }
        return found
    }

    /// The mirrors to try, in order: `explicit` (`--debian-mirror`), then `$REPRO_DEBIAN_MIRRORS`,
    /// then the host's apt sources for `release`; each once. A bad URL is an error (exit 2).
    public static func resolve(
        explicit: [String], release: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        etc: String = "/etc/apt"
    ) throws(ReproError) -> [String] {
        let fromEnvironment = (environment[variable] ?? "").split(whereSeparator: {
            $0 == " " || $0 == "," || $0 == "\n"
        }).map(String.init)
        var result = [String]()
        for (url, origin) in explicit.map({ ($0, "--debian-mirror") }) + fromEnvironment.map({ ($0, variable) }) {
            if let problem = problem(url) { throw .configuration("\(origin): \(problem)") }
            let base = trimmed(url)
            if !result.contains(base) { result.append(base) }
        }
        for source in hostSources(release: release, etc: etc)
        where problem(source.uri) == nil && !result.contains(source.uri) {
            result.append(source.uri)
        }
        return result
    }

    static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}

/// `repro toolchain lock`: reads a release's signed indexes and resolves a package set.
public enum DebianLocker {
    /// The keyring InRelease files are checked with: `$REPRO_DEBIAN_KEYRING`, else Debian's.
    public static func keyring(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["REPRO_DEBIAN_KEYRING"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/usr/share/keyrings/debian-archive-keyring.gpg"
    }

    /// The Debian architecture of this machine (`amd64`, `arm64`, ...).
    public static var hostArchitecture: String {
        let machine = Syscalls.machine()
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64": return "arm64"
        case "i686", "i386": return "i386"
        case "ppc64le": return "ppc64el"
        case "riscv64": return "riscv64"
        case "s390x": return "s390x"
        default: return machine
        }
    }

    /// Resolves the lock: for `release` and each `release-*` suite the host's apt sources list,
    /// downloads `dists/SUITE/InRelease` from the first mirror that has it, checks its signature
    /// with gpgv and the keyring, downloads each component's `Packages.xz` (or `.gz`, or plain),
    /// checks it against InRelease's SHA256 list, and resolves `include` over the merged indexes.
    public static func lock(
        release: String, include: [String], architecture: String, explicitMirrors: [String],
        cache: ToolchainCache, now: Date = Date(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        etc: String = "/etc/apt"
    ) throws(ReproError) -> (DebianLockInfo, [DebianPackagePin]) {
        let host = DebianMirrors.hostSources(release: release, etc: etc)
        var fromEnvironment = try DebianMirrors.resolve(
            explicit: explicitMirrors, release: release, environment: environment, etc: "/nonexistent")
        fromEnvironment.removeAll { url in host.contains { $0.uri == url } }
        var suites = [release]
        for source in host where !suites.contains(source.suite) { suites.append(source.suite) }
        var components = [String]()
        for source in host { for c in source.components where !components.contains(c) { components.append(c) } }
        if components.isEmpty { components = ["main"] }
        var packages = [DebianPackage]()
        var read = [String]()
        for suite in suites {
            var bases = fromEnvironment
            for source in host where source.suite == suite && !bases.contains(source.uri) { bases.append(source.uri) }
            if bases.isEmpty {
                throw .configuration(
                    "no Debian mirror for \(suite): the host's apt sources (\(etc)) list none. Name one with --debian-mirror http://deb.debian.org/debian or \(DebianMirrors.variable)."
                )
            }
            var failures = [String]()
            var done = false
            for base in bases {
                do {
                    packages += try readSuite(
                        base: base, suite: suite, components: components, architecture: architecture, cache: cache,
                        environment: environment, now: now)
                    done = true
                    break
                } catch {
                    if error.kind == .verification { throw error }
                    failures.append("\(base): \(error.message)")
                }
            }
            if !done {
                // The release itself must be read; an extra suite the host lists is required too:
                // a lock without the security suite would silently miss its fixes.
                throw .configuration(
                    "cannot read the indexes of \(suite) from any mirror:\n  " + failures.joined(separator: "\n  ")
                        + "\nCheck the network and the mirrors, or name one with --debian-mirror.")
            }
            read.append(suite)
        }
        cache.progress("resolving minbase + \(include.joined(separator: ",")) over \(packages.count) index entries")
        let chosen = try DebianResolver(packages).resolve(include: include)
        let info = DebianLockInfo(
            suite: release, suites: read, architecture: architecture, locked: RFC3339.format(now), include: include)
        return (info, chosen.map(\.pin))
    }

    /// Reads one suite's verified indexes from `base`.
    static func readSuite(
        base: String, suite: String, components: [String], architecture: String,
        cache: ToolchainCache, environment: [String: String], now: Date = Date()
    ) throws(ReproError) -> [DebianPackage] {
        let temp = try TempEntry(cache: cache)
        let inRelease = temp.path + "/InRelease", verified = temp.path + "/Release"
        let url = "\(base)/dists/\(suite)/InRelease"
        cache.progress("downloading \(url)")
        _ = try Fetcher.download(url, to: inRelease, maxBytes: 64 << 20, anyHTTPHost: true)
        let keyring = keyring(environment: environment)
        let gpgv = try HostCommand.run([
            "gpgv", "--status-fd", "1", "--keyring", keyring, "--output", verified, inRelease,
        ])
        let problem = DebianIndex.signatureProblem(gpgvStatus: String(decoding: gpgv.stdout, as: UTF8.self))
        guard gpgv.status == 0, problem == nil else {
            let why = problem ?? gpgv.stderr.trimmingWhitespace()
            throw .verification(
                "the signature of \(url) does not verify with \(keyring): \(why). Nothing was locked. Check the mirror (it may be tampered with or stale) and that the keyring package (debian-archive-keyring) is current."
            )
        }
        guard let release = Syscalls.readSmallFile(verified, limit: 64 << 20) else {
            throw .configuration("cannot read the verified Release text of \(url).")
        }
        let names = release.split(separator: "\n").filter { $0.hasPrefix("Codename:") || $0.hasPrefix("Suite:") }
            .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingSpaces() }
        guard names.contains(suite) else {
            throw .verification(
                "\(url) is signed, but for \(names.joined(separator: "/")), not \(suite). Nothing was locked; check the mirror."
            )
        }
        if let validUntil = DebianIndex.validUntil(release), validUntil < now {
            throw .verification(
                "\(url) is signed, but its Valid-Until (\(validUntil == .distantPast ? "unreadable" : RFC3339.format(validUntil))) has passed: the mirror serves an expired index, which may be an old one replayed to hide updates. Nothing was locked; try another mirror."
            )
        }
        let files = DebianIndex.releaseFiles(release)
        var result = [DebianPackage]()
        for component in components {
            let stem = "\(component)/binary-\(architecture)/Packages"
            guard
                let (name, listed) = [".xz", ".gz", ""].lazy.compactMap({ s in files[stem + s].map { (stem + s, $0) } })
                    .first
            else {
                continue  // a component this suite does not have for the architecture
            }
            let file = temp.path + "/" + name.replacingEvery("/", with: "_")
            let indexURL = "\(base)/dists/\(suite)/\(name)"
            cache.progress("downloading \(indexURL)")
            let got = try Fetcher.download(indexURL, to: file, maxBytes: listed.size, anyHTTPHost: true)
            guard !got.exceeded, got.size == listed.size, got.sha256 == listed.sha256 else {
                throw .verification(
                    "\(indexURL) does not match the SHA-256 and size that the signed InRelease lists for it (\(listed.sha256), \(listed.size) bytes). Nothing was locked; the mirror may be mid-update or tampered with. Try again, or another mirror."
                )
            }
            let text = try decompress(file, limit: 1 << 30)
            result += DebianIndex.packages(text, architecture: architecture)
        }
        return result
    }

    /// The decompressed text of an index file (xz, gzip or plain), at most `limit` bytes.
    static func decompress(_ path: String, limit: Int) throws(ReproError) -> String {
        guard let reader = archive_read_new() else { fatalError("archive_read_new: out of memory") }
        defer { archive_read_free(reader) }
        ArchiveFilters.enableInProcess(reader)
        archive_read_support_format_raw(reader)
        var entry: OpaquePointer?
        guard archive_read_open_filename(reader, path, 1 << 16) == ARCHIVE_OK,
            archive_read_next_header(reader, &entry) >= ARCHIVE_WARN
        else {
            throw .configuration(
                "cannot read the index \(path): \(archive_error_string(reader).map { String(cString: $0) } ?? "unknown error")."
            )
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(reader, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                throw .configuration(
                    "cannot decompress the index \(path): \(archive_error_string(reader).map { String(cString: $0) } ?? "unknown error")."
                )
            }
            data.append(contentsOf: buffer[0..<n])
            if data.count > limit {
                throw .configuration("the index \(path) decompresses to more than \(limit) bytes; refused.")
            }
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What the cache records beside a tree assembled from a Debian lock (`trees/debian-<key>.json`).
struct DebianTreeRecord: Codable, Equatable {
    /// The assembly rules version (``DebianLock/assemblyVersion``).
    var assembly: String
    /// The lock's tree key.
    var key: String
    /// The `t1:` digest of the tree right after assembly.
    var treeDigest: String
    /// The packages' digests, in assembly order.
    var packages: [String]
    /// What the extraction neutralized (device nodes, setid bits), as `package: path: action`.
    var neutralized: [NeutralizedEntry]
}

extension ToolchainCache {
    /// `trees/debian-<key>` for a lock.
    public func debianTreePath(_ key: String) -> String { "\(root)/trees/debian-\(key)" }

    /// The source value that stands for an assembled lock tree in reports: the url
    /// `debian:SUITE`, the tree key as its sha256, mounted at `/`.
    public static func debianSource(_ spec: ToolchainSpec) -> ToolchainSource {
        ToolchainSource(
            url: "debian:\(spec.debian?.suite ?? "")", sha256: DebianLock.treeKey(spec.packages), mount: "/")
    }

    /// The assembled tree of a lock if it is cached and trusted (as ``cached(_:)`` does for archives).
    public func cachedDebian(_ spec: ToolchainSpec) -> CachedSource? {
        let key = DebianLock.treeKey(spec.packages)
        let tree = debianTreePath(key), recordFile = tree + ".json"
        guard let treeStat = Syscalls.lstat(tree), Self.isTrusted(treeStat, directory: true),
            let recordStat = Syscalls.lstat(recordFile), Self.isTrusted(recordStat, directory: false),
            let data = FileManager.default.contents(atPath: recordFile),
            let record = try? JSONDecoder().decode(DebianTreeRecord.self, from: data),
            record.assembly == DebianLock.assemblyVersion, record.key == key
        else { return nil }
        var hit = CachedSource(
            source: Self.debianSource(spec), blobPath: "", treePath: tree + "/", treeDigest: record.treeDigest,
            neutralized: record.neutralized, downloaded: false, unpacked: false)
        hit.packages = DebianLock.sorted(spec.packages)
        return hit
    }

    /// Downloads every `.deb` of a lock (cache first, then each mirror in turn, each checked
    /// against its pin) and assembles the tree once (DebianAssembly); returns it as one source.
    func fetchDebian(_ spec: ToolchainSpec, specPath: String) throws(ReproError) -> CachedSource {
        removeStaleTemps()
        if let hit = cachedDebian(spec) { return hit }
        try prepare()
        let key = DebianLock.treeKey(spec.packages)
        return try FileLock.holding("\(root)/locks/debian-\(key).lock") { () throws(ReproError) -> CachedSource in
            if let hit = cachedDebian(spec) { return hit }
            let mirrors: [String]
            if let debianMirrors {
                mirrors = debianMirrors
            } else {
                mirrors = try DebianMirrors.resolve(explicit: [], release: spec.debian?.suite ?? "")
            }
            var downloaded = false
            for pin in DebianLock.sorted(spec.packages) {
                if try ensureDeb(pin, spec: spec, specPath: specPath, mirrors: mirrors) { downloaded = true }
            }
            let temp = try TempEntry(cache: self)
            let staging = temp.path + "/tree"
            progress("assembling \(counted(spec.packages.count, "package")) into \(debianTreePath(key))")
            let assembled: [NeutralizedEntry]
            do throws(ReproError) {
                assembled = try DebianAssembly.assemble(
                    DebianLock.sorted(spec.packages), blob: { blobPath($0.sha256) },
                    into: staging, work: temp.path, limits: limits)
            } catch {
                // The assembly names the package; which toolchain's lock holds it, only the spec says.
                throw error.prefixed(
                    "toolchain \(spec.name.debugDescription) (\(specPath)): ",
                    context: .init(path: specPath, toolchain: spec.name))
            }
            let listing = try TreeWalker.walk(staging)
            let record = DebianTreeRecord(
                assembly: DebianLock.assemblyVersion, key: key, treeDigest: listing.digest,
                packages: DebianLock.sorted(spec.packages).map(\.sha256), neutralized: assembled)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            guard let json = try? encoder.encode(record) else { fatalError("encoding a DebianTreeRecord cannot fail") }
            try write(Data(listing.lines.utf8), to: temp.path + "/lines")
            try write(json, to: temp.path + "/record")
            let tree = debianTreePath(key)
            Syscalls.removeTree(tree + ".json")
            Syscalls.removeTree(tree)
            for (from, to) in [
                (staging, tree), (temp.path + "/lines", tree + ".lines"), (temp.path + "/record", tree + ".json"),
            ] {
                if case .failure(let e) = Syscalls.rename(from, to) {
                    throw .configuration("cannot move \(from) into place at \(to): \(e.text).", errno: e.code)
                }
            }
            var result = CachedSource(
                source: Self.debianSource(spec), blobPath: "", treePath: tree + "/", treeDigest: listing.digest,
                neutralized: assembled, downloaded: downloaded, unpacked: true)
            result.packages = DebianLock.sorted(spec.packages)
            return result
        }
    }

    /// Makes sure `blobs/sha256/<pin>` holds the `.deb`: kept if present, else taken from each
    /// mirror in turn until one serves bytes that match the pin. Returns whether it downloaded.
    /// A mirror's wrong bytes are refused and the next mirror tried; when none serves the pinned
    /// bytes, a mismatch anywhere is exit 5, only unreachable mirrors exit 2.
    private func ensureDeb(_ pin: DebianPackagePin, spec: ToolchainSpec, specPath: String, mirrors: [String])
        throws(ReproError) -> Bool
    {
        let blob = blobPath(pin.sha256)
        if Syscalls.exists(blob) { return false }
        let here = "toolchain \"\(spec.name)\" (\(specPath))"
        var failures = [String]()
        var mismatch = false
        for mirror in mirrors {
            let url = mirror + "/" + pin.path
            let temp = try TempEntry(cache: self)
            let file = temp.path + "/download"
            progress("downloading \(url)")
            let got: Fetcher.Download
            do {
                got = try Fetcher.download(url, to: file, maxBytes: pin.size, anyHTTPHost: true)
            } catch {
                failures.append("\(url): \(error.message)")
                continue
            }
            if got.exceeded || got.size != pin.size || got.sha256 != pin.sha256 {
                mismatch = true
                let actual = got.exceeded ? "more than \(pin.size) bytes" : "SHA-256 \(got.sha256), \(got.size) bytes"
                progress(
                    "refused \(url): it has \(actual), but \(pin.name) \(pin.version) is pinned to \(pin.sha256), \(pin.size) bytes; trying the next mirror"
                )
                failures.append("\(url): has \(actual), pinned \(pin.sha256), \(pin.size) bytes")
                continue
            }
            if case .failure(let e) = Syscalls.chmod(file, 0o444) {
                throw .configuration(
                    "cannot make the download \(file) read-only: \(e.text). Check the cache directory.", errno: e.code)
            }
            if case .failure(let e) = Syscalls.rename(file, blob) {
                throw .configuration("cannot move the download into \(blob): \(e.text).", errno: e.code)
            }
            return true
        }
        let tried = failures.isEmpty ? "no mirror is configured" : failures.joined(separator: "\n  ")
        if mismatch {
            throw .verification(
                "pin mismatch for \(here): no mirror serves \(pin.name) \(pin.version) with the pinned bytes:\n  \(tried)\nNothing was cached. A mirror with other bytes is stale or tampered with; if the archive replaced this version, make the lock again (repro toolchain lock)."
            )
        }
        throw .configuration(
            "cannot download \(pin.name) \(pin.version) (\(pin.path)) for \(here):\n  \(tried)\nCheck the network, or add a mirror that has it with --debian-mirror URL or \(DebianMirrors.variable) (a snapshot archive keeps old versions)."
        )
    }

    /// Verifies a lock's cached `.deb`s against their pins and its tree against the recorded digest.
    public func verifyDebian(_ spec: ToolchainSpec) -> SourceVerification {
        let source = Self.debianSource(spec)
        let tree = debianTreePath(source.sha256)
        var problems = [String]()
        var cached = false
        for pin in DebianLock.sorted(spec.packages) where Syscalls.exists(blobPath(pin.sha256)) {
            cached = true
            let actual = try? Hashing.sha256(file: blobPath(pin.sha256))
            if actual != pin.sha256 {
                problems.append(
                    "\(blobPath(pin.sha256)) (\(pin.name) \(pin.version)): SHA-256 \(actual ?? "unreadable"), pinned \(pin.sha256)"
                )
            }
        }
        if Syscalls.exists(tree) {
            cached = true
            if let data = FileManager.default.contents(atPath: tree + ".json"),
                let record = try? JSONDecoder().decode(DebianTreeRecord.self, from: data)
            {
                do {
                    let actual = try TreeWalker.walk(tree)
                    if actual.digest != record.treeDigest {
                        problems.append(
                            "\(tree): the tree digest is \(actual.digest), but \(record.treeDigest) was recorded")
                    }
                } catch {
                    problems.append("\(tree): \(error.message)")
                }
            } else {
                problems.append("\(tree).json: missing or unreadable record")
            }
        }
        return SourceVerification(source: source, cached: cached, problems: problems)
    }
}
