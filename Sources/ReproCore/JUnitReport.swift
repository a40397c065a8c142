import FoundationEssentials
import Glibc

/// `repro check --junit FILE`: the check as a JUnit XML report, for the CI systems that read one
/// (GitLab, Jenkins, Buildkite). The document validates against docs/schemas/junit.xsd.
///
/// One `<testsuite>` named `repro check` holds a test case per run (`run N builds`: an `<error>`
/// when the build failed) and one for the comparison (`outputs are reproducible`: a `<failure>`
/// listing the differing files with their likely causes; `<skipped>` when a build failed). A
/// check that stopped with an error (exit 2, 4, 5) is one test case with an `<error>`.
public enum JUnitReport {
    /// The classname of every test case.
    public static let className = "repro.check"

    /// The report of a check that reached a verdict. `timestamp` is when it started.
    public static func xml(report: CheckReport, timestamp: Date) -> String {
        var cases: [String] = []
        var failures = 0, errors = 0, skipped = 0
        for run in report.runs {
            var body = ""
            if let failure = run.failure {
                errors += 1
                body = element(
                    "error", ["type": "build-failed", "message": "run \(run.index): \(failure)"],
                    text: run.log.map { "full log: \($0)" } ?? "")
            }
            cases.append(testCase("run \(run.index) builds", time: run.seconds, body: body))
        }
        var comparison = ""
        switch report.verdict {
        case .reproducible:
            comparison = element("system-out", [:], text: report.summary)
        case .differ:
            failures += 1
            let files = Set(report.differences.map(\.path)).count
            comparison = element(
                "failure",
                [
                    "type": "not-reproducible",
                    "message": "\(files) file\(files == 1 ? " differs" : "s differ") between runs",
                ],
                text: report.summary)
        case .buildFailed:
            skipped += 1
            comparison = element("skipped", ["message": "not compared: a build failed"], text: "")
        }
        cases.append(testCase("outputs are reproducible", time: 0, body: comparison))
        let total = report.runs.reduce(0) { $0 + $1.seconds }
        var properties: [(String, String)] = [
            ("verdict", report.verdict.rawValue), ("exit_code", String(report.exitCode)),
            ("source_digest", report.source.digest),
        ]
        if let digest = report.outputDigest { properties.append(("output_digest", digest)) }
        for key in ["git_describe", "git_commit", "source_date_epoch"] {
            if let value = report.normalization[key] { properties.append((key, value)) }
        }
        return document(
            cases: cases, properties: properties, tests: cases.count, failures: failures, errors: errors,
            skipped: skipped, time: total, timestamp: timestamp)
    }

    /// The report of a check that stopped with an error instead of a verdict.
    public static func xml(error: ReproError, timestamp: Date) -> String {
        let body = element("error", ["type": "exit-\(error.status.rawValue)", "message": error.message], text: "")
        return document(
            cases: [testCase("repro check", time: 0, body: body)],
            properties: [("exit_code", String(error.status.rawValue))],
            tests: 1, failures: 0, errors: 1, skipped: 0, time: 0, timestamp: timestamp)
    }

    private static func document(
        cases: [String], properties: [(String, String)], tests: Int, failures: Int, errors: Int,
        skipped: Int, time: Double, timestamp: Date
    ) -> String {
        let counts: [String: String] = [
            "tests": String(tests), "failures": String(failures), "errors": String(errors),
            "time": seconds(time),
        ]
        var suiteAttributes = counts
        suiteAttributes["name"] = "repro check"
        suiteAttributes["skipped"] = String(skipped)
        suiteAttributes["timestamp"] = RFC3339.format(timestamp)
        var rootAttributes = counts
        rootAttributes["name"] = "repro"
        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<testsuites\(attributes(rootAttributes))>",
            "  <testsuite\(attributes(suiteAttributes))>", "    <properties>",
        ]
        for (name, value) in properties {
            lines.append("      <property\(attributes(["name": name, "value": value]))/>")
        }
        lines.append("    </properties>")
        lines.append(contentsOf: cases)
        lines.append("  </testsuite>")
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func testCase(_ name: String, time: Double, body: String) -> String {
        let open = "    <testcase\(attributes(["classname": className, "name": name, "time": seconds(time)]))"
        return body.isEmpty ? open + "/>" : open + ">\n      " + body + "\n    </testcase>"
    }

    private static func element(_ name: String, _ attrs: [String: String], text: String) -> String {
        text.isEmpty ? "<\(name)\(attributes(attrs))/>" : "<\(name)\(attributes(attrs))>\(escape(text))</\(name)>"
    }

    /// Attributes in name order, values escaped.
    private static func attributes(_ attrs: [String: String]) -> String {
        attrs.sorted { $0.key < $1.key }.map { " \($0.key)=\"\(escape($0.value, attribute: true))\"" }.joined()
    }

    /// Seconds with three decimals, as JUnit's `time` attributes are written.
    static func seconds(_ value: Double) -> String {
        String(printf: "%.3f", value.isFinite && value >= 0 ? value : 0)
    }

    /// Text escaped for XML 1.0: `&`, `<`, `>`, and in attributes `"` and line breaks; the
    /// characters XML 1.0 cannot hold at all (C0 controls other than tab and line breaks, and
    /// U+FFFE, U+FFFF) written as visible escapes (``TerminalText``).
    static func escape(_ text: String, attribute: Bool = false) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            case "\r": out += attribute ? "&#13;" : "\\r"
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                if scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else if scalar.value < 0x20 {
                    out += TerminalText.escape(String(scalar))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
