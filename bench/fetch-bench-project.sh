#!/bin/bash
# Fetches the benchmark project for the `repro check` speed figures: the zstd 1.5.4 command-line
# program, built from the upstream source that Debian 12 ships (source package libzstd), a real C
# build of 15-20 s on 2 cores. The source comes from this machine's own apt sources, rewritten to
# `deb-src` in a private apt configuration under the work directory; the machine's apt
# configuration and package lists are left alone.
#
# Usage: bench/fetch-bench-project.sh [WORK_DIR]      (default: bench/work, which git ignores)
# Leaves WORK_DIR/zstd: the unpacked upstream source as its own git repository (one commit, dated
# SOURCE_DATE_EPOCH) with a repro.toml; prints that path on stdout. A second call reuses it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd -P)"
work="${1:-$here/work}"
source_package=libzstd
version=1.5.4+dfsg2-5
orig=libzstd_1.5.4+dfsg2.orig.tar.xz
orig_sha256=8cf4bbb65e77ec348d052c8d6230eba66d435bddf64c8b5be2fcb16880c19953
epoch=1700000000
project="$work/zstd"

for tool in apt-get git tar xz sha256sum; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing; install it with apt-get install apt git tar xz-utils coreutils" >&2; exit 2; }
done

if [ -f "$project/repro.toml" ] && git -C "$project" rev-parse --verify -q HEAD >/dev/null; then
    echo "$project"
    exit 0
fi

mkdir -p "$work"
work="$(cd "$work" && pwd -P)"
project="$work/zstd"
apt_dir="$work/apt"
mkdir -p "$apt_dir/etc/sources.list.d" "$apt_dir/etc/preferences.d" "$apt_dir/lists/partial" \
    "$apt_dir/cache/archives/partial" "$apt_dir/source"

# The machine's enabled bookworm sources, as deb-src.
: > "$apt_dir/etc/sources.list"
rm -f "$apt_dir/etc/sources.list.d/"*
/usr/bin/python3 "$here/../scripts/host-apt-sources.py" bookworm deb-src > "$apt_dir/etc/sources.list.d/host.sources"

apt_opts=(
    -o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list"
    -o "Dir::Etc::sourceparts=$apt_dir/etc/sources.list.d"
    -o "Dir::Etc::preferencesparts=$apt_dir/etc/preferences.d"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "Acquire::Languages=none"
    -q
)
# apt drops to its _apt user for downloads only when it runs as root; that user cannot write here.
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o "APT::Sandbox::User=root")

echo "fetching the $source_package $version source index with a private apt configuration" >&2
apt-get "${apt_opts[@]}" update >&2
(cd "$apt_dir/source" && apt-get "${apt_opts[@]}" source --download-only "$source_package=$version" >&2)

actual="$(sha256sum "$apt_dir/source/$orig" | cut -d' ' -f1)"
if [ "$actual" != "$orig_sha256" ]; then
    echo "error: $orig has SHA-256 $actual, expected $orig_sha256; the archive served a different source, so the benchmark would not be comparable" >&2
    exit 1
fi

tmp="$(mktemp -d "$work/.zstd.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$apt_dir/source/$orig" -C "$tmp" --strip-components=1 --no-same-owner

cat > "$tmp/repro.toml" <<EOF
# Benchmark project: the zstd $version command-line program (upstream source from Debian 12).
# Optional compression formats are off, so the build does not depend on which -dev packages the
# host has, and the bare build on the host does the same work as the one in the sandbox.
[build]
command = ["make", "-j2", "-C", "programs", "zstd", "HAVE_ZLIB=0", "HAVE_LZMA=0", "HAVE_LZ4=0"]
outputs = ["programs/zstd"]
toolchains = ["debian-bookworm-build"]
profile = "default"

[source]
date_epoch = $epoch
EOF

# One commit of everything (upstream .gitignore files would hide some sources from `git add`).
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_AUTHOR_DATE="@$epoch +0000"
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost GIT_COMMITTER_DATE="@$epoch +0000"
git -C "$tmp" init -q -b main
git -C "$tmp" add -f -A .
git -C "$tmp" -c commit.gpgsign=false commit -q -m "zstd $version upstream source with repro.toml"

rm -rf "$project"
mv "$tmp" "$project"
trap - EXIT
echo "ready: $project (commit $(git -C "$project" rev-parse --short HEAD))" >&2
echo "$project"
