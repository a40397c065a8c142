#!/bin/sh
# Toolchain benchmarks, run by hand (never by the tests). Prints a Markdown table for docs/benchmarks.md.
#
#   bench/toolchain.sh [REPRO] [WORKDIR]
#
# REPRO defaults to the release build (.build/release/repro); WORKDIR (default /tmp/repro-bench) must be on
# the filesystem to measure, and needs about 1.3 GB free per run, plus 2 GB. Each figure is the median of RUNS (default 5) runs,
# with repro and its baseline run alternately in the same loop, so both see the same machine state.
#  1. unpack: `repro toolchain fetch` of a ~150 MB .tar.gz whose blob is already cached (so it only unpacks,
#     then walks and hashes the tree to record its t1 digest) vs `bsdtar -xf` of the same archive,
#     after one uncounted warm-up pair; also the median of the per-pair ratios.
#  2. hashing a 1 GiB blob: `repro toolchain hash` vs `sha256sum`.
#  3. warm fetch (cache hit) of a spec whose tree has 20,000 files vs the bare process start `repro --version`.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
repro=${1:-$here/.build/release/repro}
work=${2:-/tmp/repro-bench}
runs=${RUNS:-5}
[ -x "$repro" ] || { echo "error: $repro is not built; run: swift build -c release" >&2; exit 2; }
repro=$(cd "$(dirname "$repro")" && pwd)/$(basename "$repro")
command -v bsdtar >/dev/null || { echo "error: bsdtar is missing; apt-get install libarchive-tools" >&2; exit 2; }

mkdir -p "$work"
cd "$work"

