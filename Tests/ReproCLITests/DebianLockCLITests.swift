import Foundation
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// One lock of build-essential made from the current Debian archive (never the committed one,
/// whose versions Debian may have replaced), fetched once over the network into cache A; the
/// other caches of this suite fetch from a `file://` mirror laid out from cache A's blobs, so the
/// suite downloads the set once.
final class DebianLockFixture: Sendable {
    let root: String
    let specDir: String
    let spec: String
    let cacheA: String
    /// A `file://` mirror directory: `pool/...` paths linked to cache A's blobs.
    let mirror: String
    let lockStatus: Int32
    let lockStderr: String
    let fetchA: CLI.Result?
    /// `(path, sha256)` of every `[[package]]` table, in file order.
    let packages: [(path: String, sha256: String)]

    static let shared = DebianLockFixture()

    init() {
        root = NSTemporaryDirectory() + "repro-debian-lock-" + UUID().uuidString
        specDir = root + "/specs"
        spec = specDir + "/debian-bookworm-build.toml"
        cacheA = root + "/cache-a"
        mirror = root + "/mirror"
        try! FileManager.default.createDirectory(atPath: specDir, withIntermediateDirectories: true)
        let lock = try! CLI.run([
            "toolchain", "lock", "debian-bookworm-build", "--suite", "bookworm", "--include", "build-essential",
            "-o", spec, "--cache", cacheA,
        ])
        lockStatus = lock.status
        lockStderr = lock.stderr
        let text = (try? String(contentsOfFile: spec, encoding: .utf8)) ?? ""
        var found = [(path: String, sha256: String)]()
        var path = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("path = ") { path = String(line.dropFirst(8).dropLast()) }
            if line.hasPrefix("sha256 = ") { found.append((path, String(line.dropFirst(10).dropLast()))) }
        }
        packages = found
        guard lock.status == 0 else {
            fetchA = nil
            return
        }
        fetchA = try? CLI.run(["toolchain", "fetch", spec, "--json", "--cache", cacheA])
        for (path, sha) in packages {
            let target = mirror + "/" + path
            try? FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? FileManager.default.createSymbolicLink(
                atPath: target, withDestinationPath: cacheA + "/blobs/sha256/" + sha)
        }
    }

    /// The `treeDigest` of a `fetch --json` result.
    static func treeDigest(_ result: CLI.Result) -> String? {
        let array = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [[String: Any]]
        return array?.first?["tree_digest"] as? String
    }
}

/// A `python3 -m http.server`-like server on 127.0.0.1 serving a directory, on a free port.
final class DirectoryServer {
    let process = Process()
    let port: Int
    private let stdin = Pipe(), stdout = Pipe()

