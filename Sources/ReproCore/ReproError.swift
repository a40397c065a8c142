import FoundationEssentials

/// The exit statuses of `repro`, one meaning each, stable across releases.
///
/// `repro check` uses all of them; the other commands use the subset that applies
/// (`repro run` passes the command's own status through instead of ``success``/``differ``).
/// ``success`` and ``outputsDiffer`` are verdicts; every other status is an error's, chosen by its
/// kind in one place, ``ReproError/Kind/exitStatus``.
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

/// An error that ends a `repro` command: what kind of failure it is (which fixes the exit
/// status, see ``Kind/exitStatus``), a message that says what to do next, and what is known about
/// where it happened (``Context``: the path, line, URL, toolchain, sandbox step, `errno`).
///
/// Throw sites pick the kind through the factories (``configuration(_:errno:context:)``,
/// ``buildFailed(_:context:)``, ``sandbox(_:errno:context:)``, ``verification(_:context:)``,
/// ``usage(_:context:)``). A caller that adds what it knows keeps the kind
/// (``prefixed(_:context:)``); one that must change it says so with
/// ``wrapping(_:as:message:context:)`` and a comment giving the reason.
public struct ReproError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure ended the command. Each kind has one exit status; tests assert the
    /// kind rather than the wording of the message.
    public enum Kind: String, Sendable, CaseIterable {
        /// A configuration or input error: a bad `repro.toml`, spec, profile, key, path or
        /// argument value, an unreadable or unwritable file, a download that failed.
        case configuration
        /// The build itself failed (or did not produce its declared outputs).
        case build
        /// The kernel or the environment refused the isolation the profile asks for.
        case sandbox
        /// A signature, pin or digest did not verify.
        case verification
        /// The command line is malformed (the same status as swift-argument-parser's own errors).
        case usage

        /// The exit status of an error of this kind: the one place where kinds become statuses.
        public var exitStatus: ExitStatus {
            switch self {
            case .configuration: return .configuration
            case .build: return .buildFailed
            case .sandbox: return .sandboxUnavailable
            case .verification: return .verificationFailed
            case .usage: return .usage
            }
        }
    }

    /// What is known about where an error happened, as typed fields (all optional), for
    /// `--json` error output and for tests; the message says the same in words.
    public struct Context: Sendable, Equatable {
        /// The host file or directory the error is about.
        public var path: String?
        /// The line in `path` (or in a bundle's JSON Lines), counted from 1.
        public var line: Int?
        /// The column in `line`, counted from 1.
        public var column: Int?
        /// The URL of a download or a toolchain source.
        public var url: String?
        /// The toolchain, by its spec's name.
        public var toolchain: String?
        /// The sandbox set-up step that failed, as the message names it.
        public var step: String?

        /// A context with the given fields.
        public init(
            path: String? = nil, line: Int? = nil, column: Int? = nil, url: String? = nil,
            toolchain: String? = nil, step: String? = nil
        ) {
            self.path = path
            self.line = line
            self.column = column
            self.url = url
            self.toolchain = toolchain
            self.step = step
        }

        /// `path:line:column` (as much of it as is known), the way compilers name a position;
        /// nil without a path.
        public var location: String? {
            guard let path else { return nil }
            guard let line else { return path }
            return column.map { "\(path):\(line):\($0)" } ?? "\(path):\(line)"
        }

        /// This context with the fields it lacks taken from `outer`: the thrower, closest to
        /// the failure, knows best; a caller only fills gaps.
        public func filling(from outer: Context) -> Context {
            Context(
                path: path ?? outer.path, line: line ?? outer.line, column: column ?? outer.column,
                url: url ?? outer.url, toolchain: toolchain ?? outer.toolchain, step: step ?? outer.step)
        }
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// The exit status the command ends with, which the kind decides.
    public var status: ExitStatus { kind.exitStatus }
    /// What went wrong and what to do about it, as one paragraph.
    public var message: String
    /// The `errno` of the failed system call, if one caused this.
    public var errno: Int32?
    /// Where it happened, as far as the thrower and its callers know.
    public var context: Context
    /// The kind this error had when it was first thrown, when a caller re-classified it with
    /// ``wrapping(_:as:message:context:)``; nil otherwise.
    public var wrappedKind: Kind?

    /// Creates an error of the given kind.
    public init(_ kind: Kind, _ message: String, errno: Int32? = nil, context: Context = Context()) {
        self.kind = kind
        self.message = message
        self.errno = errno
        self.context = context
        self.wrappedKind = nil
    }

    public var description: String { message }

    /// A configuration or input error (exit 2).
    public static func configuration(_ message: String, errno: Int32? = nil, context: Context = Context()) -> ReproError
    {
        ReproError(.configuration, message, errno: errno, context: context)
    }

    /// A configuration or input error (exit 2) at a position in a file: the message is
    /// `path:line:column: ` (as much as `context` knows, see ``Context/location``) then `text`.
    public static func configuration(at context: Context, _ text: String) -> ReproError {
        ReproError(.configuration, context.location.map { "\($0): \(text)" } ?? text, context: context)
    }

    /// A verification failure: a pin, digest or signature that does not match (exit 5).
    public static func verification(_ message: String, context: Context = Context()) -> ReproError {
        ReproError(.verification, message, context: context)
    }

    /// Isolation the kernel refused (exit 4).
    public static func sandbox(_ message: String, errno: Int32? = nil, context: Context = Context()) -> ReproError {
        ReproError(.sandbox, message, errno: errno, context: context)
    }

    /// The build command failed (exit 3).
    public static func buildFailed(_ message: String, context: Context = Context()) -> ReproError {
        ReproError(.build, message, context: context)
    }

    /// A malformed command line that swift-argument-parser did not catch (exit 64).
    public static func usage(_ message: String, context: Context = Context()) -> ReproError {
        ReproError(.usage, message, context: context)
    }

    /// This error with `prefix` put before its message and the gaps of its context filled from
    /// `context`; the kind, the errno and the rest stay. For a caller that knows more about
    /// where the failure happened ("line 2: ", the toolchain and its URL).
    public func prefixed(_ prefix: String, context outer: Context = Context()) -> ReproError {
        var error = self
        error.message = prefix + message
        error.context = context.filling(from: outer)
        return error
    }

    /// `underlying` re-classified as `kind`, with the caller's `message` (which quotes the
    /// underlying one), its errno and context kept (gaps filled from `context`), and its first
    /// kind kept in ``wrappedKind``. The one way a caller changes an error's kind: where the same
    /// failure means another thing in the caller's role (a statement that breaks the verifier's
    /// rules is a forged bundle when read, but a bad input when repro writes it). The call site
    /// says why in a comment.
    public static func wrapping(
        _ underlying: ReproError, as kind: Kind, message: String,
        context: Context = Context()
    ) -> ReproError {
        var error = underlying.prefixed("", context: context)
        error.message = message
        error.wrappedKind = underlying.wrappedKind ?? underlying.kind
        error.kind = kind
        return error
    }

    /// The members that every `--json` error object of repro carries: `error` (the message),
    /// `kind` (``Kind``'s raw value), `exit_status`, and `context` (the known fields of
    /// ``Context`` and `errno`, snake_case; an empty object when nothing is known).
    public var jsonMembers: [String: JSONValue] {
        var context: [String: JSONValue] = [:]
        if let path = self.context.path { context["path"] = .string(path) }
        if let line = self.context.line { context["line"] = .integer(Int64(line)) }
        if let column = self.context.column { context["column"] = .integer(Int64(column)) }
        if let url = self.context.url { context["url"] = .string(url) }
        if let toolchain = self.context.toolchain { context["toolchain"] = .string(toolchain) }
        if let step = self.context.step { context["step"] = .string(step) }
        if let errno { context["errno"] = .integer(Int64(errno)) }
        return [
            "error": .string(message),
            "kind": .string(kind.rawValue),
            "exit_status": .integer(Int64(status.rawValue)),
            "context": .object(context),
        ]
    }
}
