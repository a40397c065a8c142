/// What `repro check` and `repro init` assume for a project without a `repro.toml`.
public enum ProjectDefaults {
    /// The toolchain assumed when none is configured.
    public static let toolchain = "debian-bookworm-build"

    /// A guessed build command and outputs, with a note for each assumption.
    public struct Guess: Sendable, Equatable {
        /// The build command's argv.
        public var command: [String]
        /// The outputs (empty: every file the build creates or changes).
        public var outputs: [String]
        /// One sentence per assumption, for the user.
        public var notes: [String]
    }

    /// Guesses from the files present (`has` says whether the project holds a file of that name):
    /// a `Makefile` means `make`, a `build.sh` means `sh build.sh`.
    public static func guess(has: (String) -> Bool) -> Guess {
        var notes: [String] = []
        let command: [String]
        if has("Makefile") || has("makefile") || has("GNUmakefile") {
            command = ["make"]
            notes.append("assumed build command: make (a Makefile is present)")
        } else if has("build.sh") {
            command = ["sh", "build.sh"]
            notes.append("assumed build command: sh build.sh (build.sh is present)")
        } else {
            command = ["make"]
            notes.append("assumed build command: make (no Makefile or build.sh found; set build.command)")
        }
        notes.append("assumed outputs: every file the build creates or changes (set build.outputs to certify less)")
        return Guess(command: command, outputs: [], notes: notes)
    }
}
