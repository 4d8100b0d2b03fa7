#!/bin/sh
# `make demo` and `make screenshots`: an archive built from the shipped
# samples the way a PBX posts them (the directory, each mailbox's greeting,
# voicemails), then a sweep, served by `rostvakt serve` with the web app.
# On a terminal it keeps serving and prints the address and sign-in tokens
# until Ctrl-C; otherwise (CI, scripts, `make demo | tee log`) it checks that
# the pages answer and exits, unless DEMO=serve is in the environment (as
# `make demo DEMO=serve` puts it). DEMO=check checks on a terminal too.
# Usage: tools/demo-archive.sh BIN [DATA_DIR] [--check|--serve|--keep]
#   --keep: build, print "URL<TAB>officer-token<TAB>admin-token<TAB>manager-token
#   <TAB>pbx-token" and leave the server running in the background (its pid
#   in DATA_DIR/serve.pid) for the browser tests and screenshots.
# RV_DEMO_PG=<a PostgreSQL server's connection string, no dbname>: once built,
# the archive is moved to a new database there and served from it.
set -eu
BIN=$1
DATA=${2:-build/demo}
MODE=${3:-}
cd "$(dirname "$0")/.."
NOTTY=
if [ -z "$MODE" ]; then
    case "${DEMO:-}" in
    serve) MODE=--serve ;;
    check) MODE=--check ;;
    "") if [ -t 1 ]; then MODE=--serve; else MODE=--check NOTTY=1; fi ;;
    *) echo "demo: DEMO=$DEMO: serve or check" >&2; exit 2 ;;
    esac
fi
rm -rf "$DATA"
mkdir -p "$DATA/db"
tok() { "$BIN" token --tokens "$DATA/tokens" --role "$1" --name "$2" ${3:+--org "$3"} | tail -n 1; }
PBX=$(tok pbx vaxeln)
OFFICER=$(tok officer anna.registrator '*')
ADMIN=$(tok admin it.admin)
MANAGER=$(tok manager karl.chef@kommun.se '*')
PORT=${RV_DEMO_PORT:-0}
"$BIN" serve --data-dir "$DATA/db" --tokens "$DATA/tokens" --listen "127.0.0.1:$PORT" \
    > "$DATA/serve.log" 2>&1 &
PID=$!
echo "$PID" > "$DATA/serve.pid"
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
if [ "$MODE" != --keep ]; then trap stop EXIT INT TERM; fi
i=0
while ! grep -q "listening on" "$DATA/serve.log" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then cat "$DATA/serve.log" >&2; exit 1; fi
    sleep 0.1
done
URL=http://$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$DATA/serve.log" | head -n 1)
api() { # METHOD PATH TOKEN [curl args...]
    m=$1 p=$2 t=$3; shift 3
    curl -sS -f -o /dev/null -X "$m" -H "Authorization: Bearer $t" "$@" "$URL$p" ||
        { echo "demo: $m $p failed" >&2; exit 1; }
}
# the directory: one mailbox for each greeting sample, labelled by the manifest
n=0
awk -F'\t' 'NR > 1 && $2 == "greeting" { print $1 "\t" $5 "\t" $6 "\t" $7 }' samples/manifest.tsv > "$DATA/boxes"
while IFS="$(printf '\t')" read -r file name unit org; do
    n=$((n + 1))
    ext=$((4700 + n))
    if [ -z "$name" ]; then name="Demo Person$n"; fi
    first=${name%% *}; last=${name#* }
    if [ -z "$unit" ]; then unit=ekonomienheten; fi
    case "$org" in "") org="Botkyrka kommun"; profile=botkyrka ;; "Botkyrka kommun") profile=botkyrka ;; *) profile=default ;; esac
    body=$(printf '{"first_name":"%s","last_name":"%s","unit":"%s","org":"%s","profile":"%s"}' \
        "$first" "$last" "$unit" "$org" "$profile")
    api PUT "/v1/mailboxes/$ext" "$PBX" -H "Content-Type: application/json" --data-binary "$body"
    printf '%s\t%s\n' "$ext" "$file" >> "$DATA/exts"
    printf '%s\n' "$unit" >> "$DATA/units"
    printf '.'
done < "$DATA/boxes"
# the manager manages every unit: a manager sees the units whose managers name them
sort -u "$DATA/units" | while read -r unit; do
    enc=$(printf '%s' "$unit" | od -An -v -tx1 | tr -d ' \n' | sed 's/../%&/g')
    api PUT "/v1/units/$enc" "$ADMIN" -H "Content-Type: application/json" --data-binary '{"managers":["karl.chef@kommun.se"]}'
