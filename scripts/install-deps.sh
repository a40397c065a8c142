#!/bin/sh
# Installs the Debian packages repro needs to build, test and demo, if any are missing.
# Usage: scripts/install-deps.sh [build|test|demo]
set -eu
# After pkg-config: the static libraries a release build of repro links, and libcurl for
# repro-fetch's static Foundation (Package.swift).
want="libarchive-dev libseccomp-dev pkg-config libc6-dev libstdc++-12-dev nettle-dev libacl1-dev liblzma-dev libzstd-dev liblz4-dev libbz2-dev zlib1g-dev libcurl4-openssl-dev"
case "${1:-build}" in
    test) want="$want busybox-static libarchive-tools bubblewrap mmdebstrap uidmap fakeroot fakechroot zstd xz-utils python3 python3-venv openssl util-linux procps iproute2 git make gcc libc6-dev dpkg-dev libxml2-utils chromium zsh fish groff-base" ;;
    demo) want="$want mmdebstrap uidmap fakeroot fakechroot zstd python3 git make gcc" ;;
esac
missing=""
for pkg in $want; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "error: missing Debian packages:$missing; install them as root (apt-get install$missing)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    $sudo apt-get update -q
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing
