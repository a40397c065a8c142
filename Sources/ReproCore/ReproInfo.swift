/// repro's identity, as recorded in reports and manifests.
public enum ReproInfo {
    /// The release version.
    public static let version = "0.1.0"

    /// A Swift package repro is built from, at the one version Package.swift pins it to.
    public struct Dependency: Equatable, Sendable {
        public let name: String
        public let url: String
        public let version: String
        /// Declared in Package.swift (`exact:`), or pulled in by one that is.
        public let direct: Bool
    }

    /// repro's own Swift package inputs. Package.swift pins each direct one with `exact:` and
    /// this list is their one other home: a test checks the two agree, and that the list matches
    /// what the package graph resolves to (Package.resolved), transitive packages included.
    public static let dependencies: [Dependency] = [
        Dependency(
            name: "swift-argument-parser", url: "https://github.com/apple/swift-argument-parser", version: "1.8.2",
            direct: true),
        Dependency(name: "swift-crypto", url: "https://github.com/apple/swift-crypto", version: "3.12.3", direct: true),
        Dependency(name: "swift-asn1", url: "https://github.com/apple/swift-asn1.git", version: "1.7.4", direct: false),
    ]

    /// The Swift compiler that compiled repro, as far as `#if compiler(...)` can tell: the exact
    /// release for the ones listed, else the newest listed release it is at least.
    public static let swiftCompiler: String = {
        #if compiler(>=6.5)
            return "6.5 or later"
        #elseif compiler(>=6.4)
            return "6.4.x"
        #elseif compiler(>=6.3.3)
            return "6.3.3 or a later 6.3"
        #elseif compiler(>=6.3.2)
            return "6.3.2"
        #elseif compiler(>=6.3.1)
            return "6.3.1"
        #elseif compiler(>=6.3)
            return "6.3"
        #elseif compiler(>=6.2)
            return "6.2.x"
        #elseif compiler(>=6.1)
            return "6.1.x"
        #elseif compiler(>=6.0)
            return "6.0.x"
        #else
            return "earlier than 6.0"
        #endif
    }()
}
