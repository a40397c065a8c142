import FoundationEssentials
import Glibc

/// The verdict of a check.
public enum Verdict: String, Sendable, CaseIterable {
    /// Every run succeeded and all output tree digests are equal.
    case reproducible
    /// Every run succeeded but the output tree digests differ.
    case differ
    /// At least one run's build command failed.
    case buildFailed = "build-failed"
}

/// One sandboxed run of the build.
public struct RunRecord: Sendable, Equatable {
    /// The run's number, from 1.
    public var index: Int
    /// The output tree digest (`t1:<hex>`), nil when the run produced no outputs to digest.
    public var outputTreeDigest: String?
    /// The build command's exit status.
    public var exitStatus: Int32

    /// Creates a run record.
    public init(index: Int, outputTreeDigest: String?, exitStatus: Int32) {
        self.index = index
        self.outputTreeDigest = outputTreeDigest
        self.exitStatus = exitStatus
    }
}

/// How a file differs between the runs.
public enum DifferenceKind: String, Sendable, CaseIterable {
    /// Present in every run with different bytes or mode.
    case changed
    /// Absent from at least one later run.
    case missing
    /// Present only in some later run.
    case extra
}

/// One file that differs between the runs.
public struct DifferingFile: Sendable, Equatable {
    /// The path relative to the source root.
    public var path: String
    /// How it differs.
    public var kind: DifferenceKind
    /// Its size in bytes in each run, nil where the run has no such file.
    public var sizes: [Int64?]
    /// The first byte offset where the contents differ, if they were compared.
    public var firstDifferingOffset: Int64?
    /// The likely cause in one line, when one was found.
    public var explanation: String?
    /// The differing regions found, each with its cause and fix (no context or diff lines).
    public var findings: [DiffFinding]

    /// Creates a difference.
    public init(path: String, kind: DifferenceKind, sizes: [Int64?], firstDifferingOffset: Int64?,
                explanation: String? = nil, findings: [DiffFinding] = []) {
        self.path = path
        self.kind = kind
        self.sizes = sizes
        self.firstDifferingOffset = firstDifferingOffset
        self.explanation = explanation
        self.findings = findings
    }
}

extension DiffFinding {
    /// The finding as the reproducibility predicate records it (camelCase, no context).
    var predicateValue: JSONValue {
        var members: [String: JSONValue] = [
            "location": .array(location.map { .string($0) }),
            "aspect": .string(aspect),
            "cause": .string(cause.rawValue),
            "detail": .string(detail),
        ]
        if let fix { members["fix"] = .string(fix) }
        if let offset { members["offset"] = .integer(offset) }
        return .object(members)
    }

    /// Reads a finding of the reproducibility predicate; nil when a field is missing or of the
    /// wrong type.
    init?(predicateValue v: JSONValue) {
        guard let list = v["location"]?.arrayValue, !list.isEmpty else { return nil }
        var location: [String] = []
        for item in list {
            guard let text = item.stringValue else { return nil }
            location.append(text)
        }
        guard let aspect = v["aspect"]?.stringValue, let causeText = v["cause"]?.stringValue,
              let detail = v["detail"]?.stringValue else { return nil }
        var fix: String?
        switch v["fix"] {
        case nil: fix = nil
        case .string(let s)?: fix = s
        default: return nil
        }
        var offset: Int64?
        switch v["offset"] {
        case nil: offset = nil
        case .integer(let n)? where n >= 0: offset = n
        default: return nil
        }
        // A cause this version does not know is kept as unknown rather than refused: later
        // versions may name more.
        self.init(location: location, aspect: aspect, cause: DiffCause(rawValue: causeText) ?? .unknown, detail: detail,
                  fix: fix, offset: offset)
    }
}

/// Everything the reproducibility statement records (predicate type
/// ``ManifestURI/reproducibility``; schema docs/schemas/reproducibility-v1.json).
public struct ReproducibilityInputs: Sendable, Equatable {
    /// The runs, in order.
    public var runs: [RunRecord]
    /// The verdict.
    public var verdict: Verdict
    /// The differing files (empty unless the verdict is ``Verdict/differ``).
    public var differences: [DifferingFile]
    /// For a `repro rebuild`'s statement: the bundle it rebuilt (run 2 is that bundle's run 1).
    public var rebuildOf: RebuildReference?

    /// Creates the inputs.
    public init(runs: [RunRecord], verdict: Verdict, differences: [DifferingFile] = [], rebuildOf: RebuildReference? = nil) {
        self.runs = runs
        self.verdict = verdict
        self.differences = differences
        self.rebuildOf = rebuildOf
    }

