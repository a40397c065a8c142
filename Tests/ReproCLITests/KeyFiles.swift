import Foundation
import ReproCore

extension PublicKey {
    /// The key in the PEM file at `path` (the file read here; ReproSystem reads key files for repro).
    init(pemFile path: String) throws {
        try self.init(pem: String(contentsOfFile: path, encoding: .utf8), source: path)
    }
}

extension SigningKey {
    /// The key in the PEM file at `path` (the file read here; ReproSystem reads key files for repro).
    init(pemFile path: String) throws {
        try self.init(pem: String(contentsOfFile: path, encoding: .utf8), source: path)
    }
}
