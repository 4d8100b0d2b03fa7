#!/bin/sh
# make bench (and make bench-transport alone): the service's peak memory
# (VmHWM) under hostile clients of its transport, a fresh server for each,
# on loopback: 256 slow sign-ins from two addresses; 100 PBX uploads of
# 20 MiB at once (analysis off: bench-attack.sh measures it); eight packages
# of a 590 s 48 kHz FLAC voicemail at once, with /healthz's latency while
# they are made. Target: under 200 MB each; /healthz within 100 ms.
# Usage: bench/bench-transport.sh BIN HELPER (build/bench_transport)
set -eu
BIN=$1
HELPER=$2
W=$(mktemp -d)
PID=
trap 'if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$W"' EXIT
PBX=$("$BIN" token --tokens "$W/tokens" --role pbx --name vaxel | tail -n 1)
OFF=$("$BIN" token --tokens "$W/tokens" --role officer --name reg --org '*' | tail -n 1)

# start [SETTING=VALUE]: a fresh server on a fresh archive, PORT and U set
start() {
    rm -rf "$W/data" "$W/out"
    "$BIN" serve --listen 127.0.0.1:0 --data-dir "$W/data" --tokens "$W/tokens" --analysis-workers 0 \
        ${1:+--set "$1"} > "$W/out" 2> "$W/err" &
    PID=$!
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -s "$W/out" ] && break; sleep 0.2; done
    PORT=$(sed 's/.*://' "$W/out")
    U=http://127.0.0.1:$PORT
    curl -s -o /dev/null -X PUT -H "Authorization: Bearer $PBX" -H "Content-Type: application/json" \
        -d '{"first_name":"Anna","last_name":"Svensson","unit":"Ekonomienheten"}' "$U/v1/mailboxes/4711"
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
hwm() { awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$PID/status"; }

start
echo "  at start: $(hwm)"
echo "  $("$HELPER" slow "$PORT" 256 20 || true); peak $(hwm)"
stop

start
echo "  $("$HELPER" uploads "$PORT" "$PBX" 100 20928044 || true); peak $(hwm) (http_body_budget 64 MiB)"
stop

sox -R -V1 -n -r 48000 -c 1 -b 16 "$W/v590.flac" synth 590 sine 440 vol 0.2
start
id=$(curl -s -X POST -H "Authorization: Bearer $PBX" -H "Content-Type: audio/flac" --data-binary "@$W/v590.flac" \
    "$U/v1/mailboxes/4711/voicemails" | sed 's/.*"id":\([0-9]*\).*/\1/')
code=$(curl -s -o "$W/decision" -w '%{http_code}' -X POST -H "Authorization: Bearer $OFF" \
    -H "Content-Type: application/json" \
    -d '{"decision":"registrera","diarienummer":"KS 2026/0042","arendemening":"Röstmeddelande"}' "$U/v1/voicemails/$id/decision")
# no decision, no package: say so rather than time eight refusals
[ "$code" = 201 ] || { echo "  the decision was refused ($code): $(cat "$W/decision")"; exit 1; }
echo "  after storing the 590 s voicemail ($(stat -c %s "$W/v590.flac") bytes): $(hwm)"
echo "  $("$HELPER" packages "$PORT" "$OFF" "$id" 8 || true); peak $(hwm) (target: /healthz within 100 ms)"
stop
