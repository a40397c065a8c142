import Foundation
import Testing
@testable import ReproCore

/// repro's TOML reader against an independent one, Python's `tomllib` (TOML 1.0.0): for the fuzz
/// seeds of the TOML targets, repro's own TOML files, the cases of TOMLReaderTests and a seeded
/// random mutation of all of them, both must accept and refuse the same documents and read the
/// same values from the accepted ones (dates and times only as "a date or time").
///
/// Where the specification and `tomllib` differ, repro follows the specification: an integer
/// outside Int64 is refused (tomllib reads any size), and a leap second (`:60`) or the year 0000
/// is accepted (tomllib's datetime refuses both).
@Suite struct TOMLDifferentialTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Reads documents framed as "LENGTH\n" + bytes from argv[1] and prints, as one JSON array,
    /// each one's value with every node tagged by its type, or why it was refused.
    static let script = #"""
        import datetime, json, sys, tomllib

        class Big(Exception):
            pass

        def tag(v):
            if isinstance(v, dict):
                return {"t": {k: tag(x) for k, x in v.items()}}
            if isinstance(v, list):
                return {"a": [tag(x) for x in v]}
            if isinstance(v, bool):
                return {"b": "true" if v else "false"}
            if isinstance(v, int):
                if not -2**63 <= v < 2**63:
                    raise Big()
                return {"i": str(v)}
            if isinstance(v, float):
                return {"f": repr(v)}
            if isinstance(v, str):
                return {"s": v}
            if isinstance(v, (datetime.date, datetime.time)):
                return {"d": 1}
            raise TypeError(type(v))

        data = open(sys.argv[1], "rb").read()
        out, pos = [], 0
        while pos < len(data):
            nl = data.index(b"\n", pos)
            n = int(data[pos:nl])
            doc = data[nl + 1 : nl + 1 + n]
            pos = nl + 1 + n
            try:
                out.append({"ok": tag(tomllib.loads(doc.decode("utf-8")))})
            except Big:
                out.append({"big": 1})
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                out.append({"error": str(e)})
            except Exception as e:
                out.append({"error": type(e).__name__ + ": " + str(e)})
        json.dump(out, sys.stdout)
        """#

    /// A deterministic generator (SplitMix64), so that a failure is the same on every run.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let alphabet = Array(" \t\n\r#=[]{},.\"'\\0123456789abcdefxoEntruislZz+-_:T".utf8)
    static let snippets = [
        "[a]\n", "[[a]]\n", "a.b = 1\n", "x = {y = 1}\n", "\"\"\"", "'''", "\\u00e9", "\\U0001F600", "\\ud800",
        "1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", " inf", "nan", "0x_1", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "1e10", "1_000", "\u{2028}", "é", "\r\n", "[", "]]", "{", "}",
        "= ", ".\"q\".", "\n[x.y]\n", "true", "0o17", "0b101", "+0.0",
    ]

    /// The seeds: every committed TOML fuzz input, repro's TOML files, and the reader's own cases.
    static func seeds() throws -> [[UInt8]] {
        var docs: [[UInt8]] = []
        let fm = FileManager.default
        var directories = ["toolchain-toml", "project-toml", "profile-toml"].flatMap {
            ["fuzz/corpus/" + $0, "fuzz/regressions/" + $0]
        }
        directories += ["profiles", "toolchains"]
        for directory in directories {
            let path = root + "/" + directory
            for name in ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted() where !name.hasSuffix(".md") {
                if let data = fm.contents(atPath: path + "/" + name) { docs.append(Array(data)) }
            }
        }
        for example in ((try? fm.contentsOfDirectory(atPath: root + "/examples")) ?? []).sorted() {
            if let data = fm.contents(atPath: root + "/examples/" + example + "/repro.toml") {
                docs.append(Array(data))
            }
        }
        #expect(docs.count >= 10, "the seed corpus was not found under \(root)")
        docs += TOMLReaderTests.valid.map { Array($0.0.utf8) }
        docs += TOMLReaderTests.invalid.map { Array($0.0.utf8) }
        return docs
    }

    static func mutate(_ doc: [UInt8], _ random: inout Random) -> [UInt8] {
        var d = doc
        for _ in 0..<(random.below(2) == 0 ? 1 : 1 + random.below(3)) {
            let at = random.below(d.count + 1)
            switch random.below(7) {
            case 0 where !d.isEmpty: d[min(at, d.count - 1)] = alphabet[random.below(alphabet.count)]
            case 1: d.insert(alphabet[random.below(alphabet.count)], at: at)
            case 2 where !d.isEmpty: d.removeSubrange(at..<min(d.count, at + 1 + random.below(8)))
            case 3:
                // A snippet, at the start of a line half of the time (where keys and headers go).
                let place = random.below(2) == 0 ? (d[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) : at
                d.insert(contentsOf: Array(snippets[random.below(snippets.count)].utf8), at: place)
            case 4:
                // Copy a line elsewhere (keys and headers defined twice).
                let lines = d.split(separator: 0x0A, omittingEmptySubsequences: false)
                let line = lines[random.below(lines.count)]
                d.insert(contentsOf: Array(line) + [0x0A], at: d[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0)
            case 5: d.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            default:
                // Swap two lines (a key moved under another header).
                var lines = d.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
                lines.swapAt(random.below(lines.count), random.below(lines.count))
                d = Array(lines.joined(separator: [0x0A]))
            }
        }
        return d
    }

    /// Whether repro's value equals tomllib's tagged one.
    static func same(_ node: TOMLNode, _ json: Any) -> Bool {
        guard let tagged = json as? [String: Any], tagged.count == 1, let (tag, value) = tagged.first else {
            return false
        }
        switch (node, tag) {
        case (.table(let entries), "t"):
            guard let other = value as? [String: Any], other.count == entries.count else { return false }
            return entries.allSatisfy { key, child in other[key].map { same(child, $0) } ?? false }
        case (.array(let items), "a"):
            guard let other = value as? [Any], other.count == items.count else { return false }
            return zip(items, other).allSatisfy { same($0, $1) }
        case (.string(let s), "s"): return value as? String == s
        case (.integer(let n), "i"): return value as? String == String(n)
        case (.float(let x), "f"):
            guard let text = value as? String, let y = Double(text) else { return false }
            return x == y || (x.isNaN && y.isNaN)
        case (.boolean(let b), "b"): return value as? String == (b ? "true" : "false")
        case (.dateOrTime, "d"): return true
        default: return false
        }
    }

    @Test func agreesWithPythonTomllib() throws {
        let seeds = try Self.seeds()
        var random = Random(state: 0x746F_6D6C)
        var docs = seeds
        while docs.count < 4000 {
            docs.append(Self.mutate(seeds[random.below(seeds.count)], &random))
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("toml-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var framed = Data()
        for doc in docs {
            framed.append(contentsOf: Array("\(doc.count)\n".utf8))
            framed.append(contentsOf: doc)
        }
        try framed.write(to: directory.appendingPathComponent("docs"))
        try Self.script.write(to: directory.appendingPathComponent("read.py"), atomically: true, encoding: .utf8)

        let process = Process()
        let python = ProcessInfo.processInfo.environment["REPRO_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
        process.executableURL = URL(fileURLWithPath: python ?? "/usr/bin/env")
        process.arguments =
            (python == nil ? ["python3"] : []) + [
                directory.appendingPathComponent("read.py").path, directory.appendingPathComponent("docs").path,
            ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0, "\(python ?? "python3") could not run tomllib (Python 3.11 or later)")
        let results = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        try #require(results.count == docs.count)

        var accepted = 0, refused = 0, disagreements: [String] = []
        for (doc, python) in zip(docs, results) {
            let text = String(decoding: doc, as: UTF8.self)
            let ours = Result { () throws(TOMLReader.Failure) in try TOMLReader.parse(bytes: doc) }
            switch (ours, python["ok"]) {
            case (.success(let node), let value?):
                accepted += 1
                if !Self.same(node, value) { disagreements.append("different values for \(text.debugDescription)") }
            case (.failure, nil):
                refused += 1
            case (.failure(let failure), _?):
                disagreements.append(
                    "repro refuses (\(failure.line):\(failure.column): \(failure.problem)), tomllib accepts: \(text.debugDescription)"
                )
            case (.success, nil):
                // The specification allows a leap second and the year 0000; Python's datetime does not.
                if python["big"] != nil {
                    disagreements.append("repro accepts an integer outside Int64: \(text.debugDescription)")
                } else if !text.contains(":60") && !text.contains("0000-") {
                    disagreements.append(
                        "repro accepts, tomllib refuses (\(python["error"] ?? "")): \(text.debugDescription)")
                }
            }
        }
        #expect(
            disagreements.isEmpty,
            "\(disagreements.count) disagreements:\n\(disagreements.prefix(15).joined(separator: "\n"))")
        // The mutations must reach both outcomes in numbers, or the comparison says little.
        #expect(accepted > 400 && refused > 1000, "accepted \(accepted), refused \(refused)")
    }
}
