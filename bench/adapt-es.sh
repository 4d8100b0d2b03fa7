#!/bin/sh
# A lever measured by hand, not in make bench: adaptation to one voice on
# real Spanish, as `rostvakt adapt` estimates it (one global MLLR mean
# transform, SphinxTrain's bw aligning under the shipped telephone MLLR, then
# mllr_solve: tools/mllr-lib.sh) from the tune half's mu-law prompts with
# their transcripts (bench/make-es-sets.sh es build/es), then bench_real on
# the test half's mu-law clips with that matrix instead of the shipped one.
# Usage: bench/adapt-es.sh [OUT.mllr]  (build/es made; build/tools/asr_prep,
# build/tools/sendump2mixw and build/bench_real built). Prints bench_real's
# figures for the test half.
set -eu
OUT=${1:-build/es/adapt-tune.mllr}
cd "$(dirname "$0")/.."
. tools/mllr-lib.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/raw" "$W/test"
export RV_BENCH_VOICE=es-419 RV_BENCH_MAP=bench/lang/es-arpabet.map \
    RV_BENCH_DIRECTORY_MAP=bench/lang/es-arpabet-directory.map
# the tune half's prompts: clip and text (clips.tsv: n prompt half text ...)
awk -F'\t' '$3 == "es-tune" { print "p" $1 "-ulaw.wav\t" $4 }' build/es/clips.tsv > "$W/items"
cut -f2 "$W/items" | tr ' ' '\n' | sort -u | build/bench_real --dict > "$W/dict"
args=""
i=0
while IFS="$(printf '\t')" read -r f text; do
    [ -f "build/es/$f" ] || continue
    for w in $text; do grep -q "^$w " "$W/dict" || continue 2; done # every word pronounced
    i=$((i + 1))
    id=$(printf 'u%04d' $i)
    printf '%s\n' "$id" >> "$W/ctl"
    printf '<s> %s </s> (%s)\n' "$text" "$id" >> "$W/lsn"
    args="$args build/es/$f $W/raw/$id.raw"
done < "$W/items"
echo "adapt-es: $i tune prompts"
# shellcheck disable=SC2086
build/tools/asr_prep $args
MLLR_BASE=models/en-us-tel.mllr estimate_mllr "$W" "$W/dict" build/tools/sendump2mixw "$OUT"
echo "adapt-es: wrote $OUT"
# the test half's mu-law clips, scored with it
awk -F'\t' 'NR == 1 || ($2 == "es-test" && $3 == "ulaw")' build/es/manifest.tsv > "$W/test/manifest.tsv"
for f in $(awk 'NR > 1 { print $1 }' "$W/test/manifest.tsv"); do ln -s "$PWD/build/es/$f" "$W/test/$f"; done
RV_ASR_ADAPTATION=$OUT build/bench_real "$W/test"
