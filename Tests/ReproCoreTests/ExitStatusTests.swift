import Testing
@testable import ReproCore

@Suite struct ExitStatusTests {
    @Test func codesAreStable() {
        #expect(ExitStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 64])
    }
}
