import Foundation
import Testing

/// The release binary stays small (docs/benchmarks.md, "Binary size"): it links FoundationEssentials
/// rather than Foundation (whose ICU data alone is 35 MB), and `make release` strips it, keeping the
/// debug information in a separate file named by its .gnu_debuglink section.
@Suite struct BinarySizeTests {
    /// The most bytes the stripped release binary may have. It measured 22.2 MB when this was set
    /// (22,227,664 bytes, with TOML read by repro's own reader); see docs/benchmarks.md for what it
    /// holds.
    static let limit = 22_000_000

    static func sections(_ path: String) throws -> [String] {
        let readelf = try Shell.run(["readelf", "-S", "-W", path])
        #expect(readelf.status == 0, "\(readelf.stderr)")
        return readelf.stdout.split(separator: "\n").compactMap { line in
            guard let open = line.firstIndex(of: "]") else { return nil }
            return line[line.index(after: open)...].split(separator: " ").first.map(String.init)
        }
    }

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// The binary the tests run (`make release`'s) is under the limit, and stripped, with its
    /// debug information beside it.
    @Test func releaseBinaryIsSmallAndStripped() throws {
        let binary = CLI.binary
        let size = Self.size(binary)
        #expect(
            size > 0 && size <= Self.limit,
            "\(binary) has \(size) bytes, more than \(Self.limit): check what grew (size -A, nm --size-sort on \(binary).debug) and that nothing imports full Foundation"
        )
        let sections = try Self.sections(binary)
        #expect(
            !sections.contains(".debug_info") && !sections.contains(".symtab"),
            "\(binary) is not stripped: build it with `make release`")
        #expect(sections.contains(".gnu_debuglink"))
        let debug = try Self.sections(binary + ".debug")
        #expect(debug.contains(".debug_info") && debug.contains(".symtab"), "\(binary).debug has no debug information")
    }

    /// `make install` places the stripped binary, and its debug file where gdb looks for it.
    @Test func installedBinaryIsSmallAndHasItsDebugFile() throws {
        let dest = try Installation.destDir()
        let size = Self.size(dest + "/usr/bin/repro")
        #expect(size > 0 && size <= Self.limit, "the installed repro has \(size) bytes, more than \(Self.limit)")
        #expect(Self.size(dest + "/usr/lib/debug/usr/bin/repro.debug") > size)
        #expect(Self.size(dest + "/usr/lib/debug/usr/libexec/repro/repro-fetch.debug") > 0)
    }
}
