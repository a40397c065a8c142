import FoundationEssentials

// The signed predicates (SLSA provenance, reproducibility) are described once, field by field,
// in a `PredicateTable`: each `PredicateField` says where the member sits, how its value is
// written and read (a `FieldCodec`), the sentence that refuses it, its JSON Schema description,
// its key in `repro verify --json` and, optionally, its line in `repro verify`'s human output.
// Writing, validating, the verify report and the schemas in docs/schemas are derived from the
// tables (PredicateSchemaTests compares the files with them).

/// Where a field is being read: the words that start its failure sentences.
struct FieldContext {
    /// The start of every sentence about this record, with its trailing space
    /// (`the reproducibility predicate has run 2 `).
    var prefix: String
    /// The element's position in its list, from 0 (0 outside lists).
    var index = 0
    /// The prefix of the record that holds this one's list (for sentences about the list).
    var outerPrefix = ""

    /// The failure (exit 5) saying `phrase` about this record.
    func failure(_ phrase: String) -> ReproError { .verification(prefix + phrase) }
}

/// What is wrong with a member, before the field puts it into words.
enum FieldProblem: Error {
    /// Absent, or not of the field's shape: the field's `missing` sentence.
    case missing
    /// Of the field's shape but with a bad part: the field's `invalid` sentence (else `missing`).
    case invalid
    /// A phrase the codec words itself (it names the bad value).
    case phrase(String)
    /// A whole failure, from a nested record.
    case failed(ReproError)
}

/// How one kind of value is written to JSON, read back strictly, and described in JSON Schema.
struct FieldCodec<Value> {
    /// The member's JSON, nil when it is not written (an absent optional).
    var encode: (Value) -> JSONValue?
    /// Reads the member (nil when absent) or throws what is wrong with it.
    var decode: (JSONValue?, FieldContext) throws(FieldProblem) -> Value
    /// The value's JSON Schema (no description).
    var schema: [String: JSONValue]
    /// Whether the schema lists the member as required.
    var required = true
    /// The member's JSON in `repro verify --json`, nil when it is left out (default: `encode`).
    var report: ((Value) -> JSONValue?)?
}

extension FieldCodec where Value == String {
    /// Any string.
    static var string: FieldCodec {
        FieldCodec(
            encode: { .string($0) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue else { throw .missing }
                return s
            }, schema: ["type": "string"])
    }

    /// A string of at least one character.
    static var nonEmptyString: FieldCodec {
        FieldCodec(
            encode: { .string($0) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue, !s.isEmpty else { throw .missing }
                return s
            }, schema: ["type": "string", "minLength": 1])
    }

    /// A string equal to `value`; `other` words the refusal of another one.
    static func constant(_ value: String, other: @escaping (String) -> String) -> FieldCodec {
        FieldCodec(
            encode: { .string($0) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue else { throw .missing }
                guard s == value else { throw .phrase(other(s)) }
                return s
            }, schema: ["const": .string(value)])
    }

    /// An RFC 3339 timestamp, kept as written.
    static var timestamp: FieldCodec {
        FieldCodec(
            encode: { .string($0) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue else { throw .missing }
                guard RFC3339.parse(s) != nil else {
                    if RFC3339.isLeapSecond(s) {
                        throw .phrase(
                            "has the timestamp \(JSONValue.string(s).serializedString) with a leap second (second 60), which in-toto and SLSA timestamps (protobuf Timestamps, where every minute has 60 seconds) cannot hold"
                        )
                    }
                    throw .missing
                }
                return s
            }, schema: ["type": "string", "format": "date-time"])
    }

    /// A string of exactly 64 lowercase hex digits (a SHA-256 or a keyid).
    static var sha256: FieldCodec {
        FieldCodec(
            encode: { .string($0) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue, Hex.isLowercase(s, length: 64) else { throw .missing }
                return s
            }, schema: ["type": "string", "pattern": "^[0-9a-f]{64}$"])
    }
}

