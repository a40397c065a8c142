#!/bin/bash
# Makes the pinned toolchain `debian-bookworm-go` for examples/go-release and writes its toolchain
# spec: Debian 12 minbase plus build-essential, Debian's Go (golang-go, Go 1.19) and zip (the
# Windows archives).
#
# Usage: scripts/go-toolchain.sh [--rebuild] SPEC_DIR
#
# The same recipe as the base toolchain (scripts/base-toolchain.sh, which this calls): mmdebstrap
# with SOURCE_DATE_EPOCH fixed, from this machine's apt sources, cached once per machine by a digest
# of the recipe (the package list included) and checked against the SHA-256 recorded when it was
# made. Prints the spec path on stdout.
set -euo pipefail
exec "$(dirname "$0")/base-toolchain.sh" --name debian-bookworm-go --include "build-essential,golang-go,zip" "$@"
