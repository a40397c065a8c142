@preconcurrency import Crypto
import FoundationEssentials

/// The keyid of an Ed25519 public key: the SHA-256 hex of the canonical JSON
/// `{"keytype":"ed25519","keyval":{"public":"<64 lowercase hex>"},"scheme":"ed25519"}`
/// (sorted keys, no spaces), the same id securesystemslib computes.
public func ed25519KeyID(rawPublicKey: some Sequence<UInt8>) -> String {
    let json = #"{"keytype":"ed25519","keyval":{"public":""# + Hex.encode(rawPublicKey) + #""},"scheme":"ed25519"}"#
    return Hex.encode(SHA256.hash(data: Data(json.utf8)))
}

/// An Ed25519 public key that verifies manifests, read from SPKI PEM (`NAME.pub`; ReproSystem's
/// `init(contentsOf:)` reads the file).
public struct PublicKey: Sendable {
    /// The key itself.
    public let key: Curve25519.Signing.PublicKey
    /// The keyid (see ``ed25519KeyID(rawPublicKey:)``).
    public let keyID: String

    /// Wraps a key.
    public init(_ key: Curve25519.Signing.PublicKey) {
        self.key = key
        self.keyID = ed25519KeyID(rawPublicKey: key.rawRepresentation)
    }

    /// Reads an SPKI PEM (`-----BEGIN PUBLIC KEY-----`); `source` names the file in errors.
    public init(pem: String, source: String) throws(ReproError) {
        let der = try PEM.decode(pem, expecting: "PUBLIC KEY", source: source)
        let raw = try DERKey.ed25519PublicKey(spki: der, source: source)
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw .configuration(
                "\(source): the Ed25519 public key is malformed; make a key pair with `repro keygen -o NAME` and pass NAME.pub"
            )
        }
        self.init(key)
    }

    /// The key as SPKI PEM text.
    public var pemRepresentation: String {
        PEM.encode(DERKey.spkiPrefix + Array(key.rawRepresentation), label: "PUBLIC KEY")
    }

    /// True if `signature` is a valid pure Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: message)
    }
}

/// An Ed25519 private key that signs manifests, read from PKCS#8 PEM (`NAME.key`; ReproSystem's
/// `init(contentsOf:)` reads the file and checks its mode).
public struct SigningKey: Sendable {
    /// The key itself.
    public let key: Curve25519.Signing.PrivateKey

    /// Wraps a key.
    public init(_ key: Curve25519.Signing.PrivateKey) { self.key = key }

    /// A fresh random key.
    public static func generate() -> SigningKey { SigningKey(Curve25519.Signing.PrivateKey()) }

    /// Reads a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, v1 or v2 with the public key), as
    /// `repro keygen` and `openssl genpkey -algorithm ed25519` write; `source` names it in errors.
    public init(pem: String, source: String) throws(ReproError) {
        let der = try PEM.decode(pem, expecting: "PRIVATE KEY", source: source)
        let (seed, embeddedPublic) = try DERKey.ed25519PrivateKey(pkcs8: der, source: source)
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw .configuration(
                "\(source): the Ed25519 private key is malformed; make a new pair with `repro keygen -o NAME`")
        }
        if let embeddedPublic, embeddedPublic != Array(key.publicKey.rawRepresentation) {
            throw .configuration(
                "\(source): the public key embedded in this PKCS#8 file does not belong to its private key; the file is corrupt or forged, make a new pair with `repro keygen -o NAME`"
            )
        }
        self.key = key
    }

    /// The public half.
    public var publicKey: PublicKey { PublicKey(key.publicKey) }

    /// The keyid of the public half.
    public var keyID: String { publicKey.keyID }

    /// The key as PKCS#8 v1 PEM text (what `openssl genpkey -algorithm ed25519` writes).
    public var pemRepresentation: String {
        PEM.encode(DERKey.pkcs8Prefix + Array(key.rawRepresentation), label: "PRIVATE KEY")
    }

    /// A pure Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) throws(ReproError) -> [UInt8] {
        do {
            return Array(try key.signature(for: message))
        } catch {
            throw signingFailure(error)
        }
    }

    /// The error for a signature this key could not make (`underlying`, from swift-crypto).
    /// Repro is producing a manifest, not checking one: nothing failed to verify, so this is
    /// not a verification failure (exit 5) but one of the command's inputs, the signing key,
    /// that could not be used (configuration, exit 2).
    func signingFailure(_ underlying: any Error) -> ReproError {
        .configuration(
            "cannot sign the manifest with the Ed25519 key \(keyID): \(underlying). Check the signing key (--sign or $REPRO_SIGNING_KEY), or make a new pair with `repro keygen -o NAME`; nothing was signed."
        )
    }
}

