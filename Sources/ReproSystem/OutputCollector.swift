import Foundation
import ReproCore

/// Copies a run's outputs out of its sandbox before the sandbox is torn down.
///
/// The build tree is read through directory file descriptors with `O_NOFOLLOW` at every step
/// (openat(2), fstatat(2), readlinkat(2)), so a symlink the build made, even one swapped in
/// while outputs are collected, is copied as a symlink and never followed, into the sandbox or
/// out of it. Devices, fifos and sockets are refused. Copied files get mode 0644, or 0755 when
/// the owner-execute bit is set; directories 0755.
public enum OutputCollector {
    /// What to collect.
    public enum Selection: Sendable {
        /// Paths or globs (fnmatch(3) with `FNM_PATHNAME`) relative to the build root; a matched
        /// directory is collected whole.
        case patterns([String])
        /// Every file or symlink that is not in the source snapshot with the same contents
        /// (path to SHA-256 hex, or to `"->" + target` for symlinks).
        case changedFrom([String: String])
    }

    /// Copies the selected entries of `buildRoot` into `destination` (created), returning the
    /// relative paths copied, sorted. Throws when a pattern matches nothing.
    @discardableResult
    public static func collect(from buildRoot: String, selection: Selection, into destination: String) throws(ReproError) -> [String] {
        let root: FileDescriptor
        switch Syscalls.open(buildRoot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
        case .success(let fd): root = FileDescriptor(fd)
        case .failure(let e): throw .buildFailed("cannot open the build directory \(buildRoot) to collect outputs: \(e.text).")
        }
        return try collect(fromDirectory: root.raw, selection: selection, into: destination)
    }

    /// Copies the file or directory at the absolute sandbox path `inside` out of the sandbox whose
    /// root is `root` (`/proc/<pid>/root`) to the new host path `host`. Every component of
    /// `inside` is opened with `O_NOFOLLOW`: a symlink the build made is copied as a symlink and
    /// never resolved, where an absolute target would point into the host's file system.
    public static func copyOut(root: String, inside: String, to host: String) throws(ReproError) {
        var parts = inside.split(separator: "/").map(String.init)
        guard let name = parts.popLast() else {
            throw .configuration("--copy-out: give a path below / inside the sandbox, not / itself.")
        }
        var directory: FileDescriptor
        switch Syscalls.open(root, O_RDONLY | O_DIRECTORY) {
        case .success(let fd): directory = FileDescriptor(fd)
        case .failure(let e): throw .configuration("--copy-out: cannot open the sandbox's root: \(e.text).")
        }
        var walked = ""
        for part in parts {
            walked += "/" + part
            switch Syscalls.openat(directory.raw, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
            case .success(let fd): directory = FileDescriptor(fd)
            case .failure(let e):
                throw .configuration("--copy-out: \(walked) is not a directory inside the sandbox (\(e.text)); symlinks on the way are not followed.")
            }
        }
        var info = stat()
        guard fstatat(directory.raw, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .configuration("--copy-out: \(inside) does not exist in the sandbox.")
        }
        let staging = host + ".partial-" + UUID().uuidString
        defer { Syscalls.removeTree(staging) }
        do throws(ReproError) {
            try collect(fromDirectory: directory.raw, selection: .patterns([name]), into: staging)
        } catch {
            throw .configuration("--copy-out: \(inside): \(error.message)")
        }
        if case .failure(let e) = Syscalls.rename(staging + "/" + name, host) {
            throw .configuration("--copy-out: cannot move the copy to \(host): \(e.text).")
        }
    }