extension FieldCodec where Value == [String] {
    /// A list of strings (`missing` when not a list or, if `nonEmpty`, empty; `invalid` for an
    /// item that is not a string, or, with `item`, that `item` refuses).
    static func strings(nonEmpty: Bool, item: FieldCodec<String> = .string) -> FieldCodec {
        var schema: [String: JSONValue] = ["type": "array", "items": .object(item.schema)]
        if nonEmpty { schema["minItems"] = 1 }
        return FieldCodec(
            encode: { .array($0.map { .string($0) }) },
            decode: { v, context throws(FieldProblem) in
                guard let list = v?.arrayValue, !(nonEmpty && list.isEmpty) else { throw .missing }
                var out: [String] = []
                for value in list {
                    do { out.append(try item.decode(value, context)) } catch { throw .invalid }
                }
                return out
            }, schema: schema)
    }
}

extension FieldCodec where Value == [String: String] {
    /// An object whose values are all strings.
    static var stringMap: FieldCodec {
        FieldCodec(
            encode: { .object($0.mapValues { .string($0) }) },
            decode: { v, _ throws(FieldProblem) in
                guard let object = v?.objectValue, object.values.allSatisfy({ $0.stringValue != nil }) else {
                    throw .missing
                }
                return object.compactMapValues(\.stringValue)
            }, schema: ["type": "object", "additionalProperties": ["type": "string"]])
    }
}

extension FieldCodec where Value == JSONValue {
    /// Any JSON object, kept as it is.
    static var object: FieldCodec {
        FieldCodec(
            encode: { $0 },
            decode: { v, _ throws(FieldProblem) in
                guard let v, v.objectValue != nil else { throw .missing }
                return v
            }, schema: ["type": "object"])
    }

    /// Any JSON value, kept as it is.
    static var any: FieldCodec {
        FieldCodec(
            encode: { $0 },
            decode: { v, _ throws(FieldProblem) in
                guard let v else { throw .missing }
                return v
            }, schema: [:])
    }
}

