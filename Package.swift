// swift-tools-version:6.0
import PackageDescription

// Release builds of `repro` are fully static executables: with no shared libraries to load and
// relocate, a sandbox run starts in about a third of the time (docs/benchmarks.md). Static linking
// needs libarchive's own dependencies spelled out, in `pkg-config --static --libs libarchive` order
// (Debian 12's -dev packages; scripts/install-deps.sh installs them), except libxml2: it serves
// only the xar reader, which repro never registers (ArchiveReader.open), so no libarchive object that
// needs it is linked.
// Debug builds, and the tests, stay dynamically linked. `repro-fetch` links only the Swift runtime
// and Foundation statically (libcurl and TLS stay shared), so an installed repro needs no Swift
// toolchain at run time.
let staticRelease = BuildSettingCondition.when(platforms: [.linux], configuration: .release)
// Compiling with -static-stdlib makes the objects name the static Foundation's own libraries
// (_FoundationICU, CoreFoundation, ...) for the linker.
let staticReleaseCompiling: [SwiftSetting] = [.unsafeFlags(["-static-stdlib"], staticRelease)]
// repro's own modules import FoundationEssentials, never Foundation: full Foundation links ICU and
// its locale data, 40 MB of the static binary (docs/benchmarks.md, "Binary size"). Crypto imports
// Foundation itself; with member import visibility, its String methods (contains, range(of:), ...)
// do not leak through it into files that do not import it.
let essentialsOnly: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]
let staticReleaseLinking: [LinkerSetting] =
    [.unsafeFlags(["-static-executable"], staticRelease)]
    + ["nettle", "acl", "lzma", "zstd", "lz4", "bz2", "z", "stdc++", "m"]
    .map { LinkerSetting.linkedLibrary($0, staticRelease) }

let package = Package(
    name: "repro",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "repro", targets: ["repro"]),
        .executable(name: "repro-fetch", targets: ["repro-fetch"]),
        // The fuzz targets, for the libFuzzer package in fuzz/ (`make fuzz`).
        .library(name: "ReproFuzzTargets", targets: ["ReproFuzzTargets"]),
    ],
    // Pinned to exact versions: a tool that certifies reproducible builds is built from fixed
    // inputs itself. `repro version --verbose` prints them from ReproInfo.dependencies, which a
    // test keeps equal to these lines and to the resolved graph (Package.resolved stays
    // uncommitted: the machines' local package copies have commit ids of their own).
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    ],
    targets: [
        // System libraries, imported only by ReproSystem.
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .systemLibrary(
            name: "CSeccomp",
            pkgConfig: "libseccomp",
            providers: [.apt(["libseccomp-dev"])]
        ),
        // The sandbox child: everything between clone and execve, in C.
        .target(name: "CReproSandbox"),
        // Pure Swift: models, plans, digests, formats, signing. No kernel calls.
        .target(
            name: "ReproCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: essentialsOnly
        ),
        // The thin Linux layer: syscalls, fetch/cache/unpack, seccomp, launcher.
        .target(
            name: "ReproSystem",
            dependencies: [
                "ReproCore", "CArchive", "CSeccomp", "CReproSandbox",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: essentialsOnly
        ),
        .executableTarget(
            name: "repro",
            dependencies: [
                "ReproCore", "ReproSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: staticReleaseCompiling + essentialsOnly,
            linkerSettings: staticReleaseLinking
        ),
        // Downloads over HTTP(S) in a process of its own, so that repro itself never loads the
        // TLS stack (FoundationNetworking and libcurl) and starts fast.
        .executableTarget(
            name: "repro-fetch",
            swiftSettings: staticReleaseCompiling,
            linkerSettings: [.unsafeFlags(["-static-stdlib"], staticRelease)]
        ),
        // The parsers of hostile input as fuzz targets: run by `make fuzz` (fuzz/) and, as a
        // seeded mutation test, by `make test`.
        .target(
            name: "ReproFuzzTargets",
            dependencies: [
                "ReproCore", "ReproSystem",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "ReproCoreTests", dependencies: ["ReproCore"]),
        .testTarget(
            name: "ReproSystemTests", dependencies: ["ReproSystem", "ReproCore", "CArchive", "ReproFuzzTargets"]),
        .testTarget(name: "ReproCLITests", dependencies: ["ReproCore"]),
    ],
    swiftLanguageModes: [.v5]
)
