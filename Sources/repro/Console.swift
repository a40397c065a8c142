import Foundation

/// Human output: results to stdout, progress and errors to stderr.
enum Console {
    /// Writes a line to stdout.
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes a progress line to stderr.
    static func progress(_ line: String) {
        FileHandle.standardError.write(Data(("repro: " + line + "\n").utf8))
    }

    /// Writes an error paragraph to stderr.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("repro: error: " + message + "\n").utf8))
    }
}