extension FieldCodec {
    /// One of an enumeration's raw values.
    static func oneOf(_ type: Value.Type) -> FieldCodec
    where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
        FieldCodec(
            encode: { .string($0.rawValue) },
            decode: { v, _ throws(FieldProblem) in
                guard let s = v?.stringValue, let value = Value(rawValue: s) else { throw .missing }
                return value
            }, schema: ["enum": .array(Value.allCases.map { .string($0.rawValue) })])
    }

    /// An integer of `Value`'s range, at least `minimum` when one is given.
    static func integer(minimum: Value? = nil) -> FieldCodec where Value: FixedWidthInteger {
        var schema: [String: JSONValue] = ["type": "integer"]
        if let minimum { schema["minimum"] = .integer(Int64(minimum)) }
        return FieldCodec(
            encode: { .integer(Int64($0)) },
            decode: { v, _ throws(FieldProblem) in
                guard let n = v?.integerValue, let value = Value(exactly: n), value >= minimum ?? Value.min else {
                    throw .missing
                }
                return value
            }, schema: schema)
    }

    /// The member may be absent (nil); present, it must be a valid `wrapped` (else the field's
    /// `invalid` sentence). Not written when nil or, with `omitEmpty`, when it encodes as an
    /// empty object or list.
    static func optional<Wrapped>(_ wrapped: FieldCodec<Wrapped>, omitEmpty: Bool = false) -> FieldCodec
    where Value == Wrapped? {
        FieldCodec(
            encode: { value in
                guard let value, let json = wrapped.encode(value) else { return nil }
                if omitEmpty, json.objectValue?.isEmpty == true || json.arrayValue?.isEmpty == true { return nil }
                return json
            },
            decode: { v, context throws(FieldProblem) in
                guard let v else { return nil }
                do throws(FieldProblem) { return try wrapped.decode(v, context) } catch {
                    if case .missing = error { throw .invalid }
                    throw error
                }
            }, schema: wrapped.schema, required: false,
            report: { value in
                guard let value else { return nil }
                if let report = wrapped.report { return report(value) }
                return wrapped.encode(value)
            })
    }

    /// The member is always written, `null` for nil.
    static func nullable<Wrapped>(_ wrapped: FieldCodec<Wrapped>) -> FieldCodec where Value == Wrapped? {
        var schema = wrapped.schema
        if case .string(let type)? = schema["type"] { schema["type"] = [.string(type), "null"] }
        if case .object(var items)? = schema["items"], case .string(let type)? = items["type"] {
            items["type"] = [.string(type), "null"]
            schema["items"] = .object(items)
        }
        return FieldCodec(
            encode: { $0.flatMap(wrapped.encode) ?? .null },
            decode: { v, context throws(FieldProblem) in
                if case .null? = v { return nil }
                guard let v else { throw .missing }
                return try wrapped.decode(v, context)
            }, schema: schema)
    }

    /// A list of records described by `table` (`missing` when not a list or, if `nonEmpty`,
    /// empty). `label` names item `i` in sentences about it (`has run 2`), given what has been
    /// read of it so far; with `itemFailure`, any bad item is refused with that phrase instead.
    static func records<Element>(
        _ table: PredicateTable<Element>, nonEmpty: Bool = false, itemFailure: ((Int) -> String)? = nil,
        label: ((Int, Element) -> String)? = nil
    ) -> FieldCodec where Value == [Element] {
        var schema: [String: JSONValue] = ["type": "array", "items": .object(table.schema)]
        if nonEmpty { schema["minItems"] = 1 }
        return FieldCodec(
            encode: { .array($0.map { .object(table.members($0)) }) },
            decode: { v, context throws(FieldProblem) in
                guard let list = v?.arrayValue, !(nonEmpty && list.isEmpty) else { throw .missing }
                var out: [Element] = []
                for (i, item) in list.enumerated() {
                    let itemContext = FieldContext(prefix: context.prefix, index: i, outerPrefix: context.prefix)
                    do throws(ReproError) {
                        out.append(
                            try table.read(item, context: itemContext, label: label.map { label in { label(i, $0) } }))
                    } catch {
                        if let itemFailure { throw .phrase(itemFailure(i)) }
                        throw .failed(error)
                    }
                }
                return out
            }, schema: schema, report: { .array($0.map { .object(table.report($0)) }) })
    }

    /// One record described by `table`, whose sentences start with `prefix`.
    static func record(_ table: PredicateTable<Value>, prefix: String) -> FieldCodec {
        FieldCodec(
            encode: { .object(table.members($0)) },
            decode: { v, context throws(FieldProblem) in
                do throws(ReproError) {
                    return try table.read(
                        v ?? .null, context: FieldContext(prefix: prefix, outerPrefix: context.prefix))
                } catch {
                    throw .failed(error)
                }
            }, schema: table.schema, report: { .object(table.report($0)) })
    }

    /// A list that may be absent (read as empty) and is not written when empty.
    static func omittedWhenEmpty<Element>(_ list: FieldCodec<[Element]>) -> FieldCodec where Value == [Element] {
        FieldCodec(
            encode: { $0.isEmpty ? nil : list.encode($0) },
            decode: { v, context throws(FieldProblem) in
                guard let v else { return [] }
                return try list.decode(v, context)
            }, schema: list.schema, required: false, report: list.report)
    }

    /// The same codec, its schema stating `extra` as well (a rule the writer keeps that the
    /// reader leaves to another check).
    func schema(adding extra: [String: JSONValue]) -> FieldCodec {
        var codec = self
        codec.schema.merge(extra) { _, new in new }
        return codec
    }
}

/// One member of a predicate (or of a record inside one), described once.
struct PredicateField<Record> {
    /// The member's keys from the record's object (`buildDefinition.externalParameters.command`).
    var path: [String]
    /// Its description in the JSON Schema.
    var doc: String?
    /// Whether the schema lists it as required.
    var required: Bool
    /// Its JSON Schema, description included.
    var schema: [String: JSONValue]
    /// Its JSON from a record; nil when it is not written.
    var write: (Record) -> JSONValue?
    /// Reads it into a record, or throws its sentence.
    var read: (inout Record, JSONValue?, FieldContext) throws(ReproError) -> Void
    /// Its keys in `repro verify --json`, nil when the report leaves it out.
    var reportPath: [String]?
    /// Its JSON in the report.
    var reportValue: (Record) -> JSONValue?
    /// Its label in `repro verify`'s human output, nil when it has no line of its own.
    var human: String?

