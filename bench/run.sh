#!/usr/bin/env bash
# bench/run.sh: start-to-exit of `repro run -- /bin/true` on an unpacked tree, against
# bubblewrap on the same tree (`bwrap --unshare-all --die-with-parent --ro-bind TREE / /bin/true`),
# measured side by side in one hyperfine run, as root and as an unprivileged user.
# Two more rows show where repro's time goes before it does any sandbox work:
#   `repro --version`   process start of the repro binary and the argument parser
#   shared libraries    an empty C program linked against the same shared libraries as repro
#                       (the DT_NEEDED list of the binary): what loading them alone costs
# Run by hand (not a test): bench/run.sh [RUNS]. Needs hyperfine, bubblewrap, busybox-static, a C
# compiler, and libcurl4-openssl-dev (FoundationNetworking links libcurl in a static-stdlib build).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
for tool in hyperfine bwrap busybox setpriv cc readelf python3; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (apt-get install hyperfine bubblewrap busybox-static util-linux gcc binutils python3)" >&2; exit 2; }
done
[ -e /usr/lib/x86_64-linux-gnu/libcurl.so ] || [ -e /usr/lib/"$(uname -m)"-linux-gnu/libcurl.so ] ||
    { echo "bench/run.sh: libcurl.so is missing, the static-stdlib link needs it (apt-get install libcurl4-openssl-dev)" >&2; exit 2; }
flags=(-c release --static-swift-stdlib)
swift build "${flags[@]}" --product repro >&2
bin="$(swift build "${flags[@]}" --show-bin-path)/repro"

work=$(mktemp -d /tmp/repro-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/tree/bin"
cp /bin/busybox "$work/tree/bin/busybox"
for applet in true sh; do ln -s busybox "$work/tree/bin/$applet"; done
cp "$bin" "$work/repro"
chmod 755 "$work/repro"

# An empty program that loads exactly the shared libraries repro loads.
needed=()
while read -r lib; do
    case "$lib" in libc.so.*|ld-linux*) ;; *) needed+=("-l:$lib") ;; esac
done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo 'int main(void) { return 0; }' > "$work/empty.c"
cc -O2 -o "$work/libs-only" "$work/empty.c" -Wl,--no-as-needed "${needed[@]}"

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

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -sr), $(nproc) CPUs, $(bwrap --version), hyperfine $(hyperfine --version | cut -d' ' -f2)"
echo "# repro loads $(ldd "$bin" | grep -c "=>") shared libraries, directly: ${needed[*]#-l:}"
echo "## as root"
hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/root.json" \
    -n "repro run" "$work/repro run --tree $work/tree -- /bin/true" \
    -n "repro run --profile strict" "$work/repro run --profile strict --tree $work/tree -- /bin/true" \
    -n "bwrap" "bwrap --unshare-all --die-with-parent --ro-bind $work/tree / /bin/true" \
    -n "repro --version (process start only)" "$work/repro --version" \
    -n "shared libraries only (empty C program)" "$work/libs-only" >&2
table "$work/root.json"
echo "## as nobody (setpriv)"
asuser=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/user.json" \
    -n "repro run" "${asuser[*]} $work/repro run --tree $work/tree -- /bin/true" \
    -n "bwrap" "${asuser[*]} bwrap --unshare-all --die-with-parent --ro-bind $work/tree / /bin/true" >&2
table "$work/user.json"
