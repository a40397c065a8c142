import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// `repro toolchain`: fetch, verify, list and pack pinned toolchains.
struct ToolchainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toolchain",
        abstract: "Fetch, verify, list and pack pinned toolchains.",
        discussion: """
            A toolchain spec is toolchains/NAME.toml: name, description, one or more [[source]] tables \
            (url, sha256, size, mount, strip_components) or a Debian lock ([debian] and [[package]] \
            tables, written by `repro toolchain lock`), and an [env] table. Names are looked up in the \
            project's toolchains/, then $REPRO_TOOLCHAIN_PATH, then the installed specs.

            \(HelpText.examples([
                "List the toolchains found and whether each is cached:": "repro toolchain list",
                "Fetch the Debian base toolchain into the cache:": "repro toolchain fetch debian-bookworm-build",
            ]))
            """,
        subcommands: [Fetch.self, Lock.self, Verify.self, List.self, Pack.self, Hash.self, Export.self]
    )
}

/// The `--debian-mirror` option of the commands that read a Debian archive.
struct DebianMirrorOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A Debian mirror base URL tried before $REPRO_DEBIAN_MIRRORS and the host's apt sources (http://, https:// or file://; repeatable). Every file is checked against a pin or the signed InRelease.",
            valueName: "url"))
    var debianMirror: [String] = []
}

/// The `--cache` option shared by the toolchain subcommands.
struct CacheOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The cache directory (default: $REPRO_CACHE, else $XDG_CACHE_HOME/repro, else ~/.cache/repro).",
            valueName: "dir"))
    var cache: String?

    /// The cache this invocation uses.
    func makeCache() throws(ReproError) -> ToolchainCache {
        let cache = ToolchainCache(root: try CachePaths.root(explicit: cache))
        cache.progress = { Console.progress($0) }
        return cache
    }
}

