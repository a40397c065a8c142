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
    public static func sourceTree(name: String = "source", uri: String, treeDigest: String) throws(ReproError) -> ResolvedDependency {
        guard treeDigest.hasPrefix("t1:"), Hex.isLowercase(String(treeDigest.dropFirst(3)), length: 64) else {
            throw .configuration("the source tree digest \"\(treeDigest)\" is not of the form t1:<64 lowercase hex>")
        }
        return ResolvedDependency(name: name, uri: uri, digest: [ManifestURI.treeDigestKey: String(treeDigest.dropFirst(3))])
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
        var members: [String: JSONValue] = ["name": .string(name), "uri": .string(uri), "digest": .object(digest.mapValues { .string($0) })]
        if !annotations.isEmpty { members["annotations"] = .object(annotations) }
        return .object(members)
    }
}

/// Everything the SLSA provenance v1 statement of a check records.
public struct ProvenanceInputs: Sendable {
    /// The output files, by path relative to the source root, with their SHA-256.
    public var subjects: [Subject]
    /// `buildDefinition.buildType`.
    public var buildType: String = ManifestURI.buildType
    /// `externalParameters.command`: the build command's argv.
    public var command: [String]
    /// `externalParameters.profile`: the sandbox profile's name.
    public var profile: String
    /// `externalParameters.config`: the project configuration as JSON.
    public var config: JSONValue
    /// `internalParameters.normalization`: the normalization values applied (e.g. `SOURCE_DATE_EPOCH`).
    public var normalization: [String: String]
    /// `internalParameters.isolation`: the isolation the sandbox achieved.
    public var isolation: JSONValue
    /// `internalParameters.environment`: the build's whole environment, as every run got it
    /// (written when not empty; bundles from before it was recorded have none).
    public var environment: [String: String] = [:]
    /// `buildDefinition.resolvedDependencies`: every toolchain archive and the source snapshot.
    public var dependencies: [ResolvedDependency]
    /// `runDetails.builder.id`.
    public var builderID: String = ManifestURI.builderID
    /// repro's version, written as `runDetails.builder.version.repro`.
    public var reproVersion: String
    /// `runDetails.metadata.invocationId`: unique per check.
    public var invocationID: String
    /// When the check started.
    public var startedOn: Date
    /// When the check finished.
    public var finishedOn: Date

    /// Creates the inputs; `buildType` and `builderID` take the documented defaults.
    public init(subjects: [Subject], command: [String], profile: String, config: JSONValue,
                normalization: [String: String], isolation: JSONValue, dependencies: [ResolvedDependency],
                reproVersion: String, invocationID: String, startedOn: Date, finishedOn: Date) {
        self.subjects = subjects
        self.command = command
        self.profile = profile
        self.config = config
        self.normalization = normalization
        self.isolation = isolation
        self.dependencies = dependencies
        self.reproVersion = reproVersion
        self.invocationID = invocationID
        self.startedOn = startedOn
        self.finishedOn = finishedOn
    }

    /// `internalParameters`: normalization, isolation and (when recorded) the environment.
    var internalParameters: [String: JSONValue] {
        var members: [String: JSONValue] = [
            "normalization": .object(normalization.mapValues { .string($0) }),
            "isolation": isolation,
        ]
        if !environment.isEmpty { members["environment"] = .object(environment.mapValues { .string($0) }) }
        return members
    }

    /// The SLSA provenance v1 statement.
    public var statement: Statement {
        let predicate: JSONValue = .object([
            "buildDefinition": .object([
                "buildType": .string(buildType),
                "externalParameters": .object([
                    "command": .array(command.map { .string($0) }),
                    "profile": .string(profile),
                    "config": config,
                ]),
                "internalParameters": .object(internalParameters),
                "resolvedDependencies": .array(dependencies.map(\.jsonValue)),
            ]),
            "runDetails": .object([
                "builder": .object(["id": .string(builderID), "version": .object(["repro": .string(reproVersion)])]),
                "metadata": .object([
                    "invocationId": .string(invocationID),
                    "startedOn": .string(RFC3339.format(startedOn)),
                    "finishedOn": .string(RFC3339.format(finishedOn)),
                ]),
            ]),
        ])
        return Statement(subjects: subjects, predicateType: ManifestURI.slsaProvenance, predicate: predicate)
    }
}

/// What a verified SLSA provenance statement says, checked field by field.
public struct ProvenanceSummary: Sendable, Equatable {
    /// The statement's subjects.
    public var subjects: [Subject]
    /// `buildDefinition.buildType`.
    public var buildType: String
    /// `externalParameters.command`.
    public var command: [String]
    /// `externalParameters.profile`.
    public var profile: String
    /// `resolvedDependencies`.
    public var dependencies: [ResolvedDependency]
    /// `externalParameters.config`: the project configuration as JSON.
    public var config: JSONValue = .object([:])
    /// `internalParameters.normalization`.
    public var normalization: [String: String] = [:]
    /// `internalParameters.environment`, nil in bundles from before it was recorded.
    public var environment: [String: String]?
    /// `runDetails.builder.id`.
    public var builderID: String
    /// `runDetails.builder.version.repro`, if present.
    public var reproVersion: String?
    /// `metadata.invocationId`.
    public var invocationID: String
    /// `metadata.startedOn`, as written.
    public var startedOn: String
    /// `metadata.finishedOn`, as written.
    public var finishedOn: String

