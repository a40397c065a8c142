import Crypto
import FoundationEssentials
import Glibc

/// What `repro verify` established about a bundle.
public struct VerificationReport: Sendable, Equatable {
    /// The keyids that validly signed each envelope, in line order.
    public var signers: [[String]]
    /// The verified SLSA provenance statement.
    public var provenance: ProvenanceSummary
    /// The verified reproducibility predicate.
    public var reproducibility: ReproducibilityInputs
    /// The number of subject files checked against a directory, nil if none was given.
    public var artifactsChecked: Int?
    /// What `--artifacts DIR` found, nil if no directory was given.
    public var artifacts: ArtifactsReport?

    /// The schema URI of `repro verify --json` (v1 was the unlabeled camelCase form).
    public static let schemaURI = "https://repro.dev/verify-report/v2"

    /// The report as JSON (`repro verify --json`): snake_case, as every `--json` of repro.
    /// The predicates' members are reported as their tables say (``Provenance/table``,
    /// ``ReproducibilityPredicate/table``); the rest is about the bundle and the artifacts.
    public var jsonValue: JSONValue {
        var members = Provenance.table.report(provenance)
        let predicate = ReproducibilityPredicate(invocationID: provenance.invocationID, inputs: reproducibility)
        members.merge(ReproducibilityPredicate.table.report(predicate)) { first, _ in first }
        members["schema"] = .string(Self.schemaURI)
        members["verified"] = true
        members["envelopes"] = .array(
            zip([ManifestURI.slsaProvenance, ManifestURI.reproducibility], signers).map {
                .object(["predicate_type": .string($0.0), "keyids": .array($0.1.map { .string($0) })])
            })
        members["sources"] = .array(provenance.sources.map(\.jsonValue))
        members["toolchains"] = .array(provenance.toolchains.map(\.jsonValue))
        members["subjects"] = .array(
            provenance.subjects.map { .object(["name": .string($0.name), "sha256": .string($0.sha256)]) })
        members["artifacts_checked"] = artifactsChecked.map { .integer(Int64($0)) } ?? .null
        members["artifacts"] = artifacts?.jsonValue ?? .null
        return .object(members)
    }

    /// The report as `repro verify` prints it for people (`bundle` as the user named it): a
    /// summary, then a line for each table member that has a label of its own, the runs, the
    /// differences and the subjects.
    public func humanLines(bundle: String) -> [String] {
        let p = provenance, r = reproducibility
        var lines: [String] = []
        let signerList = Set(signers.flatMap { $0 }).sorted()
        lines.append(
            "verified \(bundle): \(counted(signers.count, "envelope")), signed by \(signerList.joined(separator: ", "))"
        )
        lines.append("builder:    \(p.builderID)" + (p.reproVersion.map { " (repro \($0))" } ?? ""))
        lines.append("invocation: \(p.invocationID), \(p.startedOn) to \(p.finishedOn)")
        lines.append(
            "command:    \(p.command.joined(separator: " ")) (profile \(p.profile)\(p.profileDependency.flatMap { $0.digest["sha256"] }.map { ", sha256:\($0)" } ?? ""))"
        )
        for source in p.sources {
            lines.append(
                "source:     \(source.name) \(source.uri) t1:\(source.digest[ManifestURI.treeDigestKey] ?? "")")
        }
        for toolchain in p.toolchains {
            let digest =
                toolchain.digest["sha256"].map { "sha256:\($0)" }
                ?? toolchain.digest.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
            lines.append("toolchain:  \(toolchain.name) \(toolchain.uri) \(digest)")
        }
        lines += Provenance.table.humanLines(p)
        lines += ReproducibilityPredicate.table.humanLines(
            ReproducibilityPredicate(invocationID: p.invocationID, inputs: r))
        lines.append("verdict:    \(r.verdict.rawValue) (\(counted(r.runs.count, "run")))")
        if let of = r.rebuildOf {
            lines.append(
                "rebuild of: bundle sha256:\(of.bundleSHA256) (invocation \(of.invocationID)), signed by \(of.signers.isEmpty ? "nobody verified (--no-verify)" : of.signers.joined(separator: ", ")); run 1 is the rebuild, run 2 the original"
            )
        }
        for run in r.runs {
            lines.append("  run \(run.index): exit \(run.exitStatus), output \(run.outputTreeDigest ?? "none")")
        }
        for difference in r.differences {
            lines.append("  differs: \(difference.path) (\(difference.kind.rawValue))")
            if let why = difference.explanation { lines.append("    likely cause: \(why)") }
        }
        lines.append("subjects:   \(p.subjects.count)")
        for subject in p.subjects {
            lines.append("\(subject.sha256)  \(subject.name)")
        }
        if let found = artifacts {
            switch found.mode {
            case .exactTree:
                lines.append(
                    "artifacts:  \(found.directory) is exactly the certified tree \(found.treeDigest ?? ""), all \(found.subjectsChecked) subject files match"
                )
            case .subjectsOnly:
                lines.append(
                    "artifacts:  all \(found.subjectsChecked) subject files match in \(found.directory) (subjects only; other files not checked)"
                )
            }
        }
        return lines
    }
}

