import Foundation
import Testing
@testable import ReproCore

/// TOML that made the parser repro used before its own (TOMLKit, over toml++) stop the process on
/// an assertion or overflow the stack, found by the `toolchain-toml`, `project-toml` and
/// `profile-toml` fuzz targets (fuzz/regressions/): every TOML file repro reads must get a syntax
/// error (exit 2) naming the line and column instead.
@Suite struct TOMLRegressionTests {
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz/regressions").path

    func failure(_ text: String) -> ReproError? {
        do {
            _ = try ProjectConfig.parse(text, path: "repro.toml")
            return nil
        } catch { return error }
    }

    @Test(
        "a table header without a key",
        arguments: [
            ("[\n", 1, 2), ("[", 1, 2), ("[[\n", 1, 3), ("[ \n", 1, 3), ("[=]\n", 1, 2), ("[#x]\n", 1, 2),
            ("[[ ]]\n", 1, 4), ("[\r\n", 1, 2), ("[build]\ncommand = [\"make\"]\n[\u{2028}x]\n", 3, 2),
        ])
    func headerWithoutKey(_ text: String, line: Int, column: Int) throws {
        let error = try #require(failure(text))
        #expect(error.kind == .configuration)
        #expect(error.context == ReproError.Context(path: "repro.toml", line: line, column: column), "\(error.message)")
        #expect(error.message.contains("TOML syntax error: expected a key"), "\(error.message)")
    }

    @Test func headerPlace() throws {
        let error = try #require(failure("# a comment\n[build]\ncommand = [\"make\"]\n\n  [\n"))
        #expect(error.kind == .configuration)
        #expect(error.context == ReproError.Context(path: "repro.toml", line: 5, column: 4))
        // The message names the place the way compilers do, from the context.
        #expect(
            error.message.hasPrefix("repro.toml:5:4: TOML syntax error: expected a key, found the end of the line"),
            "\(error.message)")
    }

    @Test(
        "an array element that starts with '}' or a line separator",
        arguments: [
            ("a = [}]\n", 1, 6), ("a = [\n  \"x\",\n } _\n", 3, 2), ("a = [1, # c\n\n }\n", 3, 2),
            ("a = [[1], }]\n", 1, 11), ("a = [\u{2028}1]\n", 1, 6), ("a = [1,\u{2029}]\n", 1, 8),
            ("a = [\u{85}]\n", 1, 6),
            ("a = { b = [ } ] }\n", 1, 13),
        ])
    func arrayElement(_ text: String, line: Int, column: Int) throws {
        let error = try #require(failure(text))
        #expect(error.kind == .configuration)
        #expect(error.context == ReproError.Context(path: "repro.toml", line: line, column: column), "\(error.message)")
        #expect(error.message.contains("TOML syntax error: expected a value"), "\(error.message)")
    }

    /// The inputs the fuzzers found, through the parser of their own file kind.
    @Test func committedFindings() throws {
        let parsers: [String: (String) throws(ReproError) -> Void] = [
            "toolchain-toml": { text throws(ReproError) in _ = try ToolchainSpec.parse(toml: text, path: "t.toml") },
            "project-toml": { text throws(ReproError) in _ = try ProjectConfig.parse(text, path: "repro.toml") },
            "profile-toml": { text throws(ReproError) in _ = try Profile.parse(text, origin: "p.toml") },
        ]
        var count = 0
        for (target, parse) in parsers {
            let directory = Self.regressions + "/" + target
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                let text = String(
                    decoding: try #require(FileManager.default.contents(atPath: directory + "/" + name)), as: UTF8.self)
                do throws(ReproError) {
                    try parse(text)
                    Issue.record("\(target)/\(name) was accepted")
                } catch {
                    #expect(error.kind == .configuration)
                    #expect(error.message.contains("TOML syntax error"), "\(target)/\(name): \(error.message)")
                    #expect(error.context.line != nil && error.context.column != nil, "\(error.message)")
                }
                count += 1
            }
        }
        #expect(count >= 4)
    }

    /// Brackets and separators inside strings and comments, arrays of arrays over several lines and
    /// quoted keys in headers are ordinary TOML.
    @Test func validTOMLIsAccepted() throws {
        let text = """
            # [ a comment with brackets ]
            [build]
            command = [
              "sh", # [
              "-c", '''
            [
            ''', \"\"\"
            [\\
            \"\"\",
              "}", '[', "\u{2028}",
            ]
            outputs = ["dist"]
            toolchains = []
            ["source"]
            date_epoch = 1
            """
        let config = try ProjectConfig.parse(text, path: "repro.toml")
        #expect(config.build.command == ["sh", "-c", "[\n", "[", "}", "[", "\u{2028}"])
        #expect(config.source.dateEpoch == 1)
        let other = try TOMLReader.parse("a = [\n  [\n    1,\n  ],\n  [ ],\n]\n[ \"x y\" . z ]\n[[t]]\n")
        #expect(
            other
                == .table([
                    "a": .array([.array([.integer(1)]), .array([])]), "x y": .table(["z": .table([:])]),
                    "t": .array([.table([:])]),
                ]))
    }
}

/// Keys of tens of thousands of dotted parts overflowed the stack (SIGSEGV) in the old parser; they
/// are syntax errors now, at the first part past the limit, and ordinary files are untouched.
@Suite struct TOMLKeyDepthTests {
    @Test func deepDottedKeysAndHeadersAreSyntaxErrors() {
        let deep = "a" + String(repeating: ".a", count: 30000) + " = 1\n"
        let column = 2 * TOMLReader.maxDepth + 1
        #expect(throws: TOMLReader.Failure(line: 1, column: column, problem: "a key has more than 128 dotted parts")) {
            try TOMLReader.parse(deep)
        }
        #expect((try? TOMLReader.parse("x = 1\n[" + String(repeating: "a.", count: 300) + "a]\n")) == nil)
        #expect((try? TOMLReader.parse("a = {" + String(repeating: "b.", count: 300) + "b = 1}\n")) == nil)
        do {
            _ = try ToolchainSpec.parse(toml: deep, path: "deep.toml")
            Issue.record("a 30000-part key was accepted")
        } catch {
            #expect(
                error.kind == .configuration && error.message.contains("deep.toml:1:\(column): TOML syntax error"),
                "\(error.message)")
        }
    }

    @Test func dotsInStringsCommentsAndOrdinaryKeysAreFine() throws {
        let dots = String(repeating: ".", count: 1000)
        let node = try TOMLReader.parse(
            "a.b.c = \"\(dots)\"\n# \(dots)\nd = '\(dots)'\ne = \"\"\"\n\(dots)\n\"\"\"\nf.g = 1.5\n")
        #expect(
            node
                == .table([
                    "a": .table(["b": .table(["c": .string(dots)])]), "d": .string(dots), "e": .string(dots + "\n"),
                    "f": .table(["g": .float(1.5)]),
                ]))
    }
}
