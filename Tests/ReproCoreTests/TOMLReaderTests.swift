import Testing
@testable import ReproCore

/// repro's TOML v1.0.0 reader: what it builds from valid documents, and where it stops on invalid
/// ones (every rule of the specification, and the limits that keep any input from exhausting the
/// stack).
@Suite struct TOMLReaderTests {
    typealias N = TOMLNode

    static let valid: [(String, N)] = [
        ("", .table([:])),
        ("a = 1", .table(["a": .integer(1)])),
        ("# only a comment", .table([:])),
        ("a = 1\r\nb = 2\r\n", .table(["a": .integer(1), "b": .integer(2)])),
        (
            "\"a b\" = 1\n'c\"d' = 2\n\"\" = 3\nA-_9 = 4\n1234 = 5\n",
            .table(["a b": .integer(1), "c\"d": .integer(2), "": .integer(3), "A-_9": .integer(4), "1234": .integer(5)])
        ),
        (
            "a . \"b.c\" . d = 1\na.e = 2\n",
            .table(["a": .table(["b.c": .table(["d": .integer(1)]), "e": .integer(2)])])
        ),
        ("3.14 = 1", .table(["3": .table(["14": .integer(1)])])),
        ("[a.b]\nc = 1\n[a]\nd = 2\n", .table(["a": .table(["b": .table(["c": .integer(1)]), "d": .integer(2)])])),
        (
            "[a]\nb.c = 1\n[a.b.d]\ne = 2\n",
            .table(["a": .table(["b": .table(["c": .integer(1), "d": .table(["e": .integer(2)])])])])
        ),
        ("[a.b.c]\n[a]\nb.d = 1\n", .table(["a": .table(["b": .table(["c": .table([:]), "d": .integer(1)])])])),
        (
            "[[a]]\nb = 1\n[a.c]\nd = 2\n[[a]]\nb = 3\n[a.c]\n",
            .table([
                "a": .array([
                    .table(["b": .integer(1), "c": .table(["d": .integer(2)])]),
                    .table(["b": .integer(3), "c": .table([:])]),
                ])
            ])
        ),
        (
            "[[a.b]]\n[[a.b]]\n[a]\nc = 1\n",
            .table(["a": .table(["b": .array([.table([:]), .table([:])]), "c": .integer(1)])])
        ),
        ("[ a . b ]\n[[ c ]]\n", .table(["a": .table(["b": .table([:])]), "c": .array([.table([:])])])),
        (
            "a = {}\nb = { c = 1, d.e = \"x\", f = { g = [1, 2] } }\n",
            .table([
                "a": .table([:]),
                "b": .table([
                    "c": .integer(1), "d": .table(["e": .string("x")]),
                    "f": .table(["g": .array([.integer(1), .integer(2)])]),
                ]),
            ])
        ),
        ("a = { b = [\n1,\n] }\n", .table(["a": .table(["b": .array([.integer(1)])])])),
        (
            "a = [ 1, 'x', [], {b = true}, 1.5, 1979-05-27, ]\n",
            .table([
                "a": .array([
                    .integer(1), .string("x"), .array([]), .table(["b": .boolean(true)]), .float(1.5), .dateOrTime,
                ])
            ])
        ),
        ("a = [\n  # c\n  1 , # d\n\n  2\n  # e\n]\n", .table(["a": .array([.integer(1), .integer(2)])])),
        // Strings.
        (#"a = "\b\t\n\f\r\"\\\u00e9\U0001F600""#, .table(["a": .string("\u{8}\t\n\u{C}\r\"\\é😀")])),
        ("a = 'C:\\x\\\"'", .table(["a": .string("C:\\x\\\"")])),
        ("a = \"tab\there\"", .table(["a": .string("tab\there")])),
        ("a = \"\"\"\nline1\r\nline2\"\"\"", .table(["a": .string("line1\nline2")])),
        ("a = \"\"\"\\\n   x \\  \n\n  y\"\"\"", .table(["a": .string("x y")])),
        ("a = \"\"\"x\\\r\n  y\"\"\"", .table(["a": .string("xy")])),
        ("a = \"\"\"\"x\"\"\"\"\"", .table(["a": .string("\"x\"\"")])),
        ("a = \"\"\"\"\"\"", .table(["a": .string("")])),
        ("a = '''\n'x'\\n'''", .table(["a": .string("'x'\\n")])),
        ("a = ''''x'''''", .table(["a": .string("'x''")])),
        ("a = '''a\n\tb'''", .table(["a": .string("a\n\tb")])),
        ("a = \"é ∑ 😀\"", .table(["a": .string("é ∑ 😀")])),
        // Integers.
        ("a = 9223372036854775807", .table(["a": .integer(.max)])),
        ("a = -9223372036854775808", .table(["a": .integer(.min)])),
        (
            "a = +1_000\nb = -0\nc = +0\nd = 0",
            .table(["a": .integer(1000), "b": .integer(0), "c": .integer(0), "d": .integer(0)])
        ),
        (
            "a = 0xDEAD_beef\nb = 0o755\nc = 0b1101\nd = 0x00\ne = 0x7FFFFFFFFFFFFFFF",
            .table([
                "a": .integer(0xDEADBEEF), "b": .integer(0o755), "c": .integer(13), "d": .integer(0),
                "e": .integer(.max),
            ])
        ),
        // Floats.
        (
            "a = 1.5\nb = -0.01\nc = 5e+22\nd = 1E06\ne = -2e-2\nf = 6.626e-34\ng = 224_617.445_991\nh = 1e1_0\ni = 0.0\nj = 0e0",
            .table([
                "a": .float(1.5), "b": .float(-0.01), "c": .float(5e22), "d": .float(1e6), "e": .float(-0.02),
                "f": .float(6.626e-34), "g": .float(224617.445991), "h": .float(1e10), "i": .float(0), "j": .float(0),
            ])
        ),
        (
            "a = inf\nb = +inf\nc = -inf",
            .table(["a": .float(.infinity), "b": .float(.infinity), "c": .float(-.infinity)])
        ),
        ("a = true\nb = false", .table(["a": .boolean(true), "b": .boolean(false)])),
        // Dates and times.
        (
            "a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00-07:00\nc = 1979-05-27T00:32:00.999999+07:00\n"
                + "d = 1979-05-27 07:32:00\ne = 1979-05-27t07:32:00z\nf = 1979-05-27\ng = 07:32:00\nh = 00:32:00.5\n"
                + "i = 2000-02-29\nj = 2016-12-31T23:59:60Z\nk = 1979-05-27 # date then comment",
            .table(Dictionary(uniqueKeysWithValues: "abcdefghijk".map { (String($0), N.dateOrTime) }))
        ),
    ]

    @Test(arguments: 0..<valid.count)
    func validDocuments(_ index: Int) throws {
        let (text, expected) = Self.valid[index]
        let node = try TOMLReader.parse(text)
        #expect(node == expected, "\(text.debugDescription)")
    }

    @Test func nanIsAFloat() throws {
        guard case .table(let entries) = try TOMLReader.parse("a = nan\nb = -nan\nc = +nan"),
            case .float(let a) = entries["a"], case .float(let b) = entries["b"], case .float(let c) = entries["c"]
        else {
            Issue.record("nan is not a float")
            return
        }
        #expect(a.isNaN && b.isNaN && c.isNaN)
    }

    /// Invalid documents, and the line and column where each is reported.
    static let invalid: [(String, Int, Int)] = [
        // Keys and statements.
        ("a = 1\na = 2", 2, 1), ("a.b = 1\na.b = 2", 2, 3), ("a = 1\na.b = 2", 2, 1), ("\"a\" = 1\na = 2", 2, 1),
        ("a =", 1, 4), ("a", 1, 2), ("= 1", 1, 1), ("a = 1 b = 2", 1, 7), ("a.  = 1", 1, 5), (".a = 1", 1, 1),
        ("a..b = 1", 1, 3), ("\"\"\"a\"\"\" = 1", 1, 3), ("a\n= 1", 1, 2), ("a = 1\n\u{FEFF}b = 2", 2, 1),
        ("a = # c\n1", 1, 5), ("\"a\nb\" = 1", 1, 3),
        // Tables.
        ("[a]\n[a]", 2, 1), ("[a]\nb = 1\n[a]", 3, 1), ("a.b = 1\n[a]", 2, 1), ("[x]\na.b = 1\n[x.a]", 3, 1),
        ("[a]\nb = 1\n[a.b]", 3, 1), ("a = {}\n[a]", 2, 1), ("a = {}\n[a.b]", 2, 2), ("[a.b]\n[a]\nb.c = 1", 3, 1),
        ("[a]\nb.c = 1\n[a]\nb.d = 2", 3, 1), ("[a.b.c]\n[a]\nb.c.d = 1", 3, 3), ("[a]\nb.c = 1\n[a.b]", 3, 1),
        ("[a] b = 1", 1, 5), ("[a", 1, 3), ("[a]]", 1, 4), ("[ [a]]", 1, 3), ("[[a] ]", 1, 4), ("[[a]", 1, 4),
        ("[a.]", 1, 4), ("[]", 1, 2),
        // Arrays of tables.
        ("a = [1]\n[[a]]", 2, 1), ("[a]\n[[a]]", 2, 1), ("[[a]]\n[a]", 2, 1), ("a = []\n[[a]]", 2, 1),
        ("[[a]]\nb.c = 1\n[a.b]", 3, 1), ("[[a]]\n[a.b]\n[a.b]", 3, 1), ("[[a]]\nx = 1\n[[a.b]]\n[a]", 4, 1),
        // Inline tables.
        ("a = {b = 1,}", 1, 12), ("a = {b = 1\n}", 1, 11), ("a = {\nb = 1}", 1, 6), ("a = {b = 1, b = 2}", 1, 13),
        ("a = {b = 1}\na.c = 2", 2, 1), ("a = {b = {}}\n[a.b]", 2, 2), ("a = {b.c = 1, b = 2}", 1, 15),
        ("a = {b = {}, b.c = 1}", 1, 14), ("a = {b = 1 c = 2}", 1, 12), ("a = {,}", 1, 6), ("a = {b = 1", 1, 11),
        ("a = {b = 1} # ok\na.b = 2", 2, 1), ("a = {b = 1, # c\n}", 1, 13),
        // Arrays.
        ("a = [1,,2]", 1, 8), ("a = [,]", 1, 6), ("a = [1 2]", 1, 8), ("a = [1", 1, 7), ("a = [1,\n", 2, 1),
        ("a = [1]\n[[a]]", 2, 1),
        // Strings.
        ("a = \"x", 1, 7), ("a = \"x\ny\"", 1, 7), ("a = 'x", 1, 7), ("a = \"\"\"x", 1, 9), ("a = '''x''", 1, 11),
        (#"a = "\x41""#, 1, 6), (#"a = "\e""#, 1, 6), (#"a = "\ud800""#, 1, 6), (#"a = "\UDFFFFFFF""#, 1, 6),
        (#"a = "\U00110000""#, 1, 6), (#"a = "\u12""#, 1, 6), (#"a = "\u12G4""#, 1, 6),
        ("a = \"\u{0}\"", 1, 6), ("a = \"\u{7F}\"", 1, 6), ("a = '\u{1F}'", 1, 6), ("a = \"x\ry\"", 1, 7),
        ("a = \"\"\"x\ry\"\"\"", 1, 9), ("a = '''\u{0}'''", 1, 8), ("a = \"\"\"x \\ y\"\"\"", 1, 10),
        ("a = \"\"\"x\"\"\"\"\"\"", 1, 14), ("a = '''x''''''", 1, 14), ("a = \"\"\"\u{8}\"\"\"", 1, 8),
        // Comments and line ends.
        ("# \u{0}", 1, 3), ("# \u{7F}", 1, 3), ("a = 1 # \u{1B}", 1, 9), ("# x\ry", 1, 4), ("a = 1\r", 1, 6),
        ("a = 1\rb = 2", 1, 6), ("\r", 1, 1), ("# ok\t\n\u{1}", 2, 1),
        // Integers.
        ("a = 9223372036854775808", 1, 5), ("a = -9223372036854775809", 1, 5), ("a = 0x8000000000000000", 1, 5),
        ("a = 0xFFFFFFFFFFFFFFFF", 1, 5), ("a = 01", 1, 5), ("a = 00", 1, 5), ("a = -01", 1, 6), ("a = 0_1", 1, 5),
        ("a = 1__2", 1, 6), ("a = 1_", 1, 6), ("a = _1", 1, 5), ("a = +0x1", 1, 7), ("a = 0X1", 1, 6),
        ("a = 0x", 1, 7), ("a = 0x_1", 1, 7), ("a = 0o8", 1, 7), ("a = 0b2", 1, 7), ("a = 0xG", 1, 7), ("a = 1x", 1, 6),
        ("a = ++1", 1, 6), ("a = 1 2", 1, 7),
        // Floats.
        ("a = 1.", 1, 7), ("a = .1", 1, 5), ("a = 1.e1", 1, 7), ("a = 1e", 1, 7), ("a = 1e+", 1, 8), ("a = 01.5", 1, 5),
        ("a = 1._5", 1, 7), ("a = 1.5_", 1, 8), ("a = 1e_5", 1, 7), ("a = Inf", 1, 5), ("a = NaN", 1, 5),
        ("a = infinity", 1, 8), ("a = 1.2.3", 1, 8), ("a = -in", 1, 6),
        // Booleans.
        ("a = True", 1, 5), ("a = tru", 1, 5), ("a = falsey", 1, 10),
        // Dates and times.
        ("a = 1979-13-01", 1, 5), ("a = 1979-00-01", 1, 5), ("a = 1979-02-29", 1, 5), ("a = 1900-02-29", 1, 5),
        ("a = 1979-04-31", 1, 5), ("a = 1979-01-00", 1, 5), ("a = 1979-1-01", 1, 11),
        ("a = 1979-01-01T24:00:00", 1, 16),
        ("a = 1979-01-01T23:60:00", 1, 16), ("a = 1979-01-01T23:59:61", 1, 16), ("a = 1979-01-01T23:59", 1, 21),
        ("a = 1979-01-01T", 1, 16), ("a = 1979-01-01 07:32", 1, 21), ("a = 1979-01-01T07:32:00+24:00", 1, 24),
        ("a = 1979-01-01T07:32:00+01", 1, 27), ("a = 1979-01-01T07:32:00.", 1, 25), ("a = 07:32", 1, 10),
        ("a = 07:32:00Z", 1, 13), ("a = 7:32:00", 1, 6), ("a = 1979-01-01 x", 1, 16),
        ("a = 1979-01-01T07:32:00 Z", 1, 25),
        // Invalid UTF-8 is tested on bytes below.
    ]

    @Test(arguments: 0..<invalid.count)
    func invalidDocuments(_ index: Int) {
        let (text, line, column) = Self.invalid[index]
        do {
            let node = try TOMLReader.parse(text)
            Issue.record("\(text.debugDescription) was accepted as \(node)")
        } catch {
            #expect(
                error.line == line && error.column == column,
                "\(text.debugDescription): \(error.line):\(error.column): \(error.problem)")
            #expect(!error.problem.isEmpty)
        }
    }

    @Test func invalidUTF8IsRefusedWhereItIs() {
        for (bytes, column) in [
            ([0x61, 0x20, 0x3D, 0x20, 0x22, 0xC3, 0x28, 0x22] as [UInt8], 6),  // a truncated sequence
            ([0x61, 0x20, 0x3D, 0x20, 0x22, 0xC0, 0xAF, 0x22], 6),  // an overlong '/'
            ([0x61, 0x20, 0x3D, 0x20, 0x22, 0xED, 0xA0, 0x80, 0x22], 6),  // a surrogate
            ([0x61, 0x20, 0x3D, 0x20, 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 6),  // past U+10FFFF
            ([0x23, 0x20, 0xFF], 3),  // in a comment
            ([0x61, 0x20, 0x3D, 0x20, 0x22, 0xE2, 0x82], 6),  // cut at the end of the file
        ] {
            #expect(throws: TOMLReader.Failure(line: 1, column: column, problem: "the file is not valid UTF-8")) {
                try TOMLReader.parse(bytes: bytes)
            }
        }
        #expect((try? TOMLReader.parse(bytes: Array("a = \"é😀\"".utf8))) == .table(["a": .string("é😀")]))
    }

    /// Columns count characters (Unicode scalars), not bytes.
    @Test func columnsCountCharacters() {
        #expect(
            throws: TOMLReader.Failure(
                line: 2, column: 10, problem: "expected the end of the line after a value, found 'b'")
        ) {
            try TOMLReader.parse("x = 1\na = \"é😀\" b")
        }
    }

    /// Nesting stops at ``TOMLReader/maxDepth`` levels with a syntax error, for any mix of arrays,
    /// inline tables, headers and dotted keys, so that no input exhausts the stack.
    @Test func nestingIsBounded() throws {
        let limit = TOMLReader.maxDepth
        // `a = [[...]]`: the outermost array is level 1, so 128 arrays fit.
        let fits = "a = " + String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect((try? TOMLReader.parse(fits)) != nil)
        let deep = "a = " + String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(
            throws: TOMLReader.Failure(
                line: 1, column: 5 + limit, problem: "tables and arrays are nested more than 128 levels deep")
        ) {
            try TOMLReader.parse(deep)
        }
        let huge = "a = " + String(repeating: "[{b=", count: 100_000)
        #expect((try? TOMLReader.parse(huge)) == nil)
        let inline = "a = " + String(repeating: "{b=", count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        #expect((try? TOMLReader.parse(inline)) == nil)
        // A header and a dotted key below it add up.
        let half = String(repeating: "k.", count: 99) + "k"
        #expect((try? TOMLReader.parse("[\(half)]\n\(half) = 1")) == nil)
        #expect((try? TOMLReader.parse("[\(half)]\nx.y = 1")) != nil)
        // 10^5 dotted parts, in a key and in a header.
        let parts = String(repeating: "a.", count: 99_999) + "a"
        #expect(
            throws: TOMLReader.Failure(line: 1, column: 2 * limit + 1, problem: "a key has more than 128 dotted parts")
        ) {
            try TOMLReader.parse(parts + " = 1")
        }
        #expect(
            throws: TOMLReader.Failure(line: 1, column: 2 * limit + 2, problem: "a key has more than 128 dotted parts")
        ) {
            try TOMLReader.parse("[" + parts + "]")
        }
    }

    @Test func errorsOnTheLastLineWithoutANewline() {
        #expect(throws: TOMLReader.Failure(line: 3, column: 5, problem: "a value is missing")) {
            try TOMLReader.parse("a = 1\nb = 2\nc = ")
        }
    }
}
