import FoundationEssentials
import Glibc
import ReproCore

extension PublicKey {
    /// Reads an SPKI PEM public key file (open(2), read(2)).
    public init(contentsOf path: String) throws(ReproError) {
        try self.init(pem: try KeyFile.text(path, kind: "public key"), source: path)
    }
}

extension SigningKey {
    /// Reads a PKCS#8 PEM private key file (stat(2), open(2), read(2)), refusing one that group or
    /// others may access.
    public init(contentsOf path: String) throws(ReproError) {
        let info: Glibc.stat
        switch Syscalls.stat(path) {
        case .success(let found): info = found
        case .failure(let e):
            throw .configuration(
                "cannot read the signing key \(path): \(e.text); pass the NAME.key file `repro keygen -o NAME` wrote",
                errno: e.code)
        }
        let mode = Int(info.st_mode)
        if mode & 0o077 != 0 {
            throw .configuration(
                "the signing key \(path) is accessible by group or others (mode \(String(mode & 0o777, radix: 8))); a private key must be private: run `chmod 600 \(path)`"
            )
        }
        try self.init(pem: try KeyFile.text(path, kind: "signing key"), source: path)
    }
}

/// The reading of key files, bounded: a key file is a few hundred bytes.
enum KeyFile {
    /// The size from which a file is refused as a key file.
    static let maxBytes = 64 * 1024

    /// The text of the key file at `path` (`kind` names it in errors: "signing key", "public key").
    static func text(_ path: String, kind: String) throws(ReproError) -> String {
        func unreadable(_ e: Errno) -> ReproError {
            .configuration("cannot read the \(kind) \(path): it does not exist or is not readable", errno: e.code)
        }
        func tooLarge(_ size: Int) -> ReproError {
            .configuration(
                "\(path) is \(size) bytes, far too large to be an Ed25519 \(kind); pass the file `repro keygen` wrote")
        }
        let file = try FileDescriptor(opening: path, flags: O_RDONLY, failure: unreadable)
        if case .success(let info) = Syscalls.fstat(file.raw), info.st_mode & S_IFMT == S_IFREG,
            info.st_size >= off_t(maxBytes)
        {
            throw tooLarge(Int(info.st_size))
        }
        // At most `maxBytes` from anything else (a pipe, a file that grows while it is read).
        var bytes: [UInt8] = []
        _ = try Hashing.withBuffer { buffer throws(ReproError) in
            try Hashing.stream(file.raw, buffer: buffer, limit: UInt64(maxBytes), readFailed: unreadable) { chunk in
                bytes += chunk
                return true
            }
        }
        guard bytes.count < maxBytes else { throw tooLarge(bytes.count) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The key pair `repro keygen` writes.
public enum KeyPairFiles {
    /// Writes `key` to `keyPath` (PKCS#8 PEM, mode 0600 from the moment the file exists: it is
    /// created with that mode, so no other user can open it even before its mode is set) and its
    /// public key to `pubPath` (SPKI PEM, mode 0644), each flushed to the disk (``NewFile``).
    /// Refuses to overwrite either, or to write through a symlink at either path (exit 2); when a
    /// step fails, neither file is left.
    public static func write(_ key: SigningKey, keyPath: String, pubPath: String) throws(ReproError) {
        for path in [keyPath, pubPath] where Syscalls.exists(path) {
            throw .configuration(
                "\(path) already exists; repro keygen never overwrites a key: choose another NAME or remove the old pair first"
            )
        }
        try create(keyPath, key.pemRepresentation, mode: 0o600)
        do throws(ReproError) {
            try create(pubPath, key.publicKey.pemRepresentation, mode: 0o644)
        } catch {
            Syscalls.unlink(keyPath)
            throw error
        }
    }

    private static func create(_ path: String, _ text: String, mode: mode_t) throws(ReproError) {
        try NewFile.create(
            path, Array(text.utf8), mode: mode,
            cannotCreate: { e in
                .configuration(
                    "cannot create \(path): \(e.text); check that its directory exists and is writable", errno: e.code)
            },
            cannotWrite: { e in .configuration("cannot write \(path): \(e.text)", errno: e.code) })
    }
}
