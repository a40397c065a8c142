import Testing
@testable import ReproCore

/// The built-in profiles are kept as Swift values (so a sandbox start decodes no TOML); they must
/// be exactly what the shipped TOML text parses to.
@Suite struct BuiltinProfileValueTests {
    @Test("each built-in profile value equals its parsed TOML text", arguments: Profile.builtinNames)
    func valueEqualsParsedText(name: String) throws {
        let text = try #require(Profile.builtinText(name))
        let parsed = try Profile.parse(text, origin: "profiles/\(name).toml")
        let value = try Profile.builtin(name)
        #expect(value == parsed)
        #expect(value.seccomp.denyEPERM == parsed.seccomp.denyEPERM)  // order too (it shapes the BPF program)
        try value.validate(origin: name)
    }

    @Test("an edit to the text is caught: the parsed value differs from the built-in one")
    func editIsCaught() throws {
        let text = try #require(Profile.builtinText("default")).replacingOccurrences(
            of: "processes = 4096", with: "processes = 4095")
        #expect(try Profile.parse(text, origin: "edited") != Profile.builtin("default"))
    }
}
