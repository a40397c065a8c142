import Crypto
import FoundationEssentials
import Glibc

/// One `.deb` of a Debian lock: a `[[package]]` table of a toolchain spec.
public struct DebianPackagePin: Codable, Sendable, Equatable, Hashable {
    /// The package name (`Package:`).
    public var name: String
    /// The exact version (`Version:`).
    public var version: String
    /// `amd64`, `arm64`, ... or `all`.
    public var architecture: String
    /// The archive-relative path of the `.deb` (`Filename:`, e.g. `pool/main/m/make-dfsg/make_4.3-4.1_amd64.deb`).
    public var path: String
    /// The SHA-256 of the `.deb` bytes, 64 lowercase hex digits.
    public var sha256: String
    /// The `.deb`'s exact length in bytes.
    public var size: UInt64

    /// Creates a pin.
    public init(name: String, version: String, architecture: String, path: String, sha256: String, size: UInt64) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.path = path
        self.sha256 = sha256
        self.size = size
    }

    /// The package URL the manifest names it by: `pkg:deb/debian/NAME@VERSION?arch=ARCH`
    /// (the purl spec's `deb` type; `+`, `:` and `~` in versions percent-encoded).
    public var purl: String {
        func encode(_ text: String) -> String {
            return text.percentEncoded { isASCIIAlphanumeric($0) || ".-_".utf8.contains($0) }
        }
        return "pkg:deb/debian/\(encode(name))@\(encode(version))?arch=\(encode(architecture))"
    }

    /// The name, version and architecture of a `pkg:deb/debian/NAME@VERSION?arch=ARCH` URL (as
    /// ``purl`` writes it), or nil for anything else.
    public static func parsePURL(_ url: String) -> (name: String, version: String, architecture: String)? {
        let prefix = "pkg:deb/debian/"
        guard url.hasPrefix(prefix) else { return nil }
        let rest = url.dropFirst(prefix.count)
        guard let at = rest.firstIndex(of: "@"), let question = rest.firstIndex(of: "?"), at < question else {
            return nil
        }
        let query = rest[rest.index(after: question)...]
        guard query.hasPrefix("arch="),
            let name = String(rest[..<at]).percentDecoded,
            let version = String(rest[rest.index(after: at)..<question]).percentDecoded,
            let architecture = String(query.dropFirst("arch=".count)).percentDecoded
        else { return nil }
        return (name, version, architecture)
    }

    /// Why this pin is unusable, or nil.
    func problem() -> String? {
        if name.isEmpty || !name.utf8.allSatisfy({ DebianLock.isNameByte($0) }) {
            return "name \"\(name)\" is not a Debian package name (lowercase letters, digits, + - .)"
        }
        if version.isEmpty || version.contains(where: { $0.isWhitespace || $0 == "\"" }) {
            return "version \"\(version)\" is not a Debian version"
        }
        if architecture.isEmpty || !architecture.utf8.allSatisfy({ DebianLock.isNameByte($0) }) {
            return "architecture \"\(architecture)\" is invalid"
        }
        if !ToolchainSpec.isSHA256Hex(sha256) { return "sha256 \"\(sha256)\" is not 64 lowercase hex digits" }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if !path.hasPrefix("pool/") || !path.hasSuffix(".deb")
            || parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
            || path.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" || $0 == "%" || $0 == "\\" })
        {
            return
                "path \"\(path)\" must be an archive-relative pool/.../NAME.deb path without \"..\", spaces, ?, # or %"
        }
        return nil
    }
}

/// The `[debian]` table of a locked spec: how the package set was chosen.
public struct DebianLockInfo: Codable, Sendable, Equatable {
    /// The release the lock was resolved from, e.g. `bookworm`.
    public var suite: String
    /// The suites whose indexes were read (`bookworm`, `bookworm-updates`, `bookworm-security`).
    public var suites: [String]
    /// The Debian architecture of the tree.
    public var architecture: String
    /// When the lock was made (RFC 3339, UTC). Informational: the pins are what count.
    public var locked: String
    /// The packages asked for besides the minbase set.
    public var include: [String]
    /// The selection rule: `minbase` (Essential: yes, Priority: required, the includes, and the
    /// Depends/Pre-Depends closure).
    public var rules: String

    /// Creates the table.
    public init(
        suite: String, suites: [String], architecture: String, locked: String, include: [String],
        rules: String = "minbase"
    ) {
        self.suite = suite
        self.suites = suites
        self.architecture = architecture
        self.locked = locked
        self.include = include
        self.rules = rules
    }

    enum CodingKeys: String, CodingKey { case suite, suites, architecture, locked, include, rules }

    /// Decodes the table; `suites`, `include` and `rules` are optional.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        suite = try c.decode(String.self, forKey: .suite)
        suites = try c.decodeIfPresent([String].self, forKey: .suites) ?? [suite]
        architecture = try c.decode(String.self, forKey: .architecture)
        locked = try c.decodeIfPresent(String.self, forKey: .locked) ?? ""
        include = try c.decodeIfPresent([String].self, forKey: .include) ?? []
        rules = try c.decodeIfPresent(String.self, forKey: .rules) ?? "minbase"
    }
}

