import ArgumentParser
import Dispatch
import FoundationEssentials
import Glibc
import ReproCore
import ReproSystem

/// How much `check` and `rebuild` print on stderr while they work.
struct OutputLevelOptions: ParsableArguments {
    @Flag(
        name: .shortAndLong,
        help:
            "Stream the build's own output to stderr as it is written (each line prefixed with its run under --parallel)."
    )
    var verbose = false

    @Flag(name: .shortAndLong, help: "Print only the result and errors: no progress on stderr.")
    var quiet = false

    func validate() throws {
        if verbose, quiet { throw ValidationError("--verbose and --quiet contradict each other; pass one of them.") }
    }
}

/// Shows a check's or a rebuild's progress on stderr, from the library's ``ProgressEvent``s.
///
/// On a terminal: one status line per running scope (the whole check, each run) with its phase,
/// elapsed time and the last line of the build's output, redrawn in place four times a second
/// (carriage return and erase line) and cleared at the end; other lines are printed above them.
/// Elsewhere (a pipe, a CI log): a plain line when a phase starts and ends, and a heartbeat line
/// every 30 s (`REPRO_PROGRESS_HEARTBEAT` seconds) while one lasts, never a carriage return.
/// Quiet: nothing but errors. Verbose: the builds' output too, read from their log files as they
/// grow (the build writes straight to its log; nothing is added to its path).
/// Everything that comes from the build or the project is escaped (``TerminalText``).
final class ProgressDisplay: @unchecked Sendable {
    /// How the display writes.
    enum Mode: Equatable {
        /// Status lines redrawn in place (stderr is a terminal).
        case live
        /// Plain lines (stderr is a file or a pipe).
        case plain
        /// Nothing but errors.
        case quiet
    }

    /// The variable that sets the heartbeat interval in seconds (for tests; default 30).
    static let heartbeatVariable = "REPRO_PROGRESS_HEARTBEAT"

    /// The display of the running command, which ``Console/progress(_:)`` writes through.
    nonisolated(unsafe) static var current: ProgressDisplay?

    /// What one scope (the check as a whole, or a run) is doing.
    private struct Scope {
        var phase: WorkPhase
        var started: ContinuousClock.Instant
        var beats = 0
        var entries = 0
        var bytes: UInt64 = 0
    }

    /// A build's log file, read as it grows.
    private final class Followed {
        let fd: Int32
        var offset: Int64 = 0
        var partial: [UInt8] = []
        /// Whether the rest of the current line is dropped (its first part was shown, cut).
        var skipping = false
        init(fd: Int32) { self.fd = fd }
        deinit { close(fd) }
    }

    private let lock = Lock()
    private let mode: Mode
    private let verbose: Bool
    private let prefixOutput: Bool
    private let label: @Sendable (Int) -> String
    private let heartbeat: Double
    private var scopes: [Int: Scope] = [:]
    private var logs: [Int: Followed] = [:]
    private var drawn = 0
    private var finished = false
    private var timer: DispatchSourceTimer?

