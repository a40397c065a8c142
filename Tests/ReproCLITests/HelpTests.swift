import Foundation
import Testing

/// Help text reads as prose: discussions are written as paragraphs that ArgumentParser wraps, not
/// with line breaks of their own, which leave a short line ending mid-sentence.
@Suite struct HelpTests {
    static let commands: [[String]] = [
        [], ["check"], ["run"], ["init"], ["rebuild"], ["diff"], ["compare"], ["verify"], ["keygen"],
        ["toolchain"], ["toolchain", "fetch"], ["toolchain", "lock"], ["toolchain", "verify"], ["toolchain", "list"],
        ["toolchain", "pack"], ["toolchain", "hash"], ["toolchain", "export"],
    ]

    /// Lines of `text` that end well short of the wrapping width, without punctuation, and are
    /// followed by a line starting in lowercase: a sentence broken by hand.
    static func brokenLines(_ text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var found: [String] = []
        for (line, next) in zip(lines, lines.dropFirst()) {
            guard let last = line.last, let first = next.first, !line.hasPrefix(" "), !next.hasPrefix(" ") else { continue }
            if line.count < 60, !".:;)!?,".contains(last), first.isLowercase { found.append(line + " / " + next) }
        }
        return found
    }

    @Test(arguments: commands)
    func noSentenceIsBrokenByHand(command: [String]) throws {
        let result = try CLI.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(Self.brokenLines(result.stdout).isEmpty, "\(command): \(Self.brokenLines(result.stdout))")
    }

    @Test func theCheckCatchesAHandBrokenLine() {
        #expect(Self.brokenLines("Reads repro.toml in DIR. Snapshots the\nsource and builds it.") == ["Reads repro.toml in DIR. Snapshots the / source and builds it."])
        #expect(Self.brokenLines("A line that ends a sentence.\nnext one") .isEmpty)
    }
}
