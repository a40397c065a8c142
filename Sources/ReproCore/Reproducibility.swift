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
    public init(
        path: String, kind: DifferenceKind, sizes: [Int64?], firstDifferingOffset: Int64?,
        explanation: String? = nil, findings: [DiffFinding] = []
    ) {
        self.path = path
        self.kind = kind
        self.sizes = sizes
        self.firstDifferingOffset = firstDifferingOffset
        self.explanation = explanation
        self.findings = findings
    }
}

/// Everything the reproducibility statement records (predicate type
/// ``ManifestURI/reproducibility``; schema docs/schemas/reproducibility-v1.json, compared with
/// ``ReproducibilityPredicate/table`` by a test).
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
    public init(
        runs: [RunRecord], verdict: Verdict, differences: [DifferingFile] = [], rebuildOf: RebuildReference? = nil
    ) {
        self.runs = runs
        self.verdict = verdict
        self.differences = differences
        self.rebuildOf = rebuildOf
    }

    /// The predicate; `invocationID` ties it to the provenance statement of the same check.
    public func predicate(invocationID: String) -> JSONValue {
        .object(
            ReproducibilityPredicate.table.members(ReproducibilityPredicate(invocationID: invocationID, inputs: self)))
    }

    /// Reads and checks a reproducibility predicate: the members of
    /// ``ReproducibilityPredicate/table``, in its order, then that the verdict agrees with the
    /// runs (reproducible: at least two runs, all exit 0, one digest; differ: all exit 0,
    /// digests not all equal; build-failed: some run exited nonzero).
    public init(validating statement: Statement) throws(ReproError) {
        guard statement.predicateType == ManifestURI.reproducibility else {
            throw .verification(
                "the predicate type is \"\(statement.predicateType)\", not \"\(ManifestURI.reproducibility)\"")
        }
        self = try ReproducibilityPredicate.table.read(
            statement.predicate, context: FieldContext(prefix: "the reproducibility predicate ")
        ).inputs
    }

    /// True for `<version>:<64 lowercase hex>` with a short lowercase alphanumeric version (`t1`).
    static func isTreeDigest(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...8).contains(parts[0].count),
            parts[0].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) })
        else { return false }
        return Hex.isLowercase(String(parts[1]), length: 64)
    }
}

/// The reproducibility predicate as a whole: the inputs, the invocationId that ties it to the
/// provenance statement, and the run count it states.
struct ReproducibilityPredicate {
    /// `invocationId`.
    var invocationID: String
    /// Everything else.
    var inputs: ReproducibilityInputs
    /// `runCount`, as stated (always the number of runs when written).
    var runCount: Int

    /// The predicate of `inputs`.
    init(invocationID: String, inputs: ReproducibilityInputs) {
        self.invocationID = invocationID
        self.inputs = inputs
        self.runCount = inputs.runs.count
    }

    /// The predicate's members: where each sits, how it is read and written, the sentence that
    /// refuses it, its schema description and its key in `repro verify --json`.
    static var table: PredicateTable<ReproducibilityPredicate> {
        PredicateTable(
            blank: ReproducibilityPredicate(
                invocationID: "", inputs: ReproducibilityInputs(runs: [], verdict: .buildFailed)),
            fields: [
                .init(
                    "verdict", \.inputs.verdict, .oneOf(Verdict.self),
                    missing: "has no verdict of \(Verdict.allCases.map(\.rawValue).joined(separator: ", "))",
                    doc:
                        "reproducible: two or more runs, all exited 0, one output tree digest, no differences. differ: two or more runs, all exited 0, output tree digests not all equal. build-failed: some run exited nonzero, or exited 0 without the declared outputs (no output tree digest).",
                    report: "verdict"),
                // An empty one is left to the comparison with the provenance's (which is never empty).
                .init(
                    "invocationId", \.invocationID, .string.schema(adding: ["minLength": 1]),
                    missing: "has no invocationId",
                    doc: "The runDetails.metadata.invocationId of the SLSA provenance statement of the same check."),
                .init(
                    "runs", \.inputs.runs,
                    .records(RunRecord.table, nonEmpty: true, label: { i, _ in "has run \(i + 1)" }),
                    missing: "has no runs", doc: "The runs in order, index 1, 2, ...", report: "runs"),
                .init(
                    "runCount", \.runCount, .integer(minimum: 1),
                    missing: "has a runCount that is not the number of runs",
                    doc: "The number of runs; equal to the length of runs."),
                .init(
                    "differences", \.inputs.differences,
                    .records(
                        DifferingFile.table,
                        label: { i, d in d.path.isEmpty ? "has differences[\(i)]" : "has differences[\(i)] (\(d.path))"
                        }),
                    missing: "has no differences array",
                    doc: "The files that differ between the runs; empty unless the verdict is differ.",
                    report: "differences"),
                .init(
                    "rebuildOf", \.inputs.rebuildOf,
                    .optional(.record(RebuildReference.table, prefix: "the reproducibility predicate's rebuildOf ")),
                    missing: "has a rebuildOf that is not an object",
                    doc:
                        "Only in the bundle repro rebuild writes: the bundle it rebuilt. Run 1 is then the rebuild and run 2 the rebuilt bundle's run 1 (the tree its subjects came from); differences are as seen from run 1.",
                    report: "rebuild_of"),
            ],
            doc:
                "The predicate of an in-toto Statement v1 whose predicateType is https://repro.dev/reproducibility/v1: how many times repro ran the build, each run's output tree digest and exit status, the verdict, and the files that differ. The statement's subjects are the output files (path relative to the source root, sha256), the same as in the SLSA provenance statement of the same check; invocationId ties the two together.",
            checks: [
                { $0.runCount == $0.inputs.runs.count ? nil : "has a runCount that is not the number of runs" },
                { p in
                    let runs = p.inputs.runs.count
                    return p.inputs.differences.enumerated().first { $0.element.sizes.count != runs }
                        .map { "has differences[\($0.offset)] (\($0.element.path)) without one size per run" }
                },
                {
                    $0.inputs.rebuildOf != nil && $0.inputs.runs.count != 2
                        ? "has rebuildOf but not exactly 2 runs (the rebuild, then the original)" : nil
                },
                { $0.inputs.verdictProblem },
            ])
    }
}