/// Verifies manifests, failing closed: anything not positively checked is an error (exit 5).
///
/// Only payload bytes whose signature verified are ever parsed, and only once, strictly.
public enum Verifier {
    /// Checks one envelope's signatures against `keys` and returns the keyids that signed it.
    ///
    /// Rules: the payload type is `application/vnd.in-toto+json`; there is at least one signature;
    /// every signature is exactly 64 bytes; no keyid or signature appears twice; a signature whose
    /// keyid names a given key must verify with that key; one without a keyid is tried with every
    /// given key; at least one signature verifies. Signatures by other keyids are ignored.
    public static func verifyEnvelope(_ envelope: DSSEEnvelope, keys: [PublicKey]) throws(ReproError) -> [String] {
        guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
            throw .verification(
                "the payloadType is \"\(envelope.payloadType)\", not \"\(DSSEEnvelope.inTotoPayloadType)\"")
        }
        guard !envelope.signatures.isEmpty else {
            throw .verification(
                "the envelope is unsigned (no signatures); sign the manifest with `repro check --sign KEY`")
        }
        var seenKeyIDs = Set<String>()
        var seenSigs = Set<[UInt8]>()
        for (i, signature) in envelope.signatures.enumerated() {
            guard !signature.sig.isEmpty else { throw .verification("signature \(i + 1) is empty") }
            guard signature.sig.count == 64 else {
                throw .verification(
                    "signature \(i + 1) is \(signature.sig.count) bytes, not the 64 of an Ed25519 signature (truncated or not Ed25519)"
                )
            }
            guard signature.keyID.isEmpty || seenKeyIDs.insert(signature.keyID).inserted else {
                throw .verification(
                    "keyid \(signature.keyID) signs the envelope twice; a duplicated signature is refused")
            }
            guard seenSigs.insert(signature.sig).inserted else {
                throw .verification("signature \(i + 1) is a duplicate of an earlier one")
            }
        }
        let message = envelope.pae
        var signers: [String] = []
        for (i, signature) in envelope.signatures.enumerated() {
            if signature.keyID.isEmpty {
                if let key = keys.first(where: { $0.isValidSignature(signature.sig, for: message) }),
                    !signers.contains(key.keyID)
                {
                    signers.append(key.keyID)
                }
            } else if let key = keys.first(where: { $0.keyID == signature.keyID }) {
                guard key.isValidSignature(signature.sig, for: message) else {
                    throw .verification(
                        "signature \(i + 1) by key \(key.keyID) does not verify: the payload or payloadType was changed after signing, or the signature is forged"
                    )
                }
                if !signers.contains(key.keyID) { signers.append(key.keyID) }
            }
        }
        guard !signers.isEmpty else {
            let named = envelope.signatures.map { $0.keyID.isEmpty ? "(no keyid)" : $0.keyID }.joined(separator: ", ")
            throw .verification(
                "no signature verifies with the given \(keys.count == 1 ? "key" : "keys") \(keys.map(\.keyID).joined(separator: ", ")); the envelope is signed by \(named): pass the signer's public key with --key, or the envelope was tampered with"
            )
        }
        return signers
    }

    /// Parses verified payload bytes as an in-toto Statement v1 (strict JSON, no duplicate keys).
    public static func checkStatement(payload: [UInt8]) throws(ReproError) -> Statement {
        let value: JSONValue
        do {
            value = try StrictJSON.parse(Data(payload))
        } catch {
            throw .verification("the payload is not valid strict JSON: \(error)")
        }
        return try Statement(validating: value)
    }

    /// Checks that `statements` are a check's pair: SLSA provenance then reproducibility, with
    /// the same subjects and invocationId.
    public static func checkStatements(_ statements: [Statement]) throws(ReproError) -> (
        ProvenanceSummary, ReproducibilityInputs
    ) {
        guard statements.count == 2 else {
            throw .verification(
                "the bundle holds \(counted(statements.count, "envelope")); a repro manifest holds exactly 2 (SLSA provenance, then reproducibility)"
            )
        }
        let provenance: ProvenanceSummary
        let reproducibility: ReproducibilityInputs
        do throws(ReproError) {
            provenance = try ProvenanceSummary(validating: statements[0])
        } catch {
            throw error.prefixed("line 1: ", context: .init(line: 1))
        }
        do throws(ReproError) {
            reproducibility = try ReproducibilityInputs(validating: statements[1])
        } catch {
            throw error.prefixed("line 2: ", context: .init(line: 2))
        }
        guard Set(statements[0].subjects) == Set(statements[1].subjects) else {
            throw .verification("the two statements name different subjects; they do not come from one check")
        }
        guard statements[1].predicate["invocationId"]?.stringValue == provenance.invocationID else {
            throw .verification("the two statements have different invocationIds; they do not come from one check")
        }
        return (provenance, reproducibility)
    }

    /// Verifies a bundle's bytes against `keys`: every envelope signed (see
    /// ``verifyEnvelope(_:keys:)``), then the statements (see ``checkStatements(_:)``).
    public static func verify(bundle data: Data, keys: [PublicKey], limits: Manifest.Limits = .standard)
        throws(ReproError) -> VerificationReport
    {
        var source: Data? = data
        return try verify(keys: keys, limits: limits) { () -> Data in
            defer { source = nil }
            return source ?? Data()
        }
    }

    /// Verifies a bundle read chunk by chunk from `next` (empty at the end), line by line: each
    /// envelope is parsed, its signatures verified and its statement read before the next line
    /// is read, and reading stops at the first failure, at a third line, or at a limit of
    /// `limits`, so a large or endless input costs at most one line's worth of memory.
    public static func verify(
        keys: [PublicKey], limits: Manifest.Limits = .standard,
        next: () throws(ReproError) -> Data
    ) throws(ReproError) -> VerificationReport {
        guard !keys.isEmpty else {
            throw .configuration("no public key given; pass the signer's key with --key NAME.pub")
        }
        var signers: [[String]] = []
        var statements: [Statement] = []
        try Manifest.forEachLine(limits: limits, next: next) { number, line throws(ReproError) in
            do throws(ReproError) {
                let envelope = try DSSEEnvelope.parse(line)
                signers.append(try verifyEnvelope(envelope, keys: keys))
                statements.append(try checkStatement(payload: envelope.payload))
            } catch {
                throw error.prefixed("line \(number): ", context: .init(line: number))
            }
            guard number <= 2 else {
                throw .verification(
                    "the bundle holds more than 2 envelopes (line \(number) is one more); a repro manifest holds exactly 2 (SLSA provenance, then reproducibility)"
                )
            }
            return true
        }
        let (provenance, reproducibility) = try checkStatements(statements)
        return VerificationReport(
            signers: signers, provenance: provenance, reproducibility: reproducibility, artifactsChecked: nil)
    }

    /// Refuses a manifest without subjects (a check that certified no file) unless `allowEmpty`.
    public static func checkNotEmpty(_ report: VerificationReport, allowEmpty: Bool) throws(ReproError) {
        guard report.provenance.subjects.isEmpty, !allowEmpty else { return }
        throw .verification(
            "the manifest certifies no files (it has no subjects; verdict \(report.reproducibility.verdict.rawValue)): the check it records produced nothing to verify. If a record of such a check is what you expect, pass --allow-empty"
        )
    }

    /// The tree digest `repro verify --artifacts DIR` compares DIR with: run 1's output tree
    /// digest, the tree the subjects were taken from (the placed outputs of a reproducible
    /// check; run 1's outputs for the other verdicts).
    ///
    /// Fails closed (exit 5) when there is none (run 1 left no outputs) or it is of a tree
    /// digest version this repro cannot compute; `--subjects-only` is the way to check the
    /// subjects' files alone.
    public static func certifiedTreeDigest(_ reproducibility: ReproducibilityInputs) throws(ReproError) -> String {
        guard let digest = reproducibility.runs.first?.outputTreeDigest else {
            throw .verification(
                "the manifest records no output tree for run 1 (verdict \(reproducibility.verdict.rawValue)), so there is no certified tree to compare the artifacts directory with; pass --subjects-only to check only the subjects' files"
            )
        }
        guard digest.hasPrefix(TreeDigest.prefix) else {
            throw .verification(
                "the manifest's output tree digest \(digest) is of a version this repro cannot compute (it computes \(TreeDigest.prefix)); use a repro that does, or pass --subjects-only to check only the subjects' files"
            )
        }
        return digest
    }

    /// Compares a walked directory (`entries`, whose `t1:` digest is `digest`) with the certified
    /// tree: its digest must be `expected` and every subject a regular file with its SHA-256.
    ///
    /// On a mismatch the report names what differs: files that are not subjects (extra),
    /// subjects that are absent (missing), subjects with other bytes or of another kind
    /// (changed). Symbolic links, directories and execute bits count in the tree digest but not
    /// in the subjects; when the files alone do not account for the digest, the entries the
    /// subjects do not explain are tried one by one (and all at once, and each subject's
    /// execute bit) to find which one makes the digest match. If none does, they are listed
    /// as `unlisted`, the entries to look at.
    public static func compareTree(
        _ entries: [TreeEntry], digest: String, in directory: String,
        subjects: [Subject], expected: String
    ) -> ArtifactsReport {
        var report = diagnoseTree(entries, digest: digest, in: directory, subjects: subjects, expected: expected)
        // Whatever the diagnosis found, a tree with another digest is never the certified tree.
        if digest != expected, report.matches {
            report.problems.append(
                "the tree digest is \(digest), the certified tree's \(expected), though no file, link or execute bit could be named as the difference (look for names that differ only in their bytes, such as two Unicode spellings of one name)"
            )
        }
        return report
    }

    /// The findings of ``compareTree(_:digest:in:subjects:expected:)``. Paths are compared by
    /// their bytes (``PathKey``): two Unicode spellings of one name are two names, as they are to
    /// the kernel and to the tree digest.
    static func diagnoseTree(
        _ entries: [TreeEntry], digest: String, in directory: String,
        subjects: [Subject], expected: String
    ) -> ArtifactsReport {
        var report = ArtifactsReport(
            directory: directory, mode: .exactTree, subjectsChecked: subjects.count,
            expectedTreeDigest: expected, treeDigest: digest)
        var byPath: [PathKey: TreeEntry] = [:]
        for entry in entries { byPath[PathKey(entry.path)] = entry }
        let needed = neededDirectories(subjects)
        let repaired = repairedTree(entries, byPath: byPath, needed: needed, subjects: subjects, report: &report)
        // The same digest: DIR is the certified tree (any subject finding above means the
        // manifest's subjects and tree disagree, and is reported as found).
        if digest == expected { return report }
        explainDigest(
            repaired: repaired, byPath: byPath, needed: needed, subjects: subjects, expected: expected,
            report: &report)
        return report
    }

    /// The directories the subjects need: every proper prefix of a subject's path.
    private static func neededDirectories(_ subjects: [Subject]) -> Set<PathKey> {
        var needed = Set<PathKey>()
        for subject in subjects {
            var prefix = ""
            for component in subject.name.split(separator: "/").dropLast() {
                prefix += prefix.isEmpty ? String(component) : "/" + component
                needed.insert(PathKey(prefix))
            }
        }
        return needed
    }

    /// A tree entry kind as the findings name it.
    private static func kindName(_ kind: TreeEntry.Kind) -> String {
        switch kind {
        case .file: return "a regular file"
        case .directory: return "a directory"
        case .symlink: return "a symbolic link"
        }
    }

    /// Reports the subjects' findings and the extra files, and returns the tree DIR would be if
    /// the subjects were right.
    private static func repairedTree(
        _ entries: [TreeEntry], byPath: [PathKey: TreeEntry], needed: Set<PathKey>, subjects: [Subject],
        report: inout ArtifactsReport
    ) -> [PathKey: TreeEntry] {
        // The tree DIR would be if the subjects were right: extra files out, subjects in with
        // the manifest's bytes (and DIR's execute bit where DIR has the file), needed directories in.
        var repaired: [PathKey: TreeEntry] = [:]
        var dropped = Set<PathKey>()
        for key in needed.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            let path = String(decoding: key.bytes, as: UTF8.self)
            if let entry = byPath[key], entry.kind != .directory {
                report.add(.changed, path, "\(kindName(entry.kind)) where the subjects need a directory")
                dropped.insert(key)
            }
            repaired[key] = .directory(path)
        }
        for subject in subjects {
            let executable: Bool
            switch byPath[PathKey(subject.name)] {
            case nil:
                report.add(.missing, subject.name, "missing")
                executable = false
            case let entry? where entry.kind != .file:
                report.add(.changed, subject.name, "\(kindName(entry.kind)), not a regular file")
                if entry.kind == .directory { dropped.insert(PathKey(subject.name)) }
                executable = false
            case let entry?:
                if entry.sha256 != subject.sha256 {
                    report.add(
                        .changed, subject.name, "SHA-256 is \(entry.sha256), the manifest says \(subject.sha256)")
                }
                executable = entry.executable
            }
            repaired[PathKey(subject.name)] = TreeEntry(
                path: subject.name, kind: .file, executable: executable, sha256: subject.sha256)
        }
        for entry in entries
        where repaired[PathKey(entry.path)] == nil && !Verifier.isWithin(PathKey(entry.path), dropped) {
            if entry.kind == .file {
                report.add(.extra, entry.path, "extra (a file the manifest does not list)")
            } else {
                repaired[PathKey(entry.path)] = entry
            }
        }
        return repaired
    }

    /// Whether `tree` has the certified tree's digest.
    private static func treeMatches(_ tree: [PathKey: TreeEntry], _ expected: String) -> Bool {
        (try? TreeDigest.digest(Array(tree.values))) == expected
    }

    /// `tree` without `paths` and everything under them.
    private static func tree(_ tree: [PathKey: TreeEntry], without paths: Set<PathKey>) -> [PathKey: TreeEntry] {
        tree.filter { !Verifier.isWithin($0.key, paths) }
    }

    /// The digest differs: finds what the subjects cannot name, an unlisted subtree or an
    /// execute bit, or reports the entries no subject lists.
    private static func explainDigest(
        repaired: [PathKey: TreeEntry], byPath: [PathKey: TreeEntry], needed: Set<PathKey>, subjects: [Subject],
        expected: String, report: inout ArtifactsReport
    ) {
        func matches(_ tree: [PathKey: TreeEntry]) -> Bool { treeMatches(tree, expected) }
        func without(_ tree: [PathKey: TreeEntry], _ paths: Set<PathKey>) -> [PathKey: TreeEntry] {
            Verifier.tree(tree, without: paths)
        }
        if matches(repaired) { return }
        let unlisted = repaired.values.filter {
            $0.kind == .symlink || ($0.kind == .directory && !needed.contains(PathKey($0.path)))
        }
        .map(\.path).sorted(by: byteOrder)
        // Subtrees: an unlisted directory's own unlisted entries go with it.
        let unlistedSet = Set(unlisted.map(PathKey.init))
        let tops = unlisted.filter { path in !Verifier.isWithin(PathKey(path), unlistedSet, countingItself: false) }
        func addExtra(_ paths: [String]) {
            for path in paths {
                let kind = repaired[PathKey(path)]?.kind ?? .directory
                report.add(.extra, path, "extra (\(kindName(kind)) the certified tree does not hold)")
            }
        }
        if !tops.isEmpty, matches(without(repaired, Set(tops.map(PathKey.init)))) {
            addExtra(unlisted)
            return
        }
        if tops.count <= 64 {
            for top in tops where matches(without(repaired, [PathKey(top)])) {
                addExtra(unlisted.filter { Verifier.isWithin(PathKey($0), [PathKey(top)]) })
                return
            }
        }
        if flipExecuteBit(repaired: repaired, byPath: byPath, subjects: subjects, expected: expected, report: &report) {
            return
        }
        report.unlisted = unlisted
        let what =
            "the tree digest differs in what the subjects do not list: a symbolic link or an empty directory of the certified tree is not here, or a file's execute bit differs"
        report.problems.append(
            unlisted.isEmpty
                ? what
                : what + ", or one of these entries, which no subject lists, differs: "
                    + unlisted.joined(separator: ", "))
    }

    /// Reports the one subject whose execute bit, flipped, gives the certified tree's digest;
    /// whether one was found. Tried only on trees small enough.
    private static func flipExecuteBit(
        repaired: [PathKey: TreeEntry], byPath: [PathKey: TreeEntry], subjects: [Subject], expected: String,
        report: inout ArtifactsReport
    ) -> Bool {
        guard subjects.count <= 512, subjects.count * repaired.count <= 4_000_000 else { return false }
        for subject in subjects.sorted(by: { byteOrder($0.name, $1.name) }) {
            let key = PathKey(subject.name)
            guard var flipped = repaired[key], byPath[key]?.kind == .file else { continue }
            flipped.executable.toggle()
            var tree = repaired
            tree[key] = flipped
            if treeMatches(tree, expected) {
                report.add(
                    .changed, subject.name,
                    "the execute bit is \(flipped.executable ? "clear" : "set"); in the certified tree it is \(flipped.executable ? "set" : "clear")"
                )
                return true
            }
        }
        return false
    }

    /// Whether `path` is one of `paths` or below one of them, comparing bytes.
    static func isWithin(_ path: PathKey, _ paths: Set<PathKey>, countingItself: Bool = true) -> Bool {
        if countingItself, paths.contains(path) { return true }
        var rest = path.bytes[...]
        while let slash = rest.lastIndex(of: UInt8(ascii: "/")) {
            rest = rest[..<slash]
            if paths.contains(PathKey(bytes: Array(rest))) { return true }
        }
        return false
    }

    /// Orders paths by their bytes, as the tree digest does.
    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}

