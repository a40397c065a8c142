import FoundationEssentials
import Glibc

/// One pinned archive of a toolchain: where to get it, its SHA-256, and where it appears in the sandbox.
public struct ToolchainSource: Codable, Sendable, Equatable, Hashable {
    /// Where the archive comes from: `file://`, `https://`, or `http://` on a loopback host.
    public var url: String
    /// The SHA-256 of the archive bytes, 64 lowercase hex digits.
    public var sha256: String
    /// The absolute path at which the unpacked tree is mounted inside the sandbox.
    public var mount: String
    /// How many leading path components to drop from each archive entry.
    public var stripComponents: Int
    /// The archive's exact size in bytes, when the spec pins it (`size`): a download of any other
    /// length is a pin mismatch, and a longer one is stopped right after the pinned length.
    public var size: UInt64?

    /// Creates a source; `mount` defaults to `/`, `stripComponents` to 0 and `size` to none.
    public init(url: String, sha256: String, mount: String = "/", stripComponents: Int = 0, size: UInt64? = nil) {
        self.url = url
        self.sha256 = sha256
        self.mount = mount
        self.stripComponents = stripComponents
        self.size = size
    }

    enum CodingKeys: String, CodingKey {
        case url, sha256, mount, size
        case stripComponents = "strip_components"
    }

    /// Decodes a source, applying the defaults for `mount` and `strip_components`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decode(String.self, forKey: .url)
        sha256 = try c.decode(String.self, forKey: .sha256)
        mount = try c.decodeIfPresent(String.self, forKey: .mount) ?? "/"
        stripComponents = try c.decodeIfPresent(Int.self, forKey: .stripComponents) ?? 0
        if let bytes = try c.decodeIfPresent(Int64.self, forKey: .size) {
            guard bytes >= 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .size, in: c,
                    debugDescription:
                        "size \(bytes) is negative; put the archive's length in bytes there (stat -c %s FILE), or remove the key"
                )
            }
            size = UInt64(bytes)
        } else {
            size = nil
        }
    }

    /// The cache key of the unpacked tree: the archive digest, plus the strip count when it is not 0.
    public var treeKey: String {
        stripComponents == 0 ? sha256 : "\(sha256)-strip\(stripComponents)"
    }
}

/// A pinned toolchain: `toolchains/NAME.toml`, one or more archives and the environment they need.
public struct ToolchainSpec: Codable, Sendable, Equatable {
    /// The toolchain's name.
    public var name: String
    /// A one-line description.
    public var description: String
    /// The archives, in mount order.
    public var sources: [ToolchainSource]
    /// Environment variables the toolchain sets inside the sandbox.
    public var env: [String: String]
    /// A Debian lock's `[debian]` table (DebianLock.swift); nil for an archive spec.
    public var debian: DebianLockInfo? = nil
    /// A Debian lock's `[[package]]` tables: the tree is assembled from them and mounted at `/`.
    public var packages: [DebianPackagePin] = []

    /// Creates a spec from its parts.
    public init(name: String, description: String = "", sources: [ToolchainSource], env: [String: String] = [:]) {
        self.name = name
        self.description = description
        self.sources = sources
        self.env = env
    }

    enum CodingKeys: String, CodingKey {
        case name, description, env, debian
        case sources = "source"
        case packages = "package"
    }

