import FoundationEssentials
import Glibc

/// The `repro diff --html` page: one self-contained HTML document (inline style, no scripts, no
/// network, no external assets) with a summary table and, per file, its findings with
/// side-by-side context.
///
/// Everything taken from the compared files (names, contents, values) is hostile: it passes
/// through ``escape(_:)``, which makes control characters visible (``TerminalText``) and writes
/// `& < > " '` as character references, so no name or content can add markup or attributes.
public enum DiffHTML {
    /// `text` safe inside HTML element content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in TerminalText.escape(text).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Bidirectional overrides could make a name read as another.
            case "\u{202A}"..."\u{202E}", "\u{2066}"..."\u{2069}", "\u{200E}", "\u{200F}":
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The page for `report`.
    public static func render(_ report: DiffReport) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>repro diff</title>
            <style>
            body{font-family:sans-serif;margin:1.5em;color:#111}
            table{border-collapse:collapse;margin:.5em 0}
            td,th{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}
            th{background:#eee}
            pre{margin:0;font-size:12px;white-space:pre-wrap;word-break:break-all}
            .cause{font-weight:bold}
            .side td{width:50%}
            .del{background:#fdd}.add{background:#dfd}
            section{border-top:2px solid #888;margin-top:1.5em}
            </style></head><body>

            """
        h += "<h1>repro diff</h1>\n<p id=\"verdict\">"
        h += report.same ? "Same: " : "Different: "
        h += "<code>\(escape(report.a))</code> and <code>\(escape(report.b))</code>"
        h +=
            report.same
            ? " are identical.</p>\n"
            : " (\(report.files.count) differing file\(report.files.count == 1 ? "" : "s")).</p>\n"
        if !report.files.isEmpty {
            h += "<table id=\"summary\"><tr><th>File</th><th>Kind</th><th>Causes</th><th>Fix</th></tr>\n"
            for (i, file) in report.files.enumerated() {
                var seen = Set<String>()
                let fixes = file.findings.compactMap(\.fix).filter { seen.insert($0).inserted }.prefix(4)
                h += "<tr><td><a href=\"#f\(i)\">\(escape(file.path))</a></td><td>\(escape(file.kind))</td>"
                h += "<td class=\"cause\">\(escape(file.causes.map(\.rawValue).joined(separator: ", ")))</td>"
                h += "<td>\(escape(fixes.joined(separator: "; ")))</td></tr>\n"
            }
            h += "</table>\n"
        }
        for note in report.truncated { h += "<p class=\"cut\">Cut: \(escape(note))</p>\n" }
        for (i, file) in report.files.enumerated() {
            h += "<section id=\"f\(i)\"><h2>\(escape(file.path)) <small>(\(escape(file.kind)))</small></h2>\n"
            h += nested(file)
            for note in file.truncated { h += "<p class=\"cut\">Cut: \(escape(note))</p>\n" }
            h += "</section>\n"
        }
        h += "</body></html>\n"
        return h
    }

    /// The findings of a file grouped by their location, one nested list level per container.
    private static func nested(_ file: FileExplanation) -> String {
        var h = ""
        var open: [String] = []
        for finding in file.findings {
            let path = Array(finding.location.dropFirst())
            var common = 0
            while common < open.count, common < path.count, open[common] == path[common] { common += 1 }
            while open.count > common {
                h += "</ul></li></ul>\n"
                open.removeLast()
            }
            while open.count < path.count {
                let name = path[open.count]
                h += "<ul><li><b>\(escape(name))</b><ul>\n"
                open.append(name)
            }
            h += "<div class=\"finding\"><p><span class=\"cause\">\(escape(finding.cause.rawValue))</span>: "
            h += "\(escape(finding.aspect))\(finding.offset.map { " at byte \($0)" } ?? ""): \(escape(finding.detail))"
            if let fix = finding.fix { h += "<br>Fix: <code>\(escape(fix))</code>" }
            h += "</p>\n"
            if let context = finding.context {
                h += "<table class=\"side\"><tr><th>A</th><th>B</th></tr><tr><td><pre>"
                h +=
                    escape(context.a.joined(separator: "\n")) + "</pre></td><td><pre>"
                    + escape(context.b.joined(separator: "\n"))
                h += "</pre></td></tr></table>\n"
            }
            if let unified = finding.unified {
                h += "<pre class=\"unified\">"
                for line in unified {
                    let cls = line.hasPrefix("-") ? "del" : line.hasPrefix("+") ? "add" : ""
                    h += "<span class=\"\(cls)\">\(escape(line))</span>\n"
                }
                h += "</pre>\n"
            }
            h += "</div>\n"
        }
        while !open.isEmpty {
            h += "</ul></li></ul>\n"
            open.removeLast()
        }
        return h
    }
}
