#!/bin/bash
# Makes the pinned toolchain `debian-bookworm-corpus` for the corpus tests (Tests/ReproCLITests/
# CorpusTests.swift) and writes its toolchain spec: Debian 12 minbase plus what the corpus projects
# build with (C with autotools and CMake, Debian packages with dpkg-buildpackage and debhelper, Go,
# Python sdists and wheels).
#
# Usage: scripts/corpus-toolchain.sh [--rebuild] SPEC_DIR
#
# The same recipe as the base toolchain (scripts/base-toolchain.sh, which this calls): mmdebstrap
# with SOURCE_DATE_EPOCH fixed, from this machine's apt sources, cached once per machine under
# ${REPRO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/repro}/base/ by a digest of the recipe, which
# includes the package list below, and checked against the SHA-256 recorded when it was made.
# Prints the spec path on stdout.
set -euo pipefail
# hello's build dependencies are help2man and texinfo (with debhelper); cmark's, cmake (and
# python3, for its tests); go-qrcode's, golang-go; the Python projects', python3-setuptools,
# python3-wheel and python3-pip. Sorted, so the list (and the cache key) reads the same.
packages="build-essential,cmake,debhelper,dpkg-dev,fakeroot,golang-go,help2man,python3,python3-pip,python3-setuptools,python3-wheel,texinfo"
exec "$(dirname "$0")/base-toolchain.sh" --name debian-bookworm-corpus --include "$packages" "$@"
