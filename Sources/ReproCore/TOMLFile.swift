import Foundation
import TOMLKit

/// Decodes hand-written TOML files (`repro.toml`, profiles, toolchain specs) into `Decodable`
/// models, turning every failure into a configuration error that names the file, the line and
/// column (syntax errors), the key (type errors) and any key repro does not know.
public enum TOMLFile {
    /// The keys allowed at each table path, for rejecting typos; the root table is `""`, nested
    /// tables are dotted (`"build"`, `"source"`); a table path absent from the map is not checked.
    public typealias KnownKeys = [String: Set<String>]

    /// Decodes `text` (read from `path`) as `T`, rejecting keys not in `knownKeys`.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, path: String,
                                            knownKeys: KnownKeys = [:]) throws(ReproError) -> T {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .configuration("\(path):\(error.source.begin.line):\(error.source.begin.column): TOML syntax error: \(error.description). Fix the file and run again.")
        } catch {
            throw .configuration("\(path): cannot parse TOML: \(error). Fix the file and run again.")
        }
        if !knownKeys.isEmpty {
            try checkKeys(table, at: "", knownKeys: knownKeys, path: path)
        }
        do {
            return try TOMLDecoder().decode(T.self, from: table)
        } catch let error as DecodingError {
            throw .configuration("\(path): \(describe(error)). Fix the file and run again.")
        } catch let error as ReproError {
            throw error
        } catch {
            throw .configuration("\(path): \(error). Fix the file and run again.")
        }
    }

    private static func checkKeys(_ table: TOMLTable, at tablePath: String, knownKeys: KnownKeys, path: String) throws(ReproError) {
        guard let allowed = knownKeys[tablePath] else { return }
        for key in table.keys.sorted() {
            let keyPath = tablePath.isEmpty ? key : tablePath + "." + key
            guard allowed.contains(key) else {
                let expected = allowed.sorted().joined(separator: ", ")
                throw .configuration("\(path): unknown key '\(keyPath)'; the keys allowed here are: \(expected).")
            }
            if let sub = table[key]?.table {
                try checkKeys(sub, at: keyPath, knownKeys: knownKeys, path: path)
            }
        }
    }

    /// A one-line description of a decoding error with its dotted key path.
    static func describe(_ error: DecodingError) -> String {
        func keyPath(_ path: [CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let path = context.codingPath.last?.stringValue == key.stringValue ? context.codingPath : context.codingPath + [key]
            let full = keyPath(path)
            return "missing required key '\(full)'"
        case .typeMismatch(let type, let context):
            return "key '\(keyPath(context.codingPath))' has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "key '\(keyPath(context.codingPath))' has no value (expected \(type))"
        case .dataCorrupted(let context):
            let key = keyPath(context.codingPath)
            return key.isEmpty ? context.debugDescription : "key '\(key)': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
