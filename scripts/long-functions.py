#!/usr/bin/env python3
"""Lists the Swift functions longer than a limit (issue 13: functions stay under about 60 lines).

A function here is a `func`, an `init`/`deinit`, a `subscript`, a computed property or accessor
(`var x: T {`, `get {`, `set {`, ...) and a closure assigned to a property (`let x = {`,
`static let x: T = {`). Its length is the number of lines strictly between the line of its opening
brace and the line of its closing brace (blank and comment lines count). Strings, raw strings,
multi-line strings, interpolations and (nested) comments are skipped when matching braces.

Usage: long-functions.py [--max N] [--allow FILE] [PATH ...]   (default: --max 60 Sources)
Prints `file:line: Type.name is N lines long (limit M)` for each one over the limit that the
allow-list (by default scripts/long-functions.allow, beside this script) does not name, and exits 1
if there is any; `make lint` runs it. An allow-list line is `path:Type.name  # reason`; the reason
is required. Only the Python 3 standard library is used.
"""

import argparse
import os
import re
import sys

DECL = re.compile(
    r"""(?:^|[\s;{}])(?:
        func\s+(?P<func>[^\s(<]+)
      | (?P<init>init[?!]?)\s*[(<]
      | (?P<deinit>deinit)\b
      | (?P<subscript>subscript)\s*[(<]
      | (?P<accessor>get|set|willSet|didSet|_read|_modify)\s*(?:\([^)]*\)\s*)?(?=\{|$)
      | (?:struct|class|enum|extension|protocol|actor)\s+
        (?!(?:func|var|let|init|subscript|static|final)\b)(?P<type>[A-Za-z_][A-Za-z0-9_.]*)
      | (?:let|var)\s+(?P<property>[A-Za-z_][A-Za-z0-9_]*)\b
    )""",
    re.VERBOSE,
)

# Keywords before a `let`/`var` on its line that make it a binding of a condition or pattern.
CONDITION = re.compile(r"\b(?:if|guard|while|case|for|catch|switch)\b|,")


def strip_code(text):
    """Returns the text with the contents of strings and comments replaced by spaces.

    Line breaks are kept, so line numbers stay the same; braces inside string interpolations
    are kept, since they belong to code.
    """
    out = []
    i = 0
    n = len(text)
    # A stack of contexts: ("code", depth of parentheses for an interpolation) or
    # ("string", hashes, multiline).
    stack = [("code", None)]
    while i < n:
        ctx = stack[-1]
        c = text[i]
        if ctx[0] == "code":
            if text.startswith("//", i):
                j = text.find("\n", i)
                j = n if j < 0 else j
                out.append(" " * (j - i))
                i = j
                continue
            if text.startswith("/*", i):
                depth = 0
                j = i
                while j < n:
                    if text.startswith("/*", j):
                        depth += 1
                        j += 2
                    elif text.startswith("*/", j):
                        depth -= 1
                        j += 2
                        if depth == 0:
                            break
                    else:
                        j += 1
                out.append(re.sub(r"[^\n]", " ", text[i:j]))
                i = j
                continue
            m = re.match(r'(#*)("""|")', text[i:i + 64])
            if m:
                hashes = len(m.group(1))
                multiline = m.group(2) == '"""'
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
                stack.append(("string", hashes, multiline))
                continue
            if c == "(" and ctx[1] is not None:
                stack[-1] = ("code", ctx[1] + 1)
            elif c == ")" and ctx[1] is not None:
                if ctx[1] == 0:
                    stack.pop()
                    out.append(" ")
                    i += 1
                    continue
                stack[-1] = ("code", ctx[1] - 1)
            out.append(c)
            i += 1
            continue
        # Inside a string.
        _, hashes, multiline = ctx
        close = ('"""' if multiline else '"') + "#" * hashes
        escape = "\\" + "#" * hashes
        if text.startswith(close, i):
            out.append(" " * len(close))
            i += len(close)
            stack.pop()
            continue
        if text.startswith(escape + "(", i):
            out.append(" " * (len(escape) + 1))
            i += len(escape) + 1
            stack.append(("code", 0))
            continue
        if text.startswith(escape, i) and i + len(escape) < n:
            out.append(" " * len(escape))
            i += len(escape)
            out.append("\n" if text[i] == "\n" else " ")
            i += 1
            continue
        out.append("\n" if c == "\n" else " ")
        i += 1
    return "".join(out)


