import ArgumentParser
import ReproCore
import ReproSystem

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
        let key = SigningKey.generate()
        try KeyPairFiles.write(key, keyPath: keyPath, pubPath: pubPath)
        Console.progress("wrote \(keyPath) (private, mode 0600) and \(pubPath) (public)")
        Console.out(key.keyID)
    }
}
