import FoundationEssentials
import Glibc

/// What a build was made from, as far as `repro compare` holds two builds to be the same build:
/// the source tree, the toolchain archives, the sandbox profile, the command and the epoch.
///
/// Names and URIs are not compared (every runner has its own checkout path and may use its own
/// mirror); digests are.
public struct BuildInputs: Sendable, Equatable {
    /// The source snapshots (dependencies with a `repro-tree-v1` digest).
    public var sources: [ResolvedDependency]
    /// The toolchain archives (every other dependency but the profile).
    public var toolchains: [ResolvedDependency]
    /// `externalParameters.profile`: the profile's name or path as given.
    public var profileName: String
    /// The profile's own dependency entries (named `profile`: the SHA-256 of its text); empty in
    /// a bundle from a repro that did not record them.
    public var profiles: [ResolvedDependency]
    /// `externalParameters.command`.
    public var command: [String]
    /// `SOURCE_DATE_EPOCH` as the check recorded it, nil if it did not.
    public var sourceDateEpoch: String?

    /// The name of the dependency that records the sandbox profile.
    public static let profileDependencyName = ManifestURI.profileDependencyName

    /// Creates inputs from their parts.
    public init(
        sources: [ResolvedDependency], toolchains: [ResolvedDependency], profileName: String,
        profiles: [ResolvedDependency], command: [String], sourceDateEpoch: String?
    ) {
        self.sources = sources
        self.toolchains = toolchains
        self.profileName = profileName
        self.profiles = profiles
        self.command = command
        self.sourceDateEpoch = sourceDateEpoch
    }

    /// Sorts a verified provenance statement's dependencies into sources, profile and toolchains.
    public init(provenance: ProvenanceSummary, sourceDateEpoch: String?) {
        let others = provenance.dependencies.filter { $0.digest[ManifestURI.treeDigestKey] == nil }
        self.init(
            sources: provenance.sources,
            toolchains: others.filter { $0.name != Self.profileDependencyName },
            profileName: provenance.profile,
            profiles: others.filter { $0.name == Self.profileDependencyName },
            command: provenance.command, sourceDateEpoch: sourceDateEpoch)
    }

    /// One aspect of the inputs, as compared.
    public enum Aspect: String, Sendable, CaseIterable {
        /// The source tree digests.
        case source
        /// The toolchain archives' digests.
        case toolchains
        /// The profile's digest (its name when neither bundle records a digest).
        case profile
        /// The build command's argv.
        case command
        /// `SOURCE_DATE_EPOCH`.
        case sourceDateEpoch = "source_date_epoch"
    }

    /// The value of `aspect` that is compared: equal keys mean equal inputs.
    public func key(_ aspect: Aspect) -> [String] {
        switch aspect {
        case .source: return sources.map(Self.digestText).sorted()
        case .toolchains: return toolchains.map(Self.digestText).sorted()
        case .profile: return profiles.isEmpty ? ["name " + profileName] : profiles.map(Self.digestText).sorted()
        case .command: return command
        case .sourceDateEpoch: return [sourceDateEpoch ?? ""]
        }
    }

    /// `aspect` as a person reads it.
    public func describe(_ aspect: Aspect) -> String {
        switch aspect {
        case .source:
            return sources.isEmpty ? "no source tree" : sources.map { Self.digestText($0) }.joined(separator: ", ")
        case .toolchains:
            return toolchains.isEmpty
                ? "no toolchain archives"
                : toolchains.map { "\($0.name) \(Self.digestText($0))" }.joined(separator: ", ")
        case .profile:
            return profiles.isEmpty
                ? "\(profileName) (no digest recorded)"
                : "\(profileName) " + profiles.map { Self.digestText($0) }.joined(separator: ", ")
        case .command:
            return JSONValue.array(command.map { .string($0) }).serializedString
        case .sourceDateEpoch:
            return sourceDateEpoch ?? "none recorded"
        }
    }

    /// The aspects in which these inputs differ from `other`.
    public func differingAspects(from other: BuildInputs) -> [Aspect] {
        Aspect.allCases.filter { key($0) != other.key($0) }
    }

    /// A digest set as text: `t1:<hex>` for a source (its tree digest), else `ALG:<hex>` joined by `+`, sorted.
    static func digestText(_ dependency: ResolvedDependency) -> String {
        // A source is its bytes: the commit it was taken from (`gitCommit`) is not compared, as
        // two commits can hold the same tree.
        if let tree = dependency.digest[ManifestURI.treeDigestKey] { return "t1:" + tree }
        return dependency.digest.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: "+")
    }
}

