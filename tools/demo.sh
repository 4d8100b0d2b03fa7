#!/bin/sh
# `make demo`: analyse every shipped sample as the kind its label says and
# print a table, then how many verdicts agree with the labels.
set -eu
BIN=${1:-build/rostvakt}
cd "$(dirname "$0")/.."
M=samples/manifest.tsv
G=$(awk -F'\t' 'NR>1 && $2=="greeting" {print "samples/" $1}' "$M")
V=$(awk -F'\t' 'NR>1 && $2=="voicemail" {print "samples/" $1}' "$M")
echo "== greetings =="
# shellcheck disable=SC2086
"$BIN" analyze --kind greeting --format table $G || true
echo
echo "== voicemails =="
# shellcheck disable=SC2086
"$BIN" analyze --kind voicemail --format table $V || true
echo
T=$(mktemp)
trap 'rm -f "$T"' EXIT
# shellcheck disable=SC2086
{ "$BIN" analyze --kind greeting --format tsv $G; "$BIN" analyze --kind voicemail --format tsv $V; } > "$T" || true
awk -F'\t' 'FNR==NR { if (FNR>1) { want[$1] = ($3=="1") ? $4 : "-" } ; next }
    $1 != "file" { f=$1; sub(/^samples\//, "", f); got = ($3=="MISSING") ? $4 : ($3=="ERROR" ? "error" : "-");
            n++; if (got == want[f]) ok++; else printf "disagrees with its label: %s (label %s, verdict %s)\n", f, want[f], got }
    END { printf "%d of %d verdicts agree with the labels in %s\n", ok, n, "samples/manifest.tsv" }' "$M" "$T"
