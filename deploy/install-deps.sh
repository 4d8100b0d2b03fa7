#!/bin/sh
# Installs the Debian 12 packages rostvakt needs, by set:
#   runtime  what the installed program needs to run
#   build    what `make`, `make models` and `make install` need besides
#   test     what `make test`, `make bench` and `make demo` need besides
#   all      all three (the default: what `make test` and `make demo` call)
#   fuzz     what `make fuzz` needs besides: clang with libFuzzer
# Usage: deploy/install-deps.sh [runtime|build|test|all|fuzz]...
# Idempotent: packages already present are not touched, and apt is only
# called when something is missing. Run as root (or via sudo).
set -eu

# libraries the program links (libpq: the archive on PostgreSQL), the
# acoustic model and the PBX prompts it compares greetings with, and sqlite3
# for the backup (.backup)
RUNTIME="
libpocketsphinx3 pocketsphinx-en-us libsphinxbase3
libsndfile1 libsamplerate0 libfftw3-single3
libmicrohttpd12 libsqlite3-0 libacl1 libjemalloc2 libjansson4 libssl3 libcurl4 libgmime-3.0-0
libxml2 libarchive13 libpq5
libespeak-ng1 espeak-ng-data
asterisk-core-sounds-en-wav
sqlite3
"
# compiler, headers, and the model adaptation's training (SphinxTrain and
# the transcribed Asterisk prompts it learns the telephone line from)
BUILD="
build-essential pkg-config
libpocketsphinx-dev libsphinxbase-dev pocketsphinx sphinxbase-utils sphinxtrain
libsndfile1-dev libsamplerate0-dev libfftw3-dev
libmicrohttpd-dev libsqlite3-dev libjemalloc-dev libjansson-dev libssl-dev libcurl4-openssl-dev
libgmime-3.0-dev libxml2-dev libarchive-dev libacl1-dev libpq-dev
libespeak-ng-dev
asterisk-core-sounds-en
"
# the test framework, an HTTP client for the service's tests and bench,
# sox for fixtures and checks (sqlite3 is a runtime package), espeak-ng for synthetic speech,
# Chromium for the web app's browser tests (driven from Node.js, below),
# Dovecot as the IMAP server pbx-sync's e-mail test reads from, aiosmtpd
# as the SMTP server the mailed report goes to, xmllint to validate the
# archive packages against the METS schema, openssl for the tests' throwaway
# TLS certificates, PostgreSQL 15's server for the tests of the archive on
# PostgreSQL (they start their own in a temporary directory, on a Unix
# socket; no system service is used)
TEST="
libcriterion-dev libcurl4-openssl-dev curl
sox libsox-fmt-base espeak-ng
chromium fonts-dejavu-core
dovecot-imapd python3-aiosmtpd libxml2-utils openssl
postgresql-15
"

sets=${*:-all}
PKGS=""
NPM=0
for s in $sets; do
    case "$s" in
    runtime) PKGS="$PKGS $RUNTIME" ;;
    build) PKGS="$PKGS $RUNTIME $BUILD" ;;
    test | all)
        PKGS="$PKGS $RUNTIME $BUILD $TEST"
        NPM=1
        # Node.js and npm from Debian, unless a Node.js with npm is already
        # there (NodeSource's package, say, which conflicts with Debian's npm)
        command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
        command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
        ;;
    fuzz) PKGS="$PKGS $RUNTIME $BUILD clang" ;;
    *) echo "install-deps: no package set '$s' (runtime, build, test, all or fuzz)" >&2; exit 64 ;;
    esac
done

missing=""
for p in $PKGS; do
    case " $missing " in *" $p "*) continue ;; esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

# The browser tests' tools from npm, at the versions of the lock file.
npm_tools() {
    [ "$NPM" = 1 ] || return 0
    dir=$(dirname "$0")/../tests/browser
    if [ -f "$dir/node_modules/.package-lock.json" ] && cmp -s "$dir/package-lock.json" "$dir/node_modules/.lock-copy"; then
        return 0
    fi
    echo "install-deps: installing the browser tests' npm packages (puppeteer-core, axe-core)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) && cp "$dir/package-lock.json" "$dir/node_modules/.lock-copy"
}

if [ -z "$missing" ]; then
    echo "install-deps: all packages present ($sets)"
    npm_tools
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
npm_tools
echo "install-deps: done"
