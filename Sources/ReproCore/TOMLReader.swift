/// A strict TOML v1.0.0 (https://toml.io/en/v1.0.0) reader over UTF-8 bytes, producing `TOMLNode`.
///
/// Everything the specification refuses is a `Failure` with the 1-based line and column (counted in
/// Unicode scalars) of the problem: invalid UTF-8, control characters, a bare carriage return, keys
/// and tables defined twice, integers outside Int64, impossible dates, and so on. Nesting (tables,
/// arrays and inline tables together, as in the resulting `TOMLNode`) is limited to ``maxDepth``
/// levels, so that no input can exhaust the stack: only arrays and inline tables recurse, once per
/// level, and a dotted key is walked in a loop.
///
/// Known differences from Python's `tomllib`, where repro follows the specification: integers
/// outside Int64 are refused ("if an integer cannot be represented losslessly, an error must be
/// thrown"), a leap second (`23:59:60`) and the year 0000 are accepted (RFC 3339 allows both). Keys
/// are Swift strings, so two keys that differ only in Unicode normalization are one key.
struct TOMLReader {
    /// Why a document is not valid TOML, and where.
    struct Failure: Error, Equatable {
        var line: Int
        var column: Int
        var problem: String
    }

    /// The deepest nesting of tables and arrays a document may have; repro's files use three.
    static let maxDepth = 128

