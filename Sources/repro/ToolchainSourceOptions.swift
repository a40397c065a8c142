import ArgumentParser
import ReproCore
import ReproSystem

/// The `--cache` and `--mirror` options of the commands that build (`repro check`, `repro
/// rebuild`): where the toolchains are cached and where else they are fetched from. `Order` names,
/// in each command's help, the URL the mirrors are tried after.
struct ToolchainSourceOptions<Order: MirrorOrder>: ParsableArguments {
    @Option(name: .long, help: "The cache directory (default: $REPRO_CACHE, $XDG_CACHE_HOME/repro, ~/.cache/repro).")
    var cache: String?

    @Option(
        name: .customLong("mirror"),
        help: ArgumentHelp(
            "A content-addressed mirror: a base URL serving sha256/<hex>. Repeatable; tried in order after \(Order.firstTried), before $REPRO_MIRRORS.",
            valueName: "URL"))
    var mirrors: [String] = []

    /// The cache root this invocation uses.
    func cacheRoot() throws(ReproError) -> String { try CachePaths.root(explicit: cache) }

    /// The mirrors to use: these, then `$REPRO_MIRRORS`.
    func configuredMirrors() throws(ReproError) -> [String] { try Mirrors.configured(options: mirrors) }
}

/// Which URL a command tries before the mirrors, as its `--mirror` help says.
protocol MirrorOrder {
    /// The words for it, after "tried in order after".
    static var firstTried: String { get }
}

/// `repro check`: each toolchain source's own URL comes first.
enum AfterToolchainURL: MirrorOrder {
    static let firstTried = "each toolchain's URL"
}

/// `repro rebuild`: the URL the bundle records comes first.
enum AfterRecordedURL: MirrorOrder {
    static let firstTried = "the recorded URL"
}
