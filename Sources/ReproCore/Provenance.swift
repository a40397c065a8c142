import FoundationEssentials
import Glibc

/// An artifact the build used, as an in-toto ResourceDescriptor: a toolchain archive or the
/// source snapshot.
public struct ResolvedDependency: Sendable, Equatable {
    /// A short name (toolchain name, `source`).
    public var name: String
    /// Where it came from (archive URL; for the source, e.g. `file:///path` or a git URL).
    public var uri: String
    /// Its digest set: `sha256` for archives, `repro-tree-v1` for the source tree (with
    /// `gitCommit` when the snapshot is exactly that commit).
    public var digest: [String: String]
    /// in-toto's `annotations`: for a toolchain archive, where it is mounted (`mount`,
    /// `strip_components`); for the source, whether others can rebuild from it (`rebuildable`,
    /// `reason`). Empty (not written) otherwise, and in bundles from before they were recorded.
    public var annotations: [String: JSONValue]

    /// Creates a dependency with an explicit digest set.
    public init(name: String, uri: String, digest: [String: String], annotations: [String: JSONValue] = [:]) {
        self.name = name
        self.uri = uri
        self.digest = digest
        self.annotations = annotations
    }

    /// A toolchain archive pinned by the SHA-256 of its bytes (64 lowercase hex).
    public static func archive(name: String, uri: String, sha256: String) -> ResolvedDependency {
        ResolvedDependency(name: name, uri: uri, digest: ["sha256": sha256])
    }

    /// The source snapshot by its tree digest `t1:<hex>`, written as `{"repro-tree-v1": "<hex>"}`.
    public static func sourceTree(name: String = "source", uri: String, treeDigest: String) throws(ReproError)
        -> ResolvedDependency
    {
        guard treeDigest.hasPrefix("t1:"), Hex.isLowercase(String(treeDigest.dropFirst(3)), length: 64) else {
            throw .configuration("the source tree digest \"\(treeDigest)\" is not of the form t1:<64 lowercase hex>")
        }
        return ResolvedDependency(
            name: name, uri: uri, digest: [ManifestURI.treeDigestKey: String(treeDigest.dropFirst(3))])
    }

    /// The mount path recorded for a toolchain archive, if any.
    public var mount: String? { annotations["mount"]?.stringValue }
    /// The strip count recorded for a toolchain archive, if any.
    public var stripComponents: Int? { annotations["strip_components"]?.integerValue.flatMap { Int(exactly: $0) } }
    /// Whether the builder said others can rebuild from this source (nil: not recorded).
    public var rebuildable: Bool? {
        if case .bool(let b)? = annotations["rebuildable"] { return b }
        return nil
    }

    /// The descriptor as JSON.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(name), "uri": .string(uri), "digest": .object(digest.mapValues { .string($0) }),
        ]
        if !annotations.isEmpty { members["annotations"] = .object(annotations) }
        return .object(members)
    }
}

/// Everything the SLSA provenance v1 statement of a check records, as written and as read back.
///
/// The predicate's members are described once, in ``table``: adding a member is a stored
/// property here and its row there (docs/architecture.md, "A field of the signed provenance").
public struct Provenance: Sendable, Equatable {
    /// The output files, by path relative to the source root, with their SHA-256.
    public var subjects: [Subject]
    /// `buildDefinition.buildType`.
    public var buildType: String = ManifestURI.buildType
    /// `externalParameters.command`: the build command's argv.
    public var command: [String]
    /// `externalParameters.profile`: the sandbox profile's name.
    public var profile: String
    /// `externalParameters.config`: the project configuration as JSON.
    public var config: JSONValue = .object([:])
    /// `internalParameters.normalization`: the normalization values applied (e.g. `SOURCE_DATE_EPOCH`).
    public var normalization: [String: String] = [:]
    /// `internalParameters.isolation`: the isolation the sandbox achieved.
    public var isolation: JSONValue = .null
    /// `internalParameters.environment`: the build's whole environment, as every run got it
    /// (not written when nil or empty; nil in bundles from before it was recorded).
    public var environment: [String: String]?
    /// `buildDefinition.resolvedDependencies`: every toolchain archive, the profile and the source snapshot.
    public var dependencies: [ResolvedDependency]
    /// `runDetails.builder.id`.
    public var builderID: String = ManifestURI.builderID
    /// repro's version, `runDetails.builder.version.repro` (nil if a bundle does not say).
    public var reproVersion: String?
    /// `runDetails.metadata.invocationId`: unique per check.
    public var invocationID: String
    /// `runDetails.metadata.startedOn`, RFC 3339, as written.
    public var startedOn: String
    /// `runDetails.metadata.finishedOn`, RFC 3339, as written.
    public var finishedOn: String

