#!/bin/sh
# A throwaway PostgreSQL 15 for the tests: a cluster in DIR, listening only
# on a Unix socket in DIR (no TCP, no system service), run by an unprivileged
# user when started as root (initdb refuses root; DIR's parents must let
# that user, postgres or nobody, through).
#   tests/pg-server.sh start DIR   prints the connection string on stdout
#   tests/pg-server.sh stop DIR    stops it (DIR is left for the caller)
# RV_PG_SETTINGS: more server settings, "-c name=value ..." (the bench's)
set -eu
BIN=${RV_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 64; }
as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        user=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}
case "$cmd" in
start)
    mkdir -p "$dir"
    chmod 755 "$dir" # the socket is there: a test's unprivileged user reaches it too
    if [ "$(id -u)" -eq 0 ]; then
        user=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
        chown "$user" "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_user "$BIN/initdb" -D "$dir/data" -A trust -U rostvakt -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_user "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=300 -c fsync=on ${RV_PG_SETTINGS:-}" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=$dir user=rostvakt dbname=postgres"
    ;;
stop)
    as_user "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 64 ;;
esac
