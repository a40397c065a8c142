import ArgumentParser
import FoundationEssentials
import Glibc
import ReproCore

/// `repro keygen -o NAME`: writes an Ed25519 key pair for signing manifests.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key pair for signing manifests.",
        discussion: """
            Writes NAME.key (PKCS#8 PEM private key, mode 0600) and NAME.pub (SPKI PEM public key), \
            refusing to overwrite either, and prints the keyid: the SHA-256 hex of \
            {"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"}. \
            Keys made by `openssl genpkey -algorithm ed25519` work as well.

            \(HelpText.examples([
                "Make builder.key and builder.pub:": "repro keygen -o builder",
            ]))
            """
    )

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("Path prefix of the pair: writes NAME.key and NAME.pub.", valueName: "NAME"))
    var output: String

    func validate() throws {
        if output.isEmpty || output.hasSuffix("/") {
            throw ValidationError("-o NAME needs a file name prefix, e.g. `-o release` for release.key and release.pub")
        }
    }

    func run() throws {
        let keyPath = output + ".key", pubPath = output + ".pub"
        for path in [keyPath, pubPath] where FileManager.default.fileExists(atPath: path) || isSymlink(path) {
            throw ReproError.configuration(
                "\(path) already exists; repro keygen never overwrites a key: choose another NAME or remove the old pair first"
            )
        }
        let key = SigningKey.generate()
        try writeExclusive(keyPath, Data(key.pemRepresentation.utf8), mode: 0o600)
        do {
            try writeExclusive(pubPath, Data(key.publicKey.pemRepresentation.utf8), mode: 0o644)
        } catch {
            unlink(keyPath)
            throw error
        }
        Console.progress("wrote \(keyPath) (private, mode 0600) and \(pubPath) (public)")
        Console.out(key.keyID)
    }

    private func isSymlink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }

    /// Creates `path` (never an existing file or link: `O_CREAT | O_EXCL`), writes it whole and
    /// sets `mode`; on any failure nothing is left behind.
    private func writeExclusive(_ path: String, _ data: Data, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else {
            let code = errno
            throw ReproError.configuration(
                "cannot create \(path): \(String(cString: strerror(code))); check that its directory exists and is writable",
                errno: code)
        }
        var ok = fchmod(fd, mode) == 0
        data.withUnsafeBytes { buffer in
            var offset = 0
            while ok, offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    ok = false
                } else {
                    offset += n
                }
            }
        }
        let code = errno
        if ok { ok = fsync(fd) == 0 }
        if close(fd) != 0 { ok = false }
        guard ok else {
            unlink(path)
            throw ReproError.configuration("cannot write \(path): \(String(cString: strerror(code)))", errno: code)
        }
    }
}
