#!/usr/bin/env bash
# bench/run.sh: start-to-exit of `repro run -- /bin/true` on an unpacked tree, against
# bubblewrap on the same tree (`bwrap --unshare-all --die-with-parent --ro-bind TREE / /bin/true`),
# measured side by side in one hyperfine run, as root and as an unprivileged user.
# One more row shows what repro's process start costs before it does any sandbox work:
#   `repro --version`   start of the (static) repro binary and its full argument parser
# Run by hand (not a test): bench/run.sh [RUNS]. Needs hyperfine, bubblewrap, busybox-static and
# the static libraries of a release build (scripts/install-deps.sh build).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
for tool in hyperfine bwrap busybox setpriv python3; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (apt-get install hyperfine bubblewrap busybox-static util-linux python3)" >&2; exit 2; }
done
scripts/install-deps.sh build
make release >&2
bin="$(swift build -c release --show-bin-path)/repro"

work=$(mktemp -d /tmp/repro-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/tree/bin"
cp /bin/busybox "$work/tree/bin/busybox"
for applet in true sh; do ln -s busybox "$work/tree/bin/$applet"; done
cp "$bin" "$work/repro"
chmod 755 "$work/repro"

# A markdown table of hyperfine's JSON export: mean, median, min, and the median relative to bwrap's
# (medians, because other work on a shared machine inflates a few runs and with them the means).
table() {
    python3 - "$1" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = next(r for r in results if r["command"] == "bwrap")
print("| command | mean [ms] | median [ms] | min [ms] | median relative to bwrap |")
print("|:---|---:|---:|---:|---:|")
for r in results:
    rel = "1.00" if r is base else f"{r['median'] / base['median']:.2f}"
    print(f"| `{r['command']}` | {r['mean'] * 1e3:.1f} ± {r['stddev'] * 1e3:.1f} | {r['median'] * 1e3:.1f} | {r['min'] * 1e3:.1f} | {rel} |")
PY
}

# From a directory of its own: a profiles/ directory in the current directory (as in this
# repository) would make repro read its profile from TOML instead of the built-in value.
cd "$work"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -sr), $(nproc) CPUs, $(bwrap --version), hyperfine $(hyperfine --version | cut -d' ' -f2)"
echo "# repro: $({ ldd "$bin" 2>&1 || true; } | grep -q "not a dynamic executable" && echo "static executable" || echo "dynamically linked"), $(du -h "$bin" | cut -f1)"
echo "## as root"
hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/root.json" \
    -n "repro run" "$work/repro run --tree $work/tree -- /bin/true" \
    -n "repro run --profile strict" "$work/repro run --profile strict --tree $work/tree -- /bin/true" \
    -n "bwrap" "bwrap --unshare-all --die-with-parent --ro-bind $work/tree / /bin/true" \
    -n "repro --version (process start only)" "$work/repro --version" >&2
table "$work/root.json"
echo "## as nobody (setpriv)"
asuser=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/user.json" \
    -n "repro run" "${asuser[*]} $work/repro run --tree $work/tree -- /bin/true" \
    -n "bwrap" "${asuser[*]} bwrap --unshare-all --die-with-parent --ro-bind $work/tree / /bin/true" >&2
table "$work/user.json"
