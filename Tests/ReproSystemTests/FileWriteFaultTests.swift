import Foundation
import Testing
@testable import ReproSystem
import ReproCore

/// The files repro writes or copies whole outside the manifest (the JUnit report, a placement
/// record, the files of `repro init`, a key pair, a mirrored blob, the snapshot index) and the
/// checksums file it reads: each test makes one call of the syscall layer fail (``SyscallFaults``)
/// and checks the error (its status, its errno, its message) and that nothing half-written is left.
@Suite struct FileWriteFaultTests {
    private func catching(_ body: () throws(ReproError) -> Void) -> ReproError? {
        do throws(ReproError) { try body() } catch { return error }
        return nil
    }

    /// The names in `directory`, sorted.
    private func names(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    /// A full disk (ENOSPC from write(2)) or a failed flush (EIO from fsync(2)) while the JUnit
    /// report is written: exit 2 with the errno, the earlier report as it was, no temporary file.
    @Test(arguments: [(Syscall.write, ENOSPC), (Syscall.fsync, EIO)])
    func aJUnitReportThatCannotBeWrittenLeavesTheEarlierOne(call: Syscall, code: Int32) throws {
        let dir = makeTemporaryDirectory("junit")
        defer { Syscalls.removeTree(dir) }
        let path = dir + "/report.xml"
        try "<earlier/>\n".write(toFile: path, atomically: false, encoding: .utf8)
        let (error, plan) = SyscallFaults.inject([.init(call, code, path: "report.xml")]) {
            catching { () throws(ReproError) in try CIOutput.writeJUnit("<testsuites/>\n", to: path) }
        }
        #expect(plan.count == 1)
        #expect(error?.status == .configuration)
        #expect(error?.errno == code)
        #expect(
            error?.message
                == "cannot write the JUnit report \(path): \(Errno(code).text). Check that its directory exists and is writable, or pass another --junit FILE."
        )
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "<earlier/>\n")
        #expect(try names(dir) == ["report.xml"])
        // Without the fault the report replaces the earlier one.
        try CIOutput.writeJUnit("<testsuites/>\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "<testsuites/>\n")
        #expect(try names(dir) == ["report.xml"])
    }

