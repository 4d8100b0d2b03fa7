#!/bin/sh
# make bench (and make bench-store alone): the archive on SQLite and on
# PostgreSQL, in one run so that the figures compare.
#  1. ingest: 64 connections posting 30 s voicemails to one node on SQLite,
#     one node on PostgreSQL, three nodes on loopback sharing one database
#     (bench/bench_serve.c, the connections dealt out over the nodes): at
#     saturation (each connection posts again on its answer), then at
#     offered loads on a fixed schedule whatever the answers (RV_BENCH_RATES,
#     "25 100" by default, and half of the saturation throughput);
#  2. analysis throughput: speech voicemails queued, then drained by one
#     node with one analysis worker, and by two nodes with one each, three
#     times alternated (RV_BENCH_SPEECH voicemails, RV_BENCH_ANALYSIS_REPEATS);
#  3. the nightly sweep over synthetic archives (bench/bench_sweep.c) on both.
# PostgreSQL is a throwaway server of its own (tests/pg-server.sh: initdb in a
# temporary directory, a Unix socket there), stopped at the end; each part has
# a database of its own on it.
#   bench/bench-store.sh BIN BENCH_SERVE BENCH_SWEEP [quick]
# quick: every part at a tenth of its size (a few minutes, for development).
# RV_BENCH_PARTS="ingest analysis sweep" (the default) says which parts run;
# RV_PG_SETTINGS="-c wal_buffers=64MB ..." starts PostgreSQL with more settings;
# RV_BENCH_RATES, RV_BENCH_HALF and RV_BENCH_INGEST choose the ingest runs (below).
set -eu
BIN=$1; LOAD=$2; SWEEP=$3; SIZE=${4:-full}
cd "$(dirname "$0")/.."
# the sweeps' archives, MAILBOXES:VOICEMAILS: the 200 000 mailboxes have a
# voicemail each, since seeding ten each through the store (a transaction
# of 2 000 000) takes a quarter of an hour on SQLite and, a statement a
# round trip, about an hour on PostgreSQL; RV_BENCH_SWEEPS and
# RV_BENCH_PG_SWEEPS choose others
if [ "$SIZE" = quick ]; then
    POSTS=8; OPEN_SECONDS=8; SPEECH=16; REPEATS=1; SWEEPS="2000:20000 20000:20000"
else
    POSTS=40; OPEN_SECONDS=20; SPEECH=48; REPEATS=3; SWEEPS="20000:200000 200000:200000"
fi
# the ingest part's offered loads (voicemails a second, besides half of
# each configuration's saturation throughput)
RATES=${RV_BENCH_RATES-25 100}
# which configurations (RV_BENCH_INGEST="sqlite pg1 pg3", the default) and
# whether half of each one's saturation is offered (RV_BENCH_HALF=0: not)
INGEST=" ${RV_BENCH_INGEST:-sqlite pg1 pg3} "
# the analysis part's voicemails (each takes seconds of CPU: speech is decoded)
SPEECH=${RV_BENCH_SPEECH:-$SPEECH}; REPEATS=${RV_BENCH_ANALYSIS_REPEATS:-$REPEATS}
PG_SWEEPS=$SWEEPS
SWEEPS=${RV_BENCH_SWEEPS:-$SWEEPS}; PG_SWEEPS=${RV_BENCH_PG_SWEEPS:-$PG_SWEEPS}
W=$(mktemp -d /tmp/rv-bench-XXXXXX)
chmod 711 "$W" # the server's own user reaches $W/pg
PIDS=""
stop_nodes() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
    PIDS=""
}
trap 'stop_nodes; sh tests/pg-server.sh stop "$W/pg"; rm -rf "$W"' EXIT
trap 'exit 143' INT TERM
PG=$(sh tests/pg-server.sh start "$W/pg")
[ -z "${RV_PG_SETTINGS:-}" ] || echo "(PostgreSQL started with $RV_PG_SETTINGS)"
SOCKET=${PG% dbname=*}
# a database of its own, with the C collation docs/ha.md asks for
newdb() {
    psql -q -X "$PG" -c "CREATE DATABASE $1 TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
    echo "$SOCKET dbname=$1"
}

# a 30 s voicemail, 8 kHz mu-law
sox -R -V1 -n -r 8000 -c 1 -b 16 "$W/tone.wav" synth 30 pinknoise vol 0.2
sox -R -V1 "$W/tone.wav" -e u-law "$W/vm.wav"
TOKEN=$("$BIN" token --tokens "$W/tokens" --role pbx --name load | tail -n 1)
ADMIN=$("$BIN" token --tokens "$W/tokens" --role admin --name admin | tail -n 1)