extension ReproducibilityInputs {
    /// Why the verdict disagrees with the runs, or nil. A run succeeded when its build exited 0
    /// and left the declared outputs (a digest).
    var verdictProblem: String? {
        let allSucceeded = runs.allSatisfy { $0.exitStatus == 0 && $0.outputTreeDigest != nil }
        let digests = runs.map(\.outputTreeDigest)
        switch verdict {
        case .reproducible:
            guard runs.count >= 2, allSucceeded, digests.allSatisfy({ $0 != nil }), Set(digests).count == 1,
                differences.isEmpty
            else {
                return
                    "says reproducible but its runs disagree (a reproducible check has two or more successful runs with one output tree digest and no differences)"
            }
        case .differ:
            guard runs.count >= 2, allSucceeded, Set(digests).count > 1 else {
                return
                    "says differ but its runs do not (a differing check has two or more successful runs whose output tree digests are not all equal)"
            }
        case .buildFailed:
            guard !allSucceeded else { return "says build-failed but every run exited 0 with outputs" }
        }
        return nil
    }
}

extension RunRecord {
    /// A run's members (the `runs` items).
    static var table: PredicateTable<RunRecord> {
        PredicateTable(
            blank: RunRecord(index: 0, outputTreeDigest: nil, exitStatus: 0),
            fields: [
                .init(
                    "index", \.index, .position { "has runs out of order (expected index \($0))" },
                    missing: "has no index", report: "index"),
                .init(
                    "outputTreeDigest", \.outputTreeDigest, .nullable(.treeDigest),
                    missing: "without an outputTreeDigest (string or null)",
                    doc:
                        "The run's output tree digest, a version prefix and 64 lowercase hex digits (t1:<hex>), or null when the run left no outputs to digest.",
                    report: "output_tree_digest"),
                .init(
                    "exitStatus", \.exitStatus, .integer(), missing: "without an integer exitStatus",
                    doc: "The build command's exit status.", report: "exit_status"),
            ])
    }
}

extension DifferingFile {
    /// A differing file's members (the `differences` items).
    static var table: PredicateTable<DifferingFile> {
        PredicateTable(
            blank: DifferingFile(path: "", kind: .changed, sizes: [], firstDifferingOffset: nil),
            fields: [
                .init(
                    "path", \.path, .relativePath, missing: "without a safe relative path",
                    doc: "Relative to the source root, no . or .. components.", report: "path"),
                .init(
                    "kind", \.kind, .oneOf(DifferenceKind.self), missing: "without a kind of changed, missing, extra",
                    doc:
                        "changed: in every run, different bytes or mode. missing: absent from some later run. extra: present only in some later run.",
                    report: "kind"),
                .init(
                    "sizes", \.sizes, .sizes, missing: "without one size per run",
                    invalid: "with a size that is not a natural number or null",
                    doc:
                        "The file's size in bytes in each run (one entry per run), null where the run has no such file."
                ),
                .init(
                    "firstDifferingOffset", \.firstDifferingOffset, .nullable(.integer(minimum: 0)),
                    missing: "without a firstDifferingOffset (natural number or null)",
                    doc: "The first byte offset at which the contents differ, null if not compared."),
                .init(
                    "explanation", \.explanation, .optional(.string),
                    missing: "with an explanation that is not a string",
                    doc:
                        "The likely causes in one line, when some were found (optional, added within v1; docs/diff.md).",
                    report: "explanation"),
                .init(
                    "findings", \.findings,
                    .omittedWhenEmpty(
                        .records(
                            DiffFinding.table,
                            itemFailure: { "with findings[\($0)] that lacks a location, aspect, cause or detail" })),
                    missing: "with findings that are not a list",
                    doc:
                        "The differing regions found in the file, each with its cause and a one-line fix (optional, added within v1; bounded, docs/diff.md)."
                ),
            ])
    }
}

