#!/bin/sh
# make bench: rostvakt serve under load on loopback (bench/bench_serve.c).
set -eu
BIN=$1; LOAD=$2
W=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$W"' EXIT
# a 30 s voicemail, 8 kHz mu-law
sox -R -V1 -n -r 8000 -c 1 -b 16 "$W/tone.wav" synth 30 pinknoise vol 0.2
sox -R -V1 "$W/tone.wav" -e u-law "$W/vm.wav"
TOKEN=$("$BIN" token --tokens "$W/tokens" --role pbx --name load | tail -n 1)
ADMIN=$("$BIN" token --tokens "$W/tokens" --role admin --name admin | tail -n 1)
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$W/data" --tokens "$W/tokens" --workers 4 \
    --analysis-workers 1 > "$W/out" 2> "$W/err" &
PID=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$W/out" ] && break; sleep 0.2; done
PORT=$(sed 's/.*://' "$W/out")
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json" \
    -d '{"first_name":"Anna","last_name":"Svensson","unit":"Ekonomienheten"}' \
    "http://127.0.0.1:$PORT/v1/mailboxes/4711"
URL="http://127.0.0.1:$PORT/v1/mailboxes/4711/voicemails"
# as fast as the service answers: 64 connections, each posting again on its 201
"$LOAD" "$URL" "$TOKEN" "$W/vm.wav" 64 40
# a fixed offered load (far above any PBX: a large municipality takes a few
# thousand voicemails a day), latency counted from each post's scheduled start
"$LOAD" "$URL" "$TOKEN" "$W/vm.wav" 64 10 200
"$LOAD" "$URL" "$TOKEN" "$W/vm.wav" 64 10 500
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E "^rostvakt_queue_depth" | sed 's/^/  after the run: /'
