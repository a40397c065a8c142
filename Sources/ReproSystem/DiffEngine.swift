import FoundationEssentials
import Glibc
import ReproCore

/// Explains why two files or two trees differ: the engine behind `repro diff`, a failed
/// `repro check` and `repro rebuild` (docs/diff.md).
///
/// Containers are opened with libarchive and compared member by member, down to
/// ``DiffLimits/maxDepth``; gzip headers, `.pyc` headers and ELF sections are named; text gets a
/// bounded unified diff; every differing region gets a cause and a fix (``CauseHints``). Every
/// read is bounded by ``DiffLimits``, and what a bound cut is reported.
public enum DiffEngine {
    /// Compares two files or two directory trees. Throws a configuration error (exit 2) when
    /// either is missing or they are not both files or both directories.
    public static func compare(_ a: String, _ b: String, limits: DiffLimits, setting: DiffSetting) throws(ReproError)
        -> DiffReport
    {
        let ka = try kind(a), kb = try kind(b)
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, limits.maxSeconds) * 1000))
        switch (ka, kb) {
        case (S_IFREG, S_IFREG):
            // The two files named on the command line are read where they are (a symbolic link
            // given there is followed on purpose), and "same" is said only of equal bytes: a file
            // that cannot be read is an input error, never an empty difference.
            func resolved(_ path: String) throws(ReproError) -> String {
                switch Syscalls.realpath(path) {
                case .success(let real):
                    _ = try FileDescriptor(opening: real, flags: O_RDONLY) { e in
                        .configuration("cannot read \(path): \(e.text).", errno: e.code)
                    }
                    return real
                case .failure(let e):
                    throw .configuration("cannot read \(path): \(e.text).", errno: e.code)
                }
            }
            let ra = try resolved(a), rb = try resolved(b)
            let file = explainFile(ra, rb, path: a.lastPathPart, limits: limits, setting: setting, deadline: deadline)
            guard let file else {
                guard try Hashing.sha256(file: ra) == Hashing.sha256(file: rb) else {
                    return DiffReport(
                        a: a, b: b, same: false, files: [FileExplanation(path: a.lastPathPart, kind: "changed")],
                        limits: limits,
                        truncated: ["the files differ, but no region could be explained within the limits"])
                }
                return DiffReport(a: a, b: b, same: true, files: [], limits: limits)
            }
            return DiffReport(a: a, b: b, same: false, files: [file], limits: limits)
        case (S_IFDIR, S_IFDIR):
            let ta = try TreeWalker.walk(a), tb = try TreeWalker.walk(b)
            let differences = Comparison.differences(reference: ta.entries, other: tb.entries, run: 2)
            let (files, cut) = explainTrees(differences, a, b, limits: limits, setting: setting, deadline: deadline)
            return DiffReport(a: a, b: b, same: differences.isEmpty, files: files, limits: limits, truncated: cut)
        default:
            throw .configuration("cannot compare \(a) with \(b): give two regular files or two directories")
        }
    }

    /// Explanations for tree differences (from ``Comparison/differences(reference:other:run:)``),
    /// `a` and `b` being the two trees' roots; at most ``DiffLimits/maxFiles`` are explained and
    /// none after the deadline. Returns the explanations and what was cut.
    public static func explainTrees(
        _ differences: [Difference], _ a: String, _ b: String, limits: DiffLimits, setting: DiffSetting,
        deadline: ContinuousClock.Instant
    ) -> ([FileExplanation], [String]) {
        var files: [FileExplanation] = []
        var unexplained = 0
        for difference in differences {
            var file = FileExplanation(path: difference.path, kind: difference.kind.rawValue)
            if let metadata = difference.explanation {
                file.findings.append(
                    DiffFinding(
                        location: [difference.path], aspect: "file type or mode", cause: .metadata, detail: metadata))
            } else if difference.kind == .changed {
                if files.count - unexplained >= limits.maxFiles || ContinuousClock.now >= deadline {
                    unexplained += 1
                } else if let found = explainFile(
                    a + "/" + difference.path, b + "/" + difference.path, path: difference.path,
                    limits: limits, setting: setting, deadline: deadline)
                {
                    file = found
                }
            }
            files.append(file)
        }
        var cut: [String] = []
        if unexplained > 0 {
            cut.append(
                "\(unexplained) changed file\(unexplained == 1 ? " was" : "s were") not explained (max_files \(limits.maxFiles) or the time limit of \(limits.maxSeconds) s)"
            )
        }
        return (files, cut)
    }

    /// Why the regular files `a` and `b` differ, nil when their contents are equal (also nil
    /// when either cannot be read as a regular file). `path` names the file in the findings.
    public static func explainFile(
        _ a: String, _ b: String, path: String, limits: DiffLimits, setting: DiffSetting,
        deadline: ContinuousClock.Instant
    ) -> FileExplanation? {
        let session = Session(limits: limits, setting: setting, deadline: deadline)
        return session.file(a, b, path: path)
    }

    private static func kind(_ path: String) throws(ReproError) -> mode_t {
        switch Syscalls.stat(path) {
        case .success(let st): return st.st_mode & S_IFMT
        case .failure(let e):
            throw .configuration(
                "cannot read \(path): \(e.text). Give two existing files or directories.", errno: e.code)
        }
    }
}