# node NAME STORE ANALYSIS_WORKERS: starts rostvakt serve; its URL in $URL
node() {
    rm -rf "${W:?}/$1"
    mkdir -p "$W/$1"
    "$BIN" serve --listen 127.0.0.1:0 --data-dir "$W/$1/data" --tokens "$W/tokens" --workers 4 \
        --analysis-workers "$3" --set "store=$2" > "$W/$1/out" 2> "$W/$1/err" &
    PIDS="$PIDS $!"
    for i in $(seq 100); do [ -s "$W/$1/out" ] && break; sleep 0.2; done
    [ -s "$W/$1/out" ] || { cat "$W/$1/err" >&2; exit 1; }
    URL="http://127.0.0.1:$(sed 's/.*://' "$W/$1/out")"
}
mailbox() {
    curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json" \
        -d '{"first_name":"Anna","last_name":"Svensson","unit":"Ekonomienheten"}' "$1/v1/mailboxes/4711"
}
urls() { # the nodes' upload URLs, comma-separated
    out=""
    for u in "$@"; do out="$out${out:+,}$u/v1/mailboxes/4711/voicemails"; done
    echo "$out"
}
depth() { curl -s "$1/metrics" | awk '/^rostvakt_queue_depth/ {print $2}'; }

PARTS=" ${RV_BENCH_PARTS:-ingest analysis sweep} "
# ingest_run TAG STORE NODES [RATE]: NODES fresh nodes on STORE (sqlite, or
# a fresh database of the PostgreSQL server named ingestTAG), 64
# connections dealt out over them; RATE empty: saturation (each connection
# posts again on its answer, POSTS each), else RATE posts a second on a
# fixed schedule for about OPEN_SECONDS (between 2 and POSTS each)
ingest_run() {
    itag=$1; istore=$2; inodes=$3; irate=${4:-}
    [ "$istore" = sqlite ] || istore=$(newdb "ingest$itag")
    iurls=""
    for k in $(seq "$inodes"); do
        node "i$itag$k" "$istore" 1; iurls="$iurls $URL"
        if [ "$k" = 1 ]; then mailbox "$URL"; fi
    done
    if [ -z "$irate" ]; then
        "$LOAD" "$(urls $iurls)" "$TOKEN" "$W/vm.wav" 64 "$POSTS" || true # errors are counted in its output
    else
        ieach=$(echo "$irate $OPEN_SECONDS $POSTS" | awk '{n = int($1 * $2 / 64 + 0.5); if (n < 2) n = 2; if (n > $3) n = $3; print n}')
        "$LOAD" "$(urls $iurls)" "$TOKEN" "$W/vm.wav" 64 "$ieach" "$irate" || true
    fi
    stop_nodes
    [ "$2" = sqlite ] || psql -q -X "$PG" -c "DROP DATABASE ingest$itag"
}
# ingest_config TAG STORE NODES: saturation, then the open-loop rates and
# half of the saturation throughput just measured
ingest_config() {
    echo "    load average $(cut -d' ' -f1-3 /proc/loadavg)"
    ingest_run "$1s" "$2" "$3" > "$W/sat"
    cat "$W/sat"
    half=$(awk '/^  throughput/ {printf "%d", $2 / 2}' "$W/sat")
    [ "${RV_BENCH_HALF:-1}" != 0 ] || half=""
    for r in $RATES ${half:+$half}; do
        [ "$r" -gt 0 ] || continue
        echo "    load average $(cut -d' ' -f1-3 /proc/loadavg)"
        ingest_run "$1r$r" "$2" "$3" "$r"
    done
}
if [ "${PARTS#* ingest }" != "$PARTS" ]; then
echo "== ingest: 64 connections, 30 s voicemails (234 KB): saturation, then offered loads =="
echo "  saturation: each connection posts again as soon as it has its answer ($POSTS posts each);"
echo "  offered: the 64 connections together start RATE posts a second on a fixed schedule,"
echo "  whatever the answers, latency counted from each post's scheduled start (RATE: $RATES,"
echo "  and half of the saturation throughput measured just before); fresh nodes and database each run"
if [ "${INGEST#* sqlite }" != "$INGEST" ]; then
    echo "  one node on SQLite:"
    ingest_config 1q sqlite 1
fi
if [ "${INGEST#* pg1 }" != "$INGEST" ]; then
    echo "  one node on PostgreSQL:"
    ingest_config 1p pg 1
fi
if [ "${INGEST#* pg3 }" != "$INGEST" ]; then
    echo "  three nodes on PostgreSQL, one database (the connections dealt out over them):"
    ingest_config 3p pg 3
fi
fi

