import Testing
@testable import ReproSystem

@Suite struct CachePathsTests {
    @Test func precedence() {
        #expect(CachePaths.root(explicit: "/x", environment: ["REPRO_CACHE": "/y"]) == "/x")
        #expect(CachePaths.root(explicit: nil, environment: ["REPRO_CACHE": "/y", "XDG_CACHE_HOME": "/z"]) == "/y")
        #expect(CachePaths.root(explicit: nil, environment: ["XDG_CACHE_HOME": "/z"]) == "/z/repro")
        #expect(CachePaths.root(explicit: nil, environment: ["HOME": "/h"]) == "/h/.cache/repro")
    }
}