def functions(path):
    """Yields (line, name, length) for each function in the Swift file at path."""
    with open(path, encoding="utf-8") as f:
        code = strip_code(f.read())
    lines = code.split("\n")
    # The declaration seen most recently whose opening brace has not come yet.
    pending = None
    # One entry per open brace: (kind, name) of what it opens, or None, and its line.
    braces = []
    previous = ""
    for number, line in enumerate(lines, start=1):
        if number > 1 and lines[number - 2].strip():
            previous = lines[number - 2]
        decls = list(DECL.finditer(line))
        decl_col = 0
        if decls:
            m = decls[-1]
            kind = m.lastgroup
            pending = (kind, m.group(kind))
            decl_col = m.end()
            # `if let x {`, `guard let x = y`, `case let x`, or a binding continued from the
            # line before (`if a,\n let x {`) binds a name: it declares no property.
            if kind == "property" and (
                CONDITION.search(line[: m.start(kind)])
                or (not line[: m.start()].strip() and previous.rstrip().endswith((",", "&&", "||")))
            ):
                pending = None
        for col, c in enumerate(line):
            if c == "{":
                opened = None
                if pending is not None and col >= decl_col:
                    kind, raw = pending
                    if kind == "property":
                        # `var x: T {` (computed) or `let x = {` / `let x: T = {` (closure); a
                        # brace after `= [`, `(` or a call is not the property's body.
                        before = line[:col].rstrip()
                        if before.endswith("=") or not re.search(r"[=(\[]", line[decl_col:col]):
                            opened = (kind, raw)
                    elif kind == "accessor":
                        owner = next((b[0][1] for b in reversed(braces) if b[0] and b[0][0] != "type"), None)
                        opened = (kind, f"{owner}.{raw}" if owner else raw)
                    else:
                        opened = (kind, raw)
                    if opened and kind not in ("type", "accessor"):
                        # Named after the innermost type around it: `Type.name`.
                        owner = next((b[0][1] for b in reversed(braces) if b[0] and b[0][0] == "type"), None)
                        opened = (kind, f"{owner}.{raw}" if owner else raw)
                    pending = None
                braces.append((opened, number))
            elif c == "}":
                pending = None
                if not braces:
                    continue
                opened, start = braces.pop()
                if opened is None or opened[0] == "type":
                    continue
                yield start, opened[1], max(0, number - start - 1)
            elif c == ";":
                pending = None
        if pending is not None and pending[0] == "property" and "{" not in line:
            # A stored property without a body on this line: only a line ending in `=` or
            # an unfinished type can still be followed by its closure.
            if not re.search(r"[=:]\s*$", line):
                pending = None


def swift_files(paths):
    for root in paths:
        if os.path.isfile(root):
            yield root
            continue
        for directory, subdirs, files in os.walk(root):
            subdirs.sort()
            for name in sorted(files):
                if name.endswith(".swift"):
                    yield os.path.join(directory, name)


def read_allow_list(path):
    allowed = {}
    if not os.path.exists(path):
        return allowed
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            entry, _, reason = line.partition("#")
            if not reason.strip():
                sys.exit(f"{path}:{number}: an allow-list entry needs a reason after '#'")
            allowed[entry.strip()] = reason.strip()
    return allowed


def main():
    parser = argparse.ArgumentParser(description="List Swift functions longer than a limit.")
    parser.add_argument("--max", type=int, default=60, help="the longest body allowed, in lines")
    parser.add_argument(
        "--allow",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "long-functions.allow"),
        help="an allow-list file: `path:Type.name  # reason` per line",
    )
    parser.add_argument("paths", nargs="*", default=["Sources"])
    args = parser.parse_args()
    allowed = read_allow_list(args.allow)
    found = []
    scanned = set()
    used = set()
    for path in swift_files(args.paths):
        scanned.add(path)
        for line, name, length in functions(path):
            if length <= args.max:
                continue
            if f"{path}:{name}" in allowed:
                used.add(f"{path}:{name}")
            else:
                found.append((path, line, name, length))
    for path, line, name, length in sorted(found):
        print(f"{path}:{line}: {name} is {length} lines long (limit {args.max}); split it into named steps")
    # An entry for a function that is gone or short now would let a new long one of its name in.
    stale = [e for e in allowed if e.rpartition(":")[0] in scanned and e not in used]
    for entry in sorted(stale):
        print(f"{os.path.relpath(args.allow)}: {entry} is no longer over {args.max} lines; remove its entry")
    return 1 if found or stale else 0


if __name__ == "__main__":
    sys.exit(main())
