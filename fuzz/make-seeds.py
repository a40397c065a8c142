#!/usr/bin/env python3
"""Writes the seed corpus of repro's fuzz targets, fuzz/corpus/TARGET/NAME (Sources/ReproFuzzTargets).

Every seed is small and made here from the repository's own files or in code, so that the corpus
can be made again: `python3 fuzz/make-seeds.py` from the repository root. Needs Python's
`cryptography` package (Ed25519), gcc and tar with gzip, xz and zstd.
"""
import base64, gzip, hashlib, io, json, os, struct, subprocess, sys, tarfile, tempfile, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


# The key FuzzTargets.key: the Ed25519 private key whose seed is 32 bytes of 7.
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

KEY = Ed25519PrivateKey.from_private_bytes(bytes([7] * 32))
PUB_RAW = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
KEYID = hashlib.sha256(PUB_RAW).hexdigest()
PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def envelope(payload):
    sig = KEY.sign(pae(PAYLOAD_TYPE, payload))
    return json.dumps({"payload": base64.b64encode(payload).decode(), "payloadType": PAYLOAD_TYPE,
                       "signatures": [{"keyid": KEYID, "sig": base64.b64encode(sig).decode()}]},
                      separators=(",", ":"), sort_keys=True).encode()


def payloads(bundle):
    return [base64.b64decode(json.loads(line)["payload"]) for line in bundle.splitlines() if line]


# json, dsse, statement
synthetic = read("docs/examples/synthetic.intoto.jsonl")
hello = read("docs/examples/hello-c.intoto.jsonl")
put("dsse", "synthetic.intoto.jsonl", synthetic)
put("dsse", "hello-c-fixed-key.intoto.jsonl", b"\n".join(envelope(p) for p in payloads(hello)) + b"\n")
put("dsse", "synthetic-fixed-key.intoto.jsonl", b"\n".join(envelope(p) for p in payloads(synthetic)))
for name, bundle in [("synthetic", synthetic), ("hello-c", hello)]:
    ps = payloads(bundle)
    put("statement", name + ".payloads", b"\n".join(ps))
    put("json", name + "-provenance.json", ps[0])
    put("json", name + "-reproducibility.json", ps[1])
put("json", "scalars.json", '[0,-1,1.5e-3,9223372036854775807,-9223372036854775808,1E+2,true,false,null,""]')
put("json", "strings.json", '{"a":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/","b":"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80","":{}}')
put("json", "nested.json", "[[[[{\"k\":[[]]}]]]]")