    /// A full disk while the record of a placed directory is written: exit 2 with the errno, the
    /// earlier record kept, no temporary file in the records' directory.
    @Test func aPlacementRecordThatCannotBeWrittenKeepsTheEarlierOne() throws {
        let cache = makeTemporaryDirectory("placed")
        defer { Syscalls.removeTree(cache) }
        let placements = Placements(cache: cache)
        try placements.record("/somewhere/out", digest: "t1:earlier")
        let recorded = try names(placements.directory)
        #expect(recorded.count == 1)
        let file = placements.directory + "/" + recorded[0]
        let before = try String(contentsOfFile: file, encoding: .utf8)
        let (error, plan) = SyscallFaults.inject([.init(.write, ENOSPC, path: "/placed/")]) {
            catching { () throws(ReproError) in try placements.record("/somewhere/out", digest: "t1:later") }
        }
        #expect(plan.count == 1)
        #expect(error?.status == .configuration)
        #expect(error?.errno == ENOSPC)
        #expect(
            error?.message
                == "cannot write \(file): No space left on device. Check that the cache directory is writable.")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == before)
        #expect(try names(placements.directory) == recorded)
    }

    /// `repro init --force` on a full disk: exit 2 naming the file and the errno, the earlier
    /// repro.toml as it was, nothing else in the project.
    @Test func aConfigThatCannotBeWrittenLeavesTheEarlierOne() throws {
        let dir = makeTemporaryDirectory("init")
        defer { Syscalls.removeTree(dir) }
        let path = dir + "/repro.toml"
        try "# mine\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(InitFiles.exists(path))
        let (error, plan) = SyscallFaults.inject([.init(.write, ENOSPC, path: "repro.toml")]) {
            catching { () throws(ReproError) in try InitFiles.writeConfig("[build]\n", at: path, directory: dir) }
        }
        #expect(plan.count == 1)
        #expect(error?.status == .configuration)
        #expect(error?.errno == ENOSPC)
        #expect(
            error?.message
                == "cannot write \(path): No space left on device. Check that \(dir) exists and is writable.")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "# mine\n")
        #expect(try names(dir) == ["repro.toml"])
    }

    /// `repro init --gitignore` whose write fails keeps the `.gitignore` whole; one that is not
    /// UTF-8 keeps its bytes when the line is added; one that cannot be read is an error, never
    /// replaced by the line alone.
    @Test func theGitignoreKeepsItsBytes() throws {
        let dir = makeTemporaryDirectory("ignore")
        defer { Syscalls.removeTree(dir) }
        let path = dir + "/.gitignore"
        let latin1: [UInt8] = Array("# caf".utf8) + [0xE9] + Array("\nbuild/".utf8)
        try Data(latin1).write(to: URL(fileURLWithPath: path))
        let (error, plan) = SyscallFaults.inject([.init(.fsync, EIO, path: ".gitignore")]) {
            catching { () throws(ReproError) in try InitFiles.writeIgnore(Array("x\n".utf8), at: path) }
        }
        #expect(plan.count == 1)
        #expect(error?.errno == EIO)
        #expect(error?.message == "cannot write \(path): Input/output error. Add the line .repro/ to it yourself.")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == latin1)
        #expect(try names(dir) == [".gitignore"])
        #expect(try InitFiles.readIgnore(path) == latin1)
        let unreadable = SyscallFaults.inject([.init(.read, EIO)]) {
            catching { () throws(ReproError) in _ = try InitFiles.readIgnore(path) }
        }.0
        #expect(unreadable?.status == .configuration)
        #expect(unreadable?.message == "cannot read \(path): Input/output error. Add the line .repro/ to it yourself.")
        #expect(try InitFiles.readIgnore(dir + "/none") == [])
    }

    /// A key pair whose public key cannot be written (ENOSPC) leaves neither file; one whose
    /// private key cannot be written leaves none either.
    @Test(arguments: [".pub", ".key"])
    func aKeyPairThatCannotBeWrittenLeavesNoFile(failing suffix: String) throws {
        let dir = makeTemporaryDirectory("keygen")
        defer { Syscalls.removeTree(dir) }
        let prefix = dir + "/signer"
        let (error, plan) = SyscallFaults.inject([.init(.write, ENOSPC, path: suffix)]) {
            catching { () throws(ReproError) in
                try KeyPairFiles.write(SigningKey.generate(), keyPath: prefix + ".key", pubPath: prefix + ".pub")
            }
        }
        #expect(plan.count == 1)
        #expect(error?.status == .configuration)
        #expect(error?.errno == ENOSPC)
        #expect(error?.message == "cannot write \(prefix)\(suffix): No space left on device")
        #expect(try names(dir) == [])
    }

    /// The private key is created with mode 0600: when neither setting its mode (fchmod(2)) nor
    /// removing it again (unlink(2)) is allowed, the file left is the one open(2) made, and no
    /// one else can read it. (The umask of the tests, 022, leaves the read bits of any wider
    /// creation mode.)
    @Test func aPrivateKeyIsNeverReadableByOthersEvenBeforeItsModeIsSet() throws {
        let dir = makeTemporaryDirectory("keymode")
        defer { Syscalls.removeTree(dir) }
        let key = dir + "/signer.key"
        let error = SyscallFaults.inject([.init(.fchmod, EPERM), .init(.unlink, EPERM, path: "signer.key")]) {
            catching { () throws(ReproError) in
                try KeyPairFiles.write(SigningKey.generate(), keyPath: key, pubPath: dir + "/signer.pub")
            }
        }.0
        #expect(error?.errno == EPERM)
        let info = try #require(Syscalls.lstat(key))
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_size == 0)  // nothing of the key was written
    }

    /// An existing file or symlink at either path is refused before anything is written.
    @Test func aKeyPairNeverReplacesAFileOrFollowsALink() throws {
        let dir = makeTemporaryDirectory("keyexists")
        defer { Syscalls.removeTree(dir) }
        _ = try Syscalls.symlink(dir + "/elsewhere", dir + "/signer.pub").get()
        let error = catching { () throws(ReproError) in
            try KeyPairFiles.write(SigningKey.generate(), keyPath: dir + "/signer.key", pubPath: dir + "/signer.pub")
        }
        #expect(
            error?.message
                == "\(dir)/signer.pub already exists; repro keygen never overwrites a key: choose another NAME or remove the old pair first"
        )
        #expect(try names(dir) == ["signer.pub"])
        #expect(!Syscalls.exists(dir + "/elsewhere"))
    }

    /// A checksums file that cannot be read (EIO) is exit 2 with the errno.
    @Test func aChecksumsFileThatCannotBeReadIsAClearError() throws {
        let dir = makeTemporaryDirectory("sums")
        defer { Syscalls.removeTree(dir) }
        let path = dir + "/SHA256SUMS"
        try "".write(toFile: path, atomically: false, encoding: .utf8)
        let error = SyscallFaults.inject([.init(.read, EIO)]) {
            catching { () throws(ReproError) in _ = try ChecksumsFile.verify(path, subjects: []) }
        }.0
        #expect(error?.status == .configuration)
        #expect(error?.errno == EIO)
        #expect(error?.message == "cannot read the checksums file \(path). Check that it is readable.")
    }

    /// A full disk while a cached blob is copied into a mirror: exit 2 with the errno, no staging
    /// file and no target left.
    @Test func aMirrorCopyThatCannotBeWrittenLeavesNothing() throws {
        let dir = makeTemporaryDirectory("mirror")
        defer { Syscalls.removeTree(dir) }
        let blob = dir + "/blob"
        try String(repeating: "x", count: 3000).write(toFile: blob, atomically: false, encoding: .utf8)
        let sha = try Hashing.sha256(file: blob)
        let target = dir + "/out/sha256/" + sha
        let error = SyscallFaults.inject([.init(.write, ENOSPC, path: "/out/")]) {
            catching { () throws(ReproError) in _ = try Mirrors.copyChecked(blob, sha256: sha, to: target) }
        }.0
        #expect(error?.status == .configuration)
        #expect(error?.errno == ENOSPC)
        #expect(error?.message.hasPrefix("cannot copy \(blob) to \(dir)/out/sha256/.\(sha).tmp-") == true)
        #expect(error?.message.hasSuffix(": No space left on device. Give a writable directory with -o.") == true)
        #expect(try names(dir + "/out/sha256") == [])
        // Without the fault the copy is made, read-only.
        #expect(try Mirrors.copyChecked(blob, sha256: sha, to: target) == target)
        #expect(try Hashing.sha256(file: target) == sha)
        #expect(Syscalls.lstat(target).map { $0.st_mode & 0o777 } == 0o444)
        #expect(try names(dir + "/out/sha256") == [sha])
    }

    /// A full disk while the kept snapshot's index is written: exit 2 with the errno, the earlier
    /// index as it was, no temporary file.
    @Test func aSnapshotIndexThatCannotBeWrittenKeepsTheEarlierOne() throws {
        let root = makeTemporaryDirectory("snapindex")
        defer { Syscalls.removeTree(root) }
        let cache = SnapshotCache(cacheRoot: root, project: "/some/project")
        try cache.store(takenAt: 1, pack: nil, packSize: 0, files: [])
        let before = try Data(contentsOf: URL(fileURLWithPath: cache.indexPath))
        let (error, plan) = SyscallFaults.inject([.init(.write, ENOSPC, path: "index")]) {
            catching { () throws(ReproError) in try cache.store(takenAt: 2, pack: nil, packSize: 0, files: []) }
        }
        #expect(plan.count == 1)
        #expect(error?.status == .configuration)
        #expect(error?.errno == ENOSPC)
        #expect(error?.message == "cannot write \(cache.indexPath). Check that the cache directory is writable.")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cache.indexPath)) == before)
        #expect(try names(cache.directory) == ["index"])
        #expect(cache.load()?.takenAt == 1)
    }

    /// A kept run filled from run 1's files where hard links are refused (EXDEV) gets copies with
    /// the same bytes and modes; a full disk while copying is exit 2 naming the file, and leaves
    /// no part of it.
    @Test func aKeptRunIsFilledWithCopiesWhenLinksAreRefused() throws {
        let dir = makeTemporaryDirectory("fill")
        defer { Syscalls.removeTree(dir) }
        let first = dir + "/run-1", later = dir + "/run-2"
        try FileManager.default.createDirectory(atPath: first + "/bin", withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(toFile: first + "/bin/tool", atomically: false, encoding: .utf8)
        _ = try Syscalls.chmod(first + "/bin/tool", 0o755).get()
        try "data\n".write(toFile: first + "/data", atomically: false, encoding: .utf8)
        let listing = try TreeWalker.walk(first)
        let run1 = RunTree(root: first, entries: listing.entries, digest: listing.digest)
        let run2 = RunTree(root: later, entries: listing.entries, digest: listing.digest, complete: false)
        try FileManager.default.createDirectory(atPath: later, withIntermediateDirectories: true)
        let (error, _) = SyscallFaults.inject([.init(.link, EXDEV), .init(.write, ENOSPC, path: "/data")]) {
            catching { () throws(ReproError) in try CheckRunner.fill(run2, from: run1) }
        }
        #expect(error?.status == .configuration)
        #expect(error?.errno == ENOSPC)
        #expect(
            error?.message
                == "cannot keep run outputs at \(later)/data: No space left on device. Check that the directory is writable."
        )
        #expect(!Syscalls.exists(later + "/data"))
        Syscalls.removeTree(later)
        try FileManager.default.createDirectory(atPath: later, withIntermediateDirectories: true)
        let (_, plan) = try SyscallFaults.inject([.init(.link, EXDEV)]) { () throws(ReproError) in
            try CheckRunner.fill(run2, from: run1)
        }
        #expect(plan.count == 2)
        #expect(try TreeWalker.walk(later).digest == listing.digest)
        #expect(Syscalls.lstat(later + "/bin/tool").map { $0.st_mode & 0o777 } == 0o755)
        #expect(Syscalls.lstat(later + "/data").map { $0.st_nlink } == 1)  // a copy, not a link
    }
    /// Once the new file is renamed into place the earlier one is gone: a failed flush of the
    /// directory after it is an error, but the new file stays (it is whole), never removed.
    @Test func aFailedFlushOfTheDirectoryKeepsTheNewFile() throws {
        let dir = makeTemporaryDirectory("dirsync")
        defer { Syscalls.removeTree(dir) }
        let path = dir + "/report.xml"
        try "<earlier/>\n".write(toFile: path, atomically: false, encoding: .utf8)
        // The first fsync under dir is the temporary file's, the second the directory's.
        let (error, plan) = SyscallFaults.inject([.init(.fsync, EIO, path: dir, after: 1, times: 1)]) {
            catching { () throws(ReproError) in try CIOutput.writeJUnit("<testsuites/>\n", to: path) }
        }
        #expect(plan.count == 1)
        #expect(error?.errno == EIO)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "<testsuites/>\n")
        #expect(try names(dir) == ["report.xml"])
    }

    /// A directory that can be written and entered but not read (mode 0300) cannot be opened to be
    /// flushed: the file is written all the same.
    @Test func aDirectoryThatCannotBeOpenedIsStillWrittenTo() throws {
        let dir = makeTemporaryDirectory("dropbox")
        defer { Syscalls.removeTree(dir) }
        let path = dir + "/report.xml"
        try "<earlier/>\n".write(toFile: path, atomically: false, encoding: .utf8)
        let (error, plan) = SyscallFaults.inject([.init(.open, EACCES, path: dir, times: 1)]) {
            catching { () throws(ReproError) in try CIOutput.writeJUnit("<testsuites/>\n", to: path) }
        }
        #expect(plan.count == 1)
        #expect(error == nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "<testsuites/>\n")
        #expect(try names(dir) == ["report.xml"])
    }

    /// A name near NAME_MAX leaves no room for `.NAME.tmp-UUID`: the temporary file goes without
    /// the name, and the file is written.
    @Test func aNameNearTheLimitIsWritten() throws {
        let dir = makeTemporaryDirectory("longname")
        defer { Syscalls.removeTree(dir) }
        let path = dir + "/" + String(repeating: "m", count: 240)
        try CIOutput.writeJUnit("<testsuites/>\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "<testsuites/>\n")
        #expect(try names(dir) == [String(repeating: "m", count: 240)])
    }

    /// A `.gitignore` that is a symlink (it could name a file outside the project, whose bytes
    /// would be copied in) or a FIFO (a read that never ends) is refused, and left as it is.
    @Test func aGitignoreThatIsNotARegularFileIsRefused() throws {
        let dir = makeTemporaryDirectory("ignorekinds")
        defer { Syscalls.removeTree(dir) }
        try "secret\n".write(toFile: dir + "/outside", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/outside")
        #expect(mkfifo(dir + "/fifo", 0o644) == 0)
        for (name, what) in [("link", "a symbolic link"), ("fifo", "not a regular file")] {
            let error = catching { () throws(ReproError) in _ = try InitFiles.readIgnore(dir + "/" + name) }
            #expect(error?.status == .configuration)
            #expect(
                error?.message
                    == "\(dir)/\(name) is \(what); repro reads only a regular .gitignore. Add the line .repro/ to it yourself."
            )
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link") == dir + "/outside")
    }
}
