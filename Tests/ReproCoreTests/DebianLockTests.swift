import Foundation
import Testing
@testable import ReproCore

@Suite struct DebianVersionTests {
    @Test(arguments: [
        ("1.0", "1.0", 0), ("1.0", "1.0-1", -1), ("1.0~rc1", "1.0", -1), ("1.0~rc1", "1.0~rc1~1", 1),
        ("1:0.1", "2.0", 1), ("2.36-9+deb12u4", "2.36-9+deb12u10", -1), ("12.2.0-14", "12.2.0-3", 1),
        ("1.2.3a", "1.2.3", 1), ("00", "0", 0), ("1.2+b1", "1.2", 1), ("5.7-0.5~deb12u1", "5.7-0.5", -1),
        ("0:1.0", "1.0", 0), ("1.0-1", "1.0-1.1", -1),
    ])
    func ordersLikeDpkg(_ a: String, _ b: String, _ expected: Int) {
        #expect(DebianVersion.compare(a, b) == expected, "\(a) vs \(b)")
        #expect(DebianVersion.compare(b, a) == -expected, "\(b) vs \(a)")
    }
}

@Suite struct DebianIndexTests {
    @Test func parsesRelationsWithAlternativesQualifiersAndRestrictions() {
        let groups = DebianIndex.relations(
            "libc6 (>= 2.34), libgcc-s1 | foo:any (<< 3) [amd64], perl:any, bar <!nocheck>")
        #expect(
            groups == [
                [DebianRelation(name: "libc6", op: ">=", version: "2.34")],
                [DebianRelation(name: "libgcc-s1"), DebianRelation(name: "foo", op: "<<", version: "3")],
                [DebianRelation(name: "perl")],
                [DebianRelation(name: "bar")],
            ])
    }

    @Test func parsesStanzasOfTheArchitectureAndAll() {
        let text = """
            Package: a
            Version: 1
            Architecture: amd64
            Depends: b (>= 2),
             c
            Description: first line
             more text: with a colon
            Filename: pool/main/a/a_1_amd64.deb
            Size: 10
            SHA256: \(String(repeating: "a", count: 64))

            Package: b
            Version: 2
            Architecture: all
            Essential: yes
            Priority: required
            Provides: b-virtual (= 2)
            Filename: pool/main/b/b_2_all.deb
            Size: 20
            SHA256: \(String(repeating: "b", count: 64))

            Package: a
            Version: 1
            Architecture: arm64
            Filename: pool/main/a/a_1_arm64.deb
            Size: 10
            SHA256: \(String(repeating: "c", count: 64))
            """
        let packages = DebianIndex.packages(text, architecture: "amd64")
        #expect(packages.map(\.name) == ["a", "b"])
        #expect(
            packages[0].depends == [[DebianRelation(name: "b", op: ">=", version: "2")], [DebianRelation(name: "c")]])
        #expect(packages[1].essential && packages[1].priority == "required")
        #expect(packages[1].provides == [DebianRelation(name: "b-virtual", op: "=", version: "2")])
        #expect(
            packages[0].pin
                == DebianPackagePin(
                    name: "a", version: "1", architecture: "amd64", path: "pool/main/a/a_1_amd64.deb",
                    sha256: String(repeating: "a", count: 64), size: 10))
    }

    /// A field continued over 200,000 lines parses, joined with single spaces (each continuation
    /// line used to copy the whole value so far: quadratic, minutes for this index).
    @Test func aFieldOfManyContinuationLinesParses() {
        let count = 200_000
        var text = "Package: big\nVersion: 1\nArchitecture: amd64\nDepends: d0"
        for i in 1..<count { text += ",\n d\(i)" }
        text += "\nDescription: short\n" + String(repeating: " more\n", count: 3)
        text += "Filename: pool/main/b/big_1_amd64.deb\nSize: 1\nSHA256: \(String(repeating: "e", count: 64))\n"
        let packages = DebianIndex.packages(text, architecture: "amd64")
        #expect(packages.count == 1)
        #expect(packages.first?.depends.count == count)
        #expect(packages.first?.depends.first == [DebianRelation(name: "d0")])
        #expect(packages.first?.depends.last == [DebianRelation(name: "d\(count - 1)")])
        #expect(packages.first?.depends.map { $0[0].name } == (0..<count).map { "d\($0)" })
    }

    @Test func readsTheSHA256SectionOfRelease() {
        let sha = String(repeating: "d", count: 64)
        let files = DebianIndex.releaseFiles(
            """
            Codename: bookworm
            MD5Sum:
             0123 99 main/binary-amd64/Packages.xz
            SHA256:
             \(sha)  8790396 main/binary-amd64/Packages.xz
             \(sha) 50 main/binary-amd64/Release
            """)
        #expect(
            files == [
                "main/binary-amd64/Packages.xz": .init(sha256: sha, size: 8790396),
                "main/binary-amd64/Release": .init(sha256: sha, size: 50),
            ])
    }
}

