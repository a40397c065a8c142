import Foundation
import ReproCore
import Testing

/// repro pins its own inputs: Package.swift names every dependency at one `exact:` version,
/// ReproInfo.dependencies says the same, the resolved package graph agrees, and
/// `repro version --verbose` prints them with the compiler and the C libraries linked.
@Suite struct VersionTests {
    static let root = InstallTests.root

    /// The `.package(url:, ...)` lines of Package.swift as (url, requirement text).
    static func declaredPackages() throws -> [(url: String, requirement: String)] {
        let manifest = try String(contentsOfFile: root + "/Package.swift", encoding: .utf8)
        return manifest.split(separator: "\n").compactMap { line in
            guard let start = line.range(of: ".package(url: \"") else { return nil }
            let rest = line[start.upperBound...]
            guard let quote = rest.firstIndex(of: "\"") else { return nil }
            let requirement = rest[rest.index(after: quote)...].trimmingCharacters(
                in: CharacterSet(charactersIn: " ,)"))
            return (String(rest[..<quote]), requirement)
        }
    }

    @Test func everyDependencyIsPinnedExactlyAndListedOnce() throws {
        let declared = try Self.declaredPackages()
        #expect(!declared.isEmpty)
        let direct = ReproInfo.dependencies.filter(\.direct)
        #expect(declared.count == direct.count, "\(declared)")
        for package in declared {
            #expect(package.requirement.hasPrefix("exact: \""), "\(package.url) is not pinned: \(package.requirement)")
            let listed = direct.first { $0.url == package.url }
            #expect(listed != nil, "\(package.url) is missing from ReproInfo.dependencies")
            if let listed {
                #expect(
                    package.requirement == "exact: \"\(listed.version)\"",
                    "\(package.url): \(package.requirement) vs \(listed.version)")
            }
        }
    }

    /// What SwiftPM resolved (Package.resolved, written by every build and kept out of git) is
    /// what ReproInfo lists, transitive packages included.
    @Test func theResolvedGraphIsWhatReproInfoLists() throws {
        let path = Self.root + "/Package.resolved"
        let data = try #require(
            FileManager.default.contents(atPath: path), "no \(path): build repro first (swift build)")
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let pins = try #require(json["pins"] as? [[String: Any]])
        let resolved = Dictionary(
            uniqueKeysWithValues: pins.map { pin in
                ((pin["identity"] as? String ?? ""), ((pin["state"] as? [String: Any])?["version"] as? String ?? "?"))
            })
        let listed = Dictionary(uniqueKeysWithValues: ReproInfo.dependencies.map { ($0.name.lowercased(), $0.version) })
        #expect(resolved == listed)
    }

    @Test func versionVerbosePrintsTheBuildInputs() throws {
        let verbose = try CLI.run(["version", "--verbose"])
        #expect(verbose.status == 0)
        let flag = try CLI.run(["--version", "--verbose"])
        #expect(flag.status == 0 && flag.stdout == verbose.stdout)
        let lines = verbose.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "repro \(ReproInfo.version)")
        for dependency in ReproInfo.dependencies {
            #expect(
                lines.contains {
                    $0.hasPrefix("  \(dependency.name) ") && $0.contains(" \(dependency.version) ")
                        && $0.contains("  \(dependency.url)")
                }, "\(dependency.name): \(verbose.stdout)")
        }
        #expect(lines.contains { $0.hasPrefix("  swift-asn1 ") && $0.hasSuffix("(transitive)") })
        #expect(lines.contains("swift compiler: \(ReproInfo.swiftCompiler)"))
        // The plain forms stay the bare version.
        #expect(try CLI.run(["--version"]).stdout == "\(ReproInfo.version)\n")
        #expect(try CLI.run(["version"]).stdout == "\(ReproInfo.version)\n")
    }

    /// The C library versions are the libraries' own run-time answers, which for the static
    /// binary are those of the Debian -dev packages it was linked with (pkg-config says which).
    @Test(.enabled(if: InstallTests.onPath("pkg-config") != nil, "pkg-config is not installed"))
    func theLinkedLibraryVersionsAreTheLinkedOnes() throws {
        let lines = try CLI.run(["version", "--verbose"]).stdout.split(separator: "\n").map(String.init)
        for library in ["libarchive", "libseccomp"] {
            let expected = try Shell.run(["pkg-config", "--modversion", library]).stdout.trimmingCharacters(
                in: .whitespacesAndNewlines)
            #expect(!expected.isEmpty)
            let line = lines.first { $0.hasPrefix("\(library): ") }
            #expect(
                line == "\(library): \(expected)" || line?.hasPrefix("\(library): \(expected) (") == true,
                "\(String(describing: line)) vs \(expected)")
        }
        #expect(lines.contains { $0.hasPrefix("libarchive: ") && $0.contains("zlib/") }, "\(lines)")
    }

    /// Output that cannot be written (a full disk) fails the command with exit 2 and says so,
    /// so that a cut-off report never comes with the status of a whole one.
    @Test func standardOutputThatCannotBeWrittenIsAnError() throws {
        for arguments in [["version", "--verbose"], ["--help"]] {
            let result = try Shell.run(["/bin/sh", "-c", "exec \"$@\" >/dev/full", "sh", CLI.binary] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(
                result.stderr.contains("cannot write to standard output: No space left on device"),
                "\(result.stderr)")
        }
    }
}
