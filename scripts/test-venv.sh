#!/bin/sh
# Builds the git-ignored virtual environment .build-venv/ with the independent DSSE and Ed25519
# implementations the interoperability tests run, and actionlint for the example workflows
# (scripts/interop-requirements.txt), from PyPI.
# Usage: scripts/test-venv.sh   (make test runs it; prints the venv's python on success)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.build-venv"
req="$root/scripts/interop-requirements.txt"
stamp="$venv/.requirements"
fail() {
    echo "error: cannot build the interoperability test environment $venv: $1" >&2
    echo "The signing interoperability tests need it and will fail without it; fix the cause and rerun 'make test'." >&2
    exit 2
}
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp" \
    && "$venv/bin/python" -c 'import securesystemslib.dsse, cryptography, jsonschema' 2>/dev/null \
    && "$venv/bin/actionlint" -version >/dev/null 2>&1; then
    echo "$venv/bin/python"
    exit 0
fi
command -v python3 >/dev/null || fail "python3 is not installed (apt-get install python3 python3-venv)"
rm -rf "$venv"
python3 -m venv "$venv" >&2 || fail "python3 -m venv failed (on Debian: apt-get install python3-venv)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2 \
    || fail "pip could not install $(grep -v '^#' "$req" | tr '\n' ' ')from PyPI (is PyPI reachable?)"
"$venv/bin/python" -c 'import securesystemslib.dsse, cryptography, jsonschema' || fail "the installed packages do not import"
"$venv/bin/actionlint" -version >/dev/null || fail "the installed actionlint does not run"
cp "$req" "$stamp"
echo "$venv/bin/python"