    init(serving directory: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import functools, http.server, sys
            http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
            s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1]))
            s.daemon_threads = True
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """, directory,
        ]
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        var bytes = [UInt8]()
        while true {
            let data = stdout.fileHandleForReading.readData(ofLength: 1)
            if data.isEmpty || data[0] == 10 { break }
            bytes.append(data[0])
        }
        guard let port = Int(String(decoding: bytes, as: UTF8.self)) else { throw CocoaError(.fileReadUnknown) }
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite(.serialized) struct DebianLockCLITests {
    let fixture = DebianLockFixture.shared

    @Test func lockFromTheCurrentArchivePinsBuildEssentialAndItsClosure() throws {
        #expect(fixture.lockStatus == 0, "\(fixture.lockStderr)")
        let text = try String(contentsOfFile: fixture.spec, encoding: .utf8)
        for name in ["build-essential", "gcc", "make", "libc6-dev", "dash", "coreutils", "base-passwd", "mawk"] {
            #expect(text.contains("name = \"\(name)\"\n"), "\(name) is not in the lock")
        }
        #expect(!text.contains("name = \"usrmerge\""))
        #expect(text.contains("suites = [\"bookworm\""))
        #expect(fixture.packages.count > 60)
        #expect(fixture.packages.allSatisfy { $0.path.hasPrefix("pool/") && $0.sha256.count == 64 })
        #expect(!text.contains("deb.debian.org"), "a lock names no host")
    }

    @Test func twoCachesOnTwoPathsGetTheSameTree() throws {
        let a = try #require(fixture.fetchA)
        #expect(a.status == 0, "\(a.stderr)")
        let digestA = try #require(DebianLockFixture.treeDigest(a))
        let cacheB = fixture.root + "/elsewhere/deeper/cache-b"
        let b = try CLI.run([
            "toolchain", "fetch", fixture.spec, "--json", "--cache", cacheB, "--debian-mirror",
            "file://" + fixture.mirror,
        ])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(DebianLockFixture.treeDigest(b) == digestA)
        #expect(!b.stderr.contains("deb.debian.org"), "cache B fetched from the network: \(b.stderr.suffix(500))")
        // A hit in A: nothing downloaded or assembled again.
        let again = try CLI.run(["toolchain", "fetch", fixture.spec, "--json", "--cache", fixture.cacheA])
        #expect(again.status == 0 && DebianLockFixture.treeDigest(again) == digestA)
        #expect(again.stdout.contains("\"unpacked\" : false"), "\(again.stdout)")
        let verify = try CLI.run(["toolchain", "verify", fixture.spec, "--cache", cacheB])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test func aCProjectIsCertifiedWithTheLockAndItsManifestListsEveryPackage() throws {
        #expect(fixture.fetchA?.status == 0)
        let dir = DebianToolchain.copy(example: "hello-c")
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let result = try CLI.run(
            ["check", dir, "--json"],
            environment: ["REPRO_TOOLCHAIN_PATH": fixture.specDir, "REPRO_CACHE": fixture.cacheA])
        let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
        #expect(report["verdict"] as? String == "reproducible")
        let bundle = try String(contentsOfFile: dir + "/.repro/repro.intoto.jsonl", encoding: .utf8)
        let envelope = try #require(
            JSONSerialization.jsonObject(with: Data(bundle.split(separator: "\n")[0].utf8)) as? [String: Any])
        let payload = try #require(Data(base64Encoded: envelope["payload"] as? String ?? ""))
        let statement = try #require(JSONSerialization.jsonObject(with: payload) as? [String: Any])
        let predicate = statement["predicate"] as? [String: Any]
        let definition = predicate?["buildDefinition"] as? [String: Any]
        let dependencies = definition?["resolvedDependencies"] as? [[String: Any]] ?? []
        let debs = dependencies.filter { ($0["uri"] as? String ?? "").hasPrefix("pkg:deb/debian/") }
        #expect(debs.count == fixture.packages.count)
        #expect(
            Set(debs.compactMap { ($0["digest"] as? [String: String])?["sha256"] })
                == Set(fixture.packages.map(\.sha256)))
        #expect(
            debs.contains {
                ($0["uri"] as? String ?? "").hasPrefix("pkg:deb/debian/build-essential@")
                    && ($0["uri"] as? String ?? "").hasSuffix("?arch=amd64")
            })

        // Another machine rebuilds it from the manifest alone: no spec, an empty cache, the
        // packages from a Debian mirror by their recorded pool paths and pins.
        let rebuilt = try CLI.run(
            [
                "rebuild", dir + "/.repro/repro.intoto.jsonl", "--no-verify", "--source", dir,
                "--cache", fixture.root + "/cache-rebuild-" + UUID().uuidString,
            ],
            environment: ["REPRO_TOOLCHAIN_PATH": "", "REPRO_DEBIAN_MIRRORS": "file://" + fixture.mirror])
        #expect(rebuilt.status == 0, "\(rebuilt.stdout)\(rebuilt.stderr.suffix(3000))")
        #expect(rebuilt.stdout.contains("REPRODUCED"))

        // `toolchain export` of the lock lays its packages out at their pool paths: a Debian mirror.
        let exportDir = fixture.root + "/export-" + UUID().uuidString
        let exported = try CLI.run(["toolchain", "export", fixture.spec, "-o", exportDir, "--cache", fixture.cacheA])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(
            Set(exported.stdout.split(separator: "\n").map(String.init))
                == Set(fixture.packages.map { exportDir + "/" + $0.path }))
    }

    @Test func aWrongPinIsRefusedWithExitFive() throws {
        let text = try String(contentsOfFile: fixture.spec, encoding: .utf8)
        let first = try #require(fixture.packages.first)
        let last = first.sha256.last == "0" ? "1" : "0"
        let wrong = String(first.sha256.dropLast()) + last
        let spec = fixture.root + "/wrong/debian-bookworm-build.toml"
        try FileManager.default.createDirectory(atPath: fixture.root + "/wrong", withIntermediateDirectories: true)
        try text.replacingOccurrences(of: first.sha256, with: wrong).write(
            toFile: spec, atomically: true, encoding: .utf8)
        let cache = fixture.root + "/cache-wrong"
        let result = try CLI.run([
            "toolchain", "fetch", spec, "--cache", cache, "--debian-mirror", "file://" + fixture.mirror,
        ])
        #expect(result.status == 5, "\(result.stderr.suffix(2000))")
        #expect(
            result.stderr.contains("pin mismatch") && result.stderr.contains(first.path),
            "\(result.stderr.suffix(2000))")
        #expect(!FileManager.default.fileExists(atPath: cache + "/blobs/sha256/" + wrong))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: cache + "/trees")) ?? []).isEmpty)
    }

    @Test func aMirrorServingACorruptedDebIsSkippedForTheNextOne() throws {
        let a = try #require(fixture.fetchA)
        let pick = try #require(fixture.packages.first { $0.path.contains("/make-dfsg/") } ?? fixture.packages.first)
        // The bad mirror: every .deb as in the good one, but one with a byte changed.
        let bad = fixture.root + "/bad-mirror"
        for (path, sha) in fixture.packages {
            let target = bad + "/" + path
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if path == pick.path {
                var bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.cacheA + "/blobs/sha256/" + sha))
                bytes[bytes.count / 2] ^= 0xff
                try bytes.write(to: URL(fileURLWithPath: target))
            } else {
                try FileManager.default.createSymbolicLink(
                    atPath: target, withDestinationPath: fixture.cacheA + "/blobs/sha256/" + sha)
            }
        }
        let server = try DirectoryServer(serving: bad)
        defer { server.stop() }
        let cache = fixture.root + "/cache-d"
        let result = try CLI.run([
            "toolchain", "fetch", fixture.spec, "--json", "--cache", cache,
            "--debian-mirror", server.url, "--debian-mirror", "file://" + fixture.mirror,
        ])
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(result.stderr.contains("refused \(server.url)/\(pick.path)"), "\(result.stderr.suffix(2000))")
        #expect(result.stderr.contains("downloading file://\(fixture.mirror)/\(pick.path)"))
        #expect(DebianLockFixture.treeDigest(result) == DebianLockFixture.treeDigest(a))
    }

    @Test func theZeroConfigCheckFallsBackToTheBuiltInLock() throws {
        let empty = fixture.root + "/no-specs"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try CLI.run(
            ["toolchain", "verify", "debian-bookworm-build", "--cache", fixture.root + "/cache-empty"],
            environment: ["REPRO_TOOLCHAIN_PATH": empty], directory: empty)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("not cached  debian-bookworm-build debian:bookworm"), "\(result.stdout)")
    }
}
