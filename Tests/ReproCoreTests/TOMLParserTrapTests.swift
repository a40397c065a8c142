import Foundation
import Testing
@testable import ReproCore

/// TOML that makes TOMLKit's parser (toml++) stop the process on an assertion, found by the
/// `toolchain-toml`, `project-toml` and `profile-toml` fuzz targets (fuzz/regressions/): every
/// TOML file repro reads must get a syntax error (exit 2) naming the line and column instead.
@Suite struct TOMLParserTrapTests {
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
            "[\n", "[", "[[\n", "[ \n", "[=]\n", "[#x]\n", "[[ ]]\n", "[\r\n",
            "[build]\ncommand = [\"make\"]\n[\u{2028}x]\n",
        ])
    func headerWithoutKey(_ text: String) throws {
        let error = try #require(failure(text))
        #expect(error.kind == .configuration)
        #expect(error.message.contains("TOML syntax error"), "\(error.message)")
    }

    @Test func headerPlace() throws {
        let error = try #require(failure("# a comment\n[build]\ncommand = [\"make\"]\n\n  [\n"))
        #expect(error.kind == .configuration)
        #expect(error.context == ReproError.Context(path: "repro.toml", line: 5, column: 3))
        // The message names the place the way compilers do, from the context.
        #expect(error.message.hasPrefix("repro.toml:5:3: TOML syntax error: a table header"), "\(error.message)")
    }

    @Test(
        "an array element that starts with '}' or a line separator",
        arguments: [
            "a = [}]\n", "a = [\n  \"x\",\n } _\n", "a = [1, # c\n\n }\n", "a = [[1], }]\n", "a = [\u{2028}1]\n",
            "a = [1,\u{2029}]\n", "a = [\u{85}]\n", "a = { b = [ } ] }\n",
        ])
    func arrayElement(_ text: String) throws {
        let error = try #require(failure(text))
        #expect(error.kind == .configuration)
        #expect(error.message.contains("TOML syntax error: an array holds"), "\(error.message)")
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
                }
                count += 1
            }
        }
        #expect(count >= 4)
    }

    /// What the scan must not take for such a place: brackets and separators inside strings and
    /// comments, arrays of arrays over several lines, quoted keys in headers.
    @Test func validTOMLIsLeftToTheParser() throws {
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
        #expect(TOMLFile.parserTrap(text) == nil)
        #expect(TOMLFile.parserTrap("a = [\n  [\n    1,\n  ],\n  [ ],\n]\n[ \"x y\" . z ]\n[[t]]\n") == nil)
        let config = try ProjectConfig.parse(text, path: "repro.toml")
        #expect(config.build.command == ["sh", "-c", "[\n", "[", "}", "[", "\u{2028}"])
        #expect(config.source.dateEpoch == 1)
    }
}

/// Keys of tens of thousands of dotted parts overflowed the stack (SIGSEGV) in the parser; they
/// are syntax errors now, and ordinary files are untouched.
@Suite struct TOMLKeyDepthTests {
    @Test func deepDottedKeysAndHeadersAreSyntaxErrors() {
        let deep = "a" + String(repeating: ".a", count: 30000) + " = 1\n"
        #expect(TOMLFile.deepKeyLine(deep) == 1)
        #expect(TOMLFile.deepKeyLine("x = 1\n[" + String(repeating: "a.", count: 300) + "a]\n") == 2)
        #expect(TOMLFile.deepKeyLine("a = {" + String(repeating: "b.", count: 300) + "b = 1}\n") == 1)
        do {
            _ = try ToolchainSpec.parse(toml: deep, path: "deep.toml")
            Issue.record("a 30000-part key was accepted")
        } catch {
            #expect(
                error.kind == .configuration && error.message.contains("deep.toml:1: TOML syntax error"),
                "\(error.message)")
        }
    }

    @Test func dotsInStringsCommentsAndOrdinaryKeysAreFine() {
        let dots = String(repeating: ".", count: 1000)
        #expect(
            TOMLFile.deepKeyLine(
                "a.b.c = \"\(dots)\"\n# \(dots)\nd = '\(dots)'\ne = \"\"\"\n\(dots)\n\"\"\"\nf.g = 1.5\n") == nil)
    }
}
