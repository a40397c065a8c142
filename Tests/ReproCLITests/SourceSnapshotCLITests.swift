import Foundation
import Testing

/// The headers of a ustar archive (what busybox `tar -c` writes): each entry's name and mtime.
func tarHeaders(_ data: Data) -> [(name: String, mtime: Int)] {
    let bytes = [UInt8](data)
    var result: [(name: String, mtime: Int)] = []
    var offset = 0
    func field(_ range: Range<Int>) -> String {
        let slice = bytes[(offset + range.lowerBound)..<(offset + range.upperBound)]
        return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
    }
    func octal(_ range: Range<Int>) -> Int {
        Int(field(range).trimmingCharacters(in: CharacterSet(charactersIn: " \0")), radix: 8) ?? -1
    }
    while offset + 512 <= bytes.count, bytes[offset] != 0 {
        let prefix = field(345..<500)
        let name = (prefix.isEmpty ? "" : prefix + "/") + field(0..<100)
        let size = octal(124..<136)
        result.append((name, octal(136..<148)))
        offset += 512 + (size + 511) / 512 * 512
    }
    return result
}

/// The upstream release tarball of GNU hello 2.10 (`hello_2.10.orig.tar.gz` of Debian bookworm's
/// hello 2.10-3 source package), fetched with `apt-get source --download-only` into
/// `.build/test-downloads/`, where later runs find it.
enum HelloTarball {
    static let sha256 = "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b"
    static let name = "hello_2.10.orig.tar.gz"
    static var cacheDir: String { DebianToolchain.repository + "/.build/test-downloads" }

    /// The tarball's path, or nil with the reason when the Debian archive cannot be reached.
    static func fetch() throws -> (path: String?, why: String) {
        let path = cacheDir + "/" + name
        if FileManager.default.fileExists(atPath: path) { return (path, "") }
        try FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true)
        // A private apt state with bookworm's deb-src: the machine's own apt configuration is left alone.
        let apt = NSTemporaryDirectory() + "repro-apt-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: apt) }
        for dir in ["sources.list.d", "lists/partial", "cache/archives/partial", "download"] {
            try FileManager.default.createDirectory(atPath: apt + "/" + dir, withIntermediateDirectories: true)
        }
        try """
        Types: deb-src
        URIs: http://deb.debian.org/debian
        Suites: bookworm
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        """.write(toFile: apt + "/sources.list.d/hello.sources", atomically: true, encoding: .utf8)
        let options = [
            "-o", "Dir::Etc::SourceList=/dev/null", "-o", "Dir::Etc::SourceParts=\(apt)/sources.list.d",
            "-o", "Dir::State::Lists=\(apt)/lists", "-o", "Dir::Cache=\(apt)/cache", "-o", "Debug::NoLocking=1",
            "-o", "APT::Sandbox::User=root", "-q",
        ]
        let update = try Shell.run(["apt-get"] + options + ["update"])
        guard update.status == 0, !update.stderr.contains("Failed to fetch") else {
            return (nil, "the Debian archive is unreachable (apt-get update: \(update.stderr.suffix(300)))")
        }
        let source = try Shell.run(
            ["apt-get"] + options + ["source", "--download-only", "hello=2.10-3"], directory: apt + "/download")
        guard source.status == 0 else {
            return (nil, "apt-get source --download-only hello=2.10-3 failed: \(source.stderr.suffix(300))")
        }
        try FileManager.default.moveItem(atPath: apt + "/download/" + name, toPath: path)
        return (path, "")
    }
}

