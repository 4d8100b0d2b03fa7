#!/bin/sh
# readme-walkthrough.sh README BIN: runs the README's API walk-through (the
# sh block after the line "<!-- walk-through -->") against a fresh
# `BIN serve` with its own tokens, every curl failing on an HTTP error, and
# checks what the walk-through promises: the voicemail is listed as a
# possible public record and the decision is taken. Exit 1 on any failure.
set -eu
readme=$1
bin=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
t=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$t"; }
trap cleanup EXIT

awk '/^<!-- walk-through -->$/ { on = 1; next } on && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { exit } inside { print }' "$readme" > "$t/block.sh"
[ -s "$t/block.sh" ] || { echo "readme-walkthrough: no sh block after <!-- walk-through --> in $readme"; exit 1; }
grep -q '^PBX=rv_\.\.\.; OFFICER=rv_\.\.\.; ADMIN=rv_\.\.\.; U=' "$t/block.sh" ||
    { echo "readme-walkthrough: the block's first line no longer sets PBX, OFFICER, ADMIN and U"; exit 1; }

tok() { "$bin" token --tokens "$t/tokens" --role "$1" --name "$2" ${3:+--org "$3"} | tail -n 1; }
PBX=$(tok pbx vaxel)
OFFICER=$(tok officer registrator '*')
ADMIN=$(tok admin it)
"$bin" serve --listen 127.0.0.1:0 --data-dir "$t/data" --tokens "$t/tokens" > "$t/serve.out" 2> "$t/serve.err" &
server=$!
for _ in $(seq 100); do grep -q ':[0-9]' "$t/serve.out" 2>/dev/null && break; sleep 0.1; done
U=http://$(sed -n '1s/.* \([0-9.]*:[0-9]*\).*/\1/p' "$t/serve.out")
curl -sf "$U/healthz" > /dev/null || { echo "readme-walkthrough: the server did not start"; cat "$t/serve.err"; exit 1; }

# the block, in a folder with the repository's samples/, without its
# placeholder line, each curl failing on an HTTP error
{
    echo 'set -eu'
    echo 'curl() { command curl -sS --fail-with-body "$@"; echo; }'
    sed '1d' "$t/block.sh"
} > "$t/run.sh"
ln -s "$(cd "$(dirname "$readme")" && pwd)/samples" "$t/samples"
cd "$t"
if ! PBX=$PBX OFFICER=$OFFICER ADMIN=$ADMIN U=$U sh "$t/run.sh" > "$t/out" 2>&1; then
    echo "readme-walkthrough: a step of the README failed:"
    cat "$t/out"
    exit 1
fi
fail=0
grep -q '"classification":"possible_public_record"' "$t/out" ||
    { echo "readme-walkthrough: the filtered list shows no possible public record"; fail=1; }
grep -q '"decision":"registrera"' "$t/out" || { echo "readme-walkthrough: no decision was taken"; fail=1; }
[ $fail = 0 ] || cat "$t/out"
exit $fail
