import Foundation

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
            out += [standard[Int(n >> 18 & 63)], standard[Int(n >> 12 & 63)], standard[Int(n >> 6 & 63)], standard[Int(n & 63)]]
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = UInt32(input[i]) << 16
            out += [standard[Int(n >> 18 & 63)], standard[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [standard[Int(n >> 18 & 63)], standard[Int(n >> 12 & 63)], standard[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard or URL-safe base64 (one alphabet per string, not mixed), with or without
    /// padding; returns nil for any other byte, misplaced or wrong padding, a length that cannot
    /// occur, or nonzero unused trailing bits (so each byte string has exactly one encoding per
    /// alphabet).
    public static func decode(_ text: String) -> [UInt8]? {
        var chars = Array(text.utf8)
        if chars.count % 4 == 0, chars.count >= 4 {
            if chars.last == UInt8(ascii: "=") { chars.removeLast() }
            if chars.last == UInt8(ascii: "=") { chars.removeLast() }
        } else if chars.contains(UInt8(ascii: "=")) {
            return nil
        }
        if chars.count % 4 == 1 { return nil }
        var sawStandard = false, sawURLSafe = false
        var values = [UInt8]()
        values.reserveCapacity(chars.count)
        for c in chars {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): values.append(62); sawStandard = true
            case UInt8(ascii: "/"): values.append(63); sawStandard = true
            case UInt8(ascii: "-"): values.append(62); sawURLSafe = true
            case UInt8(ascii: "_"): values.append(63); sawURLSafe = true
            default: return nil
            }
        }
        if sawStandard && sawURLSafe { return nil }
        var out = [UInt8]()
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i + 4 <= values.count {
            let n = UInt32(values[i]) << 18 | UInt32(values[i + 1]) << 12 | UInt32(values[i + 2]) << 6 | UInt32(values[i + 3])
            out += [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            i += 4
        }
        switch values.count - i {
        case 2:
            guard values[i + 1] & 0x0F == 0 else { return nil }
            out.append(values[i] << 2 | values[i + 1] >> 4)
        case 3:
            guard values[i + 2] & 0x03 == 0 else { return nil }
            out.append(values[i] << 2 | values[i + 1] >> 4)
            out.append((values[i + 1] & 0x0F) << 4 | values[i + 2] >> 2)
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
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// True if `text` is exactly `length` lowercase hex digits.
    public static func isLowercase(_ text: String, length: Int) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
