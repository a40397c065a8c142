import Crypto
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// The parsers of hostile input, each as a function of one byte string: the fuzz targets of
/// `make fuzz` (libFuzzer, fuzz/) and of the seeded mutation test that `make test` runs
/// (Tests/ReproSystemTests/FuzzMutationTests.swift). Seeds are in fuzz/corpus/TARGET/.
///
/// A target returns normally for any input, valid or not. It traps (a finding) when the parser
/// crashes, or when it rejects an input with anything but a ``ReproError`` of the documented
/// input statuses (2 configuration, 5 verification): a hostile file must get a clear error.
public enum FuzzTargets {
    /// One named target.
    public struct Target: Sendable {
        /// The name, also the directory of its seeds under fuzz/corpus/.
        public let name: String
        /// Runs the parser on one input.
        public let run: @Sendable (Data) -> Void
    }

    /// Every target, by name.
    public static let all: [Target] = [
        Target(name: "json", run: { json($0) }),
        Target(name: "dsse", run: { dsse($0) }),
        Target(name: "statement", run: { statement($0) }),
        Target(name: "pem", run: { pem($0) }),
        Target(name: "toolchain-toml", run: { toolchainTOML($0) }),
        Target(name: "project-toml", run: { projectTOML($0) }),
        Target(name: "profile-toml", run: { profileTOML($0) }),
        Target(name: "debian-index", run: { debianIndex($0) }),
        Target(name: "checksums", run: { checksums($0) }),
        Target(name: "diff-formats", run: { diffFormats($0) }),
        Target(name: "diff-archive", run: { diffArchive($0) }),
        Target(name: "extract", run: { extract($0) }),
    ]

    /// The target called `name`, if there is one.
    public static func named(_ name: String) -> Target? { all.first { $0.name == name } }

