import Foundation
import Testing

/// Help text reads as prose: discussions are written as paragraphs that ArgumentParser wraps, not
/// with line breaks of their own, which leave a short line ending mid-sentence; every command's
/// help ends with examples that use its own options; required options look required.
@Suite struct HelpTests {
    /// The commands this suite was written against; `everyCommand` must include them all, so the
    /// parser's own list (from which the checks run) cannot silently shrink.
    static let known: [[String]] = [
        [], ["check"], ["run"], ["init"], ["rebuild"], ["diff"], ["compare"], ["verify"], ["keygen"], ["version"],
        ["toolchain"], ["toolchain", "fetch"], ["toolchain", "lock"], ["toolchain", "verify"], ["toolchain", "list"],
        ["toolchain", "pack"], ["toolchain", "hash"], ["toolchain", "export"],
    ]

    /// One command of `repro --experimental-dump-help`: its path and its option names.
    struct Command {
        let path: [String]
        let options: Set<String>
        let texts: [String]
    }

    /// Every command and subcommand the parser knows, read from the parser itself.
    static func everyCommand() throws -> [Command] {
        let dump = try CLI.run(["--experimental-dump-help"])
        #expect(dump.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var found: [Command] = []
        func visit(_ command: [String: Any], _ path: [String]) {
            let arguments = command["arguments"] as? [[String: Any]] ?? []
            var options = Set<String>()
            var texts = [command["abstract"] as? String ?? "", command["discussion"] as? String ?? ""]
            for argument in arguments {
                for name in argument["names"] as? [[String: Any]] ?? [] {
                    let kind = name["kind"] as? String
                    options.insert((kind == "long" ? "--" : "-") + (name["name"] as? String ?? ""))
                }
                texts += [argument["abstract"] as? String ?? "", argument["discussion"] as? String ?? ""]
            }
            found.append(Command(path: path, options: options, texts: texts))
            for sub in command["subcommands"] as? [[String: Any]] ?? [] where sub["commandName"] as? String != "help" {
                visit(sub, path + [sub["commandName"] as? String ?? ""])
            }
        }
        visit(try #require(root["command"] as? [String: Any]), [])
        return found
    }

    /// Lines of `text` that end where the wrapper would not have broken them (the next line's
    /// first word would still have fit within `width`), without punctuation, and are followed by
    /// a line whose text starts in lowercase: a sentence broken by hand. Indented lines (option
    /// help, continuation lines) count as well.
    static func brokenLines(_ text: String, width: Int = 80) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var found: [String] = []
        for (line, next) in zip(lines, lines.dropFirst()) {
            let nextText = next.drop { $0 == " " }
            guard let last = line.last, last != " ", let first = nextText.first else { continue }
            let firstWord = nextText.prefix { $0 != " " }
            let fitted = line.count + 1 + firstWord.count <= width - 4
            if fitted, !".:;)!?,".contains(last), first.isLowercase { found.append(line + " / " + next) }
        }
        return found
    }

    /// Line breaks written into the parser's own strings, mid-sentence: a newline after something
    /// other than punctuation, before a lowercase letter.
    static func handBreaks(_ text: String) -> [String] {
        let chars = Array(text)
        var found: [String] = []
        for i in chars.indices.dropFirst().dropLast() where chars[i] == "\n" {
            let before = chars[i - 1], after = chars[i + 1]
            if !".:;)!?,\n ".contains(before), after.isLowercase {
                found.append(String(chars[max(0, i - 30)..<min(chars.count, i + 30)]))
            }
        }
        return found
    }

