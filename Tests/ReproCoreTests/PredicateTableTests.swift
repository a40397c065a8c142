import Foundation
import Testing
@testable import ReproCore

/// One row of a predicate table is all a member needs: it is written, read strictly with its
/// sentence, reported in `repro verify --json`, given a human line and stated in the schema.
@Suite struct PredicateTableTests {
    struct Toy: Equatable {
        var name = ""
        var level: Int?
    }

    static let table = PredicateTable<Toy>(
        blank: Toy(),
        fields: [
            .init(
                "about.name", \.name, .nonEmptyString, missing: "has no about.name", doc: "The name.", report: "name"),
            .init(
                "level", \.level, .optional(.integer(minimum: 0)), missing: "has a level that is not a natural number",
                doc: "How deep.", report: "level", reportNull: true, human: "level"),
        ], objects: [.init("about", missing: "has no about object", closed: true)])

    func read(_ value: JSONValue) -> Result<Toy, ReproError> {
        Result { () throws(ReproError) in try Self.table.read(value, context: FieldContext(prefix: "the toy ")) }
    }

    @Test func oneRowWritesReadsReportsPrintsAndDocuments() throws {
        let toy = Toy(name: "a", level: 3)
        let members = Self.table.members(toy)
        #expect(JSONValue.object(members).serializedString == #"{"about":{"name":"a"},"level":3}"#)
        #expect(try read(.object(members)).get() == toy)
        #expect(JSONValue.object(Self.table.report(toy)).serializedString == #"{"level":3,"name":"a"}"#)
        #expect(JSONValue.object(Self.table.report(Toy(name: "b"))).serializedString == #"{"level":null,"name":"b"}"#)
        #expect(Self.table.humanLines(toy) == ["level:      3"])
        #expect(Self.table.humanLines(Toy(name: "b")).isEmpty)
        #expect(
            JSONValue.object(Self.table.schema).serializedString
                == #"{"additionalProperties":false,"properties":{"about":{"additionalProperties":false,"properties":{"name":{"description":"The name.","minLength":1,"type":"string"}},"required":["name"],"type":"object"},"level":{"description":"How deep.","minimum":0,"type":"integer"}},"required":["about"],"type":"object"}"#
        )
    }

    @Test func eachMemberIsRefusedWithItsSentenceInTableOrder() {
        let cases: [(JSONValue, String?)] = [
            (["level": 1], "the toy has no about object"),
            (["about": "x"], "the toy has no about object"),
            (["about": [:]], "the toy has no about.name"),
            (["about": ["name": ""]], "the toy has no about.name"),
            (["about": ["name": "a"], "level": -1], "the toy has a level that is not a natural number"),
            (["about": ["name": "a"], "level": "1"], "the toy has a level that is not a natural number"),
            (["about": ["name": "a"], "level": .integer(Int64.max)], nil),
            (["about": ["name": "a", "unknown": 1], "other": true], nil),
        ]
        for (value, expected) in cases {
            switch read(value) {
            case .success: #expect(expected == nil, "\(value.serializedString)")
            case .failure(let error):
                #expect(error.message == expected, "\(value.serializedString)")
                #expect(error.status == .verificationFailed)
            }
        }
    }
}
