#!/bin/sh
# Fills vendor/ with the Go dependency from its pinned Debian package (deb.lock): downloads the
# .deb with apt-get (from this machine's apt sources), checks its SHA-256, and copies the package's
# Go files (not its tests, as `go mod vendor` leaves them out) with vendor/modules.txt. Then checks
# the result against vendor.sha256, the same check build.sh runs in the sandbox.
#
# Usage: scripts/vendor.sh   (in examples/go-release; commit vendor/ afterwards: repro builds
# the files git tracks)
set -eu
cd "$(dirname "$0")/.."
read -r package version pool sha256 <<EOF_LOCK
$(grep -v '^#' deb.lock)
EOF_LOCK
module=github.com/dustin/go-humanize
module_version=v1.0.0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM
deb="$tmp/$(basename "$pool")"
(cd "$tmp" && apt-get download -q "$package=$version" >/dev/null 2>"$tmp/apt.log") || {
    cat "$tmp/apt.log" >&2
    echo "error: apt-get download $package=$version failed; this machine's apt sources must reach Debian 12 (bookworm)" >&2
    exit 1
}
actual="$(sha256sum "$deb" | cut -d' ' -f1)"
if [ "$actual" != "$sha256" ]; then
    echo "error: $deb has SHA-256 $actual, deb.lock pins $sha256; refusing to vendor it" >&2
    exit 1
fi
dpkg-deb -x "$deb" "$tmp/root"
rm -rf vendor
mkdir -p "vendor/$module"
for f in "$tmp/root/usr/share/gocode/src/$module"/*.go; do
    case "$f" in *_test.go) continue ;; esac
    cp "$f" "vendor/$module/"
done
printf '# %s %s\n## explicit\n%s\n' "$module" "$module_version" "$module" > vendor/modules.txt
sha256sum --quiet --strict -c vendor.sha256
echo "vendored $module $module_version from $package $version" >&2