/// One explanation's state: the limits, the two byte budgets and what was found.
private final class Session {
    let limits: DiffLimits
    let setting: DiffSetting
    let deadline: ContinuousClock.Instant
    var budgetA: Int, budgetB: Int
    var findings: [DiffFinding] = []
    var truncated: [String] = []

    init(limits: DiffLimits, setting: DiffSetting, deadline: ContinuousClock.Instant) {
        self.limits = limits
        self.setting = setting
        self.deadline = deadline
        budgetA = max(0, limits.maxBytes)
        budgetB = max(0, limits.maxBytes)
    }

    func file(_ a: String, _ b: String, path: String) -> FileExplanation? {
        guard let sa = size(a), let sb = size(b) else { return nil }
        let whole = min(limits.maxMemberBytes, limits.maxBytes)
        if sa <= whole, sb <= whole {
            guard let x = read(a, max: sa), let y = read(b, max: sb) else { return nil }
            if x == y { return nil }
            budgetA -= x.count
            budgetB -= y.count
            bytes(x, y, location: [path], depth: 0)
        } else {
            large(a, b, path: path, sizes: (sa, sb))
            if findings.isEmpty && truncated.isEmpty { return nil }
        }
        var result = FileExplanation(path: path, kind: "changed", findings: findings, truncated: truncated)
        if result.findings.count > limits.maxFindings {
            result.truncated.append(
                "\(result.findings.count - max(0, limits.maxFindings)) more findings not shown (max_findings \(limits.maxFindings))"
            )
            result.findings = Array(result.findings.prefix(max(0, limits.maxFindings)))
        }
        return result
    }

    /// Files too large to hold: opened as containers straight from disk when they are ones,
    /// else compared a chunk at a time and explained from a window (``FileComparison``).
    private func large(_ a: String, _ b: String, path: String, sizes: (Int, Int)) {
        let headA = read(a, max: 65536) ?? [], headB = read(b, max: 65536) ?? []
        if let ga = GzipHeader.parse(headA), let gb = GzipHeader.parse(headB) {
            findings += GzipHeader.findings(ga, gb, location: [path], setting: setting)
        }
        if limits.maxDepth > 0,
            let (la, lb) = ArchiveReader.readPair(
                .file(a), .file(b), limits: limits, budgetA: &budgetA, budgetB: &budgetB, deadline: deadline)
        {
            listings(la, lb, sources: (.file(a), .file(b)), location: [path], depth: 1)
            if !findings.isEmpty || !truncated.isEmpty { return }
        }
        guard let found = FileComparison.compare(a, b, now: setting.now), let offset = found.offset else { return }
        let (cause, detail, fix) =
            found.explanation.map { (CauseHints.cause(of: $0), $0, CauseHints.fix(of: $0)) }
            ?? (.unknown, "the bytes differ in no recognised pattern near the first difference", nil)
        findings.append(
            DiffFinding(
                location: [path], aspect: "content", cause: cause, detail: detail + " (sizes \(sizes.0) vs \(sizes.1))",
                fix: fix, offset: offset))
        truncated.append(
            "\(path) is larger than \(min(limits.maxMemberBytes, limits.maxBytes)) bytes: explained from a window around its first difference"
        )
    }

