#!/bin/sh
# make bench: the inbox's list call over 100 000 voicemails (bench/bench_inbox.c).
set -eu
BIN=$1; LOAD=$2; N=${3:-100000}
W=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$W"' EXIT
PID=
"$LOAD" seed "$W/data" "$N"
TOKEN=$("$BIN" token --tokens "$W/tokens" --role officer --name registrator --org '*' | tail -n 1)
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$W/data" --tokens "$W/tokens" --workers 4 \
    --analysis-workers 0 > "$W/out" 2> "$W/err" &
PID=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -s "$W/out" ] && break; sleep 0.5; done
PORT=$(sed 's/.*://' "$W/out")
"$LOAD" run "http://127.0.0.1:$PORT" "$TOKEN"
