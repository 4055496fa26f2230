#!/bin/sh
# Builds the independent Go verifier into the path given as $1, from Debian's Go toolchain and
# golang.org/x/mod in GOPATH mode (no network, no module download):
#   apt-get install -y golang-go golang-golang-x-mod-dev
# Exit status 3 (with the packages to install) when either is missing.
set -eu
if ! command -v go >/dev/null 2>&1; then
    echo "go is not installed: apt-get install -y golang-go golang-golang-x-mod-dev" >&2
    exit 3
fi
gocode=/usr/share/gocode
if [ ! -f "$gocode/src/golang.org/x/mod/sumdb/note/note.go" ] || [ ! -f "$gocode/src/golang.org/x/mod/sumdb/tlog/tlog.go" ]; then
    echo "golang.org/x/mod is not in $gocode: apt-get install -y golang-golang-x-mod-dev" >&2
    exit 3
fi
if [ $# -ne 1 ]; then
    echo "usage: $0 OUTPUT" >&2
    exit 2
fi
case $1 in
/*) out=$1 ;;
*) out=$(pwd)/$1 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
# go needs a build cache; a CI job without HOME gets a throwaway one.
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
    export GOCACHE="$gopath/cache"
fi
cd "$here"
GO111MODULE=off GOPATH="$gopath:$gocode" GOFLAGS= go build -o "$out" .