    /// The predicate; `invocationID` ties it to the provenance statement of the same check.
    public func predicate(invocationID: String) -> JSONValue {
        guard case .object(var members) = basePredicate(invocationID: invocationID) else { fatalError("the predicate is an object") }
        if let rebuildOf { members["rebuildOf"] = rebuildOf.jsonValue }
        return .object(members)
    }

    private func basePredicate(invocationID: String) -> JSONValue {
        .object([
            "invocationId": .string(invocationID),
            "runCount": .integer(Int64(runs.count)),
            "runs": .array(runs.map { run in
                .object([
                    "index": .integer(Int64(run.index)),
                    "outputTreeDigest": run.outputTreeDigest.map { .string($0) } ?? .null,
                    "exitStatus": .integer(Int64(run.exitStatus)),
                ])
            }),
            "verdict": .string(verdict.rawValue),
            "differences": .array(differences.map { d in
                var members: [String: JSONValue] = [
                    "path": .string(d.path),
                    "kind": .string(d.kind.rawValue),
                    "sizes": .array(d.sizes.map { $0.map { .integer($0) } ?? .null }),
                    "firstDifferingOffset": d.firstDifferingOffset.map { .integer($0) } ?? .null,
                ]
                if let explanation = d.explanation { members["explanation"] = .string(explanation) }
                if !d.findings.isEmpty { members["findings"] = .array(d.findings.map(\.predicateValue)) }
                return .object(members)
            }),
        ])
    }

    /// Reads and checks a reproducibility predicate: the fields of the schema, and that the
    /// verdict agrees with the runs (reproducible: at least two runs, all exit 0, one digest;
    /// differ: all exit 0, digests not all equal; build-failed: some run exited nonzero).
    public init(validating statement: Statement) throws(ReproError) {
        guard statement.predicateType == ManifestURI.reproducibility else {
            throw .verification("the predicate type is \"\(statement.predicateType)\", not \"\(ManifestURI.reproducibility)\"")
        }
        let p = statement.predicate
        func fail(_ what: String) -> ReproError { .verification("the reproducibility predicate \(what)") }
        guard let verdictText = p["verdict"]?.stringValue, let verdict = Verdict(rawValue: verdictText) else {
            throw fail("has no verdict of \(Verdict.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard p["invocationId"]?.stringValue != nil else { throw fail("has no invocationId") }
        guard let list = p["runs"]?.arrayValue, !list.isEmpty else { throw fail("has no runs") }
        guard p["runCount"]?.integerValue == Int64(list.count) else { throw fail("has a runCount that is not the number of runs") }
        var runs: [RunRecord] = []
        for (i, entry) in list.enumerated() {
            guard entry["index"]?.integerValue == Int64(i + 1) else { throw fail("has runs out of order (expected index \(i + 1))") }
            guard let status = entry["exitStatus"]?.integerValue, let status32 = Int32(exactly: status) else {
                throw fail("has run \(i + 1) without an integer exitStatus")
            }
            let digest: String?
            switch entry["outputTreeDigest"] {
            case .null?: digest = nil
            case .string(let s)?:
                guard ReproducibilityInputs.isTreeDigest(s) else { throw fail("has run \(i + 1) with a malformed outputTreeDigest \"\(s)\"") }
                digest = s
            default: throw fail("has run \(i + 1) without an outputTreeDigest (string or null)")
            }
            runs.append(RunRecord(index: i + 1, outputTreeDigest: digest, exitStatus: status32))
        }
        guard let diffs = p["differences"]?.arrayValue else { throw fail("has no differences array") }
        var differences: [DifferingFile] = []
        for (i, entry) in diffs.enumerated() {
            guard let path = entry["path"]?.stringValue, Statement.pathProblem(path) == nil else {
                throw fail("has differences[\(i)] without a safe relative path")
            }
            guard let kindText = entry["kind"]?.stringValue, let kind = DifferenceKind(rawValue: kindText) else {
                throw fail("has differences[\(i)] (\(path)) without a kind of changed, missing, extra")
            }
            guard let sizeList = entry["sizes"]?.arrayValue, sizeList.count == runs.count else {
                throw fail("has differences[\(i)] (\(path)) without one size per run")
            }
            var sizes: [Int64?] = []
            for size in sizeList {
                switch size {
                case .null: sizes.append(nil)
                case .integer(let n) where n >= 0: sizes.append(n)
                default: throw fail("has differences[\(i)] (\(path)) with a size that is not a natural number or null")
                }
            }
            let offset: Int64?
            switch entry["firstDifferingOffset"] {
            case .null?: offset = nil
            case .integer(let n)? where n >= 0: offset = n
            default: throw fail("has differences[\(i)] (\(path)) without a firstDifferingOffset (natural number or null)")
            }
            var explanation: String?
            switch entry["explanation"] {
            case nil: explanation = nil
            case .string(let s)?: explanation = s
            default: throw fail("has differences[\(i)] (\(path)) with an explanation that is not a string")
            }
            var findings: [DiffFinding] = []
            switch entry["findings"] {
            case nil: break
            case .array(let list)?:
                for (j, item) in list.enumerated() {
                    guard let finding = DiffFinding(predicateValue: item) else {
                        throw fail("has differences[\(i)] (\(path)) with findings[\(j)] that lacks a location, aspect, cause or detail")
                    }
                    findings.append(finding)
                }
            default: throw fail("has differences[\(i)] (\(path)) with findings that are not a list")
            }
            differences.append(DifferingFile(path: path, kind: kind, sizes: sizes, firstDifferingOffset: offset,
                                             explanation: explanation, findings: findings))
        }
        var rebuildOf: RebuildReference?
        if let value = p["rebuildOf"] {
            rebuildOf = try RebuildReference(validating: value)
            guard runs.count == 2 else { throw fail("has rebuildOf but not exactly 2 runs (the rebuild, then the original)") }
        }
        // A run succeeded when its build exited 0 and left the declared outputs (a digest).
        let allSucceeded = runs.allSatisfy { $0.exitStatus == 0 && $0.outputTreeDigest != nil }
        let digests = runs.map(\.outputTreeDigest)
        switch verdict {
        case .reproducible:
            guard runs.count >= 2, allSucceeded, digests.allSatisfy({ $0 != nil }), Set(digests).count == 1, differences.isEmpty else {
                throw fail("says reproducible but its runs disagree (a reproducible check has two or more successful runs with one output tree digest and no differences)")
            }
        case .differ:
            guard runs.count >= 2, allSucceeded, Set(digests).count > 1 else {
                throw fail("says differ but its runs do not (a differing check has two or more successful runs whose output tree digests are not all equal)")
            }
        case .buildFailed:
            guard !allSucceeded else { throw fail("says build-failed but every run exited 0 with outputs") }
        }
        self.init(runs: runs, verdict: verdict, differences: differences, rebuildOf: rebuildOf)
    }

    /// True for `<version>:<64 lowercase hex>` with a short lowercase alphanumeric version (`t1`).
    static func isTreeDigest(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...8).contains(parts[0].count),
              parts[0].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else { return false }
        return Hex.isLowercase(String(parts[1]), length: 64)
    }
}

/// What a rebuild's reproducibility statement names as the bundle it rebuilt (`rebuildOf`).
public struct RebuildReference: Sendable, Equatable {
    /// The SHA-256 of the rebuilt bundle's bytes.
    public var bundleSHA256: String
    /// The keyids that signed every envelope of it, as verified (empty with `--no-verify`).
    public var signers: [String]
    /// Its invocationId.
    public var invocationID: String

