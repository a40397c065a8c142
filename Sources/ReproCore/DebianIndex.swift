import FoundationEssentials
import Glibc

/// One stanza of a Debian `Packages` index, with the fields resolution needs.
public struct DebianPackage: Sendable, Equatable {
    /// `Package:`.
    public var name: String
    /// `Version:`.
    public var version: String
    /// `Architecture:`.
    public var architecture: String
    /// `Essential: yes`.
    public var essential: Bool
    /// `Priority:` (`required`, `important`, `standard`, `optional`, `extra`).
    public var priority: String
    /// `Pre-Depends:` then `Depends:`, each an AND of OR-groups.
    public var depends: [[DebianRelation]]
    /// `Provides:` (names, versions ignored except for versioned relations).
    public var provides: [DebianRelation]
    /// `Filename:`.
    public var filename: String
    /// `SHA256:`.
    public var sha256: String
    /// `Size:`.
    public var size: UInt64

    /// The pin of this package.
    public var pin: DebianPackagePin {
        DebianPackagePin(
            name: name, version: version, architecture: architecture, path: filename, sha256: sha256, size: size)
    }
}

/// One alternative of a dependency: a name and an optional version constraint.
public struct DebianRelation: Sendable, Equatable {
    /// The package (or virtual package) name, without a `:any`/`:ARCH` qualifier.
    public var name: String
    /// `<<`, `<=`, `=`, `>=`, `>>`, or nil when unversioned.
    public var op: String?
    /// The version the constraint compares with.
    public var version: String?

    /// Whether `candidate` (a version) satisfies the constraint.
    public func allows(_ candidate: String) -> Bool {
        guard let op, let version else { return true }
        let c = DebianVersion.compare(candidate, version)
        switch op {
        case "<<": return c < 0
        case "<=", "<": return c <= 0
        case "=": return c == 0
        case ">=", ">": return c >= 0
        case ">>": return c > 0
        default: return false
        }
    }

    /// The relation as Debian writes it.
    public var text: String { op.map { "\(name) (\($0) \(version ?? ""))" } ?? name }
}

/// dpkg's version ordering (deb-version(7)): epoch, then upstream version and revision compared
/// by alternating non-digit and digit runs, `~` sorting before everything, even the end.
public enum DebianVersion {
    /// -1, 0 or 1 as `a` sorts before, equal to or after `b`.
    public static func compare(_ a: String, _ b: String) -> Int {
        let (ea, ua, ra) = split(a), (eb, ub, rb) = split(b)
        if ea != eb { return ea < eb ? -1 : 1 }
        let u = comparepart(Array(ua.utf8), Array(ub.utf8))
        if u != 0 { return u }
        return comparepart(Array(ra.utf8), Array(rb.utf8))
    }

    private static func split(_ v: String) -> (Int, String, String) {
        var rest = Substring(v)
        var epoch = 0
        if let colon = rest.firstIndex(of: ":"), let e = Int(rest[..<colon]) {
            epoch = e
            rest = rest[rest.index(after: colon)...]
        }
        if let dash = rest.lastIndex(of: "-") {
            return (epoch, String(rest[..<dash]), String(rest[rest.index(after: dash)...]))
        }
        return (epoch, String(rest), "")
    }

    private static func order(_ c: UInt8?) -> Int {
        guard let c else { return 0 }
        if c == 0x7e { return -1 }  // ~
        if (65...90).contains(c) || (97...122).contains(c) { return Int(c) }
        return Int(c) + 256
    }

    private static func isDigit(_ c: UInt8) -> Bool { (48...57).contains(c) }

