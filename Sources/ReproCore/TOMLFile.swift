import FoundationEssentials
import Glibc
import TOMLKit

/// Decodes hand-written TOML files (`repro.toml`, profiles, toolchain specs) into `Decodable`
/// models, turning every failure into one configuration error (exit 2) that names the file, the
/// line and column of a syntax error, the dotted key of a missing or mistyped value, and any key
/// the model does not know (a typo must not be silently ignored).
public enum TOMLFile {
    /// Decodes `text`, read from `path`, as `T`. `guide` ends every message: where to read
    /// about the format (e.g. "See docs/toolchains.md for the spec format.").
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, path: String, guide: String)
        throws(ReproError) -> T
    {
        if let line = deepKeyLine(text) {
            throw .configuration(
                at: .init(path: path, line: line),
                "TOML syntax error: a key on this line has more than \(maxKeyDepth) dotted parts; repro's files nest a few levels. Fix the file at that line."
            )
        }
        if let (line, column, problem) = parserTrap(text) {
            throw .configuration(
                at: .init(path: path, line: line, column: column),
                "TOML syntax error: \(problem). Fix the file at that line and column.")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .configuration(
                at: .init(path: path, line: error.source.begin.line, column: error.source.begin.column),
                "TOML syntax error: \(error.description). Fix the file at that line and column.")
        } catch {
            throw .configuration(at: .init(path: path), "cannot parse TOML: \(error). \(guide)")
        }
        let log = TOMLKeyLog()
        let value: T
        do {
            value = try TOMLNodeDecoder.decode(T.self, from: TOMLNode(table), at: [], log: log)
        } catch let error as TOMLShapeError {
            throw .configuration(
                at: .init(path: path), "\(error.sentence)\(error.sentence.hasSuffix("?") ? "" : ".") \(guide)")
        } catch let error as DecodingError {
            throw .configuration(at: .init(path: path), "\(describe(error)). \(guide)")
        } catch let error as ReproError {
            throw error
        } catch {
            throw .configuration(at: .init(path: path), "\(error). \(guide)")
        }
        let unknown = log.unknown()
        if !unknown.isEmpty {
            let names = unknown.map { entry in
                "'\(entry.path)'" + (entry.suggestion.map { " (did you mean '\($0)'?)" } ?? "")
            }
            throw .configuration(
                at: .init(path: path),
                "unknown key\(unknown.count == 1 ? "" : "s") \(names.joined(separator: ", ")); remove or rename \(unknown.count == 1 ? "it" : "them"). \(guide)"
            )
        }
        return value
    }

    /// The most dots a line may hold outside strings and comments. TOMLKit's parser (and the
    /// decoding after it) recurses once per dotted key part, so some tens of thousands of parts
    /// overflow the stack; no file repro reads needs more than a few.
    static let maxKeyDepth = 256

    /// The first line (1-based) with more than ``maxKeyDepth`` dots outside strings and comments.
    static func deepKeyLine(_ text: String) -> Int? {
        var line = 1, dots = 0
        var quote: UInt8? = nil, triple = false, escaped = false, comment = false
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == 0x0A {
                line += 1
                dots = 0
                comment = false
                if quote != nil && !triple { quote = nil }
                i += 1
                continue
            }
            if comment {
                i += 1
                continue
            }
            if let q = quote {
                if escaped {
                    escaped = false
                } else if c == 0x5C && q == 0x22 {
                    escaped = true
                } else if c == q {
                    if !triple {
                        quote = nil
                    } else if i + 2 < b.count, b[i + 1] == q, b[i + 2] == q {
                        quote = nil
                        i += 2
                    }
                }
                i += 1
                continue
            }
            switch c {
            case 0x23: comment = true
            case 0x22, 0x27:
                quote = c
                triple = i + 2 < b.count && b[i + 1] == c && b[i + 2] == c
                if triple { i += 2 }
            case 0x2E:
                dots += 1
                if dots > maxKeyDepth { return line }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// The first place (line and column, 1-based, and what is wrong) where TOMLKit's parser
    /// (toml++) would stop the process on an assertion instead of reporting a syntax error, or nil:
    /// a table header whose `[` or `[[` is not followed by a key on its line, and an array whose
    /// next element starts with `}` or a line or paragraph separator (U+2028, U+2029, U+0085).
    ///
    /// The scan follows only what decides where a statement or an array element starts (strings,
    /// comments, brackets), and gives up, leaving any error to the parser, where the text is
    /// malformed before such a place.
    static func parserTrap(_ text: String) -> (line: Int, column: Int, problem: String)? {
        var scanner = TrapScanner(Array(text.utf8))
        return scanner.run()
    }

    /// The Levenshtein distance between two short strings.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        var row = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: y.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (x[i - 1] == y[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return x.isEmpty ? y.count : row[y.count]
    }

    /// Whether a coding key is an array position rather than a table key.
    static func isIndex(_ key: CodingKey) -> Bool {
        key.intValue != nil && (Int(key.stringValue) != nil || key.stringValue.hasPrefix("Index"))
    }

    /// A dotted key path with 1-based array positions: `source[2].sha256`.
    static func keyPath(_ path: [CodingKey]) -> String {
        var text = ""
        for key in path {
            if isIndex(key), let index = key.intValue {
                text += "[\(index + 1)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    /// A one-line description of a decoding error with its dotted key path.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            let path =
                context.codingPath.last?.stringValue == key.stringValue
                ? context.codingPath : context.codingPath + [key]
            return "missing required key '\(keyPath(path))'"
        case .typeMismatch(let type, let context):
            return "key '\(keyPath(context.codingPath))' has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "key '\(keyPath(context.codingPath))' has no value (expected \(type))"
        case .dataCorrupted(let context):
            let key = keyPath(context.codingPath)
            return key.isEmpty ? context.debugDescription : "key '\(key)': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The scan of ``TOMLFile/parserTrap(_:)``: the text's bytes, where the scan is, and the line it is
/// on (its number, and the offset where it starts).
private struct TrapScanner {
    typealias Trap = (line: Int, column: Int, problem: String)

    /// Why a step ends the scan: a trap found, or text malformed before any (left to the parser).
    enum Stop {
        case trap(Trap)
        case giveUp

        /// What ``TOMLFile/parserTrap(_:)`` returns for it.
        var trap: Trap? {
            if case .trap(let trap) = self { return trap }
            return nil
        }
    }

    let b: [UInt8]
    var i = 0, line = 1, lineStart = 0

    init(_ b: [UInt8]) { self.b = b }

    func at(_ k: Int) -> UInt8? { k < b.count ? b[k] : nil }

    static func isKeyStart(_ c: UInt8) -> Bool {
        c == 0x22 || c == 0x27 || c == 0x5F || c == 0x2D || (0x30...0x39).contains(c) || (0x41...0x5A).contains(c)
            || (0x61...0x7A).contains(c)
    }

    mutating func skipBlanks() { while at(i) == 0x20 || at(i) == 0x09 { i += 1 } }

    /// Skips a comment, up to its line's newline.
    mutating func skipComment() { while let d = at(i), d != 0x0A { i += 1 } }

    func starts(_ quote: UInt8) -> Bool { at(i) == quote && at(i + 1) == quote && at(i + 2) == quote }

    mutating func newline() {
        line += 1
        lineStart = i + 1
    }

    /// Scans statement by statement to the first trap.
    mutating func run() -> Trap? {
        while i < b.count {
            // The start of a statement: blank lines and comments, then a header or a key.
            skipBlanks()
            guard let c = at(i) else { return nil }
            if c == 0x0A || c == 0x0D {
                if c == 0x0A { newline() }
                i += 1
                continue
            }
            if c == 0x23 {
                skipComment()
                continue
            }
            if c == 0x5B, let stop = header() { return stop.trap }
            if let stop = statementRest() { return stop.trap }
        }
        return nil
    }

    /// A table header at `[`: `[` or `[[` must be followed by a key on its line.
    mutating func header() -> Stop? {
        let column = i - lineStart + 1
        i += 1
        let hadBlank = at(i) == 0x20 || at(i) == 0x09
        skipBlanks()
        if at(i) == 0x5B {
            if hadBlank { return .giveUp }  // `[ [`: the parser reports it
            i += 1
            skipBlanks()
        }
        guard let k = at(i) else { return .giveUp }
        if k != 0x5D && !Self.isKeyStart(k) {
            return .trap((line, column, "a table header '[' or '[[' must be followed by a key on its line"))
        }
        return nil
    }

    /// The rest of the statement: up to a newline outside strings, arrays and inline tables.
    mutating func statementRest() -> Stop? {
        var open: [UInt8] = []
        while let d = at(i) {
            if d == 0x0A {
                if open.isEmpty { break }
                newline()
                i += 1
            } else if d == 0x23 {
                skipComment()
            } else if d == 0x5B || d == 0x7B {
                open.append(d)
                i += 1
                if d == 0x5B, let trap = elementTrap() { return .trap(trap) }
            } else if d == 0x5D || d == 0x7D {
                _ = open.popLast()
                i += 1
            } else if d == 0x2C {
                i += 1
                if open.last == 0x5B, let trap = elementTrap() { return .trap(trap) }
            } else if starts(0x22) || starts(0x27) {
                guard skipMultilineString(quote: d) else { return .giveUp }
            } else if d == 0x22 || d == 0x27 {
                guard skipString(quote: d) else { return .giveUp }  // unterminated: the parser reports it
            } else {
                i += 1
            }
        }
        return nil
    }

    /// Skips a multi-line string (`\` escapes in the basic kind only); false if it is unterminated.
    mutating func skipMultilineString(quote: UInt8) -> Bool {
        i += 3
        while true {
            guard let e = at(i) else { return false }
            if e == 0x5C && quote == 0x22 {
                if at(i + 1) == 0x0A {
                    i += 1
                    newline()
                }
                i += 1
            } else if starts(quote) {
                i += 3
                return true
            } else {
                if e == 0x0A { newline() }
                i += 1
            }
        }
    }

    /// Skips a one-line string; false if it is unterminated on its line.
    mutating func skipString(quote: UInt8) -> Bool {
        i += 1
        while true {
            guard let e = at(i), e != 0x0A else { return false }
            if e == 0x5C && quote == 0x22 {
                i += 2
                continue
            }
            i += 1
            if e == quote { return true }
        }
    }

    /// Where an array element must start: blanks, line breaks and comments, then not `}` nor
    /// U+2028/U+2029 (E2 80 A8/A9) nor U+0085 (C2 85).
    mutating func elementTrap() -> Trap? {
        while let c = at(i) {
            if c == 0x20 || c == 0x09 || c == 0x0D {
                i += 1
            } else if c == 0x0A {
                newline()
                i += 1
            } else if c == 0x23 {
                skipComment()
            } else {
                break
            }
        }
        let column = i - lineStart + 1
        if at(i) == 0x7D { return (line, column, "an array holds '}' where a value belongs") }
        if (at(i) == 0xE2 && at(i + 1) == 0x80 && (at(i + 2) == 0xA8 || at(i + 2) == 0xA9))
            || (at(i) == 0xC2 && at(i + 1) == 0x85)
        {
            return (
                line, column,
                "an array holds a line or paragraph separator (U+2028, U+2029 or U+0085) where a value belongs"
            )
        }
        return nil
    }
}
