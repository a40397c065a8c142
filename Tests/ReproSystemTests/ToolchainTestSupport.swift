import CArchive
import Foundation
import ReproCore
@testable import ReproSystem
#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory under /tmp, removed by `remove()`.
struct Scratch {
    let path: String

    init() {
        var template = Array("/tmp/repro-test-XXXXXX".utf8CString)
        precondition(mkdtemp(&template) != nil, "mkdtemp failed")
        path = try! Syscalls.realpath(String(cString: template)).get()
    }

    func remove() { Syscalls.removeTree(path) }

    /// Writes a file (creating parents) with the given mode.
    @discardableResult
    func write(_ relative: String, _ text: String, mode: mode_t = 0o644) -> String {
        let full = path + "/" + relative
        _ = Syscalls.mkdirs((full as NSString).deletingLastPathComponent)
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
        chmod(full, mode)
        return full
    }

    /// Creates a symlink.
    func symlink(_ relative: String, to target: String) {
        let full = path + "/" + relative
        _ = Syscalls.mkdirs((full as NSString).deletingLastPathComponent)
        Glibc.symlink(target, full)
    }

    /// Creates a directory.
    func mkdir(_ relative: String) { _ = Syscalls.mkdirs(path + "/" + relative) }

    /// The entries directly inside `relative` (empty if missing).
    func list(_ relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + relative)) ?? []).sorted()
    }
}

/// Builds tar archives entry by entry with libarchive's writer, including hostile ones.
final class ArchiveBuilder {
    /// One entry to write.
    enum Item {
        case file(String, String, mode: mode_t = 0o644, uid: Int64 = 0)
        case directory(String, mode: mode_t = 0o755)
        case symlink(String, String)
        case hardlink(String, String, mode: mode_t = 0o644)
        case device(String, type: mode_t)
    }

    var items: [Item] = []

    init(_ items: [Item] = []) { self.items = items }

    /// Writes the archive to `path` (gzip-compressed if the name ends with .gz).
    func write(to path: String) {
        let a = archive_write_new()!
        defer { archive_write_free(a) }
        archive_write_set_format_pax_restricted(a)
        if path.hasSuffix(".gz") { archive_write_add_filter_gzip(a) }
        precondition(archive_write_open_filename(a, path) == ARCHIVE_OK)
        for item in items {
            let e = archive_entry_new()!
            defer { archive_entry_free(e) }
            archive_entry_set_mtime(e, 1_700_000_000, 0)
            var data = Data()
            switch item {
            case .file(let name, let text, let mode, let uid):
                data = Data(text.utf8)
                archive_entry_set_pathname(e, name)
                archive_entry_set_filetype(e, S_IFREG)
                archive_entry_set_perm(e, mode)
                archive_entry_set_size(e, la_int64_t(data.count))
                archive_entry_set_uid(e, uid)
                archive_entry_set_gid(e, uid)
            case .directory(let name, let mode):
                archive_entry_set_pathname(e, name)
                archive_entry_set_filetype(e, S_IFDIR)
                archive_entry_set_perm(e, mode)
            case .symlink(let name, let target):
                archive_entry_set_pathname(e, name)
                archive_entry_set_filetype(e, S_IFLNK)
                archive_entry_set_perm(e, 0o777)
                archive_entry_set_symlink(e, target)
            case .hardlink(let name, let target, let mode):
                archive_entry_set_pathname(e, name)
                archive_entry_set_filetype(e, S_IFREG)
                archive_entry_set_perm(e, mode)
                archive_entry_set_hardlink(e, target)
                archive_entry_set_size(e, 0)
            case .device(let name, let type):
                archive_entry_set_pathname(e, name)
                archive_entry_set_filetype(e, type)
                archive_entry_set_perm(e, 0o666)
                archive_entry_set_rdevmajor(e, 1)
                archive_entry_set_rdevminor(e, 3)
            }
            precondition(archive_write_header(a, e) >= ARCHIVE_WARN, String(cString: archive_error_string(a)))
            if !data.isEmpty {
                _ = data.withUnsafeBytes { archive_write_data(a, $0.baseAddress, $0.count) }
            }
        }
        precondition(archive_write_close(a) == ARCHIVE_OK)
    }
}

