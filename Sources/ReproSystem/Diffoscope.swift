import FoundationEssentials
import ReproCore
#if canImport(Glibc)
    import Glibc
#endif

/// Debian's diffoscope, run on the host for the files whose format repro does not open
/// (`repro diff --diffoscope`, docs/diff.md).
public enum Diffoscope {
    /// The path of an executable `diffoscope` in one of `searchPath`'s directories, or nil.
    public static func locate(searchPath: String?) -> String? {
        for directory in (searchPath ?? "").split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = String(directory) + "/diffoscope"
            if let info = Syscalls.statFollowingLinks(candidate), info.st_mode & S_IFMT == S_IFREG,
                case .success = Syscalls.access(candidate, X_OK)
            {
                return candidate
            }
        }
        return nil
    }

    /// Whether `file` is a changed file that repro compared only as plain bytes: every finding
    /// is a `content` finding of the file itself (not of a container member, an ELF section, a
    /// header or text).
    public static func unopened(_ file: FileExplanation) -> Bool {
        file.kind == "changed" && !file.findings.isEmpty
            && file.findings.allSatisfy { $0.location.count == 1 && $0.aspect == "content" }
    }

    /// What one run printed, cut to `maxBytes`, and how it ended when that is worth saying.
    public struct Output: Sendable {
        /// diffoscope's text report (standard output), at most `maxBytes` bytes of it.
        public var text: String
        /// Why the text is short or missing (time limit, size limit, an error), or nil.
        public var note: String?
    }

    /// Runs `program --text - --max-report-size maxBytes a b`, killing it when it runs past
    /// `seconds` or writes more than `maxBytes` bytes.
    public static func run(_ program: String, _ a: String, _ b: String, maxBytes: Int, seconds: Double)
        throws(ReproError) -> Output
    {
        let limit = max(1024, maxBytes)
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, min(seconds, 86400)) * 1000))
        var collected = [UInt8]()
        var stopped: String?
        let stop = ReproError.configuration("diffoscope stopped")
        let ended: HostCommand.Ended
        do {
            ended = try HostCommand.stream(
                URL(fileURLWithPath: program),
                ["--text", "-", "--max-report-size", String(limit), "--no-progress", a, b],
                cannotStart: "cannot run \(program)", hint: "Check that diffoscope runs: diffoscope --version."
            ) { fd throws(ReproError) in
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let left = deadline - ContinuousClock.now
                    if left <= .zero {
                        stopped = "diffoscope was stopped after \(seconds) s (--max-seconds)"
                        throw stop
                    }
                    let (whole, fraction) = left.components
                    let wait = Int32(clamping: whole * 1000 + fraction / 1_000_000_000_000_000 + 1)
                    var poller = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
                    // Not ready yet, or interrupted (returned as 0): the deadline is looked at again.
                    guard case .success(let ready) = Syscalls.poll(&poller, timeoutMilliseconds: wait), ready > 0 else {
                        continue
                    }
                    let count: Int
                    switch buffer.withUnsafeMutableBytes({ Syscalls.read(fd, $0) }) {
                    case .success(let n) where n > 0: count = n
                    default: return  // the end, or a failed read: what came so far is the report
                    }
                    collected += buffer.prefix(count)
                    if collected.count > limit {
                        collected.removeLast(collected.count - limit)
                        stopped = "diffoscope's report was cut at \(limit) bytes"
                        throw stop
                    }
                }
            }
        } catch {
            guard let stopped else { throw error }
            return Output(text: String(decoding: collected, as: UTF8.self), note: stopped)
        }
        var note: String?
        if !ended.exited {
            note = "diffoscope ended by signal \(ended.status)"
        } else if ended.status > 1 {
            let reason = ended.stderr.split(separator: "\n").last.map(String.init) ?? ""
            note = "diffoscope exited \(ended.status)" + (reason.isEmpty ? "" : ": " + reason)
        }
        return Output(text: String(decoding: collected, as: UTF8.self), note: note)
    }
}
