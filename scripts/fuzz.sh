#!/bin/sh
# `make fuzz`: builds the fuzz targets with libFuzzer (fuzz/Package.swift, in .build-fuzz) and
# runs each for FUZZ_SECONDS (default 60), starting from the committed seeds in
# fuzz/corpus/TARGET and the committed findings in fuzz/regressions/TARGET. New inputs that
# reach new code go to .build-fuzz/corpus/TARGET (kept between runs, never committed by this
# script); a crash, trap, timeout or memory blow-up is written to .build-fuzz/findings/ and
# makes the run fail. FUZZ_TARGETS picks targets (default: all); FUZZ_JOBS runs that many
# processes per target in parallel (default 1).
set -eu
swift=${SWIFT:-swift}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$root/.build-fuzz
$swift build --package-path "$root/fuzz" --scratch-path "$scratch" -c release --sanitize=fuzzer
bin=$($swift build --package-path "$root/fuzz" --scratch-path "$scratch" -c release --sanitize=fuzzer --show-bin-path)/repro-fuzz
targets=${FUZZ_TARGETS:-$(ls "$root/fuzz/corpus")}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/repro-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$scratch/findings"
failed=""
for target in $targets; do
    [ -d "$root/fuzz/corpus/$target" ] || { echo "fuzz: no target $target (fuzz/corpus/$target)" >&2; exit 2; }
    mkdir -p "$scratch/corpus/$target" "$tmp/$target"
    dirs="$scratch/corpus/$target $root/fuzz/corpus/$target"
    [ -d "$root/fuzz/regressions/$target" ] && dirs="$dirs $root/fuzz/regressions/$target"
    parallel=""
    [ "$jobs" -gt 1 ] && parallel="-jobs=$jobs -workers=$jobs"
    echo "fuzz: $target for $seconds s"
    # Swift's own backtracer would take seconds per crash; libFuzzer reports it.
    # shellcheck disable=SC2086
    if ! (cd "$tmp/$target" && TMPDIR=$tmp/$target SWIFT_BACKTRACE=enable=no REPRO_FUZZ_TARGET=$target "$bin" \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len=65536 \
        $parallel -print_final_stats=1 \
        -artifact_prefix="$scratch/findings/$target-" $dirs >"$tmp/$target.log" 2>&1); then
        failed="$failed $target"
        grep -E "ERROR|Fatal error|SUMMARY|Test unit written|precondition|Swift runtime" "$tmp/$target.log" | head -20 >&2 || true
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov: .*ft:" "$tmp/$target.log" | tail -3 || true
done
if [ -n "$failed" ]; then
    echo "fuzz: findings in:$failed (inputs in .build-fuzz/findings/; replay one with REPRO_FUZZ_TARGET=NAME $bin FILE)" >&2
    exit 1
fi
echo "fuzz: no findings"
