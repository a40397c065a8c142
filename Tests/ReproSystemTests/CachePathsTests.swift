import Foundation
import Testing
import ReproCore
@testable import ReproSystem

@Suite struct CachePathsTests {
    @Test func withoutHomeThePasswdFileIsReadNeverNSS() throws {
        let dir = NSTemporaryDirectory() + "repro-passwd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let uid = geteuid()
        try "other:x:\(uid + 1):1::/nope:/bin/sh\nme:x:\(uid):\(uid):Me:/home/me:/bin/sh\n".write(
            toFile: dir + "/passwd", atomically: true, encoding: .utf8)
        #expect(
            try CachePaths.root(explicit: nil, environment: [:], passwd: dir + "/passwd") == "/home/me/.cache/repro")
        #expect(CachePaths.homeDirectory(environment: ["HOME": ""], passwd: dir + "/passwd") == "/home/me")
        try "other:x:\(uid + 1):1::/nope:/bin/sh\n".write(toFile: dir + "/passwd", atomically: true, encoding: .utf8)
        #expect(CachePaths.homeDirectory(environment: [:], passwd: dir + "/passwd") == nil)
        #expect(throws: ReproError.self) {
            try CachePaths.root(explicit: nil, environment: [:], passwd: dir + "/passwd")
        }
    }

    @Test func precedence() throws {
        #expect(try CachePaths.root(explicit: "/x", environment: ["REPRO_CACHE": "/y"]) == "/x")
        #expect(try CachePaths.root(explicit: nil, environment: ["REPRO_CACHE": "/y", "XDG_CACHE_HOME": "/z"]) == "/y")
        #expect(try CachePaths.root(explicit: nil, environment: ["XDG_CACHE_HOME": "/z"]) == "/z/repro")
        #expect(try CachePaths.root(explicit: nil, environment: ["HOME": "/h"]) == "/h/.cache/repro")
    }
}