done
# voicemails, spread over the mailboxes and the last days
k=0
for f in $(awk -F'\t' 'NR > 1 && $2 == "voicemail" { print $1 }' samples/manifest.tsv); do
    k=$((k + 1))
    ext=$(sed -n "${k}p" "$DATA/exts" | cut -f1)
    at=$(date -u -d "$k days ago" +%Y-%m-%dT%H:%M:%SZ)
    api POST "/v1/mailboxes/$ext/voicemails" "$PBX" -H "Content-Type: audio/wav" -H "X-Caller-Number: +4687000$k" \
        -H "X-Received-At: $at" --data-binary "@samples/$f"
    printf '.'
done
# the greetings arrive over four days, each night's sweep sees more of them
for day in 3 2 1 0; do
    i=0
    while IFS="$(printf '\t')" read -r ext file; do
        i=$((i + 1))
        [ $((i % 4)) -eq "$day" ] || continue
        case "$file" in *.ul) ct=audio/basic ;; *) ct=audio/wav ;; esac
        if [ -s "samples/$file" ]; then
            api PUT "/v1/mailboxes/$ext/greeting" "$PBX" -H "Content-Type: $ct" --data-binary "@samples/$file"
        fi
        printf '.'
    done < "$DATA/exts"
    # wait for the voicemails' analyses before the night's sweep
    w=0
    while [ "$(curl -sS "$URL/metrics" | awk '$1 == "rostvakt_queue_depth" { print $2 }')" != 0 ]; do
        w=$((w + 1)); [ $w -lt 600 ] || break; sleep 0.1
    done
    api POST "/v1/sweeps?date=$(date -u -d "$day days ago" +%Y-%m-%d)" "$ADMIN"
done
echo
# RV_DEMO_PG=<a PostgreSQL server's connection string>: the archive built
# above is moved to a new database there (rostvakt migrate) and served from
# it, so that the web app's tests run on a migrated PostgreSQL archive.
if [ -n "${RV_DEMO_PG:-}" ]; then
    stop
    DB=rv_demo_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
    psql "$RV_DEMO_PG" -qc "CREATE DATABASE $DB TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'" ||
        { echo "demo: cannot create a database with RV_DEMO_PG" >&2; exit 1; }
    "$BIN" migrate --from "sqlite:$DATA/db" --to "$RV_DEMO_PG dbname=$DB" > "$DATA/migrate.log" 2>&1 ||
        { cat "$DATA/migrate.log" >&2; exit 1; }
    echo "demo: moved to PostgreSQL ($DB): $(tail -n 1 "$DATA/migrate.log")"
    # the log's first service said "listening on" too: gone before this
    # one starts, or its address could be read for this one's
    rm -f "$DATA/serve.log"
    "$BIN" serve --data-dir "$DATA/db" --tokens "$DATA/tokens" --listen "127.0.0.1:$PORT" \
        --set "store=$RV_DEMO_PG dbname=$DB" > "$DATA/serve.log" 2>&1 &
    PID=$!
    echo "$PID" > "$DATA/serve.pid"
    i=0
    while ! grep -q "listening on" "$DATA/serve.log" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then cat "$DATA/serve.log" >&2; exit 1; fi
        sleep 0.1
    done
    URL=http://$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$DATA/serve.log" | head -n 1)
fi
case "$MODE" in
--keep)
    trap - EXIT INT TERM
    printf '%s\t%s\t%s\t%s\t%s\n' "$URL" "$OFFICER" "$ADMIN" "$MANAGER" "$PBX"
    ;;
--check)
    for p in / /app.js /app.css; do
        code=$(curl -sS -o /dev/null -w '%{http_code}' "$URL$p")
        [ "$code" = 200 ] || { echo "demo: $p answered $code" >&2; exit 1; }
    done
    echo "demo: the archive holds $n mailboxes and $k voicemails; the web app answers at $URL"
    if [ -n "$NOTTY" ]; then
        echo "demo: checked and stopped without serving, as the output is not a terminal; make demo DEMO=serve serves anyway"
    else
        echo "demo: checked and stopped without serving (DEMO=check)"
    fi
    ;;
*)
    echo
    echo "rostvakt's web app: $URL/"
    echo "sign in with one of these tokens:"
    echo "  registrator (officer): $OFFICER"
    echo "  chef (manager):        $MANAGER"
    echo "  admin:                 $ADMIN"
    echo "Ctrl-C stops the service."
    wait "$PID"
    ;;
esac
