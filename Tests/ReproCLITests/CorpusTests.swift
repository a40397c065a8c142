import Foundation
import Testing

// The corpus: real upstream projects, downloaded at test time with the usual clients (Debian source
// packages with `apt-get source`, Python sdists with `pip download`), each file pinned by SHA-256,
// and checked with `repro check` in the toolchain of scripts/corpus-toolchain.sh. Each project's
// verdict is part of the test: it certifies (exit 0, and the same output digest when checked again
// from another host path) or it is caught (exit 1, with the cause explained).

/// The toolchain the corpus builds in: Debian 12 with autotools, CMake, debhelper, Go and Python,
/// made by scripts/corpus-toolchain.sh once per machine and cached (see that script).
struct CorpusToolchain: Sendable {
    let specDir: String

    static let shared: CorpusToolchain = {
        let specDir = NSTemporaryDirectory() + "repro-corpus-specs-" + UUID().uuidString
        let status = shell("scripts/corpus-toolchain.sh '\(specDir)' >/dev/null", in: DebianToolchain.repository)
        precondition(status == 0, "scripts/corpus-toolchain.sh failed (exit \(status)); run it by hand to see why")
        return CorpusToolchain(specDir: specDir)
    }()

    /// Runs `repro check --json` on a directory with this toolchain.
    func check(_ dir: String) throws -> (status: Int32, report: [String: Any], stderr: String) {
        let result = try CLI.run(["check", dir, "--json"], environment: ["REPRO_TOOLCHAIN_PATH": specDir])
        let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result.status, report, result.stderr)
    }
}

/// One downloaded file of an upstream release, pinned by the SHA-256 of its bytes.
struct PinnedFile: Sendable {
    let name: String
    let sha256: String
}

/// Where a project's files come from.
enum Upstream: Sendable {
    /// A Debian source package, `apt-get source --download-only PACKAGE=VERSION` (bookworm, from
    /// this machine's apt sources turned into deb-src entries).
    case debian(package: String, version: String, files: [PinnedFile])
    /// A source distribution from PyPI, `pip download --no-deps --no-binary :all: REQUIREMENT`.
    case pypi(requirement: String, file: PinnedFile)

    var files: [PinnedFile] {
        switch self {
        case let .debian(_, _, files): files
        case let .pypi(_, file): [file]
        }
    }
}

/// How the downloaded files become the project directory.
enum Layout: Sendable {
    /// The archive unpacked at the project root, its top directory stripped (an upstream checkout).
    case unpack(String)
    /// `dpkg-source -x DSC SUBDIR`: a Debian source tree in SUBDIR, the build area at the root.
    case debianSource(dsc: String, subdir: String)
}

/// The verdict a project must get.
enum Expected: Sendable {
    /// Exit 0, and the same output digest from a second host path.
    case certified
    /// Exit 1, with `file` among the differences, explained with every phrase of `cause`, and no
    /// path with a suffix in `same` among them (outputs that do reproduce).
    case caught(file: String, cause: [String], same: [String] = [])
}

/// One corpus project: where it comes from, its repro.toml, and its verdict.
struct CorpusProject: Sendable, CustomTestStringConvertible {
    let name: String
    let upstream: Upstream
    let layout: Layout
    let config: String
    let expected: Expected

    var testDescription: String { name }
}

