import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// The `--mirror` option shared by the commands that fetch toolchains.
struct MirrorOptions: ParsableArguments {
    @Option(
        name: .customLong("mirror"),
        help: ArgumentHelp(
            "A content-addressed mirror: a base URL (https://, file://) serving sha256/<hex>. Repeatable; tried in order after each source's own URL, before $REPRO_MIRRORS.",
            valueName: "URL"))
    var mirrors: [String] = []

    /// The mirrors to use: these, then `$REPRO_MIRRORS`.
    func configured() throws(ReproError) -> [String] { try Mirrors.configured(options: mirrors) }
}

extension ToolchainCommand {
    /// `repro toolchain export SPEC... -o DIR`
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write the pinned archives of toolchains into a directory laid out as a mirror (DIR/sha256/<hex>).",
            discussion: """
                Fetches each spec (cache, its URLs, then the mirrors; every archive checked against \
                its pin) and copies its archives to DIR/sha256/<hex>, the layout of the cache's \
                blobs/. Serve DIR with any static web server (or use it as file://DIR) and pass it \
                to --mirror or $REPRO_MIRRORS. Prints each file written.

                Exit status: 0 exported, 2 bad spec, download or unwritable DIR, 5 pin mismatch.

                \(HelpText.examples([
                    "Export the Debian base toolchain's archives into a mirror directory:": "repro toolchain export -o /srv/repro-mirror debian-bookworm-build",
                ]))
                """)

        @OptionGroup var cacheOptions: CacheOptions
        @OptionGroup var mirrorOptions: MirrorOptions

        @Option(
            name: .short, help: ArgumentHelp("The mirror directory to write (created if missing).", valueName: "dir"))
        var output: String

        @Argument(help: ArgumentHelp("Toolchain names or paths to toolchains/*.toml files.", valueName: "spec"))
        var specs: [String]

        func validate() throws {
            if specs.isEmpty {
                throw ValidationError(
                    "Give at least one toolchain name or spec path, e.g. `repro toolchain export gcc -o mirror`.")
            }
        }

        func run() throws {
            let cache = try cacheOptions.makeCache()
            cache.mirrors = try mirrorOptions.configured()
            let resolver = SpecResolver.standard()
            var fetched: [CachedSource] = []
            for name in specs {
                let (spec, path) = try resolver.resolve(name)
                fetched += try cache.fetch(spec, specPath: path)
            }
            for path in try Mirrors.export(fetched, to: output, blobs: { cache.blobPath($0) }) { Console.out(path) }
        }
    }
}
