#!/bin/sh
# Runs the test command given as arguments (make test: swift test ...) with a fresh temp root:
# TMPDIR is a new directory, world-readable (the sandbox tests run repro as an unprivileged user
# on fixtures made there), removed when the tests end. Nothing an earlier run left in /tmp is
# seen, so a test that passes here passes on a fresh machine too.
# Sets REPRO_BIN (the release build of repro) and REPRO_TEST_PYTHON (the test venv) unless set.
set -eu
swift=${SWIFT:-swift}
: "${REPRO_BIN:=$($swift build -c release --show-bin-path)/repro}"
: "${REPRO_TEST_PYTHON:=$(pwd)/.build-venv/bin/python}"
root=$(mktemp -d "${TMPDIR:-/tmp}/repro-tests.XXXXXX")
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
status=0
TMPDIR=$root REPRO_BIN=$REPRO_BIN REPRO_TEST_PYTHON=$REPRO_TEST_PYTHON "$@" || status=$?
exit $status