@Suite struct DebianReleaseTrustTests {
    @Test func readsValidUntilAndFailsClosedOnAnUnreadableOne() throws {
        let date = try #require(
            DebianIndex.validUntil("Codename: bookworm-security\nValid-Until: Sat, 05 Dec 2026 02:53:00 UTC\nSHA256:\n")
        )
        #expect(date == Date(timeIntervalSince1970: 1_796_439_180))
        #expect(DebianIndex.validUntil("Codename: bookworm\nDate: Sat, 11 Jul 2026 10:16:37 UTC\n") == nil)
        #expect(DebianIndex.validUntil("Valid-Until: tomorrow\n") == .distantPast)
    }

    static let good = """
        [GNUPG:] NEWSIG
        [GNUPG:] KEY_CONSIDERED 05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0 0
        [GNUPG:] GOODSIG BDE6D2B9216EC7A8 Debian Security Archive Automatic Signing Key (12/bookworm) <ftpmaster@debian.org>
        [GNUPG:] VALIDSIG B0CAB9266E8C3929798B3EEEBDE6D2B9216EC7A8 2026-11-28 1795834381 0 4 0 1 8 01 05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0
        """

    @Test func aGoodValidSignatureIsNeededAndABadOneFailsWhateverElseSigned() {
        #expect(DebianIndex.signatureProblem(gpgvStatus: Self.good) == nil)
        #expect(DebianIndex.signatureProblem(gpgvStatus: "") == "no good signature")
        #expect(
            DebianIndex.signatureProblem(
                gpgvStatus:
                    "[GNUPG:] NEWSIG\n[GNUPG:] EXPKEYSIG 54404762BBB6E853 Old key\n[GNUPG:] VALIDSIG ED54 2026-11-28")
                == "no good signature (key 54404762BBB6E853 has expired)")
        #expect(
            DebianIndex.signatureProblem(gpgvStatus: "[GNUPG:] NO_PUBKEY 1234ABCD\n")?.contains("not in the keyring")
                == true)
        #expect(
            DebianIndex.signatureProblem(gpgvStatus: Self.good + "\n[GNUPG:] BADSIG 54404762BBB6E853 Debian")
                == "a bad signature by key 54404762BBB6E853")
        // An expired second key does not spoil a good signature by a current one, as with apt.
        #expect(
            DebianIndex.signatureProblem(gpgvStatus: Self.good + "\n[GNUPG:] EXPKEYSIG 54404762BBB6E853 Old key") == nil
        )
    }
}

@Suite struct DebianResolverTests {
    static func stanza(
        _ name: String, _ version: String = "1", essential: Bool = false, priority: String = "optional",
        depends: String = "", provides: String = ""
    ) -> DebianPackage {
        DebianPackage(
            name: name, version: version, architecture: "amd64", essential: essential, priority: priority,
            depends: DebianIndex.relations(depends), provides: DebianIndex.relations(provides).flatMap { $0 },
            filename: "pool/main/\(name)_\(version).deb", sha256: String(repeating: "0", count: 64), size: 1)
    }

    @Test func takesEssentialRequiredIncludesAndTheirClosure() throws {
        let resolver = DebianResolver([
            Self.stanza("base", essential: true, depends: "libc"),
            Self.stanza("req", priority: "required"),
            Self.stanza("libc", "2"), Self.stanza("libc", "3"),  // newest wins
            Self.stanza("tool", depends: "libc (>= 3), missing | alt, awk"),
            Self.stanza("alt"), Self.stanza("mawk", priority: "required", provides: "awk"),
            Self.stanza("gawk", provides: "awk"),
            Self.stanza("unrelated"),
        ])
        let chosen = try resolver.resolve(include: ["tool"])
        #expect(chosen.map(\.name) == ["alt", "base", "libc", "mawk", "req", "tool"])
        #expect(chosen.first { $0.name == "libc" }?.version == "3")
    }

    @Test func checksVersionsAndPicksTheFirstSatisfiableAlternative() throws {
        let resolver = DebianResolver([
            Self.stanza("a", depends: "old (>= 5) | new"), Self.stanza("old", "4"), Self.stanza("new"),
            Self.stanza("v", depends: "virt (>= 2)"), Self.stanza("p1", provides: "virt (= 1)"),
            Self.stanza("p2", provides: "virt (= 2)"),
        ])
        #expect(try resolver.resolve(include: ["a"]).map(\.name) == ["a", "new"])
        #expect(try resolver.resolve(include: ["v"]).map(\.name) == ["p2", "v"])
    }

