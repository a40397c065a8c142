import Foundation
import Testing
@testable import ReproSystem
import ReproCore

/// What repro does when the kernel says no: each test makes one call of the syscall layer fail
/// (``SyscallFaults``) and checks the error (its status, its errno, a message that names the
/// cause) and that nothing is left half-written.
@Suite struct SyscallFaultTests {
    /// A build tree with a few outputs, and an earlier placed tree at `dest`.
    private func fixture() throws -> (root: String, tree: String, dest: String) {
        let root = makeTemporaryDirectory("faults")
        let tree = root + "/tree", dest = root + "/out/dest"
        for (path, text) in [("dist/a", "aaaa"), ("dist/sub/b", "bbbb"), ("prog", "pppp")] {
            try FileManager.default.createDirectory(
                atPath: ((tree + "/" + path) as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try text.write(toFile: tree + "/" + path, atomically: false, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
        try "earlier\n".write(toFile: dest + "/old", atomically: false, encoding: .utf8)
        return (root, tree, dest)
    }

    /// The names in the destination's directory: the destination and nothing else (no
    /// `.dest.new-*` or `.dest.old-*` left behind).
    private func siblings(_ dest: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: (dest as NSString).deletingLastPathComponent).sorted()
    }

    private func catching(_ body: () throws(ReproError) -> Void) -> ReproError? {
        do throws(ReproError) { try body() } catch { return error }
        return nil
    }

    @Test func aFaultFailsTheNamedCallOnlyWithinItsScope() throws {
        let fd = try FileDescriptor(opening: "/dev/null", flags: O_WRONLY) { e in .configuration("\(e)") }
        let (results, plan) = SyscallFaults.inject([.init(.write, ENOSPC, after: 1, times: 1)]) {
            (0..<3).map { _ in Syscalls.writeAll(fd.raw, [1, 2, 3]) }
        }
        #expect(results.map { (try? $0.get()) != nil } == [true, false, true])
        if case .failure(let e) = results[1] { #expect(e.code == ENOSPC) }
        #expect(plan.count == 1)
        // Outside the scope the call is made again.
        #expect((try? Syscalls.writeAll(fd.raw, [1]).get()) != nil)
    }

    @Test func aFullDiskWhilePlacingOutputsKeepsTheEarlierOnesAndLeavesNoTemps() throws {
        let (root, tree, dest) = try fixture()
        defer { Syscalls.removeTree(root) }
        let error = SyscallFaults.inject([.init(.pwrite, ENOSPC, after: 1)]) {
            catching { () throws(ReproError) in try CheckRunner.place(tree, at: dest) }
        }.0
        #expect(error?.status == .configuration)
        #expect(error?.errno == ENOSPC)
        #expect(error?.message.contains("cannot place the outputs at \(dest)") == true)
        #expect(error?.message.contains("No space left on device") == true)
        #expect(try siblings(dest) == ["dest"])
        #expect(try String(contentsOfFile: dest + "/old", encoding: .utf8) == "earlier\n")
        #expect(!Syscalls.exists(dest + "/prog"))
    }

    @Test func aFailedReadOfAnOutputIsABuildFailureAndNothingIsCopied() throws {
        let (root, tree, _) = try fixture()
        defer { Syscalls.removeTree(root) }
        let into = root + "/collected"
        let error = SyscallFaults.inject([.init(.pread, EIO)]) {
            catching { () throws(ReproError) in
                try OutputCollector.collect(from: tree, selection: .patterns(["dist"]), into: into)
            }
        }.0
        #expect(error?.status == .buildFailed)
        #expect(error?.message == "cannot read the output 'dist/a': Input/output error.")
    }

    @Test func aFailedReadWhileWalkingATreeNamesTheFileAndItsErrno() throws {
        let (root, tree, _) = try fixture()
        defer { Syscalls.removeTree(root) }
        let error = SyscallFaults.inject([.init(.read, EIO)]) {
            catching { () throws(ReproError) in _ = try TreeWalker.walk(tree) }
        }.0
        #expect(error?.status == .configuration)
        #expect(error?.errno == EIO)
        // The first file read (in the kernel's listing order), named whole.
        #expect(
            ["a", "sub/b"].map { "cannot read \(tree)/dist/\($0): Input/output error." }.contains(error?.message ?? ""))
        let hashed = SyscallFaults.inject([.init(.read, EIO)]) {
            catching { () throws(ReproError) in _ = try Hashing.sha256(file: tree + "/prog") }
        }.0
        #expect(hashed?.errno == EIO)
    }

    @Test func aMoveAcrossFileSystemsIsCopiedInstead() throws {
        let (root, tree, dest) = try fixture()
        defer { Syscalls.removeTree(root) }
        let (_, plan) = try SyscallFaults.inject([.init(.rename, EXDEV, path: "/tree", times: 1)]) {
            () throws(ReproError) in
            try CheckRunner.place(tree, at: dest, move: true)
        }
        #expect(plan.count == 1)
        #expect(try String(contentsOfFile: dest + "/dist/sub/b", encoding: .utf8) == "bbbb")
        #expect(!Syscalls.exists(dest + "/old"))
        #expect(!Syscalls.exists(tree))  // moved: the copy's source is gone
        #expect(try siblings(dest) == ["dest"])
    }

    @Test func aRefusedRenameWhilePlacingRestoresTheEarlierOutputs() throws {
        let (root, tree, dest) = try fixture()
        defer { Syscalls.removeTree(root) }
        // No exchange on this file system: the two renames, the second refused.
        let error = SyscallFaults.inject([.init(.exchange, EINVAL), .init(.rename, EACCES, path: ".new-")]) {
            catching { () throws(ReproError) in try CheckRunner.place(tree, at: dest) }
        }.0
        #expect(error?.status == .configuration)
        #expect(error?.errno == EACCES)
        #expect(
            error?.message
                == "cannot place the outputs at \(dest): Permission denied. Check that the directory is writable, or pass --output."
        )
        #expect(try String(contentsOfFile: dest + "/old", encoding: .utf8) == "earlier\n")
        #expect(try siblings(dest) == ["dest"])
    }

    @Test func aModeThatCannotBeSetFailsTheCopy() throws {
        let (root, tree, _) = try fixture()
        defer { Syscalls.removeTree(root) }
        let error = SyscallFaults.inject([.init(.fchmod, EPERM)]) {
            catching { () throws(ReproError) in
                try OutputCollector.collect(from: tree, selection: .patterns(["prog"]), into: root + "/c")
            }
        }.0
        #expect(error?.errno == EPERM)
        #expect(error?.message == "cannot write \(root)/c/prog: Operation not permitted.")
    }

    @Test func aFullDiskWhileWritingTheChecksumsFileIsAClearError() throws {
        let (root, tree, _) = try fixture()
        defer { Syscalls.removeTree(root) }
        let listing = try TreeWalker.walk(tree)
        let error = SyscallFaults.inject([.init(.write, ENOSPC)]) {
            catching { () throws(ReproError) in _ = try ChecksumsFile.add("SHA256SUMS", to: tree, listing: listing) }
        }.0
        #expect(error?.errno == ENOSPC)
        #expect(error?.message == "cannot write the checksums file SHA256SUMS: No space left on device.")
        #expect(!Syscalls.exists(tree + "/SHA256SUMS"))  // no half-written file among the outputs
    }

    /// A disk that fills while the signed manifest is written (ENOSPC from write(2)), or a flush
    /// that fails (EIO from fsync(2)): the check fails with exit 2 and the errno, and leaves no
    /// manifest, no temporary file, and no outputs without the manifest that certifies them.
    @Test(arguments: [(Syscall.write, ENOSPC), (Syscall.fsync, EIO)])
    func aManifestThatCannotBeWrittenLeavesNothingAndWithdrawsTheOutputs(call: Syscall, code: Int32) throws {
        let project = try CheckSessionTests.Project()
        defer { project.scratch.remove() }
        let (error, plan) = SyscallFaults.inject([.init(call, code, path: Manifest.defaultFileName)]) {
            catching { () throws(ReproError) in _ = try project.session.run() }
        }
        #expect(plan.count == 1)
        #expect(error?.status == .configuration)
        #expect(error?.errno == code)
        let manifest = project.dir + "/.repro/" + Manifest.defaultFileName
        #expect(
            error?.message
                == "cannot write the manifest \(manifest): \(String(cString: strerror(code))); check that its directory exists and is writable. The outputs placed at \(project.dir)/.repro/out were removed again."
        )
        #expect(!Syscalls.exists(manifest))
        #expect(!Syscalls.exists(project.dir + "/.repro/out"))
        let left = try FileManager.default.contentsOfDirectory(atPath: project.dir + "/.repro")
        #expect(!left.contains { $0.contains(Manifest.defaultFileName) }, "\(left)")
    }

    /// A signing key that cannot be read (EACCES from open(2), as for a key of another user) ends
    /// the check before anything is built, with exit 2 and the errno.
    @Test func aSigningKeyThatCannotBeReadEndsTheCheckBeforeTheBuild() throws {
        let project = try CheckSessionTests.Project()
        defer { project.scratch.remove() }
        var session = project.session
        let key = project.scratch.write("signer.key", SigningKey.generate().pemRepresentation, mode: 0o600)
        session.signingKeyPath = key
        let (error, plan) = SyscallFaults.inject([.init(.open, EACCES, path: key)]) {
            catching { () throws(ReproError) in _ = try session.run() }
        }
        #expect(plan.count == 1)
        #expect(error?.status == .configuration)
        #expect(error?.errno == EACCES)
        #expect(error?.message == "cannot read the signing key \(key): it does not exist or is not readable")
        #expect(!Syscalls.exists(project.dir + "/.repro/logs/run-1.log"))
        // Outside the fault the same key signs.
        #expect(
            try SigningKey(contentsOf: key).keyID
                == SigningKey(pem: String(contentsOfFile: key, encoding: .utf8), source: key).keyID)
    }
}
