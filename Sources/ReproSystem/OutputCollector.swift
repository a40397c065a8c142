import Crypto
import FoundationEssentials
import Glibc
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
    public static func collect(
        from buildRoot: String, selection: Selection, into destination: String,
        limit: Int = .max
    ) throws(ReproError) -> [String] {
        try collectHashing(from: buildRoot, selection: selection, into: destination, limit: limit).copied
    }

    /// What a collection found: the selected tree's entries and digest, and what it copied.
    struct Collected {
        /// The selected tree as copied (or, hashed in place, as a copy would be): its entries
        /// sorted by path, with every file's SHA-256, and its `t1:` digest, computed while reading.
        var listing: TreeListing
        /// The relative paths of the files and symlinks copied, sorted.
        var copied: [String]
    }

    /// What a collection copies.
    enum Mode {
        /// Every selected entry.
        case copyAll
        /// Only the files and symlinks whose path, contents or mode differ from these entries (an
        /// earlier run's); the others are hashed in place and not copied.
        case copyDiffering([PathKey: TreeEntry])
        /// Nothing: every file is hashed in place.
        case hashOnly
    }

    /// Collects the selected entries of `buildRoot` into `destination` (created), reading each file
    /// once and hashing it on the way. With ``Mode/copyAll`` the listing is what
    /// ``TreeWalker/walk(_:)`` of the copy gives. Otherwise the files are hashed in place and only
    /// those the mode asks for are copied (read a second time): `destination` then holds just
    /// them, and the listing still describes the whole selected tree, as a full copy would.
    static func collectHashing(
        from buildRoot: String, selection: Selection, into destination: String,
        mode: Mode = .copyAll, limit: Int = .max
    ) throws(ReproError) -> Collected {
        let root = try FileDescriptor(opening: buildRoot, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW) { e in
            .buildFailed("cannot open the build directory \(buildRoot) to collect outputs: \(e.text).")
        }
        var state = Walk(destination: destination, mode: mode, budget: Budget(limit: limit))
        try collect(fromDirectory: root.raw, selection: selection, state: &state)
        var entries = state.entries
        entries += state.directories.map { TreeEntry.directory($0) }
        return Collected(
            listing: try TreeWalker.listing(of: entries),
            copied: state.copied.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// The state of one collection's walk.
    struct Walk {
        /// Where copies go.
        let destination: String
        /// What is copied.
        let mode: Mode
        /// The bytes the collection may read.
        var budget: Budget
        /// The files and symlinks selected.
        var entries: [TreeEntry] = []
        /// The directories of the selected tree (relative).
        var directories = Set<String>()
        /// The paths copied.
        var copied: [String] = []
        /// The patterns that matched something.
        var matched = Set<String>()

        init(destination: String, mode: Mode, budget: Budget) {
            self.destination = destination
            self.mode = mode
            self.budget = budget
        }

        /// Whether `entry`, hashed in place, is copied.
        func copies(_ entry: TreeEntry) -> Bool {
            switch mode {
            case .copyAll: return true
            case .copyDiffering(let reference): return reference[PathKey(entry.path)] != entry
            case .hashOnly: return false
            }
        }

        /// Whether everything is copied as it is read.
        var copiesAll: Bool {
            if case .copyAll = mode { return true }
            return false
        }

        /// Notes the relative directory `path` and its parents as part of the selected tree.
        mutating func noteDirectory(_ path: String) {
            var path = path
            while !path.isEmpty, directories.insert(path).inserted {
                path = parentOf(path)
            }
        }
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
                throw .buildFailed(
                    "the outputs add up to more than \(limit) bytes, the work directory's tmpfs limit, at '\(path)' (\(size) bytes; sparse files count at their full length). Declare fewer outputs in build.outputs, or raise limits.tmpfs_bytes in the profile."
                )
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
        var directory = try FileDescriptor(opening: root, flags: O_RDONLY | O_DIRECTORY) { e in
            .configuration("--copy-out: cannot open the sandbox's root: \(e.text).")
        }
        var walked = ""
        for part in parts {
            walked += "/" + part
            directory = try FileDescriptor(openingAt: directory.raw, part, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
                e in
                .configuration(
                    "--copy-out: \(walked) is not a directory inside the sandbox (\(e.text)); symlinks on the way are not followed."
                )
            }
        }
        guard case .success = Syscalls.fstatat(directory.raw, name) else {
            throw .configuration("--copy-out: \(inside) does not exist in the sandbox.")
        }
        let staging = host + ".partial-" + UUID().uuidString
        defer { Syscalls.removeTree(staging) }
        do throws(ReproError) {
            var state = Walk(destination: staging, mode: .copyAll, budget: Budget(limit: limit))
            try collect(fromDirectory: directory.raw, selection: .patterns([name]), state: &state)
        } catch {
            // What a check's collection calls a failed build is, for `repro run --copy-out`, a
            // path the user asked for that cannot be copied: an input error.
            throw .wrapping(error, as: .configuration, message: "--copy-out: \(inside): \(error.message)")
        }
        if case .failure(let e) = Syscalls.rename(staging + "/" + name, host) {
            throw .configuration("--copy-out: cannot move the copy to \(host): \(e.text).")
        }
    }

    /// Copies a whole collected tree (a run's outputs) to `destination` (created): directories,
    /// empty ones too, files with their holes and modes as collected, symlinks as symlinks.
    static func copyTree(from source: String, to destination: String) throws(ReproError) {
        let root = try FileDescriptor(opening: source, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW) { e in
            .configuration("cannot read \(source): \(e.text).", errno: e.code)
        }
        try makeDirectory(destination)
        var state = Walk(destination: destination, mode: .copyAll, budget: Budget(limit: .max))
        try walk(dirFD: root.raw, relative: "", inherited: true, selection: .patterns([]), state: &state)
    }

    /// Collects the selected entries below the open directory `rootFD` into `state`'s destination.
    static func collect(fromDirectory rootFD: Int32, selection: Selection, state: inout Walk) throws(ReproError) {
        try makeDirectory(state.destination)
        try walk(dirFD: rootFD, relative: "", inherited: false, selection: selection, state: &state)
        if case .patterns(let patterns) = selection {
            let unmatched = patterns.filter { !state.matched.contains($0) }
            if !unmatched.isEmpty {
                throw .buildFailed(
                    "the build did not produce the declared output\(unmatched.count == 1 ? "" : "s") \(unmatched.map { "'\($0)'" }.joined(separator: ", ")). Check build.outputs in repro.toml against what the build writes below /build/src."
                )
            }
        }
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
        let listed: [[UInt8]]
        switch Syscalls.directoryEntries(dirFD) {
        case .success(let names): listed = names
        case .failure(let e): throw .buildFailed("cannot list the output directory '\(relative)': \(e.text).")
        }
        var result: [String] = []
        for bytes in listed {
            guard let name = ExactUTF8.decode(bytes) else {
                throw .buildFailed(
                    "the build wrote a file name that is not valid UTF-8 in '\(relative.isEmpty ? "." : relative)'; repro's digests name files in UTF-8, so rename it in the build."
                )
            }
            result.append(name)
        }
        // Each name once: a name listed twice (a directory renamed while it is read), or two
        // names Swift holds equal (one name in two Unicode normalizations), would make the
        // collector visit one path twice, and the build could swap what is there between visits.
        var seen = Set<String>()
        for name in result where !seen.insert(name).inserted {
            throw .buildFailed(
                "the build left two entries named \(name.debugDescription) in '\(relative.isEmpty ? "." : relative)' (listed twice while it changed, or one name in two Unicode normalizations); outputs must be stable and named once when the build ends."
            )
        }
        return result.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func walk(
        dirFD: Int32, relative: String, inherited: Bool, selection: Selection,
        state: inout Walk
    ) throws(ReproError) {
        for name in try names(in: dirFD, relative: relative) {
            let path = relative.isEmpty ? name : relative + "/" + name
            let info: stat
            switch Syscalls.fstatat(dirFD, name) {
            case .success(let value): info = value
            case .failure(let e): throw .buildFailed("cannot read the output '\(path)': \(e.text).")
            }
            let type = info.st_mode & S_IFMT
            let (selected, descend) = try choose(
                dirFD: dirFD, name: name, path: path, type: type, inherited: inherited, selection: selection,
                state: &state)
            let entry = Entry(dirFD: dirFD, name: name, relative: relative, path: path)
            switch type {
            case S_IFDIR:
                guard descend else { continue }
                try collectDirectory(entry, selected: selected, selection: selection, state: &state)
            case S_IFREG where selected:
                try collectFile(entry, executable: (info.st_mode & S_IXUSR) != 0, state: &state)
            case S_IFLNK where selected:
                try collectSymlink(entry, state: &state)
            case S_IFREG, S_IFLNK:
                continue
            default:
                if selected {
                    throw .buildFailed(
                        "the output '\(path)' is a device, fifo or socket; outputs must be regular files, directories or symlinks."
                    )
                }
            }
        }
    }

    /// One entry of a directory being walked: the directory's descriptor, the entry's name in it,
    /// the directory's relative path and the entry's.
    private struct Entry {
        let dirFD: Int32
        let name: String
        let relative: String
        let path: String
    }

    /// Whether the entry at `path`, of file type `type`, is selected, and whether the walk goes
    /// below it (a directory); notes the patterns it matches in `state`.
    private static func choose(
        dirFD: Int32, name: String, path: String, type: mode_t, inherited: Bool, selection: Selection,
        state: inout Walk
    ) throws(ReproError) -> (selected: Bool, descend: Bool) {
        var selected = inherited
        var descend = inherited
        switch selection {
        case .patterns(let patterns):
            if !selected {
                for pattern in patterns where matches(pattern, path) {
                    selected = true
                    state.matched.insert(pattern)
                }
            }
            descend = selected || couldMatchBelow(patterns, path)
        case .changedFrom(let source):
            descend = true
            if type == S_IFREG || type == S_IFLNK {
                if let known = source[PathKey(path)] {
                    selected =
                        try contentKey(dirFD: dirFD, name: name, type: type, path: path, budget: state.budget)
                        != known
                } else {
                    selected = true
                }
            }
        }
        return (selected, descend)
    }

    /// Opens the directory `entry` and walks it; a selected one is part of the tree (and copied,
    /// empty or not, when everything is).
    private static func collectDirectory(
        _ entry: Entry, selected: Bool, selection: Selection, state: inout Walk
    ) throws(ReproError) {
        let path = entry.path
        let child = try FileDescriptor(openingAt: entry.dirFD, entry.name, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
            e in
            .buildFailed("cannot open the output directory '\(path)': \(e.text).")
        }
        if selected {
            state.noteDirectory(path)
            if state.copiesAll { try makeDirectory(state.destination + "/" + path) }
        }
        try walk(
            dirFD: child.raw, relative: path, inherited: selected && inheritsDown(selection),
            selection: selection,
            state: &state)
    }

    /// Hashes the selected regular file `entry`, copying it as the mode says.
    private static func collectFile(_ entry: Entry, executable: Bool, state: inout Walk) throws(ReproError) {
        let (dirFD, name, path) = (entry.dirFD, entry.name, entry.path)
        let destination = state.destination
        var tree: TreeEntry
        if !state.copiesAll {
            tree = try copyFile(
                dirFD: dirFD, name: name, path: path, executable: executable, to: nil, budget: &state.budget)
            if state.copies(tree) {
                // Differs from the earlier run: kept for the explanation (this file alone
                // is read again, within its size as first charged).
                var again = Budget(limit: Int(tree.size))
                tree = try copyFile(
                    dirFD: dirFD, name: name, path: path, executable: executable, to: destination,
                    budget: &again)
                state.copied.append(path)
            }
        } else {
            tree = try copyFile(
                dirFD: dirFD, name: name, path: path, executable: executable, to: destination,
                budget: &state.budget)
            state.copied.append(path)
        }
        state.noteDirectory(entry.relative)
        state.entries.append(tree)
    }

    /// Hashes the selected symlink `entry` (its target), copying it as the mode says.
    private static func collectSymlink(_ entry: Entry, state: inout Walk) throws(ReproError) {
        let path = entry.path
        let destination = state.destination
        let target = try readLink(dirFD: entry.dirFD, name: entry.name, path: path)
        let tree = TreeEntry(
            path: path, kind: .symlink, sha256: TreeDigest.hex(SHA256.hash(data: Array(target.utf8))),
            target: target)
        if state.copies(tree) {
            try makeDirectory(destination + "/" + entry.relative)
            if case .failure(let e) = Syscalls.symlink(target, destination + "/" + path) {
                throw .buildFailed("cannot copy the output symlink '\(path)': \(e.text).")
            }
            state.copied.append(path)
        }
        state.noteDirectory(entry.relative)
        state.entries.append(tree)
    }

    private static func inheritsDown(_ selection: Selection) -> Bool {
        if case .patterns = selection { return true }
        return false
    }

    /// The snapshot key of an entry: its SHA-256 hex, or `"->" + target` for a symlink. A file
    /// is hashed up to the size it has when opened, and one larger than the whole budget (which no
    /// source file can be: the sources fit the same tmpfs) is not read at all: it has changed.
    private static func contentKey(dirFD: Int32, name: String, type: mode_t, path: String, budget: Budget)
        throws(ReproError) -> String
    {
        if type == S_IFLNK { return "->" + (try readLink(dirFD: dirFD, name: name, path: path)) }
        var info = stat()
        let input = try openEntry(dirFD: dirFD, name: name, path: path, info: &info)
        guard Int(info.st_size) <= budget.limit else { return "size \(info.st_size)" }
        return try Hashing.sha256(fd: input.raw, path: path, limit: UInt64(info.st_size)).hex
    }

    /// Opens a regular file of a directory for reading (openat(2)): never following a symlink,
    /// never waiting on a fifo swapped in after the entry was looked at (`O_NONBLOCK`), and
    /// refusing whatever the descriptor turns out not to be a regular file. Its status goes to `info`.
    private static func openEntry(dirFD: Int32, name: String, path: String, info: inout stat) throws(ReproError)
        -> FileDescriptor
    {
        let file = try FileDescriptor(openingAt: dirFD, name, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK) { e in
            .buildFailed("cannot read the output '\(path)': \(e.text).")
        }
        switch Syscalls.fstat(file.raw) {
        case .success(let value): info = value
        case .failure(let e): throw .buildFailed("cannot read the output '\(path)': \(e.text).")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .buildFailed(
                "the output '\(path)' stopped being a regular file while it was collected; outputs must be regular files, directories or symlinks, and the build must have finished writing them."
            )
        }
        return file
    }

    private static func readLink(dirFD: Int32, name: String, path: String) throws(ReproError) -> String {
        switch Syscalls.readlinkat(dirFD, name) {
        case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .failure(let e): throw .buildFailed("cannot read the output symlink '\(path)': \(e.text).")
        }
    }

    /// Reads one regular file once, hashing it, and copies it to `destination` + its path unless
    /// `destination` is nil, charging `budget` with its size as the opened descriptor reports it
    /// (what is checked is what is read, even if the build swaps the file meanwhile). The hash is
    /// of the bytes the copy holds: the data read at its offsets, zeros for holes (which stay holes
    /// in the copy) and for a tail the file lost while it was read.
    private static func copyFile(
        dirFD: Int32, name: String, path: String, executable: Bool, to destination: String?,
        budget: inout Budget
    ) throws(ReproError) -> TreeEntry {
        var info = stat()
        let input = try openEntry(dirFD: dirFD, name: name, path: path, info: &info)
        let size = off_t(info.st_size)
        try budget.take(Int(size), for: path)
        let mode: mode_t = executable ? 0o755 : 0o644
        var out: Int32 = -1  // the copy, if any
        defer { if out >= 0 { Syscalls.close(out) } }
        var target = ""
        if let destination {
            target = destination + "/" + path
            try makeDirectory(destination + "/" + parentOf(path))
            switch Syscalls.open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode) {
            case .success(let fd): out = fd
            case .failure(let e):
                throw .configuration(
                    "cannot write \(target): \(e.text). Check that the directory is writable.", errno: e.code)
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Hashing.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var copy = FileCopy(input: input.raw, output: out, buffer: buffer, path: path, target: target)
        let length: off_t
        if size == 0 {
            length = try copy.copyToEnd(budget: &budget)
        } else {
            try copy.copyData(size: size)
            length = size
        }
        // The umask must not change what was asked for.
        if out >= 0, case .failure(let e) = Syscalls.fchmod(out, mode) { throw copy.writeFailed(e) }
        return TreeEntry(
            path: path, kind: .file, executable: executable, size: UInt64(length),
            sha256: TreeDigest.hex(copy.hasher.finalize()))
    }

    /// One file being read by ``copyFile(dirFD:name:path:executable:to:budget:)``: the input,
    /// the copy (-1 when the file is only hashed), the read buffer, and the hash of the bytes the
    /// copy holds so far (the first `hashed` of them).
    private struct FileCopy {
        let input: Int32
        let output: Int32
        let buffer: UnsafeMutableRawBufferPointer
        let path: String
        let target: String
        var hasher = SHA256()
        var hashed: off_t = 0

        init(input: Int32, output: Int32, buffer: UnsafeMutableRawBufferPointer, path: String, target: String) {
            self.input = input
            self.output = output
            self.buffer = buffer
            self.path = path
            self.target = target
        }

        func readFailed(_ e: Errno) -> ReproError { .buildFailed("cannot read the output '\(path)': \(e.text).") }

        func writeFailed(_ e: Errno) -> ReproError {
            .configuration("cannot write \(target): \(e.text).", errno: e.code)
        }

        /// Hashes zeros up to `end` (a hole, or a lost tail).
        mutating func zeros(to end: off_t) {
            while hashed < end {
                let n = Int(min(off_t(zeroBlock.count), end - hashed))
                zeroBlock.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                hashed += off_t(n)
            }
        }

        /// Reads `[from, to)` of the input, hashing it and writing it to the same offsets of the
        /// output; returns where it stopped (short of `to` if the file shrank meanwhile).
        mutating func copyRange(from: off_t, to: off_t) throws(ReproError) -> off_t {
            var position = from
            zeros(to: from)
            while position < to {
                let want = min(buffer.count, Int(to - position))
                let n: Int
                switch Syscalls.pread(input, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: position) {
                case .success(let got): n = got
                case .failure(let e): throw readFailed(e)
                }
                if n == 0 { break }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                hasher.update(bufferPointer: chunk)
                hashed += off_t(n)
                if output >= 0, case .failure(let e) = Syscalls.pwriteAll(output, chunk, at: position) {
                    throw writeFailed(e)
                }
                position += off_t(n)
            }
            return position
        }

        /// Copies a file whose size reads 0, which may hide content (files of /proc, for
        /// `repro run --copy-out`): reads to the end, charging `budget` as it comes; returns the
        /// length read.
        mutating func copyToEnd(budget: inout Budget) throws(ReproError) -> off_t {
            var position: off_t = 0
            while true {
                let (end, overflow) = position.addingReportingOverflow(off_t(budget.nextRead(buffer: buffer.count)))
                let next = try copyRange(from: position, to: overflow ? .max : end)
                if next == position { break }
                try budget.take(Int(next - position), for: path)
                position = next
            }
            return position
        }

        /// Copies the first `size` bytes (the size charged): only the data is read, and holes stay
        /// holes (SEEK_DATA and SEEK_HOLE, which tmpfs and the usual host file systems answer);
        /// what the file lost meanwhile reads as zeros.
        mutating func copyData(size: off_t) throws(ReproError) {
            var position: off_t = 0
            copying: while position < size {
                switch Syscalls.lseek(input, position, Syscalls.seekData) {
                case .success(let start): position = start
                case .failure(let e) where e.code == ENXIO: break copying  // only a hole remains
                case .failure(let e): throw readFailed(e)
                }
                guard position < size else { break }
                let end = min(size, (try? Syscalls.lseek(input, position, Syscalls.seekHole).get()) ?? size)
                let reached = try copyRange(from: position, to: end)
                if reached < end { break }  // shrank while being read: the length set below still holds
                position = end
            }
            zeros(to: size)
            if output >= 0, case .failure(let e) = Syscalls.ftruncate(output, size) { throw writeFailed(e) }
        }
    }

    /// Zeros, hashed for the holes of sparse files.
    private static let zeroBlock = [UInt8](repeating: 0, count: 1 << 16)

    /// The directory part of a relative path, split on the byte '/' (never on Characters: a
    /// combining mark after a '/' would hide it from NSString's path functions).
    static func parentOf(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(path.utf8[..<slash])!
    }

    private static func makeDirectory(_ path: String) throws(ReproError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw .configuration(
                "cannot create \(path): \(ReproError.reason(error)). Check that the directory is writable.")
        }
    }
}