    /// Decodes a spec; `description` and `env` are optional.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        sources = try c.decodeIfPresent([ToolchainSource].self, forKey: .sources) ?? []
        env = try c.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
        debian = try c.decodeIfPresent(DebianLockInfo.self, forKey: .debian)
        packages = try c.decodeIfPresent([DebianPackagePin].self, forKey: .packages) ?? []
    }

    /// Parses and validates a spec from TOML text; `path` names the file in error messages.
    ///
    /// TOML syntax errors name the line and column; every error is a configuration error (exit 2).
    public static func parse(toml: String, path: String) throws(ReproError) -> ToolchainSpec {
        let spec = try TOMLFile.decode(
            ToolchainSpec.self, from: toml, path: path,
            guide:
                "A toolchain spec has name, description, [[source]] tables (url, sha256, size, mount, strip_components) or a Debian lock ([debian] and [[package]] tables), and an [env] table; see docs/toolchains.md."
        )
        try spec.validate(path: path)
        return spec
    }

    /// Checks every field; `path` names the file in error messages.
    public func validate(path: String) throws(ReproError) {
        if name.isEmpty || name.contains("/") || name.contains(where: { $0.isWhitespace }) {
            throw .configuration(
                "\(path): name \"\(name)\" must be non-empty, without spaces or \"/\". Set name = \"my-toolchain\".")
        }
        if name == ManifestURI.profileDependencyName {
            throw .configuration(
                "\(path): name \"\(name)\" is the manifest's name for the sandbox profile; give the toolchain another name."
            )
        }
        if debian != nil || !packages.isEmpty {
            if !sources.isEmpty {
                throw .configuration(
                    "\(path): a spec is either [[source]] archives or a Debian lock ([debian] and [[package]]), not both. Put the archives in a spec of their own and list both toolchains in repro.toml."
                )
            }
            try DebianLock.validate(debian, packages, path: path)
        } else if sources.isEmpty {
            throw .configuration(
                "\(path): the spec has no [[source]] table. Add one with url and sha256 (repro toolchain pack DIR -o FILE.tar.gz prints a ready block)."
            )
        }
        for (index, source) in sources.enumerated() {
            let here = "\(path): source #\(index + 1) (\(source.url))"
            if !Self.isSHA256Hex(source.sha256) {
                throw .configuration(
                    "\(here): sha256 \"\(source.sha256)\" is not 64 lowercase hex digits. Put the archive's SHA-256 there (sha256sum FILE, or repro toolchain hash FILE)."
                )
            }
            if let problem = Self.urlProblem(source.url) {
                throw .configuration("\(here): \(problem)")
            }
            if !source.mount.hasPrefix("/") || source.mount.split(separator: "/").contains("..") {
                throw .configuration(
                    "\(here): mount \"\(source.mount)\" must be an absolute path without \"..\", such as \"/\" or \"/opt/go\"."
                )
            }
            if source.stripComponents < 0 || source.stripComponents > 64 {
                throw .configuration("\(here): strip_components \(source.stripComponents) must be between 0 and 64.")
            }
        }
        for key in env.keys.sorted() where key.isEmpty || key.contains("=") || key.contains("\0") {
            throw .configuration(
                "\(path): environment variable name \"\(key)\" in [env] is invalid; names cannot be empty or contain \"=\"."
            )
        }
    }

    /// Whether `text` is a SHA-256 in 64 lowercase hex digits.
    public static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Why `url` cannot be fetched, or nil when its scheme and host are accepted.
    ///
    /// Accepted: `file:///absolute/path`, `https://host/...`, and `http://` only to a loopback host
    /// (`127.0.0.1`, `localhost`, `[::1]`), which serves local mirrors and tests.
    public static func urlProblem(_ url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased() else {
            return "\"\(url)\" is not a URL. Use file:///absolute/path or https://host/path."
        }
        switch scheme {
        case "file":
            return parsed.path.hasPrefix("/")
                ? nil : "file URL \"\(url)\" needs an absolute path (file:///srv/x.tar.gz)."
        case "https":
            return (parsed.host ?? "").isEmpty ? "URL \"\(url)\" has no host." : nil
        case "http":
            let host = (parsed.host ?? "").lowercased()
            return ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
                ? nil
                : "plain http:// is accepted only for loopback hosts (127.0.0.1, localhost, [::1]); use https:// for \"\(url)\"."
        default:
            return
                "unknown URL scheme \"\(scheme)\" in \"\(url)\". Use file:// or https:// (http:// only on a loopback host)."
        }
    }
}
