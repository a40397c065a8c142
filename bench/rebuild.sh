#!/bin/bash
# Cost of `repro rebuild` beyond the build it repeats: "one build plus under 0.5 s".
#
# A busybox toolchain (packed by `repro toolchain pack`) and a committed project with a bare origin
# are set up in a temp dir; `repro check --sign` makes the builder's bundle; the toolchain is
# exported as a mirror served on 127.0.0.1 by python3's http.server, and the archive's recorded
# path is removed. Then, ROUNDS times each (medians printed):
#   warm    repro rebuild --source CLONE, the toolchain already in the auditor's cache
#   cold    repro rebuild (clone of the recorded git URL) into an empty cache through the mirror
# and, for scale, a whole `repro check` of the trivial project on a warm cache.
# for two builds: a trivial one (writes one file) and one that runs about 2 s (`sleep 2`).
# The overhead is the wall time of `repro rebuild` minus the build's own seconds, as the
# rebuild measures them around the sandboxed command (its --json "seconds").
#
# Usage: bench/rebuild.sh [ROUNDS]     (default 5). Run by hand; figures go in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
repro="${REPRO_BIN:-$(swift build -c release --show-bin-path)/repro}"
[ -x "$repro" ] || { echo "error: build repro first: swift build -c release" >&2; exit 2; }
work="$(mktemp -d /tmp/repro-bench-rebuild.XXXXXX)"
server=""
trap '[ -n "$server" ] && kill "$server"; rm -rf "$work"' EXIT

mkdir -p "$work/tree/bin" "$work/specs"
cp /bin/busybox "$work/tree/bin/"
for applet in sh mkdir echo sleep cat; do ln -s busybox "$work/tree/bin/$applet"; done
sha="$("$repro" toolchain pack "$work/tree" -o "$work/busybox.tar.gz" | awk '/^sha256 /{print $2; exit}')"
printf 'name = "busybox"\n[[source]]\nurl = "file://%s/busybox.tar.gz"\nsha256 = "%s"\n[env]\nPATH = "/bin"\n' "$work" "$sha" > "$work/specs/busybox.toml"
"$repro" keygen -o "$work/key" >/dev/null 2>&1

project() {  # NAME BUILD-LINE
    local dir="$work/$1"
    mkdir -p "$dir"
    printf 'mkdir -p out\n%s\necho done > out/result.txt\n' "$2" > "$dir/build.sh"
    printf '[build]\ncommand = ["sh", "build.sh"]\noutputs = ["out"]\ntoolchains = ["busybox"]\n' > "$dir/repro.toml"
    git -C "$dir" init -q && git -C "$dir" add -A
    GIT_COMMITTER_DATE='@1700000000 +0000' GIT_AUTHOR_DATE='@1700000000 +0000' git -C "$dir" -c user.name=b -c user.email=b@b commit -qm init
    git clone -q --bare "$dir" "$work/$1.git" && git -C "$dir" remote add origin "file://$work/$1.git"
    git clone -q "$work/$1.git" "$work/$1-clone"
    REPRO_TOOLCHAIN_PATH="$work/specs" "$repro" check "$dir" --cache "$work/cache-builder" --sign "$work/key.key" \
        --manifest "$work/$1.intoto.jsonl" >/dev/null 2>&1
}
project trivial "true"
project sleep2 "sleep 2"

REPRO_TOOLCHAIN_PATH="$work/specs" "$repro" toolchain export busybox --cache "$work/cache-builder" -o "$work/mirror" >/dev/null
mv "$work/busybox.tar.gz" "$work/busybox.tar.gz.gone"
python3 -u -c '
import functools, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[1]))
print(s.server_address[1]); s.serve_forever()' "$work/mirror" > "$work/port" &
server=$!
while [ ! -s "$work/port" ]; do read -t 0.05 -r _ < /dev/zero || true; done
mirror="http://127.0.0.1:$(head -1 "$work/port")"

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
measure() {  # NAME MODE
    local name="$1" mode="$2" walls="" overheads="" builds=""
    for i in $(seq "$rounds"); do
        local args=("$work/$name.intoto.jsonl" --key "$work/key.pub" --json --mirror "$mirror")
        if [ "$mode" = warm ]; then
            args+=(--source "$work/$name-clone" --cache "$work/cache-auditor")
            "$repro" rebuild "${args[@]}" >/dev/null 2>&1  # the cache is warm for the timed run
        else
            args+=(--cache "$work/cache-cold-$i")
        fi
        local start end json
        start=$(date +%s.%N)
        json="$(REPRO_TOOLCHAIN_PATH= "$repro" rebuild "${args[@]}" 2>/dev/null)"
        end=$(date +%s.%N)
        local seconds
        seconds="$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["result"]=="reproduced"; print(r["seconds"])' "$json")"
        walls+="$(echo "$end - $start" | bc)"$'\n'
        builds+="$seconds"$'\n'
        overheads+="$(echo "$end - $start - $seconds" | bc)"$'\n'
    done
    printf '%-8s %-5s wall %s s  build %s s  overhead %s s\n' "$name" "$mode" \
        "$(printf '%s' "$walls" | median)" "$(printf '%s' "$builds" | median)" "$(printf '%s' "$overheads" | median)"
}
for name in trivial sleep2; do
    measure "$name" warm
    measure "$name" cold
done
# For scale: a whole `repro check` (two builds) of the trivial project on the same warm cache.
walls=""
for i in $(seq "$rounds"); do
    start=$(date +%s.%N)
    REPRO_TOOLCHAIN_PATH="$work/specs" "$repro" check "$work/trivial" --cache "$work/cache-builder" >/dev/null 2>&1
    end=$(date +%s.%N)
    walls+="$(echo "$end - $start" | bc)"$'\n'
done
printf 'check of trivial (2 runs, warm cache): wall %s s\n' "$(printf '%s' "$walls" | median)"
uptime
