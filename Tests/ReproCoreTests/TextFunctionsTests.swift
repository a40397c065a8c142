import Foundation
import Testing
@testable import ReproCore

/// The local replacements for the Foundation calls repro no longer links (TextFunctions.swift)
/// give what those calls gave; the expected values were read from Foundation side by side.
@Suite struct TextFunctionsTests {
    @Test func trimmingMatchesFoundationsCharacterSets() {
        #expect("\t x\u{00A0}y \u{3000}".trimmingSpaces() == "x\u{00A0}y")
        #expect("\n x \r\n".trimmingSpaces() == "\n x \r\n")
        #expect("\n x \r\n".trimmingWhitespace() == "x")
        #expect("x\u{2028}".trimmingWhitespace() == "x")
        #expect(" \u{301}a".trimmingSpaces() == "\u{301}a")
        #expect("   ".trimmingWhitespace() == "")
        // Agrees with Foundation, which the tests may still import.
        for text in ["", " a ", "\t\u{2003}b\u{2003}\n", "\r\nc\u{85}"] {
            #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test func replacingMatchesScalarsButNotBeforeACombiningMark() {
        #expect("x\r\n".replacingEvery("\n", with: "N") == "x\rN")
        #expect("a\\b\"".replacingEvery("\\", with: "\\\\") == "a\\\\b\"")
        #expect("a\u{301} a".replacingEvery("a", with: "X") == "a\u{301} X")
        #expect("abc".replacingEvery("", with: "X") == "abc")
        #expect("aaa".replacingEvery("aa", with: "b") == "ba")
    }

    @Test func paddingCountsUTF16Units() {
        #expect("ab".padded(to: 4) == "ab  ")
        #expect("abc".padded(to: 2) == "ab")
        #expect("é".padded(to: 3) == "é  ")
        #expect("x\r\n".padded(to: 2) == "x\r")
    }

    @Test func percentEncodingOfUTF8Bytes() {
        #expect("a b/é.-_".percentEncoded { isASCIIAlphanumeric($0) || ".-_".utf8.contains($0) } == "a%20b%2F%C3%A9.-_")
        #expect("%C3%A9%41".percentDecoded == "éA")
        #expect("%zz".percentDecoded == nil)
        #expect("100%".percentDecoded == nil)
        #expect("%FF".percentDecoded == nil)
    }

    @Test func printfFormatsAsC() {
        #expect(String(printf: "%.1f", 0.05) == "0.1")
        #expect(String(printf: "%.1f", 2.25) == "2.2")
        #expect(String(printf: "%.3f", 1.0) == "1.000")
        #expect(String(printf: "%02x", UInt8(7)) == "07")
        #expect(String(printf: "%08llx: ", Int64(300)) == "0000012c: ")
        #expect(String(printf: "\\u%04X", UInt32(0x1f)) == "\\u001F")
        #expect(String(printf: "%300d", 7) == String(repeating: " ", count: 299) + "7")  // past the first buffer
    }

    @Test func pathComponentsAsNSString() {
        #expect("/a/b/".lastPathPart == "b")
        #expect("/a/b/".droppingLastPathPart == "/a")
        #expect("/a".droppingLastPathPart == "/")
        #expect("a//b".droppingLastPathPart == "a")
        #expect("a".droppingLastPathPart == "")
        #expect("/".lastPathPart == "/")
        #expect("dir".appendingPathPart("x") == "dir/x")
        #expect("dir/".appendingPathPart("x") == "dir/x")
        #expect("".appendingPathPart("x") == "x")
    }

    @Test func rfc2822DatesOfReleaseFiles() {
        #expect(DateText.parseRFC2822("Sat, 10 Jun 2023 08:51:40 UTC")?.timeIntervalSince1970 == 1_686_387_100)
        #expect(DateText.parseRFC2822("Sun, 3 Dec 2023 10:00:00 UTC")?.timeIntervalSince1970 == 1_701_597_600)
        #expect(DateText.parseRFC2822("Sat, 10 Jun 2023 08:51:40 +0200")?.timeIntervalSince1970 == 1_686_379_900)
        #expect(DateText.parseRFC2822("Sat, 31 Feb 2023 08:51:40 UTC") == nil)
        #expect(DateText.parseRFC2822("garbage") == nil)
        // Zones, days, years and times that only look like numbers are not dates.
        for malformed in [
            "Sat, 10 Jun 2023 08:51:40 -9999", "Sat, 10 Jun 2023 08:51:40 -0060", "Sat, 10 Jun 2023 08:51:40 +-100",
            "Sat, +1 Jun 2023 08:51:40 UTC", "Sat, 10 Jun +202 08:51:40 UTC", "Sat, 10 Jun 2023 +8:51:40 UTC",
        ] {
            #expect(DateText.parseRFC2822(malformed) == nil, "\(malformed)")
        }
        #expect(DateText.parseRFC2822("Sat, 10 Jun 2023 08:51:40 -2359") != nil)
    }

    @Test func rfc3339WholeSecondsInUTC() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_700_000_000.9)) == "2023-11-14T22:13:20Z")
        #expect(RFC3339.parse("2023-11-14T22:13:20Z")?.timeIntervalSince1970 == 1_700_000_000)
        #expect(RFC3339.parse("2023-11-14T22:13:20.5Z")?.timeIntervalSince1970 == 1_700_000_000.5)
        #expect(RFC3339.parse("2023-11-14T23:13:20+01:00")?.timeIntervalSince1970 == 1_700_000_000)
        #expect(RFC3339.parse("yesterday") == nil)
        // Leap seconds: allowed by RFC 3339, not by the protobuf Timestamps of in-toto and SLSA.
        #expect(RFC3339.parse("2016-12-31T23:59:60Z") == nil)
        #expect(RFC3339.isLeapSecond("2016-12-31T23:59:60Z"))
        #expect(RFC3339.isLeapSecond("2016-12-31T23:59:60.25Z"))
        #expect(!RFC3339.isLeapSecond("2016-12-31T23:59:59Z"))
        #expect(!RFC3339.isLeapSecond("2016-12-31T23:59:61Z"))
        #expect(RFC3339.parse("2016-12-31T23:59:59Z")?.timeIntervalSince1970 == 1_483_228_799)
    }

    @Test func regularExpressionsMatchAsNSRegularExpression() {
        let pattern = #"/tmp/[A-Za-z0-9._-]*(tmp|[A-Za-z0-9]{6,}\.)[A-Za-z0-9_]{6,}"#
        for text in [
            "see /tmp/ccAbc123.o and", "/tmp/tmpabcdef12", "/tmp/x/tmpq_1234567 z", "/tmp/abcdef.ghijkl", "/tmp/abc",
        ] {
            let expected = text.range(of: pattern, options: .regularExpression).map { String(text[$0]) }
            #expect(text.firstRange(ofPattern: pattern).map { String(text[$0]) } == expected)
        }
    }
}
