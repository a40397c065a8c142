#!/bin/sh
# Debian lock benchmark, run by hand (never by the tests). Prints a Markdown table for docs/benchmarks.md.
#
#   bench/debian-lock.sh [REPRO] [WORKDIR]
#
# Fetching a locked minbase + build-essential set (about 145 .debs) from a local mirror into an empty
# cache (download, pin check, per-package unpack, merge, recorded rules, t1 digest of the tree) against
# `mmdebstrap --variant=minbase --include=build-essential bookworm OUT.tar` from the same local mirror,
# run alternately in one loop (apt reads the mirror through copy://, its way of reading a local
# directory as a download); and the cache hit of the same spec against `repro --version`.
# The local mirror is made once (network): the real signed InRelease and Packages.xz of bookworm,
# bookworm-updates and bookworm-security (so apt inside mmdebstrap verifies them as usual), and a pool
# with every .deb of a lock made now. mmdebstrap runs as root (its default mode); needs ~3 GB free.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
repro=${1:-$here/.build/release/repro}
work=${2:-/tmp/repro-bench-debian}
runs=${RUNS:-5}
[ -x "$repro" ] || { echo "error: $repro is not built; run: swift build -c release" >&2; exit 2; }
repro=$(cd "$(dirname "$repro")" && pwd)/$(basename "$repro")
command -v mmdebstrap >/dev/null || { echo "error: mmdebstrap is missing; apt-get install mmdebstrap" >&2; exit 2; }
arch=$(dpkg --print-architecture)
mkdir -p "$work"
cd "$work"

ms() {
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "error: $* failed; run it by hand to see why" >&2; exit 1; }
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# The local mirror, made once.
if [ ! -f mirror/ready ]; then
    rm -rf mirror seed
    "$repro" toolchain lock bench --suite bookworm --include build-essential --architecture "$arch" -o bench.toml
    "$repro" toolchain fetch bench.toml --cache seed >/dev/null
    for pair in debian:bookworm debian:bookworm-updates debian-security:bookworm-security; do
        base=${pair%%:*}; suite=${pair#*:}
        mkdir -p "mirror/$base/dists/$suite/main/binary-$arch"
        curl -fsS -o "mirror/$base/dists/$suite/InRelease" "http://deb.debian.org/$base/dists/$suite/InRelease"
        curl -fsS -o "mirror/$base/dists/$suite/main/binary-$arch/Packages.xz" "http://deb.debian.org/$base/dists/$suite/main/binary-$arch/Packages.xz"
    done
    # Every .deb of the lock at its pool path (security packages under debian-security).
    awk -F'"' '/^path = /{p=$2} /^sha256 = /{print p, $2}' bench.toml | while read -r path sha; do
        case $path in pool/updates/*) base=debian-security ;; *) base=debian ;; esac
        mkdir -p "mirror/$base/$(dirname "$path")"
        cp "seed/blobs/sha256/$sha" "mirror/$base/$path"
    done
    # mmdebstrap may want .debs outside the lock (it installs usrmerge where the lock takes
    # usr-is-merged): one uncounted run names the missing files, which are downloaded once.
    cat > sources.list <<LIST
deb copy://$work/mirror/debian bookworm main
deb copy://$work/mirror/debian bookworm-updates main
deb copy://$work/mirror/debian-security bookworm-security main
LIST
    mmdebstrap --variant=minbase --include=build-essential --architectures="$arch" bookworm probe.tar sources.list 2>probe.log || true
    grep -o "File not found - $work/mirror/[^ ]*" probe.log | sed "s|File not found - $work/mirror/||" | sort -u | while read -r path; do
        mkdir -p "mirror/$(dirname "$path")"
        curl -fsS -o "mirror/$path" "http://deb.debian.org/$path"
    done
    rm -f probe.tar probe.log
    touch mirror/ready
fi
packages=$(grep -c '^\[\[package\]\]' bench.toml)
cat > sources.list <<LIST
deb copy://$work/mirror/debian bookworm main
deb copy://$work/mirror/debian bookworm-updates main
deb copy://$work/mirror/debian-security bookworm-security main
LIST

: > fetch-repro.txt; : > fetch-mmdebstrap.txt; : > pairs.txt
rm -rf c-* m-*
i=-1
while [ $i -lt "$runs" ]; do
    rm -rf "c-$i" "m-$i.tar"
    if [ $((i % 2)) -eq 0 ]; then
        r=$(ms "$repro" toolchain fetch bench.toml --cache "c-$i" --debian-mirror "file://$work/mirror/debian" --debian-mirror "file://$work/mirror/debian-security"); sync
        m=$(ms mmdebstrap --variant=minbase --include=build-essential --architectures="$arch" bookworm "m-$i.tar" sources.list); sync
    else
        m=$(ms mmdebstrap --variant=minbase --include=build-essential --architectures="$arch" bookworm "m-$i.tar" sources.list); sync
        r=$(ms "$repro" toolchain fetch bench.toml --cache "c-$i" --debian-mirror "file://$work/mirror/debian" --debian-mirror "file://$work/mirror/debian-security"); sync
    fi
    if [ $i -ge 0 ]; then
        echo "$r" >> fetch-repro.txt; echo "$m" >> fetch-mmdebstrap.txt
        ratio "$r" "$m" >> pairs.txt; echo >> pairs.txt
    fi
    [ $i -ge 0 ] && [ $i -lt $((runs - 1)) ] && rm -rf "c-$i" "m-$i.tar"
    i=$((i + 1))
done
last=$((runs - 1))
hit=$(for _ in 1 2 3 4 5 6 7; do ms "$repro" toolchain fetch bench.toml --cache "c-$last"; done | median)
start=$(for _ in 1 2 3 4 5 6 7; do ms "$repro" --version; done | median)
mm_packages=$(tar -xOf "m-$last.tar" ./var/lib/dpkg/status | grep -c '^Package:')
repro_r=$(median < fetch-repro.txt); mm_r=$(median < fetch-mmdebstrap.txt)
pairs=$(sort -n pairs.txt | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "repro runs (ms): $(tr '\n' ' ' < fetch-repro.txt)"
echo "mmdebstrap runs (ms): $(tr '\n' ' ' < fetch-mmdebstrap.txt)"
echo
echo "| What | repro | Baseline | Ratio | Target |"
echo "|---|---|---|---|---|"
echo "| Fetch a locked minbase + build-essential set ($packages .debs) from a local mirror into an empty cache, median | $repro_r ms | mmdebstrap ($mm_packages packages) into a tarball $mm_r ms | $(ratio "$repro_r" "$mm_r")x | ≤ 1.3x |"
echo "| Same, median of the per-pair ratios | | | ${pairs}x | |"
echo "| Cache hit of that spec | $hit ms | \`repro --version\` $start ms | | < 50 ms |"
rm -rf c-* m-*