    /// A member at `path` (dot-separated) holding `keyPath`'s value as `codec` writes and reads it.
    ///
    /// `missing` is the sentence for an absent or malformed member and `invalid` the one for a
    /// bad part (defaults to `missing`), both said after the record's prefix. `report` is the
    /// member's dot-separated key in `repro verify --json` (nil: not reported; `reportNull`: a
    /// nil value is reported as null rather than left out); `human`, a label for a line of its
    /// own in `repro verify`'s output.
    init<Value>(
        _ path: String, _ keyPath: WritableKeyPath<Record, Value>, _ codec: FieldCodec<Value>,
        missing: String, invalid: String? = nil, doc: String? = nil,
        report: String? = nil, reportNull: Bool = false, human: String? = nil
    ) {
        self.path = path.split(separator: ".").map(String.init)
        self.doc = doc
        self.required = codec.required
        var schema = codec.schema
        if let doc { schema["description"] = .string(doc) }
        self.schema = schema
        self.write = { codec.encode($0[keyPath: keyPath]) }
        self.read = { record, value, context throws(ReproError) in
            do throws(FieldProblem) {
                record[keyPath: keyPath] = try codec.decode(value, context)
            } catch {
                switch error {
                case .missing: throw context.failure(missing)
                case .invalid: throw context.failure(invalid ?? missing)
                case .phrase(let phrase): throw context.failure(phrase)
                case .failed(let failure): throw failure
                }
            }
        }
        self.reportPath = report.map { $0.split(separator: ".").map(String.init) }
        let reportEncode = codec.report ?? codec.encode
        self.reportValue = { record -> JSONValue? in
            if let value = reportEncode(record[keyPath: keyPath]) { return value }
            return reportNull ? JSONValue.null : Optional<JSONValue>.none
        }
        self.human = human
    }
}

/// An object inside a record that holds members rather than being one (`buildDefinition`).
struct PredicateObject {
    /// Its keys from the record's object.
    var path: [String]
    /// The sentence when it is absent or not an object; nil to report its first member instead.
    var missing: String?
    /// Its description in the JSON Schema.
    var doc: String?
    /// Whether the schema refuses members it does not list.
    var closed: Bool

    /// An intermediate object at `path` (dot-separated).
    init(_ path: String, missing: String? = nil, doc: String? = nil, closed: Bool = false) {
        self.path = path.split(separator: ".").map(String.init)
        self.missing = missing
        self.doc = doc
        self.closed = closed
    }
}

/// A record's fields in reading order, the objects that hold them, and the checks that span
/// several fields; everything else about the record's JSON is derived from it.
struct PredicateTable<Record> {
    /// The record every read starts from (the fields then fill it in).
    var blank: Record
    /// The fields, in the order they are read (the first failing one is reported).
    var fields: [PredicateField<Record>]
    /// The intermediate objects.
    var objects: [PredicateObject] = []
    /// Whether the schema refuses members the record does not list (unknown members are
    /// ignored when reading, as in-toto asks of consumers).
    var closed = true
    /// The record's description in the JSON Schema.
    var doc: String?
    /// Checks of the whole record after its fields are read: each returns a phrase, or nil.
    var checks: [(Record) -> String?] = []