    /// Copies the selected entries below the open directory `rootFD` into `destination`.
    @discardableResult
    static func collect(fromDirectory rootFD: Int32, selection: Selection, into destination: String) throws(ReproError) -> [String] {
        try makeDirectory(destination)
        var copied: [String] = []
        var matchedPatterns = Set<String>()
        try walk(dirFD: rootFD, relative: "", inherited: false, selection: selection, destination: destination,
                 copied: &copied, matched: &matchedPatterns)
        if case .patterns(let patterns) = selection {
            let unmatched = patterns.filter { !matchedPatterns.contains($0) }
            if !unmatched.isEmpty {
                throw .buildFailed("the build did not produce the declared output\(unmatched.count == 1 ? "" : "s") \(unmatched.map { "'\($0)'" }.joined(separator: ", ")). Check build.outputs in repro.toml against what the build writes below /build/src.")
            }
        }
        return copied.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Whether `path` matches `pattern` as fnmatch(3) with `FNM_PATHNAME`.
    static func matches(_ pattern: String, _ path: String) -> Bool {
        fnmatch(pattern, path, FNM_PATHNAME) == 0
    }

    /// Whether some pattern could match an entry below directory `path`.
    static func couldMatchBelow(_ patterns: [String], _ path: String) -> Bool {
        let parts = path.split(separator: "/").map(String.init)
        return patterns.contains { pattern in
            let pp = pattern.split(separator: "/").map(String.init)
            guard pp.count > parts.count else { return false }
            return zip(pp, parts).allSatisfy { matches($0, $1) }
        }
    }

    private static func names(in dirFD: Int32, relative: String) throws(ReproError) -> [String] {
        let copy = dup(dirFD)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw .buildFailed("cannot list the output directory '\(relative)': \(String(cString: strerror(errno))).")
        }
        defer { closedir(dir) }
        var result: [String] = []
        while let entry = readdir(dir) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            guard let name = String(bytes: bytes, encoding: .utf8) else {
                throw .buildFailed("the build wrote a file name that is not valid UTF-8 in '\(relative.isEmpty ? "." : relative)'; repro's digests name files in UTF-8, so rename it in the build.")
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func walk(dirFD: Int32, relative: String, inherited: Bool, selection: Selection, destination: String,
                             copied: inout [String], matched: inout Set<String>) throws(ReproError) {
        for name in try names(in: dirFD, relative: relative) {
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard fstatat(dirFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw .buildFailed("cannot read the output '\(path)': \(String(cString: strerror(errno))).")
            }
            let type = info.st_mode & S_IFMT
            var selected = inherited
            var descend = inherited
            switch selection {
            case .patterns(let patterns):
                if !selected {
                    for pattern in patterns where matches(pattern, path) {
                        selected = true
                        matched.insert(pattern)
                    }
                }
                descend = selected || couldMatchBelow(patterns, path)
            case .changedFrom(let source):
                descend = true
                if type == S_IFREG || type == S_IFLNK {
                    if let known = source[path] {
                        selected = try contentKey(dirFD: dirFD, name: name, type: type, path: path) != known
                    } else {
                        selected = true
                    }
                }
            }
            switch type {
            case S_IFDIR:
                guard descend else { continue }
                let child: FileDescriptor
                switch Syscalls.openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
                case .success(let fd): child = FileDescriptor(fd)
                case .failure(let e): throw .buildFailed("cannot open the output directory '\(path)': \(e.text).")
                }
                if selected { try makeDirectory(destination + "/" + path) }
                try walk(dirFD: child.raw, relative: path, inherited: selected && inheritsDown(selection), selection: selection,
                         destination: destination, copied: &copied, matched: &matched)
            case S_IFREG where selected:
                try copyFile(dirFD: dirFD, name: name, path: path, executable: (info.st_mode & S_IXUSR) != 0, destination: destination)
                copied.append(path)
            case S_IFLNK where selected:
                let target = try readLink(dirFD: dirFD, name: name, path: path)
                try makeDirectory(destination + "/" + relative)
                guard symlink(target, destination + "/" + path) == 0 else {
                    throw .buildFailed("cannot copy the output symlink '\(path)': \(String(cString: strerror(errno))).")
                }
                copied.append(path)
            case S_IFREG, S_IFLNK:
                continue
            default:
                if selected {
                    throw .buildFailed("the output '\(path)' is a device, fifo or socket; outputs must be regular files, directories or symlinks.")
                }
            }
        }
    }

    private static func inheritsDown(_ selection: Selection) -> Bool {
        if case .patterns = selection { return true }
        return false
    }

    /// The snapshot key of an entry: its SHA-256 hex, or `"->" + target` for a symlink.
    private static func contentKey(dirFD: Int32, name: String, type: mode_t, path: String) throws(ReproError) -> String {
        if type == S_IFLNK { return "->" + (try readLink(dirFD: dirFD, name: name, path: path)) }
        let input = try openEntry(dirFD: dirFD, name: name, path: path)
        return try Hashing.sha256(fd: input.raw, path: path).hex
    }

    /// Opens an entry of a directory for reading, never following a symlink (openat(2)).
    private static func openEntry(dirFD: Int32, name: String, path: String) throws(ReproError) -> FileDescriptor {
        switch Syscalls.openat(dirFD, name, O_RDONLY | O_NOFOLLOW) {
        case .success(let fd): return FileDescriptor(fd)
        case .failure(let e): throw .buildFailed("cannot read the output '\(path)': \(e.text).")
        }
    }

    private static func readLink(dirFD: Int32, name: String, path: String) throws(ReproError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(dirFD, name, &buffer, buffer.count - 1)
        guard n >= 0 else { throw .buildFailed("cannot read the output symlink '\(path)': \(String(cString: strerror(errno))).") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func copyFile(dirFD: Int32, name: String, path: String, executable: Bool, destination: String) throws(ReproError) {
        let input = try openEntry(dirFD: dirFD, name: name, path: path)
        let target = destination + "/" + path
        try makeDirectory((target as NSString).deletingLastPathComponent)
        let mode: mode_t = executable ? 0o755 : 0o644
        let output: FileDescriptor
        switch Syscalls.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode) {
        case .success(let fd): output = FileDescriptor(fd)
        case .failure(let e): throw .configuration("cannot write \(target): \(e.text). Check that the directory is writable.", errno: e.code)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            switch Syscalls.read(input.raw, buffer) {
            case .success(0):
                fchmod(output.raw, mode)  // the umask must not change what was asked for
                return
            case .success(let n):
                if case .failure(let e) = Syscalls.writeAll(output.raw, UnsafeRawBufferPointer(rebasing: buffer[0..<n])) {
                    throw .configuration("cannot write \(target): \(e.text).", errno: e.code)
                }
            case .failure(let e):
                throw .buildFailed("cannot read the output '\(path)': \(e.text).")
            }
        }
    }

    private static func makeDirectory(_ path: String) throws(ReproError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw .configuration("cannot create \(path): \(error.localizedDescription). Check that the directory is writable.")
        }
    }
}
