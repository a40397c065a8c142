import Foundation
import Testing
@testable import ReproCore

/// The error model: each kind has one exit status, every documented error status has one kind,
/// callers add context without changing the kind, and the JSON error members are the same
/// everywhere.
@Suite struct ReproErrorTests {
    /// The documented error statuses (README, `repro --help`): 2, 3, 4, 5 and 64. 0 and 1 are
    /// verdicts, never errors.
    static let documented: [ReproError.Kind: Int32] = [
        .configuration: 2, .build: 3, .sandbox: 4, .verification: 5, .usage: 64,
    ]

    @Test func everyKindHasItsDocumentedStatus() {
        #expect(Set(ReproError.Kind.allCases) == Set(Self.documented.keys))
        for kind in ReproError.Kind.allCases {
            #expect(kind.exitStatus.rawValue == Self.documented[kind], "\(kind)")
        }
    }

    @Test func everyErrorStatusIsReachedByExactlyOneKind() {
        let verdicts: Set<ReproCore.ExitStatus> = [.success, .outputsDiffer]
        for status in ReproCore.ExitStatus.allCases {
            let kinds = ReproError.Kind.allCases.filter { $0.exitStatus == status }
            #expect(kinds.count == (verdicts.contains(status) ? 0 : 1), "\(status): \(kinds)")
        }
    }

    /// The kind is written into `--json` error objects: its spelling is part of the format.
    @Test func kindNamesAreStable() {
        #expect(
            ReproError.Kind.allCases.map(\.rawValue) == ["configuration", "build", "sandbox", "verification", "usage"])
    }

    @Test func factoriesCarryTheirKind() {
        let cases: [(ReproError, ReproError.Kind)] = [
            (.configuration("x"), .configuration), (.buildFailed("x"), .build), (.sandbox("x"), .sandbox),
            (.verification("x"), .verification), (.usage("x"), .usage),
            (.configuration(at: .init(path: "p"), "x"), .configuration),
        ]
        for (error, kind) in cases {
            #expect(error.kind == kind && error.status == kind.exitStatus && error.wrappedKind == nil)
        }
        #expect(ReproError.sandbox("x", errno: EPERM).errno == EPERM)
    }

    @Test func positionsAreNamedFromTheContext() {
        #expect(
            ReproError.configuration(at: .init(path: "a.toml", line: 3, column: 7), "bad").message == "a.toml:3:7: bad")
        #expect(ReproError.configuration(at: .init(path: "a.toml", line: 3), "bad").message == "a.toml:3: bad")
        #expect(ReproError.configuration(at: .init(path: "a.toml"), "bad").message == "a.toml: bad")
        #expect(ReproError.configuration(at: .init(line: 3), "bad").message == "bad")
        // A column without a line names no column.
        #expect(ReproError.Context(path: "a", column: 2).location == "a")
        #expect(ReproError.configuration(at: .init(path: "a.toml", line: 3, column: 7), "bad").context.column == 7)
    }

    @Test func prefixingKeepsTheKindAndFillsOnlyGaps() {
        let inner = ReproError.sandbox("opening /x failed", errno: ENOENT, context: .init(path: "/x"))
        let outer = inner.prefixed(
            "toolchain t: ", context: .init(path: "/spec.toml", url: "file:///a", toolchain: "t"))
        #expect(outer.kind == .sandbox && outer.errno == ENOENT && outer.wrappedKind == nil)
        #expect(outer.message == "toolchain t: opening /x failed")
        // The thrower's path, nearest the failure, wins; the caller adds what was missing.
        #expect(outer.context == ReproError.Context(path: "/x", url: "file:///a", toolchain: "t"))
    }

    @Test func wrappingChangesTheKindAndRemembersTheFirst() {
        let inner = ReproError.buildFailed("the output 'p' is a fifo", context: .init(path: "p"))
        let once = ReproError.wrapping(inner, as: .configuration, message: "--copy-out: /p: \(inner.message)")
        #expect(once.kind == .configuration && once.status == .configuration)
        #expect(once.wrappedKind == .build && once.context.path == "p")
        #expect(once.message == "--copy-out: /p: the output 'p' is a fifo")
        // Wrapped again, the first kind is still the one remembered.
        let twice = ReproError.wrapping(once, as: .verification, message: "y")
        #expect(twice.kind == .verification && twice.wrappedKind == .build)
    }

    @Test func jsonMembersAreSnakeCaseWithOnlyKnownContext() throws {
        let error = ReproError.configuration(at: .init(path: "r.toml", line: 2, column: 1), "bad")
        let members = error.jsonMembers
        #expect(members["error"] == "r.toml:2:1: bad")
        #expect(members["kind"] == "configuration")
        #expect(members["exit_status"] == 2)
        #expect(members["context"] == .object(["path": "r.toml", "line": 2, "column": 1]))
        let sandbox = ReproError.sandbox("x", errno: EPERM, context: .init(step: "mounting /proc")).jsonMembers
        #expect(sandbox["kind"] == "sandbox" && sandbox["exit_status"] == 4)
        #expect(sandbox["context"] == .object(["step": "mounting /proc", "errno": .integer(Int64(EPERM))]))
        #expect(ReproError.verification("x").jsonMembers["context"] == .object([:]))
    }

    /// docs/schemas/error-v1.json states the members ``ReproError/jsonMembers`` writes: every
    /// kind and its status, and every context field.
    @Test func theErrorSchemaIsTheModel() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/schemas/error-v1.json").path
        let schema = try StrictJSON.parse(Data(contentsOf: URL(fileURLWithPath: path)))
        let properties = schema["properties"]?.objectValue ?? [:]
        let members = ReproError.sandbox(
            "x", errno: EPERM,
            context: .init(path: "p", line: 1, column: 2, url: "u", toolchain: "t", step: "s")
        ).jsonMembers
        #expect(Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(members.keys))
        #expect(
            properties["kind"]?["enum"]?.arrayValue?.compactMap(\.stringValue)
                == ReproError.Kind.allCases.map(\.rawValue))
        #expect(
            properties["exit_status"]?["enum"]?.arrayValue?.compactMap(\.integerValue)
                == ReproError.Kind.allCases.map { Int64($0.exitStatus.rawValue) })
        #expect(
            Set(properties["context"]?["properties"]?.objectValue?.keys ?? [:].keys)
                == Set(members["context"]?.objectValue?.keys ?? [:].keys))
    }

    /// The checksums parser throws the kind its caller's role needs: input when repro writes or
    /// is handed the file, verification when a manifest certifies it.
    @Test func checksumsParseFailsAsTheCallerSays() throws {
        let bad = "not a checksum line\n"
        let input = #expect(throws: ReproError.self) { try SHA256Sums.parse(bad, path: "SUMS") }
        #expect(input?.kind == .configuration && input?.context == ReproError.Context(path: "SUMS", line: 1))
        let certified = #expect(throws: ReproError.self) {
            try SHA256Sums.parse(bad, path: "SUMS", failing: .verification)
        }
        #expect(certified?.kind == .verification && certified?.message == input?.message)
    }
}
