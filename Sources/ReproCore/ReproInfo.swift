/// repro's identity, as recorded in reports and manifests.
public enum ReproInfo {
    /// The release version.
    public static let version = "0.1.0"
}
