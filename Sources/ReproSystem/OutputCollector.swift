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
        case changedFrom([PathKey: String])
    }

    /// Copies the selected entries of `buildRoot` into `destination` (created), returning the
    /// relative paths copied, sorted. Throws when a pattern matches nothing, or when the files'
    /// sizes add up to more than `limit` bytes (see ``Budget``).
    @discardableResult
    public static func collect(from buildRoot: String, selection: Selection, into destination: String,
                               limit: Int = .max) throws(ReproError) -> [String] {
        let root: FileDescriptor
        switch Syscalls.open(buildRoot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
        case .success(let fd): root = FileDescriptor(fd)
        case .failure(let e): throw .buildFailed("cannot open the build directory \(buildRoot) to collect outputs: \(e.text).")
        }
        var budget = Budget(limit: limit)
        return try collect(fromDirectory: root.raw, selection: selection, into: destination, budget: &budget)
    }

    /// The most output bytes a collection copies: the sizes of the regular files, sparse ones at
    /// their full length (which a hash of them reads). Without it a build could make files of
    /// terabytes out of holes, within its tmpfs limit, for repro to copy and hash.
    struct Budget {
        /// The limit, in bytes.
        let limit: Int
        /// The bytes taken so far.
        private(set) var used = 0

        init(limit: Int) { self.limit = limit }

        /// The bytes still allowed.
        var remaining: Int { limit - used }

        /// How many bytes to read next from a file whose size is not known in advance: up to a
        /// buffer's worth, and at most one byte past what is allowed, so that reading past the
        /// limit is noticed with little more read. Never overflows, whatever the limit.
        func nextRead(buffer: Int) -> Int {
            let (past, overflow) = remaining.addingReportingOverflow(1)
            return overflow ? buffer : min(buffer, past)
        }

        /// Takes `size` bytes for the output `path`, or throws when they do not fit.
        mutating func take(_ size: Int, for path: String) throws(ReproError) {
            guard size >= 0, size <= remaining else {
                throw .buildFailed("the outputs add up to more than \(limit) bytes, the work directory's tmpfs limit, at '\(path)' (\(size) bytes; sparse files count at their full length). Declare fewer outputs in build.outputs, or raise limits.tmpfs_bytes in the profile.")
            }
            used += size
        }
    }

    /// Copies the file or directory at the absolute sandbox path `inside` out of the sandbox whose
    /// root is `root` (`/proc/<pid>/root`) to the new host path `host`. Every component of
    /// `inside` is opened with `O_NOFOLLOW`: a symlink the build made is copied as a symlink and
    /// never resolved, where an absolute target would point into the host's file system.
    public static func copyOut(root: String, inside: String, to host: String, limit: Int = .max) throws(ReproError) {
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
            var budget = Budget(limit: limit)
            try collect(fromDirectory: directory.raw, selection: .patterns([name]), into: staging, budget: &budget)
        } catch {
            throw .configuration("--copy-out: \(inside): \(error.message)")
        }
        if case .failure(let e) = Syscalls.rename(staging + "/" + name, host) {
            throw .configuration("--copy-out: cannot move the copy to \(host): \(e.text).")
        }
    }

    /// Copies a whole collected tree (a run's outputs) to `destination` (created): directories,
    /// empty ones too, files with their holes and modes as collected, symlinks as symlinks.
    static func copyTree(from source: String, to destination: String) throws(ReproError) {
        let root: FileDescriptor
        switch Syscalls.open(source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
        case .success(let fd): root = FileDescriptor(fd)
        case .failure(let e): throw .configuration("cannot read \(source): \(e.text).", errno: e.code)
        }
        try makeDirectory(destination)
        var copied: [String] = [], matched = Set<String>(), budget = Budget(limit: .max)
        try walk(dirFD: root.raw, relative: "", inherited: true, selection: .patterns([]), destination: destination,
                 copied: &copied, matched: &matched, budget: &budget)
    }

    /// Copies the selected entries below the open directory `rootFD` into `destination`.
    @discardableResult
    static func collect(fromDirectory rootFD: Int32, selection: Selection, into destination: String,
                        budget: inout Budget) throws(ReproError) -> [String] {
        try makeDirectory(destination)
        var copied: [String] = []
        var matchedPatterns = Set<String>()
        try walk(dirFD: rootFD, relative: "", inherited: false, selection: selection, destination: destination,
                 copied: &copied, matched: &matchedPatterns, budget: &budget)
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
            guard let name = ExactUTF8.decode(bytes) else {
                throw .buildFailed("the build wrote a file name that is not valid UTF-8 in '\(relative.isEmpty ? "." : relative)'; repro's digests name files in UTF-8, so rename it in the build.")
            }
            if name != "." && name != ".." { result.append(name) }
        }
        // Each name once: a name listed twice (a directory renamed while it is read), or two
        // names Swift holds equal (one name in two Unicode normalizations), would make the
        // collector visit one path twice, and the build could swap what is there between visits.
        var seen = Set<String>()
        for name in result where !seen.insert(name).inserted {
            throw .buildFailed("the build left two entries named \(name.debugDescription) in '\(relative.isEmpty ? "." : relative)' (listed twice while it changed, or one name in two Unicode normalizations); outputs must be stable and named once when the build ends.")
        }
        return result.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func walk(dirFD: Int32, relative: String, inherited: Bool, selection: Selection, destination: String,
                             copied: inout [String], matched: inout Set<String>, budget: inout Budget) throws(ReproError) {
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
                    if let known = source[PathKey(path)] {
                        selected = try contentKey(dirFD: dirFD, name: name, type: type, path: path, budget: budget) != known
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
                         destination: destination, copied: &copied, matched: &matched, budget: &budget)
            case S_IFREG where selected:
                try copyFile(dirFD: dirFD, name: name, path: path, executable: (info.st_mode & S_IXUSR) != 0,
                             destination: destination, budget: &budget)
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

    /// The snapshot key of an entry: its SHA-256 hex, or `"->" + target` for a symlink. A file
    /// is hashed up to the size it has when opened, and one larger than the whole budget (which no
    /// source file can be: the sources fit the same tmpfs) is not read at all: it has changed.
    private static func contentKey(dirFD: Int32, name: String, type: mode_t, path: String, budget: Budget) throws(ReproError) -> String {
        if type == S_IFLNK { return "->" + (try readLink(dirFD: dirFD, name: name, path: path)) }
        var info = stat()
        let input = try openEntry(dirFD: dirFD, name: name, path: path, info: &info)
        guard Int(info.st_size) <= budget.limit else { return "size \(info.st_size)" }
        return try Hashing.sha256(fd: input.raw, path: path, limit: UInt64(info.st_size)).hex
    }

    /// Opens a regular file of a directory for reading (openat(2)): never following a symlink,
    /// never waiting on a fifo swapped in after the entry was looked at (`O_NONBLOCK`), and
    /// refusing whatever the descriptor turns out not to be a regular file. Its status goes to `info`.
    private static func openEntry(dirFD: Int32, name: String, path: String, info: inout stat) throws(ReproError) -> FileDescriptor {
        let file: FileDescriptor
        switch Syscalls.openat(dirFD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) {
        case .success(let fd): file = FileDescriptor(fd)
        case .failure(let e): throw .buildFailed("cannot read the output '\(path)': \(e.text).")
        }
        guard fstat(file.raw, &info) == 0 else {
            throw .buildFailed("cannot read the output '\(path)': \(Errno(errno).text).")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .buildFailed("the output '\(path)' stopped being a regular file while it was collected; outputs must be regular files, directories or symlinks, and the build must have finished writing them.")
        }
        return file
    }

    private static func readLink(dirFD: Int32, name: String, path: String) throws(ReproError) -> String {
        switch Syscalls.readlinkat(dirFD, name) {
        case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .failure(let e): throw .buildFailed("cannot read the output symlink '\(path)': \(e.text).")
        }
    }

    /// Copies one regular file, charging `budget` with its size as the opened descriptor reports
    /// it (what is checked is what is copied, even if the build swaps the file meanwhile).
    private static func copyFile(dirFD: Int32, name: String, path: String, executable: Bool, destination: String,
                                 budget: inout Budget) throws(ReproError) {
        var info = stat()
        let input = try openEntry(dirFD: dirFD, name: name, path: path, info: &info)
        let size = off_t(info.st_size)
        try budget.take(Int(size), for: path)
        let target = destination + "/" + path
        try makeDirectory(destination + "/" + parentOf(path))
        let mode: mode_t = executable ? 0o755 : 0o644
        let output: FileDescriptor
        switch Syscalls.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode) {
        case .success(let fd): output = FileDescriptor(fd)
        case .failure(let e): throw .configuration("cannot write \(target): \(e.text). Check that the directory is writable.", errno: e.code)
        }
        func readFailed(_ e: Errno) -> ReproError { .buildFailed("cannot read the output '\(path)': \(e.text).") }
        func writeFailed(_ e: Errno) -> ReproError { .configuration("cannot write \(target): \(e.text).", errno: e.code) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        /// Copies `[from, to)` of the input to the same offsets of the output; returns where it
        /// stopped (short of `to` if the file shrank meanwhile).
        func copyRange(from: off_t, to: off_t) throws(ReproError) -> off_t {
            var position = from
            while position < to {
                let want = min(buffer.count, Int(to - position))
                let n: Int
                switch Syscalls.pread(input.raw, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: position) {
                case .success(let got): n = got
                case .failure(let e): throw readFailed(e)
                }
                if n == 0 { break }
                if case .failure(let e) = Syscalls.pwriteAll(output.raw, UnsafeRawBufferPointer(rebasing: buffer[0..<n]), at: position) {
                    throw writeFailed(e)
                }
                position += off_t(n)
            }
            return position
        }
        if size == 0 {
            // Sizes of 0 may hide content (files of /proc, for `repro run --copy-out`): read to the
            // end, charging the budget as it comes.
            var position: off_t = 0
            while true {
                let (end, overflow) = position.addingReportingOverflow(off_t(budget.nextRead(buffer: buffer.count)))
                let next = try copyRange(from: position, to: overflow ? .max : end)
                if next == position { break }
                try budget.take(Int(next - position), for: path)
                position = next
            }
        } else {
            // Only the data is copied, up to the size charged: holes stay holes (SEEK_DATA and
            // SEEK_HOLE, which tmpfs and the usual host file systems answer).
            var position: off_t = 0
            copying: while position < size {
                switch Syscalls.lseek(input.raw, position, Syscalls.seekData) {
                case .success(let start): position = start
                case .failure(let e) where e.code == ENXIO: break copying  // only a hole remains
                case .failure(let e): throw readFailed(e)
                }
                guard position < size else { break }
                let end = min(size, (try? Syscalls.lseek(input.raw, position, Syscalls.seekHole).get()) ?? size)
                let reached = try copyRange(from: position, to: end)
                if reached < end { break }  // shrank while being read: the length set below still holds
                position = end
            }
            if case .failure(let e) = Syscalls.ftruncate(output.raw, size) { throw writeFailed(e) }
        }
        fchmod(output.raw, mode)  // the umask must not change what was asked for
    }

    /// The directory part of a relative path, split on the byte '/' (never on Characters: a
    /// combining mark after a '/' would hide it from NSString's path functions).
    static func parentOf(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(path.utf8[..<slash])!
    }

    private static func makeDirectory(_ path: String) throws(ReproError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw .configuration("cannot create \(path): \(error.localizedDescription). Check that the directory is writable.")
        }
    }
}
