import FoundationEssentials
import Glibc
/// The exit statuses of `repro`, one meaning each, stable across releases.
///
/// `repro check` uses all of them; the other commands use the subset that applies
/// (`repro run` passes the command's own status through instead of ``success``/``differ``).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The check certified the build as reproducible (or the command succeeded).
    case success = 0
    /// The runs' outputs differ.
    case outputsDiffer = 1
    /// A configuration or input error: a bad `repro.toml`, spec, profile, path or argument value.
    case configuration = 2
    /// The build command itself failed.
    case buildFailed = 3
    /// The kernel or the environment refused the isolation the profile asks for.
    case sandboxUnavailable = 4
    /// A signature, pin or digest did not verify.
    case verificationFailed = 5
    /// Command-line usage error (swift-argument-parser's own code).
    case usage = 64

    /// A one-line description for `--help` and the README.
    public var summary: String {
        switch self {
        case .success: return "reproducible / success"
        case .outputsDiffer: return "outputs differ between runs"
        case .configuration: return "configuration or input error"
        case .buildFailed: return "the build itself failed"
        case .sandboxUnavailable: return "sandbox or isolation unavailable"
        case .verificationFailed: return "verification failed (signatures, pins, digests)"
        case .usage: return "command-line usage error"
        }
    }
}

/// An error that ends a `repro` command: an exit status, a message that says what to do next,
/// and the underlying `errno` when a system call failed.
public struct ReproError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The exit status the command ends with.
    public var status: ExitStatus
    /// What went wrong and what to do about it, as one paragraph.
    public var message: String
    /// The `errno` of the failed system call, if one caused this.
    public var errno: Int32?

    /// Creates an error with the given status, message and optional errno.
    public init(_ status: ExitStatus, _ message: String, errno: Int32? = nil) {
        self.status = status
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    /// Why a Foundation file operation failed, in the system's words ("No such file or
    /// directory", "Permission denied") rather than Foundation's sentence about an operation
    /// that "could not be completed", so that the message around it can say what to do.
    public static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let cocoa = error as? CocoaError {
            if let underlying = cocoa.underlying as? POSIXError { return String(cString: strerror(underlying.code.rawValue)) }
            switch cocoa.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
            case .fileReadNoPermission, .fileWriteNoPermission: return String(cString: strerror(EACCES))
            case .fileWriteFileExists: return String(cString: strerror(EEXIST))
            case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
            case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
            case .fileReadInapplicableStringEncoding, .fileReadCorruptFile: return "the file is not valid UTF-8 text"
            case .fileReadTooLarge: return "the file is too large"
            default: break
            }
            // Foundation reads a directory as an unknown read error: say what it is.
            if let path = cocoa.filePath {
                var isDirectory = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory {
                    return String(cString: strerror(EISDIR))
                }
            }
        }
        // Never Foundation's "The operation could not be completed" sentence, which says nothing.
        return "\(error._domain) error \(error._code)"
    }

    /// A configuration or input error (exit 2).
    public static func configuration(_ message: String, errno: Int32? = nil) -> ReproError {
        ReproError(.configuration, message, errno: errno)
    }

    /// A verification failure: a pin, digest or signature that does not match (exit 5).
    public static func verification(_ message: String) -> ReproError {
        ReproError(.verificationFailed, message)
    }

    /// Isolation the kernel refused (exit 4).
    public static func sandbox(_ message: String, errno: Int32? = nil) -> ReproError {
        ReproError(.sandboxUnavailable, message, errno: errno)
    }

    /// The build command failed (exit 3).
    public static func buildFailed(_ message: String) -> ReproError {
        ReproError(.buildFailed, message)
    }
}
