import FoundationEssentials
import Glibc

/// A strict RFC 8259 JSON parser for untrusted bytes.
///
/// Unlike `JSONSerialization`, it rejects what an attacker could use to make two readers see two
/// different documents: duplicate object keys, invalid UTF-8, unpaired surrogate escapes, leading
/// zeros, trailing bytes after the value, a byte-order mark, and nesting deeper than 128 levels.
public enum StrictJSON {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 128

    /// Why a document was rejected, with the byte offset where the problem was found.
    public struct SyntaxError: Error, CustomStringConvertible, Sendable, Equatable {
        /// The byte offset of the problem.
        public var offset: Int
        /// What is wrong there.
        public var reason: String
        /// `reason at byte offset`.
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Parses one JSON value from `data`; anything but whitespace after it is an error.
    public static func parse(_ data: Data) throws(SyntaxError) -> JSONValue {
        var parser = Parser(bytes: [UInt8](data))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index != parser.bytes.count {
            throw SyntaxError(offset: parser.index, reason: "unexpected bytes after the JSON value")
        }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ reason: String) -> SyntaxError { SyntaxError(offset: index, reason: reason) }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { index += 1 }
        }

        mutating func expect(_ literal: String, _ value: JSONValue) throws(SyntaxError) -> JSONValue {
            for byte in literal.utf8 {
                guard peek == byte else { throw fail("invalid literal (expected \(literal))") }
                index += 1
            }
            return value
        }

        mutating func parseValue(depth: Int) throws(SyntaxError) -> JSONValue {
            guard let b = peek else { throw fail("unexpected end of input") }
            switch b {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw fail("unexpected byte 0x\(String(b, radix: 16))")
            }
        }

        mutating func parseObject(depth: Int) throws(SyntaxError) -> JSONValue {
            guard depth <= StrictJSON.maximumDepth else { throw fail("nesting deeper than \(StrictJSON.maximumDepth)") }
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyOffset = index
                let key = try parseString()
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                if members.updateValue(value, forKey: key) != nil {
                    throw SyntaxError(offset: keyOffset, reason: "duplicate key \"\(key)\"")
                }
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return .object(members)
                default: throw fail("expected ',' or '}'")
                }
            }
        }

        mutating func parseArray(depth: Int) throws(SyntaxError) -> JSONValue {
            guard depth <= StrictJSON.maximumDepth else { throw fail("nesting deeper than \(StrictJSON.maximumDepth)") }
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth))
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    return .array(elements)
                default: throw fail("expected ',' or ']'")
                }
            }
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let b = peek else { throw fail("unexpected end of input in \\u escape") }
                let d: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
                default: throw fail("invalid hex digit in \\u escape")
                }
                v = v << 4 | UInt32(d)
                index += 1
            }
            return v
        }

        mutating func parseString() throws(SyntaxError) -> String {
            index += 1
            var out = [UInt8]()
            while true {
                // A run of printable ASCII other than `"` and `\` is copied at once.
                var end = index
                while end < bytes.count, bytes[end] >= 0x20, bytes[end] < 0x80, bytes[end] != 0x22, bytes[end] != 0x5C {
                    end += 1
                }
                if end > index {
                    out.append(contentsOf: bytes[index..<end])
                    index = end
                }
                guard let b = peek else { throw fail("unterminated string") }
                if b == UInt8(ascii: "\"") {
                    index += 1
                    break
                }
                if b < 0x20 { throw fail("unescaped control character in string") }
                if b == UInt8(ascii: "\\") {
                    index += 1
                    guard let e = peek else { throw fail("unterminated escape") }
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count,
                                bytes[index + 1] == UInt8(ascii: "u")
                            else {
                                throw fail("unpaired surrogate in \\u escape")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else {
                                throw fail("unpaired surrogate in \\u escape")
                            }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw fail("unpaired surrogate in \\u escape")
                        }
                        out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                    default: throw fail("invalid escape")
                    }
                    continue
                }
                // Raw bytes: validate UTF-8 sequence by sequence.
                let length = try utf8SequenceLength(at: index)
                out.append(contentsOf: bytes[index..<index + length])
                index += length
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// The length of the well-formed UTF-8 sequence starting at `i` (RFC 3629 table 3-7).
        func utf8SequenceLength(at i: Int) throws(SyntaxError) -> Int {
            let b0 = bytes[i]
            func cont(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) throws(SyntaxError) {
                guard i + k < bytes.count, range.contains(bytes[i + k]) else {
                    throw SyntaxError(offset: i, reason: "invalid UTF-8")
                }
            }
            switch b0 {
            case 0x00...0x7F: return 1
            case 0xC2...0xDF:
                try cont(1)
                return 2
            case 0xE0:
                try cont(1, 0xA0...0xBF)
                try cont(2)
                return 3
            case 0xE1...0xEC, 0xEE...0xEF:
                try cont(1)
                try cont(2)
                return 3
            case 0xED:
                try cont(1, 0x80...0x9F)
                try cont(2)
                return 3
            case 0xF0:
                try cont(1, 0x90...0xBF)
                try cont(2)
                try cont(3)
                return 4
            case 0xF1...0xF3:
                try cont(1)
                try cont(2)
                try cont(3)
                return 4
            case 0xF4:
                try cont(1, 0x80...0x8F)
                try cont(2)
                try cont(3)
                return 4
            default: throw SyntaxError(offset: i, reason: "invalid UTF-8")
            }
        }

        mutating func digits() -> Int {
            let start = index
            while let b = peek, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { index += 1 }
            return index - start
        }

        mutating func parseNumber() throws(SyntaxError) -> JSONValue {
            let start = index
            if peek == UInt8(ascii: "-") { index += 1 }
            let intStart = index
            let intDigits = digits()
            guard intDigits > 0 else { throw fail("invalid number") }
            if intDigits > 1, bytes[intStart] == UInt8(ascii: "0") {
                throw SyntaxError(offset: intStart, reason: "leading zero in number")
            }
            var isInteger = true
            if peek == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw fail("invalid number: no digits after '.'") }
                isInteger = false
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw fail("invalid number: no digits in exponent") }
                isInteger = false
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let i = Int64(text) { return .integer(i) }
            guard let d = Double(text), d.isFinite else {
                throw SyntaxError(offset: start, reason: "number out of range")
            }
            return .number(d)
        }
    }
}
