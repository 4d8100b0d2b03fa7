#!/bin/sh
# Installs every Debian 12 package rostvakt needs to build, run, test and
# benchmark. Idempotent: packages already present are not touched, and apt is
# only called when something is missing. Run as root (or via sudo).
set -eu

PKGS="
build-essential pkg-config
libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us pocketsphinx
sphinxbase-utils sphinxtrain
libsndfile1-dev libsamplerate0-dev libfftw3-dev
libmicrohttpd-dev libsqlite3-dev libjemalloc-dev sqlite3 libjansson-dev libssl-dev
libespeak-ng-dev espeak-ng
libcriterion-dev libcurl4-openssl-dev curl
sox libsox-fmt-base
asterisk-core-sounds-en-wav asterisk-core-sounds-en
"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "install-deps: need root to install:$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
echo "install-deps: done"