    private static func comparepart(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0, j = 0
        while i < a.count || j < b.count {
            var firstDiff = 0
            while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                let ac = order(i < a.count && !isDigit(a[i]) ? a[i] : nil)
                let bc = order(j < b.count && !isDigit(b[j]) ? b[j] : nil)
                if ac != bc { return ac < bc ? -1 : 1 }
                if i < a.count && !isDigit(a[i]) { i += 1 }
                if j < b.count && !isDigit(b[j]) { j += 1 }
            }
            while i < a.count && a[i] == 48 { i += 1 }
            while j < b.count && b[j] == 48 { j += 1 }
            while i < a.count && isDigit(a[i]) && j < b.count && isDigit(b[j]) {
                if firstDiff == 0 { firstDiff = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if i < a.count && isDigit(a[i]) { return 1 }
            if j < b.count && isDigit(b[j]) { return -1 }
            if firstDiff != 0 { return firstDiff < 0 ? -1 : 1 }
        }
        return 0
    }
}

/// Parsing of the archive's index files: `Packages` stanzas and the `SHA256:` list of `Release`.
public enum DebianIndex {
    /// One file listed in a Release file.
    public struct ReleaseFile: Sendable, Equatable {
        /// Its SHA-256.
        public var sha256: String
        /// Its size.
        public var size: UInt64
    }

    /// The `SHA256:` section of a (verified) Release file: path relative to the suite's directory
    /// (e.g. `main/binary-amd64/Packages.xz`) to digest and size.
    public static func releaseFiles(_ text: String) -> [String: ReleaseFile] {
        var files = [String: ReleaseFile]()
        var inSection = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " " && first != "\t" {
                inSection = line.hasPrefix("SHA256:")
                continue
            }
            guard inSection else { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 3, ToolchainSpec.isSHA256Hex(String(parts[0])), let size = UInt64(parts[1]) else {
                continue
            }
            files[String(parts[2])] = ReleaseFile(sha256: String(parts[0]), size: size)
        }
        return files
    }

    /// The `Valid-Until:` time of a (verified) Release file, if it has one and it parses; nil
    /// when the field is absent (the stable archive's Release has none; `-security` and
    /// `-updates` do). A field that is present but unreadable is returned as `.distantPast`, so
    /// it fails closed.
    public static func validUntil(_ release: String) -> Date? {
        guard let line = release.split(separator: "\n").first(where: { $0.hasPrefix("Valid-Until:") }) else {
            return nil
        }
        let value = line.dropFirst("Valid-Until:".count).trimmingSpaces()
        return DateText.parseRFC2822(value) ?? .distantPast
    }

    /// What gpgv's machine-readable status lines (`--status-fd`) say about a signed file: nil when
    /// at least one signature is good and valid (`GOODSIG` and `VALIDSIG`) and none is bad, else
    /// why not. A signature by an expired or revoked key (`EXPKEYSIG`, `REVKEYSIG`), or one made
    /// with a key that is not in the keyring (`NO_PUBKEY`), does not count, as with apt; a bad
    /// signature (`BADSIG`) fails whatever else signed.
    public static func signatureProblem(gpgvStatus: String) -> String? {
        var good = false, valid = false
        var ignored = [String]()
        for line in gpgvStatus.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, fields[0] == "[GNUPG:]" else { continue }
            let keyword = String(fields[1]), key = fields.count > 2 ? String(fields[2]) : ""
            switch keyword {
            case "GOODSIG": good = true
            case "VALIDSIG": valid = true
            case "BADSIG": return "a bad signature by key \(key)"
            case "EXPKEYSIG": ignored.append("key \(key) has expired")
            case "REVKEYSIG": ignored.append("key \(key) was revoked")
            case "EXPSIG": ignored.append("a signature by key \(key) has expired")
            case "NO_PUBKEY": ignored.append("key \(key) is not in the keyring")
            default: continue
            }
        }
        if good && valid { return nil }
        return ignored.isEmpty ? "no good signature" : "no good signature (\(ignored.joined(separator: "; ")))"
    }

