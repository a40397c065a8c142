import FoundationEssentials
import Glibc

/// Dead Simple Signing Envelope v1 (github.com/secure-systems-lab/dsse, envelope.md and
/// protocol.md): the payload, its type, and signatures over the pre-authentication encoding.
public struct DSSEEnvelope: Sendable, Equatable {
    /// The payload type of in-toto statements.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"

    /// One signature: an optional keyid hint and the signature bytes.
    public struct Signature: Sendable, Equatable {
        /// The keyid of the signing key (unauthenticated hint; may be empty).
        public var keyID: String
        /// The raw signature bytes.
        public var sig: [UInt8]

        /// Creates a signature entry.
        public init(keyID: String, sig: [UInt8]) {
            self.keyID = keyID
            self.sig = sig
        }
    }

    /// The payload bytes (what the signatures cover, through PAE).
    public var payload: [UInt8]
    /// The payload type (what the signatures cover, through PAE).
    public var payloadType: String
    /// The signatures; empty means unsigned.
    public var signatures: [Signature]

    /// Creates an envelope.
    public init(payload: [UInt8], payloadType: String, signatures: [Signature] = []) {
        self.payload = payload
        self.payloadType = payloadType
        self.signatures = signatures
    }

    /// The pre-authentication encoding:
    /// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal byte counts.
    public static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }

    /// The bytes this envelope's signatures sign.
    public var pae: [UInt8] { DSSEEnvelope.pae(payloadType: payloadType, payload: payload) }

    /// An envelope of `payload` signed by `key` (or unsigned when `key` is nil).
    public static func sign(payload: [UInt8], payloadType: String, key: SigningKey?) throws(ReproError) -> DSSEEnvelope
    {
        var envelope = DSSEEnvelope(payload: payload, payloadType: payloadType)
        if let key {
            envelope.signatures.append(Signature(keyID: key.keyID, sig: try key.sign(envelope.pae)))
        }
        return envelope
    }

    /// The envelope as a JSON value: standard padded base64, keyid always written.
    public var jsonValue: JSONValue {
        .object([
            "payload": .string(Base64.encode(payload)),
            "payloadType": .string(payloadType),
            "signatures": .array(
                signatures.map { .object(["keyid": .string($0.keyID), "sig": .string(Base64.encode($0.sig))]) }),
        ])
    }

    /// The envelope as one line of compact sorted-key JSON, without the newline.
    public var jsonLine: Data { jsonValue.serialized() }

    /// Reads an envelope from JSON bytes strictly: duplicate keys, unknown members, wrong types,
    /// and bad base64 (standard or URL-safe accepted) are errors. Signature lengths are not
    /// checked here; ``Verifier`` does that.
    public static func parse(_ data: Data) throws(ReproError) -> DSSEEnvelope {
        let value: JSONValue
        do {
            value = try StrictJSON.parse(data)
        } catch {
            throw .verification("the envelope is not valid strict JSON: \(error)")
        }
        guard let object = value.objectValue else { throw .verification("the envelope is not a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !["payload", "payloadType", "signatures"].contains($0) }) {
            throw .verification("the envelope has an unknown member \"\(unknown)\"")
        }
        guard let payloadText = object["payload"]?.stringValue else {
            throw .verification("the envelope has no string \"payload\"")
        }
        guard let payloadType = object["payloadType"]?.stringValue else {
            throw .verification("the envelope has no string \"payloadType\"")
        }
        guard let payload = Base64.decode(payloadText) else {
            throw .verification("the envelope's payload is not valid base64")
        }
        guard let list = object["signatures"]?.arrayValue else {
            throw .verification("the envelope has no \"signatures\" array")
        }
        var signatures: [Signature] = []
        for (i, entry) in list.enumerated() {
            guard let sigObject = entry.objectValue else {
                throw .verification("signature \(i + 1) is not a JSON object")
            }
            if let unknown = sigObject.keys.sorted().first(where: { $0 != "keyid" && $0 != "sig" }) {
                throw .verification("signature \(i + 1) has an unknown member \"\(unknown)\"")
            }
            let keyID: String
            switch sigObject["keyid"] {
            case nil: keyID = ""
            case .string(let s)?: keyID = s
            default: throw .verification("signature \(i + 1) has a \"keyid\" that is not a string")
            }
            guard let sigText = sigObject["sig"]?.stringValue else {
                throw .verification("signature \(i + 1) has no string \"sig\"")
            }
            guard let sig = Base64.decode(sigText) else {
                throw .verification("signature \(i + 1) is not valid base64")
            }
            signatures.append(Signature(keyID: keyID, sig: sig))
        }
        return DSSEEnvelope(payload: payload, payloadType: payloadType, signatures: signatures)
    }
}
