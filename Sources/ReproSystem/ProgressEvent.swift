import FoundationEssentials
import Glibc

/// A step of a check or a rebuild, as progress shows it.
public enum WorkPhase: String, Sendable, CaseIterable {
    /// Reading the project's files into the source snapshot.
    case snapshot
    /// Resolving and fetching the toolchains (a cache hit included).
    case fetching
    /// Unpacking a toolchain archive into the cache.
    case unpacking
    /// The build command running in its sandbox.
    case building
    /// Hashing and copying a run's outputs.
    case collecting
    /// Comparing the runs' output trees.
    case comparing
}

/// What a check or a rebuild reports while it works. The library never prints: a display (the
/// command line's) turns these into status lines or plain lines. Events of concurrent runs
/// arrive from their own threads.
public enum ProgressEvent: Sendable, Equatable {
    /// `phase` began, for run `run` (nil: for the whole check).
    case began(WorkPhase, run: Int?)
    /// `phase` ended after `seconds`; `failed` when it did not succeed.
    case ended(WorkPhase, run: Int?, seconds: Double, failed: Bool)
    /// How far the unpack in progress has got: entries read and bytes of file contents written.
    case unpacked(entries: Int, bytes: UInt64)
    /// Run `run` writes its build's output (stdout and stderr) to the file `path`; sent before it
    /// builds. `kept` is false when the file is removed when the command ends.
    case log(run: Int, path: String, kept: Bool)
}

/// Where progress events go: a function safe to call from any thread.
public typealias ProgressSink = @Sendable (ProgressEvent) -> Void

/// Times a phase and reports its start and end to a sink.
struct PhaseTimer {
    let phase: WorkPhase
    let run: Int?
    let sink: ProgressSink
    let start = ContinuousClock.now

    /// Reports that `phase` began.
    init(_ phase: WorkPhase, run: Int? = nil, sink: @escaping ProgressSink) {
        self.phase = phase
        self.run = run
        self.sink = sink
        sink(.began(phase, run: run))
    }

    /// Reports that the phase ended.
    func end(failed: Bool = false) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        sink(.ended(phase, run: run, seconds: seconds, failed: failed))
    }
}