    /// The key the `statement` target signs with and every target verifies against: fixed, so
    /// that seeds signed with it stay valid (``signedBundle(_:)`` makes them).
    public static let key = SigningKey(
        try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)))

    /// `payloads` signed with ``key`` as a bundle: one DSSE envelope a line.
    public static func signedBundle(_ payloads: [[UInt8]]) -> Data {
        var out = Data()
        for payload in payloads {
            guard
                let envelope = try? DSSEEnvelope.sign(
                    payload: payload, payloadType: DSSEEnvelope.inTotoPayloadType, key: key)
            else {
                preconditionFailure("signing with a fixed key failed")
            }
            out.append(envelope.jsonLine)
            out.append(0x0A)
        }
        return out
    }

    /// Accepts an error only when it is a ``ReproError`` with an input status.
    static func expectInputError(_ error: any Error, _ target: String) {
        guard let repro = error as? ReproError else {
            preconditionFailure("\(target): rejected with \(type(of: error)), not a ReproError: \(error)")
        }
        guard repro.kind == .configuration || repro.kind == .verification else {
            preconditionFailure(
                "\(target): rejected as a \(repro.kind.rawValue) error (exit \(repro.status.rawValue)), not configuration (2) or verification (5): \(repro.message)"
            )
        }
        precondition(!repro.message.isEmpty, "\(target): an error without a message")
    }

    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    // MARK: the targets

    /// StrictJSON: a value, or a syntax error with an offset inside the input.
    static func json(_ data: Data) {
        do {
            let value = try StrictJSON.parse(data)
            // What was accepted serializes to canonical JSON that parses back to the same bytes.
            let canonical = value.serialized()
            let again = try StrictJSON.parse(canonical).serialized()
            precondition(again == canonical, "json: the canonical form changes when parsed again")
        } catch {
            precondition(
                error.offset >= 0 && error.offset <= data.count, "json: error offset \(error.offset) outside the input")
        }
    }

    /// A bundle as `repro verify` reads it: envelopes, signatures, statements.
    static func dsse(_ data: Data) {
        do {
            _ = try Verifier.verify(bundle: data, keys: [key.publicKey])
        } catch {
            expectInputError(error, "dsse")
        }
        do {
            _ = try Manifest.read(data)
        } catch {
            expectInputError(error, "dsse")
        }
    }

    /// Statement payloads (one a line) signed with the fixed key, so that validation sees them.
    static func statement(_ data: Data) {
        let payloads = data.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: false).map { [UInt8]($0) }
        for payload in payloads {
            do {
                _ = try Verifier.checkStatement(payload: payload)
            } catch {
                expectInputError(error, "statement")
            }
        }
        do {
            let report = try Verifier.verify(bundle: signedBundle(payloads), keys: [key.publicKey])
            _ = report.jsonValue.serialized()
            _ = try Verifier.certifiedTreeDigest(report.reproducibility)
        } catch {
            expectInputError(error, "statement")
        }
    }

    /// PEM text as a public key and as a private key (SPKI and PKCS#8 DER inside).
    static func pem(_ data: Data) {
        let text = text(data)
        do { _ = try PublicKey(pem: text, source: "fuzz.pub") } catch { expectInputError(error, "pem") }
        do { _ = try SigningKey(pem: text, source: "fuzz.key") } catch { expectInputError(error, "pem") }
    }

    /// A toolchain spec, plain or a Debian lock.
    static func toolchainTOML(_ data: Data) {
        do { _ = try ToolchainSpec.parse(toml: text(data), path: "fuzz.toml") } catch {
            expectInputError(error, "toolchain-toml")
        }
    }

    /// A project's repro.toml.
    static func projectTOML(_ data: Data) {
        do {
            let config = try ProjectConfig.parse(text(data), path: "repro.toml")
            try config.validate(path: "repro.toml")
        } catch {
            expectInputError(error, "project-toml")
        }
    }

    /// A sandbox profile.
    static func profileTOML(_ data: Data) {
        do { _ = try Profile.parse(text(data), origin: "fuzz.toml") } catch { expectInputError(error, "profile-toml") }
    }

    /// A Debian Release file and Packages index, then a resolution of what they list.
    static func debianIndex(_ data: Data) {
        let text = text(data)
        _ = DebianIndex.releaseFiles(text)
        let packages = DebianIndex.packages(text, architecture: "amd64")
        for package in packages.prefix(8) {
            _ = DebianVersion.compare(package.version, packages[0].version)
            _ = DebianPackagePin.parsePURL(
                "pkg:deb/debian/\(package.name)@\(package.version)?arch=\(package.architecture)")
        }
        do {
            _ = try DebianResolver(packages).resolve(include: packages.prefix(4).map(\.name))
        } catch {
            expectInputError(error, "debian-index")
        }
    }

    /// A SHA256SUMS file, then its check against the subject that names it.
    static func checksums(_ data: Data) {
        do { _ = try SHA256Sums.parse(text(data), path: "SHA256SUMS") } catch { expectInputError(error, "checksums") }
        let digest = TreeDigest.hex(SHA256.hash(data: data))
        do {
            _ = try SHA256Sums.certified(
                data, sha256: digest, path: "SHA256SUMS",
                subjects: [Subject(name: "SHA256SUMS", sha256: digest)])
        } catch {
            expectInputError(error, "checksums")
        }
    }

    /// The format parsers of `repro diff` on the input, and on the input against itself cut
    /// short: gzip headers, .pyc headers, ELF section tables and the text diff.
    static func diffFormats(_ data: Data) {
        let bytes = [UInt8](data)
        let other = Array(bytes.prefix(bytes.count / 2)) + bytes.suffix(bytes.count - bytes.count / 2).map { $0 ^ 1 }
        let setting = DiffSetting(now: 1_700_000_000, sourceDateEpoch: 1_600_000_000, buildPaths: ["/build/src"])
        if let a = GzipHeader.parse(bytes), let b = GzipHeader.parse(other) {
            _ = GzipHeader.findings(a, b, location: ["x.gz"], setting: setting)
        }
        if let a = PycHeader.parse(bytes, name: "x.pyc"), let b = PycHeader.parse(other, name: "x.pyc") {
            _ = PycHeader.findings(a, b, location: ["x.pyc"], setting: setting)
        }
        _ = ELFSection.parse(bytes)
        _ = ELFSection.parse(other)
        let text = text(data)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let half = lines.count / 2
        _ = TextDiff.unified(Array(lines[..<half]), Array(lines[half...]), maxLines: 50, maxEdits: 200)
    }

    /// `repro diff` of two files: the first two bytes (little-endian) say how many of the
    /// rest are file a, the remainder is file b. Containers are opened with libarchive.
    static func diffArchive(_ data: Data) {
        let bytes = [UInt8](data)
        let split = bytes.count >= 2 ? min(Int(bytes[0]) | Int(bytes[1]) << 8, bytes.count - 2) : 0
        let rest = bytes.dropFirst(min(2, bytes.count))
        let a = Data(rest.prefix(split)), b = Data(rest.dropFirst(split))
        let directory = freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pathA = directory + "/a.bin", pathB = directory + "/b.bin"
        guard (try? a.write(to: URL(fileURLWithPath: pathA))) != nil,
            (try? b.write(to: URL(fileURLWithPath: pathB))) != nil
        else {
            preconditionFailure("diff-archive: cannot write the inputs in \(directory)")
        }
        var limits = DiffLimits.standard
        limits.maxBytes = 8 << 20
        limits.maxMemberBytes = 1 << 20
        limits.maxSeconds = 10
        let setting = DiffSetting(now: 1_700_000_000, sourceDateEpoch: 1_600_000_000, buildPaths: ["/build/src"])
        do {
            let report = try DiffEngine.compare(pathA, pathB, limits: limits, setting: setting)
            precondition(
                report.same == (a == b),
                "diff-archive: same is \(report.same) for \(a == b ? "equal" : "different") bytes")
            _ = report.json()
            _ = DiffHTML.render(report)
            for file in report.files { _ = file.humanLines(indent: "  ") }
        } catch {
            expectInputError(error, "diff-archive")
        }
    }

    /// A toolchain archive unpacked as `repro` unpacks one (compressed or plain tar), within
    /// small limits, into a fresh directory.
    static func extract(_ data: Data) {
        let directory = freshDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = directory + "/archive", destination = directory + "/tree"
        guard (try? data.write(to: URL(fileURLWithPath: archive))) != nil,
            (try? FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)) != nil
        else {
            preconditionFailure("extract: cannot prepare \(directory)")
        }
        do {
            _ = try ArchiveExtractor.extract(
                archive: archive, into: destination, stripComponents: Int(data.first ?? 0) % 3,
                limits: ExtractLimits(maxEntries: 512, maxBytes: 4 << 20))
        } catch {
            expectInputError(error, "extract")
        }
    }

    /// A new directory under TMPDIR for one run of a target that needs files: runs of one
    /// target may overlap (the mutation test runs its cases in parallel).
    static func freshDirectory() -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/repro-fuzz-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { preconditionFailure("mkdtemp failed: \(errno)") }
        return String(cString: made)
    }
}
