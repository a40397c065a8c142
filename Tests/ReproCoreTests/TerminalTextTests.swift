import Testing
@testable import ReproCore

@Suite struct TerminalTextTests {
    @Test func plainTextIsUnchanged() {
        #expect(TerminalText.escape("dist/hello-1.0.tar.gz\tok\nnext ✓") == "dist/hello-1.0.tar.gz\tok\nnext ✓")
        #expect(TerminalText.escape("") == "")
        #expect(TerminalText.escape("a\\rb") == "a\\rb")
    }

    @Test func controlCharactersAreShownNotObeyed() {
        #expect(TerminalText.escape("NOT\rREPRODUCIBLE") == "NOT\\rREPRODUCIBLE")
        #expect(TerminalText.escape("\u{1b}[2K\u{1b}]0;title\u{07}") == "\\e[2K\\e]0;title\\x07")
        #expect(TerminalText.escape("a\u{8}b\u{0}c\u{7f}") == "a\\bb\\x00c\\x7f")
        #expect(TerminalText.escape("x\u{9b}31m") == "x\\u{9b}31m")
    }

    /// A right-to-left override in a file name would make "x\u{202e}gpj.exe" read as "xexe.jpg".
    @Test func bidirectionalFormattingIsShownNotObeyed() {
        #expect(TerminalText.escape("x\u{202e}gpj.exe") == "x\\u{202e}gpj.exe")
        #expect(TerminalText.escape("\u{2066}a\u{2069}\u{200f}\u{61c}") == "\\u{2066}a\\u{2069}\\u{200f}\\u{61c}")
        #expect(TerminalText.escape("שלום עולם") == "שלום עולם")
    }

    @Test func noControlCharacterSurvives() {
        let all = String(String.UnicodeScalarView((0...0x9F).compactMap(Unicode.Scalar.init)))
        let escaped = TerminalText.escape(all)
        #expect(!escaped.unicodeScalars.contains { TerminalText.isControl($0) })
        #expect(escaped.contains("\n") && escaped.contains("\t"))
    }
}