# Milliseconds taken by a command (output discarded).
ms() {
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "error: $* failed; run it by hand to see why" >&2; exit 1; }
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
# The median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# The smallest of the numbers on stdin.
least() { sort -n | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# 1. A ~150 MB .tar.gz of real binaries and headers, packed by repro itself.
if [ ! -f usr.tar.gz ]; then
    rm -rf usr-src && mkdir -p usr-src
    cp -a /usr/bin /usr/include usr-src/
    "$repro" toolchain pack usr-src -o usr.tar.gz >/dev/null
fi
usr_sha=$(sha256sum usr.tar.gz | cut -c1-64)
usr_files=$(bsdtar -tf usr.tar.gz | wc -l)
usr_mb=$(($(stat -c %s usr.tar.gz) / 1048576))
printf 'name = "bench-usr"\n[[source]]\nurl = "file://%s/usr.tar.gz"\nsha256 = "%s"\n' "$work" "$usr_sha" > usr.toml
: > unpack-repro.txt; : > unpack-bsdtar.txt; : > unpack-pairs.txt
# Every run unpacks into its own new directory and nothing is deleted until all runs are done: ext4
# makes inode allocation slow for minutes after many deletions (fs/ext4/ialloc.c recently_deleted),
# which would swamp the difference being measured.
rm -rf u-*
# Round -1 is a warm-up, not counted: the first unpack after the deletions above is slowed by ext4
# for whichever program goes first.
i=-1
while [ $i -lt "$runs" ]; do
    mkdir -p "u-$i/repro/blobs/sha256" "u-$i/bsdtar"
    cp usr.tar.gz "u-$i/repro/blobs/sha256/$usr_sha"
    sync
    # Alternate which one goes first, so neither always inherits the other's writeback.
    if [ $((i % 2)) -eq 0 ]; then
        r=$(ms "$repro" toolchain fetch --cache "u-$i/repro" ./usr.toml); sync
        b=$(ms bsdtar -xf usr.tar.gz -C "u-$i/bsdtar"); sync
    else
        b=$(ms bsdtar -xf usr.tar.gz -C "u-$i/bsdtar"); sync
        r=$(ms "$repro" toolchain fetch --cache "u-$i/repro" ./usr.toml); sync
    fi
    [ -n "$r" ] && [ -n "$b" ] || { echo "error: an unpack failed (round $i)" >&2; exit 1; }
    if [ $i -ge 0 ]; then
        echo "$r" >> unpack-repro.txt; echo "$b" >> unpack-bsdtar.txt
        ratio "$r" "$b" >> unpack-pairs.txt; echo >> unpack-pairs.txt
    fi
    i=$((i + 1))
done
unpack_repro=$(median < unpack-repro.txt); unpack_bsdtar=$(median < unpack-bsdtar.txt)
# The ratio of each pair run back to back, whose two runs saw the same machine state.
unpack_pairs=$(sort -n unpack-pairs.txt | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
rm -rf u-*

# 2. Hashing a 1 GiB blob.
[ -f blob-1g ] || head -c 1073741824 /dev/urandom > blob-1g
: > hash-repro.txt; : > hash-sha256sum.txt
i=0
while [ $i -lt "$runs" ]; do
    ms "$repro" toolchain hash blob-1g >> hash-repro.txt
    ms sha256sum blob-1g >> hash-sha256sum.txt
    i=$((i + 1))
done
hash_repro=$(median < hash-repro.txt); hash_sha=$(median < hash-sha256sum.txt)

# 3. Warm fetch of a 20,000-file tree.
if [ ! -f many.tar ]; then
    rm -rf many && mkdir many
    d=0
    while [ $d -lt 100 ]; do
        mkdir "many/d$d"
        f=0
        while [ $f -lt 200 ]; do echo "$d $f" > "many/d$d/f$f"; f=$((f + 1)); done
        d=$((d + 1))
    done
    "$repro" toolchain pack many -o many.tar >/dev/null
fi
many_sha=$(sha256sum many.tar | cut -c1-64)
printf 'name = "bench-many"\n[[source]]\nurl = "file://%s/many.tar"\nsha256 = "%s"\n' "$work" "$many_sha" > many.toml
rm -rf c-warm
"$repro" toolchain fetch --cache c-warm ./many.toml >/dev/null 2>&1
: > warm-repro.txt; : > warm-start.txt
i=0
while [ $i -lt $((runs * 4)) ]; do
    ms "$repro" toolchain fetch --cache c-warm ./many.toml >> warm-repro.txt
    ms "$repro" --version >> warm-start.txt
    i=$((i + 1))
done
warm_repro=$(median < warm-repro.txt); warm_start=$(median < warm-start.txt)
many_files=$(find c-warm/trees/"$many_sha" -type f | wc -l)

echo "All runs (ms): repro unpack $(tr '\n' ' ' < unpack-repro.txt)| bsdtar $(tr '\n' ' ' < unpack-bsdtar.txt)"
echo
echo "Machine: $(nproc) cores, $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') at $work; median of $runs runs ($((runs * 4)) for the warm fetch)."
echo
echo "| What | repro | Baseline | Ratio | Target |"
echo "|---|---|---|---|---|"
echo "| Unpack ${usr_mb} MB .tar.gz, ${usr_files} entries (incl. t1 digest of the tree), median | ${unpack_repro} ms | \`bsdtar -xf\` ${unpack_bsdtar} ms | $(ratio "$unpack_repro" "$unpack_bsdtar")x | ≤ 1.15x |"
echo "| Same, median of the per-pair ratios | | | ${unpack_pairs}x | |"
echo "| Same, fastest run of each | $(least < unpack-repro.txt) ms | $(least < unpack-bsdtar.txt) ms | $(ratio "$(least < unpack-repro.txt)" "$(least < unpack-bsdtar.txt)")x | |"
echo "| Hash a 1 GiB blob | ${hash_repro} ms | \`sha256sum\` ${hash_sha} ms | $(ratio "$hash_repro" "$hash_sha")x | ≤ 1.2x |"
echo "| Warm fetch, tree of ${many_files} files | ${warm_repro} ms | \`repro --version\` ${warm_start} ms | $(ratio "$warm_repro" "$warm_start")x | < 50 ms |"