    /// Reads `value` as a record: every intermediate object, then every field in order, then
    /// the checks. `label` names the record in its sentences (the prefix gains `label `),
    /// given what has been read of it so far.
    func read(_ value: JSONValue, context: FieldContext, label: ((Record) -> String)? = nil) throws(ReproError)
        -> Record
    {
        var record = blank
        func contextOf(_ record: Record) -> FieldContext {
            guard let label else { return context }
            var inner = context
            inner.outerPrefix = context.prefix
            inner.prefix += label(record) + " "
            return inner
        }
        var checked: Set<[String]> = []
        for field in fields {
            for depth in 1..<max(field.path.count, 1) {
                let prefix = Array(field.path.prefix(depth))
                guard checked.insert(prefix).inserted else { continue }
                if let missing = objects.first(where: { $0.path == prefix })?.missing {
                    guard Self.member(value, prefix)?.objectValue != nil else {
                        throw contextOf(record).failure(missing)
                    }
                } else if let present = Self.member(value, prefix), present.objectValue == nil {
                    // An object that may be absent must be an object when present: null, a
                    // string or a list there is refused, not read as if it were absent.
                    throw contextOf(record).failure("has a \(prefix.joined(separator: ".")) that is not an object")
                }
            }
            try field.read(&record, Self.member(value, field.path), contextOf(record))
        }
        for check in checks {
            if let phrase = check(record) { throw contextOf(record).failure(phrase) }
        }
        return record
    }

    /// The member of `value` at `path`, nil if any key on the way is absent.
    static func member(_ value: JSONValue, _ path: [String]) -> JSONValue? {
        var current: JSONValue? = value
        for key in path { current = current?[key] }
        return current
    }

    /// The record's members as written (nested objects built from the paths).
    func members(_ record: Record) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for field in fields {
            if let value = field.write(record) { Self.insert(value, at: field.path, into: &out) }
        }
        return out
    }

    /// The record's members in `repro verify --json`.
    func report(_ record: Record) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for field in fields {
            if let path = field.reportPath, let value = field.reportValue(record) {
                Self.insert(value, at: path, into: &out)
            }
        }
        return out
    }

    /// The labelled lines of the record's fields that have one, as `label: value`.
    func humanLines(_ record: Record) -> [String] {
        fields.compactMap { field in
            guard let label = field.human, let value = field.write(record) else { return nil }
            return (label + ":").padded(to: max(label.count + 2, 12)) + Self.text(value)
        }
    }

    /// A JSON value as one line of text: strings bare, lists joined with spaces, other values as JSON.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .array(let list): return list.map(text).joined(separator: " ")
        default: return value.serializedString
        }
    }

    /// Sets `value` at `path` in `object`, creating the objects on the way.
    static func insert(_ value: JSONValue, at path: [String], into object: inout [String: JSONValue]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            object[first] = value
            return
        }
        var inner = object[first]?.objectValue ?? [:]
        insert(value, at: Array(path.dropFirst()), into: &inner)
        object[first] = .object(inner)
    }

    /// The record's JSON Schema: `type`, `required`, `properties` (nested for the objects),
    /// `additionalProperties: false` where closed.
    var schema: [String: JSONValue] { schema(at: []) }

    private func schema(at prefix: [String]) -> [String: JSONValue] {
        var properties: [String: JSONValue] = [:]
        var required: [String] = []
        for field in fields where field.path.count > prefix.count && Array(field.path.prefix(prefix.count)) == prefix {
            let key = field.path[prefix.count]
            guard properties[key] == nil else { continue }
            if field.path.count == prefix.count + 1 {
                properties[key] = .object(field.schema)
                if field.required { required.append(key) }
            } else {
                properties[key] = .object(schema(at: prefix + [key]))
                if objects.first(where: { $0.path == prefix + [key] })?.missing != nil
                    || fields.contains(where: {
                        $0.path.count == prefix.count + 2
                            && $0.path.prefix(prefix.count + 1).elementsEqual(prefix + [key]) && $0.required
                    })
                {
                    required.append(key)
                }
            }
        }
        var out: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { out["required"] = .array(required.map { .string($0) }) }
        if let object = objects.first(where: { $0.path == prefix }) {
            if let doc = object.doc { out["description"] = .string(doc) }
            if object.closed { out["additionalProperties"] = false }
        } else if prefix.isEmpty {
            if closed { out["additionalProperties"] = false }
            if let doc { out["description"] = .string(doc) }
        }
        return out
    }
}
