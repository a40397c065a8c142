import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#endif

// The few string functions repro used from full Foundation, written here so that repro links only
// FoundationEssentials: full Foundation brings ICU and its 35 MB of locale data into the static
// binary (docs/benchmarks.md, "Binary size"). Each one behaves as the Foundation call it replaces
// did on the text repro gives it; the names differ so that code importing both never sees two.

extension Unicode.Scalar {
    /// Foundation's `CharacterSet.whitespaces`: Unicode general category Zs, and tab.
    var isSpaceOrTab: Bool { value == 0x09 || properties.generalCategory == .spaceSeparator }
    /// Foundation's `CharacterSet.newlines`: U+000A–U+000D, U+0085, U+2028 and U+2029.
    var isLineBreak: Bool { (0x0A...0x0D).contains(value) || value == 0x85 || value == 0x2028 || value == 0x2029 }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (Foundation's
    /// `trimmingCharacters(in: .whitespaces)`).
    public func trimmingSpaces() -> String { trimmingScalars { $0.isSpaceOrTab } }

    /// The text without leading and trailing spaces, tabs and line breaks (Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`).
    public func trimmingWhitespace() -> String { trimmingScalars { $0.isSpaceOrTab || $0.isLineBreak } }

    private func trimmingScalars(_ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !drop($0) })!
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[first...last])
        return String(kept)
    }

    /// The text with every occurrence of `target` replaced by `replacement`, matching Unicode scalar
    /// by scalar (so "\n" is found inside "\r\n" too) but not where a combining mark follows (no
    /// "a" in "a\u{301}"), as Foundation's `replacingOccurrences(of:with:)` did. An empty target
    /// changes nothing.
    public func replacingEvery(_ target: String, with replacement: String) -> String {
        let needle = Array(target.unicodeScalars)
        guard !needle.isEmpty else { return String(self) }
        let haystack = Array(unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < haystack.count {
            let end = i + needle.count
            if haystack[i] == needle[0], end <= haystack.count, haystack[i..<end].elementsEqual(needle),
                end == haystack.count || haystack[end].properties.canonicalCombiningClass == .notReordered
            {
                out.append(contentsOf: replacement.unicodeScalars)
                i += needle.count
            } else {
                out.append(haystack[i])
                i += 1
            }
        }
        return String(out)
    }

    /// The text cut or padded with spaces on the right to exactly `length` UTF-16 code units
    /// (Foundation's `padding(toLength:withPad: " ", startingAt: 0)`).
    public func padded(to length: Int) -> String {
        let units = utf16.count
        if units >= length { return String(decoding: Array(utf16.prefix(length)), as: UTF16.self) }
        return String(self) + String(repeating: " ", count: length - units)
    }

    /// The text with every byte outside `allowed` (ASCII scalars only) written as %XX in upper-case
    /// hex over its UTF-8 encoding (Foundation's `addingPercentEncoding(withAllowedCharacters:)`).
    public func percentEncoded(allowing allowed: (UInt8) -> Bool) -> String {
        var out = ""
        for byte in utf8 {
            if byte < 0x80, allowed(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out +=
                    "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// The text with each %XX replaced by its byte, or nil when a % is not followed by two hex
    /// digits or the bytes are not UTF-8 (Foundation's `removingPercentEncoding`).
    public var percentDecoded: String? {
        var bytes: [UInt8] = []
        var input = Array(utf8)[...]
        while let byte = input.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard input.count >= 2,
                let high = Self.hexValue(input[input.startIndex]),
                let low = Self.hexValue(input[input.startIndex + 1])
            else { return nil }
            bytes.append(high << 4 | low)
            input = input.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// ASCII letters and digits: the unreserved set of percent-encoding, without "-._~".
public func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
}

extension String {
    /// The range of the first match of the regular expression `pattern` (a constant of the
    /// caller's), matched Unicode scalar by scalar as NSRegularExpression does; nil when none.
    public func firstRange(ofPattern pattern: String) -> Range<Index>? {
        let regex = try! Regex(pattern).matchingSemantics(.unicodeScalar)
        return firstRange(of: regex)
    }

    /// Text formatted by the C library's printf rules, for the numeric formats repro prints
    /// ("%.1f", "%02x", "%08llx", ...), as Foundation's `String(format:)` did for them.
    public init(printf format: String, _ arguments: CVarArg...) {
        self = withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: 128)
            let needed = Int(vsnprintf(&buffer, buffer.count, format, list))
            if needed >= buffer.count {
                buffer = [CChar](repeating: 0, count: needed + 1)
                _ = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The last path component, as NSString's `lastPathComponent`: trailing slashes are ignored,
    /// "/" stays "/", and "" stays "".
    public var lastPathPart: String {
        var path = Substring(self)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        if path == "/" { return "/" }
        if let slash = path.lastIndex(of: "/") { return String(path[path.index(after: slash)...]) }
        return String(path)
    }

    /// The path without its last component, as NSString's `deletingLastPathComponent`:
    /// "/a/b" → "/a", "/a" → "/", "a" → "", "a/b/" → "a".
    public var droppingLastPathPart: String {
        var path = Substring(self)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/") else { return "" }
        if slash == path.startIndex { return "/" }
        var head = path[..<slash]
        while head.count > 1, head.hasSuffix("/") { head = head.dropLast() }
        return String(head)
    }

    /// The path with `component` appended after one slash, as NSString's `appendingPathComponent`
    /// for the relative components repro appends.
    public func appendingPathPart(_ component: String) -> String {
        if isEmpty { return component }
        if component.isEmpty { return self }
        return (hasSuffix("/") ? self : self + "/")
            + (component.hasPrefix("/") ? String(component.dropFirst()) : component)
    }
}

/// Times read from RFC 2822 text, in place of Foundation's DateFormatter (RFC3339 writes and
/// reads ISO 8601 ones).
public enum DateText {
    /// The time in an RFC 2822 date as Debian's Release files write it ("Sat, 10 Jun 2023
    /// 08:51:40 UTC"): an optional weekday, day, English month abbreviation, year, time, and a
    /// zone that is UTC, GMT, Z or ±HHMM. Nil when it is not one.
    public static func parseRFC2822(_ text: String) -> Date? {
        var fields = text.split(separator: " ").map(String.init)
        let weekdays = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"]
        if let first = fields.first, weekdays.contains(first) { fields.removeFirst() }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard fields.count == 5, fields[0].allSatisfy(\.isASCIIDigit), fields[2].allSatisfy(\.isASCIIDigit),
            fields[3].allSatisfy({ $0 == ":" || $0.isASCIIDigit }),
            let day = Int(fields[0]), (1...31).contains(day), fields[0].count <= 2,
            let month = months.firstIndex(of: fields[1]),
            fields[2].count == 4, let year = Int(fields[2])
        else { return nil }
        let clock = fields[3].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
            let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var offset = 0
        switch fields[4] {
        case "UTC", "GMT", "Z", "UT": offset = 0
        default:
            let zone = fields[4]
            guard zone.count == 5, let sign = zone.first, sign == "+" || sign == "-",
                zone.dropFirst().allSatisfy(\.isASCIIDigit), let hhmm = Int(zone.dropFirst()),
                hhmm / 100 <= 23, hhmm % 100 <= 59
            else { return nil }
            offset = (hhmm / 100 * 3600 + hhmm % 100 * 60) * (sign == "-" ? -1 : 1)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        guard parts.tm_mday == Int32(day) else { return nil }  // timegm normalized "31 Feb"
        return Date(timeIntervalSince1970: TimeInterval(Int(seconds) - offset))
    }
}

extension Character {
    /// Whether this is one of the ASCII digits 0 to 9.
    var isASCIIDigit: Bool { ("0"..."9").contains(self) && isASCII }
}
