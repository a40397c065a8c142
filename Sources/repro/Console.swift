import FoundationEssentials
import Glibc
import ReproCore

/// Human output: results to stdout, progress and errors to stderr, with control characters
/// escaped (``TerminalText``); JSON for machines, as is.
enum Console {
    /// Writes a line of human output to stdout.
    static func out(_ line: String) {
        ProgressDisplay.current?.clear()
        StandardStream.output.write(Data((TerminalText.escape(line) + "\n").utf8))
    }

    /// Writes a JSON document (already escaped by its own rules) to stdout.
    static func json(_ text: String) {
        ProgressDisplay.current?.clear()
        StandardStream.output.write(Data((text + "\n").utf8))
    }

    /// Writes a line to stdout as it is (already made safe by its own format's rules).
    static func verbatim(_ line: String) {
        ProgressDisplay.current?.clear()
        StandardStream.output.write(Data((line + "\n").utf8))
    }

    /// Writes a progress line to stderr (through the running command's ``ProgressDisplay``,
    /// which may be quiet, if it has one).
    static func progress(_ line: String) {
        if let display = ProgressDisplay.current { return display.note(line) }
        StandardStream.error.write(Data(("repro: " + TerminalText.escape(line) + "\n").utf8))
    }

    /// Writes an error paragraph to stderr.
    static func error(_ message: String) {
        ProgressDisplay.current?.finish()
        StandardStream.error.write(Data(("repro: error: " + TerminalText.escape(message) + "\n").utf8))
    }
}
