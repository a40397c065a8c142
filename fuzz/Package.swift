// swift-tools-version:6.0
import PackageDescription

// The libFuzzer build of repro's fuzz targets (Sources/ReproFuzzTargets): a package of its own,
// so that `swift build --sanitize=fuzzer` instruments it in a build folder of its own
// (.build-fuzz) and the static release settings of repro's own package stay out of it.
// `make fuzz` builds and runs it; REPRO_FUZZ_TARGET names the target a run fuzzes.
let package = Package(
    name: "repro-fuzz",
    dependencies: [
        .package(name: "repro", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "repro-fuzz",
            dependencies: [.product(name: "ReproFuzzTargets", package: "repro")],
            // libFuzzer supplies main().
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ],
    swiftLanguageModes: [.v5]
)
