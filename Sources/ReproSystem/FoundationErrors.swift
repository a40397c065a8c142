import FoundationEssentials
import Glibc
import ReproCore

extension ReproError {
    /// Why a Foundation file operation failed, in the system's words ("No such file or
    /// directory", "Permission denied") rather than Foundation's sentence about an operation
    /// that "could not be completed", so that the message around it can say what to do.
    public static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let cocoa = error as? CocoaError {
            if let underlying = cocoa.underlying as? POSIXError {
                return String(cString: strerror(underlying.code.rawValue))
            }
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
            if let path = cocoa.filePath, let info = Syscalls.statFollowingLinks(path) {
                if info.st_mode & S_IFMT == S_IFDIR { return String(cString: strerror(EISDIR)) }
            }
        }
        // Never Foundation's "The operation could not be completed" sentence, which says nothing.
        return "\(error._domain) error \(error._code)"
    }
}
