import Foundation

/// `make install-files DESTDIR=DIR PREFIX=/usr` of the binaries the tests run, made once per test
/// run for every test that looks at the installed files (a static constant is initialized once,
/// by whichever test asks first, while tests running in parallel wait for it). DIR is a temporary
/// directory, removed when the test process exits.
enum Installation {
    /// Why the installation failed: make's status and output.
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// The DESTDIR.
    private static let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("repro-install-\(UUID().uuidString)").path

    private static let made: Result<String, Failed> = {
        atexit { try? FileManager.default.removeItem(atPath: Installation.directory) }
        let bin = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path
        do {
            let make = try Shell.run([
                "make", "-C", InstallTests.root, "install-files", "DESTDIR=\(directory)", "PREFIX=/usr", "BIN=\(bin)",
            ])
            guard make.status == 0 else {
                return .failure(
                    Failed(description: "make install-files exited \(make.status): \(make.stdout)\(make.stderr)"))
            }
        } catch {
            return .failure(Failed(description: "cannot run make install-files: \(error)"))
        }
        return .success(directory)
    }()

    /// The DESTDIR the files were installed into (installing them if no test has yet); throws
    /// make's output when the installation failed.
    static func destDir() throws -> String { try made.get() }
}
