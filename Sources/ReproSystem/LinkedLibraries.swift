internal import CArchive
internal import CSeccomp

/// The C libraries repro is linked with, as they report their own versions at run time (in a
/// static release build, the versions compiled into the binary).
public enum LinkedLibraries {
    /// libarchive's version, e.g. "3.6.2".
    public static var libarchive: String {
        let text = String(cString: archive_version_string())
        return text.hasPrefix("libarchive ") ? String(text.dropFirst("libarchive ".count)) : text
    }

    /// libarchive's own report of the compression libraries it was built with, e.g.
    /// "zlib/1.2.13 liblzma/5.4.1 bz2lib/1.0.8 libzstd/1.5.4" (without the leading
    /// "libarchive X.Y.Z").
    public static var libarchiveDetails: String {
        let text = String(cString: archive_version_details())
        let prefix = String(cString: archive_version_string())
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)).trimmingLeadingSpaces : text
    }

    /// libseccomp's version, e.g. "2.5.4".
    public static var libseccomp: String {
        guard let version = seccomp_version() else { return "unknown" }
        return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
    }
}

private extension String {
    var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}