/// What `repro verify --artifacts DIR` found in DIR.
public struct ArtifactsReport: Sendable, Equatable {
    /// How DIR was compared with the manifest.
    public enum Mode: String, Sendable {
        /// DIR must be exactly the certified tree (its tree digest), and every subject match.
        case exactTree = "exact-tree"
        /// Only the subjects' files are checked; other files in DIR are not looked at.
        case subjectsOnly = "subjects-only"
    }

    /// How a path differs from the certified tree.
    public enum Finding: String, Sendable {
        /// In DIR but not in the certified tree.
        case extra
        /// In the certified tree but not in DIR.
        case missing
        /// In both, with other bytes, kind or execute bit.
        case changed
    }

    /// The directory given.
    public var directory: String
    /// How it was compared.
    public var mode: Mode
    /// The number of subjects checked.
    public var subjectsChecked: Int
    /// The certified tree digest (exact-tree mode).
    public var expectedTreeDigest: String?
    /// DIR's tree digest (exact-tree mode).
    public var treeDigest: String?
    /// Paths in DIR that the certified tree does not hold.
    public var extra: [String] = []
    /// Paths of the certified tree that DIR lacks.
    public var missing: [String] = []
    /// Paths in both that differ.
    public var changed: [String] = []
    /// When the difference could not be pinned down: DIR's entries that no subject lists.
    public var unlisted: [String] = []
    /// One sentence per finding (`path: what`), in the order found.
    public var problems: [String] = []