    /// The stanzas of a `Packages` file whose architecture is `architecture` or `all`.
    public static func packages(_ text: String, architecture: String) -> [DebianPackage] {
        var result = [DebianPackage]()
        var fields = [Substring: Substring]()
        // Continuation lines by field, joined once per stanza: appending each to the value as it
        // came would copy the value for every line, quadratic in a long field's length.
        var continued = [Substring: [Substring]]()
        var last: Substring? = nil
        func flush() {
            defer {
                fields.removeAll(keepingCapacity: true)
                continued.removeAll(keepingCapacity: true)
                last = nil
            }
            for (key, parts) in continued {
                guard let value = fields[key] else { continue }
                fields[key] = Substring(([value] + parts).joined(separator: " "))
            }
            guard let name = fields["Package"], let version = fields["Version"], let arch = fields["Architecture"],
                arch == Substring(architecture) || arch == "all",
                let filename = fields["Filename"], let sha = fields["SHA256"],
                let size = fields["Size"].flatMap({ UInt64($0) })
            else { return }
            var depends = [[DebianRelation]]()
            for key: Substring in ["Pre-Depends", "Depends"] {
                if let text = fields[key] { depends += relations(text) }
            }
            result.append(
                DebianPackage(
                    name: String(name), version: String(version), architecture: String(arch),
                    essential: fields["Essential"] == "yes", priority: String(fields["Priority"] ?? "optional"),
                    depends: depends, provides: fields["Provides"].map { relations($0).flatMap { $0 } } ?? [],
                    filename: String(filename), sha256: String(sha), size: size))
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                flush()
                continue
            }
            if line.first == " " || line.first == "\t" {
                // Continuation: only Description and the like are multi-line; relations may wrap too.
                if let key = last, key != "Description" {
                    continued[key, default: []].append(Substring(line.trimmingSpaces()))
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            var value = line[line.index(after: colon)...]
            while value.first == " " || value.first == "\t" { value = value.dropFirst() }
            while value.last == " " || value.last == "\t" || value.last == "\r" { value = value.dropLast() }
            fields[key] = value
            continued[key] = nil
            last = key
        }
        flush()
        return result
    }

    /// Parses `a (>= 1), b | c:any (<< 2) [amd64] <!nocheck>` into OR-groups of relations.
    /// Architecture restrictions and build profiles are dropped (binary indexes do not use them).
    public static func relations<S: StringProtocol>(_ text: S) -> [[DebianRelation]] {
        var groups = [[DebianRelation]]()
        for group in text.split(separator: ",") {
            var alternatives = [DebianRelation]()
            for alt in group.split(separator: "|") {
                let s = Substring(String(alt))
                var name = Substring(""), op: String? = nil, version: String? = nil
                if let open = s.firstIndex(of: "("), let close = s.firstIndex(of: ")"), open < close {
                    name = s[..<open]
                    let inside = s[s.index(after: open)..<close].trimmingSpaces()
                    var opEnd = inside.startIndex
                    while opEnd < inside.endIndex, "<>=".contains(inside[opEnd]) { opEnd = inside.index(after: opEnd) }
                    op = String(inside[..<opEnd])
                    version = inside[opEnd...].trimmingSpaces()
                } else {
                    name = s
                }
                var trimmed = name.trimmingSpaces()
                if let cut = trimmed.firstIndex(where: { $0 == ":" || $0 == "[" || $0 == "<" || $0 == " " }) {
                    trimmed = String(trimmed[..<cut])
                }
                if !trimmed.isEmpty { alternatives.append(DebianRelation(name: trimmed, op: op, version: version)) }
            }
            if !alternatives.isEmpty { groups.append(alternatives) }
        }
        return groups
    }
}

/// Picks the package set of a lock from the merged indexes of a release.
public struct DebianResolver: Sendable {
    /// The newest version of each real package name.
    public private(set) var byName: [String: DebianPackage] = [:]
    /// For each virtual name, the real packages that provide it (with the provided version).
    private var providers: [String: [(DebianPackage, String?)]] = [:]

    /// Merges `packages` from any number of suites: for each name the newest version wins
    /// (deb-version ordering), as apt's candidate does without pinning.
    public init(_ packages: [DebianPackage]) {
        for package in packages {
            if let existing = byName[package.name], DebianVersion.compare(existing.version, package.version) >= 0 {
                continue
            }
            byName[package.name] = package
        }
        for name in byName.keys.sorted() {
            let package = byName[name]!
            for provided in package.provides {
                providers[provided.name, default: []].append((package, provided.version))
            }
        }
    }