    /// A display for stderr. `label` names run N ("run 1/2", "rebuild"); with `parallel`, the
    /// verbose output's lines are prefixed with it.
    init(
        level: OutputLevelOptions, parallel: Bool, environment: [String: String],
        label: @escaping @Sendable (Int) -> String
    ) {
        if level.quiet {
            mode = .quiet
        } else if isatty(STDERR_FILENO) == 1, environment["TERM"] != "dumb" {
            mode = .live
        } else {
            mode = .plain
        }
        verbose = level.verbose
        prefixOutput = parallel
        self.label = label
        heartbeat = environment[Self.heartbeatVariable].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 30
        Self.current = self
        guard mode != .quiet else { return }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "repro.progress"))
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        self.timer = timer
    }

    /// Prints a line of information (a note, a warning, a run's result).
    func note(_ line: String) {
        guard mode != .quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return write("repro: " + TerminalText.escape(line) + "\n") }
        write(clearLocked() + "repro: " + TerminalText.escape(line) + "\n" + drawLocked())
    }

    /// Takes one event from the library.
    func event(_ event: ProgressEvent) {
        guard mode != .quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        var text = ""
        switch event {
        case .log(let run, let path, let kept):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { logs[run] = Followed(fd: fd) }
            if kept { text += "repro: " + TerminalText.escape("\(label(run)): log: \(path)") + "\n" }
        case .began(let phase, let run):
            scopes[run ?? 0] = Scope(phase: phase, started: .now)
            if mode == .plain {
                text += "repro: " + TerminalText.escape(scopeName(run) + Self.describe(phase) + "...") + "\n"
            }
        case .unpacked(let entries, let bytes):
            scopes[0]?.entries = entries
            scopes[0]?.bytes = bytes
            return  // shown at the next redraw
        case .ended(let phase, let run, let seconds, let failed):
            if phase == .building, let run { text += pumpLocked(run: run, final: true) }
            let scope = scopes[run ?? 0]
            if scope?.phase == phase { scopes[run ?? 0] = nil }
            if mode == .plain {
                var line = scopeName(run) + Self.describe(phase) + ": "
                line += failed ? "failed after " : "done in "
                line += String(printf: "%.1f s", seconds)
                if phase == .unpacking, let scope, !failed { line += " (\(Self.counts(scope)))" }
                text += "repro: " + TerminalText.escape(line) + "\n"
            }
        }
        guard !text.isEmpty || mode == .live else { return }
        write(clearLocked() + text + drawLocked())
    }

    /// Clears the status lines before something else is printed on the terminal (they come back
    /// at the next redraw).
    func clear() {
        lock.lock()
        defer { lock.unlock() }
        write(clearLocked())
    }

    /// Stops redrawing, prints what is left of the verbose output and clears the status lines.
    func finish() {
        timer?.cancel()
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        var text = clearLocked()
        for run in logs.keys.sorted() { text += pumpLocked(run: run, final: true) }
        write(text)
        logs = [:]
        scopes = [:]
        finished = true
        if Self.current === self { Self.current = nil }
    }

    /// A redraw (live), the verbose output that arrived and the heartbeats that are due (plain).
    private func tick() {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        var text = ""
        for run in logs.keys.sorted() { text += pumpLocked(run: run, final: false) }
        if mode == .plain {
            let now = ContinuousClock.now
            for key in scopes.keys.sorted() {
                guard var scope = scopes[key] else { continue }
                let elapsed = Self.seconds(now - scope.started)
                guard elapsed >= heartbeat * Double(scope.beats + 1) else { continue }
                scope.beats = Int(elapsed / heartbeat)
                scopes[key] = scope
                var line =
                    scopeName(key == 0 ? nil : key) + "still " + Self.describe(scope.phase) + " after "
                    + Self.elapsed(elapsed)
                if scope.phase == .unpacking { line += " (\(Self.counts(scope)))" }
                text += "repro: " + TerminalText.escape(line)
                if scope.phase == .building, let last = lastLine(run: key) { text += "; last output: " + last }
                text += "\n"
            }
            if !text.isEmpty { write(text) }
        } else {
            write(clearLocked() + text + drawLocked())
        }
    }

    /// The status lines, one per scope, each cut to the terminal's width.
    private func drawLocked() -> String {
        guard mode == .live, !finished, !scopes.isEmpty else { return "" }
        let width = max(20, Self.terminalColumns() - 1)
        let now = ContinuousClock.now
        var lines: [String] = []
        for key in scopes.keys.sorted() {
            let scope = scopes[key]!
            var line =
                "repro: " + TerminalText.escape(scopeName(key == 0 ? nil : key) + Self.describe(scope.phase))
                + " (" + Self.elapsed(Self.seconds(now - scope.started)) + ")"
            if scope.phase == .unpacking { line += ": " + Self.counts(scope) }
            if scope.phase == .building, let last = lastLine(run: key) { line += ": " + last }
            if line.count > width { line = String(line.prefix(width - 1)) + "…" }
            lines.append(line)
        }
        drawn = lines.count
        return lines.joined(separator: "\n")
    }

    /// Moves to the first status line and erases them all.
    private func clearLocked() -> String {
        guard drawn > 0 else { return "" }
        var text = "\r\u{1B}[K"
        for _ in 1..<drawn { text += "\u{1B}[A\r\u{1B}[K" }
        drawn = 0
        return text
    }

    /// The complete lines a run's log gained since the last read (all of it when `final`),
    /// escaped, when verbose.
    /// The longest line `-v` shows; the rest of a longer one is dropped and the cut said.
    static let maxLineBytes = 16 * 1024

    private func pumpLocked(run: Int, final: Bool) -> String {
        guard verbose, let log = logs[run] else { return "" }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var text = ""
        let prefix = prefixOutput ? "[" + label(run) + "] " : ""
        // Up to 1 MiB a tick keeps the redraws going under a flood; the end reads the rest.
        var budget = final ? Int.max : 1 << 20
        while budget > 0 {
            let count = buffer.withUnsafeMutableBytes { pread(log.fd, $0.baseAddress, $0.count, off_t(log.offset)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            log.offset += Int64(count)
            budget -= count
            // Each byte is looked at once, and a line is held up to maxLineBytes: a build that
            // writes one endless line costs what it costs without -v.
            let chunk = buffer[0..<count]
            var start = chunk.startIndex
            while let newline = chunk[start...].firstIndex(of: 0x0A) {
                if log.skipping {
                    log.skipping = false
                } else {
                    log.partial += chunk[start..<newline]
                    text += prefix + TerminalText.escape(String(decoding: log.partial, as: UTF8.self)) + "\n"
                }
                log.partial = []
                start = newline + 1
            }
            if !log.skipping {
                log.partial += chunk[start...]
                if log.partial.count > Self.maxLineBytes {
                    text +=
                        prefix
                        + TerminalText.escape(String(decoding: log.partial.prefix(Self.maxLineBytes), as: UTF8.self))
                        + " [line cut]\n"
                    log.partial = []
                    log.skipping = true
                }
            }
        }
        if final, !log.partial.isEmpty {
            text += prefix + TerminalText.escape(String(decoding: log.partial, as: UTF8.self)) + "\n"
            log.partial = []
        }
        return text
    }

    /// The last non-empty line of a run's log (after its last carriage return, as a terminal
    /// would show it), escaped; read from the file's last 4 KiB.
    private func lastLine(run: Int) -> String? {
        guard let log = logs[run] else { return nil }
        var info = stat()
        guard fstat(log.fd, &info) == 0, info.st_size > 0 else { return nil }
        let length = Int(min(info.st_size, 4096))
        var buffer = [UInt8](repeating: 0, count: length)
        let count = buffer.withUnsafeMutableBytes {
            pread(log.fd, $0.baseAddress, length, info.st_size - off_t(length))
        }
        guard count > 0 else { return nil }
        return Self.lastLine(of: buffer[0..<count])
    }

    /// The last non-empty line of `bytes`, as a status line shows it.
    static func lastLine(of bytes: ArraySlice<UInt8>) -> String? {
        var tail = bytes
        while let last = tail.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { tail.removeLast() }
        if let newline = tail.lastIndex(of: 0x0A) { tail = tail[(newline + 1)...] }
        if let carriage = tail.lastIndex(of: 0x0D) { tail = tail[(carriage + 1)...] }
        let text = String(decoding: tail, as: UTF8.self).replacingEvery("\t", with: " ")
            .trimmingSpaces()
        return text.isEmpty ? nil : TerminalText.escape(text)
    }

    private func scopeName(_ run: Int?) -> String { run.map { label($0) + ": " } ?? "" }

    private func write(_ text: String) {
        guard !text.isEmpty else { return }
        StandardStream.error.write(Data(text.utf8))
    }

    /// What a phase is called in progress lines.
    static func describe(_ phase: WorkPhase) -> String {
        switch phase {
        case .snapshot: return "snapshotting the source"
        case .fetching: return "fetching toolchains"
        case .unpacking: return "unpacking a toolchain"
        case .building: return "building"
        case .collecting: return "collecting outputs"
        case .comparing: return "comparing outputs"
        }
    }

    private static func counts(_ scope: Scope) -> String {
        let mb = Double(scope.bytes) / 1_000_000
        return "\(scope.entries) entries, " + String(printf: "%.1f MB", mb)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `7 s`, `2 min 05 s`, `1 h 02 min`.
    static func elapsed(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min " + String(printf: "%02d s", whole % 60) }
        return "\(whole / 3600) h " + String(printf: "%02d min", whole / 60 % 60)
    }

    /// The terminal's width in columns (ioctl(2) `TIOCGWINSZ` on stderr), else 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
