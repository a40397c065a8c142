import FoundationEssentials
import Glibc
import ReproCore

/// Standard output and standard error, written with write(2) (FoundationEssentials has no
/// FileHandle).
enum StandardStream {
    case output, error

    /// Writes all of `data` (write(2), waiting in poll(2) while a non-blocking descriptor is
    /// full). Standard output that cannot be written (a full disk, an I/O error, a pipe closed
    /// while SIGPIPE is ignored) ends repro with exit 2 and says so on standard error, so that a
    /// cut-off report never comes with the status of a whole one; standard error that cannot be
    /// written drops the rest.
    func write(_ data: Data) {
        let fd: Int32 = self == .output ? 1 : 2
        let failure: Int32? = data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                    continue
                }
                let code = n < 0 ? errno : EIO
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK {
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                    continue
                }
                return code
            }
            return nil
        }
        guard let failure, self == .output else { return }
        StandardStream.error.write(
            Data("repro: error: cannot write to standard output: \(String(cString: strerror(failure))).\n".utf8))
        Glibc.exit(ExitStatus.configuration.rawValue)
    }
}

/// `--json` output of the toolchain commands: an array of objects of strings, integers, booleans,
/// nested arrays and objects, and nil as null, written as JSONSerialization did with
/// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` for the lower-case keys they use.
enum PrettyJSON {
    private indirect enum Value: Encodable {
        case string(String), integer(Int), bool(Bool), null, array([Value]), object([String: Value])

        init(_ any: Any) {
            switch any {
            case let value as String: self = .string(value)
            case let value as Bool: self = .bool(value)
            case let value as Int: self = .integer(value)
            case let value as [Any]: self = .array(value.map(Value.init))
            case let value as [String: Any]: self = .object(value.mapValues(Value.init))
            default: self = .null
            }
        }

        func encode(to encoder: any Encoder) throws {
            var single = encoder.singleValueContainer()
            switch self {
            case .string(let value): try single.encode(value)
            case .integer(let value): try single.encode(value)
            case .bool(let value): try single.encode(value)
            case .null: try single.encodeNil()
            case .array(let value): try single.encode(value)
            case .object(let value): try single.encode(value)
            }
        }
    }

    /// The objects as indented JSON with sorted keys.
    static func data(_ objects: [[String: Any]]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Value(objects))
    }
}
