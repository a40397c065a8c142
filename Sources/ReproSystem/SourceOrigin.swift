import FoundationEssentials
import Glibc
import ReproCore

/// Where a check's source can be had by others, as the provenance records it.
///
/// A source is rebuildable by others when its snapshot equals a commit file for file and that
/// commit has a location others can fetch: `--source-uri`, else the `origin` remote. Its URI is
/// then `git+<remote URL>@<commit>` (plus `#<subdir>` for a project below the repository's top)
/// and its digests are the snapshot's tree digest and the commit (`gitCommit`). Otherwise the URI
/// is the builder's own path and the manifest says why nobody else can rebuild from it.
public struct SourceOrigin: Sendable, Equatable {
    /// The `uri` of the source dependency.
    public var uri: String
    /// The commit the snapshot equals, when it equals one.
    public var commit: String?
    /// Whether others can fetch this source from `uri`.
    public var rebuildable: Bool
    /// Why not, when not.
    public var reason: String?

    /// The annotations the manifest records beside the source.
    public var annotations: [String: JSONValue] {
        var members: [String: JSONValue] = ["rebuildable": .bool(rebuildable)]
        if let reason { members["reason"] = .string(reason) }
        return members
    }

    /// The origin of `snapshot`; `sourceURI` (`--source-uri`) overrides the `origin` remote.
    public static func of(_ snapshot: SourceSnapshot, sourceURI: String?) throws(ReproError) -> SourceOrigin {
        guard let exact = snapshot.exactCommit else {
            let reason =
                snapshot.selection != "git"
                ? "the source is not a git work tree"
                : snapshot.commit == nil
                    ? "the git work tree has no commit"
                    : "the source has uncommitted changes (it is not the files of commit \(snapshot.commit!))"
            return SourceOrigin(uri: snapshot.uri, commit: nil, rebuildable: false, reason: reason)
        }
        let remote: String
        if let sourceURI {
            remote = try normalizedRemote(sourceURI, top: exact.top)
        } else {
            let found = try SourceSnapshot.git(exact.top, ["config", "--get", "remote.origin.url"])
            let text = String(decoding: found.stdout, as: UTF8.self).trimmingWhitespace()
            guard found.status == 0, !text.isEmpty else {
                return SourceOrigin(
                    uri: snapshot.uri, commit: exact.commit, rebuildable: false,
                    reason: "the repository has no remote named origin (give its public location with --source-uri URL)"
                )
            }
            remote = try normalizedRemote(text, top: exact.top)
        }
        return SourceOrigin(
            uri: uri(remote: remote, commit: exact.commit, subdirectory: exact.prefix),
            commit: exact.commit, rebuildable: true, reason: nil)
    }

    /// `git+REMOTE@COMMIT`, plus `#SUBDIR` (percent-encoded) when not empty.
    public static func uri(remote: String, commit: String, subdirectory: String) -> String {
        "git+" + remote + "@" + commit + (subdirectory.isEmpty ? "" : "#" + SourceSnapshot.percentEncoded(subdirectory))
    }

    /// A git remote as a URL: URLs are kept; `user@host:path` becomes `ssh://user@host/path`; a
    /// local path becomes `file://` (a relative one taken from the repository's top `top`).
    static func normalizedRemote(_ remote: String, top: String) throws(ReproError) -> String {
        guard !remote.isEmpty, !remote.contains(where: { $0.isWhitespace || $0 == "#" }) else {
            throw .configuration(
                "the source location \"\(remote)\" is not a git URL (it is empty or holds spaces or '#'); give one with --source-uri, e.g. https://example.com/project.git"
            )
        }
        if remote.contains("://") { return remote }
        if let colon = remote.firstIndex(of: ":"), !remote[..<colon].contains("/") {
            // scp-like syntax: [user@]host:path
            let host = remote[..<colon], path = remote[remote.index(after: colon)...]
            return "ssh://" + host + (path.hasPrefix("/") ? "" : "/") + path
        }
        let absolute =
            remote.hasPrefix("/")
            ? remote
            : URL(fileURLWithPath: remote, relativeTo: URL(fileURLWithPath: top + "/")).standardizedFileURL.path
        return "file://" + SourceSnapshot.percentEncoded(absolute)
    }

    /// Whether `text` is a full git object name: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
    public static func isCommitID(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64)
            && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The parts of a `git+URL@COMMIT[#SUBDIR]` URI: the remote URL, the commit and the
    /// subdirectory (percent-decoded, "" at the top); nil for any other form.
    public static func parse(_ uri: String) -> (remote: String, commit: String, subdirectory: String)? {
        guard uri.hasPrefix("git+") else { return nil }
        var rest = Substring(uri.dropFirst(4))
        var subdirectory = ""
        if let hash = rest.lastIndex(of: "#") {
            guard let decoded = String(rest[rest.index(after: hash)...]).percentDecoded else { return nil }
            subdirectory = decoded
            rest = rest[..<hash]
        }
        guard let at = rest.lastIndex(of: "@") else { return nil }
        let commit = String(rest[rest.index(after: at)...])
        let remote = String(rest[..<at])
        guard isCommitID(commit), !remote.isEmpty else { return nil }
        guard subdirectory.isEmpty || SourceSnapshot.isSafeRelativePath(subdirectory) else { return nil }
        return (remote, commit, subdirectory)
    }
}
