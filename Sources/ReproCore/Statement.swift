import FoundationEssentials
import Glibc

/// The stable URIs and names repro writes into manifests (documented in docs/manifest.md).
public enum ManifestURI {
    /// in-toto Statement v1 `_type`.
    public static let statementType = "https://in-toto.io/Statement/v1"
    /// SLSA provenance v1 predicate type.
    public static let slsaProvenance = "https://slsa.dev/provenance/v1"
    /// repro's reproducibility predicate type (schema: docs/schemas/reproducibility-v1.json).
    public static let reproducibility = "https://repro.dev/reproducibility/v1"
    /// `buildDefinition.buildType` of a `repro check`: two sandboxed runs of one command.
    public static let buildType = "https://repro.dev/buildtypes/check/v1"
    /// The default `runDetails.builder.id`: repro running on the signer's own machine.
    public static let builderID = "https://repro.dev/builders/local/v1"
    /// The digest-set key of a repro tree digest (`t1:<hex>` is written as `{"repro-tree-v1": "<hex>"}`).
    public static let treeDigestKey = "repro-tree-v1"
    /// The digest-set key of the git commit a source snapshot equals (in-toto's `gitCommit`).
    public static let gitCommitKey = "gitCommit"
    /// The `name` of the resolved dependency that records the sandbox profile (its URI is
    /// `repro:profiles/NAME` for a built-in profile, else `file://PATH`; its digest the SHA-256
    /// of its text). No toolchain may take this name.
    public static let profileDependencyName = "profile"
}

/// One subject of a statement: an output file by its path relative to the source root.
public struct Subject: Sendable, Equatable, Hashable {
    /// The path relative to the source root, `/`-separated, no `.` or `..` components.
    public var name: String
    /// The SHA-256 of the file's bytes, 64 lowercase hex digits.
    public var sha256: String

    /// Creates a subject.
    public init(name: String, sha256: String) {
        self.name = name
        self.sha256 = sha256
    }
}

/// An in-toto Statement v1: subjects, a predicate type, and the predicate.
public struct Statement: Sendable, Equatable {
    /// The artifacts the statement is about, sorted by name.
    public var subjects: [Subject]
    /// The predicate type URI.
    public var predicateType: String
    /// The predicate.
    public var predicate: JSONValue

    /// Creates a statement; subjects are sorted by name when written.
    public init(subjects: [Subject], predicateType: String, predicate: JSONValue) {
        self.subjects = subjects
        self.predicateType = predicateType
        self.predicate = predicate
    }

    /// The statement as a JSON value, subjects sorted by name.
    public var jsonValue: JSONValue {
        let sorted = subjects.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        return .object([
            "_type": .string(ManifestURI.statementType),
            "subject": .array(
                sorted.map { .object(["name": .string($0.name), "digest": .object(["sha256": .string($0.sha256)])]) }),
            "predicateType": .string(predicateType),
            "predicate": predicate,
        ])
    }

    /// Reads a statement from a parsed payload, checking `_type`, the subjects (unique safe
    /// relative names, a `sha256` of 64 lowercase hex each) and that the predicate is an object.
    public init(validating value: JSONValue) throws(ReproError) {
        guard let object = value.objectValue else { throw .verification("the statement is not a JSON object") }
        guard let type = object["_type"]?.stringValue else {
            throw .verification("the statement has no string \"_type\"")
        }
        guard type == ManifestURI.statementType else {
            throw .verification("the statement's _type is \"\(type)\", not \"\(ManifestURI.statementType)\"")
        }
        guard let predicateType = object["predicateType"]?.stringValue else {
            throw .verification("the statement has no string \"predicateType\"")
        }
        guard let predicate = object["predicate"], predicate.objectValue != nil else {
            throw .verification("the statement has no \"predicate\" object")
        }
        guard let list = object["subject"]?.arrayValue else {
            throw .verification("the statement has no \"subject\" array")
        }
        var subjects: [Subject] = []
        var seen = Set<String>()
        for (i, entry) in list.enumerated() {
            guard let name = entry["name"]?.stringValue else {
                throw .verification("subject \(i + 1) has no string \"name\"")
            }
            if let problem = Statement.pathProblem(name) { throw .verification("subject \"\(name)\": \(problem)") }
            guard seen.insert(name).inserted else { throw .verification("subject \"\(name)\" is listed twice") }
            guard let digest = entry["digest"]?.objectValue, let sha = digest["sha256"] else {
                throw .verification("subject \"\(name)\" has no digest.sha256")
            }
            guard let hex = sha.stringValue, Hex.isLowercase(hex, length: 64) else {
                throw .verification("subject \"\(name)\" has a sha256 digest that is not 64 lowercase hex digits")
            }
            subjects.append(Subject(name: name, sha256: hex))
        }
        self.init(subjects: subjects, predicateType: predicateType, predicate: predicate)
    }

    /// Why `path` is not a safe relative output path, or nil if it is one.
    public static func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return "the name is empty" }
        if path.hasPrefix("/") { return "the name is an absolute path; subjects are relative to the source root" }
        if path.utf8.contains(0) { return "the name contains a NUL byte" }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." || component == ".." {
                return "the name has an empty, `.` or `..` component"
            }
        }
        return nil
    }
}

/// RFC 3339 timestamps in UTC, as manifests write them (`2026-01-02T03:04:05Z`).
public enum RFC3339 {
    /// Formats `date` in UTC with whole seconds.
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return String(seconds) }
        return String(
            printf: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int32(parts.tm_year) + 1900, parts.tm_mon + 1,
            parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// Whether `text` is an RFC 3339 timestamp but for its leap second (`…T23:59:60Z`), which
    /// ``parse(_:)`` refuses.
    public static func isLeapSecond(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[16] == UInt8(ascii: ":"), bytes[17] == UInt8(ascii: "6"),
            bytes[18] == UInt8(ascii: "0")
        else { return false }
        var normal = bytes
        normal[17] = UInt8(ascii: "5")
        normal[18] = UInt8(ascii: "9")
        return parse(String(decoding: normal, as: UTF8.self)) != nil
    }

    /// Parses an RFC 3339 timestamp with or without fractional seconds. A leap second (`:60`),
    /// which RFC 3339 allows, is refused: in-toto and SLSA provenance timestamps are protobuf
    /// `Timestamp`s, which have none (every minute has 60 seconds; leap seconds are smeared),
    /// and the Go verifiers of those formats (`time.Parse`) refuse second 60, so a manifest
    /// holding one is not one that others can read.
    public static func parse(_ text: String) -> Date? {
        // YYYY-MM-DDTHH:MM:SS...: the seconds' tens digit is at offset 17.
        let bytes = Array(text.utf8.prefix(19))
        guard bytes.count == 19, bytes[16] == UInt8(ascii: ":"), bytes[17] <= UInt8(ascii: "5") else { return nil }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
