#!/bin/sh
# Writes a report of everything below that a build inherits from where it runs. Each line is
# deterministic only when the environment is the same: repro fixes every one of them.
set -eu

printf 'locale collation (sort):'
printf '%s\n' banana Apple apple _under Zebra zebra 'éclair' eclair Banana 10 9 | sort | tr '\n' ' '
printf '\nlocale character count of "déjà vu" (wc -m): %s\n' "$(printf 'déjà vu' | wc -m)"
printf 'time zone (date of SOURCE_DATE_EPOCH): %s\n' "$(date -d "@${SOURCE_DATE_EPOCH:-0}")"
printf 'time zone offset: %s\n' "$(date -d "@${SOURCE_DATE_EPOCH:-0}" +%z)"
printf 'hostname: %s\n' "$(uname -n)"
printf 'domain: %s\n' "$(cat /proc/sys/kernel/domainname 2>/dev/null || echo unknown)"
printf 'user: %s (uid %s, group %s, gid %s)\n' "$(id -un 2>/dev/null || echo unknown)" "$(id -u)" \
    "$(id -gn 2>/dev/null || echo unknown)" "$(id -g)"
printf 'USER=%s LOGNAME=%s HOME=%s TMPDIR=%s\n' "${USER-unset}" "${LOGNAME-unset}" "${HOME-unset}" \
    "${TMPDIR-unset}"
printf 'EDITOR=%s DISPLAY=%s SSH_AUTH_SOCK=%s\n' "${EDITOR-unset}" "${DISPLAY-unset}" \
    "${SSH_AUTH_SOCK-unset}"
printf 'working directory: %s\n' "$(pwd)"

# umask: a file and a directory made with the default modes; their modes go into the report and
# into the tarball below.
rm -rf made
mkdir made
echo data > made/file
printf 'umask %s gives file mode %s, directory mode %s\n' "$(umask)" "$(stat -c %a made/file)" \
    "$(stat -c %a made)"
