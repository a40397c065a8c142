import FoundationEssentials
import Glibc
import ReproCore

/// Finds and loads toolchain specs by name or path.
public struct SpecResolver: Sendable {
    /// The project directory whose `toolchains/` is searched first.
    public var projectDirectory: String
    /// The colon-separated `$REPRO_TOOLCHAIN_PATH` directories, searched next.
    public var searchPath: [String]
    /// The installed specs: `<dir of the repro executable>/../share/repro/toolchains`.
    public var installedDirectory: String?

    /// A resolver with explicit directories.
    public init(projectDirectory: String, searchPath: [String] = [], installedDirectory: String? = nil) {
        self.projectDirectory = projectDirectory
        self.searchPath = searchPath
        self.installedDirectory = installedDirectory
    }

    /// A resolver for the current directory, `$REPRO_TOOLCHAIN_PATH` and the running executable's install prefix.
    public static func standard(
        projectDirectory: String = FileManager.default.currentDirectoryPath,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> SpecResolver {
        let searchPath = (environment["REPRO_TOOLCHAIN_PATH"] ?? "").split(separator: ":").map(String.init).filter {
            !$0.isEmpty
        }
        var installed: String? = nil
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            installed =
                URL(fileURLWithPath: exe).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/repro/toolchains").path
        }
        return SpecResolver(projectDirectory: projectDirectory, searchPath: searchPath, installedDirectory: installed)
    }

    /// The directories searched for names, in order.
    public var directories: [String] {
        [projectDirectory + "/toolchains"] + searchPath + (installedDirectory.map { [$0] } ?? [])
    }

    /// Resolves a name or path to its parsed spec and file path. A path contains `/` or ends with
    /// `.toml`; a name is looked up as `NAME.toml` in ``directories``. Errors say where it looked.
    public func resolve(_ nameOrPath: String) throws(ReproError) -> (spec: ToolchainSpec, path: String) {
        let path: String
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            path = nameOrPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw .configuration(
                    "the toolchain spec \(path) does not exist. Check the path, or give a name found in \(directories.joined(separator: ", "))."
                )
            }
        } else {
            guard !nameOrPath.isEmpty,
                let found = directories.map({ "\($0)/\(nameOrPath).toml" }).first(where: {
                    FileManager.default.fileExists(atPath: $0)
                })
            else {
                if let builtin = try BaseToolchainLock.spec(named: nameOrPath) {
                    return (builtin, BaseToolchainLock.path)
                }
                throw .configuration(
                    "no toolchain named \"\(nameOrPath)\": looked for \(nameOrPath).toml in \(directories.joined(separator: ", ")). Add toolchains/\(nameOrPath).toml to the project, set REPRO_TOOLCHAIN_PATH, or give the spec's path."
                )
            }
            path = found
        }
        return (try Self.load(path), path)
    }

    /// Reads and parses the spec file at `path`.
    public static func load(_ path: String) throws(ReproError) -> ToolchainSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("cannot read the toolchain spec \(path). Check that it exists and is readable.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .configuration("\(path) is not UTF-8 text; a toolchain spec is a TOML file.")
        }
        return try ToolchainSpec.parse(toml: text, path: path)
    }

    /// Every spec file in the search directories, first occurrence of each name winning, sorted by name.
    public func allSpecPaths() -> [(name: String, path: String)] {
        var seen = Set<String>()
        var result = [(name: String, path: String)]()
        for dir in directories {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
                $0.hasSuffix(".toml")
            }.sorted()
            for file in names {
                let name = String(file.dropLast(5))
                if seen.insert(name).inserted { result.append((name, dir + "/" + file)) }
            }
        }
        return result.sorted { $0.name < $1.name }
    }
}
