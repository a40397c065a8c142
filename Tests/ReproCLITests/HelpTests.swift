import Testing

@Suite struct HelpTests {
    @Test func helpListsExitCodes() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("4  sandbox or isolation unavailable"))
    }

    @Test func unknownOptionIsUsageError() throws {
        let result = try CLI.run(["--no-such-option"])
        #expect(result.status == 64)
    }
}