    /// The source snapshot dependencies (those with a `repro-tree-v1` digest).
    public var sources: [ResolvedDependency] { dependencies.filter { $0.digest[ManifestURI.treeDigestKey] != nil } }
    /// The toolchain archives (the other dependencies, but the profile).
    public var toolchains: [ResolvedDependency] {
        dependencies.filter { $0.digest[ManifestURI.treeDigestKey] == nil && $0.name != ManifestURI.profileDependencyName }
    }
    /// The sandbox profile, when recorded (bundles from before it was recorded have none).
    public var profileDependency: ResolvedDependency? {
        dependencies.first { $0.name == ManifestURI.profileDependencyName && $0.digest[ManifestURI.treeDigestKey] == nil }
    }

    /// Checks a statement's SLSA provenance predicate strictly (repro's build type only).
    public init(validating statement: Statement) throws(ReproError) {
        guard statement.predicateType == ManifestURI.slsaProvenance else {
            throw .verification("the predicate type is \"\(statement.predicateType)\", not \"\(ManifestURI.slsaProvenance)\"")
        }
        let p = statement.predicate
        func fail(_ what: String) -> ReproError { .verification("the SLSA provenance predicate \(what)") }
        guard let definition = p["buildDefinition"]?.objectValue else { throw fail("has no buildDefinition object") }
        guard let buildType = definition["buildType"]?.stringValue else { throw fail("has no buildDefinition.buildType") }
        guard buildType == ManifestURI.buildType else {
            throw fail("has buildType \"\(buildType)\"; repro verifies only \"\(ManifestURI.buildType)\"")
        }
        guard let external = definition["externalParameters"]?.objectValue else { throw fail("has no externalParameters object") }
        guard let argv = external["command"]?.arrayValue, !argv.isEmpty else { throw fail("has no externalParameters.command array") }
        var command: [String] = []
        for arg in argv {
            guard let s = arg.stringValue else { throw fail("has a command argument that is not a string") }
            command.append(s)
        }
        guard let profile = external["profile"]?.stringValue else { throw fail("has no externalParameters.profile") }
        guard external["config"]?.objectValue != nil else { throw fail("has no externalParameters.config object") }
        guard let internalParameters = definition["internalParameters"]?.objectValue else { throw fail("has no internalParameters object") }
        guard let normalization = internalParameters["normalization"]?.objectValue,
              normalization.values.allSatisfy({ $0.stringValue != nil }) else {
            throw fail("has no internalParameters.normalization object of strings")
        }
        guard internalParameters["isolation"] != nil else { throw fail("has no internalParameters.isolation") }
        var environment: [String: String]?
        if let value = internalParameters["environment"] {
            guard let object = value.objectValue, object.values.allSatisfy({ $0.stringValue != nil }) else {
                throw fail("has an internalParameters.environment that is not an object of strings")
            }
            environment = object.compactMapValues(\.stringValue)
        }
        guard let deps = definition["resolvedDependencies"]?.arrayValue else { throw fail("has no resolvedDependencies array") }
        var dependencies: [ResolvedDependency] = []
        for (i, dep) in deps.enumerated() {
            guard let uri = dep["uri"]?.stringValue, !uri.isEmpty else { throw fail("has resolvedDependencies[\(i)] without a uri") }
            let name = dep["name"]?.stringValue ?? ""
            guard let digestObject = dep["digest"]?.objectValue, !digestObject.isEmpty else {
                throw fail("has resolvedDependencies[\(i)] (\(uri)) without a digest")
            }
            var digest: [String: String] = [:]
            for (algorithm, value) in digestObject {
                guard let hex = value.stringValue else { throw fail("has a non-string digest in resolvedDependencies[\(i)]") }
                if algorithm == "sha256" || algorithm == ManifestURI.treeDigestKey, !Hex.isLowercase(hex, length: 64) {
                    throw fail("has a \(algorithm) digest in resolvedDependencies[\(i)] (\(uri)) that is not 64 lowercase hex digits")
                }
                digest[algorithm] = hex
            }
            guard digest["sha256"] != nil || digest[ManifestURI.treeDigestKey] != nil else {
                throw fail("has resolvedDependencies[\(i)] (\(uri)) with neither a sha256 nor a \(ManifestURI.treeDigestKey) digest")
            }
            var annotations: [String: JSONValue] = [:]
            if let value = dep["annotations"] {
                guard let object = value.objectValue else { throw fail("has resolvedDependencies[\(i)] (\(uri)) with annotations that are not an object") }
                annotations = object
            }
            dependencies.append(ResolvedDependency(name: name, uri: uri, digest: digest, annotations: annotations))
        }
        guard let run = p["runDetails"]?.objectValue else { throw fail("has no runDetails object") }
        guard let builderID = run["builder"]?["id"]?.stringValue, !builderID.isEmpty else { throw fail("has no runDetails.builder.id") }
        let version = run["builder"]?["version"]?["repro"]?.stringValue
        guard let metadata = run["metadata"]?.objectValue else { throw fail("has no runDetails.metadata object") }
        guard let invocationID = metadata["invocationId"]?.stringValue, !invocationID.isEmpty else {
            throw fail("has no metadata.invocationId")
        }
        guard let startedOn = metadata["startedOn"]?.stringValue, RFC3339.parse(startedOn) != nil else {
            throw fail("has no RFC 3339 metadata.startedOn")
        }
        guard let finishedOn = metadata["finishedOn"]?.stringValue, RFC3339.parse(finishedOn) != nil else {
            throw fail("has no RFC 3339 metadata.finishedOn")
        }
        self.subjects = statement.subjects
        self.buildType = buildType
        self.command = command
        self.profile = profile
        self.dependencies = dependencies
        self.config = external["config"] ?? .object([:])
        self.normalization = normalization.compactMapValues(\.stringValue)
        self.environment = environment
        self.builderID = builderID
        self.reproVersion = version
        self.invocationID = invocationID
        self.startedOn = startedOn
        self.finishedOn = finishedOn
    }
}
