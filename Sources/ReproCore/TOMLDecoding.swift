/// A parsed TOML value (TOMLReader's output), kept whole so that decoding can say, for every key,
/// what was found there and what was expected.
indirect enum TOMLNode: Equatable {
    case table([String: TOMLNode])
    case array([TOMLNode])
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// A date, time or date-time: repro's files use none, so it is only ever a type error.
    case dateOrTime

    /// How the value is named in a message: "the string \"x\"", "an integer (3)", "a table".
    var found: String {
        switch self {
        case .table: return "a table"
        case .array(let items): return items.isEmpty ? "an empty array" : "an array"
        case .string(let text): return "the string \"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\""
        case .integer(let n): return "the integer \(n)"
        case .float(let x): return "the number \(x)"
        case .boolean(let b): return "\(b)"
        case .dateOrTime: return "a date or time"
        }
    }
}

/// Why a TOML document does not fit the model: the dotted key path and one sentence.
struct TOMLShapeError: Error {
    var path: [CodingKey]
    var message: String
    /// Whether a required key is absent (then `message` holds only a hint, possibly empty).
    var missing = false

    /// The whole sentence, starting with the key.
    var sentence: String {
        let key = TOMLFile.keyPath(path)
        return missing ? "required key '\(key)' is missing\(message)" : "key '\(key)' \(message)"
    }
}

/// Which keys each table offered and which the model asked for, keyed by the table's dotted path.
/// A key offered and never asked for is unknown to the model (a typo, or a key of another version).
final class TOMLKeyLog {
    struct Table {
        var path: [CodingKey]
        var present: Set<String>
        var asked: Set<String> = []
    }
    var tables: [String: Table] = [:]

    func opened(_ path: [CodingKey], present: Set<String>) {
        let id = TOMLFile.keyPath(path)
        if tables[id] == nil { tables[id] = Table(path: path, present: present) }
    }

    func asked(_ key: String, in path: [CodingKey]) {
        tables[TOMLFile.keyPath(path)]?.asked.insert(key)
    }

    /// Every key offered and not asked for, as (full path, the nearest asked-for key if one is close).
    func unknown() -> [(path: String, suggestion: String?)] {
        var result: [(String, String?)] = []
        for table in tables.values {
            for key in table.present.subtracting(table.asked) {
                // Two edits at most: a name whose length differs by more is not compared at all.
                let length = key.count
                let near = table.asked.filter { abs($0.count - length) <= 2 && TOMLFile.editDistance($0, key) <= 2 }
                    .sorted { (TOMLFile.editDistance($0, key), $0) < (TOMLFile.editDistance($1, key), $1) }
                result.append((TOMLFile.keyPath(table.path + [TOMLKey(key)]), near.first))
            }
        }
        return result.sorted { $0.0 < $1.0 }
    }
}

