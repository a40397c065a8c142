#!/bin/bash
# Checks, independently of repro, that every example under examples/ behaves as its README claims:
# each is built twice in the debian-bookworm-build base toolchain under bubblewrap with the
# environment repro normalizes to, and the two output digests are compared with the expected
# verdict. The certified examples are also built once under a deliberately different environment
# (other build path, user, hostname, time zone, locale, umask, variables, no SOURCE_DATE_EPOCH) to
# show which of them depend on the normalization. Finally the parallel race is built RACE_TRIES
# times in pairs (default 20) to measure how often two runs happen to agree.
#
# Usage: bench/examples-bwrap.sh [EXAMPLE|DIR...]   (run by hand; needs bubblewrap and mmdebstrap)
# A DIR is any project with a repro.toml (expected to be reproducible), e.g. bench/work/zstd.
# Exit status: 0 when every example gave its expected verdict, 1 otherwise.
set -euo pipefail
shopt -s inherit_errexit

here="$(cd "$(dirname "$0")/.." && pwd -P)"
race_tries="${RACE_TRIES:-20}"
epoch_default=1700000000

for tool in bwrap sha256sum /usr/bin/python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (scripts/install-deps.sh test installs it)" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/examples-bwrap.XXXXXX")"
# KEEP=1 keeps the work directory (sources, logs, output listings) for inspection.
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

# The base toolchain: made or found in the cache, unpacked once next to its tarball.
spec="$("$here/scripts/base-toolchain.sh" "$work/toolchains")"
tarball="$(sed -n 's/^url = "file:\/\/\(.*\)"$/\1/p' "$spec")"
sha="$(sed -n 's/^sha256 = "\(.*\)"$/\1/p' "$spec")"
root="$(dirname "$tarball")/root-${sha:0:16}"
if [ ! -d "$root" ]; then
    echo "unpacking the base toolchain into $root" >&2
    mkdir "$root.tmp.$$"
    tar -x --no-same-owner --no-same-permissions -C "$root.tmp.$$" -f "$tarball" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*'
    mv "$root.tmp.$$" "$root"
fi
toolchain_path="$(sed -n 's/^PATH = "\(.*\)"$/\1/p' "$spec")"

# Reads one key of an example's repro.toml: "command" (NUL-separated argv), "outputs" (one a line)
# or "date_epoch".
toml() {
    /usr/bin/python3 - "$1" "$2" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    doc = tomllib.load(f)
key = sys.argv[2]
if key == "command":
    sys.stdout.write("\0".join(doc["build"]["command"]) + "\0")
elif key == "outputs":
    sys.stdout.write("\n".join(doc["build"]["outputs"]) + "\n")
elif key == "date_epoch":
    print(doc.get("source", {}).get("date_epoch", ""))
EOF
}

# Copies an example's tracked (and new, not ignored) files, in sorted order, into a fresh dir.
snapshot() {
    local src="$1" dst="$2"
    mkdir -p "$dst"
    (cd "$src" && git ls-files -z --cached --others --exclude-standard . | sort -z \
        | tar --null --no-recursion -T - -cf -) | tar -x -C "$dst"
}

# Prints a digest of the outputs: for every file under the output paths (sorted), its path, type,
# executable bit and SHA-256, or a symlink's target; then the SHA-256 of that listing.
outputs_digest() {
    local src="$1" example="$2" list="$3"
    : > "$list"
    while IFS= read -r pattern; do
        [ -n "$pattern" ] || continue
        (cd "$src" && for path in $pattern; do
            [ -e "$path" ] || [ -L "$path" ] || { echo "missing $path"; echo "missing" > "$list.missing"; continue; }
            find "$path" \( -type f -o -type l \) -print0 | sort -z | while IFS= read -r -d '' f; do
                if [ -L "$f" ]; then
                    printf 'link %s -> %s\n' "$f" "$(readlink "$f")"
                else
                    x=-; [ -x "$f" ] && x=x
                    printf 'file %s %s %s\n' "$f" "$x" "$(sha256sum < "$f" | cut -d' ' -f1)"
                fi
            done
        done) >> "$list"
    done < <(toml "$(project_dir "$example")/repro.toml" outputs)
    if [ -e "$list.missing" ]; then rm -f "$list.missing"; echo MISSING; return; fi
    sha256sum < "$list" | cut -c1-16
}

