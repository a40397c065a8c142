import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// `repro version [--verbose]`: repro's version and, with --verbose, its own build inputs.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print repro's version; with --verbose, what this binary was built from.",
        discussion: """
            With --verbose, also prints repro's own build inputs: every Swift package at the exact \
            version Package.swift pins (transitive ones marked), the Swift compiler, and the \
            versions of libarchive (with the compression libraries it was built with) and \
            libseccomp that this binary runs with. `repro --version --verbose` prints the same.

            \(HelpText.examples([
                "Print the version:": "repro version",
                "Print the build inputs, for a bug report or an audit:": "repro version --verbose",
            ]))
            """
    )

    @Flag(
        name: .customLong("verbose"),
        help: "Also print the Swift packages, compiler and C libraries repro was built with.")
    var verbose = false

    func run() {
        Console.verbatim(verbose ? Self.buildInputs() : ReproInfo.version)
    }

    /// The lines of `repro version --verbose`.
    static func buildInputs() -> String {
        var lines = ["repro \(ReproInfo.version)", "swift packages:"]
        let nameWidth = ReproInfo.dependencies.map(\.name.count).max() ?? 0
        let versionWidth = ReproInfo.dependencies.map(\.version.count).max() ?? 0
        for dependency in ReproInfo.dependencies {
            let name = dependency.name.padded(to: nameWidth)
            let version = dependency.version.padded(to: versionWidth)
            lines.append("  \(name)  \(version)  \(dependency.url)\(dependency.direct ? "" : "  (transitive)")")
        }
        lines.append("swift compiler: \(ReproInfo.swiftCompiler)")
        let details = LinkedLibraries.libarchiveDetails
        lines.append("libarchive: \(LinkedLibraries.libarchive)\(details.isEmpty ? "" : " (\(details))")")
        lines.append("libseccomp: \(LinkedLibraries.libseccomp)")
        return lines.joined(separator: "\n")
    }
}