    /// The packages taken over a group's first alternative: `usr-is-merged`.
    public static let preferred: Set<String> = ["usr-is-merged"]

    static let priorityRank = ["required": 0, "important": 1, "standard": 2, "optional": 3, "extra": 4]

    /// The minbase set plus `include` and the closure of their Pre-Depends and Depends.
    ///
    /// Start: every `Essential: yes` and every `Priority: required` package, then `include` in
    /// order. For each dependency group (in package-name order, breadth first): if a package
    /// already chosen satisfies any alternative (by name or Provides, versions checked), nothing
    /// is added; otherwise the first alternative that a real package satisfies is taken, else the
    /// first alternative that a provider satisfies (the provider of highest priority, then the
    /// first by name). A group nothing satisfies is an error naming the package and the group.
    /// One fixed exception: a group that names a package of `prefer` takes it over the group's
    /// first alternative (the tree is merged-/usr by construction, so `usrmerge | usr-is-merged`
    /// takes `usr-is-merged`, as mmdebstrap's merged-/usr setup does).
    public func resolve(include: [String], prefer: Set<String> = DebianResolver.preferred) throws(ReproError)
        -> [DebianPackage]
    {
        var chosen = [String: DebianPackage]()
        var queue = [DebianPackage]()
        func add(_ package: DebianPackage) {
            if chosen[package.name] == nil {
                chosen[package.name] = package
                queue.append(package)
            }
        }
        for name in byName.keys.sorted() {
            let package = byName[name]!
            if package.essential || package.priority == "required" { add(package) }
        }
        for name in include {
            guard let package = byName[name] else {
                if let provider = pickProvider(DebianRelation(name: name)) {
                    add(provider)
                    continue
                }
                throw .configuration(
                    "the package \(name) given with --include is not in the indexes read. Check its name (apt-cache policy \(name)) and the suite."
                )
            }
            add(package)
        }
        var index = 0
        while index < queue.count {
            let package = queue[index]
            index += 1
            for group in package.depends {
                if group.contains(where: { satisfied($0, by: chosen) }) { continue }
                if let preferred = group.first(where: { prefer.contains($0.name) }), let real = byName[preferred.name],
                    preferred.allows(real.version)
                {
                    add(real)
                    continue
                }
                if let real = group.lazy.compactMap({ r in
                    self.byName[r.name].flatMap { r.allows($0.version) ? $0 : nil }
                }).first {
                    add(real)
                } else if let provider = group.lazy.compactMap({ self.pickProvider($0) }).first {
                    add(provider)
                } else {
                    throw .configuration(
                        "cannot resolve \(package.name) \(package.version): nothing in the indexes satisfies \"\(group.map(\.text).joined(separator: " | "))\". The archive may be mid-update; try again later, or add a suite that has it."
                    )
                }
            }
        }
        return chosen.values.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
    }

    /// Whether a chosen package satisfies `relation` by its name or its Provides.
    func satisfied(_ relation: DebianRelation, by chosen: [String: DebianPackage]) -> Bool {
        if let package = chosen[relation.name], relation.allows(package.version) { return true }
        for (provider, version) in providers[relation.name] ?? [] where chosen[provider.name] != nil {
            if relation.op == nil { return true }
            if let version, relation.allows(version) { return true }
        }
        return false
    }

    /// The provider chosen for a virtual `relation`: highest priority, then first by name.
    func pickProvider(_ relation: DebianRelation) -> DebianPackage? {
        let candidates = (providers[relation.name] ?? []).filter { _, version in
            relation.op == nil || version.map { relation.allows($0) } == true
        }.map(\.0)
        return candidates.min { a, b in
            let ra = Self.priorityRank[a.priority] ?? 5, rb = Self.priorityRank[b.priority] ?? 5
            if ra != rb { return ra < rb }
            return Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8))
        }
    }
}
