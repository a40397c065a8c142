// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "repro",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "repro", targets: ["repro"]),
        .executable(name: "repro-fetch", targets: ["repro-fetch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
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
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The thin Linux layer: syscalls, fetch/cache/unpack, seccomp, launcher.
        .target(
            name: "ReproSystem",
            dependencies: [
                "ReproCore", "CArchive", "CSeccomp", "CReproSandbox",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "repro",
            dependencies: [
                "ReproCore", "ReproSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Downloads over HTTP(S) in a process of its own, so that repro itself never loads the
        // TLS stack (FoundationNetworking and libcurl) and starts fast.
        .executableTarget(name: "repro-fetch"),
        .testTarget(name: "ReproCoreTests", dependencies: ["ReproCore"]),
        .testTarget(name: "ReproSystemTests", dependencies: ["ReproSystem", "ReproCore", "CArchive"]),
        .testTarget(name: "ReproCLITests", dependencies: ["ReproCore"]),
    ],
    swiftLanguageModes: [.v5]
)
