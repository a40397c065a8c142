import FoundationEssentials
import Glibc
import ReproCore

/// Toolchains resolved by name or path, fetched (pins checked) and ready to mount.
public struct ResolvedToolchains: Sendable {
    /// One fetched archive of a toolchain.
    public struct Archive: Sendable {
        /// The toolchain's name.
        public var name: String
        /// The fetched, unpacked source.
        public var cached: CachedSource
    }

    /// Every archive, in the order of the names and of each spec's sources.
    public var archives: [Archive]
    /// Each toolchain's `[env]`, in order.
    public var environments: [[String: String]]

    /// The read-only mounts for the sandbox.
    public var mounts: [ToolchainMount] {
        archives.map { archive in
            var tree = archive.cached.treePath
            while tree.count > 1, tree.hasSuffix("/") { tree.removeLast() }
            return ToolchainMount(hostTree: tree, mountPath: archive.cached.source.mount)
        }
    }

    /// Resolves `names` (project `toolchains/`, `$REPRO_TOOLCHAIN_PATH`, installed) and fetches
    /// each into the cache at `cacheRoot` (cache first, then each source's URL, then `mirrors`).
    public static func fetch(
        _ names: [String], projectDirectory: String, cacheRoot: String, mirrors: [String] = [],
        progress: @escaping (String) -> Void = { _ in },
        events: @escaping ProgressSink = { _ in }
    ) throws(ReproError) -> ResolvedToolchains {
        let resolver = SpecResolver.standard(projectDirectory: projectDirectory)
        var specs: [(spec: ToolchainSpec, path: String)] = []
        for name in names { specs.append(try resolver.resolve(name)) }
        return try fetch(specs: specs, cacheRoot: cacheRoot, mirrors: mirrors, progress: progress, events: events)
    }

    /// Fetches specs already loaded (`path` names each in messages) into the cache at `cacheRoot`.
    public static func fetch(
        specs: [(spec: ToolchainSpec, path: String)], cacheRoot: String, mirrors: [String] = [],
        progress: @escaping (String) -> Void = { _ in },
        events: @escaping ProgressSink = { _ in }
    ) throws(ReproError) -> ResolvedToolchains {
        let cache = ToolchainCache(root: try CachePaths.resolved(cacheRoot))
        cache.progress = progress
        cache.events = events
        cache.mirrors = mirrors
        var archives: [Archive] = []
        var environments: [[String: String]] = []
        for (spec, path) in specs {
            for cached in try cache.fetch(spec, specPath: path) {
                archives.append(Archive(name: spec.name, cached: cached))
            }
            environments.append(spec.env)
        }
        return ResolvedToolchains(archives: archives, environments: environments)
    }
}
