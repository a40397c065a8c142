import FoundationEssentials
import Glibc

/// Base64 (RFC 4648) as manifests use it: standard alphabet with padding on write; standard or
/// URL-safe alphabet, padded or not, on read, strictly.
public enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes `bytes` in the standard alphabet with `=` padding.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out += [
                standard[Int(n >> 18 & 63)], standard[Int(n >> 12 & 63)], standard[Int(n >> 6 & 63)],
                standard[Int(n & 63)],
            ]
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = UInt32(input[i]) << 16
            out += [standard[Int(n >> 18 & 63)], standard[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [
                standard[Int(n >> 18 & 63)], standard[Int(n >> 12 & 63)], standard[Int(n >> 6 & 63)], UInt8(ascii: "="),
            ]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard or URL-safe base64 (one alphabet per string, not mixed), with or without
    /// padding; returns nil for any other byte, misplaced or wrong padding, a length that cannot
    /// occur, or nonzero unused trailing bits (so each byte string has exactly one encoding per
    /// alphabet). Decodes in one pass over the text's bytes, without copying them.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(bytes: $0) }
    }

    /// ``decode(_:)`` of the text's UTF-8 bytes.
    static func decode(bytes chars: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let pad = UInt8(ascii: "=")
        var count = chars.count
        if count % 4 == 0, count >= 4 {
            if chars[count - 1] == pad { count -= 1 }
            if chars[count - 1] == pad { count -= 1 }
        } else if chars.contains(pad) {
            return nil
        }
        if count % 4 == 1 { return nil }
        var sawStandard = false, sawURLSafe = false
        var out = [UInt8]()
        out.reserveCapacity(count / 4 * 3 + 2)
        var bits: UInt32 = 0
        var held = 0
        for c in chars[0..<count] {
            let value: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"):
                value = 62
                sawStandard = true
            case UInt8(ascii: "/"):
                value = 63
                sawStandard = true
            case UInt8(ascii: "-"):
                value = 62
                sawURLSafe = true
            case UInt8(ascii: "_"):
                value = 63
                sawURLSafe = true
            default: return nil
            }
            bits = bits << 6 | UInt32(value)
            held += 1
            if held == 4 {
                out.append(UInt8(bits >> 16 & 0xFF))
                out.append(UInt8(bits >> 8 & 0xFF))
                out.append(UInt8(bits & 0xFF))
                bits = 0
                held = 0
            }
        }
        if sawStandard && sawURLSafe { return nil }
        switch held {
        case 2:
            // 12 bits: one byte and 4 unused bits, which must be zero.
            guard bits & 0x0F == 0 else { return nil }
            out.append(UInt8(bits >> 4))
        case 3:
            // 18 bits: two bytes and 2 unused bits, which must be zero.
            guard bits & 0x03 == 0 else { return nil }
            out.append(UInt8(bits >> 10 & 0xFF))
            out.append(UInt8(bits >> 2 & 0xFF))
        default:
            break
        }
        return out
    }
}

/// Lowercase hexadecimal.
public enum Hex {
    /// The bytes as lowercase hex.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True if `text` is exactly `length` lowercase hex digits.
    public static func isLowercase(_ text: String, length: Int) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