if [ "${PARTS#* analysis }" != "$PARTS" ]; then
echo
echo "== analysis throughput on PostgreSQL: $SPEECH voicemails queued, then drained, $REPEATS times =="
# A real voicemail has speech, which the analysis decodes for keywords:
# 30 s of the synthetic Swedish voicemails of samples/ (v01 to v04, one
# after the other), 8 kHz mu-law. The pink noise of the ingest part is
# classified empty without speech recognition, so its drain would time
# little more than each job's round trips to the database.
sox -R -V1 samples/v01-bygglov.wav samples/v02-faktura.wav samples/v03-ring-mig.wav samples/v04-overklaga.wav \
    -r 8000 -c 1 -e u-law "$W/speech.wav" trim 0 30
echo "  each voicemail 30 s of synthetic Swedish speech (samples/v01..v04), 8 kHz mu-law, a few bytes"
echo "  changed in each; keyword spotting $( [ -f models/en-us-tel.mllr ] && echo on || echo 'off (models/en-us-tel.mllr not built)')"
# drain DB NODES TAG: queues SPEECH voicemails (8 connections, each posting
# once to open and then SPEECH / 8 - 1 times) through a node with no analysis
# worker, stops it, starts NODES nodes of one worker each, and times from
# when every worker holds its first claim until no job is left, read from
# the database itself every 0.1 s (not from /metrics, which a node
# refreshes each second); prints "COUNT SECONDS PER_SECOND"
PSQL=/usr/lib/postgresql/15/bin/psql # not Debian's Perl wrapper: cheaper to poll with
jobs() { "$PSQL" -X -At "$1" -c "SELECT count(*) || ' ' || count(claimed_by) FROM analysis_jobs"; }
drain() {
    ddb=$1; dn=$2; dtag=$3
    node "q$dtag" "$ddb" 0; mailbox "$URL"
    "$LOAD" "$(urls "$URL")" "$TOKEN" "$W/speech.wav" 8 $((SPEECH / 8 - 1)) > "$W/posted"
    stop_nodes
    set -- $(jobs "$ddb"); q0=$1
    # each worker claims one and waits (the test hook, inert unless set)
    # until every node has started: a node's start (its models) is not
    # counted, nor the first node's head start
    export RV_TEST_ANALYSIS_HOLD="$W/go$dtag"
    for k in $(seq "$dn"); do node "d${dtag}n$k" "$ddb" 1; done
    unset RV_TEST_ANALYSIS_HOLD
    i=0
    while set -- $(jobs "$ddb") && [ "$2" -lt "$dn" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
    touch "$W/go$dtag"
    start=$(date +%s.%N)
    while set -- $(jobs "$ddb") && [ "$1" != 0 ] && [ $i -lt 90000 ]; do sleep 0.1; i=$((i + 1)); done
    end=$(date +%s.%N)
    stop_nodes
    echo "$q0 $start $end" | awk '{printf "%d %.1f %.4f", $1, $3 - $2, $1 / ($3 - $2)}'
}
for r in $(seq "$REPEATS"); do
    set -- $(drain "$(newdb "analysis1r$r")" 1 "1r$r"); one=$3
    echo "  run $r, one node, one analysis worker:        $1 analysed in $2 s: $3 voicemails/s (load average $(cut -d' ' -f1 /proc/loadavg))"
    set -- $(drain "$(newdb "analysis2r$r")" 2 "2r$r"); two=$3
    echo "  run $r, two nodes, one analysis worker each:  $1 analysed in $2 s: $3 voicemails/s (load average $(cut -d' ' -f1 /proc/loadavg))"
    echo "$one $two" | awk -v r="$r" '{printf "  run %s, two nodes / one node: %.2fx (target >= 1.8x on two cores)\n", r, $2 / $1}'
done
fi

if [ "${PARTS#* sweep }" != "$PARTS" ]; then
echo
echo "== nightly sweep over a synthetic archive, both backends (target: 200 000 mailboxes under 30 s) =="
echo "  (wall time; CPU time is the sweeping process's own, not PostgreSQL's)"
for size in $SWEEPS; do
    m=${size%:*}; v=${size#*:}
    echo "  SQLite, $m mailboxes, $v voicemails:"
    start=$(date +%s)
    "$SWEEP" seed "$W/sw$m" "$m" "$v"
    echo "  (seeded through the store in $(( $(date +%s) - start )) s)"
    "$SWEEP" run "$W/sw$m"
    rm -rf "$W/sw$m"
done
for size in $PG_SWEEPS; do
    m=${size%:*}; v=${size#*:}
    echo "  PostgreSQL, $m mailboxes, $v voicemails:"
    DB=$(newdb "sweep$m")
    start=$(date +%s)
    mkdir -p "$W/pw$m"
    "$SWEEP" seed "$W/pw$m" "$m" "$v" "$DB"
    # what autovacuum does after a load this size: the planner's statistics
    psql -q -X "$DB" -c ANALYZE
    echo "  (seeded through the store in $(( $(date +%s) - start )) s)"
    "$SWEEP" run "$W/pw$m" "$DB"
    psql -q -X "$PG" -c "DROP DATABASE sweep$m"
done
fi
