import ReproCore
import Testing

/// The plain reading of `repro run`'s command line: what it accepts it reads as the argument
/// parser would; everything else it leaves to the parser (nil).
struct RunArgumentsPlainTests {
    func read(_ arguments: [String]) -> RunArguments? { RunArguments(plainArguments: arguments[...]) }

    @Test func readsBothSpellingsAndEverythingAfterTheTerminator() throws {
        let spaced = try #require(
            read(["--tree", "/t:/opt", "--env", "A=x=y", "--timeout", "5", "--stdin", "--", "sh", "--help"]))
        let joined = try #require(
            read(["--tree=/t:/opt", "--env=A=x=y", "--timeout=5", "--stdin", "--", "sh", "--help"]))
        #expect(spaced == joined)
        #expect(spaced.trees == ["/t:/opt"] && spaced.environment == ["A=x=y"] && spaced.timeout == 5 && spaced.stdin)
        #expect(spaced.command == ["sh", "--help"])
        let every = try #require(
            read([
                "--toolchain", "a", "--toolchain", "b", "--cache", "c", "--profile", "strict", "--bind-ro", "/r:/r",
                "--bind", "/w:/w", "--workdir", "/tmp", "--isolation-report", "i.json",
                "--copy-out", "/o:o", "--",
            ]))
        #expect(every.toolchainSpecs == ["a", "b"] && every.cache == "c" && every.profile == "strict")
        #expect(every.bindReadOnly == ["/r:/r"] && every.bindWritable == ["/w:/w"] && every.workdir == "/tmp")
        #expect(every.isolationReport == "i.json" && every.copyOut == ["/o:o"] && every.command.isEmpty)
        #expect(every.problem != nil)  // no command: the parser says so
    }

    @Test func leavesEverythingElseToTheParser() {
        for arguments in [
            ["--help", "--", "true"], ["--no-such", "x", "--", "true"],
            ["--profile", "a", "--profile", "b", "--", "true"],
            ["--stdin", "--stdin", "--", "true"], ["--stdin=yes", "--", "true"], ["--timeout", "-1", "--", "true"],
            ["--timeout", "abc", "--", "true"], ["--cache", "--", "true"], ["--cache="], ["--tree", "/t"],
            ["stray", "--", "true"], ["-h", "--", "true"], ["--=x", "--", "true"], ["--tree", "", "--", "true"],
        ] {
            #expect(read(arguments) == nil, "\(arguments)")
        }
    }
}