    /// Creates the record of a check; `buildType` and `builderID` take the documented defaults
    /// and the times are written in UTC with whole seconds.
    public init(
        subjects: [Subject], command: [String], profile: String, config: JSONValue,
        normalization: [String: String], isolation: JSONValue, dependencies: [ResolvedDependency],
        reproVersion: String, invocationID: String, startedOn: Date, finishedOn: Date
    ) {
        self.subjects = subjects
        self.command = command
        self.profile = profile
        self.config = config
        self.normalization = normalization
        self.isolation = isolation
        self.dependencies = dependencies
        self.reproVersion = reproVersion
        self.invocationID = invocationID
        self.startedOn = RFC3339.format(startedOn)
        self.finishedOn = RFC3339.format(finishedOn)
    }

    /// The record a read starts from, before the table fills it in.
    private init() {
        subjects = []
        command = []
        profile = ""
        dependencies = []
        invocationID = ""
        startedOn = ""
        finishedOn = ""
    }

    /// The source snapshot dependencies (those with a `repro-tree-v1` digest).
    public var sources: [ResolvedDependency] { dependencies.filter { $0.digest[ManifestURI.treeDigestKey] != nil } }
    /// The toolchain archives (the other dependencies, but the profile).
    public var toolchains: [ResolvedDependency] {
        dependencies.filter {
            $0.digest[ManifestURI.treeDigestKey] == nil && $0.name != ManifestURI.profileDependencyName
        }
    }
    /// The sandbox profile, when recorded (bundles from before it was recorded have none).
    public var profileDependency: ResolvedDependency? {
        dependencies.first {
            $0.name == ManifestURI.profileDependencyName && $0.digest[ManifestURI.treeDigestKey] == nil
        }
    }

    /// The SLSA provenance v1 statement.
    public var statement: Statement {
        Statement(
            subjects: subjects, predicateType: ManifestURI.slsaProvenance, predicate: .object(Self.table.members(self)))
    }

    /// Checks a statement's SLSA provenance predicate strictly (repro's build type only), member
    /// by member in the order of ``table``; members it does not describe are ignored.
    public init(validating statement: Statement) throws(ReproError) {
        guard statement.predicateType == ManifestURI.slsaProvenance else {
            throw .verification(
                "the predicate type is \"\(statement.predicateType)\", not \"\(ManifestURI.slsaProvenance)\"")
        }
        self = try Self.table.read(statement.predicate, context: FieldContext(prefix: "the SLSA provenance predicate "))
        subjects = statement.subjects
    }