/// One verified bundle as `repro compare` sees it: who signed all of it, what it was built from,
/// and what its check found.
public struct ComparedBundle: Sendable, Equatable {
    /// How the bundle was named (its path as given).
    public var label: String
    /// The given keys that signed every envelope of the bundle, sorted.
    public var signers: [String]
    /// What the build was made from.
    public var inputs: BuildInputs
    /// The subjects (output files), sorted by name.
    public var subjects: [Subject]
    /// The check's own verdict.
    public var verdict: Verdict
    /// The check's invocationId.
    public var invocationID: String
    /// The repro version that made the bundle, if recorded.
    public var reproVersion: String?
    /// The verified provenance, when the bundle was read from its bytes.
    public var provenance: ProvenanceSummary?
    /// The verified reproducibility predicate, when the bundle was read from its bytes.
    public var reproducibility: ReproducibilityInputs?

    /// Creates a bundle from its parts; subjects are sorted by name.
    public init(
        label: String, signers: [String], inputs: BuildInputs, subjects: [Subject], verdict: Verdict,
        invocationID: String, reproVersion: String? = nil
    ) {
        self.label = label
        self.signers = signers.sorted()
        self.inputs = inputs
        self.subjects = subjects.sorted { Agreement.precedes($0.name, $1.name) }
        self.verdict = verdict
        self.invocationID = invocationID
        self.reproVersion = reproVersion
    }

    /// Verifies a bundle's bytes with ``Verifier/verify(bundle:keys:)`` and reads what compare
    /// needs from it. A key counts as the bundle's signer only if it signed every envelope; a
    /// bundle that no single given key signed in full fails verification (exit 5).
    public init(label: String, verifying data: Data, keys: [PublicKey]) throws(ReproError) {
        let report = try Verifier.verify(bundle: data, keys: keys)
        var common = Set(report.signers.first ?? [])
        for signers in report.signers.dropFirst() { common.formIntersection(signers) }
        guard !common.isEmpty else {
            let lines = report.signers.enumerated().map {
                "line \($0.offset + 1) by \($0.element.joined(separator: ", "))"
            }
            throw .verification(
                "no single given key signed every envelope (\(lines.joined(separator: "; "))); a bundle counts for a builder only when that builder's key signs all of it"
            )
        }
        // The epoch sits in the provenance's normalization, which the summary does not carry:
        // read it from the payload that has just verified (the same bytes, parsed the same way).
        let manifest = try Manifest.read(data)
        let statement = try Verifier.checkStatement(payload: manifest.envelopes[0].payload)
        let normalization = statement.predicate["buildDefinition"]?["internalParameters"]?["normalization"]
        let epoch = normalization?["source_date_epoch"]?.stringValue ?? normalization?["SOURCE_DATE_EPOCH"]?.stringValue
        let p = report.provenance
        self.init(
            label: label, signers: Array(common), inputs: BuildInputs(provenance: p, sourceDateEpoch: epoch),
            subjects: p.subjects, verdict: report.reproducibility.verdict, invocationID: p.invocationID,
            reproVersion: p.reproVersion)
        self.provenance = p
        self.reproducibility = report.reproducibility
    }
}

/// Agreement across independent builders (`repro compare`): bundles of the same inputs agree
/// when their subjects are identical.
///
/// The rules:
/// - The bundles are comparable when every one has the same ``BuildInputs`` keys as the first;
///   otherwise the result is ``AgreementReport/Result/notComparable`` and nothing else is judged.
/// - Votes are per signer (keyid), not per bundle: a signer of several bundles counts once.
///   A signer *certifies* a set of subjects when every bundle it signed has the verdict
///   `reproducible` and those subjects. A signer one of whose bundles is not reproducible, or
///   whose bundles name different subjects, certifies nothing and counts as disagreeing; so
///   does a given key that signed no bundle.
/// - The bundles agree when exactly one set of subjects is certified by `threshold` or more
///   signers (default: every given key). Signers that certify something else are reported as
///   dissenting; if two sets both reach the threshold, the bundles disagree.
public enum Agreement {
    /// The fewest signers an agreement can have: one builder cannot corroborate itself.
    public static let minimumThreshold = 2

