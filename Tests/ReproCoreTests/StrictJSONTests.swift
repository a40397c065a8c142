import Foundation
import Testing
@testable import ReproCore

@Suite struct StrictJSONTests {
    func parse(_ text: String) throws -> JSONValue { try StrictJSON.parse(Data(text.utf8)) }

    func reason(_ bytes: [UInt8]) -> String? {
        do {
            _ = try StrictJSON.parse(Data(bytes))
            return nil
        } catch { return error.reason }
    }

    @Test func readsOrdinaryDocuments() throws {
        let value = try parse(#" {"a": [1, -2, 3.5, 1e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}} "#)
        #expect(value == ["a": [1, -2, .number(3.5), .number(1000), true, false, nil, "x\né😀"], "b": .object([:])])
    }

    @Test func rejectsDuplicateKeysThatJSONSerializationAccepts() throws {
        let text = #"{"_type": "https://in-toto.io/Statement/v1", "_type": "evil"}"#
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
        #expect(reason(Array(text.utf8)) == #"duplicate key "_type""#)
        #expect(reason(Array(#"{"a": {"b": 1, "b": 1}}"#.utf8)) == #"duplicate key "b""#)
        // The same key spelled with an escape is still the same key.
        #expect(reason(Array(#"{"ab": 1, "a\u0062": 2}"#.utf8)) == #"duplicate key "ab""#)
    }

    @Test func rejectsWhatCouldBeReadTwoWays() {
        #expect(reason(Array(#"{"a": 1} x"#.utf8)) != nil)
        #expect(reason(Array(#"{"a": 01}"#.utf8)) != nil)
        #expect(reason(Array(#"["\ud800"]"#.utf8)) != nil)
        #expect(reason(Array(#"["\udc00\ud800"]"#.utf8)) != nil)
        #expect(reason([0x22, 0xC0, 0xAF, 0x22]) == "invalid UTF-8")  // overlong '/'
        #expect(reason([0x22, 0xED, 0xA0, 0x80, 0x22]) == "invalid UTF-8")  // encoded surrogate
        #expect(reason([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) != nil)  // byte-order mark
        #expect(reason(Array("[\"a\tb\"]".utf8)) != nil)  // raw control character
        #expect(reason(Array("{'a': 1}".utf8)) != nil)
        #expect(reason(Array("[1,]".utf8)) != nil)
        #expect(reason(Array("NaN".utf8)) != nil)
        #expect(reason(Array("1e999".utf8)) != nil)
        #expect(
            reason(Array(String(repeating: "[", count: 200).utf8) + Array(String(repeating: "]", count: 200).utf8))
                != nil)
        #expect(reason([]) != nil)
    }

    @Test func serializesSortedCompactAndRoundTrips() throws {
        let value: JSONValue = ["b": 1, "a": ["é", "q\"\\\u{1}"], "B": nil, "aa": .number(0.25)]
        #expect(value.serializedString == #"{"B":null,"a":["é","q\"\\\u0001"],"aa":0.25,"b":1}"#)
        #expect(try StrictJSON.parse(value.serialized()) == value)
    }
}
