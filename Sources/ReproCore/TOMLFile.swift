import FoundationEssentials
import Glibc

/// Decodes hand-written TOML files (`repro.toml`, profiles, toolchain specs) into `Decodable`
/// models, turning every failure into one configuration error (exit 2) that names the file, the
/// line and column of a syntax error, the dotted key of a missing or mistyped value, and any key
/// the model does not know (a typo must not be silently ignored).
public enum TOMLFile {
    /// Decodes `text`, read from `path`, as `T`. `guide` ends every message: where to read
    /// about the format (e.g. "See docs/toolchains.md for the spec format.").
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, path: String, guide: String)
        throws(ReproError) -> T
    {
        let root: TOMLNode
        do {
            root = try TOMLReader.parse(text)
        } catch {
            throw .configuration(
                at: .init(path: path, line: error.line, column: error.column),
                "TOML syntax error: \(error.problem). Fix the file at that line and column.")
        }
        let log = TOMLKeyLog()
        let value: T
        do {
            value = try TOMLNodeDecoder.decode(T.self, from: root, at: [], log: log)
        } catch let error as TOMLShapeError {
            throw .configuration(
                at: .init(path: path), "\(error.sentence)\(error.sentence.hasSuffix("?") ? "" : ".") \(guide)")
        } catch let error as DecodingError {
            throw .configuration(at: .init(path: path), "\(describe(error)). \(guide)")
        } catch let error as ReproError {
            throw error
        } catch {
            throw .configuration(at: .init(path: path), "\(error). \(guide)")
        }
        let unknown = log.unknown()
        if !unknown.isEmpty {
            let names = unknown.map { entry in
                "'\(entry.path)'" + (entry.suggestion.map { " (did you mean '\($0)'?)" } ?? "")
            }
            throw .configuration(
                at: .init(path: path),
                "unknown key\(unknown.count == 1 ? "" : "s") \(names.joined(separator: ", ")); remove or rename \(unknown.count == 1 ? "it" : "them"). \(guide)"
            )
        }
        return value
    }

    /// The Levenshtein distance between two short strings.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        var row = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: y.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (x[i - 1] == y[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return x.isEmpty ? y.count : row[y.count]
    }

    /// Whether a coding key is an array position rather than a table key.
    static func isIndex(_ key: CodingKey) -> Bool {
        key.intValue != nil && (Int(key.stringValue) != nil || key.stringValue.hasPrefix("Index"))
    }

    /// A dotted key path with 1-based array positions: `source[2].sha256`.
    static func keyPath(_ path: [CodingKey]) -> String {
        var text = ""
        for key in path {
            if isIndex(key), let index = key.intValue {
                text += "[\(index + 1)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    /// A one-line description of a decoding error with its dotted key path.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            let path =
                context.codingPath.last?.stringValue == key.stringValue
                ? context.codingPath : context.codingPath + [key]
            return "missing required key '\(keyPath(path))'"
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