/// A coding key made from a table key or an array position.
struct TOMLKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) {
        stringValue = string
        intValue = nil
    }
    init?(stringValue: String) { self.init(stringValue) }
    init(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

/// A `Decoder` over a `TOMLNode` whose errors name the key, what the model expects there and what
/// the file holds, and which records the keys asked for so that unknown ones can be reported.
struct TOMLNodeDecoder: Decoder {
    let node: TOMLNode
    let codingPath: [CodingKey]
    let log: TOMLKeyLog
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .table(let entries) = node else {
            throw TOMLShapeError(path: codingPath, message: "must be a table, not \(node.found)")
        }
        log.opened(codingPath, present: Set(entries.keys))
        return KeyedDecodingContainer(Keyed<Key>(entries: entries, codingPath: codingPath, log: log))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .array(let items) = node else {
            throw TOMLShapeError(path: codingPath, message: "must be an array, not \(node.found)")
        }
        return Unkeyed(items: items, codingPath: codingPath, log: log)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        Single(node: node, codingPath: codingPath, log: log)
    }

    /// Decodes `type` from `node` at `path`, checking the shape first for the types repro's files use
    /// so that the message says "an array of strings" rather than the name of a Swift type.
    static func decode<T: Decodable>(_ type: T.Type, from node: TOMLNode, at path: [CodingKey], log: TOMLKeyLog) throws
        -> T
    {
        if let expected = expectation(type), !expected.accepts(node) {
            // For a list or table of the right kind, name the first item of the wrong type.
            switch (expected, node) {
            case (.stringArray, .array(let items)), (.integerArray, .array(let items)):
                let item: Expectation = expected == .stringArray ? .string : .integer
                if let i = items.firstIndex(where: { !item.accepts($0) }) {
                    throw TOMLShapeError(
                        path: path + [TOMLKey(intValue: i)],
                        message: "must be \(item.description), not \(items[i].found)")
                }
            case (.stringTable, .table(let entries)):
                if let key = entries.keys.sorted().first(where: { !Expectation.string.accepts(entries[$0]!) }) {
                    throw TOMLShapeError(
                        path: path + [TOMLKey(key)], message: "must be a string, not \(entries[key]!.found)")
                }
            default:
                break
            }
            throw TOMLShapeError(path: path, message: "must be \(expected.description), not \(node.found)")
        }
        if let value = try primitive(type, from: node, at: path) { return value }
        return try T(from: TOMLNodeDecoder(node: node, codingPath: path, log: log))
    }

    /// The shapes named in messages.
    enum Expectation {
        case string, integer, boolean, number, stringArray, stringTable, integerArray
        var description: String {
            switch self {
            case .string: return "a string"
            case .integer: return "an integer"
            case .boolean: return "true or false"
            case .number: return "a number"
            case .stringArray: return "an array of strings"
            case .stringTable: return "a table of strings"
            case .integerArray: return "an array of integers"
            }
        }
        func accepts(_ node: TOMLNode) -> Bool {
            switch (self, node) {
            case (.string, .string), (.integer, .integer), (.boolean, .boolean), (.number, .integer), (.number, .float):
                return true
            case (.stringArray, .array(let items)):
                return items.allSatisfy { if case .string = $0 { return true } else { return false } }
            case (.integerArray, .array(let items)):
                return items.allSatisfy { if case .integer = $0 { return true } else { return false } }
            case (.stringTable, .table(let entries)):
                return entries.values.allSatisfy { if case .string = $0 { return true } else { return false } }
            default:
                return false
            }
        }
    }

    static func expectation(_ type: Any.Type) -> Expectation? {
        switch type {
        case is String.Type: return .string
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type, is UInt32.Type, is UInt16.Type, is UInt8.Type:
            return .integer
        case is Bool.Type: return .boolean
        case is Double.Type: return .number
        case is [String].Type: return .stringArray
        case is [Int].Type, is [Int64].Type: return .integerArray
        case is [String: String].Type: return .stringTable
        default: return nil
        }
    }

    /// The scalar types, converted with a range check; nil for any other type.
    static func primitive<T>(_ type: T.Type, from node: TOMLNode, at path: [CodingKey]) throws -> T? {
        func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
            guard case .integer(let n) = node else {
                throw TOMLShapeError(path: path, message: "must be an integer, not \(node.found)")
            }
            guard let value = I(exactly: n) else {
                throw TOMLShapeError(path: path, message: "is \(n), outside the range \(I.min)...\(I.max)")
            }
            return value
        }
        switch type {
        case is String.Type: if case .string(let s) = node { return s as? T }
        case is Bool.Type: if case .boolean(let b) = node { return b as? T }
        case is Double.Type:
            if case .float(let x) = node { return x as? T }
            if case .integer(let n) = node { return Double(n) as? T }
        case is Int.Type: return try integer(Int.self) as? T
        case is Int64.Type: return try integer(Int64.self) as? T
        case is Int32.Type: return try integer(Int32.self) as? T
        case is UInt64.Type: return try integer(UInt64.self) as? T
        case is UInt32.Type: return try integer(UInt32.self) as? T
        case is UInt16.Type: return try integer(UInt16.self) as? T
        case is UInt8.Type: return try integer(UInt8.self) as? T
        default: return nil
        }
        return nil
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let entries: [String: TOMLNode]
        let codingPath: [CodingKey]
        let log: TOMLKeyLog

        var allKeys: [Key] { entries.keys.sorted().compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool {
            log.asked(key.stringValue, in: codingPath)
            return entries[key.stringValue] != nil
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            log.asked(key.stringValue, in: codingPath)
            return entries[key.stringValue] == nil
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            log.asked(key.stringValue, in: codingPath)
            guard let node = entries[key.stringValue] else {
                let near = entries.keys.filter { TOMLFile.editDistance($0, key.stringValue) <= 2 }.sorted()
                let hint =
                    near.isEmpty
                    ? ""
                    : "; the file has \(near.map { "'\($0)'" }.joined(separator: " and ")) there: did you mean '\(key.stringValue)'?"
                throw TOMLShapeError(path: codingPath + [key], message: hint, missing: true)
            }
            return try TOMLNodeDecoder.decode(type, from: node, at: codingPath + [key], log: log)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try child(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            try child(key).unkeyedContainer()
        }

        func superDecoder() throws -> Decoder {
            TOMLNodeDecoder(node: .table(entries), codingPath: codingPath, log: log)
        }

        func superDecoder(forKey key: Key) throws -> Decoder { try child(key) }

        private func child(_ key: Key) throws -> TOMLNodeDecoder {
            log.asked(key.stringValue, in: codingPath)
            guard let node = entries[key.stringValue] else {
                throw TOMLShapeError(path: codingPath + [key], message: "", missing: true)
            }
            return TOMLNodeDecoder(node: node, codingPath: codingPath + [key], log: log)
        }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [TOMLNode]
        let codingPath: [CodingKey]
        let log: TOMLKeyLog
        var currentIndex = 0

        init(items: [TOMLNode], codingPath: [CodingKey], log: TOMLKeyLog) {
            self.items = items
            self.codingPath = codingPath
            self.log = log
        }

        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func next() throws -> (TOMLNode, [CodingKey]) {
            guard !isAtEnd else {
                throw TOMLShapeError(path: codingPath, message: "has too few items")
            }
            defer { currentIndex += 1 }
            return (items[currentIndex], codingPath + [TOMLKey(intValue: currentIndex)])
        }

        mutating func decodeNil() throws -> Bool { false }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (node, path) = try next()
            return try TOMLNodeDecoder.decode(type, from: node, at: path, log: log)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            let (node, path) = try next()
            return try TOMLNodeDecoder(node: node, codingPath: path, log: log).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            let (node, path) = try next()
            return try TOMLNodeDecoder(node: node, codingPath: path, log: log).unkeyedContainer()
        }

        mutating func superDecoder() throws -> Decoder {
            let (node, path) = try next()
            return TOMLNodeDecoder(node: node, codingPath: path, log: log)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let node: TOMLNode
        let codingPath: [CodingKey]
        let log: TOMLKeyLog

        func decodeNil() -> Bool { false }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try TOMLNodeDecoder.decode(type, from: node, at: codingPath, log: log)
        }
    }
}
