import Foundation
import ReproCore
import ReproSystem
import Testing

/// A whole check run through ReproSystem's API, without the command line: a real sandbox, a
/// busybox toolchain packed and pinned here, a project with a two-line build.
@Suite(.serialized)
struct CheckSessionTests {
    /// A project whose build writes `out/a`, with a project-local busybox toolchain and its own cache.
    struct Project {
        let scratch = Scratch()
        var dir: String { scratch.path + "/project" }
        var cache: String { scratch.path + "/cache" }

        init() throws {
            let tree = scratch.path + "/busybox"
            try FileManager.default.createDirectory(atPath: tree + "/bin", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: tree + "/bin/busybox")
            for applet in ["sh", "mkdir", "echo"] {
                try FileManager.default.createSymbolicLink(
                    atPath: tree + "/bin/" + applet, withDestinationPath: "busybox")
            }
            let archive = scratch.path + "/busybox.tar.gz"
            let packed = try Packer.pack(directory: tree, to: archive)
            scratch.write("project/build.sh", "mkdir -p out; echo x > out/a\n")
            scratch.write(
                "project/repro.toml",
                """
                [build]
                command = ["sh", "build.sh"]
                outputs = ["out"]
                toolchains = ["busybox"]
                [source]
                date_epoch = 1700000000
                """)
            scratch.write(
                "project/toolchains/busybox.toml",
                """
                name = "busybox"
                [[source]]
                url = "file://\(archive)"
                sha256 = "\(packed.sha256)"
                mount = "/"
                [env]
                PATH = "/bin"
                """)
        }

        var session: CheckSession {
            CheckSession(options: CheckOptions(projectDir: dir, cacheDir: cache))
        }
    }

    @Test func aReproducibleCheckPlacesItsOutputsAndWritesItsManifest() throws {
        let project = try Project()
        defer { project.scratch.remove() }
        let result = try project.session.run()
        #expect(result.report.verdict == .reproducible)
        #expect(result.report.exitCode == 0)
        #expect(result.report.manifest == project.dir + "/.repro/repro.intoto.jsonl")
        #expect(result.report.manifestSigned == false && !result.manifest.isSigned)
        #expect(FileManager.default.fileExists(atPath: project.dir + "/.repro/repro.intoto.jsonl"))
        #expect(try String(contentsOfFile: project.dir + "/.repro/out/out/a", encoding: .utf8) == "x\n")
    }

    @Test func outputsAreWithdrawnWhenTheManifestCannotBeWritten() throws {
        let project = try Project()
        defer { project.scratch.remove() }
        // A directory where the manifest goes by default (not checked before the build, unlike a
        // --manifest path): every step passes until the manifest is written.
        project.scratch.mkdir("project/.repro/repro.intoto.jsonl")
        do {
            _ = try project.session.run()
            Issue.record("the check succeeded without its manifest")
        } catch {
            #expect(error.status == .configuration)
            #expect(
                error.message.contains("The outputs placed at \(project.dir)/.repro/out were removed again."),
                "\(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: project.dir + "/.repro/out"))
    }

    @Test func aWrongSigningKeyCostsNoBuild() throws {
        let project = try Project()
        defer { project.scratch.remove() }
        var session = project.session
        session.signingKeyPath = project.scratch.write("not-a-key.pem", "not a key\n")
        #expect(throws: ReproError.self) { try session.run() }
        #expect(!FileManager.default.fileExists(atPath: project.dir + "/.repro/logs/run-1.log"))
    }
}
