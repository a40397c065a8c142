"""DSSE interoperability helper: independent implementations for repro's tests.

Uses securesystemslib (DSSE Envelope, SSlibKey, CryptoSigner), pyca/cryptography and jsonschema.

  verify ENVELOPE_LINE_FILE PUB_PEM   exit 0 if securesystemslib verifies the envelope, 1 if not
  sign-sslib PAYLOAD_FILE KEY_PEM     print an envelope signed by securesystemslib's CryptoSigner
  sign-pyca PAYLOAD_FILE KEY_PEM      print an envelope signed with cryptography directly
                                      (URL-safe unpadded base64, no keyid)
  keyid PUB_PEM                       print securesystemslib's keyid of the key
  schema SCHEMA_FILE INSTANCE_FILE    exit 0 if the JSON instance is valid under the JSON Schema
"""
import base64
import json
import sys

from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, SSlibKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    command = argv[1]
    if command == "verify":
        envelope = Envelope.from_dict(json.loads(read(argv[2])))
        key = SSlibKey.from_crypto(load_pem_public_key(read(argv[3])))
        try:
            accepted = envelope.verify([key], 1)
        except Exception as error:  # VerificationError and friends
            print(f"rejected: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        if envelope.payload_type != PAYLOAD_TYPE:
            print(f"rejected: payloadType {envelope.payload_type}", file=sys.stderr)
            return 1
        print(" ".join(sorted(accepted)))
        return 0
    if command == "sign-sslib":
        private = load_pem_private_key(read(argv[3]), password=None)
        signer = CryptoSigner(private)
        envelope = Envelope(read(argv[2]), PAYLOAD_TYPE, {})
        envelope.sign(signer)
        print(json.dumps(envelope.to_dict()))
        return 0
    if command == "sign-pyca":
        private = load_pem_private_key(read(argv[3]), password=None)
        payload = read(argv[2])
        pae = b"DSSEv1 %d %b %d %b" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(payload), payload)
        sig = private.sign(pae)
        b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
        print(json.dumps({"payload": b64(payload), "payloadType": PAYLOAD_TYPE, "signatures": [{"sig": b64(sig)}]}))
        return 0
    if command == "keyid":
        print(SSlibKey.from_crypto(load_pem_public_key(read(argv[2]))).keyid)
        return 0
    if command == "schema":
        import jsonschema

        schema = json.loads(read(argv[2]))
        jsonschema.Draft202012Validator.check_schema(schema)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.loads(read(argv[3]))))
        for error in errors:
            print(f"invalid: {error.json_path}: {error.message}", file=sys.stderr)
        return 1 if errors else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
