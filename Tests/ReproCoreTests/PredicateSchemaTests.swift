import Foundation
import Testing
@testable import ReproCore

/// The JSON Schemas in docs/schemas state exactly what the predicate tables describe, so a
/// field added to a table without its schema (or the other way round) fails here.
@Suite struct PredicateSchemaTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/schemas").path

    /// The schema file `name` without its header (`$schema`, `title`), and its `$id`.
    func file(_ name: String) throws -> (schema: JSONValue, id: String?) {
        var object =
            try StrictJSON.parse(Data(contentsOf: URL(fileURLWithPath: Self.directory + "/" + name))).objectValue ?? [:]
        let id = object.removeValue(forKey: "$id")?.stringValue
        object["$schema"] = nil
        object["title"] = nil
        return (Self.normalized(.object(object)), id)
    }

    /// `value` with every `required` list sorted (their order means nothing).
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (key, member) in members {
                if key == "required", let list = member.arrayValue {
                    out[key] = .array(list.compactMap(\.stringValue).sorted().map { .string($0) })
                } else {
                    out[key] = normalized(member)
                }
            }
            return .object(out)
        case .array(let list): return .array(list.map(normalized))
        default: return value
        }
    }

    @Test func theReproducibilitySchemaIsTheTable() throws {
        let (schema, id) = try file("reproducibility-v1.json")
        let derived = Self.normalized(.object(ReproducibilityPredicate.table.schema))
        #expect(id == ManifestURI.reproducibility)
        #expect(schema == derived, "docs/schemas/reproducibility-v1.json should state: \(derived.serializedString)")
    }

    @Test func theBuildTypeSchemaIsTheTable() throws {
        let (schema, id) = try file("buildtype-check-v1.json")
        let derived = Self.normalized(Provenance.table.schema["properties"]?["buildDefinition"] ?? .null)
        #expect(id == ManifestURI.buildType)
        #expect(schema == derived, "docs/schemas/buildtype-check-v1.json should state: \(derived.serializedString)")
    }
}
