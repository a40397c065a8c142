import Foundation
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory for one CLI test.
private struct Dir {
    let path: String
    init() {
        var template = Array("/tmp/repro-cli-XXXXXX".utf8CString)
        precondition(mkdtemp(&template) != nil)
        path = String(cString: template)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
    func write(_ relative: String, _ text: String, mode: Int = 0o644) {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(
            atPath: full, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    }
    func read(_ relative: String) -> String {
        (try? String(contentsOfFile: path + "/" + relative, encoding: .utf8)) ?? ""
    }
    func list(_ relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + relative)) ?? []).sorted()
    }
}

/// A started `repro` process whose output is collected when it ends.
private final class Running {
    let process = Process()
    let out = Pipe(), err = Pipe()
    init(_ arguments: [String], directory: String) throws {
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }
    func finish() -> CLI.Result {
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite struct ToolchainCLITests {
    /// Packs `dir/src` with the CLI and writes `dir/project/toolchains/NAME.toml` pinning it at `url` (default: the file).
    @discardableResult
    private func pinned(_ d: Dir, name: String = "tc", suffix: String = ".tar.gz", url: String? = nil) throws -> String
    {
        let result = try CLI.run(["toolchain", "pack", d.path + "/src", "-o", d.path + "/tc" + suffix])
        #expect(result.status == 0, "\(result.stderr)")
        let sha = String(result.stdout.prefix(71).dropFirst(7))
        #expect(result.stdout.contains("[[source]]\nurl = \"file://\(d.path)/tc\(suffix)\"\nsha256 = \"\(sha)\""))
        d.write(
            "project/toolchains/\(name).toml",
            "name = \"\(name)\"\n[[source]]\nurl = \"\(url ?? "file://\(d.path)/tc\(suffix)")\"\nsha256 = \"\(sha)\"\n")
        return sha
    }

    @Test func fetchPrintsTheTreeThenHitsTheCache() throws {
        let d = Dir()
        defer { d.remove() }
        d.write("src/bin/cc", "#!/bin/sh\n", mode: 0o755)
        d.write("src/lib/x", "x")
        let sha = try pinned(d)
        let first = try CLI.run(
            ["toolchain", "fetch", "--cache", d.path + "/cache", "tc"], directory: d.path + "/project")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == d.path + "/cache/trees/\(sha)/\n")
        #expect(first.stderr.contains("unpacking"))
        #expect(FileManager.default.isExecutableFile(atPath: d.path + "/cache/trees/\(sha)/bin/cc"))
        let second = try CLI.run(
            ["toolchain", "fetch", "tc"], environment: ["REPRO_CACHE": d.path + "/cache"],
            directory: d.path + "/project")
        #expect(second.status == 0)
        #expect(second.stdout == first.stdout)
        #expect(!second.stderr.contains("unpacking") && !second.stderr.contains("downloading"))
        #expect(second.stderr.contains("cached"))
        let list = try CLI.run(["toolchain", "list", "--cache", d.path + "/cache"], directory: d.path + "/project")
        #expect(list.stdout.contains("tc  \(d.path)/project/toolchains/tc.toml"))
        #expect(list.stdout.contains("cached      sha256:\(sha)"))
        let json = try CLI.run(
            ["toolchain", "fetch", "--json", "--cache", d.path + "/cache", "tc"], directory: d.path + "/project")
        #expect(json.stdout.contains("\"tree_digest\" : \"t1:"))
    }

    @Test func pinMismatchExits5NamingSpecURLAndDigests() throws {
        let d = Dir()
        defer { d.remove() }
        d.write("src/a", "a")
        let sha = try pinned(d)
        let wrong = String(repeating: "1", count: 64)
        d.write(
            "project/toolchains/bad.toml",
            "name = \"bad\"\n[[source]]\nurl = \"file://\(d.path)/tc.tar.gz\"\nsha256 = \"\(wrong)\"\n")
        let result = try CLI.run(
            ["toolchain", "fetch", "--cache", d.path + "/cache", "bad"], directory: d.path + "/project")
        #expect(result.status == 5)
        for part in ["\"bad\"", "toolchains/bad.toml", "file://\(d.path)/tc.tar.gz", sha, wrong] {
            #expect(result.stderr.contains(part), "\(part) missing from \(result.stderr)")
        }
        #expect(d.list("cache/blobs/sha256").isEmpty && d.list("cache/trees").isEmpty && d.list("cache/tmp").isEmpty)
    }

    /// libarchive decompresses lrzip, lzop and grzip by starting that program from PATH; a pinned
    /// archive in such a format must not make repro run a host program on a project's bytes.
    @Test func anArchiveNeedingAnExternalDecompressorRunsNoHostProgram() throws {
        let d = Dir()
        defer { d.remove() }
        var bytes: [UInt8] = Array("LRZI".utf8) + [0, 6] + [UInt8](repeating: 0, count: 58)
        bytes[6] = 1
        _ = FileManager.default.createFile(atPath: d.path + "/tc.tar.lrz", contents: Data(bytes))
        let marker = d.path + "/ran"
        for program in ["lrzip", "lzop", "grzip"] {
            d.write("bin/\(program)", "#!/bin/sh\necho \"$0 $*\" >> \(marker)\ncat >/dev/null\nexit 1\n", mode: 0o755)
        }
        let sha = try CorpusDownloads.sha256(d.path + "/tc.tar.lrz")
        d.write("lrz.toml", "name = \"lrz\"\n[[source]]\nurl = \"file://\(d.path)/tc.tar.lrz\"\nsha256 = \"\(sha)\"\n")
        let path = d.path + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try CLI.run(
            ["toolchain", "fetch", "--cache", d.path + "/cache", d.path + "/lrz.toml"], environment: ["PATH": path])
        #expect(result.status == 2, "\(result.status) \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "ran: \(d.read("ran"))")
    }

    @Test func anEndlessSourceStopsAtTheDownloadLimit() throws {
        let d = Dir()
        defer { d.remove() }
        let pin = String(repeating: "0", count: 64)
        d.write("zero.toml", "name = \"zero\"\n[[source]]\nurl = \"file:///dev/zero\"\nsha256 = \"\(pin)\"\n")
        let cache = d.path + "/cache"
        var result = try CLI.run([
            "toolchain", "fetch", "--cache", cache, "--max-download-bytes", "1048576", d.path + "/zero.toml",
        ])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("file:///dev/zero is longer than the download limit of 1048576 bytes"),
            "\(result.stderr)")
        #expect(d.list("cache/tmp").isEmpty && d.list("cache/blobs/sha256").isEmpty)
        result = try CLI.run(
            ["toolchain", "fetch", "--cache", cache, d.path + "/zero.toml"],
            environment: ["REPRO_MAX_DOWNLOAD_BYTES": "65536"])
        #expect(result.status == 2 && result.stderr.contains("limit of 65536 bytes"), "\(result.stderr)")
        #expect(d.list("cache/tmp").isEmpty)
        // The option wins over the environment.
        result = try CLI.run(
            ["toolchain", "fetch", "--cache", cache, "--max-download-bytes", "4096", d.path + "/zero.toml"],
            environment: ["REPRO_MAX_DOWNLOAD_BYTES": "65536"])
        #expect(result.status == 2 && result.stderr.contains("limit of 4096 bytes"), "\(result.stderr)")
        result = try CLI.run(
            ["toolchain", "fetch", "--cache", cache, d.path + "/zero.toml"],
            environment: ["REPRO_MAX_DOWNLOAD_BYTES": "8G"])
        #expect(
            result.status == 2 && result.stderr.contains("REPRO_MAX_DOWNLOAD_BYTES=8G is not a whole number of bytes"),
            "\(result.stderr)")
        result = try CLI.run([
            "toolchain", "fetch", "--cache", cache, "--max-download-bytes", "-1", d.path + "/zero.toml",
        ])
        #expect(result.status == 64)
        d.write(
            "sized.toml", "name = \"sized\"\n[[source]]\nurl = \"file:///dev/zero\"\nsha256 = \"\(pin)\"\nsize = 4096\n"
        )
        result = try CLI.run(["toolchain", "fetch", "--cache", cache, d.path + "/sized.toml"])
        #expect(result.status == 5)
        #expect(result.stderr.contains("has more than 4096 bytes"), "\(result.stderr)")
        #expect(d.list("cache/tmp").isEmpty && d.list("cache/blobs/sha256").isEmpty)
    }