/// PEM (RFC 7468) text encoding of DER.
enum PEM {
    /// Wraps DER in a PEM block with 64-column base64 lines.
    static func encode(_ der: [UInt8], label: String) -> String {
        let b64 = Array(Base64.encode(der))
        var lines = ["-----BEGIN \(label)-----"]
        var i = 0
        while i < b64.count {
            lines.append(String(b64[i..<min(i + 64, b64.count)]))
            i += 64
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The DER inside the one PEM block of `text`, which must carry `expecting` as its label.
    static func decode(_ text: String, expecting: String, source: String) throws(ReproError) -> [UInt8] {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmingSpaces() }
        let begins = lines.indices.filter { lines[$0].hasPrefix("-----BEGIN ") && lines[$0].hasSuffix("-----") }
        let hint =
            expecting == "PUBLIC KEY"
            ? "pass the NAME.pub file `repro keygen -o NAME` wrote (SPKI PEM, `-----BEGIN PUBLIC KEY-----`)"
            : "pass the NAME.key file `repro keygen -o NAME` wrote (PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`)"
        guard let begin = begins.first else {
            throw .configuration("\(source) is not a PEM key file (no `-----BEGIN` line); \(hint)")
        }
        guard begins.count == 1 else {
            throw .configuration("\(source) holds \(begins.count) PEM blocks; a key file holds exactly one; \(hint)")
        }
        let label = String(lines[begin].dropFirst(11).dropLast(5))
        if label != expecting {
            let what: String
            switch label {
            case "RSA PRIVATE KEY", "RSA PUBLIC KEY": what = "an RSA key"
            case "EC PRIVATE KEY": what = "an elliptic-curve (e.g. P-256) key"
            case "ENCRYPTED PRIVATE KEY":
                what = "an encrypted private key (decrypt it with `openssl pkey -in FILE -out PLAIN.key`)"
            case "OPENSSH PRIVATE KEY": what = "an OpenSSH key"
            case "PRIVATE KEY": what = "a private key (verification takes the public half: NAME.pub)"
            case "PUBLIC KEY": what = "a public key (signing needs the private half: NAME.key)"
            case "CERTIFICATE": what = "a certificate"
            default: what = "a PEM block labelled \(label)"
            }
            throw .configuration("\(source) is \(what), not an Ed25519 \(expecting.lowercased()); \(hint)")
        }
        guard let endOffset = lines[(begin + 1)...].firstIndex(of: "-----END \(label)-----") else {
            throw .configuration(
                "\(source): the PEM block has no `-----END \(label)-----` line; the file is truncated; \(hint)")
        }
        let body = lines[(begin + 1)..<endOffset].joined()
        guard let der = Base64.decode(body), !der.isEmpty else {
            throw .configuration("\(source): the PEM body is not valid base64; the file is damaged; \(hint)")
        }
        return der
    }
}

/// The few DER (X.690) structures of RFC 8410 Ed25519 keys, read strictly.
enum DERKey {
    /// SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits, 32 bytes) }.
    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
    /// SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }.
    static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    static let ed25519OID: [UInt8] = [0x2B, 0x65, 0x70]
    static let knownAlgorithms: [[UInt8]: String] = [
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]: "an RSA key",
        [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]: "an elliptic-curve (e.g. P-256) key",
        [0x2B, 0x65, 0x71]: "an Ed448 key",
        [0x2B, 0x65, 0x6E]: "an X25519 (key agreement, not signing) key",
    ]

    /// One TLV element.
    struct Element {
        var tag: UInt8
        var content: ArraySlice<UInt8>
    }