    /// The predicate's members: where each sits, how it is read and written, the sentence that
    /// refuses it, its schema description (docs/schemas/buildtype-check-v1.json is compared with
    /// it), and its key in `repro verify --json`.
    static var table: PredicateTable<Provenance> {
        PredicateTable(
            blank: Provenance(),
            fields: [
                .init(
                    "buildDefinition.buildType", \.buildType,
                    .constant(ManifestURI.buildType) {
                        "has buildType \"\($0)\"; repro verifies only \"\(ManifestURI.buildType)\""
                    },
                    missing: "has no buildDefinition.buildType", report: "build_type"),
                .init(
                    "buildDefinition.externalParameters.command", \.command, .strings(nonEmpty: true),
                    missing: "has no externalParameters.command array",
                    invalid: "has a command argument that is not a string",
                    doc: "The build command's argv.", report: "command"),
                .init(
                    "buildDefinition.externalParameters.profile", \.profile, .string,
                    missing: "has no externalParameters.profile", doc: "The sandbox profile's name.", report: "profile"),
                .init(
                    "buildDefinition.externalParameters.config", \.config, .object,
                    missing: "has no externalParameters.config object",
                    doc:
                        "The project configuration (repro.toml, with repro's defaults filled in, and build.checksums set by --checksums when given) as JSON."
                ),
                .init(
                    "buildDefinition.internalParameters.normalization", \.normalization, .stringMap,
                    missing: "has no internalParameters.normalization object of strings",
                    doc:
                        "The normalization values applied to every run (source_date_epoch, tz, locale, umask, source_mtime: the time of every file and directory of the source snapshot, git_commit, git_commit_short, git_describe and git_tag: the REPRO_GIT_* values of a git source, ...)."
                ),
                .init(
                    "buildDefinition.internalParameters.isolation", \.isolation, .any,
                    missing: "has no internalParameters.isolation",
                    doc: "The isolation the sandbox achieved (namespaces, seccomp, network, limits)."),
                .init(
                    "buildDefinition.internalParameters.environment", \.environment,
                    .optional(.stringMap, omitEmpty: true),
                    missing: "has an internalParameters.environment that is not an object of strings",
                    doc:
                        "The build's whole environment, exactly as every run got it (profile, toolchain [env], project env, pass_env values, repro's fixed values). Optional: absent in bundles from before repro rebuild; a rebuild needs it."
                ),
                .init(
                    "buildDefinition.resolvedDependencies", \.dependencies, .dependencies,
                    missing: "has no resolvedDependencies array",
                    doc:
                        "Every toolchain archive (digest sha256 of the archive bytes; uri as the spec writes it, never a cache path), the sandbox profile, and the source snapshot (digest repro-tree-v1: the hex of its t1: tree digest; uri git+URL@COMMIT[#SUBDIR] when others can fetch it)."
                ),
                .init(
                    "runDetails.builder.id", \.builderID, .nonEmptyString, missing: "has no runDetails.builder.id",
                    report: "builder.id"),
                .init(
                    "runDetails.builder.version.repro", \.reproVersion, .optional(.string),
                    missing: "has a runDetails.builder.version.repro that is not a string", report: "builder.version",
                    reportNull: true),
                .init(
                    "runDetails.metadata.invocationId", \.invocationID, .nonEmptyString,
                    missing: "has no metadata.invocationId", report: "invocation_id"),
                .init(
                    "runDetails.metadata.startedOn", \.startedOn, .timestamp,
                    missing: "has no RFC 3339 metadata.startedOn", report: "started_on"),
                .init(
                    "runDetails.metadata.finishedOn", \.finishedOn, .timestamp,
                    missing: "has no RFC 3339 metadata.finishedOn", report: "finished_on"),
            ],
            objects: [
                .init(
                    "buildDefinition", missing: "has no buildDefinition object",
                    doc:
                        "The buildDefinition of an SLSA provenance v1 predicate whose buildType is https://repro.dev/buildtypes/check/v1: one repro check, i.e. the same build command run two or more times in fresh namespace sandboxes from the same pinned toolchains and source snapshot."
                ),
                .init(
                    "buildDefinition.externalParameters", missing: "has no externalParameters object",
                    doc: "What the user chose.", closed: true),
                .init(
                    "buildDefinition.internalParameters", missing: "has no internalParameters object",
                    doc: "What repro set up.", closed: true),
                .init("runDetails", missing: "has no runDetails object"),
                .init("runDetails.metadata", missing: "has no runDetails.metadata object"),
            ], closed: false)
    }
}

