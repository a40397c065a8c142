import Foundation
import Testing
@testable import ReproSystem

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory(_ label: String = "test") -> String {
    let path = NSTemporaryDirectory() + "repro-\(label)-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

@discardableResult
private func sh(_ script: String, in dir: String) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", script]
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

@Suite struct SourceSnapshotTests {
    @Test func gitSnapshotHoldsTrackedFilesWithTheirChanges() throws {
        let project = makeTemporaryDirectory("proj")
        let staging = makeTemporaryDirectory("stage") + "/snap"
        defer { try? FileManager.default.removeItem(atPath: project); try? FileManager.default.removeItem(atPath: (staging as NSString).deletingLastPathComponent) }
        try write("a\n", to: project + "/src/a.c")
        try write("ignored.o\n", to: project + "/.gitignore")
        try write("#!/bin/sh\n", to: project + "/build.sh")
        chmod(project + "/build.sh", 0o700)
        #expect(try sh("git init -q . && git add -A && GIT_COMMITTER_DATE='@1700000000 +0000' git -c user.name=t -c user.email=t@t commit -qm init", in: project) == 0)
        try write("changed\n", to: project + "/src/a.c")
        try write("stray\n", to: project + "/stray.txt")
        try write("obj\n", to: project + "/ignored.o")
        try write("old\n", to: project + "/.repro/out/x")

        let snapshot = try SourceSnapshot.take(projectDir: project, into: staging)
        #expect(snapshot.selection == "git")
        #expect(snapshot.paths == [".gitignore", "build.sh", "src/a.c"])
        #expect(snapshot.untrackedExcluded == 1)
        #expect(snapshot.commitTime == 1700000000)
        #expect(snapshot.commit?.count == 40)
        #expect(try String(contentsOfFile: staging + "/src/a.c", encoding: .utf8) == "changed\n")
        let mode = try FileManager.default.attributesOfItem(atPath: staging + "/build.sh")[.posixPermissions] as! Int
        #expect(mode == 0o755)
        #expect(!FileManager.default.fileExists(atPath: staging + "/stray.txt"))
    }

    @Test func directorySnapshotDoesNotFollowSymlinks() throws {
        let project = makeTemporaryDirectory("proj")
        let outside = makeTemporaryDirectory("outside")
        let staging = makeTemporaryDirectory("stage") + "/snap"
        defer { for d in [project, outside, (staging as NSString).deletingLastPathComponent] { try? FileManager.default.removeItem(atPath: d) } }
        try write("secret\n", to: outside + "/secret")
        try write("x\n", to: project + "/x")
        try FileManager.default.createSymbolicLink(atPath: project + "/link", withDestinationPath: outside)

        let snapshot = try SourceSnapshot.take(projectDir: project, into: staging)
        #expect(snapshot.selection == "directory")
        #expect(snapshot.paths == ["link", "x"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: staging + "/link") == outside)
        #expect(snapshot.commitTime == nil)
    }
}