    /// Splits `bytes` into its top-level elements (definite lengths in minimal form only).
    static func elements(_ bytes: ArraySlice<UInt8>) -> [Element]? {
        var result: [Element] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let tag = bytes[i]
            i += 1
            guard i < bytes.endIndex else { return nil }
            var length = Int(bytes[i])
            i += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard count >= 1, count <= 2, i + count <= bytes.endIndex else { return nil }
                length = 0
                for _ in 0..<count {
                    length = length << 8 | Int(bytes[i])
                    i += 1
                }
                guard length >= 0x80, count == 1 || length >= 0x100 else { return nil }
            }
            guard length <= bytes.endIndex - i else { return nil }
            result.append(Element(tag: tag, content: bytes[i..<i + length]))
            i += length
        }
        return result
    }

    /// The algorithm OID of an AlgorithmIdentifier, checked to be Ed25519 (no parameters).
    static func checkAlgorithm(_ element: Element, source: String, hint: String) throws(ReproError) {
        guard element.tag == 0x30, let parts = elements(element.content), let oid = parts.first, oid.tag == 0x06 else {
            throw .configuration("\(source): the key's algorithm identifier is malformed; \(hint)")
        }
        let oidBytes = Array(oid.content)
        guard oidBytes == ed25519OID else {
            let what = knownAlgorithms[oidBytes] ?? "a key of an unsupported algorithm"
            throw .configuration("\(source) is \(what); repro signs and verifies with Ed25519 only; \(hint)")
        }
        guard parts.count == 1 else {
            throw .configuration("\(source): an Ed25519 algorithm identifier takes no parameters (RFC 8410); \(hint)")
        }
    }

    /// The 32 raw public key bytes of an Ed25519 SubjectPublicKeyInfo.
    static func ed25519PublicKey(spki der: [UInt8], source: String) throws(ReproError) -> [UInt8] {
        let hint =
            "make a key pair with `repro keygen -o NAME` (or `openssl genpkey -algorithm ed25519`) and pass NAME.pub"
        guard let outer = elements(der[...]), outer.count == 1, outer[0].tag == 0x30,
            let parts = elements(outer[0].content), parts.count == 2
        else {
            throw .configuration("\(source): not a DER SubjectPublicKeyInfo; \(hint)")
        }
        try checkAlgorithm(parts[0], source: source, hint: hint)
        let bits = Array(parts[1].content)
        guard parts[1].tag == 0x03, bits.count == 33, bits[0] == 0 else {
            throw .configuration("\(source): the Ed25519 public key is not 32 bytes; \(hint)")
        }
        return Array(bits[1...])
    }

    /// The 32-byte seed of an Ed25519 PKCS#8 PrivateKeyInfo, and the public key if it carries one.
    static func ed25519PrivateKey(pkcs8 der: [UInt8], source: String) throws(ReproError) -> (
        seed: [UInt8], publicKey: [UInt8]?
    ) {
        let hint =
            "make a key pair with `repro keygen -o NAME` (or `openssl genpkey -algorithm ed25519`) and pass NAME.key"
        guard let outer = elements(der[...]), outer.count == 1, outer[0].tag == 0x30,
            let parts = elements(outer[0].content), parts.count >= 3,
            parts[0].tag == 0x02, parts[0].content.count == 1
        else {
            throw .configuration("\(source): not a DER PKCS#8 PrivateKeyInfo; \(hint)")
        }
        let version = parts[0].content.first!
        guard version == 0 || version == 1 else {
            throw .configuration("\(source): unknown PKCS#8 version \(version); \(hint)")
        }
        try checkAlgorithm(parts[1], source: source, hint: hint)
        guard parts[2].tag == 0x04, let inner = elements(parts[2].content), inner.count == 1,
            inner[0].tag == 0x04, inner[0].content.count == 32
        else {
            throw .configuration("\(source): the Ed25519 private key is not a 32-byte seed; \(hint)")
        }
        var publicKey: [UInt8]?
        for extra in parts.dropFirst(3) {
            switch extra.tag {
            case 0xA0: continue  // attributes [0]
            case 0x81, 0xA1:  // publicKey [1] (implicit BIT STRING; tolerate constructed form)
                var bits = Array(extra.content)
                if extra.tag == 0xA1 {
                    guard let wrapped = elements(extra.content), wrapped.count == 1, wrapped[0].tag == 0x03 else {
                        throw .configuration("\(source): the embedded public key is malformed; \(hint)")
                    }
                    bits = Array(wrapped[0].content)
                }
                guard bits.count == 33, bits[0] == 0 else {
                    throw .configuration("\(source): the embedded public key is not 32 bytes; \(hint)")
                }
                publicKey = Array(bits[1...])
            default:
                throw .configuration("\(source): unexpected field in the PKCS#8 structure; \(hint)")
            }
        }
        return (Array(inner[0].content), publicKey)
    }
}
