import Foundation
import Testing

/// repro run by a uid that /etc/passwd does not list, as in a container started with
/// `--user 1001`: a static executable must never look users up through NSS (the host's modules,
/// loaded into it, crashed it with SIGSEGV), and where it needs a home it says what to set.
@Suite struct ForeignUserTests {
    /// A uid with no entry in /etc/passwd.
    static func unlistedUID() throws -> String {
        let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        let listed = Set(
            passwd.split(separator: "\n").compactMap {
                $0.split(separator: ":", omittingEmptySubsequences: false).dropFirst(2).first.map(String.init)
            })
        return try #require((48213...48313).map(String.init).first { !listed.contains($0) })
    }

    @Test(.enabled(if: geteuid() == 0)) func aUidWithoutAPasswdEntryGetsMessagesNotACrash() throws {
        let uid = try Self.unlistedUID()
        let dir = NSTemporaryDirectory() + "repro-foreign-\(UUID().uuidString)"
        try FileManager.default.createDirectory(
            atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(
            """
            [source]
            date_epoch = 1700000000

            [build]
            command = ["true"]
            toolchains = ["no-such-toolchain"]
            """.utf8
        ).write(to: URL(fileURLWithPath: dir + "/repro.toml"))
        chmod(dir + "/repro.toml", 0o644)
        let asUser = ["setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", CLI.binary, "check", dir]
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir
        for name in ["REPRO_CACHE", "XDG_CACHE_HOME"] { env[name] = nil }
        let withHome = try Shell.run(asUser, environment: env)
        #expect(withHome.status == 2, "\(withHome.status): \(withHome.stderr)")
        #expect(withHome.stderr.contains("no-such-toolchain"), "\(withHome.stderr)")

        env["HOME"] = nil
        let homeless = try Shell.run(asUser, environment: env)
        #expect(homeless.status == 2, "\(homeless.status): \(homeless.stderr)")
        #expect(
            homeless.stderr.contains(
                "repro: error: no cache directory: HOME is not set and uid \(uid) has no home directory in /etc/passwd. Set HOME, XDG_CACHE_HOME or REPRO_CACHE, or pass --cache DIR."
            ), "\(homeless.stderr)")
    }
}
