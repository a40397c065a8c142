#!/bin/bash
# Makes the pinned base toolchain `debian-bookworm-build` (Debian 12 minbase + build-essential) and
# writes its toolchain spec; with --name and --include, another Debian 12 toolchain (minbase plus
# the named packages), as scripts/corpus-toolchain.sh does.
#
# Usage: scripts/base-toolchain.sh [--rebuild] [--name NAME --include PKG,PKG...] SPEC_DIR
#
# The root filesystem is made by mmdebstrap with SOURCE_DATE_EPOCH fixed, so the same recipe and the
# same archive content give the same bytes on every run. Packages come from this machine's own apt
# sources for bookworm (picked from /etc/apt by scripts/host-apt-sources.py), or from the sources
# file named by REPRO_APT_SOURCES; nothing of those sources is kept in the result. Removed or fixed
# because they would vary or need root: /etc/resolv.conf and /etc/hostname (copied from the host),
# the apt source lists, setuid/setgid bits, extended attributes, and the device nodes under /dev.
#
# The tarball is cached as
#   ${REPRO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/repro}/base/NAME-<recipe>.tar.zst
# where <recipe> is a short digest of everything below that shapes it (the package list too), so a
# changed recipe never reuses a stale tarball. The SHA-256 of the tarball as it was made is
# recorded beside it (NAME-<recipe>.tar.zst.sha256); a second call re-hashes the cached file
# against that record and makes the tarball again when they differ (a damaged or altered cache
# entry is never pinned). SPEC_DIR receives `NAME.toml` pinning the tarball by that SHA-256; put
# SPEC_DIR on REPRO_TOOLCHAIN_PATH. The spec path is printed on stdout, progress on
# stderr. Exit status: 0 done, 2 bad usage or missing tools, 1 the build failed.
set -euo pipefail

name=debian-bookworm-build
suite=bookworm
variant=minbase
include=build-essential
# Fixed time stamp for every file in the root filesystem (2023-11-14 22:13:20 UTC).
epoch=1700000000
# Documentation, manual pages and translations are dropped (licences are kept): they are large and
# no build reads them.
dpkg_excludes="/usr/share/man/* /usr/share/info/* /usr/share/doc/* /usr/share/locale/* /usr/share/lintian/*"
dpkg_includes="/usr/share/doc/*/copyright"
zstd_level=12

usage() {
    echo "usage: $0 [--rebuild] [--name NAME --include PKG,PKG...] SPEC_DIR" >&2
    echo "Makes the $name base toolchain and writes SPEC_DIR/$name.toml; put SPEC_DIR on REPRO_TOOLCHAIN_PATH." >&2
    exit 2
}

rebuild=0
spec_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rebuild) rebuild=1 ;;
        --name) [ $# -ge 2 ] || usage; name="$2"; shift ;;
        --include) [ $# -ge 2 ] || usage; include="$2"; shift ;;
        -h|--help) usage ;;
        -*) echo "error: unknown option $1" >&2; usage ;;
        *) [ -z "$spec_dir" ] || usage; spec_dir="$1" ;;
    esac
    shift
done
[ -n "$spec_dir" ] || usage
case "$name" in
    ""|*[!A-Za-z0-9._-]*) echo "error: --name takes letters, digits, '.', '_' and '-' only, not '$name'" >&2; exit 2 ;;
esac
case "$include" in
    ""|*[!a-z0-9.+,-]*) echo "error: --include takes Debian package names separated by commas, not '$include'" >&2; exit 2 ;;
esac

for tool in mmdebstrap mmtarfilter zstd sha256sum flock; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: $tool is missing; install it with scripts/install-deps.sh demo (Debian packages mmdebstrap, zstd, util-linux)" >&2
        exit 2
    fi
done

if [ -z "${REPRO_CACHE:-}${XDG_CACHE_HOME:-}${HOME:-}" ]; then
    echo "error: no cache directory: set REPRO_CACHE (or XDG_CACHE_HOME or HOME)" >&2
    exit 2
fi
cache="${REPRO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/repro}"
base="$cache/base"
mkdir -p "$base" "$spec_dir"
base="$(cd "$base" && pwd -P)"
spec_dir="$(cd "$spec_dir" && pwd -P)"

