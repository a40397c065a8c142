/// The `repro.toml` texts of the command-line tests, written once: `sh build.sh` with the busybox
/// toolchain (`CheckCLITests` packs it), outputs in `out`, a fixed epoch.
enum ProjectConfigText {
    /// The fixed `source.date_epoch` of these projects (a Unix time in November 2023).
    static let epoch = 1700000000

    /// `build.sh` with the busybox toolchain, its outputs in `out`, SOURCE_DATE_EPOCH fixed.
    static let busyboxOut = busybox()

    /// `build.sh` with the busybox toolchain: `outputs` (nil: every created or changed file is an
    /// output), then `extra` lines of `[build]`, and `date_epoch` (nil: none) under `[source]`.
    static func busybox(outputs: [String]? = ["out"], extra: [String] = [], epoch: Int? = epoch) -> String {
        var lines = ["[build]", #"command = ["sh", "build.sh"]"#]
        if let outputs { lines.append("outputs = [" + outputs.map { "\"\($0)\"" }.joined(separator: ", ") + "]") }
        lines.append(#"toolchains = ["busybox"]"#)
        lines += extra
        if let epoch { lines += ["[source]", "date_epoch = \(epoch)"] }
        return lines.joined(separator: "\n")
    }
}
