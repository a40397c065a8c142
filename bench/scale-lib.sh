# Shared by bench/scale-sources.sh and bench/scale-outputs.sh (sourced, not run).
# Sets $repro (the binary under test), $old (an earlier binary to compare, from OLD_REPRO, may be
# empty), $work (a temporary directory removed at exit), and REPRO_TOOLCHAIN_PATH/REPRO_CACHE for a
# busybox toolchain packed by repro itself, so that the figures do not depend on a Debian tree.
set -euo pipefail
cd "$(dirname "$0")/.."
repro="${REPRO_BIN:-$(swift build -c release --show-bin-path)/repro}"
[ -x "$repro" ] || { echo "error: build repro first: swift build -c release" >&2; exit 2; }
old="${OLD_REPRO:-}"
[ -z "$old" ] || [ -x "$old" ] || { echo "error: OLD_REPRO=$old is not an executable" >&2; exit 2; }
for tool in busybox git openssl python3 bc; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (apt-get install busybox-static git openssl python3 bc)" >&2; exit 2; }
done

work="$(mktemp -d /tmp/repro-bench-scale.XXXXXX)"
trap 'umount "$work/tmpfs" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/tree/bin" "$work/specs"
cp "$(command -v busybox)" "$work/tree/bin/busybox"
for applet in sh mkdir echo dd head cat; do ln -s busybox "$work/tree/bin/$applet"; done
sha=$("$repro" toolchain pack "$work/tree" -o "$work/busybox.tar.gz" | awk '$1 == "sha256" && $2 != "=" && !found {print $2; found = 1}')
cat > "$work/specs/busybox.toml" <<SPEC
name = "busybox"
description = "busybox-static"
[[source]]
url = "file://$work/busybox.tar.gz"
sha256 = "$sha"
mount = "/"
[env]
PATH = "/bin"
SPEC
export REPRO_TOOLCHAIN_PATH="$work/specs" REPRO_CACHE="$work/cache"

# Wall seconds of a command (its output discarded; a failure stops the bench).
seconds() {
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>"$work/last.err" || { echo "error: $* failed:" >&2; cat "$work/last.err" >&2; exit 1; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { echo "scale=2; $1 / $2" | bc; }
# The load on the machine while the bench ran: 1-minute load average at the start and end.
load() { cut -d' ' -f1 /proc/loadavg; }