    /// Creates an empty report (nothing found yet).
    public init(
        directory: String, mode: Mode, subjectsChecked: Int, expectedTreeDigest: String? = nil,
        treeDigest: String? = nil
    ) {
        self.directory = directory
        self.mode = mode
        self.subjectsChecked = subjectsChecked
        self.expectedTreeDigest = expectedTreeDigest
        self.treeDigest = treeDigest
    }

    /// Records a finding about `path`.
    public mutating func add(_ finding: Finding, _ path: String, _ what: String) {
        switch finding {
        case .extra: extra.append(path)
        case .missing: missing.append(path)
        case .changed: changed.append(path)
        }
        problems.append("\(path): \(what)")
    }

    /// True when DIR matched.
    public var matches: Bool { problems.isEmpty }

    /// The verification failure (exit 5) naming every finding, nil when DIR matched.
    public var error: ReproError? {
        guard !matches else { return nil }
        switch mode {
        case .subjectsOnly:
            return .verification(
                "\(problems.count) of \(counted(subjectsChecked, "artifact")) in \(directory) \(problems.count == 1 ? "does" : "do") not match the manifest: \(problems.joined(separator: "; "))"
            )
        case .exactTree:
            let counts = [(extra.count, "extra"), (missing.count, "missing"), (changed.count, "changed")]
                .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            return .verification(
                "\(directory) is not the certified output tree (its tree digest is \(treeDigest ?? "unknown"), the manifest's \(expectedTreeDigest ?? "unknown")\(counts.isEmpty ? "" : "; " + counts)): \(problems.joined(separator: "; ")). The directory must hold exactly the certified outputs; remove what was added, or pass --subjects-only to check only the listed files"
            )
        }
    }

    /// The report as JSON (the `artifacts` member of `repro verify --json`).
    public var jsonValue: JSONValue {
        func list(_ paths: [String]) -> JSONValue { .array(paths.map { .string($0) }) }
        return .object([
            "directory": .string(directory),
            "mode": .string(mode.rawValue),
            "matches": .bool(matches),
            "subjects_checked": .integer(Int64(subjectsChecked)),
            "expected_tree_digest": expectedTreeDigest.map { .string($0) } ?? .null,
            "tree_digest": treeDigest.map { .string($0) } ?? .null,
            "extra": list(extra),
            "missing": list(missing),
            "changed": list(changed),
            "unlisted": list(unlisted),
            "problems": list(problems),
        ])
    }
}
