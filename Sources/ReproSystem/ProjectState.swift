import Foundation
import ReproCore

/// The project's `.repro/` directory (logs, certified outputs, kept runs, the manifest) and the
/// checks that keep a hostile checkout from turning repro's writes against the host: `.repro`
/// and its subdirectories must be real directories, never symlinks a repository could commit.
enum ProjectState {
    /// Creates (if needed) and verifies `<project>/.repro/<sub>`, refusing symlinks on the way.
    static func directory(_ project: String, _ sub: String? = nil) throws(ReproError) -> String {
        var path = project + "/.repro"
        try realDirectory(path)
        if let sub {
            for part in sub.split(separator: "/") {
                path += "/" + part
                try realDirectory(path)
            }
        }
        return path
    }

    private static func realDirectory(_ path: String) throws(ReproError) {
        if let info = Syscalls.lstat(path) {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw .configuration("\(path) is not a directory (a symlink or file, perhaps committed to the repository); repro keeps its logs and outputs there. Remove it and run again.")
            }
            return
        }
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw .configuration("cannot create \(path): \(String(cString: strerror(errno))). Check that the project directory is writable.")
        }
        guard let info = Syscalls.lstat(path), info.st_mode & S_IFMT == S_IFDIR else {
            throw .configuration("\(path) is not a directory. Remove it and run again.")
        }
    }

    /// Opens a new log file for writing inside a verified directory, never through a symlink.
    static func openLog(_ path: String) throws(ReproError) -> FileDescriptor {
        unlink(path)
        switch Syscalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644) {
        case .success(let fd): return FileDescriptor(fd)
        case .failure(let e):
            throw .configuration("cannot write the build log \(path): \(e.text). Check that the project directory is writable.", errno: e.code)
        }
    }

    /// Refuses a destination for `--output` or `--keep` that would destroy something: the project
    /// itself or a directory containing it, the cache, the home directory, `/`, or an existing
    /// non-empty directory that repro did not make (`.repro/...` of the project is repro's own).
    static func checkDestination(_ destination: String, option: String, project: String, cache: String) throws(ReproError) {
        let target = canonical(destination)
        for (protected, what) in [(canonical(project), "the project"), (canonical(cache), "the cache"),
                                  (canonical(NSHomeDirectory()), "your home directory"), ("/", "/")] {
            if target == protected || protected.hasPrefix(target == "/" ? "/" : target + "/") {
                throw .configuration("\(option) \(destination) would replace \(what); give a new directory for it.")
            }
        }
        if target.hasPrefix(canonical(project) + "/.repro/") || placed(project).contains(target) { return }
        if let names = try? FileManager.default.contentsOfDirectory(atPath: destination), !names.isEmpty {
            throw .configuration("\(option) \(destination) exists and is not empty; repro replaces what it writes there, so give a new or empty directory (or remove this one).")
        }
    }

    /// Refuses a manifest path that cannot be written (a missing or read-only directory, or a
    /// directory in its place), before a build is spent on a check whose manifest would be lost.
    static func checkManifestDestination(_ path: String) throws(ReproError) {
        let parent = (path as NSString).deletingLastPathComponent
        guard let real = try? Syscalls.realpath(parent).get(), Syscalls.isDirectory(real) else {
            throw .configuration("--manifest \(path): \(parent) is not an existing directory; give a path in one.")
        }
        if Syscalls.isDirectory(path) {
            throw .configuration("--manifest \(path) is a directory; give a file path, for example \(path)/\(Manifest.defaultFileName).")
        }
        guard access(parent, W_OK) == 0 else {
            throw .configuration("--manifest \(path): cannot write in \(parent) (\(Errno(errno).text)); give a path in a writable directory.", errno: errno)
        }
    }

    /// The output directories earlier checks of this project placed outside `.repro/`, which a
    /// later check may replace (`.repro/placed-outputs`, one canonical path per line).
    static func placed(_ project: String) -> Set<String> {
        guard let text = try? String(contentsOfFile: project + "/.repro/placed-outputs", encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").map(String.init))
    }

    /// Records that a check placed outputs at `destination`.
    static func recordPlacement(_ project: String, _ destination: String) throws(ReproError) {
        var all = placed(project)
        guard all.insert(canonical(destination)).inserted else { return }
        let path = try directory(project) + "/placed-outputs"
        let text = all.sorted().joined(separator: "\n") + "\n"
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw .configuration("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Removes outputs an earlier check placed at `destination`, when this check certified none:
    /// they must not be published beside a manifest that says otherwise. Returns whether it did.
    static func withdrawOutputs(_ project: String, _ destination: String) -> Bool {
        let ours = destination.hasPrefix(project + "/.repro/") || placed(project).contains(canonical(destination))
        guard ours, Syscalls.lstat(destination) != nil else { return false }
        Syscalls.removeTree(destination)
        return true
    }

    /// `path` with symlinks resolved as far as it exists, made absolute.
    private static func canonical(_ path: String) -> String {
        var existing = URL(fileURLWithPath: path).standardizedFileURL.path
        var rest: [String] = []
        while Syscalls.lstat(existing) == nil, existing != "/" {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        let base = (try? Syscalls.realpath(existing).get()) ?? existing
        return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.joined(separator: "/")
    }
}