    /// Explains two differing byte strings found at `location`.
    func bytes(_ x: [UInt8], _ y: [UInt8], location: [String], depth: Int) {
        guard x != y else { return }
        if ContinuousClock.now >= deadline {
            truncated.append(
                "\(location.joined(separator: " > ")): not explained, the time limit of \(limits.maxSeconds) s was reached"
            )
            return
        }
        let name = location.last ?? ""
        let gzipA = GzipHeader.parse(x), gzipB = GzipHeader.parse(y)
        if let ga = gzipA, let gb = gzipB {
            findings += GzipHeader.findings(ga, gb, location: location, setting: setting)
        }
        if depth < limits.maxDepth {
            if let (la, lb) = ArchiveReader.readPair(
                .memory(x), .memory(y), limits: limits, budgetA: &budgetA, budgetB: &budgetB,
                deadline: deadline), la.isRaw == lb.isRaw
            {
                listings(la, lb, sources: (.memory(x), .memory(y)), location: location, depth: depth + 1, whole: (x, y))
                return
            }
        } else if gzipA != nil || x.starts(with: Array("!<arch>\n".utf8)) || x.starts(with: [0x50, 0x4b, 0x03, 0x04])
            || (x.count > 262 && x[257..<262].elementsEqual("ustar".utf8))
        {
            truncated.append(
                "\(location.joined(separator: " > ")): not opened, the depth limit of \(limits.maxDepth) was reached (max_depth)"
            )
        }
        if gzipA != nil, gzipB != nil, !findings.isEmpty, findings.last?.location == location { return }
        if let pa = PycHeader.parse(x, name: name), let pb = PycHeader.parse(y, name: name) {
            let header = PycHeader.findings(pa, pb, location: location, setting: setting)
            findings += header
            if x[16...] == y[16...] { return }
            content(Array(x[16...]), Array(y[16...]), location: location, aspect: "pyc code object", base: 16)
            return
        }
        if let sa = ELFSection.parse(x), let sb = ELFSection.parse(y) {
            elf(x, y, sa, sb, location: location)
            return
        }
        content(x, y, location: location, aspect: nil, base: 0)
    }

    /// A finding for differing contents: text with a unified diff, else binary with hex context.
    private func content(_ x: [UInt8], _ y: [UInt8], location: [String], aspect: String?, base: Int) {
        guard let first = Self.firstDifference(x, y) else { return }
        let (cause, detail, fix) = CauseHints.classify(x, y, offset: first, setting: setting)
        if isText(x), isText(y) {
            let (lines, cut) = TextDiff.unified(bytes: x, y, maxLines: limits.maxLines, deadline: deadline)
            if let cut { truncated.append("\(location.joined(separator: " > ")): \(cut)") }
            findings.append(
                DiffFinding(
                    location: location, aspect: aspect ?? "text", cause: cause, detail: detail, fix: fix,
                    offset: Int64(base + first), context: CauseHints.context(x, y, offset: first), unified: lines))
        } else {
            findings.append(
                DiffFinding(
                    location: location, aspect: aspect ?? "content", cause: cause, detail: detail, fix: fix,
                    offset: Int64(base + first), context: CauseHints.context(x, y, offset: first, base: base)))
        }
    }

    /// Whether `s` is text: UTF-8 without NUL bytes.
    private func isText(_ s: [UInt8]) -> Bool {
        let (noNUL, ascii) = s.withUnsafeBytes { raw -> (Bool, Bool) in
            guard !raw.isEmpty else { return (true, true) }
            guard memchr(raw.baseAddress!, 0, raw.count) == nil else { return (false, false) }
            var high: UInt8 = 0
            for byte in raw { high |= byte }
            return (true, high < 0x80)
        }
        // ASCII is UTF-8; other text is validated on a copy that lives only for the check.
        return noNUL && (ascii || String(validating: s, as: UTF8.self) != nil)
    }