    /// Judges verified bundles. `keys` are the distinct keyids of the given keys, in the order
    /// given; `threshold` nil means all of them.
    ///
    /// Throws a configuration error (exit 2) for fewer than 2 bundles or keys, or a threshold
    /// outside 2 through the number of keys.
    public static func evaluate(bundles: [ComparedBundle], keys: [String], threshold: Int?) throws(ReproError)
        -> AgreementReport
    {
        let (distinctKeys, k) = try checkedKeys(bundles: bundles, keys: keys, threshold: threshold)
        var report = AgreementReport(bundles: bundles, keys: distinctKeys, threshold: k)
        compareInputs(bundles, into: &report)
        guard report.mismatches.isEmpty else {
            report.result = .notComparable
            return report
        }
        let certified = castVotes(bundles, keys: distinctKeys, into: &report)
        rankOutcomes(certified, threshold: k, into: &report)
        tabulateSubjects(bundles, into: &report)
        return report
    }

    /// The distinct keys in the order given and the threshold; throws a configuration error for
    /// fewer than 2 bundles or keys, or a threshold outside 2 through the number of keys.
    private static func checkedKeys(bundles: [ComparedBundle], keys: [String], threshold: Int?) throws(ReproError)
        -> (keys: [String], threshold: Int)
    {
        var distinctKeys: [String] = []
        for key in keys where !distinctKeys.contains(key) { distinctKeys.append(key) }
        guard bundles.count >= 2 else {
            throw .configuration(
                "compare needs at least 2 bundles, got \(bundles.count); to check a single bundle use `repro verify`")
        }
        guard distinctKeys.count >= minimumThreshold else {
            throw .configuration(
                "the --key files name \(counted(distinctKeys.count, "distinct key")); agreement needs the keys of at least \(minimumThreshold) independent builders"
            )
        }
        let k = threshold ?? distinctKeys.count
        guard k >= minimumThreshold, k <= distinctKeys.count else {
            throw .configuration(
                "--threshold \(k) is not between \(minimumThreshold) and the \(counted(distinctKeys.count, "distinct key")) given"
            )
        }
        return (distinctKeys, k)
    }

    /// Records where a bundle's inputs differ from the first bundle's.
    private static func compareInputs(_ bundles: [ComparedBundle], into report: inout AgreementReport) {
        // Comparable: every bundle's inputs against the first's.
        let reference = bundles[0].inputs
        for (i, bundle) in bundles.enumerated().dropFirst() {
            for aspect in bundle.inputs.differingAspects(from: reference) {
                report.mismatches.append(
                    .init(
                        aspect: aspect, bundle: i, reference: 0,
                        value: bundle.inputs.describe(aspect), referenceValue: reference.describe(aspect)))
            }
        }
    }

    /// Records each signer's vote and returns the distinct certified subject sets, in order of
    /// first appearance.
    private static func castVotes(
        _ bundles: [ComparedBundle], keys distinctKeys: [String],
        into report: inout AgreementReport
    ) -> [[Subject]] {
        // Each signer's vote.
        var certified: [[Subject]] = []  // the distinct certified subject sets
        for keyid in distinctKeys {
            let signed = bundles.indices.filter { bundles[$0].signers.contains(keyid) }
            var signer = AgreementReport.Signer(keyid: keyid, bundles: signed, status: .certifies, outcome: nil)
            if signed.isEmpty {
                signer.status = .noBundle
            } else if signed.contains(where: { bundles[$0].verdict != .reproducible }) {
                signer.status = .notReproducible
            } else if Set(signed.map { bundles[$0].subjects }).count > 1 {
                signer.status = .inconsistent
            } else {
                let subjects = bundles[signed[0]].subjects
                if let index = certified.firstIndex(of: subjects) {
                    signer.outcome = index
                } else {
                    certified.append(subjects)
                    signer.outcome = certified.count - 1
                }
            }
            report.signers.append(signer)
        }
        return certified
    }

