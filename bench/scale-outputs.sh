#!/bin/bash
# Cost of `repro check` on a build with large outputs (1 GiB in one file plus 20,000 small files in
# 100 directories), against the floor for the same work on the host: the same build twice, each in
# a fresh copy of the source on a tmpfs, each run's outputs hashed (`openssl dgst -sha256`, which
# uses the CPU's SHA extensions as repro does), and run 1's outputs copied once to the destination
# disk (`cp -a`). Measured side by side in one run: the rounds alternate (baseline, repro, old repro,
# ...) so that load from elsewhere falls on all alike; the figures are medians. Needs root (the
# baseline mounts its tmpfs).
#
# Usage: [OLD_REPRO=path/to/an/earlier/repro] bench/scale-outputs.sh [ROUNDS]   (default 5)
# Run by hand; the figures go in docs/benchmarks.md.
. "$(dirname "$0")/scale-lib.sh"
rounds="${1:-5}"
project="$work/project"
mkdir -p "$project" "$work/tmpfs"
cat > "$project/build.sh" <<'SH'
d=0
while [ $d -lt 100 ]; do
    mkdir -p out/small/d$d
    i=0
    while [ $i -lt 200 ]; do echo "$d $i" > out/small/d$d/f$i; i=$((i+1)); done
    d=$((d+1))
done
dd if=/dev/zero of=out/big bs=1M count=1024 2>/dev/null
SH
cat > "$project/repro.toml" <<'TOML'
[build]
command = ["sh", "build.sh"]
outputs = ["out"]
toolchains = ["busybox"]
[source]
date_epoch = 1700000000
TOML
mount -t tmpfs -o size=3g tmpfs "$work/tmpfs"

baseline() {
    for i in 1 2; do
        rm -rf "$work/tmpfs/run"
        cp -a "$project" "$work/tmpfs/run"
        (cd "$work/tmpfs/run" && busybox sh build.sh && find out -type f -print0 | sort -z | xargs -0 openssl dgst -sha256 >/dev/null)
        if [ "$i" = 1 ]; then rm -rf "$work/dest-base"; cp -a "$work/tmpfs/run/out" "$work/dest-base"; fi
    done
    rm -rf "$work/tmpfs/run"
}
check() { "$1" check "$project" --output "$work/dest-$2"; }

start_load=$(load)
: > "$work/base.t"; : > "$work/new.t"; : > "$work/old.t"
baseline >/dev/null; check "$repro" new >/dev/null 2>&1; [ -z "$old" ] || check "$old" old >/dev/null 2>&1
for round in $(seq "$rounds"); do
    echo "round $round/$rounds" >&2
    seconds baseline >> "$work/base.t"
    seconds check "$repro" new >> "$work/new.t"
    [ -z "$old" ] || seconds check "$old" old >> "$work/old.t"
done
b=$(median < "$work/base.t"); n=$(median < "$work/new.t")
echo "load average (1 min) at the start: $start_load, at the end: $(load)"
echo "runs (s), in order: baseline $(tr '\n' ' ' < "$work/base.t")| repro $(tr '\n' ' ' < "$work/new.t")${old:+| old repro $(tr '\n' ' ' < "$work/old.t")}"
echo "| what (median of $rounds rounds) | seconds | ratio to the baseline |"
echo "|---|---|---|"
echo "| the build twice in a tmpfs, outputs hashed, run 1's copied to disk | $(printf %.2f "$b") | 1.00 |"
echo "| repro check --output DIR | $(printf %.2f "$n") | $(ratio "$n" "$b") |"
if [ -n "$old" ]; then o=$(median < "$work/old.t"); echo "| repro check --output DIR, earlier binary | $(printf %.2f "$o") | $(ratio "$o" "$b") |"; fi