@Suite struct SourceSnapshotCLITests {
    @Test(
        "the source files in the sandbox are the build user's, with their modes and the source time, and the build may change them"
    )
    func sourceFilesBelongToTheBuildUser() throws {
        let project = try Project(
            files: [
                "src/a.c": "a\n", "src/sub/b.c": "b\n", "tool.sh": "echo tool\n",
                "build.sh": """
                busybox stat -c '%u:%g %a %Y %n' . src src/a.c src/sub src/sub/b.c tool.sh > /tmp/stat.txt
                mkdir -p out && cp /tmp/stat.txt out/stat.txt
                busybox chmod 600 src/a.c && echo more >> src/sub/b.c && : > src/sub/new.c && busybox stat -c '%u:%g %a %n' src/a.c src/sub/new.c > out/changed.txt
                """,
            ],
            config: """
                [build]
                command = ["sh", "build.sh"]
                outputs = ["out"]
                toolchains = ["busybox"]
                """, git: true)
        defer { project.remove() }
        #expect(
            shell(
                "chmod 755 tool.sh && git add tool.sh && GIT_COMMITTER_DATE='@1700000000 +0000' git -c user.name=t -c user.email=t@t commit -qm mode",
                in: project.dir) == 0)
        let result = try project.check()
        #expect(result.status == 0, "\(result.stderr)")
        let stat = try String(contentsOfFile: project.dir + "/.repro/out/out/stat.txt", encoding: .utf8)
        #expect(
            stat == """
                1000:1000 755 1700000000 .
                1000:1000 755 1700000000 src
                1000:1000 644 1700000000 src/a.c
                1000:1000 755 1700000000 src/sub
                1000:1000 644 1700000000 src/sub/b.c
                1000:1000 755 1700000000 tool.sh

                """)
        let changed = try String(contentsOfFile: project.dir + "/.repro/out/out/changed.txt", encoding: .utf8)
        #expect(changed == "1000:1000 600 src/a.c\n1000:1000 644 src/sub/new.c\n")
    }

    @Test(
        "a build that archives its sources with their times is reproducible across checks at different host paths and times"
    )
    func sourcesArchivedWithTheirTimes() throws {
        let files = [
            "src/main.c": "int main(void) { return 0; }\n", "src/lib/util.h": "#define X 1\n",
            "build.sh": "mkdir -p out\ntar -cf out/src.tar src build.sh\n",
        ]
        let config = """
            [build]
            command = ["sh", "build.sh"]
            outputs = ["out"]
            toolchains = ["busybox"]
            """
        let one = try Project(files: files, config: config, git: true)
        let two = try Project(
            files: files, config: config, git: true,
            at: NSTemporaryDirectory() + "elsewhere/a/much/longer/path-" + UUID().uuidString)
        defer {
            one.remove()
            two.remove()
        }
        // The second checkout's files are from another day than the first's.
        #expect(shell("touch -d @1000000000 src/main.c src/lib/util.h build.sh src/lib src", in: two.dir) == 0)
        let a = try one.check(["--json"])
        let b = try two.check(["--json"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(b.status == 0, "\(b.stderr)")
        let da = try json(a.stdout)["output_digest"] as? String, db = try json(b.stdout)["output_digest"] as? String
        #expect(da != nil && da == db)
        #expect((try json(a.stdout)["normalization"] as? [String: String])?["source_mtime"] == "1700000000")
        let archive = try Data(contentsOf: URL(fileURLWithPath: one.dir + "/.repro/out/out/src.tar"))
        let headers = tarHeaders(archive)
        #expect(
            Set(headers.map(\.name)) == ["src/", "src/main.c", "src/lib/", "src/lib/util.h", "build.sh"], "\(headers)")
        for header in headers {
            #expect(header.mtime == 1_700_000_000, "\(header.name): mtime \(header.mtime)")
        }
    }

    @Test(
        "an upstream autotools release tarball (GNU hello 2.10) configures and builds: its generated files stay newer than their sources"
    )
    func autotoolsReleaseTarballBuilds() throws {
        let (tarball, why) = try HelloTarball.fetch()
        guard let tarball else {
            try Test.cancel("GNU hello's tarball could not be downloaded, so this test did not run: \(why)")
        }
        let sha = try Shell.run(["sha256sum", tarball])
        #expect(sha.stdout.hasPrefix(HelloTarball.sha256 + " "), "\(tarball) is not the pinned tarball: \(sha.stdout)")
        let parent = NSTemporaryDirectory() + "repro-hello-" + UUID().uuidString
        let dir = parent + "/hello"
        defer { try? FileManager.default.removeItem(atPath: parent) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let unpack = try Shell.run(["tar", "-xzf", tarball, "-C", dir, "--strip-components=1"])
        #expect(unpack.status == 0, "\(unpack.stderr)")
        try """
        [build]
        command = ["sh", "-c", "./configure && make"]
        outputs = ["hello"]
        toolchains = ["debian-bookworm-build"]
        [source]
        date_epoch = 1700000000
        """.write(toFile: dir + "/repro.toml", atomically: true, encoding: .utf8)
        let result = try DebianToolchain.shared.check(dir)
        let log = (try? String(contentsOfFile: dir + "/.repro/logs/run-1.log", encoding: .utf8)) ?? ""
        #expect(result.status == 0, "\(result.stderr)\n\(log.suffix(2000))")
        #expect(result.report["verdict"] as? String == "reproducible")
        #expect(!log.contains("aclocal"), "\(log.suffix(2000))")
        let hello = try Shell.run([dir + "/.repro/out/hello"])
        #expect(hello.stdout == "Hello, world!\n")
    }

    @Test("repro check runs none of the programs a repository can name", arguments: gitProgramCases)
    func checkRunsNoProgramOfTheRepository(_ script: String) throws {
        let name = ((script as NSString).lastPathComponent as NSString).deletingPathExtension
        let project = try Project(
            files: [
                "a.txt": "a\n", "sub/b.txt": "b\n",
                "build.sh": "mkdir -p out && cat a.txt sub/b.txt > out/all\n",
            ],
            config: """
                [build]
                command = ["sh", "build.sh"]
                outputs = ["out"]
                toolchains = ["busybox"]
                """, git: true)
        let outside = NSTemporaryDirectory() + "repro-outside-" + UUID().uuidString
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: outside)
        }
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let evil = outside + "/evil"
        try "#!/bin/sh\ntouch '\(outside)/marker'\nexec cat\n".write(toFile: evil, atomically: true, encoding: .utf8)
        chmod(evil, 0o755)
        #expect(
            shell(
                "export EVIL='\(evil)'; . '\(script)' && touch -d @1000000000 a.txt sub/b.txt build.sh", in: project.dir
            ) == 0, "\(name): setup failed")
        let result = try project.check(["--date-epoch", "1700000000"])
        #expect(
            !FileManager.default.fileExists(atPath: outside + "/marker"),
            "\(name): git ran the repository's program on the host")
        #expect(result.status == 0, "\(name): \(result.stderr)")
        #expect(try String(contentsOfFile: project.dir + "/.repro/out/out/all", encoding: .utf8) == "a\nb\n")
    }
}

/// The scripts of Tests/GitPrograms: each configures a repository so that git would run `$EVIL`.
let gitProgramCases: [String] = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("GitPrograms").path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.hasSuffix(".sh") }.sorted().map { dir + "/" + $0 }
}()