# The recipe: every option that shapes the tarball. Changing any of them names a new cache entry;
# bump "v1" when the hooks or filters in build() change.
recipe="v1 $name $suite $variant $include $epoch $zstd_level [$dpkg_excludes] [$dpkg_includes] $(mmdebstrap --version) $(/usr/bin/python3 --version) $(zstd -V)"
recipe_id="$(printf '%s' "$recipe" | sha256sum | cut -c1-12)"
tarball="$base/$name-$recipe_id.tar.zst"

# The enabled apt sources of this machine for the suite, as one deb822 file for mmdebstrap.
host_sources() {
    if [ -n "${REPRO_APT_SOURCES:-}" ]; then
        cat "$REPRO_APT_SOURCES"
    else
        /usr/bin/python3 "$(dirname "$0")/host-apt-sources.py" "$suite" deb
    fi
}

build() {
    tmp="$(mktemp -d "$base/.build.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT INT TERM
    host_sources > "$tmp/sources" || exit 2
    set -- --variant="$variant" --include="$include" --format=tar \
        --aptopt='Acquire::Languages "none"' \
        --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"' \
        --customize-hook='rm -rf "$1/etc/apt/sources.list" "$1/etc/apt/sources.list.d"; mkdir -p "$1/etc/apt/sources.list.d"' \
        --customize-hook='find "$1" -xdev -perm /6000 ! -type l -exec chmod ug-s {} +'
    # The patterns are for dpkg, not for this shell: no globbing while they are split.
    set -f
    for p in $dpkg_excludes; do set -- "$@" --dpkgopt="path-exclude=$p"; done
    for p in $dpkg_includes; do set -- "$@" --dpkgopt="path-include=$p"; done
    set +f
    echo "building $name with mmdebstrap ($suite, $variant + $include); this takes a few minutes" >&2
    start=$(date +%s)
    # mmdebstrap writes an uncompressed tarball on stdout; extended attributes and device nodes are
    # filtered out (by the system Python, whatever python3 is first on PATH, so the tar writer is
    # the recipe's), then zstd compresses single-threaded (its output depends only on the input).
    if ! SOURCE_DATE_EPOCH=$epoch mmdebstrap "$@" "$suite" - "$tmp/sources" 2>"$tmp/log" \
        | /usr/bin/python3 "$(command -v mmtarfilter)" --pax-exclude='SCHILY.xattr.*' --path-exclude='/dev/*' 2>>"$tmp/log" \
        | zstd -q -T1 -"$zstd_level" -o "$tmp/out.tar.zst" 2>>"$tmp/log"; then
        tail -n 40 "$tmp/log" >&2
        echo "error: mmdebstrap could not make $name (its log is above); check that apt on this machine reaches a Debian $suite archive" >&2
        exit 1
    fi
    sha256sum "$tmp/out.tar.zst" | cut -d' ' -f1 > "$tmp/out.sha256"
    # The record first: a tarball without its record is made again, never trusted.
    mv "$tmp/out.sha256" "$tarball.sha256"
    mv "$tmp/out.tar.zst" "$tarball"
    rm -rf "$tmp"
    trap - EXIT INT TERM
    echo "built $tarball in $(( $(date +%s) - start )) s" >&2
}

# One builder at a time per cache; a second caller waits and then finds the tarball in place.
exec 9>"$base/.$name.lock"
flock 9
if [ "$rebuild" -eq 0 ] && [ -f "$tarball" ]; then
    sha="$(sha256sum "$tarball" | cut -d' ' -f1)"
    recorded="$(cat "$tarball.sha256" 2>/dev/null || true)"
    if [ "$sha" != "$recorded" ]; then
        echo "warning: $tarball has SHA-256 $sha, but ${recorded:-nothing} was recorded when it was made; making it again" >&2
        rebuild=1
    fi
fi
if [ "$rebuild" -eq 1 ] || [ ! -f "$tarball" ]; then
    build
    sha="$(cat "$tarball.sha256")"
fi
flock -u 9

esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
spec="$spec_dir/$name.toml"
cat > "$spec.tmp" <<EOF
# Made by scripts/base-toolchain.sh (recipe $recipe_id).
name = "$name"
description = "Debian 12 ($suite) $variant + ${include//,/ }, made by mmdebstrap with SOURCE_DATE_EPOCH=$epoch"

[[source]]
url = "file://$(esc "$tarball")"
sha256 = "$sha"
mount = "/"
strip_components = 0

[env]
PATH = "/usr/local/bin:/usr/bin:/bin"
EOF
mv "$spec.tmp" "$spec"
echo "$name sha256 $sha" >&2
echo "$spec"
