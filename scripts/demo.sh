#!/bin/bash
# make demo: make (once) the pinned Debian base toolchain, certify the C example with
# `repro check`, sign its manifest and verify it. Everything it keeps is under .build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
repro="${REPRO_BIN:-.build/release/repro}"
state="$PWD/.build/demo"
mkdir -p "$state"

echo "== the pinned base toolchain (mmdebstrap, bit-identical run after run; cached after the first time)" >&2
scripts/base-toolchain.sh "$state/toolchains" >/dev/null
export REPRO_TOOLCHAIN_PATH="$state/toolchains"
"$repro" toolchain list

echo "== a signing key" >&2
[ -f "$state/demo.key" ] || "$repro" keygen -o "$state/demo"

echo "== repro check examples/hello-c" >&2
"$repro" check examples/hello-c --sign "$state/demo.key"

echo "== repro verify" >&2
"$repro" verify examples/hello-c/.repro/repro.intoto.jsonl --key "$state/demo.pub" \
    --artifacts examples/hello-c/.repro/out