    @Test func theCacheIsNotWritableByOthersWhateverTheUmask() throws {
        let d = Dir()
        defer { d.remove() }
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = [
            "python3", "-c",
            """
            import tarfile, io, sys
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                def add(name, kind, mode, data=b''):
                    i = tarfile.TarInfo(name); i.type = kind; i.mode = mode; i.size = len(data); t.addfile(i, io.BytesIO(data))
                add('tmp', tarfile.DIRTYPE, 0o1777)
                add('var/tmp', tarfile.DIRTYPE, 0o1777)
                add('srv/open/file', tarfile.REGTYPE, 0o666, b'data')
                add('bin/tool', tarfile.REGTYPE, 0o777, b'#!/bin/sh\\n')
            """, d.path + "/rootfs.tar",
        ]
        try make.run()
        make.waitUntilExit()
        let sha = String(try CLI.run(["toolchain", "hash", d.path + "/rootfs.tar"]).stdout.prefix(64))
        d.write(
            "rootfs.toml", "name = \"rootfs\"\n[[source]]\nurl = \"file://\(d.path)/rootfs.tar\"\nsha256 = \"\(sha)\"\n"
        )
        let cache = d.path + "/home/.cache/repro"
        let fetch = try Shell.run([
            "sh", "-c", "umask 0 && exec \"$0\" \"$@\"", CLI.binary, "toolchain", "fetch", "--cache", cache,
            d.path + "/rootfs.toml",
        ])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        var st = stat()
        #expect(lstat(cache, &st) == 0 && st.st_mode & 0o7777 == 0o700)
        // Nothing in the cache (symlinks aside) lets group or others write.
        let writable = try Shell.run(["find", d.path + "/home", "-perm", "/022", "!", "-type", "l"])
        #expect(writable.status == 0 && writable.stdout.isEmpty, "\(writable.stdout)")
        #expect(lstat(cache + "/trees/\(sha)/tmp", &st) == 0 && st.st_mode & 0o7777 == 0o1755)
        #expect(lstat(cache + "/trees/\(sha)/bin/tool", &st) == 0 && st.st_mode & 0o7777 == 0o755)
        // The digest ignores those bits: the same tree packed with plain modes has it.
        let verify = try CLI.run(["toolchain", "verify", "--cache", cache, d.path + "/rootfs.toml"])
        #expect(verify.status == 0, "\(verify.stdout)")
        let json = try CLI.run(["toolchain", "fetch", "--json", "--cache", cache, d.path + "/rootfs.toml"])
        let packed = try CLI.run(["toolchain", "pack", cache + "/trees/\(sha)", "-o", d.path + "/again.tar"])
        let digest = packed.stderr.components(separatedBy: "tree ").last!.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(json.stdout.contains("\"tree_digest\" : \"\(digest)\""), "\(json.stdout) \(packed.stderr)")
        // A tree whose root someone opened to others is unpacked again, not trusted.
        chmod(cache + "/trees/\(sha)", 0o777)
        let again = try CLI.run(["toolchain", "fetch", "--cache", cache, d.path + "/rootfs.toml"])
        #expect(again.status == 0 && again.stderr.contains("unpacking"), "\(again.stderr)")
        #expect(lstat(cache + "/trees/\(sha)", &st) == 0 && st.st_mode & 0o7777 == 0o755)
    }