/// Fetches pinned upstream files into a fresh directory per call. Files are kept in a cache keyed
/// by SHA-256 (`<repro cache>/corpus/sha256/<hex>`, beside the toolchains of scripts/*-toolchain.sh),
/// re-hashed on every use; the client runs only when a pinned file is not cached.
enum CorpusDownloads {
    static var cache: String {
        let env = ProcessInfo.processInfo.environment
        let root =
            env["REPRO_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache") + "/repro")
        return root + "/corpus/sha256"
    }

    /// A fresh directory holding exactly the upstream's pinned files, each checked against its pin.
    static func fetch(_ upstream: Upstream) throws -> String {
        let fm = FileManager.default
        if try !upstream.files.allSatisfy({ try isCached($0) }) {
            let fetched = try download(upstream)
            defer { try? fm.removeItem(atPath: fetched) }
            try fm.createDirectory(atPath: cache, withIntermediateDirectories: true)
            for file in upstream.files {
                let path = fetched + "/" + file.name
                guard fm.fileExists(atPath: path) else {
                    throw FixtureError(
                        "the download of \(upstream) has no \(file.name); it holds \((try? fm.contentsOfDirectory(atPath: fetched).sorted()) ?? [])"
                    )
                }
                let actual = try sha256(path)
                guard actual == file.sha256 else {
                    throw FixtureError(
                        "\(file.name) has SHA-256 \(actual), but the corpus pins \(file.sha256): the upstream file changed; check it and update the pin"
                    )
                }
                let temp = cache + "/.tmp-\(getpid())-" + UUID().uuidString
                try fm.copyItem(atPath: path, toPath: temp)
                guard rename(temp, cache + "/" + file.sha256) == 0 else {
                    throw FixtureError("cannot store \(file.name) in \(cache): errno \(errno)")
                }
            }
        }
        let dir = try temporaryDirectory("repro-corpus-dl-")
        for file in upstream.files {
            try fm.copyItem(atPath: cache + "/" + file.sha256, toPath: dir + "/" + file.name)
            let actual = try sha256(dir + "/" + file.name)
            guard actual == file.sha256 else {
                throw FixtureError(
                    "the cached \(file.name) changed while it was copied: SHA-256 \(actual), pinned \(file.sha256)")
            }
        }
        return dir
    }

    /// Whether the cache holds the file with the right bytes.
    private static func isCached(_ file: PinnedFile) throws -> Bool {
        let path = cache + "/" + file.sha256
        guard FileManager.default.fileExists(atPath: path) else { return false }
        return try sha256(path) == file.sha256
    }

    /// Runs the upstream's client into a fresh directory.
    private static func download(_ upstream: Upstream) throws -> String {
        let dir = try temporaryDirectory("repro-corpus-dl-")
        do {
            try download(upstream, into: dir)
        } catch {
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        return dir
    }

    private static func download(_ upstream: Upstream, into dir: String) throws {
        switch upstream {
        case let .debian(package, version, _):
            // A private apt state: deb-src entries made from this machine's bookworm sources, and
            // lists of its own, so neither the host's apt configuration nor its lists change.
            let apt = try temporaryDirectory("repro-corpus-apt-")
            defer { try? FileManager.default.removeItem(atPath: apt) }
            let sources = try Shell.run([
                "/usr/bin/python3", DebianToolchain.repository + "/scripts/host-apt-sources.py", "bookworm", "deb-src",
            ])
            guard sources.status == 0 else { throw FixtureError("host-apt-sources.py failed: \(sources.stderr)") }
            try sources.stdout.write(toFile: apt + "/debian.sources", atomically: false, encoding: .utf8)
            for sub in ["parts", "lists/partial", "cache/archives/partial"] {
                try FileManager.default.createDirectory(atPath: apt + "/" + sub, withIntermediateDirectories: true)
            }
            var options = [
                "-q", "-o", "Dir::Etc::SourceList=\(apt)/debian.sources", "-o", "Dir::Etc::SourceParts=\(apt)/parts",
                "-o", "Dir::State::Lists=\(apt)/lists", "-o", "Dir::Cache=\(apt)/cache", "-o",
                "Acquire::Languages=none",
            ]
            // apt drops to its _apt user for downloads, which cannot write to a private temp dir.
            if geteuid() == 0 { options += ["-o", "APT::Sandbox::User=root"] }
            let update = try Shell.run(["apt-get"] + options + ["update"])
            guard update.status == 0 else { throw FixtureError("apt-get update (deb-src) failed: \(update.stderr)") }
            let source = try Shell.run(
                ["apt-get"] + options + ["source", "--download-only", "\(package)=\(version)"], directory: dir)
            guard source.status == 0 else {
                throw FixtureError("apt-get source \(package)=\(version) failed: \(source.stderr)")
            }
        case let .pypi(requirement, _):
            let python =
                ProcessInfo.processInfo.environment["REPRO_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
            let pip = try Shell.run([
                python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                "--no-binary", ":all:", "--dest", dir, requirement,
            ])
            guard pip.status == 0 else { throw FixtureError("pip download \(requirement) failed: \(pip.stderr)") }
        }
    }

    static func sha256(_ path: String) throws -> String {
        let result = try Shell.run(["sha256sum", path])
        guard result.status == 0, let hex = result.stdout.split(separator: " ").first else {
            throw FixtureError("sha256sum \(path) failed: \(result.stderr)")
        }
        return String(hex)
    }
}

/// A fresh directory under the temp directory.
func temporaryDirectory(_ prefix: String) throws -> String {
    let dir = NSTemporaryDirectory() + prefix + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

extension CorpusProject {
    /// Makes the project directory at `dir` from the downloaded files in `downloads`.
    func layOut(from downloads: String, at dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        switch layout {
        case let .unpack(archive):
            let tar = try Shell.run(["tar", "-xf", downloads + "/" + archive, "-C", dir, "--strip-components=1"])
            guard tar.status == 0 else { throw FixtureError("unpacking \(archive) failed: \(tar.stderr)") }
        case let .debianSource(dsc, subdir):
            // --no-check: the files are pinned by SHA-256 here, and apt checked them against the
            // archive's signed index; dpkg-source would want the maintainers' keyring.
            let source = try Shell.run(["dpkg-source", "--no-check", "-x", downloads + "/" + dsc, dir + "/" + subdir])
            guard source.status == 0 else { throw FixtureError("dpkg-source -x \(dsc) failed: \(source.stderr)") }
        }
        try config.write(toFile: dir + "/repro.toml", atomically: false, encoding: .utf8)
    }
}

@Suite(.serialized) struct CorpusTests {
    /// The toolchain and epoch every project's repro.toml names.
    static func config(_ build: String) -> String {
        """
        [build]
        \(build)
        toolchains = ["debian-bookworm-corpus"]
        [source]
        date_epoch = 1700000000

        """
    }

    static let hello = Upstream.debian(
        package: "hello", version: "2.10-3",
        files: [
            PinnedFile(
                name: "hello_2.10-3.dsc", sha256: "75296f5ef618ae2f1849e22b142a2b5ab52c452ebefa4e7b0564c44617db3790"),
            PinnedFile(
                name: "hello_2.10.orig.tar.gz",
                sha256: "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b"),
            PinnedFile(
                name: "hello_2.10.orig.tar.gz.asc",
                sha256: "4ea69de913428a4034d30dcdcb34ab84f5c4a76acf9040f3091f0d3fac411b60"),
            PinnedFile(
                name: "hello_2.10-3.debian.tar.xz",
                sha256: "60ee7a466808301fbaa7fea2490b5e7a6d86f598956fb3e79c71b3295dc1f249"),
        ])

    static let projects: [CorpusProject] = [
        // GNU hello 2.10 as released (autotools, C): ./configure && make. Its tarball's files carry
        // their release times, which make compares to decide what is out of date.
        CorpusProject(
            name: "hello-autotools", upstream: hello, layout: .unpack("hello_2.10.orig.tar.gz"),
            config: config(
                """
                command = ["sh", "-c", "./configure && make -j2"]
                outputs = ["hello"]
                """),
            expected: .certified),
        // cmark 0.30.2, CommonMark's reference implementation (CMake, C): the program and the
        // static library.
        CorpusProject(
            name: "cmark-cmake",
            upstream: .debian(
                package: "cmark", version: "0.30.2-6",
                files: [
                    PinnedFile(
                        name: "cmark_0.30.2-6.dsc",
                        sha256: "ba2b32318538b710166cfa2b256b0c8dc9eab6b2d68de3027cff53ce2639cb99"),
                    PinnedFile(
                        name: "cmark_0.30.2.orig.tar.gz",
                        sha256: "6c7d2bcaea1433d977d8fed0b55b71c9d045a7cdf616e3cd2dce9007da753db3"),
                    PinnedFile(
                        name: "cmark_0.30.2-6.debian.tar.xz",
                        sha256: "3b9706eae5c220e5d913431991e65f7ddd850a44b14ee8a139586c3bb04e3d2e"),
                ]),
            layout: .unpack("cmark_0.30.2.orig.tar.gz"),
            config: config(
                """
                command = ["sh", "-c", "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMARK_TESTS=OFF -DCMARK_SHARED=OFF && cmake --build build -j2"]
                outputs = ["build/src/cmark", "build/src/libcmark.a"]
                """),
            expected: .certified),
        // Debian's hello 2.10-3 (debhelper: autoreconf, configure, make, help2man) built with
        // dpkg-buildpackage, every file the build makes counted as output: the packages reproduce,
        // but the .buildinfo records the build's wall-clock date (Build-Date).
        CorpusProject(
            name: "hello-deb", upstream: hello, layout: .debianSource(dsc: "hello_2.10-3.dsc", subdir: "hello-2.10"),
            config: config(
                """
                command = ["sh", "-c", "cd hello-2.10 && dpkg-buildpackage -us -uc -b"]
                env = { DEB_BUILD_OPTIONS = "nocheck parallel=2" }
                """),
            expected: .caught(file: "hello_2.10-3_amd64.buildinfo", cause: ["timestamp", "HH:MM:SS"], same: [".deb"])),
        // go-qrcode (Go, standard library only) from its Debian source package: the qrcode program,
        // every file the build makes counted as output.
        CorpusProject(
            name: "go-qrcode",
            upstream: .debian(
                package: "go-qrcode", version: "0.0~git20200617.da1b656-4",
                files: [
                    PinnedFile(
                        name: "go-qrcode_0.0~git20200617.da1b656-4.dsc",
                        sha256: "df49ad404650df84082e7e3a48e6f7cae8cc008cebd59533df9ffd418adebcbf"),
                    PinnedFile(
                        name: "go-qrcode_0.0~git20200617.da1b656.orig.tar.xz",
                        sha256: "4817bae4d44d505ce947740c9087c4edf2682d53d386789da03eb0b3d138b0d3"),
                    PinnedFile(
                        name: "go-qrcode_0.0~git20200617.da1b656-4.debian.tar.xz",
                        sha256: "8799c78215f4738643f3751502c191dbfdda0703d6309685d3fd76e872df4204"),
                ]),
            layout: .unpack("go-qrcode_0.0~git20200617.da1b656.orig.tar.xz"),
            config: config(
                """
                command = ["go", "build", "-o", "bin/qrcode", "./qrcode"]
                env = { GOCACHE = "/tmp/go-cache", GOPATH = "/tmp/go", GOPROXY = "off", GOFLAGS = "-mod=mod" }
                """),
            expected: .certified),
        // six 1.16.0's sdist, remade with `setup.py sdist`: Python's tarfile stamps the gzip header
        // (and the tar entries of the directories it makes) with the current time. Two runs less
        // than a second apart can get the same header time; then only the compressed data differs,
        // which is explained as such (its cause is inside it), so only "gzip" is asserted here and
        // the header's case is ComparisonTests.explainsAGzipHeaderTime.
        CorpusProject(
            name: "six-sdist",
            upstream: .pypi(
                requirement: "six==1.16.0",
                file: PinnedFile(
                    name: "six-1.16.0.tar.gz",
                    sha256: "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926")),
            layout: .unpack("six-1.16.0.tar.gz"),
            config: config(
                """
                command = ["python3", "setup.py", "sdist"]
                outputs = ["dist"]
                """),
            expected: .caught(file: "dist/six-1.16.0.tar.gz", cause: ["gzip"])),
        // MarkupSafe 2.1.5's wheel (setuptools, with a C extension) built by pip from the sdist,
        // offline: wheel takes its zip entries' times from SOURCE_DATE_EPOCH.
        CorpusProject(
            name: "markupsafe-wheel",
            upstream: .pypi(
                requirement: "markupsafe==2.1.5",
                file: PinnedFile(
                    name: "MarkupSafe-2.1.5.tar.gz",
                    sha256: "d283d37a890ba4c1ae73ffadf8046435c76e7bc2247bbb63c00bd1a709c6544b")),
            layout: .unpack("MarkupSafe-2.1.5.tar.gz"),
            config: config(
                """
                command = ["python3", "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", "dist", "."]
                outputs = ["dist"]
                """),
            expected: .certified),
    ]

    @Test(arguments: projects)
    func verdict(_ project: CorpusProject) throws {
        let start = Date()
        let downloads = try CorpusDownloads.fetch(project.upstream)
        let base = try temporaryDirectory("repro-corpus-")
        defer {
            try? FileManager.default.removeItem(atPath: downloads)
            try? FileManager.default.removeItem(atPath: base)
        }
        let dir = base + "/" + project.name
        try project.layOut(from: downloads, at: dir)
        let first = try CorpusToolchain.shared.check(dir)
        let log = "\(project.name): exit \(first.status)\n\(first.stderr)"
        switch project.expected {
        case .certified:
            try #require(first.status == 0, "\(log)")
            #expect(first.report["verdict"] as? String == "reproducible", "\(log)")
            // The same project at another, longer host path certifies the same outputs.
            let other = base + "/another/host/path/" + project.name
            try project.layOut(from: downloads, at: other)
            let second = try CorpusToolchain.shared.check(other)
            #expect(second.status == 0, "\(project.name) at a second path: exit \(second.status)\n\(second.stderr)")
            let digest = first.report["output_digest"] as? String
            #expect(
                digest != nil && digest == second.report["output_digest"] as? String,
                "\(project.name): \(digest ?? "no digest") vs \(second.report["output_digest"] ?? "no digest")")
        case let .caught(file, cause, same):
            #expect(first.status == 1, "\(log)")
            #expect(first.report["verdict"] as? String == "differ", "\(log)")
            let differences = first.report["differences"] as? [[String: Any]] ?? []
            let found = differences.first { $0["path"] as? String == file }
            #expect(found != nil, "\(project.name): \(file) is not among the differences \(differences)")
            let explanation = found?["explanation"] as? String ?? ""
            for phrase in cause {
                #expect(
                    explanation.contains(phrase),
                    "\(project.name): \(file) is explained as '\(explanation)', without '\(phrase)'")
            }
            let paths = differences.compactMap { $0["path"] as? String }
            let kept = (first.report["kept_runs"] as? String).map { $0 + "/run-1" } ?? ""
            let made = (FileManager.default.enumerator(atPath: kept)?.allObjects as? [String]) ?? []
            for suffix in same {
                #expect(
                    made.contains { $0.hasSuffix(suffix) },
                    "\(project.name): run 1 made no *\(suffix) (kept in \(kept))")
                #expect(!paths.contains { $0.hasSuffix(suffix) }, "\(project.name): a *\(suffix) differs: \(paths)")
            }
        }
        FileHandle.standardError.write(
            Data("corpus: \(project.name): exit \(first.status), \(Int(Date().timeIntervalSince(start))) s\n".utf8))
    }
}
