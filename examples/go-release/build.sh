#!/bin/sh
# Builds the release archives of go-release, reproducibly: run by `repro check` (repro.toml).
#
# What the Go release process took from the host, taken from repro instead:
#   the version    git describe --tags --always --dirty  ->  $REPRO_GIT_DESCRIBE
#   the build time $(date ...)                           ->  $SOURCE_DATE_EPOCH, formatted
set -eu
: "${SOURCE_DATE_EPOCH:?set SOURCE_DATE_EPOCH (repro check sets it to the last commit time)}"
version="${REPRO_GIT_DESCRIBE:-dev}"
build_time="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"

# `go mod verify`, without a network or a module cache: the vendored dependency must be the
# files of the pinned Debian package (scripts/vendor.sh), file by file.
sha256sum --quiet --strict -c vendor.sha256

# Nothing from the host or the network: no cgo, only vendor/, no VCS stamping, no paths.
export CGO_ENABLED=0 GOFLAGS=-mod=vendor GOPROXY=off GONOSUMDB='*' GOTOOLCHAIN=local
export GOCACHE=/tmp/go-cache GOPATH=/tmp/go
ldflags="-s -w -buildid= -X main.BuildVersion=$version -X main.BuildTime=$build_time"

rm -rf dist /tmp/pack
mkdir -p dist /tmp/pack
for target in linux/amd64 linux/arm64 darwin/arm64 windows/amd64; do
    goos="${target%/*}" goarch="${target#*/}"
    name="go-release_${version}_${goos}_${goarch}"
    exe=go-release
    [ "$goos" = windows ] && exe=go-release.exe
    mkdir "/tmp/pack/$name"
    GOOS="$goos" GOARCH="$goarch" go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "/tmp/pack/$name/$exe" .
    cp README.md "/tmp/pack/$name/"
    # Every packed file gets the same time, the source's; entries go in sorted order, without
    # owners, extra attributes or the compressor's own time stamp.
    find "/tmp/pack/$name" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    if [ "$goos" = windows ]; then
        (cd /tmp/pack && find "$name" -type f | LC_ALL=C sort | zip -q -X -D "$OLDPWD/dist/$name.zip" -@)
    else
        tar -C /tmp/pack --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
            --format=gnu -cf - "$name" | gzip -n -9 > "dist/$name.tar.gz"
    fi
done