    @Test func badSpecsExit2WithWhereAndWhat() throws {
        let d = Dir()
        defer { d.remove() }
        d.write("syntax.toml", "name = \"x\"\n\n[[source]\nurl = \"file:///a\"\n")
        var result = try CLI.run(["toolchain", "fetch", "--cache", d.path + "/cache", d.path + "/syntax.toml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("syntax.toml:3:"))
        d.write("nosha.toml", "name = \"x\"\n[[source]]\nurl = \"file:///a.tar\"\n")
        result = try CLI.run(["toolchain", "fetch", "--cache", d.path + "/cache", d.path + "/nosha.toml"])
        #expect(result.status == 2 && result.stderr.contains("sha256"))
        d.write("badsha.toml", "name = \"x\"\n[[source]]\nurl = \"file:///a.tar\"\nsha256 = \"1234\"\n")
        result = try CLI.run(["toolchain", "fetch", "--cache", d.path + "/cache", d.path + "/badsha.toml"])
        #expect(result.status == 2 && result.stderr.contains("64 lowercase hex"))
        d.write(
            "scheme.toml",
            "name = \"x\"\n[[source]]\nurl = \"ftp://example.org/a.tar\"\nsha256 = \"\(String(repeating: "a", count: 64))\"\n"
        )
        result = try CLI.run(["toolchain", "fetch", "--cache", d.path + "/cache", d.path + "/scheme.toml"])
        #expect(result.status == 2 && result.stderr.contains("unknown URL scheme \"ftp\""))
        result = try CLI.run(
            ["toolchain", "fetch", "--cache", d.path + "/cache", "no-such-toolchain"], directory: d.path)
        #expect(result.status == 2 && result.stderr.contains("\(d.path)/toolchains"))
        #expect(!FileManager.default.fileExists(atPath: d.path + "/cache/trees"))
    }

    @Test func unusableCacheExits2() throws {
        let d = Dir()
        defer { d.remove() }
        d.write("src/a", "a")
        try pinned(d)
        d.write("file", "not a directory")
        let result = try CLI.run(
            ["toolchain", "fetch", "--cache", d.path + "/file/cache", "tc"], directory: d.path + "/project")
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot use the cache directory \(d.path)/file/cache"))
    }

    @Test func verifyExits5NamingAFlippedFile() throws {
        let d = Dir()
        defer { d.remove() }
        d.write("src/lib/libc.so", String(repeating: "elf", count: 1000))
        let sha = try pinned(d)
        #expect(
            try CLI.run(["toolchain", "fetch", "--cache", d.path + "/cache", "tc"], directory: d.path + "/project")
                .status == 0)
        var result = try CLI.run(
            ["toolchain", "verify", "--cache", d.path + "/cache", "tc"], directory: d.path + "/project")
        #expect(result.status == 0 && result.stdout.contains("ok"))
        let victim = d.path + "/cache/trees/\(sha)/lib/libc.so"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: victim)))
        bytes[1500] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: victim))
        result = try CLI.run(
            ["toolchain", "verify", "--cache", d.path + "/cache", "tc"], directory: d.path + "/project")
        #expect(result.status == 5)
        #expect(result.stdout.contains(victim))
        result = try CLI.run(["toolchain", "verify", "--cache", d.path + "/cache"])
        #expect(result.status == 5 && result.stdout.contains(victim))
    }

    @Test func twoConcurrentFetchesUnpackOnce() throws {
        let d = Dir()
        defer { d.remove() }
        for i in 0..<3000 { d.write("src/d\(i % 30)/f\(i)", String(repeating: "\(i) ", count: 200)) }
        let sha = try pinned(d, suffix: ".tar")
        let args = ["toolchain", "fetch", "--json", "--cache", d.path + "/cache", "tc"]
        let a = try Running(args, directory: d.path + "/project")
        let b = try Running(args, directory: d.path + "/project")
        let ra = a.finish(), rb = b.finish()
        #expect(ra.status == 0 && rb.status == 0, "\(ra.stderr) \(rb.stderr)")
        #expect([ra, rb].filter { $0.stderr.contains("unpacking") }.count == 1)
        let packed = try CLI.run(["toolchain", "pack", d.path + "/src", "-o", d.path + "/again.tar"])
        let digest = packed.stderr.components(separatedBy: "tree ").last!.trimmingCharacters(
            in: .whitespacesAndNewlines)
        for r in [ra, rb] {
            #expect(r.stdout.contains("\"tree_digest\" : \"\(digest)\""))
            #expect(r.stdout.contains("/cache/trees/\(sha)/"))
        }
        #expect(d.list("cache/tmp").isEmpty)
        let verify = try CLI.run(
            ["toolchain", "verify", "--cache", d.path + "/cache", "tc"], directory: d.path + "/project")
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func killedMidDownloadLeavesNothingTrusted() throws {
        let d = Dir()
        defer { d.remove() }
        for i in 0..<50 { d.write("src/f\(i)", String(repeating: "\(i)", count: 20_000)) }
        let sha = try pinned(d, suffix: ".tar")
        let server = Process()
        let serverOut = Pipe(), serverIn = Pipe()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-c",
            """
            import http.server, sys
            data = open(sys.argv[1], 'rb').read()
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def log_message(self, *a): pass
                def do_GET(self):
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(data)))
                    self.end_headers()
                    if self.path == '/hang':
                        self.wfile.write(data[:len(data) // 2]); self.wfile.flush()
                        print('half', flush=True)
                        sys.stdin.read()
                    else:
                        self.wfile.write(data)
            s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
            s.daemon_threads = True
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """, d.path + "/tc.tar",
        ]
        server.standardOutput = serverOut
        server.standardInput = serverIn
        try server.run()
        defer {
            try? serverIn.fileHandleForWriting.close()
            kill(server.processIdentifier, SIGKILL)  // the runner's blocked SIGTERM is inherited
            server.waitUntilExit()
        }
        func line() -> String {
            var bytes = [UInt8]()
            while let byte = serverOut.fileHandleForReading.readData(ofLength: 1).first, byte != 10 {
                bytes.append(byte)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let port = line()
        d.write(
            "project/toolchains/hang.toml",
            "name = \"hang\"\n[[source]]\nurl = \"http://127.0.0.1:\(port)/hang\"\nsha256 = \"\(sha)\"\n")
        d.write(
            "project/toolchains/full.toml",
            "name = \"full\"\n[[source]]\nurl = \"http://127.0.0.1:\(port)/full\"\nsha256 = \"\(sha)\"\n")
        let victim = try Running(
            ["toolchain", "fetch", "--cache", d.path + "/cache", "hang"], directory: d.path + "/project")
        #expect(line() == "half")
        kill(victim.process.processIdentifier, SIGKILL)
        let killed = victim.finish()
        #expect(killed.status == SIGKILL)
        #expect(d.list("cache/blobs/sha256").isEmpty)
        #expect(d.list("cache/trees").isEmpty)
        #expect(d.list("cache/tmp").count == 1)  // the half download, under a temp name
        let list = try CLI.run(["toolchain", "list", "--cache", d.path + "/cache"], directory: d.path + "/project")
        #expect(list.stdout.contains("not cached  sha256:\(sha)"))
        let retry = try CLI.run(
            ["toolchain", "fetch", "--cache", d.path + "/cache", "full"], directory: d.path + "/project")
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(d.list("cache/tmp").isEmpty)
        #expect(
            try CLI.run(["toolchain", "verify", "--cache", d.path + "/cache", "full"], directory: d.path + "/project")
                .status == 0)
    }

    @Test func verboseListsNeutralizedEntries() throws {
        let d = Dir()
        defer { d.remove() }
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = [
            "python3", "-c",
            """
            import tarfile, io, sys
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                dev = tarfile.TarInfo('dev/null'); dev.type = tarfile.CHRTYPE; dev.devmajor = 1; dev.devminor = 3; t.addfile(dev)
                su = tarfile.TarInfo('usr/bin/su'); su.mode = 0o4755; su.size = 2; t.addfile(su, io.BytesIO(b'su'))
            """, d.path + "/rootfs.tar",
        ]
        try make.run()
        make.waitUntilExit()
        let sha = try CLI.run(["toolchain", "hash", d.path + "/rootfs.tar"]).stdout.prefix(64)
        d.write(
            "rootfs.toml", "name = \"rootfs\"\n[[source]]\nurl = \"file://\(d.path)/rootfs.tar\"\nsha256 = \"\(sha)\"\n"
        )
        let quiet = try CLI.run(["toolchain", "fetch", "--cache", d.path + "/cache", d.path + "/rootfs.toml"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(
            quiet.stderr.contains(
                "neutralized 2 entries (1 device node/fifo/socket not created, 1 setuid/setgid bit removed); --verbose lists them"
            ))
        let verbose = try CLI.run([
            "toolchain", "fetch", "--verbose", "--cache", d.path + "/cache", d.path + "/rootfs.toml",
        ])
        #expect(
            verbose.stderr.contains(
                "  dev/null: character device not created\nrepro:   usr/bin/su: setuid/setgid bits removed"))
    }

    @Test func hostileArchiveExits2NamingTheEntry() throws {
        let d = Dir()
        defer { d.remove() }
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = [
            "python3", "-c",
            """
            import tarfile, io, sys
            with tarfile.open(sys.argv[1], 'w:gz', format=tarfile.PAX_FORMAT) as t:
                ok = tarfile.TarInfo('ok'); ok.size = 2; t.addfile(ok, io.BytesIO(b'ok'))
                bad = tarfile.TarInfo('lib/../../../../../escaped'); bad.size = 3; t.addfile(bad, io.BytesIO(b'bad'))
            """, d.path + "/evil.tar.gz",
        ]
        try make.run()
        make.waitUntilExit()
        let sha = try CLI.run(["toolchain", "hash", d.path + "/evil.tar.gz"]).stdout.prefix(64)
        d.write(
            "evil.toml", "name = \"evil\"\n[[source]]\nurl = \"file://\(d.path)/evil.tar.gz\"\nsha256 = \"\(sha)\"\n")
        let result = try CLI.run(["toolchain", "fetch", "--cache", d.path + "/cache", d.path + "/evil.toml"])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("entry \"lib/../../../../../escaped\" has a \"..\" component"), "\(result.stderr)")
        #expect(d.list("cache/trees").isEmpty && d.list("cache/tmp").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: d.path + "/escaped"))
        // The refusal names the toolchain, its spec file and its URL, not only the cache's blob,
        // for `repro run` (and `repro check`) as for `repro toolchain fetch`.
        let refusal =
            "repro: error: toolchain \"evil\" (\(d.path)/evil.toml), source file://\(d.path)/evil.tar.gz: the archive \(d.path)/cache/blobs/sha256/\(sha) is refused: entry \"lib/../../../../../escaped\" has a \"..\" component. Nothing from it was kept. Check where the archive comes from, or repack its tree with `repro toolchain pack`.\n"
        #expect(result.stderr.hasSuffix(refusal), "\(result.stderr)")
        let run = try CLI.run(["run", "--cache", d.path + "/cache", "--toolchain", d.path + "/evil.toml", "--", "true"])
        #expect(run.status == 2)
        #expect(run.stderr.hasSuffix(refusal), "\(run.stderr)")
        // Only `toolchain fetch` has --max-entries, and only it is told to raise it so.
        let many = try CLI.run([
            "toolchain", "fetch", "--max-entries", "1", "--cache", d.path + "/cache2", d.path + "/evil.toml",
        ])
        #expect(many.status == 2)
        #expect(
            many.stderr.contains(
                "entry \"lib/../../../../../escaped\" goes past the limit of 1 entry (raise it with --max-entries)"),
            "\(many.stderr)")
    }

    @Test func packIsDeterministicAndHonoursTheEpoch() throws {
        let d = Dir()
        defer { d.remove() }
        d.write("src/a", "a")
        d.write("src/b/c", "c", mode: 0o755)
        func pack(_ name: String, _ extra: [String] = [], env: [String: String] = [:]) throws -> String {
            let r = try CLI.run(
                ["toolchain", "pack", d.path + "/src", "-o", d.path + "/" + name] + extra, environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            return String(r.stdout.prefix(71))
        }
        let one = try pack("1.tar.xz", env: ["SOURCE_DATE_EPOCH": "1700000000"])
        let two = try pack("2.tar.xz", env: ["SOURCE_DATE_EPOCH": "1700000000"])
        let flag = try pack("3.tar.xz", ["--mtime", "1700000000"], env: ["SOURCE_DATE_EPOCH": "5"])
        let zero = try pack("4.tar.xz", env: ["SOURCE_DATE_EPOCH": ""])
        #expect(one == two && one == flag && one != zero)
        let bad = try CLI.run(["toolchain", "pack", d.path + "/src", "-o", d.path + "/x.zip"])
        #expect(bad.status == 64)
    }
}