/// Debian locks: the key of an assembled tree, the spec text, and version and relation rules.
public enum DebianLock {
    /// The version of the assembly rules (docs/toolchains.md, "Debian locks"); part of every key,
    /// so a change of rules never reuses a tree assembled by the old ones.
    public static let assemblyVersion = "repro-debian-assembly-v1"

    /// The cache key of the tree assembled from `packages`: the SHA-256 hex of
    /// `repro-debian-assembly-v1\n` followed by one `NAME VERSION ARCH SHA256\n` line per package,
    /// sorted by name then architecture. Paths and mirrors are not part of it: the same bytes
    /// give the same tree wherever they came from.
    public static func treeKey(_ packages: [DebianPackagePin]) -> String {
        var text = assemblyVersion + "\n"
        for pin in sorted(packages) { text += "\(pin.name) \(pin.version) \(pin.architecture) \(pin.sha256)\n" }
        return TreeDigest.hex(SHA256.hash(data: Data(text.utf8)))
    }

    /// The packages in assembly order: by name bytes, then architecture bytes.
    public static func sorted(_ packages: [DebianPackagePin]) -> [DebianPackagePin] {
        packages.sorted { a, b in
            if a.name != b.name { return Array(a.name.utf8).lexicographicallyPrecedes(Array(b.name.utf8)) }
            return Array(a.architecture.utf8).lexicographicallyPrecedes(Array(b.architecture.utf8))
        }
    }

    /// Whether `byte` may appear in a package or architecture name.
    static func isNameByte(_ byte: UInt8) -> Bool {
        (97...122).contains(byte) || (48...57).contains(byte) || byte == 0x2b || byte == 0x2d || byte == 0x2e
    }

    /// Checks the `[[package]]` tables of `spec`; `path` names the file in errors.
    static func validate(_ info: DebianLockInfo?, _ packages: [DebianPackagePin], path: String) throws(ReproError) {
        guard let info else {
            throw .configuration(
                "\(path): the spec has [[package]] tables but no [debian] table. Make the lock with `repro toolchain lock NAME --suite bookworm --include build-essential -o \(path)`."
            )
        }
        if info.suite.isEmpty || !info.suite.utf8.allSatisfy({ isNameByte($0) || $0 == 0x2f }) {
            throw .configuration("\(path): [debian] suite \"\(info.suite)\" is not a suite name such as \"bookworm\".")
        }
        if packages.isEmpty {
            throw .configuration(
                "\(path): the [debian] table has no [[package]] tables. Make the lock with `repro toolchain lock`.")
        }
        var seen = Set<String>()
        for (index, pin) in packages.enumerated() {
            if let problem = pin.problem() {
                throw .configuration(
                    "\(path): package #\(index + 1) (\(pin.name)): \(problem). Make the lock again with `repro toolchain lock`."
                )
            }
            if !seen.insert(pin.name + ":" + pin.architecture).inserted {
                throw .configuration(
                    "\(path): package \(pin.name):\(pin.architecture) is listed twice; a lock has one version of each package."
                )
            }
        }
    }

    /// A TOML basic string for `text` (quotes, backslashes and control characters escaped).
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(printf: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The spec file text of a lock: header comment, name, description, `[debian]`, `[env]`, and
    /// one `[[package]]` table per package in assembly order. Parses back to the same spec.
    public static func specText(
        name: String, description: String, info: DebianLockInfo, env: [String: String],
        packages: [DebianPackagePin]
    ) -> String {
        var lines = [
            "# A Debian lock: every .deb of the toolchain pinned by path and SHA-256. Mirrors come from",
            "# configuration (apt sources, REPRO_DEBIAN_MIRRORS, --debian-mirror), never from this file.",
            "# Made by: repro toolchain lock \(name) --suite \(info.suite) --include \(info.include.joined(separator: ","))",
            "name = \(quote(name))",
            "description = \(quote(description))",
            "",
            "[debian]",
            "suite = \(quote(info.suite))",
            "suites = [\(info.suites.map(quote).joined(separator: ", "))]",
            "architecture = \(quote(info.architecture))",
            "locked = \(quote(info.locked))",
            "include = [\(info.include.map(quote).joined(separator: ", "))]",
            "rules = \(quote(info.rules))",
        ]
        if !env.isEmpty {
            lines += ["", "[env]"]
            for key in env.keys.sorted() { lines.append("\(quote(key)) = \(quote(env[key]!))") }
        }
        for pin in sorted(packages) {
            lines += [
                "", "[[package]]", "name = \(quote(pin.name))", "version = \(quote(pin.version))",
                "architecture = \(quote(pin.architecture))", "path = \(quote(pin.path))",
                "sha256 = \(quote(pin.sha256))", "size = \(pin.size)",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
