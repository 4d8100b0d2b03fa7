#!/bin/sh
# make bench: the service's peak memory (VmHWM) under hostile uploads, on
# loopback: 50 connections without a token, each promising a 20 MiB
# voicemail and sending 1 MiB of it; then recordings that decode large: a
# 384 kHz FLAC (refused), three 48 kHz FLAC greetings of 115 s at once (the
# longest greeting accepted is 120 s), and a 48 kHz FLAC voicemail of 570 s
# analysed by the analysis worker. Target: under 200 MB.
# Usage: bench/bench-attack.sh BIN
set -eu
BIN=$1
W=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$W"' EXIT
sox -R -V1 -n -r 384000 -c 1 -b 16 "$W/r384.flac" synth 20 sine 1000 vol 0.3
sox -R -V1 -n -r 192000 -c 1 -b 16 "$W/r192.ogg" synth 60 sine 1000 vol 0.3
sox -R -V1 -n -r 48000 -c 1 -b 16 "$W/r48.flac" synth 115 sine 1000 vol 0.3
sox -R -V1 -n -r 48000 -c 1 -b 16 "$W/v48.flac" synth 570 sine 440 vol 0.2
PBX=$("$BIN" token --tokens "$W/tokens" --role pbx --name vaxel | tail -n 1)
OFF=$("$BIN" token --tokens "$W/tokens" --role officer --name reg --org '*' | tail -n 1)
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$W/data" --tokens "$W/tokens" > "$W/out" 2> "$W/err" &
PID=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$W/out" ] && break; sleep 0.2; done
PORT=$(sed 's/.*://' "$W/out")
U=http://127.0.0.1:$PORT
hwm() { awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$PID/status"; }
echo "  at start: $(hwm)"
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $PBX" -H "Content-Type: application/json" \
    -d '{"first_name":"Anna","last_name":"Svensson","unit":"Ekonomienheten"}' "$U/v1/mailboxes/4711"
head -c 1048576 /dev/zero > "$W/mib"
i=0
pids=""
while [ $i -lt 50 ]; do
    i=$((i + 1))
    { printf 'POST /v1/mailboxes/4711/voicemails HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: 20971520\r\n\r\n'
      cat "$W/mib"; sleep 3; } | timeout 5 curl -s -o /dev/null telnet://127.0.0.1:$PORT 2>/dev/null &
    pids="$pids $!"
done
for p in $pids; do wait "$p" 2>/dev/null || true; done
codes=$(for k in 1 2 3; do { printf 'POST /v1/mailboxes/4711/voicemails HTTP/1.1\r\nHost: x\r\nContent-Length: 20971520\r\n\r\n'; sleep 1; } |
    timeout 3 curl -s telnet://127.0.0.1:$PORT 2>/dev/null | head -n 1 | cut -d' ' -f2; done | tr '\n' ' ')
echo "  50 unauthenticated 20 MiB uploads (1 MiB sent each): peak $(hwm) (answers: $codes)"
c384=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $PBX" -H "Content-Type: audio/flac" \
    --data-binary "@$W/r384.flac" "$U/v1/mailboxes/4711/greeting")
echo "  a 384 kHz FLAC greeting ($(stat -c %s "$W/r384.flac") bytes): $c384, peak $(hwm)"
c192=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $PBX" -H "Content-Type: audio/wav" \
    --data-binary "@$W/r192.ogg" "$U/v1/mailboxes/4711/voicemails")
echo "  a 192 kHz Ogg voicemail ($(stat -c %s "$W/r192.ogg") bytes): $c192, peak $(hwm)"
pids=""
for k in 1 2 3; do
    curl -s -o "$W/g$k" -w '%{http_code}\n' -X PUT -H "Authorization: Bearer $PBX" -H "Content-Type: audio/flac" \
        --data-binary "@$W/r48.flac" "$U/v1/mailboxes/4711/greeting" > "$W/c$k" &
    pids="$pids $!"
done
for p in $pids; do wait "$p" || true; done
echo "  three 48 kHz FLAC greetings of 115 s at once ($(stat -c %s "$W/r48.flac") bytes each): $(cat "$W/c1" "$W/c2" "$W/c3" | tr '\n' ' ')peak $(hwm)"
cv=$(curl -s -o "$W/vm" -w '%{http_code}' -X POST -H "Authorization: Bearer $PBX" -H "Content-Type: audio/flac" \
    --data-binary "@$W/v48.flac" "$U/v1/mailboxes/4711/voicemails")
id=$(sed 's/.*"id":\([0-9]*\).*/\1/' "$W/vm")
i=0
while curl -s -H "Authorization: Bearer $OFF" "$U/v1/voicemails/$id" | grep -q '"state":"queued"' && [ $i -lt 600 ]; do
    i=$((i + 1)); sleep 0.5
done
echo "  a 48 kHz FLAC voicemail of 570 s ($(stat -c %s "$W/v48.flac") bytes): $cv, analysed; peak $(hwm) (target: under 200 MB)"