extension DiffFinding {
    /// A finding's members as the reproducibility predicate records them (camelCase, no context).
    static var table: PredicateTable<DiffFinding> {
        PredicateTable(
            blank: DiffFinding(location: [], aspect: "", cause: .unknown, detail: ""),
            fields: [
                .init(
                    "location", \.location, .strings(nonEmpty: true), missing: "has no location",
                    doc: "The file, then each container member down to the region."),
                .init(
                    "aspect", \.aspect, .string, missing: "has no aspect",
                    doc:
                        "What differs, as the format names it (gzip header mtime, tar member order, ELF section .rodata, ...)."
                ),
                // A cause this version does not know is kept as unknown rather than refused: later
                // versions may name more.
                .init(
                    "cause", \.cause, .cause, missing: "has no cause",
                    doc:
                        "timestamp, build-path, identity, ordering, randomness, environment, derived, metadata or unknown; verifiers read a cause they do not know as unknown."
                ),
                .init("detail", \.detail, .string, missing: "has no detail", doc: "The two values, or what changed."),
                .init(
                    "fix", \.fix, .optional(.string), missing: "has a fix that is not a string", doc: "A one-line fix."),
                .init(
                    "offset", \.offset, .optional(.integer(minimum: 0)),
                    missing: "has an offset that is not a natural number",
                    doc: "The region's byte offset in the innermost file."),
            ])
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
    public var jsonValue: JSONValue { .object(Self.table.members(self)) }

    /// Reads and checks a `rebuildOf` member.
    public init(validating value: JSONValue) throws(ReproError) {
        self = try Self.table.read(value, context: FieldContext(prefix: "the reproducibility predicate's rebuildOf "))
    }

    /// Its members.
    static var table: PredicateTable<RebuildReference> {
        PredicateTable(
            blank: RebuildReference(bundleSHA256: "", signers: [], invocationID: ""),
            fields: [
                .init(
                    "bundle.sha256", \.bundleSHA256, .sha256,
                    missing: "has no bundle.sha256 of 64 lowercase hex digits",
                    doc: "The SHA-256 of the rebuilt bundle's bytes.", report: "bundle.sha256"),
                .init(
                    "signers", \.signers, .strings(nonEmpty: false, item: .sha256),
                    missing: "has no signers array", invalid: "has a signer that is not a keyid (64 lowercase hex)",
                    doc:
                        "The keyids that signed every envelope of the rebuilt bundle, as verified; empty when it was rebuilt with --no-verify.",
                    report: "signers"),
                .init(
                    "invocationId", \.invocationID, .nonEmptyString, missing: "has no invocationId",
                    doc: "The rebuilt bundle's invocationId.", report: "invocation_id"),
            ], objects: [.init("bundle", closed: true)])
    }
}

extension FieldCodec where Value == String {
    /// A tree digest `<version>:<64 lowercase hex>`; a malformed one is named.
    static var treeDigest: FieldCodec {
        FieldCodec(
            encode: { .string($0) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue else { throw .missing }
                guard ReproducibilityInputs.isTreeDigest(s) else {
                    throw .phrase("with a malformed outputTreeDigest \"\(s)\"")
                }
                return s
            }, schema: ["type": "string", "pattern": "^[0-9a-z]{1,8}:[0-9a-f]{64}$"])
    }
}

extension FieldCodec where Value == Int {
    /// A list item's 1-based position, which must be its place in the list; `outOfOrder`
    /// words the refusal (about the list, not the item) given the expected position.
    static func position(_ outOfOrder: @escaping (Int) -> String) -> FieldCodec {
        FieldCodec(
            encode: { .integer(Int64($0)) },
            decode: { v, context throws(FieldProblem) in
                guard v?.integerValue == Int64(context.index + 1) else {
                    throw .failed(.verification(context.outerPrefix + outOfOrder(context.index + 1)))
                }
                return context.index + 1
            }, schema: ["type": "integer", "minimum": 1])
    }
}

extension FieldCodec where Value == String {
    /// A safe relative path (``Statement/pathProblem(_:)``).
    static var relativePath: FieldCodec {
        FieldCodec(
            encode: { .string($0) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue, Statement.pathProblem(s) == nil else { throw .missing }
                return s
            }, schema: ["type": "string", "minLength": 1])
    }
}

extension FieldCodec where Value == [Int64?] {
    /// One size per run: a natural number, or null where the run has no such file.
    static var sizes: FieldCodec {
        FieldCodec(
            encode: { .array($0.map { $0.map { .integer($0) } ?? .null }) },
            decode: { v, _ throws(FieldProblem) in
                guard let list = v?.arrayValue else { throw .missing }
                var out: [Int64?] = []
                for size in list {
                    switch size {
                    case .null: out.append(nil)
                    case .integer(let n) where n >= 0: out.append(n)
                    default: throw .invalid
                    }
                }
                return out
            }, schema: ["type": "array", "items": ["type": ["integer", "null"], "minimum": 0]])
    }
}

extension FieldCodec where Value == DiffCause {
    /// A cause by name; one this version does not know reads as unknown.
    static var cause: FieldCodec {
        FieldCodec(
            encode: { .string($0.rawValue) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue else { throw .missing }
                return DiffCause(rawValue: s) ?? .unknown
            }, schema: ["type": "string"])
    }
}
