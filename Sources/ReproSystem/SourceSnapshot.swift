import Foundation
import ReproCore

/// A frozen copy of a project's source: the files git tracks (with their uncommitted changes),
/// or every file when the project is not a git work tree, copied into a private staging
/// directory so that what is digested is exactly what every run gets.
///
/// Never included: untracked or ignored files of a git work tree, `.git/`, and repro's own
/// `.repro/` directory. Modes are normalized to 0644, or 0755 when the owner-execute bit is set;
/// directories to 0755.
public struct SourceSnapshot: Sendable {
    /// The staging directory holding the copy.
    public let root: String
    /// The relative paths of every regular file and symlink, sorted bytewise.
    public let paths: [String]
    /// `git` (tracked files) or `directory` (all files).
    public let selection: String
    /// Untracked, not ignored files of a git work tree that were left out.
    public let untrackedExcluded: Int
    /// The `HEAD` commit, when there is one.
    public let commit: String?
    /// The committer time of the last commit that touched the project directory, if any.
    public let commitTime: Int64?
    /// A URI for the source in provenance: `git+file://REPO@COMMIT#SUBDIR` when the snapshot is
    /// exactly that commit's files, else `file://DIR` (uncommitted changes, or no git); the
    /// snapshot's tree digest, recorded beside it, is what identifies the bytes either way.
    public let uri: String

    /// Copies the source of `projectDir` into `stagingDir` (which must not exist yet).
    public static func take(projectDir: String, into stagingDir: String) throws(ReproError) -> SourceSnapshot {
        let git = try gitFiles(projectDir)
        let candidates: [String]
        if let git {
            candidates = git.tracked
        } else {
            candidates = try walk(projectDir)
        }
        let paths = candidates.filter { path in
            let first = path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? path
            return first != ".repro" && first != ".git"
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }

        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: stagingDir, withIntermediateDirectories: false,
                                   attributes: [.posixPermissions: 0o755])
        } catch {
            throw .configuration("cannot create the snapshot directory \(stagingDir): \(error.localizedDescription). Check that the cache directory is writable.")
        }
        var kept: [String] = []
        for path in paths {
            let source = projectDir + "/" + path
            let target = stagingDir + "/" + path
            var info = stat()
            guard lstat(source, &info) == 0 else { continue }  // tracked but deleted in the work tree
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR {
                throw .configuration("\(path) is a git submodule; repro does not snapshot submodules yet. Vendor its files into the repository, or run repro check inside the submodule.")
            }
            guard type == S_IFREG || type == S_IFLNK else { continue }  // sockets, fifos: not source
            let parent = (target as NSString).deletingLastPathComponent
            do {
                try fm.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                if type == S_IFLNK {
                    let destination = try fm.destinationOfSymbolicLink(atPath: source)
                    try fm.createSymbolicLink(atPath: target, withDestinationPath: destination)
                } else {
                    try fm.copyItem(atPath: source, toPath: target)
                    let mode: Int = (info.st_mode & S_IXUSR) != 0 ? 0o755 : 0o644
                    try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: target)
                }
            } catch {
                throw .configuration("cannot copy \(path) into the source snapshot: \(error.localizedDescription). Check that the file is readable.")
            }
            kept.append(path)
        }
        return SourceSnapshot(root: stagingDir, paths: kept, selection: git == nil ? "directory" : "git",
                              untrackedExcluded: git?.untracked ?? 0, commit: git?.commit, commitTime: git?.commitTime,
                              uri: git?.uri ?? "file://" + percentEncoded(projectDir))
    }

    /// Tracked and untracked file lists and the HEAD commit, or nil when not a git work tree.
    private static func gitFiles(_ dir: String) throws(ReproError) -> (tracked: [String], untracked: Int, commit: String?, commitTime: Int64?, uri: String)? {
        // Never let the project's git configuration run programs while we list files.
        let git = ["git", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "-C", dir]
        let inside = try HostCommand.run(git + ["rev-parse", "--is-inside-work-tree"])
        guard inside.status == 0, String(decoding: inside.stdout, as: UTF8.self).hasPrefix("true") else { return nil }
        let tracked = try HostCommand.run(git + ["ls-files", "-z", "--cached"])
        guard tracked.status == 0 else {
            throw .configuration("git ls-files failed in \(dir): \(tracked.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let untracked = try HostCommand.run(git + ["ls-files", "-z", "--others", "--exclude-standard"])
        // The commit is HEAD; the epoch is the committer time of the last commit that touched
        // this directory, so a project in a subdirectory keeps its epoch while others change.
        let head = try HostCommand.run(git + ["rev-parse", "--verify", "-q", "HEAD"])
        let commit = head.status == 0 ? String(decoding: head.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
        let last = try HostCommand.run(git + ["log", "-1", "--format=%ct", "--", "."])
        let time = last.status == 0 ? Int64(String(decoding: last.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
        func split(_ data: Data) throws(ReproError) -> [String] {
            var names: [String] = []
            for raw in data.split(separator: 0) {
                guard let name = String(bytes: raw, encoding: .utf8) else {
                    throw .configuration("the tracked file \(String(decoding: raw, as: UTF8.self).debugDescription) has a name that is not valid UTF-8; repro's digests name files in UTF-8. Rename it.")
                }
                names.append(name)
            }
            return names
        }
        let files = Array(Set(try split(tracked.stdout)))
        let others = untracked.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.filter { !$0.hasPrefix(".repro/") }
        // The commit names the snapshot only when no tracked file under DIR differs from it.
        let status = try HostCommand.run(git + ["status", "--porcelain", "--untracked-files=no", "--", "."])
        let clean = status.status == 0 && status.stdout.isEmpty
        let top = try HostCommand.run(git + ["rev-parse", "--show-toplevel"])
        let prefix = try HostCommand.run(git + ["rev-parse", "--show-prefix"])
        let text = { (o: HostCommand.Output) in String(decoding: o.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        var uri = "file://" + percentEncoded(dir)
        if let commit, clean, top.status == 0 {
            let sub = text(prefix).hasSuffix("/") ? String(text(prefix).dropLast()) : text(prefix)
            uri = "git+file://" + percentEncoded(text(top)) + "@" + commit + (sub.isEmpty ? "" : "#" + percentEncoded(sub))
        }
        return (files, others.count, commit, time, uri)
    }

    /// Every regular file and symlink below `dir`, relative, never following symlinks.
    private static func walk(_ dir: String) throws(ReproError) -> [String] {
        var result: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? dir : dir + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: absolute)
            } catch {
                throw .configuration("cannot read the directory \(absolute): \(error.localizedDescription). Check that it exists and is readable.")
            }
            for name in names {
                if relative.isEmpty, name == ".git" || name == ".repro" { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(dir + "/" + path, &info) == 0 else {
                    throw .configuration("cannot read \(dir)/\(path) (\(String(cString: strerror(errno)))); a file name that is not valid UTF-8 shows up this way. Rename it or remove it.")
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: pending.append(path)
                case S_IFREG, S_IFLNK: result.append(path)
                default: break
                }
            }
        }
        return result
    }

    /// A path with the characters a URI path may not hold percent-encoded.
    static func percentEncoded(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "#?")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }
}
