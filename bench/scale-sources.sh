#!/bin/bash
# Cost of `repro check` on a large source with a trivial build, against reading and hashing the
# tracked files once (`git ls-files -z | xargs -0 cat | openssl dgst -sha256`), measured side by side
# in one run: the rounds alternate (baseline, repro, old repro, baseline, ...) so that load from
# elsewhere falls on all alike; the figures are medians. The source is 12,122 files, 248 MB, in
# 122 directories (pseudo-random bytes, the same every time), committed to git; the build writes
# one small file (`echo x > out/x`) with the busybox toolchain. Everything is in the page cache
# for every round (one untimed round of each first). repro is measured twice per round: with the
# tree unchanged since its previous check (the snapshot kept in the cache is reused), and after
# `touch` of every tracked file (untimed), which makes it read and hash every file again.
#
# Usage: [OLD_REPRO=path/to/an/earlier/repro] bench/scale-sources.sh [ROUNDS]   (default 5)
# Run by hand; the figures go in docs/benchmarks.md.
. "$(dirname "$0")/scale-lib.sh"
rounds="${1:-5}"
project="$work/project"
mkdir -p "$project"
python3 - "$project" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(14)
for i in range(12122):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.c" % i), "wb") as f:
        f.write(rng.randbytes(rng.randint(1024, 39936)))
PY
cat > "$project/repro.toml" <<'TOML'
[build]
command = ["sh", "-c", "mkdir -p out && echo x > out/x"]
outputs = ["out"]
toolchains = ["busybox"]
TOML
(cd "$project" && git init -q . && git -c core.compression=0 add -A &&
    GIT_COMMITTER_DATE='@1700000000 +0000' GIT_AUTHOR_DATE='@1700000000 +0000' git -c user.name=b -c user.email=b@b commit -qm source)
echo "source: $(cd "$project" && git ls-files | wc -l) files, $(du -sb --exclude=.git "$project" | cut -f1) bytes" >&2

baseline() { (cd "$project" && git ls-files -z | xargs -0 cat | openssl dgst -sha256); }
check() { "$1" check "$project"; }

start_load=$(load)
: > "$work/base.t"; : > "$work/new.t"; : > "$work/cold.t"; : > "$work/old.t"
baseline >/dev/null; check "$repro" >/dev/null 2>&1; [ -z "$old" ] || check "$old" >/dev/null 2>&1
for round in $(seq "$rounds"); do
    echo "round $round/$rounds" >&2
    # Touched more than 2 s before the check that reads them again, so that the next check may
    # trust what that one recorded (see docs/decisions.md on the kept snapshot).
    (cd "$project" && git ls-files -z | xargs -0 touch) && sleep 2
    seconds check "$repro" >> "$work/cold.t"
    seconds baseline >> "$work/base.t"
    seconds check "$repro" >> "$work/new.t"
    [ -z "$old" ] || seconds check "$old" >> "$work/old.t"
done
b=$(median < "$work/base.t"); n=$(median < "$work/new.t"); c=$(median < "$work/cold.t")
echo "load average (1 min) at the start: $start_load, at the end: $(load)"
echo "runs (s), in order: baseline $(tr '\n' ' ' < "$work/base.t")| repro $(tr '\n' ' ' < "$work/new.t")| repro after touch $(tr '\n' ' ' < "$work/cold.t")${old:+| old repro $(tr '\n' ' ' < "$work/old.t")}"
echo "| what (median of $rounds rounds) | seconds | ratio to the baseline |"
echo "|---|---|---|"
echo "| read and hash the tracked files once | $(printf %.2f "$b") | 1.00 |"
echo "| repro check, tree unchanged since its previous check | $(printf %.2f "$n") | $(ratio "$n" "$b") |"
echo "| repro check, every file touched (read and hashed again) | $(printf %.2f "$c") | $(ratio "$c" "$b") |"
if [ -n "$old" ]; then o=$(median < "$work/old.t"); echo "| repro check, earlier binary | $(printf %.2f "$o") | $(ratio "$o" "$b") |"; fi
