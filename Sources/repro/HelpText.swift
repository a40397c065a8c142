/// The examples that end every command's help.
///
/// ArgumentParser prints a command's discussion above its usage line and has no place for text
/// after the options, so the examples are written as the discussion's last paragraph, headed
/// `EXAMPLES:`, and `Main` moves that paragraph to the end of the help it prints
/// (`HelpText.examplesLast`). The man page generator (scripts/manpage.py) reads the same paragraph
/// from `--experimental-dump-help` into the page's EXAMPLES section.
enum HelpText {
    static let examplesHeading = "EXAMPLES:"

    /// The examples paragraph: each example is what it does (a sentence ending in a colon) and the
    /// command line, indented under it.
    static func examples(_ items: KeyValuePairs<String, String>) -> String {
        ([examplesHeading] + items.map { "  \($0.key)\n    \($0.value)" }).joined(separator: "\n")
    }

    /// `help` with the examples paragraph moved from above the usage line to the end, where a
    /// reader looks for it; any other text unchanged.
    static func examplesLast(_ help: String) -> String {
        guard help.hasPrefix("OVERVIEW:") || help.hasPrefix("USAGE:"),
            let start = help.firstRange(of: "\n\n" + examplesHeading + "\n"),
            let end = help[start.upperBound...].firstRange(of: "\n\n")
        else { return help }
        let examples = help[help.index(start.lowerBound, offsetBy: 2)..<end.lowerBound]
        var rest = help
        rest.removeSubrange(start.lowerBound..<end.lowerBound)
        while rest.hasSuffix("\n") { rest.removeLast() }
        return rest + "\n\n" + examples + "\n"
    }
}