    /// Parses a whole document into its root table.
    static func parse(_ text: String) throws(Failure) -> TOMLNode {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses a whole document, given as bytes that must be UTF-8, into its root table.
    static func parse(bytes: [UInt8]) throws(Failure) -> TOMLNode {
        var reader = TOMLReader(bytes: bytes)
        try reader.validateUTF8()
        try reader.document()
        return reader.root.node()
    }

    // MARK: - The tree being built

    /// A table while the document is read: tables stay open to later headers and dotted keys, under
    /// the redefinition rules; inline tables and arrays are finished values (`Slot.value`).
    final class Table {
        enum Slot {
            case table(Table)
            case tables(TableArray)
            case value(TOMLNode)
        }
        var entries: [String: Slot] = [:]
        /// How many tables and arrays enclose it (the root is 0).
        let depth: Int
        /// Defined by a `[header]`, or an element of an `[[array of tables]]`: no header may define
        /// it again and no dotted key may add to it.
        var explicit = false
        /// The section (header, or inline table) whose dotted keys created or extended it: later
        /// sections may neither define it with a header nor add to it with dotted keys.
        var dottedIn: Int? = nil

        init(depth: Int) { self.depth = depth }

        func node() -> TOMLNode {
            var result: [String: TOMLNode] = [:]
            result.reserveCapacity(entries.count)
            for (key, slot) in entries {
                switch slot {
                case .table(let table): result[key] = table.node()
                case .tables(let array): result[key] = .array(array.tables.map { $0.node() })
                case .value(let value): result[key] = value
                }
            }
            return .table(result)
        }
    }

    /// An array of tables, open to more `[[...]]` elements.
    final class TableArray {
        var tables: [Table]
        init(_ first: Table) { tables = [first] }
    }

    /// One part of a dotted key and where it starts.
    struct KeyPart {
        var name: String
        var offset: Int
    }

    private let b: [UInt8]
    private var i = 0
    private let root = Table(depth: 0)
    /// The table that key/value lines go into: the root, or the last header's.
    private var current: Table
    /// The number of the current section (0 for the keys before the first header).
    private var section = 0
    /// The last section number handed out (headers and inline tables).
    private var sections = 0

    private init(bytes: [UInt8]) {
        b = bytes
        current = root
    }

    // MARK: - Bytes

    private static let eof = -1
    private static let lf = 0x0A, cr = 0x0D, tab = 0x09, space = 0x20
    private static let quote = 0x22, apostrophe = 0x27, backslash = 0x5C, hash = 0x23

    /// The byte `ahead` places from the current one, or `eof`.
    private func peek(_ ahead: Int = 0) -> Int {
        let k = i + ahead
        return k < b.count ? Int(b[k]) : Self.eof
    }

    private static func isDigit(_ c: Int) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isHexDigit(_ c: Int) -> Bool {
        isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }
    private static func isBareKey(_ c: Int) -> Bool {
        isDigit(c) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
    }
    /// A control character that TOML refuses in strings and comments: all but tab.
    private static func isControl(_ c: Int) -> Bool { (c >= 0 && c < 0x20 && c != tab) || c == 0x7F }

    // MARK: - Errors

    /// A failure at byte `offset` (default: the current byte).
    private func fail(_ problem: String, at offset: Int? = nil) -> Failure {
        let end = min(offset ?? i, b.count)
        var line = 1, lineStart = 0
        for k in 0..<end where b[k] == 0x0A {
            line += 1
            lineStart = k + 1
        }
        // Columns count Unicode scalars: every byte that is not a UTF-8 continuation byte.
        var column = 1
        for k in lineStart..<end where b[k] & 0xC0 != 0x80 { column += 1 }
        return Failure(line: line, column: column, problem: problem)
    }

    /// How the byte at `offset` is named in a message.
    private func found(at offset: Int? = nil) -> String {
        let k = offset ?? i
        guard k < b.count else { return "the end of the file" }
        let c = Int(b[k])
        switch c {
        case Self.lf: return "the end of the line"
        case Self.cr: return "a carriage return"
        case Self.tab: return "a tab"
        case Self.space: return "a space"
        case 0x21...0x7E: return "'\(String(UnicodeScalar(UInt8(c))))'"
        case 0..<0x80: return "the control character U+\(hex(c, 4))"
        default:
            var end = k + 1
            while end < b.count && b[end] & 0xC0 == 0x80 { end += 1 }
            let text = String(decoding: b[k..<end], as: UTF8.self)
            let scalar = text.unicodeScalars.first.map { Int($0.value) } ?? 0
            return "U+\(hex(scalar, 4))"
        }
    }

    private func hex(_ value: Int, _ width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    // MARK: - UTF-8

    /// Refuses bytes that are not UTF-8 (overlong forms, surrogates and values past U+10FFFF too).
    private mutating func validateUTF8() throws(Failure) {
        var k = 0
        let n = b.count
        while k < n {
            let c = b[k]
            if c < 0x80 {
                k += 1
                continue
            }
            var length = 0
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                high = 0x9F
            case 0xF0:
                length = 4
                low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                high = 0x8F
            default: throw fail("the file is not valid UTF-8", at: k)
            }
            guard k + length <= n else { throw fail("the file is not valid UTF-8", at: k) }
            guard b[k + 1] >= low && b[k + 1] <= high else { throw fail("the file is not valid UTF-8", at: k) }
            for m in stride(from: k + 2, to: k + length, by: 1) where b[m] & 0xC0 != 0x80 {
                throw fail("the file is not valid UTF-8", at: k)
            }
            k += length
        }
    }

    // MARK: - Document structure

    private mutating func document() throws(Failure) {
        while true {
            skipBlanks()
            switch peek() {
            case Self.eof: return
            case Self.lf, Self.cr: try newline()
            case Self.hash: try comment()
            case 0x5B: try header()
            default:
                try keyValue(into: current, section: section)
                try endOfLine()
            }
        }
    }

    private mutating func skipBlanks() {
        while true {
            let c = peek()
            guard c == Self.space || c == Self.tab else { return }
            i += 1
        }
    }

    /// A line feed, or a carriage return and a line feed.
    private mutating func newline() throws(Failure) {
        if peek() == Self.lf {
            i += 1
        } else if peek() == Self.cr && peek(1) == Self.lf {
            i += 2
        } else if peek() == Self.cr {
            throw fail("a carriage return must be followed by a line feed")
        } else {
            throw fail("expected the end of the line, found \(found())")
        }
    }

    /// A comment up to (not including) the end of its line.
    private mutating func comment() throws(Failure) {
        i += 1
        while true {
            let c = peek()
            if c == Self.eof || c == Self.lf || (c == Self.cr && peek(1) == Self.lf) { return }
            if Self.isControl(c) { throw fail("a comment holds \(found()), which TOML does not allow") }
            i += 1
        }
    }

    /// Blanks, an optional comment, then the end of the line or of the file.
    private mutating func endOfLine() throws(Failure) {
        skipBlanks()
        if peek() == Self.hash { try comment() }
        if peek() == Self.eof { return }
        guard peek() == Self.lf || peek() == Self.cr else {
            throw fail("expected the end of the line after a value, found \(found())")
        }
        try newline()
    }

    /// Blanks, line ends and comments, as allowed between array elements.
    private mutating func skipBlankLines() throws(Failure) {
        while true {
            skipBlanks()
            switch peek() {
            case Self.lf, Self.cr: try newline()
            case Self.hash: try comment()
            default: return
            }
        }
    }

    private func dotted(_ parts: ArraySlice<KeyPart>) -> String {
        parts.map { part in
            !part.name.isEmpty && part.name.utf8.allSatisfy({ Self.isBareKey(Int($0)) })
                ? part.name : "\"\(part.name)\""
        }.joined(separator: ".")
    }

    /// `[a.b]` or `[[a.b]]`, which opens a section.
    private mutating func header() throws(Failure) {
        let start = i
        let isArray = peek(1) == 0x5B
        i += isArray ? 2 : 1
        let parts = try key()
        let name = dotted(parts[...])
        if isArray {
            guard peek() == 0x5D && peek(1) == 0x5D else {
                throw fail("expected ']]' to close the header [[\(name)]], found \(found())")
            }
            i += 2
        } else {
            guard peek() == 0x5D else { throw fail("expected ']' to close the header [\(name)], found \(found())") }
            i += 1
        }
        let parent = try headerParent(parts)
        let last = parts[parts.count - 1]
        let table =
            isArray
            ? try arrayElement(named: name, in: parent, at: last, start: start)
            : try headerTable(named: name, in: parent, at: last, start: start)
        sections += 1
        section = sections
        current = table
        try endOfLine()
    }

    /// The table a header's last key part goes in: every earlier part, created where missing; a
    /// part that names an array of tables means its last element.
    private func headerParent(_ parts: [KeyPart]) throws(Failure) -> Table {
        var table = root
        for (n, part) in parts.dropLast().enumerated() {
            switch table.entries[part.name] {
            case nil:
                let child = try newTable(in: table, at: part)
                table.entries[part.name] = .table(child)
                table = child
            case .table(let child): table = child
            case .tables(let array): table = array.tables[array.tables.count - 1]
            case .value:
                throw fail(
                    "the key \(dotted(parts[...n])) already holds a value, so it cannot be a table", at: part.offset)
            }
        }
        return table
    }

    /// `[[name]]`: a new element appended to the array of tables `last` names in `parent`.
    private func arrayElement(named name: String, in parent: Table, at last: KeyPart, start: Int) throws(Failure)
        -> Table
    {
        switch parent.entries[last.name] {
        case nil:
            let element = try newTable(in: parent, at: last, extra: 1)
            element.explicit = true
            parent.entries[last.name] = .tables(TableArray(element))
            return element
        case .tables(let array):
            let element = try newTable(in: parent, at: last, extra: 1)
            element.explicit = true
            array.tables.append(element)
            return element
        case .table:
            throw fail("[[\(name)]] names a table that is already defined, not an array of tables", at: start)
        case .value:
            throw fail(
                "[[\(name)]] names a key that already holds a value (an array of tables cannot add to a static array)",
                at: start)
        }
    }

    /// `[name]`: the table `last` names in `parent`, defined now (once only, and not after
    /// dotted keys defined it).
    private func headerTable(named name: String, in parent: Table, at last: KeyPart, start: Int) throws(Failure)
        -> Table
    {
        let table: Table
        switch parent.entries[last.name] {
        case nil:
            table = try newTable(in: parent, at: last)
            parent.entries[last.name] = .table(table)
        case .table(let child):
            if child.explicit { throw fail("the table [\(name)] is defined twice", at: start) }
            if child.dottedIn != nil {
                throw fail("the table [\(name)] is already defined by dotted keys", at: start)
            }
            table = child
        case .tables: throw fail("[\(name)] names an array of tables, defined with [[\(name)]]", at: start)
        case .value: throw fail("[\(name)] names a key that already holds a value", at: start)
        }
        table.explicit = true
        return table
    }

    /// A new table under `parent`, `extra` levels further down (1 for the element of an array of
    /// tables), refused past ``maxDepth``.
    private func newTable(in parent: Table, at part: KeyPart, extra: Int = 0) throws(Failure) -> Table {
        let depth = parent.depth + 1 + extra
        guard depth <= Self.maxDepth else {
            throw fail("tables and arrays are nested more than \(Self.maxDepth) levels deep", at: part.offset)
        }
        return Table(depth: depth)
    }

    /// A dotted key: parts separated by dots, with blanks around them allowed; leaves the reader on
    /// the first byte after the key and its trailing blanks.
    private mutating func key() throws(Failure) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            skipBlanks()
            let start = i
            let c = peek()
            let name: String
            if c == Self.quote {
                name = try basicString()
            } else if c == Self.apostrophe {
                name = try literalString()
            } else if Self.isBareKey(c) {
                while Self.isBareKey(peek()) { i += 1 }
                name = String(decoding: b[start..<i], as: UTF8.self)
            } else {
                throw fail("expected a key, found \(found())")
            }
            parts.append(KeyPart(name: name, offset: start))
            if parts.count > Self.maxDepth {
                throw fail("a key has more than \(Self.maxDepth) dotted parts", at: start)
            }
            skipBlanks()
            guard peek() == 0x2E else { return parts }
            i += 1
        }
    }

    /// `key = value`, added to `table` under the rules for dotted keys; `section` is the header or
    /// inline table it is written in.
    private mutating func keyValue(into base: Table, section: Int) throws(Failure) {
        let parts = try key()
        guard peek() == 0x3D else {
            throw fail("expected '=' after the key \(dotted(parts[...])), found \(found())")
        }
        i += 1
        skipBlanks()
        var table = base
        for (n, part) in parts.dropLast().enumerated() {
            switch table.entries[part.name] {
            case nil:
                let child = try newTable(in: table, at: part)
                child.dottedIn = section
                table.entries[part.name] = .table(child)
                table = child
            case .table(let child):
                if child.explicit || (child.dottedIn != nil && child.dottedIn != section) {
                    throw fail(
                        "the table \(dotted(parts[...n])) is already defined, so a dotted key cannot add to it",
                        at: part.offset)
                }
                child.dottedIn = section
                table = child
            case .tables:
                throw fail(
                    "\(dotted(parts[...n])) is an array of tables, so a dotted key cannot add to it", at: part.offset)
            case .value:
                throw fail(
                    "the key \(dotted(parts[...n])) already holds a value, so it cannot be a table", at: part.offset)
            }
        }
        let last = parts[parts.count - 1]
        guard table.entries[last.name] == nil else {
            throw fail("the key \(dotted(parts[...])) is defined twice", at: last.offset)
        }
        table.entries[last.name] = .value(try value(depth: table.depth + 1))
    }

    // MARK: - Values

    /// A value that will sit `depth` levels down.
    private mutating func value(depth: Int) throws(Failure) -> TOMLNode {
        guard depth <= Self.maxDepth else {
            throw fail("tables and arrays are nested more than \(Self.maxDepth) levels deep")
        }
        let c = peek()
        switch c {
        case Self.quote:
            if peek(1) == Self.quote && peek(2) == Self.quote { return .string(try multilineString(escapes: true)) }
            return .string(try basicString())
        case Self.apostrophe:
            if peek(1) == Self.apostrophe && peek(2) == Self.apostrophe {
                return .string(try multilineString(escapes: false))
            }
            return .string(try literalString())
        case 0x5B: return try array(depth: depth)
        case 0x7B: return try inlineTable(depth: depth)
        case 0x74:
            try word("true")
            return .boolean(true)
        case 0x66:
            try word("false")
            return .boolean(false)
        case 0x2B, 0x2D, 0x69, 0x6E: return try number()
        case _ where Self.isDigit(c):
            if Self.isDigit(peek(1)) && Self.isDigit(peek(2)) && Self.isDigit(peek(3)) && peek(4) == 0x2D {
                return try date()
            }
            if Self.isDigit(peek(1)) && peek(2) == 0x3A {
                try time()
                return .dateOrTime
            }
            return try number()
        case Self.eof, Self.lf, Self.cr, Self.hash: throw fail("a value is missing")
        default: throw fail("expected a value, found \(found())")
        }
    }

    private mutating func word(_ text: String) throws(Failure) {
        let start = i
        for byte in text.utf8 {
            guard peek() == Int(byte) else { throw fail("expected a value, found \(found(at: start))", at: start) }
            i += 1
        }
    }

    /// `[ value, ... ]`: any types, a trailing comma, line ends and comments between elements.
    private mutating func array(depth: Int) throws(Failure) -> TOMLNode {
        i += 1
        var items: [TOMLNode] = []
        while true {
            try skipBlankLines()
            if peek() == 0x5D {
                i += 1
                return .array(items)
            }
            items.append(try value(depth: depth + 1))
            try skipBlankLines()
            if peek() == 0x2C {
                i += 1
            } else if peek() == 0x5D {
                i += 1
                return .array(items)
            } else {
                throw fail("expected ',' or ']' in an array, found \(found())")
            }
        }
    }

    /// `{ key = value, ... }` on one line, without a trailing comma; finished (immutable) once read.
    private mutating func inlineTable(depth: Int) throws(Failure) -> TOMLNode {
        i += 1
        let table = Table(depth: depth)
        sections += 1
        let id = sections
        skipBlanks()
        if peek() == 0x7D {
            i += 1
            return .table([:])
        }
        while true {
            try keyValue(into: table, section: id)
            skipBlanks()
            if peek() == 0x2C {
                i += 1
                skipBlanks()
                if peek() == 0x7D { throw fail("an inline table cannot end with a comma") }
            } else if peek() == 0x7D {
                i += 1
                return table.node()
            } else if peek() == Self.lf || peek() == Self.cr {
                throw fail("an inline table must be closed with '}' on the line it starts")
            } else {
                throw fail("expected ',' or '}' in an inline table, found \(found())")
            }
        }
    }

    // MARK: - Strings

    /// `"..."` with escapes, on one line.
    private mutating func basicString() throws(Failure) -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            let c = peek()
            switch c {
            case Self.quote:
                i += 1
                return String(decoding: out, as: UTF8.self)
            case Self.backslash: try escape(into: &out)
            case Self.eof, Self.lf, Self.cr: throw fail("a string is not closed on its line")
            default:
                if Self.isControl(c) {
                    throw fail("a string holds \(found()); write it as an escape such as \\t or \\u0001")
                }
                out.append(UInt8(c))
                i += 1
            }
        }
    }

    /// `'...'`, taken as it is, on one line.
    private mutating func literalString() throws(Failure) -> String {
        i += 1
        let start = i
        while true {
            let c = peek()
            switch c {
            case Self.apostrophe:
                i += 1
                return String(decoding: b[start..<(i - 1)], as: UTF8.self)
            case Self.eof, Self.lf, Self.cr: throw fail("a string is not closed on its line")
            default:
                if Self.isControl(c) { throw fail("a literal string holds \(found()), which TOML does not allow") }
                i += 1
            }
        }
    }

    /// `"""..."""` (with escapes and line-ending backslashes) or `'''...'''`: a line end right
    /// after the opening quotes is dropped, CRLF becomes LF, and up to two quotes may precede the
    /// closing three.
    private mutating func multilineString(escapes: Bool) throws(Failure) -> String {
        let delimiter = escapes ? Self.quote : Self.apostrophe
        i += 3
        if peek() == Self.lf {
            i += 1
        } else if peek() == Self.cr && peek(1) == Self.lf {
            i += 2
        }
        var out: [UInt8] = []
        while true {
            let c = peek()
            switch c {
            case delimiter:
                var run = 0
                while peek(run) == delimiter { run += 1 }
                if run >= 3 {
                    if run > 5 { throw fail("a multi-line string is closed by three quotes, found \(run)", at: i + 5) }
                    out.append(contentsOf: repeatElement(UInt8(delimiter), count: run - 3))
                    i += run
                    return String(decoding: out, as: UTF8.self)
                }
                out.append(contentsOf: repeatElement(UInt8(delimiter), count: run))
                i += run
            case Self.backslash where escapes:
                var k = 1
                while peek(k) == Self.space || peek(k) == Self.tab { k += 1 }
                if peek(k) == Self.lf || (peek(k) == Self.cr && peek(k + 1) == Self.lf) {
                    // A line-ending backslash: drop it and all blanks and line ends after it.
                    i += k
                    while true {
                        let d = peek()
                        if d == Self.space || d == Self.tab || d == Self.lf {
                            i += 1
                        } else if d == Self.cr && peek(1) == Self.lf {
                            i += 2
                        } else {
                            break
                        }
                    }
                } else if k > 1 {
                    throw fail("a backslash followed by blanks must end its line", at: i)
                } else {
                    try escape(into: &out)
                }
            case Self.lf:
                out.append(0x0A)
                i += 1
            case Self.cr:
                guard peek(1) == Self.lf else { throw fail("a carriage return must be followed by a line feed") }
                out.append(0x0A)
                i += 2
            case Self.eof:
                throw fail("a multi-line string is not closed")
            default:
                if Self.isControl(c) { throw fail("a string holds \(found()), which TOML does not allow unescaped") }
                out.append(UInt8(c))
                i += 1
            }
        }
    }

    /// A backslash escape: `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`.
    private mutating func escape(into out: inout [UInt8]) throws(Failure) {
        let start = i
        let c = peek(1)
        i += 2
        switch c {
        case 0x62: out.append(0x08)
        case 0x74: out.append(0x09)
        case 0x6E: out.append(0x0A)
        case 0x66: out.append(0x0C)
        case 0x72: out.append(0x0D)
        case Self.quote: out.append(0x22)
        case Self.backslash: out.append(0x5C)
        case 0x75, 0x55:
            let width = c == 0x75 ? 4 : 8
            var value = 0
            for _ in 0..<width {
                let d = peek()
                guard Self.isHexDigit(d) else {
                    throw fail("\\\(c == 0x75 ? "u" : "U") must be followed by \(width) hexadecimal digits", at: start)
                }
                value = value * 16 + (d <= 0x39 ? d - 0x30 : (d | 0x20) - 0x61 + 10)
                i += 1
            }
            guard let scalar = Unicode.Scalar(UInt32(value)) else {
                throw fail(
                    "the escape \(String(decoding: b[start..<i], as: UTF8.self)) is not a Unicode scalar value",
                    at: start)
            }
            out.append(contentsOf: String(Character(scalar)).utf8)
        default:
            throw fail("unknown escape sequence: a backslash followed by \(found(at: start + 1))", at: start)
        }
    }

    // MARK: - Numbers

    /// Digits, with single underscores allowed between two of them.
    private mutating func digits(_ isDigit: (Int) -> Bool) throws(Failure) {
        guard isDigit(peek()) else { throw fail("expected a digit, found \(found())") }
        while true {
            if isDigit(peek()) {
                i += 1
            } else if peek() == 0x5F {
                guard isDigit(peek(1)) else { throw fail("an underscore in a number must be between two digits") }
                i += 1
            } else {
                return
            }
        }
    }

    /// An integer (decimal, 0x, 0o, 0b) or a float (with fraction or exponent, inf, nan).
    private mutating func number() throws(Failure) -> TOMLNode {
        let start = i
        let sign = peek()
        if sign == 0x2B || sign == 0x2D { i += 1 }
        if peek() == 0x69 || peek() == 0x6E {
            let isInf = peek() == 0x69
            try word(isInf ? "inf" : "nan")
            if !isInf { return .float(.nan) }
            return .float(sign == 0x2D ? -.infinity : .infinity)
        }
        if i == start && peek() == 0x30 && (peek(1) == 0x78 || peek(1) == 0x6F || peek(1) == 0x62) {
            let radix = peek(1) == 0x78 ? 16 : peek(1) == 0x6F ? 8 : 2
            i += 2
            let digitsStart = i
            switch radix {
            case 16: try digits(Self.isHexDigit)
            case 8: try digits { $0 >= 0x30 && $0 <= 0x37 }
            default: try digits { $0 == 0x30 || $0 == 0x31 }
            }
            let text = String(decoding: b[digitsStart..<i].filter { $0 != 0x5F }, as: UTF8.self)
            guard let value = Int64(text, radix: radix) else {
                throw fail("the integer is outside the range \(Int64.min)...\(Int64.max)", at: start)
            }
            return .integer(value)
        }
        if peek() == 0x30 && (Self.isDigit(peek(1)) || peek(1) == 0x5F) {
            throw fail("a number cannot have leading zeros")
        }
        try digits(Self.isDigit)
        var isFloat = false
        if peek() == 0x2E {
            i += 1
            try digits(Self.isDigit)
            isFloat = true
        }
        if peek() == 0x65 || peek() == 0x45 {
            i += 1
            if peek() == 0x2B || peek() == 0x2D { i += 1 }
            try digits(Self.isDigit)
            isFloat = true
        }
        let text = String(decoding: b[start..<i].filter { $0 != 0x5F }, as: UTF8.self)
        if isFloat {
            guard let value = Double(text) else { throw fail("the number is not valid", at: start) }
            return .float(value)
        }
        guard let value = Int64(text) else {
            throw fail("the integer is outside the range \(Int64.min)...\(Int64.max)", at: start)
        }
        return .integer(value)
    }

    // MARK: - Dates and times

    /// Exactly `count` decimal digits as a number.
    private mutating func fixedDigits(_ count: Int, _ what: String) throws(Failure) -> Int {
        var value = 0
        for _ in 0..<count {
            guard Self.isDigit(peek()) else { throw fail("\(what) must have \(count) digits") }
            value = value * 10 + peek() - 0x30
            i += 1
        }
        return value
    }

    private mutating func expect(_ byte: Int, _ what: String) throws(Failure) {
        guard peek() == byte else { throw fail("expected \(what), found \(found())") }
        i += 1
    }

    /// A local date, local date-time or offset date-time: `YYYY-MM-DD`, then optionally `T`, `t`
    /// or a space, a time, and `Z`, `z` or `+HH:MM` / `-HH:MM`.
    private mutating func date() throws(Failure) -> TOMLNode {
        let start = i
        let year = try fixedDigits(4, "a year")
        try expect(0x2D, "'-' in a date")
        let month = try fixedDigits(2, "a month")
        try expect(0x2D, "'-' in a date")
        let day = try fixedDigits(2, "a day")
        guard month >= 1 && month <= 12 else { throw fail("the month must be 01 to 12", at: start) }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard day >= 1 && day <= days else { throw fail("the day must be 01 to \(days) in that month", at: start) }
        let c = peek()
        let hasTime =
            c == 0x54 || c == 0x74
            || (c == Self.space && Self.isDigit(peek(1)) && Self.isDigit(peek(2)) && peek(3) == 0x3A)
        guard hasTime else { return .dateOrTime }
        i += 1
        try time()
        if peek() == 0x5A || peek() == 0x7A {
            i += 1
        } else if peek() == 0x2B || peek() == 0x2D {
            let offset = i
            i += 1
            let hour = try fixedDigits(2, "an offset's hour")
            try expect(0x3A, "':' in a time offset")
            let minute = try fixedDigits(2, "an offset's minute")
            guard hour <= 23 && minute <= 59 else { throw fail("the time offset is out of range", at: offset) }
        }
        return .dateOrTime
    }

    /// `HH:MM:SS` with an optional fraction of a second.
    private mutating func time() throws(Failure) {
        let start = i
        let hour = try fixedDigits(2, "an hour")
        try expect(0x3A, "':' in a time")
        let minute = try fixedDigits(2, "a minute")
        try expect(0x3A, "':' and seconds in a time")
        let second = try fixedDigits(2, "a second")
        guard hour <= 23 && minute <= 59 && second <= 60 else {
            throw fail("the time is out of range (hours 00-23, minutes 00-59, seconds 00-60)", at: start)
        }
        if peek() == 0x2E {
            i += 1
            guard Self.isDigit(peek()) else { throw fail("a fraction of a second must have digits") }
            while Self.isDigit(peek()) { i += 1 }
        }
    }
}