    /// Creates a reference.
    public init(bundleSHA256: String, signers: [String], invocationID: String) {
        self.bundleSHA256 = bundleSHA256
        self.signers = signers
        self.invocationID = invocationID
    }

    /// `{"bundle": {"sha256": HEX}, "signers": [KEYID...], "invocationId": ID}`.
    public var jsonValue: JSONValue {
        .object([
            "bundle": .object(["sha256": .string(bundleSHA256)]),
            "signers": .array(signers.map { .string($0) }),
            "invocationId": .string(invocationID),
        ])
    }

    /// Reads and checks a `rebuildOf` member.
    public init(validating value: JSONValue) throws(ReproError) {
        func fail(_ what: String) -> ReproError { .verification("the reproducibility predicate's rebuildOf \(what)") }
        guard let sha = value["bundle"]?["sha256"]?.stringValue, Hex.isLowercase(sha, length: 64) else {
            throw fail("has no bundle.sha256 of 64 lowercase hex digits")
        }
        guard let list = value["signers"]?.arrayValue else { throw fail("has no signers array") }
        var signers: [String] = []
        for signer in list {
            guard let id = signer.stringValue, Hex.isLowercase(id, length: 64) else { throw fail("has a signer that is not a keyid (64 lowercase hex)") }
            signers.append(id)
        }
        guard let invocation = value["invocationId"]?.stringValue, !invocation.isEmpty else { throw fail("has no invocationId") }
        self.init(bundleSHA256: sha, signers: signers, invocationID: invocation)
    }
}