/// Reads every header of an archive: path, uid, gid, uname, mtime, mode.
func readHeaders(_ path: String) -> [(path: String, uid: Int64, gid: Int64, uname: String?, mtime: Int, mode: mode_t)] {
    let a = archive_read_new()!
    defer { archive_read_free(a) }
    archive_read_support_filter_all(a)
    archive_read_support_format_all(a)
    precondition(archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK)
    var result = [(path: String, uid: Int64, gid: Int64, uname: String?, mtime: Int, mode: mode_t)]()
    var entry: OpaquePointer? = nil
    while archive_read_next_header(a, &entry) == ARCHIVE_OK, let e = entry {
        result.append(
            (
                String(cString: archive_entry_pathname(e)), archive_entry_uid(e), archive_entry_gid(e),
                archive_entry_uname(e).map { String(cString: $0) }, archive_entry_mtime(e), archive_entry_mode(e)
            ))
        archive_read_data_skip(a)
    }
    return result
}

/// A loopback HTTP server (Python's http.server) serving one file at `/full`, half of it with the
/// full Content-Length at `/short`, and half then a stall at `/hang` (printing `half` when stalled).
/// `/endless` streams zeros without a Content-Length and `/huge` announces a 1 TiB body, both for
/// at most 256 MiB; each then prints `finished N` or, when the client went away, `stopped N`.
final class LoopbackServer {
    let process = Process()
    let stdout = Foundation.Pipe()
    let stdin = Foundation.Pipe()
    let port: Int

    static let script = """
        import http.server, sys
        path = sys.argv[1]
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass
            def do_GET(self):
                if self.path in ('/endless', '/huge'):
                    self.send_response(200)
                    if self.path == '/huge': self.send_header('Content-Length', str(1 << 40))
                    self.send_header('Connection', 'close')
                    self.end_headers()
                    chunk, sent = bytes(65536), 0
                    try:
                        while sent < (256 << 20):
                            self.wfile.write(chunk); sent += len(chunk)
                        self.wfile.flush()
                        print('finished', sent, flush=True)
                    except OSError:
                        print('stopped', sent, flush=True)
                    self.close_connection = True
                    return
                data = open(path, 'rb').read()
                if self.path not in ('/full', '/short', '/hang'):
                    self.send_response(404); self.send_header('Content-Length', '0'); self.end_headers(); return
                self.send_response(200)
                self.send_header('Content-Length', str(len(data)))
                self.send_header('Connection', 'close')
                self.end_headers()
                if self.path == '/full':
                    self.wfile.write(data)
                else:
                    self.wfile.write(data[:len(data) // 2]); self.wfile.flush()
                    if self.path == '/hang':
                        print('half', flush=True)
                        sys.stdin.read()
                self.close_connection = True
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
        server.daemon_threads = True
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    init(serving file: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, file]
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        let line = Self.readLine(stdout.fileHandleForReading)
        guard let port = Int(line) else {
            throw ReproError.configuration("the test HTTP server did not start: \(line)")
        }
        self.port = port
    }

    /// Reads one line from the server's stdout (blocking until it arrives).
    func readLine() -> String { Self.readLine(stdout.fileHandleForReading) }

    static func readLine(_ handle: FileHandle) -> String {
        var bytes = [UInt8]()
        while true {
            let data = handle.readData(ofLength: 1)
            if data.isEmpty || data[0] == 10 { break }
            bytes.append(data[0])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    func stop() {
        try? stdin.fileHandleForWriting.close()
        // The test runner's blocked signal mask is inherited, so SIGTERM would wait forever.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