    @Test func prefersUsrIsMergedAndFailsOnWhatNothingSatisfies() throws {
        let resolver = DebianResolver([
            Self.stanza("init", depends: "usrmerge | usr-is-merged"), Self.stanza("usrmerge"),
            Self.stanza("usr-is-merged"),
            Self.stanza("broken", depends: "ghost (>= 1)"),
        ])
        #expect(try resolver.resolve(include: ["init"]).map(\.name) == ["init", "usr-is-merged"])
        #expect(try resolver.resolve(include: ["init"], prefer: []).map(\.name) == ["init", "usrmerge"])
        #expect(throws: ReproError.self) { try resolver.resolve(include: ["broken"]) }
        #expect(throws: ReproError.self) { try resolver.resolve(include: ["no-such-package"]) }
    }
}

@Suite struct DebianLockSpecTests {
    static let pins = [
        DebianPackagePin(
            name: "make", version: "4.3-4.1", architecture: "amd64",
            path: "pool/main/m/make-dfsg/make_4.3-4.1_amd64.deb",
            sha256: String(repeating: "1", count: 64), size: 100),
        DebianPackagePin(
            name: "libstdc++6", version: "1:12.2.0-14", architecture: "amd64",
            path: "pool/main/g/gcc-12/libstdc++6_12.2.0-14_amd64.deb",
            sha256: String(repeating: "2", count: 64), size: 200),
    ]
    static let info = DebianLockInfo(
        suite: "bookworm", suites: ["bookworm", "bookworm-security"], architecture: "amd64",
        locked: "2026-11-30T10:00:00Z", include: ["build-essential"])

    @Test func writtenSpecParsesBackToTheSamePinsInAssemblyOrder() throws {
        let text = DebianLock.specText(
            name: "base", description: "a \"quoted\" one", info: Self.info, env: ["PATH": "/usr/bin"],
            packages: Self.pins)
        let spec = try ToolchainSpec.parse(toml: text, path: "t.toml")
        #expect(spec.packages == [Self.pins[1], Self.pins[0]])
        #expect(spec.debian == Self.info)
        #expect(spec.description == "a \"quoted\" one")
        #expect(spec.env == ["PATH": "/usr/bin"])
        #expect(spec.sources.isEmpty)
    }

    @Test func treeKeyDependsOnTheBytesNotOnOrderOrPaths() {
        var moved = Self.pins
        moved[0].path = "pool/updates/main/m/make-dfsg/make_4.3-4.1_amd64.deb"
        #expect(DebianLock.treeKey(Self.pins) == DebianLock.treeKey(moved.reversed()))
        var other = Self.pins
        other[0].sha256 = String(repeating: "3", count: 64)
        #expect(DebianLock.treeKey(Self.pins) != DebianLock.treeKey(other))
    }

    @Test func purlEncodesVersionCharacters() {
        #expect(Self.pins[1].purl == "pkg:deb/debian/libstdc%2B%2B6@1%3A12.2.0-14?arch=amd64")
        #expect(Self.pins[0].purl == "pkg:deb/debian/make@4.3-4.1?arch=amd64")
    }

    @Test(arguments: [
        ("sha256 = \"\(String(repeating: "1", count: 64))\"", "sha256 = \"\(String(repeating: "1", count: 63))\""),
        ("path = \"pool/main/m/make-dfsg/make_4.3-4.1_amd64.deb\"", "path = \"pool/../../etc/passwd.deb\""),
        ("path = \"pool/main/m/make-dfsg/make_4.3-4.1_amd64.deb\"", "path = \"http://evil/x.deb\""),
        ("[debian]", "[nodebian]"),
        ("name = \"make\"", "name = \"libstdc++6\""),
    ])
    func refusesBadLocks(_ from: String, _ to: String) {
        let text = DebianLock.specText(name: "base", description: "", info: Self.info, env: [:], packages: Self.pins)
        #expect(text.contains(from))
        let broken = text.replacingOccurrences(of: from, with: to)
        #expect(throws: ReproError.self) { try ToolchainSpec.parse(toml: broken, path: "t.toml") }
    }

    @Test func refusesASpecWithBothArchivesAndPackages() {
        let text =
            DebianLock.specText(name: "base", description: "", info: Self.info, env: [:], packages: Self.pins)
            + "\n[[source]]\nurl = \"file:///x.tar\"\nsha256 = \"\(String(repeating: "a", count: 64))\"\n"
        #expect(throws: ReproError.self) { try ToolchainSpec.parse(toml: text, path: "t.toml") }
    }
}
