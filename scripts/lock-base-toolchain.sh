#!/bin/sh
# Refreshes the committed base lock, toolchains/debian-bookworm-build.toml (Debian 12 minbase +
# build-essential, every .deb pinned), from the current archive, and the copy of it built into
# repro (Sources/ReproSystem/BaseToolchainLockText.swift), which the zero-config check uses when
# no other debian-bookworm-build spec is found. `make lock` runs it; commit both files.
#
# Usage: scripts/lock-base-toolchain.sh [REPRO_BINARY]   (default: the release build)
set -eu
cd "$(dirname "$0")/.."
repro=${1:-$(swift build -c release --show-bin-path)/repro}
spec=toolchains/debian-bookworm-build.toml
text=Sources/ReproSystem/BaseToolchainLockText.swift
"$repro" toolchain lock debian-bookworm-build --suite bookworm --include build-essential --architecture amd64 -o "$spec"
{
    echo '// Written by scripts/lock-base-toolchain.sh (make lock) from toolchains/debian-bookworm-build.toml:'
    echo '// do not edit by hand. BaseToolchainLock.swift says how it is used.'
    echo
    echo '/// The text of the committed base lock.'
    echo 'enum BaseToolchainLockText {'
    echo '    /// `toolchains/debian-bookworm-build.toml`, byte for byte.'
    echo '    static let text = #"""'
    cat "$spec"
    echo  # the literal's last line break is not part of it: this keeps the file's own
    echo '"""#'
    echo '}'
} > "$text.tmp"
mv "$text.tmp" "$text"
echo "refreshed $spec and $text"