    @Test func theParserListsEveryKnownCommand() throws {
        let paths = try Self.everyCommand().map(\.path)
        for command in Self.known { #expect(paths.contains(command), "\(command) missing from \(paths)") }
    }

    @Test func noSentenceIsBrokenByHand() throws {
        for command in try Self.everyCommand() {
            let result = try CLI.run(command.path + ["--help"], environment: ["COLUMNS": "80"])
            #expect(result.status == 0)
            #expect(Self.brokenLines(result.stdout).isEmpty, "\(command.path): \(Self.brokenLines(result.stdout))")
            let breaks = command.texts.flatMap(Self.handBreaks)
            #expect(breaks.isEmpty, "\(command.path): \(breaks)")
        }
    }

    /// Each command's help ends with an EXAMPLES section: pairs of a sentence ending in a colon
    /// and a command line of that command or one of its subcommands, using only that command's
    /// own options (up to a `--`, after which the words are the sandboxed command's), short
    /// enough not to be wrapped.
    @Test func everyHelpEndsWithExamplesOfItsOwnOptions() throws {
        let commands = try Self.everyCommand()
        for command in commands {
            let help = try CLI.run(command.path + ["--help"], environment: ["COLUMNS": "80"]).stdout
            let sections = help.components(separatedBy: "\n\n").filter { !$0.isEmpty && $0 != "\n" }
            let last = try #require(sections.last)
            #expect(last.hasPrefix("EXAMPLES:\n"), "\(command.path): help ends with \(last)")
            #expect(!help.dropLast(last.count).contains("EXAMPLES:"), "\(command.path): a second EXAMPLES")
            let lines = last.split(separator: "\n").dropFirst().map(String.init)
            #expect(lines.count >= 2 && lines.count <= 4 && lines.count % 2 == 0, "\(command.path): \(lines)")
            for (index, line) in lines.enumerated() {
                #expect(line.count <= 78, "\(command.path): too long to stay on one line: \(line)")
                if index % 2 == 0 {
                    #expect(
                        line.hasPrefix("  ") && !line.hasPrefix("   ") && line.hasSuffix(":"),
                        "\(command.path): \(line)")
                    continue
                }
                #expect(line.hasPrefix("    repro"), "\(command.path): \(line)")
                for invocation in line.dropFirst(4).components(separatedBy: " && ") {
                    let words = invocation.split(separator: " ").map(String.init)
                    // The command an example runs: the longest command path its words start with.
                    let target = commands.filter { words.starts(with: ["repro"] + $0.path) }.max {
                        $0.path.count < $1.path.count
                    }
                    guard let target else {
                        Issue.record("\(command.path): \(invocation) names no repro command")
                        continue
                    }
                    #expect(target.path.starts(with: command.path), "\(command.path): the example runs \(target.path)")
                    for word in words.prefix(while: { $0 != "--" }) where word.hasPrefix("-") {
                        #expect(target.options.contains(word), "\(target.path): \(word) is not one of its options")
                    }
                }
            }
        }
    }

    /// `repro help X` prints the same help as `repro X --help`, examples last.
    @Test func helpSubcommandPutsExamplesLastToo() throws {
        let viaHelp = try CLI.run(["help", "toolchain", "fetch"], environment: ["COLUMNS": "80"])
        let viaFlag = try CLI.run(["toolchain", "fetch", "--help"], environment: ["COLUMNS": "80"])
        #expect(viaHelp.status == 0)
        #expect(viaHelp.stdout == viaFlag.stdout)
        #expect(
            viaHelp.stdout.components(separatedBy: "\n\n").filter { !$0.isEmpty && $0 != "\n" }.last?.hasPrefix(
                "EXAMPLES:") == true)
    }

    /// Options that must be given are shown without brackets, and leaving one out is a usage
    /// error (exit 64) that names it.
    @Test func requiredOptionsLookRequired() throws {
        let verify = try CLI.run(["verify", "--help"]).stdout
        #expect(verify.contains("USAGE: repro verify <BUNDLE> --key <PUB> ..."), "\(verify)")
        let compare = try CLI.run(["compare", "--help"]).stdout
        #expect(compare.contains("USAGE: repro compare <BUNDLE> ... --key <PUB> ..."), "\(compare)")
        let missing = try CLI.run(["verify", "x.intoto.jsonl"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("Error: Missing expected argument '--key <PUB> ...'"), "\(missing.stderr)")
        #expect(missing.stderr.contains("repro keygen -o NAME"), "\(missing.stderr)")
        let noKeys = try CLI.run(["compare", "a.jsonl", "b.jsonl"])
        #expect(
            noKeys.status == 64 && noKeys.stderr.contains("Missing expected argument '--key <PUB> ...'"),
            "\(noKeys.stderr)")
    }

    @Test func theCheckCatchesAHandBrokenLine() {
        #expect(
            Self.brokenLines("Reads repro.toml in DIR. Snapshots the\nsource and builds it.") == [
                "Reads repro.toml in DIR. Snapshots the / source and builds it."
            ])
        #expect(
            Self.brokenLines(
                "  --key <PUB>             A trusted public key; repeat\n                          for several."
            ).count == 1)
        #expect(Self.brokenLines("A line that ends a sentence.\nnext one").isEmpty)
        // A line the wrapper filled: the next word would not have fit.
        let full = String(repeating: "word ", count: 15) + "last"
        #expect(Self.brokenLines(full + "\nfollows").isEmpty)
        #expect(Self.handBreaks("Snapshots the\nsource.") == ["Snapshots the\nsource."])
        #expect(Self.handBreaks("A sentence.\nnext, and a list:\n  - item").isEmpty)
    }
}