# pem
put("pem", "hello-c.pub", read("docs/examples/hello-c.pub"))
put("pem", "fixed.pub", KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
put("pem", "fixed.key", KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
# PKCS#8 v2 (RFC 8410 OneAsymmetricKey) with the public key as [1].
v2 = bytes.fromhex("3051020101300506032b657004220420") + bytes([7] * 32) + bytes.fromhex("812100") + PUB_RAW
put("pem", "fixed-v2.key", "-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(v2).decode() + "-----END PRIVATE KEY-----\n")

# TOML: toolchain specs (the base lock cut to a few packages), project configs, profiles
base = read("toolchains/debian-bookworm-build.toml").decode()
cut = base.split("[[package]]")
put("toolchain-toml", "debian-lock.toml", "[[package]]".join(cut[:4]))
put("toolchain-toml", "tarballs.toml", """name = "tarballs"
description = "two pinned tarballs"
[[source]]
url = "https://example.org/root.tar.gz"
sha256 = "45287bb9ea5e12c2f9c2b6c8f4f8a0e3c0b5a4e1d2c3b4a5968778695a4b3c2d"
mount = "/"
strip_components = 1
size = 1024
[[source]]
url = "file:///srv/go.tar.xz"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
mount = "/usr/local/go"
[env]
PATH = "/usr/local/go/bin:/usr/bin:/bin"
GOFLAGS = "-trimpath"
""")
for example in sorted(os.listdir(os.path.join(ROOT, "examples"))):
    path = os.path.join("examples", example, "repro.toml")
    if os.path.exists(os.path.join(ROOT, path)):
        put("project-toml", example + ".toml", read(path))
for profile in ("default", "strict"):
    put("profile-toml", profile + ".toml", read("profiles/%s.toml" % profile))

# Debian Release file and Packages index
put("debian-index", "release", """Origin: Debian
Suite: stable
Codename: bookworm
Architectures: all amd64 arm64
SHA256:
 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 12345 main/binary-amd64/Packages
 89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567 2345 main/binary-amd64/Packages.xz
""")
put("debian-index", "packages", """Package: libc6
Version: 2.36-9+deb12u4
Architecture: amd64
Multi-Arch: same
Depends: libgcc-s1
Provides: libc6-x (= 2.36)
Filename: pool/main/g/glibc/libc6_2.36-9+deb12u4_amd64.deb
Size: 2757936
SHA256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
Priority: required

Package: libgcc-s1
Source: gcc-12 (12.2.0-14)
Version: 1:12.2.0-14
Architecture: amd64
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)
Pre-Depends: libc6 (>> 2.0~rc1) | libc6-udeb [amd64]
Filename: pool/main/g/gcc-12/libgcc-s1_12.2.0-14_amd64.deb
Size: 49800
SHA256: 89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567

Package: gcc-12-base
Version: 12.2.0-14
Architecture: amd64
Essential: yes
Filename: pool/main/g/gcc-12/gcc-12-base_12.2.0-14_amd64.deb
Size: 37520
SHA256: 1111111111111111111111111111111111111111111111111111111111111111
""")

# SHA256SUMS
put("checksums", "sums", "%s  dist/hello\n%s *dist/hello.tar.gz\n\\%s  dist/new\\nline\\\\x\n\n" % ("a" * 64, "b" * 64, "c" * 64))


# Containers and formats for repro diff
tarfile.RECORDSIZE = 1024  # the end-of-archive blocks only: small seeds


def tar_bytes(members, compression=""):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:" + compression, format=tarfile.PAX_FORMAT) as t:
        for name, kind, data, mtime in members:
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            info.uname, info.gname = "builder", "builder"
            if kind == "file":
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
            elif kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, data.decode()
                t.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, data.decode()
                t.addfile(info)
    return out.getvalue()


with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "a.c")
    with open(src, "w") as f:
        f.write("int answer(void) { return 42; }\nconst char *stamp = \"1970\";\n")
    subprocess.run(["gcc", "-Os", "-c", src, "-o", os.path.join(tmp, "a.o")], check=True)
    elf = open(os.path.join(tmp, "a.o"), "rb").read()
pyc = struct.pack("<4sIII", b"\xcb\x0d\x0d\x0a", 0, 1700000000, 12) + b"\xe3" + bytes(15)
gz_a = gzip.compress(b"hello\n", mtime=1700000000)
gz_b = gzip.compress(b"hello\n", mtime=1600000000)
put("diff-formats", "a.o", elf)
put("diff-formats", "x.pyc", pyc)
put("diff-formats", "x.gz", gz_a)
put("diff-formats", "lines.txt", "one\ntwo\nthree\nfour\n/build/src/x 1700000000\nsix\n")


def pair(a, b):
    return struct.pack("<H", len(a)) + a + b


files_a = [("dist", "dir", b"", 0), ("dist/a.o", "file", elf, 0), ("dist/x.pyc", "file", pyc, 0),
           ("dist/l", "symlink", b"a.o", 0), ("dist/h", "hardlink", b"dist/a.o", 0)]
files_b = [("dist", "dir", b"", 5), ("dist/a.o", "file", elf.replace(b"1970", b"2024"), 0),
           ("dist/x.pyc", "file", pyc[:8] + b"\x01" + pyc[9:], 0), ("dist/l", "symlink", b"b.o", 0)]
put("diff-archive", "tar-gz", pair(tar_bytes(files_a, "gz"), tar_bytes(files_b, "gz")))
put("diff-archive", "gz", pair(gz_a, gz_b))
put("diff-archive", "text", pair(b"built at 1700000000\nin /build/src\n", b"built at 1600000000\nin /build/src\n"))
zips = []
for stamp in ((2020, 1, 1, 0, 0, 0), (2024, 1, 1, 0, 0, 0)):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (("m/x.pyc", pyc), ("m/inner.tar", tar_bytes([("t", "file", b"text\n", stamp[0])]))):
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    zips.append(out.getvalue())
put("diff-archive", "zip", pair(*zips))
ars = []
for payload in (b"one\n", b"two\n"):
    ars.append(b"!<arch>\n" + b"debian-binary/  0           0     0     100644  4         `\n" + payload)
put("diff-archive", "ar", pair(*ars))

# Toolchain archives for the extractor
tree = [("root", "dir", b"", 0), ("root/bin", "dir", b"", 0), ("root/bin/tool", "file", b"#!/bin/sh\necho ok\n", 1),
        ("root/lib", "symlink", b"bin", 0), ("root/bin/alias", "hardlink", b"root/bin/tool", 0),
        ("root/share/doc/" + "long-name-" * 12, "file", b"doc\n", 0)]
put("extract", "tree.tar", tar_bytes(tree))
put("extract", "tree.tar.gz", tar_bytes(tree, "gz"))
put("extract", "tree.tar.xz", tar_bytes(tree, "xz"))
put("extract", "tree.tar.bz2", tar_bytes(tree, "bz2"))
zst = subprocess.run(["zstd", "-q", "-c"], input=tar_bytes(tree), stdout=subprocess.PIPE, check=True).stdout
put("extract", "tree.tar.zst", zst)