    /// Records the outcomes, most signers first, renumbers the signers' outcomes to match, and
    /// judges agreement: exactly one outcome reaching `threshold` signers.
    private static func rankOutcomes(_ certified: [[Subject]], threshold k: Int, into report: inout AgreementReport) {
        // Outcomes, most signers first, then in order of first appearance.
        var outcomes = certified.indices.map { index in
            AgreementReport.Outcome(
                subjects: certified[index], signers: report.signers.filter { $0.outcome == index }.map(\.keyid))
        }
        let order = outcomes.indices.sorted {
            outcomes[$0].signers.count != outcomes[$1].signers.count
                ? outcomes[$0].signers.count > outcomes[$1].signers.count : $0 < $1
        }
        outcomes = order.map { outcomes[$0] }
        for i in report.signers.indices {
            if let old = report.signers[i].outcome { report.signers[i].outcome = order.firstIndex(of: old) }
        }
        report.outcomes = outcomes
        let reaching = outcomes.indices.filter { outcomes[$0].signers.count >= k }
        report.agreedOutcome = reaching.count == 1 ? reaching[0] : nil
        report.result = report.agreedOutcome == nil ? .disagree : .agree
    }

    /// Records the table: every subject name of every bundle, and the sides among the certifying
    /// signers where they disagree.
    private static func tabulateSubjects(_ bundles: [ComparedBundle], into report: inout AgreementReport) {
        // The table: every subject name of every bundle; sides among the certifying signers.
        var names = Set<String>()
        for bundle in bundles { for subject in bundle.subjects { names.insert(subject.name) } }
        let certifiers = report.signers.filter { $0.status == .certifies }
        // Subject names are unique within a bundle (the verifier checks it).
        let bundleDigests = bundles.map {
            Dictionary($0.subjects.map { ($0.name, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        }
        let outcomeDigests = report.outcomes.map {
            Dictionary($0.subjects.map { ($0.name, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        }
        for name in names.sorted(by: precedes) {
            let cells = bundleDigests.map { $0[name] }
            var sides: [AgreementReport.Side] = []
            for signer in certifiers {
                let digest = outcomeDigests[signer.outcome!][name]
                if let i = sides.firstIndex(where: { $0.sha256 == digest }) {
                    sides[i].signers.append(signer.keyid)
                } else {
                    sides.append(.init(sha256: digest, signers: [signer.keyid]))
                }
            }
            sides = sides.enumerated().sorted {
                $0.element.signers.count != $1.element.signers.count
                    ? $0.element.signers.count > $1.element.signers.count : $0.offset < $1.offset
            }.map(\.element)
            let agreed = sides.count == 1 && sides[0].sha256 != nil
            report.rows.append(.init(name: name, sha256: cells, agreed: agreed))
            if sides.count > 1 { report.disagreements.append(.init(subject: name, sides: sides)) }
        }
    }

    /// Orders names by their UTF-8 bytes, as manifests sort subjects.
    static func precedes(_ a: String, _ b: String) -> Bool {
        Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    /// The shortest prefix length, at least `minimum`, at which the distinct `values` have
    /// distinct prefixes (so a short keyid or digest in a table never stands for two values).
    public static func uniquePrefixLength(_ values: [String], minimum: Int = 12) -> Int {
        let distinct = Set(values)
        let longest = distinct.map(\.count).max() ?? 0
        var length = minimum
        while length < longest, Set(distinct.map { $0.prefix(length) }).count < distinct.count { length += 1 }
        return length
    }
}

/// The result of ``Agreement/evaluate(bundles:keys:threshold:)``: the table, the votes, the verdict.
public struct AgreementReport: Sendable, Equatable {
    /// The overall result.
    public enum Result: String, Sendable {
        /// Exactly one set of subjects has `threshold` or more signers (exit 0).
        case agree
        /// None has, or more than one (exit 1).
        case disagree
        /// The bundles were built from different inputs (exit 2).
        case notComparable = "not_comparable"
    }

    /// How a given key voted.
    public enum SignerStatus: String, Sendable {
        /// Every bundle it signed is reproducible with the same subjects: it certifies those.
        case certifies
        /// A bundle it signed records a check that was not reproducible (differ, build-failed).
        case notReproducible = "not_reproducible"
        /// It signed reproducible bundles with different subjects.
        case inconsistent
        /// It signed none of the bundles.
        case noBundle = "no_bundle"
    }

    /// A given key and its vote.
    public struct Signer: Sendable, Equatable {
        /// The keyid.
        public var keyid: String
        /// The indices of the bundles it signed.
        public var bundles: [Int]
        /// How it voted.
        public var status: SignerStatus
        /// The index in ``AgreementReport/outcomes`` of what it certifies, if it certifies.
        public var outcome: Int?
    }

    /// A set of subjects and the signers that certify it.
    public struct Outcome: Sendable, Equatable {
        /// The subjects, sorted by name.
        public var subjects: [Subject]
        /// The keyids that certify them, in the order the keys were given.
        public var signers: [String]
    }

    /// An input in which a bundle differs from the reference bundle.
    public struct Mismatch: Sendable, Equatable {
        /// Which input.
        public var aspect: BuildInputs.Aspect
        /// The index of the differing bundle.
        public var bundle: Int
        /// The index of the bundle compared with (the first).
        public var reference: Int
        /// The differing bundle's value.
        public var value: String
        /// The reference bundle's value.
        public var referenceValue: String
    }

    /// One digest of a subject and the certifying signers that have it (nil: the subject is missing).
    public struct Side: Sendable, Equatable {
        /// The SHA-256, or nil where the subject is missing.
        public var sha256: String?
        /// The keyids on this side.
        public var signers: [String]
    }

    /// A row of the table: one subject name, its digest in each bundle (nil where missing).
    public struct Row: Sendable, Equatable {
        /// The subject's name.
        public var name: String
        /// The SHA-256 in each bundle, in bundle order; nil where the bundle lacks the subject.
        public var sha256: [String?]
        /// Whether every certifying signer has this subject with one digest.
        public var agreed: Bool
    }

    /// A subject on which the certifying signers do not all agree.
    public struct Disagreement: Sendable, Equatable {
        /// The subject's name.
        public var subject: String
        /// The sides, most signers first.
        public var sides: [Side]
    }

    /// The bundles, in the order given.
    public var bundles: [ComparedBundle]
    /// The distinct keyids given, in order.
    public var keys: [String]
    /// How many signers must certify the same subjects.
    public var threshold: Int
    /// The overall result.
    public var result: Result = .disagree
    /// How the bundles' inputs differ (empty when comparable).
    public var mismatches: [Mismatch] = []
    /// Every given key's vote (empty when not comparable).
    public var signers: [Signer] = []
    /// The certified sets of subjects, most signers first.
    public var outcomes: [Outcome] = []
    /// The index of the one outcome that reaches the threshold, if there is exactly one.
    public var agreedOutcome: Int?
    /// The table rows, by subject name.
    public var rows: [Row] = []
    /// The subjects the certifying signers disagree on.
    public var disagreements: [Disagreement] = []

    /// Creates an empty report.
    init(bundles: [ComparedBundle], keys: [String], threshold: Int) {
        self.bundles = bundles
        self.keys = keys
        self.threshold = threshold
    }

    /// The exit status: 0 agree, 1 disagree, 2 not comparable.
    public var exitStatus: ExitStatus {
        switch result {
        case .agree: return .success
        case .disagree: return .outputsDiffer
        case .notComparable: return .configuration
        }
    }

    /// The keyids of the signers that agree (empty unless the result is agree).
    public var agreeingSigners: [String] { agreedOutcome.map { outcomes[$0].signers } ?? [] }

    // MARK: - Human output

    /// The report as lines for a terminal: the bundles, the inputs, the table, the verdict and
    /// what disagrees. Names from the bundles are escaped (``TerminalText``, plus newline and tab).
    public var humanLines: [String] {
        let short = ShortIDs(keys + bundles.flatMap(\.signers))
        var lines: [String] = []
        lines.append("\(counted(bundles.count, "bundle")), \(counted(keys.count, "key")), threshold \(threshold)")
        for bundle in bundles {
            lines.append(
                "  \(Self.safe(bundle.label)): \(bundle.verdict.rawValue), signed by \(bundle.signers.joined(separator: ", "))"
            )
        }
        if result == .notComparable {
            lines.append("NOT COMPARABLE: the bundles were built from different inputs")
            for m in mismatches {
                lines.append(
                    "  \(Self.aspectName(m.aspect)): \(Self.safe(bundles[m.bundle].label)) has \(Self.safe(m.value)); \(Self.safe(bundles[m.reference].label)) has \(Self.safe(m.referenceValue))"
                )
            }
            return lines
        }
        let inputs = bundles[0].inputs
        for aspect in BuildInputs.Aspect.allCases {
            let name = Self.aspectName(aspect) + ":"
            lines.append(
                name + String(repeating: " ", count: max(1, 19 - name.count)) + Self.safe(inputs.describe(aspect)))
        }
        lines.append("")
        lines.append(contentsOf: table(short))
        lines.append("")
        lines.append(contentsOf: verdictLines(short))
        return lines
    }

    /// The subject x builder table: a column per bundle headed by its signer's short keyid.
    func table(_ short: ShortIDs) -> [String] {
        var header = ["subject"]
        for bundle in bundles {
            let first = bundle.signers.first.map { short.keyid($0) } ?? "?"
            header.append(bundle.signers.count > 1 ? first + "+\(bundle.signers.count - 1)" : first)
        }
        header.append("")
        var grid = [header]
        let differing = Set(disagreements.map(\.subject))
        for row in rows {
            let length = Agreement.uniquePrefixLength(row.sha256.compactMap { $0 })
            var line = [Self.safe(row.name)]
            line += row.sha256.map { $0.map { String($0.prefix(length)) } ?? "-" }
            line.append(row.agreed ? "agree" : differing.contains(row.name) ? "DIFFER" : "-")
            grid.append(line)
        }
        var widths = [Int](repeating: 0, count: header.count)
        for line in grid { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return grid.map { line in
            line.enumerated().map { i, cell in
                i == line.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }

    /// The verdict line and the reasons.
    func verdictLines(_ short: ShortIDs) -> [String] {
        var lines: [String] = []
        let names = { (ids: [String]) in ids.map { short.keyid($0) }.joined(separator: ", ") }
        if let agreed = agreedOutcome {
            let o = outcomes[agreed]
            lines.append(
                "AGREE: \(o.signers.count) of \(keys.count) signers (\(names(o.signers))) certify the same \(o.subjects.count) subject\(o.subjects.count == 1 ? "" : "s"); threshold \(threshold) met"
            )
        } else {
            let reaching = outcomes.filter { $0.signers.count >= threshold }
            if reaching.count > 1 {
                lines.append(
                    "DISAGREE: \(reaching.count) different sets of outputs each have \(threshold) or more signers (\(reaching.map { names($0.signers) }.joined(separator: " vs ")))"
                )
            } else if let best = outcomes.first {
                lines.append(
                    "DISAGREE: threshold \(threshold) not met: at most \(best.signers.count) of \(keys.count) signers (\(names(best.signers))) certify the same outputs"
                )
            } else {
                lines.append("DISAGREE: threshold \(threshold) not met: no signer certifies reproducible outputs")
            }
        }
        for d in disagreements {
            let sides = d.sides.map { side in
                (side.sha256.map { "sha256:" + $0 } ?? "missing") + " by " + names(side.signers)
            }
            lines.append("  \(Self.safe(d.subject)): \(sides.joined(separator: "; "))")
        }
        for signer in signers where signer.status != .certifies {
            let labels = signer.bundles.map { Self.safe(bundles[$0].label) }.joined(separator: ", ")
            switch signer.status {
            case .notReproducible:
                let verdicts = Set(
                    signer.bundles.map { bundles[$0].verdict.rawValue }.filter { $0 != Verdict.reproducible.rawValue }
                ).sorted()
                lines.append(
                    "  \(short.keyid(signer.keyid)): its own check was not reproducible (\(verdicts.joined(separator: ", ")) in \(labels)); counted as disagreeing"
                )
            case .inconsistent:
                lines.append(
                    "  \(short.keyid(signer.keyid)): signed bundles with different subjects (\(labels)); counted as disagreeing"
                )
            case .noBundle:
                lines.append("  \(short.keyid(signer.keyid)): signed none of the bundles")
            case .certifies:
                break
            }
        }
        for signer in signers where signer.bundles.count > 1 && signer.status == .certifies {
            lines.append(
                "  \(short.keyid(signer.keyid)) signed \(counted(signer.bundles.count, "bundle")) and counts once")
        }
        return lines
    }

    static func aspectName(_ aspect: BuildInputs.Aspect) -> String {
        switch aspect {
        case .source: return "source"
        case .toolchains: return "toolchains"
        case .profile: return "profile"
        case .command: return "command"
        case .sourceDateEpoch: return "SOURCE_DATE_EPOCH"
        }
    }

    /// Text from a bundle or the command line made safe for one table cell or line.
    static func safe(_ text: String) -> String {
        TerminalText.escape(text).replacingEvery("\n", with: "\\n").replacingEvery("\t", with: "\\t")
    }

    // MARK: - JSON

    /// The report as JSON (`repro compare --json`), snake_case keys; see docs/compare.md.
    public var jsonValue: JSONValue {
        let strings = Self.strings
        let comparable = result != .notComparable
        var object: [String: JSONValue] = [
            "result": .string(result.rawValue),
            "agreed": .bool(result == .agree),
            "comparable": .bool(comparable),
            "exit_status": .integer(Int64(exitStatus.rawValue)),
            "threshold": .integer(Int64(threshold)),
            "keys": strings(keys),
            "agreeing_signers": strings(agreeingSigners),
            "bundles": .array(
                bundles.map { b in
                    .object([
                        "path": .string(b.label),
                        "signers": strings(b.signers),
                        "verdict": .string(b.verdict.rawValue),
                        "invocation_id": .string(b.invocationID),
                        "repro_version": b.reproVersion.map { .string($0) } ?? .null,
                    ])
                }),
            "mismatches": .array(
                mismatches.map { m in
                    .object([
                        "aspect": .string(m.aspect.rawValue),
                        "bundle": .string(bundles[m.bundle].label),
                        "value": .string(m.value),
                        "reference_bundle": .string(bundles[m.reference].label),
                        "reference_value": .string(m.referenceValue),
                    ])
                }),
            "signers": .array(
                signers.map { s in
                    .object([
                        "keyid": .string(s.keyid),
                        "bundles": strings(s.bundles.map { bundles[$0].label }),
                        "status": .string(s.status.rawValue),
                        "outcome": s.outcome.map { .integer(Int64($0)) } ?? .null,
                    ])
                }),
            "agreed_outcome": agreedOutcome.map { .integer(Int64($0)) } ?? .null,
            "inputs": comparable ? inputsJSON : .null,
        ]
        object.merge(outcomesJSON) { _, new in new }
        return .object(object)
    }

    /// The outcomes, the subjects and the disagreements of ``jsonValue``.
    private var outcomesJSON: [String: JSONValue] {
        let strings = Self.strings
        return [
            "outcomes": .array(
                outcomes.map { o in
                    .object([
                        "signers": strings(o.signers),
                        "subjects": .array(
                            o.subjects.map { .object(["name": .string($0.name), "sha256": .string($0.sha256)]) }),
                        "meets_threshold": .bool(o.signers.count >= threshold),
                    ])
                }),
            "subjects": .array(
                rows.map { r in
                    .object([
                        "name": .string(r.name),
                        "sha256": .array(r.sha256.map { $0.map { .string($0) } ?? .null }),
                        "agreed": .bool(r.agreed),
                    ])
                }),
            "disagreements": .array(
                disagreements.map { d in
                    .object([
                        "subject": .string(d.subject),
                        "sides": .array(
                            d.sides.map {
                                .object([
                                    "sha256": $0.sha256.map { .string($0) } ?? .null, "signers": strings($0.signers),
                                ])
                            }),
                    ])
                }),
        ]
    }

    /// The inputs the bundles agree on, in ``jsonValue`` (only for a comparable report).
    private var inputsJSON: JSONValue {
        let inputs = bundles[0].inputs
        return .object([
            "sources": Self.dependencies(inputs.sources),
            "toolchains": Self.dependencies(inputs.toolchains),
            "profile": .object(["name": .string(inputs.profileName), "digests": Self.dependencies(inputs.profiles)]),
            "command": Self.strings(inputs.command),
            "source_date_epoch": inputs.sourceDateEpoch.map { .string($0) } ?? .null,
        ])
    }

    private static func strings(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }

    private static func dependencies(_ list: [ResolvedDependency]) -> JSONValue {
        .array(
            list.map {
                .object([
                    "name": .string($0.name), "uri": .string($0.uri),
                    "digest": .object($0.digest.mapValues { .string($0) }),
                ])
            })
    }
}

/// Short forms of keyids for a table: the shortest prefix, at least 12 hex digits, that tells
/// every keyid in the report apart.
struct ShortIDs {
    let prefixLength: Int

    init(_ keyids: [String]) { prefixLength = Agreement.uniquePrefixLength(keyids) }

    func keyid(_ id: String) -> String { String(id.prefix(prefixLength)) }
}

extension String {
    /// The string without trailing spaces.
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