/// The record of a check's SLSA provenance, as its writers name it.
public typealias ProvenanceInputs = Provenance
/// The record of a verified SLSA provenance statement, as its readers name it.
public typealias ProvenanceSummary = Provenance

extension FieldCodec where Value == [ResolvedDependency] {
    /// `resolvedDependencies`: in-toto ResourceDescriptors, each with a `uri`, a digest set
    /// (`sha256` and `repro-tree-v1` of 64 lowercase hex, at least one of them) and optional
    /// `annotations`.
    static var dependencies: FieldCodec {
        FieldCodec(
            encode: { .array($0.map(\.jsonValue)) },
            decode: { value, _ throws(FieldProblem) in
                guard let list = value?.arrayValue else { throw .missing }
                var out: [ResolvedDependency] = []
                for (i, item) in list.enumerated() { out.append(try ResolvedDependency(validating: item, index: i)) }
                return out
            }, schema: ["type": "array", "items": ResolvedDependency.schema])
    }
}

extension ResolvedDependency {
    /// The JSON Schema of one descriptor.
    static let schema: JSONValue = [
        "type": "object",
        "required": ["uri", "digest"],
        "properties": [
            "name": ["type": "string"],
            "uri": ["type": "string", "minLength": 1],
            "digest": [
                "type": "object",
                "minProperties": 1,
                "properties": [
                    "sha256": ["type": "string", "pattern": "^[0-9a-f]{64}$"],
                    "repro-tree-v1": ["type": "string", "pattern": "^[0-9a-f]{64}$"],
                    "gitCommit": [
                        "description": "The source: the git commit the snapshot equals file for file.",
                        "type": "string", "pattern": "^([0-9a-f]{40}|[0-9a-f]{64})$",
                    ],
                ],
                "additionalProperties": ["type": "string"],
            ],
            "annotations": [
                "description":
                    "Optional. A toolchain archive: mount (where its tree appears in the sandbox) and strip_components. The source: rebuildable (whether others can fetch it from uri) and, when not, reason.",
                "type": "object",
                "properties": [
                    "mount": ["type": "string", "pattern": "^/"],
                    "strip_components": ["type": "integer", "minimum": 0, "maximum": 64],
                    "rebuildable": ["type": "boolean"],
                    "reason": ["type": "string"],
                ],
            ],
        ],
    ]

    /// Reads item `i` of `resolvedDependencies`.
    init(validating dep: JSONValue, index i: Int) throws(FieldProblem) {
        guard let uri = dep["uri"]?.stringValue, !uri.isEmpty else {
            throw .phrase("has resolvedDependencies[\(i)] without a uri")
        }
        let name = dep["name"]?.stringValue ?? ""
        guard let digestObject = dep["digest"]?.objectValue, !digestObject.isEmpty else {
            throw .phrase("has resolvedDependencies[\(i)] (\(uri)) without a digest")
        }
        var digest: [String: String] = [:]
        for (algorithm, value) in digestObject {
            guard let hex = value.stringValue else {
                throw .phrase("has a non-string digest in resolvedDependencies[\(i)]")
            }
            if algorithm == "sha256" || algorithm == ManifestURI.treeDigestKey, !Hex.isLowercase(hex, length: 64) {
                throw .phrase(
                    "has a \(algorithm) digest in resolvedDependencies[\(i)] (\(uri)) that is not 64 lowercase hex digits"
                )
            }
            digest[algorithm] = hex
        }
        guard digest["sha256"] != nil || digest[ManifestURI.treeDigestKey] != nil else {
            throw .phrase(
                "has resolvedDependencies[\(i)] (\(uri)) with neither a sha256 nor a \(ManifestURI.treeDigestKey) digest"
            )
        }
        var annotations: [String: JSONValue] = [:]
        if let value = dep["annotations"] {
            guard let object = value.objectValue else {
                throw .phrase("has resolvedDependencies[\(i)] (\(uri)) with annotations that are not an object")
            }
            annotations = object
        }
        self.init(name: name, uri: uri, digest: digest, annotations: annotations)
    }
}