# Builds one example once in bubblewrap. Mode "normal" is repro's normalized environment; mode
# "varied" changes every input repro normalizes.
build_once() {
    local example="$1" mode="$2" tag="$3"
    local src="$work/$example.$tag"
    snapshot "$(project_dir "$example")" "$src"
    local epoch; epoch="$(toml "$(project_dir "$example")/repro.toml" date_epoch)"
    epoch="${epoch:-$epoch_default}"
    local -a cmd; mapfile -d '' -t cmd < <(toml "$(project_dir "$example")/repro.toml" command)

    local builddir=/build/src home=/build/home uid=1000 user=builder host=repro umask=022
    local -a env=(--setenv PATH "$toolchain_path" --setenv HOME "$home" --setenv TMPDIR /tmp
        --setenv LANG C.UTF-8 --setenv LC_ALL C.UTF-8 --setenv TZ UTC
        --setenv SOURCE_DATE_EPOCH "$epoch")
    if [ "$mode" = varied ]; then
        builddir=/home/alice/work/project-$tag home=/home/alice uid=1234 user=alice host=alices-laptop umask=002
        env=(--setenv PATH "$toolchain_path" --setenv HOME "$home" --setenv TMPDIR /tmp
            --setenv LANG C --setenv TZ America/New_York --setenv USER alice --setenv LOGNAME alice
            --setenv EDITOR vi --setenv DISPLAY :0)
    fi
    printf '%s:x:%s:%s::%s:/bin/sh\n' root 0 0 /root "$user" "$uid" "$uid" "$home" > "$work/passwd.$tag"
    printf '%s:x:%s:\n' root 0 "$user" "$uid" > "$work/group.$tag"

    local -a binds=()
    local entry name
    for entry in "$root"/*; do
        name="${entry##*/}"
        case "$name" in dev|proc|sys|tmp|run|home|root|build) continue ;; esac
        if [ -L "$entry" ]; then binds+=(--symlink "$(readlink "$entry")" "/$name")
        else binds+=(--ro-bind "$entry" "/$name"); fi
    done
    local log="$work/$example.$tag.log" status=0
    bwrap --unshare-user --uid "$uid" --gid "$uid" --unshare-pid --unshare-net --unshare-ipc \
        --unshare-uts --unshare-cgroup-try --hostname "$host" --die-with-parent --new-session \
        --clearenv "${env[@]}" \
        "${binds[@]}" \
        --ro-bind "$work/passwd.$tag" /etc/passwd --ro-bind "$work/group.$tag" /etc/group \
        --dev /dev --proc /proc --tmpfs /tmp --tmpfs /run --tmpfs /home --dir "$home" \
        --bind "$src" "$builddir" --chdir "$builddir" \
        /bin/sh -c 'umask "$0"; exec "$@"' "$umask" "${cmd[@]}" > "$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        echo "build of $example ($tag) failed with status $status; log tail:" >&2
        tail -n 20 "$log" >&2
        echo FAILED
        return
    fi
    outputs_digest "$src" "$example" "$work/$example.$tag.list"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$src"
}

# The directory of a project: an example's name, or a directory holding a repro.toml.
project_dir() {
    if [ -n "${project_dirs[$1]:-}" ]; then echo "${project_dirs[$1]}"; else echo "$here/examples/$1"; fi
}

expected_verdict() {
    case "$1" in
        nondeterministic-*|parallel-race) echo differ ;;
        *) echo reproducible ;;
    esac
}

declare -A project_dirs=()
if [ $# -gt 0 ]; then
    examples=()
    for arg in "$@"; do
        if [ -f "$arg/repro.toml" ]; then
            label="$(basename "$(cd "$arg" && pwd -P)")"
            project_dirs[$label]="$(cd "$arg" && pwd -P)"
            examples+=("$label")
        elif [ -f "$here/examples/$arg/repro.toml" ]; then examples+=("$arg")
        else echo "error: $arg is neither an example name nor a directory with a repro.toml" >&2; exit 2; fi
    done
else
    examples=(); for d in "$here"/examples/*/; do [ -f "$d/repro.toml" ] && examples+=("$(basename "$d")"); done
fi

failures=0
printf '%-26s %-13s %-17s %-17s %-13s %s\n' example expected run1 run2 verdict result
for example in "${examples[@]}"; do
    start=$(date +%s%N)
    d1="$(build_once "$example" normal run1)"
    d2="$(build_once "$example" normal run2)"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$d1" = FAILED ] || [ "$d2" = FAILED ]; then verdict=build-failed
    elif [ "$d1" = MISSING ] || [ "$d2" = MISSING ]; then verdict=no-outputs
    elif [ "$d1" = "$d2" ]; then verdict=reproducible
    else verdict=differ; fi
    want="$(expected_verdict "$example")"
    result=ok; [ "$verdict" = "$want" ] || { result=FAIL; failures=$((failures + 1)); }
    printf '%-26s %-13s %-17s %-17s %-13s %s (%d ms for both)\n' "$example" "$want" "$d1" "$d2" "$verdict" "$result" "$ms"
    if [ "$want" = reproducible ]; then
        d3="$(build_once "$example" varied varied)"
        if [ "$d3" = "$d1" ]; then sensitive="no: same digest"; else sensitive="yes: $d3"; fi
        printf '%-26s   varied environment (no normalization): depends on it? %s\n' "" "$sensitive"
    fi
done

if [ "$race_tries" -gt 0 ] && [[ " ${examples[*]} " == *" parallel-race "* ]]; then
    agree=0
    for i in $(seq 1 "$race_tries"); do
        a="$(build_once parallel-race normal "race$i-a")"
        b="$(build_once parallel-race normal "race$i-b")"
        [ "$a" = "$b" ] && agree=$((agree + 1))
    done
    echo "parallel-race: $agree of $race_tries pairs of runs agreed (a pair that agrees would hide the race)"
fi

[ "$failures" -eq 0 ] || { echo "$failures example(s) did not give the expected verdict" >&2; exit 1; }
echo "every example gave its expected verdict"
