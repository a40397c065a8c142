#!/usr/bin/python3
"""Prints this machine's enabled apt sources for one Debian suite as a deb822 sources file.

Usage: scripts/host-apt-sources.py SUITE [deb|deb-src]

Reads /etc/apt/sources.list, /etc/apt/sources.list.d/*.list (one-line format) and
/etc/apt/sources.list.d/*.sources (deb822), keeps the enabled entries whose suite is SUITE or
SUITE-something (SUITE-updates, SUITE-security, ...), and prints them as deb822 stanzas of the
requested type (default deb; deb-src turns binary entries into source entries). Entries for other
suites (third-party repositories, other releases) are left out, so nothing but the named release
is fetched. Exits 1 with a message when no entry matches.
"""

import glob
import re
import sys

ETC = "/etc/apt"


def suite_matches(suite, wanted):
    """Whether a suite name belongs to the wanted release."""
    return suite == wanted or suite.startswith(wanted + "-") or suite.startswith(wanted + "/")


def one_line_entries(path):
    """Yields (uri, suite, components, options) from a one-line sources.list file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
            if not m or m.group(1) != "deb":
                continue
            options = {}
            for opt in (m.group(2) or "").split():
                if "=" in opt:
                    key, value = opt.split("=", 1)
                    options[key.lower()] = value.replace(",", " ")
            yield m.group(3), m.group(4), m.group(5).split(), options


def deb822_stanzas(path):
    """Yields each stanza of a deb822 file as a dict of lower-case field names to values."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for block in re.split(r"\n\s*\n", text):
        fields, key = {}, None
        for line in block.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                # Continuation lines (an inline Signed-By key, long lists) keep their own lines.
                fields[key] += "\n " + line.strip()
                continue
            if ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields:
            yield fields


def main():
    if len(sys.argv) < 2 or len(sys.argv) > 3 or (len(sys.argv) == 3 and sys.argv[2] not in ("deb", "deb-src")):
        sys.stderr.write("usage: host-apt-sources.py SUITE [deb|deb-src]\n")
        return 2
    wanted, kind = sys.argv[1], (sys.argv[2] if len(sys.argv) == 3 else "deb")
    stanzas = []

    lists = [ETC + "/sources.list"] + sorted(glob.glob(ETC + "/sources.list.d/*.list"))
    for path in lists:
        try:
            entries = list(one_line_entries(path))
        except FileNotFoundError:
            continue
        for uri, suite, components, options in entries:
            if not suite_matches(suite, wanted):
                continue
            stanza = {"uris": uri, "suites": suite, "components": " ".join(components)}
            if "signed-by" in options:
                stanza["signed-by"] = options["signed-by"]
            if "arch" in options:
                stanza["architectures"] = options["arch"]
            stanzas.append(stanza)

    for path in sorted(glob.glob(ETC + "/sources.list.d/*.sources")):
        for fields in deb822_stanzas(path):
            if fields.get("enabled", "yes").lower() == "no":
                continue
            if "deb" not in fields.get("types", "").split():
                continue
            suites = [s for s in fields.get("suites", "").split() if suite_matches(s, wanted)]
            if "uris" in fields:
                fields["uris"] = " ".join(fields["uris"].split())
            if not suites or "uris" not in fields:
                continue
            stanza = {"uris": fields["uris"], "suites": " ".join(suites),
                      "components": fields.get("components", "main")}
            for key in ("signed-by", "architectures"):
                if key in fields:
                    stanza[key] = fields[key]
            stanzas.append(stanza)

    if not stanzas:
        sys.stderr.write(f"error: no enabled apt source for {wanted} under {ETC}; add one, or name a "
                         "sources file that reaches a Debian archive with REPRO_APT_SOURCES\n")
        return 1
    names = {"uris": "URIs", "suites": "Suites", "components": "Components",
             "signed-by": "Signed-By", "architectures": "Architectures"}
    out = []
    for stanza in stanzas:
        lines = [f"Types: {kind}"] + [f"{names[k]}: {v}" for k, v in stanza.items()]
        out.append("\n".join(lines))
    sys.stdout.write("\n\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