    /// The first offset at which `x` and `y` differ, nil when they are equal; compares in
    /// blocks with memcmp, and copies neither.
    static func firstDifference(_ x: [UInt8], _ y: [UInt8]) -> Int? {
        let common = min(x.count, y.count)
        let found: Int? = x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                var at = 0
                while at < common {
                    let n = min(4096, common - at)
                    if memcmp(px.baseAddress! + at, py.baseAddress! + at, n) != 0 {
                        while px[at] == py[at] { at += 1 }
                        return at
                    }
                    at += n
                }
                return nil
            }
        }
        return found ?? (x.count == y.count ? nil : common)
    }

    /// ELF files by section: which sections differ, the build ID named as derived.
    private func elf(_ x: [UInt8], _ y: [UInt8], _ sa: [ELFSection], _ sb: [ELFSection], location: [String]) {
        let before = findings.count
        let byName = Dictionary(sb.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var derivedOnly = true
        for section in sa where section.hasBytes {
            guard let other = byName[section.name], other.hasBytes else {
                findings.append(
                    DiffFinding(
                        location: location, aspect: "ELF section \(section.name)", cause: .unknown,
                        detail: "present in A only"))
                continue
            }
            let ra = x[section.offset..<section.offset + section.size], rb = y[other.offset..<other.offset + other.size]
            guard ra != rb else { continue }
            let aspect = "ELF section \(section.name)"
            if section.name == ".note.gnu.build-id" {
                findings.append(
                    DiffFinding(
                        location: location, aspect: aspect, cause: .derived,
                        detail:
                            "the build ID is a hash of the rest of the binary, so it follows from the other differences",
                        fix: DiffFix.buildID, offset: Int64(section.offset)))
                continue
            }
            derivedOnly = false
            let first =
                (0..<min(ra.count, rb.count)).first { ra[ra.startIndex + $0] != rb[rb.startIndex + $0] }
                ?? min(ra.count, rb.count)
            let offset = section.offset + first
            var (cause, detail, fix) = CauseHints.classify(x, y, offset: offset, setting: setting, complete: false)
            if cause == .unknown, section.name.hasPrefix(".debug") {
                (cause, detail, fix) = (
                    .buildPath, "debug information differs (most often the build path or a time recorded in it)",
                    DiffFix.buildPath
                )
            }
            if section.size != other.size { detail += " (section sizes \(section.size) vs \(other.size))" }
            findings.append(
                DiffFinding(
                    location: location, aspect: aspect, cause: cause, detail: detail, fix: fix,
                    offset: Int64(offset), context: CauseHints.context(x, y, offset: offset)))
        }
        if findings.count == before || derivedOnly {
            let first = Self.firstDifference(x, y) ?? 0
            if findings.count == before
                || !(sa.contains {
                    $0.name == ".note.gnu.build-id" && (($0.offset)..<($0.offset + $0.size)).contains(first)
                })
            {
                let (cause, detail, fix) = CauseHints.classify(x, y, offset: first, setting: setting, complete: false)
                findings.append(
                    DiffFinding(
                        location: location, aspect: "ELF headers", cause: cause, detail: detail, fix: fix,
                        offset: Int64(first), context: CauseHints.context(x, y, offset: first)))
            }
        }
    }

    /// Compares two containers' members: order, presence, metadata (aggregated per field) and
    /// contents (recursively). `sources` are where the two listings were read from: the contents
    /// of the members that differ are read again from there, a bounded batch at a time.
    private func listings(
        _ la: ArchiveListing, _ lb: ArchiveListing, sources: (ArchiveReader.Source, ArchiveReader.Source),
        location: [String], depth: Int, whole: ([UInt8], [UInt8])? = nil
    ) {
        truncated += la.truncated.map { location.joined(separator: " > ") + " (A): " + $0 }
        truncated += lb.truncated.map { location.joined(separator: " > ") + " (B): " + $0 }
        let before = findings.count
        if la.isRaw {
            rawContents(la, lb, sources: sources, location: location, depth: depth)
            return
        }
        let family = Self.family(la.format)
        compareFormats(la, lb, location: location, family: family)
        compareMemberNames(la, lb, location: location, family: family)
        let pairs = Self.pairedMembers(la, lb)
        aggregate(pairs, location: location, family: family)
        compareContents(pairs, sources: sources, location: location, depth: depth)
        // Same members, same metadata, same contents, different bytes: the container's own headers.
        if findings.count == before, la.filters.isEmpty, let (x, y) = whole, let first = Self.firstDifference(x, y) {
            containerHeaders(x, y, first: first, location: location, family: family)
        }
    }

    /// Compares the contents of a raw (compressed, not archived) file: its one member on each side.
    private func rawContents(
        _ la: ArchiveListing, _ lb: ArchiveListing, sources: (ArchiveReader.Source, ArchiveReader.Source),
        location: [String], depth: Int
    ) {
        let inner = location + ["\(la.filters.first ?? "compressed") contents"]
        guard let ma = la.members.first, let mb = lb.members.first, ArchiveMember.sameContents(ma, mb) != true
        else { return }
        if fits(ma, mb) {
            explainMembers([(ma, mb, inner)], sources: sources, depth: depth)
        } else {
            truncated.append(
                "\(inner.joined(separator: " > ")): larger than max_member_bytes (\(limits.maxMemberBytes)), compared whole only"
            )
        }
    }

    /// Reports a different container format or compression.
    private func compareFormats(_ la: ArchiveListing, _ lb: ArchiveListing, location: [String], family: String) {
        if Self.family(lb.format) != family {
            findings.append(
                DiffFinding(
                    location: location, aspect: "container format", cause: .environment,
                    detail: "\(la.format) vs \(lb.format)", fix: "use one archiver and one set of options"))
        }
        if la.filters != lb.filters {
            findings.append(
                DiffFinding(
                    location: location, aspect: "compression", cause: .environment,
                    detail: "\(la.filters.joined(separator: "+")) vs \(lb.filters.joined(separator: "+"))"))
        }
    }

    /// Reports members in another order, names repeated on one side, and members only on one side.
    private func compareMemberNames(_ la: ArchiveListing, _ lb: ArchiveListing, location: [String], family: String) {
        let namesA = la.members.map(\.name), namesB = lb.members.map(\.name)
        let setA = Set(namesA), setB = Set(namesB)
        let bytesA = namesA.map { Array($0.utf8) }, bytesB = namesB.map { Array($0.utf8) }
        if bytesA != bytesB {
            let byBytes: ([UInt8], [UInt8]) -> Bool = { $0.lexicographicallyPrecedes($1) }
            if bytesA.count == bytesB.count, bytesA.sorted(by: byBytes) == bytesB.sorted(by: byBytes) {
                let i = (0..<bytesA.count).first { bytesA[$0] != bytesB[$0] } ?? 0
                findings.append(
                    DiffFinding(
                        location: location, aspect: "\(family) member order", cause: .ordering,
                        detail:
                            "the same \(namesA.count) members in another order (from member \(i + 1): \(namesA[i]) vs \(namesB[i]))",
                        fix: Self.orderFix(family)))
            } else if setA == setB {
                // The same names, some of them more than once on one side (tar -r appends).
                findings.append(
                    DiffFinding(
                        location: location, aspect: "\(family) members", cause: .unknown,
                        detail:
                            "\(namesA.count) vs \(namesB.count) members with the same names: a name appears more than once on one side"
                    ))
            }
        }
        let missing = namesA.filter { !setB.contains($0) }, extra = namesB.filter { !setA.contains($0) }
        if !missing.isEmpty {
            findings.append(
                DiffFinding(
                    location: location, aspect: "\(family) members only in A", cause: .unknown,
                    detail: Self.sample(missing)))
        }
        if !extra.isEmpty {
            findings.append(
                DiffFinding(
                    location: location, aspect: "\(family) members only in B", cause: .unknown,
                    detail: Self.sample(extra)))
        }
    }

    /// The members of A paired with B's of the same name, in A's order; a repeated name counts once.
    private static func pairedMembers(_ la: ArchiveListing, _ lb: ArchiveListing) -> [(ArchiveMember, ArchiveMember)] {
        let membersB = Dictionary(lb.members.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var pairs: [(ArchiveMember, ArchiveMember)] = []
        var seen = Set<String>()
        for ma in la.members where seen.insert(ma.name).inserted {
            if let mb = membersB[ma.name] { pairs.append((ma, mb)) }
        }
        return pairs
    }

    /// Explains the member pairs whose contents differ, read again from `sources` in bounded batches.
    private func compareContents(
        _ pairs: [(ArchiveMember, ArchiveMember)], sources: (ArchiveReader.Source, ArchiveReader.Source),
        location: [String], depth: Int
    ) {
        // The members whose contents differ are read again, in batches that hold at most
        // max_member_bytes of each side; the findings keep the members' order.
        var batch: [(ArchiveMember, ArchiveMember, [String])] = []
        var held = (0, 0)
        for (ma, mb) in pairs {
            let same = ArchiveMember.sameContents(ma, mb)
            if same == true { continue }
            guard fits(ma, mb) else {
                explainMembers(batch, sources: sources, depth: depth)
                batch = []
                held = (0, 0)
                if same == nil {
                    truncated.append(
                        "\(location.joined(separator: " > ")) > \(ma.name): not compared: the name appears more than once and the member is larger than max_member_bytes (\(limits.maxMemberBytes))"
                    )
                } else {
                    let why =
                        ma.complete && mb.complete
                        ? "larger than max_member_bytes \(limits.maxMemberBytes)" : "not read whole"
                    findings.append(
                        DiffFinding(
                            location: location + [ma.name], aspect: "content", cause: .unknown,
                            detail: "the contents differ (sizes \(ma.size) vs \(mb.size); \(why), compared whole only)")
                    )
                }
                continue
            }
            if !batch.isEmpty,
                held.0 + ma.bytesRead > limits.maxMemberBytes || held.1 + mb.bytesRead > limits.maxMemberBytes
            {
                explainMembers(batch, sources: sources, depth: depth)
                batch = []
                held = (0, 0)
            }
            batch.append((ma, mb, location + [ma.name]))
            held.0 += ma.bytesRead
            held.1 += mb.bytesRead
        }
        explainMembers(batch, sources: sources, depth: depth)
    }

    /// Reports the container's own headers differing at `first`, with a zip-specific cause.
    private func containerHeaders(_ x: [UInt8], _ y: [UInt8], first: Int, location: [String], family: String) {
        let (cause0, detail0, fix0) = CauseHints.classify(x, y, offset: first, setting: setting, complete: false)
        var cause = cause0, detail = detail0, fix = fix0
        if family == "zip", cause == .unknown || cause == .randomness {
            (cause, detail, fix) = (
                .timestamp,
                "zip headers differ though every entry's name, time and contents agree: extra fields (extended timestamps with access times, uid/gid) or header flags",
                DiffFix.zipExtra
            )
        }
        findings.append(
            DiffFinding(
                location: location, aspect: "\(family) headers", cause: cause, detail: detail, fix: fix,
                offset: Int64(first), context: CauseHints.context(x, y, offset: first)))
    }

    /// Whether both members were read whole and are small enough to hold and look inside.
    private func fits(_ ma: ArchiveMember, _ mb: ArchiveMember) -> Bool {
        ma.complete && mb.complete && ma.bytesRead <= limits.maxMemberBytes && mb.bytesRead <= limits.maxMemberBytes
    }

    /// Reads the contents of the member pairs `batch` again from `sources` and explains each
    /// pair at its location; the contents are released when done.
    private func explainMembers(
        _ batch: [(ArchiveMember, ArchiveMember, [String])], sources: (ArchiveReader.Source, ArchiveReader.Source),
        depth: Int
    ) {
        guard !batch.isEmpty else { return }
        let ca = ArchiveReader.contents(
            sources.0, indices: Set(batch.map(\.0.index)), maxBytes: limits.maxMemberBytes, deadline: deadline)
        let cb = ArchiveReader.contents(
            sources.1, indices: Set(batch.map(\.1.index)), maxBytes: limits.maxMemberBytes, deadline: deadline)
        for (ma, mb, location) in batch {
            guard let x = ca[ma.index], let y = cb[mb.index] else {
                truncated.append(
                    "\(location.joined(separator: " > ")): not explained, its contents could not be read again (the time limit of \(limits.maxSeconds) s, or the container changed)"
                )
                continue
            }
            bytes(x, y, location: location, depth: depth)
        }
    }

    /// One finding per metadata field that differs in any member pair.
    private func aggregate(_ pairs: [(ArchiveMember, ArchiveMember)], location: [String], family: String) {
        func field(
            _ aspect: String, cause: DiffCause, fix: String?, _ differs: (ArchiveMember, ArchiveMember) -> String?
        ) {
            var count = 0
            var example: String?
            for (a, b) in pairs {
                if let text = differs(a, b) {
                    count += 1
                    if example == nil { example = "\(a.name): \(text)" }
                }
            }
            guard count > 0, let example else { return }
            findings.append(
                DiffFinding(
                    location: location, aspect: "\(family) member \(aspect)", cause: cause,
                    detail: "differs in \(count) of \(pairs.count) members; first \(example)", fix: fix))
        }
        field("mtime", cause: .timestamp, fix: Self.timeFix(family)) { a, b in
            guard a.mtime != b.mtime else { return nil }
            return CauseHints.times(a.mtime ?? 0, b.mtime ?? 0, setting)
        }
        let ownerFix = family == "ar" ? DiffFix.arMember : family == "zip" ? DiffFix.zipExtra : DiffFix.tarOwner
        field("uid/gid", cause: .identity, fix: ownerFix) { a, b in
            a.uid != b.uid || a.gid != b.gid ? "\(a.uid):\(a.gid) vs \(b.uid):\(b.gid)" : nil
        }
        field("owner names", cause: .identity, fix: ownerFix) { a, b in
            a.uname != b.uname || a.gname != b.gname
                ? "\(a.uname ?? "-"):\(a.gname ?? "-") vs \(b.uname ?? "-"):\(b.gname ?? "-")" : nil
        }
        field("mode", cause: .metadata, fix: family == "ar" ? DiffFix.arMember : DiffFix.tarMode) { a, b in
            a.mode != b.mode ? String(a.mode, radix: 8) + " vs " + String(b.mode, radix: 8) : nil
        }
        field("type or link", cause: .metadata, fix: nil) { a, b in
            // ar's deterministic mode writes no file type: "other" is no difference of type.
            guard a.type != "other", b.type != "other" else { return nil }
            return a.type != b.type || a.link != b.link ? "\(a.type) \(a.link ?? "") vs \(b.type) \(b.link ?? "")" : nil
        }
    }

    static func family(_ format: String) -> String {
        let f = format.lowercased()
        if f.contains("tar") { return "tar" }
        if f.hasPrefix("zip") { return "zip" }
        if f.hasPrefix("ar") { return "ar" }
        if f.contains("cpio") { return "cpio" }
        return f.split(separator: " ").first.map(String.init) ?? f
    }

    static func timeFix(_ family: String) -> String {
        switch family {
        case "tar": return DiffFix.tarMtime
        case "zip": return DiffFix.zipTime
        case "ar": return DiffFix.arMember
        case "cpio": return DiffFix.cpio
        default: return DiffFix.sourceDateEpoch
        }
    }

    static func orderFix(_ family: String) -> String {
        switch family {
        case "tar": return DiffFix.tarOrder
        case "zip": return DiffFix.zipOrder
        default: return "add the members in sorted order (find . | LC_ALL=C sort)"
        }
    }

    static func sample(_ names: [String]) -> String {
        let shown = names.prefix(5).joined(separator: ", ")
        return names.count > 5 ? "\(names.count) members: \(shown), ..." : shown
    }

    private func size(_ path: String) -> Int? {
        guard let st = Syscalls.lstat(path), st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    private func read(_ path: String, max: Int) -> [UInt8]? {
        guard let fd = try? FileDescriptor(opening: path, flags: O_RDONLY | O_NOFOLLOW) else { return nil }
        var out = [UInt8](repeating: 0, count: Swift.max(0, max))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { buf in
                Syscalls.pread(fd.raw, UnsafeMutableRawBufferPointer(rebasing: buf[done...]), at: off_t(done))
            }
            guard case .success(let got) = n else { return nil }
            if got == 0 { break }
            done += got
        }
        out.removeSubrange(done...)
        return out
    }
}
