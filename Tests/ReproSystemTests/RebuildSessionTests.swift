import Foundation
import ReproCore
import ReproSystem
import Testing

/// A whole rebuild run through ReproSystem's API, without the command line: the check of
/// ``CheckSessionTests/Project`` writes a manifest, and the session rebuilds from it.
@Suite(.serialized)
struct RebuildSessionTests {
    @Test func anUnsignedManifestsBuildIsRebuiltAndItsOwnManifestWritten() throws {
        let project = try CheckSessionTests.Project()
        defer { project.scratch.remove() }
        let check = try project.session.run()
        #expect(check.report.exitCode == 0)
        var session = RebuildSession(bundlePath: check.report.manifest!, cacheDir: project.cache)
        session.verify = false
        session.sourceDir = project.dir
        session.manifestPath = project.scratch.path + "/rebuild.intoto.jsonl"
        let report = try session.run()
        #expect(report.outcome.result == .reproduced)
        #expect(report.outcome.sourceFrom == "directory")
        #expect(report.manifest == session.manifestPath)
        let written = try Manifest.read(Data(contentsOf: URL(fileURLWithPath: session.manifestPath!)))
        #expect(!written.isSigned)
    }

    @Test func aWrongSigningKeyFailsBeforeTheBundleIsRead() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        var session = RebuildSession(bundlePath: scratch.path + "/absent.intoto.jsonl", cacheDir: scratch.path)
        session.verify = false
        session.signingKeyPath = scratch.write("not-a-key.pem", "not a key\n")
        session.manifestPath = scratch.path + "/rebuild.intoto.jsonl"
        do {
            _ = try session.run()
            Issue.record("the rebuild ran with a key that is not one")
        } catch {
            #expect(error.message.contains("not-a-key.pem"), "\(error.message)")
            #expect(!error.message.contains("absent.intoto.jsonl"), "\(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/rebuild.intoto.jsonl"))
    }
}
