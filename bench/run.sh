#!/usr/bin/env bash
# bench/run.sh: start-to-exit of `repro run -- /bin/true` on an unpacked tree, against
# bubblewrap on the same tree (`bwrap --unshare-all --die-with-parent --ro-bind TREE / /bin/true`),
# measured side by side in one hyperfine run, as root and as an unprivileged user.
# Run by hand (not a test): bench/run.sh [RUNS]. Needs hyperfine, bubblewrap, busybox-static.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
for tool in hyperfine bwrap busybox setpriv; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (apt-get install hyperfine bubblewrap busybox-static util-linux)" >&2; exit 2; }
done
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

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -sr), $(nproc) CPUs, $(bwrap --version), hyperfine $(hyperfine --version | cut -d' ' -f2)"
echo "## as root"
hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$work/root.md" \
    -n "repro run" "$work/repro run --tree $work/tree -- /bin/true" \
    -n "repro run --profile strict" "$work/repro run --profile strict --tree $work/tree -- /bin/true" \
    -n "bwrap" "bwrap --unshare-all --die-with-parent --ro-bind $work/tree / /bin/true" \
    -n "repro --version (process start only)" "$work/repro --version" >&2
cat "$work/root.md"
echo "## as nobody (setpriv)"
asuser=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$work/user.md" \
    -n "repro run" "${asuser[*]} $work/repro run --tree $work/tree -- /bin/true" \
    -n "bwrap" "${asuser[*]} bwrap --unshare-all --die-with-parent --ro-bind $work/tree / /bin/true" >&2
cat "$work/user.md"