extension ToolchainCommand {
    /// `repro toolchain fetch SPEC...`
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download, pin-check and unpack toolchains into the cache; print their tree paths.",
            discussion: """
                Exit status: 0 fetched, 2 bad spec/URL/archive, failed download or a download \
                longer than its limit, 5 pin mismatch (digest or pinned size).

                \(HelpText.examples([
                    "Fetch the Debian base toolchain and print its tree's path:": "repro toolchain fetch debian-bookworm-build",
                    "Fetch a spec file's archives from a local mirror:": "repro toolchain fetch --mirror file:///srv/mirror toolchains/go.toml",
                ]))
                """)

        @OptionGroup var cacheOptions: CacheOptions
        @OptionGroup var mirrorOptions: MirrorOptions

        @Flag(name: .long, help: "List every neutralized entry (device nodes, fifos, sockets, setuid/setgid bits).")
        var verbose = false

        @OptionGroup var debianMirrorOptions: DebianMirrorOptions

        @Flag(name: .long, help: "Print a JSON array instead of tree paths.")
        var json = false

        @Option(name: .long, help: "Refuse archives with more entries than this.")
        var maxEntries: Int = ExtractLimits.default.maxEntries

        @Option(name: .long, help: "Refuse archives that unpack to more bytes of file contents than this.")
        var maxBytes: UInt64 = ExtractLimits.default.maxBytes

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Stop and refuse a download longer than this many bytes, for sources without a pinned size (default: $REPRO_MAX_DOWNLOAD_BYTES, else 8 GiB).",
                valueName: "n"))
        var maxDownloadBytes: UInt64?

        @Argument(help: ArgumentHelp("Toolchain names or paths to toolchains/*.toml files.", valueName: "spec"))
        var specs: [String]

        func validate() throws {
            if specs.isEmpty {
                throw ValidationError(
                    "Give at least one toolchain name or spec path, e.g. `repro toolchain fetch toolchains/gcc.toml`.")
            }
            if maxEntries < 1 { throw ValidationError("--max-entries must be at least 1.") }
        }

        func run() throws {
            let cache = try cacheOptions.makeCache()
            cache.limits = ExtractLimits(maxEntries: maxEntries, maxBytes: maxBytes, setByOptions: true)
            cache.maxDownloadBytes = maxDownloadBytes
            cache.mirrors = try mirrorOptions.configured()
            let resolver = SpecResolver.standard()
            var loaded = [(spec: ToolchainSpec, path: String)]()
            for name in specs { loaded.append(try resolver.resolve(name)) }
            if let release = loaded.first(where: { !$0.spec.packages.isEmpty })?.spec.debian?.suite {
                cache.debianMirrors = try DebianMirrors.resolve(
                    explicit: debianMirrorOptions.debianMirror, release: release)
            }
            var objects = [[String: Any]]()
            for (spec, path) in loaded {
                let fetched = try cache.fetch(spec, specPath: path)
                for item in fetched {
                    report(spec: spec, item)
                    if json {
                        objects.append([
                            "toolchain": spec.name, "spec": path, "url": item.source.url, "sha256": item.source.sha256,
                            "mount": item.source.mount, "tree": item.treePath, "tree_digest": item.treeDigest,
                            "downloaded": item.downloaded, "unpacked": item.unpacked,
                            "neutralized": item.neutralized.count,
                            "packages": item.packages.count,
                        ])
                    } else {
                        Console.out(item.treePath)
                    }
                }
            }
            if json {
                let data = try PrettyJSON.data(objects)
                Console.json(String(decoding: data, as: UTF8.self))
            }
        }

        /// Progress lines for one fetched source: hit or not, and what was neutralized.
        private func report(spec: ToolchainSpec, _ item: CachedSource) {
            if !item.unpacked {
                Console.progress("\(spec.name): cached \(item.source.sha256.prefix(12)) \(item.treeDigest)")
            }
            guard !item.neutralized.isEmpty else { return }
            let special = item.neutralized.filter { $0.action.hasSuffix("not created") }.count
            let setid = item.neutralized.count - special
            Console.progress(
                "\(spec.name): neutralized \(counted(item.neutralized.count, "entry", "entries")) (\(counted(special, "device node/fifo/socket", "device nodes/fifos/sockets")) not created, \(counted(setid, "setuid/setgid bit")) removed)\(verbose ? ":" : "; --verbose lists them")"
            )
            if verbose {
                for entry in item.neutralized { Console.progress("  \(entry.path): \(entry.action)") }
            }
        }
    }

    /// `repro toolchain verify [SPEC...]`
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash cached archives against their pins and unpacked trees against their recorded digests.",
            discussion: """
                With no SPEC, verifies everything in the cache.

                Exit status: 0 all match, 5 something changed (each changed file is named), 2 bad spec.

                \(HelpText.examples([
                    "Re-hash everything in the cache:": "repro toolchain verify",
                    "Re-hash one toolchain:": "repro toolchain verify debian-bookworm-build",
                ]))
                """)

        @OptionGroup var cacheOptions: CacheOptions

        @Argument(help: ArgumentHelp("Toolchain names or spec paths (default: everything cached).", valueName: "spec"))
        var specs: [String] = []

        func run() throws {
            let cache = try cacheOptions.makeCache()
            var results = [(String, SourceVerification)]()
            if specs.isEmpty {
                for result in try cache.verifyAll() { results.append(("cache", result)) }
            } else {
                let resolver = SpecResolver.standard()
                for name in specs {
                    let (spec, _) = try resolver.resolve(name)
                    if !spec.packages.isEmpty { results.append((spec.name, cache.verifyDebian(spec))) }
                    for source in spec.sources { results.append((spec.name, try cache.verify(source))) }
                }
            }
            var problems = 0
            for (name, result) in results {
                if !result.cached {
                    Console.out("not cached  \(name) \(result.source.url) (run `repro toolchain fetch \(name)`)")
                } else if result.problems.isEmpty {
                    Console.out("ok          \(name) \(result.source.treeKey)")
                } else {
                    for problem in result.problems { Console.out("CHANGED     \(name) \(problem)") }
                    problems += result.problems.count
                }
            }
            if problems > 0 {
                throw ReproError.verification(
                    "\(problems == 1 ? "1 cached file no longer matches its pin or recorded tree digest" : "\(problems) cached files no longer match their pins or recorded tree digests") (listed above). Do not use them: delete the named blob or tree from the cache and fetch again."
                )
            }
        }
    }

    /// `repro toolchain list`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the toolchain specs found, their pins, and whether each is cached.",
            discussion: """
                \(HelpText.examples([
                    "List them as a table:": "repro toolchain list",
                    "List them as JSON, with another cache directory:": "repro toolchain list --json --cache /var/cache/repro",
                ]))
                """)

        @OptionGroup var cacheOptions: CacheOptions

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            let cache = try cacheOptions.makeCache()
            let resolver = SpecResolver.standard()
            var objects = [[String: Any]]()
            for (name, path) in resolver.allSpecPaths() {
                let spec: ToolchainSpec
                do { spec = try SpecResolver.load(path) } catch {
                    Console.progress("skipping \(path): \(error.message)")
                    continue
                }
                var sources = [[String: Any]]()
                if !json { Console.out("\(name)  \(path)\(spec.description.isEmpty ? "" : "  \(spec.description)")") }
                if !spec.packages.isEmpty {
                    let hit = cache.cachedDebian(spec)
                    let source = ToolchainCache.debianSource(spec)
                    sources.append([
                        "url": source.url, "sha256": source.sha256, "mount": source.mount,
                        "packages": spec.packages.count,
                        "cached": hit != nil, "tree": hit?.treePath as Any,
                    ])
                    if !json {
                        Console.out(
                            "  \(hit == nil ? "not cached" : "cached    ")  debian-lock:\(source.sha256)  \(source.mount)  \(counted(spec.packages.count, "package")) from \(source.url)"
                        )
                    }
                }
                for source in spec.sources {
                    let hit = cache.cached(source)
                    sources.append([
                        "url": source.url, "sha256": source.sha256, "mount": source.mount,
                        "cached": hit != nil, "tree": hit?.treePath as Any,
                    ])
                    if !json {
                        Console.out(
                            "  \(hit == nil ? "not cached" : "cached    ")  sha256:\(source.sha256)  \(source.mount)  \(source.url)"
                        )
                    }
                }
                objects.append(["name": name, "path": path, "description": spec.description, "sources": sources])
            }
            if json {
                let data = try PrettyJSON.data(objects)
                Console.json(String(decoding: data, as: UTF8.self))
            } else if objects.isEmpty {
                Console.progress("no toolchain specs found in \(resolver.directories.joined(separator: ", "))")
            }
        }
    }

    /// `repro toolchain pack DIR -o FILE`
    struct Pack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pack a directory into a deterministic archive and print its pin and a [[source]] block.",
            discussion: """
                Entries sorted by path, one mtime, uid/gid 0 without names, modes 0755/0644, no \
                xattrs or ACLs, gzip without name or time.

                \(HelpText.examples([
                    "Pack a directory with every entry's mtime set to a release date:": "repro toolchain pack ./go -o go-1.22.tar.zst --mtime 1700000000",
                ]))
                """)

        @Argument(help: ArgumentHelp("The directory to pack.", valueName: "dir"))
        var directory: String

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp("The archive to write: .tar, .tar.gz, .tar.zst or .tar.xz.", valueName: "file"))
        var output: String

        @Option(
            name: .long,
            help: "The mtime of every entry, in seconds since the epoch (default: $SOURCE_DATE_EPOCH, else 0).")
        var mtime: Int64?

        func validate() throws {
            if Packer.Compression.forFileName(output) == nil {
                throw ValidationError(
                    "Cannot tell the format of '\(output)'. Name it FILE.tar, FILE.tar.gz, FILE.tar.zst or FILE.tar.xz."
                )
            }
        }

        func run() throws {
            var epoch: Int64 = 0
            if let mtime {
                epoch = mtime
            } else if let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], !text.isEmpty {
                guard let value = Int64(text), value >= 0 else {
                    throw ReproError.configuration(
                        "SOURCE_DATE_EPOCH=\(text) is not a whole number of seconds. Set it to e.g. $(git log -1 --format=%ct) or pass --mtime."
                    )
                }
                epoch = value
            }
            let result = try Packer.pack(directory: directory, to: output, mtime: epoch)
            let absolute = URL(fileURLWithPath: output).standardizedFileURL.path
            Console.progress(
                "packed \(counted(result.tree.entries.count, "entry", "entries")), \(counted(Int(clamping: result.size), "byte")), tree \(result.tree.digest)"
            )
            Console.out("sha256 \(result.sha256)  \(output)")
            Console.out("")
            Console.out(Packer.sourceBlock(url: "file://" + absolute, sha256: result.sha256))
        }
    }

    /// `repro toolchain hash FILE...`
    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the SHA-256 of files, in sha256sum's format, for writing pins.",
            discussion: """
                \(HelpText.examples([
                    "Print the pin of a downloaded archive:": "repro toolchain hash go1.22.linux-amd64.tar.gz",
                ]))
                """)

        @Argument(help: ArgumentHelp("The files to hash.", valueName: "file"))
        var files: [String]

        func run() throws {
            for file in files { Console.out("\(try Hashing.sha256(file: file))  \(file)") }
        }
    }

    /// `repro toolchain lock NAME --suite SUITE --include PKG[,PKG...] [-o FILE]`
    struct Lock: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Resolve a Debian package set from the archive's signed indexes and write it as a locked toolchain spec.",
            discussion: """
                The set is every Essential: yes and Priority: required package of the suite, the --include \
                packages, and the closure of their Pre-Depends and Depends (first satisfiable alternative, \
                Provides honoured, versions checked), newest version of each name over SUITE and the \
                SUITE-* suites the host's apt sources list (e.g. -updates, -security). InRelease is checked \
                with gpgv and the Debian archive keyring ($REPRO_DEBIAN_KEYRING), each Packages file with \
                InRelease's SHA-256.

                Exit status: 0 written, 2 no mirror, unknown package or unresolvable dependency, \
                5 a signature or index checksum did not verify.

                \(HelpText.examples([
                    "Lock Debian 12's minbase set plus cmake and ninja:": "repro toolchain lock cmake --suite bookworm --include cmake,ninja-build",
                ]))
                """)

        @OptionGroup var cacheOptions: CacheOptions
        @OptionGroup var mirrorOptions: DebianMirrorOptions

        @Argument(help: ArgumentHelp("The toolchain's name (the spec's name).", valueName: "name"))
        var name: String

        @Option(name: .long, help: "The Debian release, e.g. bookworm.")
        var suite: String

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Packages to add to the minbase set, comma-separated (repeatable).", valueName: "pkg,..."))
        var include: [String] = []

        @Option(
            name: .long, help: ArgumentHelp("The Debian architecture (default: this machine's).", valueName: "arch"))
        var architecture: String?

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp("Write the spec here (default: toolchains/NAME.toml).", valueName: "file"))
        var output: String?

        func validate() throws {
            if name.isEmpty || name.contains("/") || name.contains(where: { $0.isWhitespace }) {
                throw ValidationError(
                    "The name '\(name)' must be non-empty, without spaces or '/', e.g. debian-bookworm-build.")
            }
            if suite.isEmpty || suite.contains("/") || suite.contains(where: { $0.isWhitespace }) {
                throw ValidationError("--suite takes a release name such as bookworm.")
            }
        }

        func run() throws {
            let cache = try cacheOptions.makeCache()
            let packages = include.flatMap { $0.split(separator: ",").map { $0.trimmingSpaces() } }.filter {
                !$0.isEmpty
            }
            let arch = architecture ?? DebianLocker.hostArchitecture
            let (info, pins) = try DebianLocker.lock(
                release: suite, include: packages, architecture: arch,
                explicitMirrors: mirrorOptions.debianMirror, cache: cache)
            let day = String(info.locked.prefix(10))
            let description =
                "Debian \(suite) minbase\(packages.isEmpty ? "" : " + " + packages.joined(separator: ", ")) (\(arch)), locked \(day)"
            let text = DebianLock.specText(
                name: name, description: description, info: info,
                env: ["PATH": "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"], packages: pins)
            let path = output ?? "toolchains/\(name).toml"
            // What is written must load back as the same lock.
            let reread = try ToolchainSpec.parse(toml: text, path: path)
            guard reread.packages == DebianLock.sorted(pins) else {
                fatalError("a written lock must parse back to its pins")
            }
            let directory = path.droppingLastPathPart
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            try AtomicFile.write(Array(text.utf8), to: path) { e in
                .configuration("cannot write \(path): \(e.text). Choose another file with -o.", errno: e.code)
            }
            let bytes = pins.reduce(UInt64(0)) { $0 + $1.size }
            Console.progress(
                "locked \(counted(pins.count, "package")) (\(bytes) bytes of .deb) from \(info.suites.joined(separator: ", "))"
            )
            Console.out(path)
        }
    }
}
