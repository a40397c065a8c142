#!/bin/bash
# Speed of `repro check` on a real C build (zstd 1.5.4, from bench/fetch-bench-project.sh), measured
# side by side in one run against:
#   bare       the same build twice on the host, each in a fresh copy of the source: the floor
#   reprotest  reprotest 0.7 with no variations (--vary=-all) and its null server: the same two builds
# The rounds are interleaved (bare, repro, reprotest, bare, ...) so that load from elsewhere falls on
# all three alike; the figures are medians. Then repro's own overhead per check on a trivial build
# (`true`, same toolchain), with hyperfine.
#
# Usage: bench/check.sh [ROUNDS]     (default 3; needs hyperfine and reprotest: apt-get install ...)
# Run by hand; the figures go in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
repro="${REPRO_BIN:-$(swift build -c release --show-bin-path)/repro}"
[ -x "$repro" ] || { echo "error: build repro first: swift build -c release" >&2; exit 2; }
for tool in hyperfine reprotest; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing: apt-get install $tool" >&2; exit 2; }
done

work="$(mktemp -d /tmp/repro-bench-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT
project="$(bench/fetch-bench-project.sh "$PWD/bench/work")"
export REPRO_TOOLCHAIN_PATH="$work/specs"
scripts/base-toolchain.sh "$REPRO_TOOLCHAIN_PATH" >/dev/null
build=(make -j2 -C programs zstd HAVE_ZLIB=0 HAVE_LZMA=0 HAVE_LZ4=0)

# Warm the toolchain cache (fetch and unpack happen once; the figures are for a cached toolchain).
"$repro" toolchain fetch debian-bookworm-build >/dev/null

bare() {
    for i in 1 2; do
        rm -rf "$work/bare"
        git clone -q "$project" "$work/bare"
        (cd "$work/bare" && SOURCE_DATE_EPOCH=1700000000 "${build[@]}" >/dev/null 2>&1)
    done
}
check() {
    "$repro" check "$project" --output "$work/out" >/dev/null 2>&1
}
reprotest_run() {
    rm -rf "$work/rt"
    git clone -q "$project" "$work/rt"
    (cd "$work/rt" && reprotest --vary=-all --no-diffoscope --store-dir "$work/rt-store" \
        "${build[*]}" programs/zstd >/dev/null 2>&1)
    rm -rf "$work/rt-store"
}
seconds() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: > "$work/bare.t"; : > "$work/repro.t"; : > "$work/reprotest.t"
for round in $(seq "$rounds"); do
    echo "round $round/$rounds" >&2
    seconds bare >> "$work/bare.t"
    seconds check >> "$work/repro.t"
    seconds reprotest_run >> "$work/reprotest.t"
done
b=$(median < "$work/bare.t"); r=$(median < "$work/repro.t"); t=$(median < "$work/reprotest.t")

# Overhead for a trivial build: `true` on the same toolchain, nothing to compile.
trivial="$work/trivial"
mkdir -p "$trivial"
printf '[build]\ncommand = ["sh", "-c", "mkdir -p out && : > out/empty"]\noutputs = ["out"]\ntoolchains = ["debian-bookworm-build"]\n[source]\ndate_epoch = 1700000000\n' > "$trivial/repro.toml"
hyperfine --warmup 2 --runs 20 --export-json "$work/trivial.json" "$repro check $trivial --output $work/tout" >&2
o=$(python3 -c "import json; print(json.load(open('$work/trivial.json'))['results'][0]['median'])")

cat <<TABLE
| what (median of $rounds rounds, zstd 1.5.4, -j2) | seconds | ratio to bare |
|---|---|---|
| the build twice, bare on the host | $(printf %.2f "$b") | 1.00 |
| repro check (2 sandboxed runs, toolchain cached) | $(printf %.2f "$r") | $(echo "scale=3; $r / $b" | bc) |
| reprotest --vary=-all (2 builds, null server) | $(printf %.2f "$t") | $(echo "scale=3; $t / $b" | bc) |

repro check of a trivial build (one empty file), median of 20: $(printf %.3f "$o") s
TABLE
