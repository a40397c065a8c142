import FoundationEssentials
import Glibc
import ReproCore

extension Verifier {
    /// Checks only the subjects: every subject is a regular file under `directory` (not reached
    /// through a symbolic link) whose SHA-256 matches; other files in `directory` are not looked at.
    public static func compareSubjects(_ subjects: [Subject], in directory: String) throws(ReproError)
        -> ArtifactsReport
    {
        guard let info = Syscalls.statFollowingLinks(directory), info.st_mode & S_IFMT == S_IFDIR else {
            throw .configuration("the artifacts directory \(directory) does not exist or is not a directory")
        }
        var report = ArtifactsReport(directory: directory, mode: .subjectsOnly, subjectsChecked: subjects.count)
        for subject in subjects {
            let path = directory + "/" + subject.name
            if let problem = Statement.pathProblem(subject.name) {
                report.add(.missing, subject.name, problem)
                continue
            }
            var prefix = directory
            var throughLink = false
            for component in subject.name.split(separator: "/") {
                prefix += "/" + component
                if let entry = Syscalls.lstat(prefix), entry.st_mode & S_IFMT == S_IFLNK {
                    throughLink = true
                    break
                }
            }
            if throughLink {
                report.add(.changed, subject.name, "is or lies under a symbolic link")
                continue
            }
            guard let entry = Syscalls.lstat(path) else {
                report.add(.missing, subject.name, "missing")
                continue
            }
            guard entry.st_mode & S_IFMT == S_IFREG else {
                report.add(.changed, subject.name, "not a regular file")
                continue
            }
            guard let digest = try? Hashing.sha256(file: path) else {
                report.add(.changed, subject.name, "unreadable")
                continue
            }
            if digest != subject.sha256 {
                report.add(.changed, subject.name, "SHA-256 is \(digest), the manifest says \(subject.sha256)")
            }
        }
        return report
    }

    /// ``compareSubjects(_:in:)``, throwing its failure (exit 5, every failing subject named).
    public static func checkArtifacts(_ subjects: [Subject], in directory: String) throws(ReproError) {
        if let error = try compareSubjects(subjects, in: directory).error { throw error }
    }
}
