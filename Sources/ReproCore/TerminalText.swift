/// Text made safe to print to a terminal.
///
/// Names of output files, build log lines and messages come from the build or the project,
/// which repro does not trust. Printed raw, a carriage return, a backspace or an escape sequence
/// (`ESC [ ... `) could rewrite what a person sees, such as a NOT REPRODUCIBLE line redrawn as
/// REPRODUCIBLE. Human output goes through ``escape(_:)``; JSON needs nothing more than its own
/// escaping, and never goes through it.
public enum TerminalText {
    /// `text` for a place that must stay on one line (a URI, a name from a bundle): as
    /// ``escape(_:)``, with newline and tab written as `\n` and `\t` too, so that a value cannot
    /// start a line of its own that reads like repro's verdict.
    public static func field(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value == 0x0A || $0.value == 0x09 }) else { return escape(text) }
        return escape(text.replacingEvery("\n", with: "\\n").replacingEvery("\t", with: "\\t"))
    }

    /// `text` with every control character except newline and tab written as a visible escape:
    /// `\r`, `\b`, `\e` and `\xNN` for the other C0 codes and DEL, `\u{NN}` for the C1 codes
    /// (U+0080 to U+009F, which some terminals also obey) and the bidirectional formatting
    /// characters (U+061C, U+200E/F, U+202A to U+202E, U+2066 to U+2069), and a backslash doubled only where it
    /// would otherwise start such an escape. Text without control characters comes back as is.
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x09: out.unicodeScalars.append(scalar)
            case 0x0D: out += "\\r"
            case 0x08: out += "\\b"
            case 0x1B: out += "\\e"
            case 0x00...0x1F, 0x7F: out += "\\x" + hex2(scalar.value)
            case 0x80...0x9F: out += "\\u{" + hex2(scalar.value) + "}"
            case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether a scalar is one that ``escape(_:)`` rewrites.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return false
        case 0x00...0x1F, 0x7F, 0x80...0x9F: return true
        // Bidirectional marks, embeddings, overrides and isolates: they reorder what a person
        // reads on the line (a name shown as "gpj.exe" that is "exe.jpg").
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func hex2(_ value: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(value >> 4) & 0xF], digits[Int(value) & 0xF]])
    }
}

/// UTF-8 text decoded exactly.
public enum ExactUTF8 {
    /// `bytes` as a string whose UTF-8 is exactly `bytes`, or nil when they are not valid UTF-8.
    ///
    /// Foundation's `String(bytes:encoding: .utf8)` drops a leading byte-order mark (EF BB BF),
    /// so two different file names could decode to one string; names that repro reads from the
    /// build, the work tree or git must keep every byte.
    public static func decode<Bytes: Collection>(_ bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        let array = Array(bytes)
        guard let text = String(validating: array, as: UTF8.self), Array(text.utf8) == array else { return nil }
        return text
    }
}

/// Counted nouns for messages: `counted(1, "file")` is "1 file", `counted(2, "file")` "2 files".
public func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
}
