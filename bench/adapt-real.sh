#!/bin/sh
# A lever measured by hand, not in make bench: the acoustic model adapted to
# real Swedish voices (one MLLR transform, as tools/adapt-model.sh does for
# the telephone line) on two speakers of ../shared/speech-sv, and scored on
# the third (leave-one-speaker-out) by bench/bench_real.c. With "map" last,
# the model's means and variances are re-estimated by MAP instead and OUT is
# a whole model directory (for bench_real's RV_BENCH_HMM).
# Usage: bench/adapt-real.sh SPEECH_DIR HELDOUT_SPEAKER OUT.mllr|OUT_DIR [map]
# (build/tools/asr_prep, build/tools/sendump2mixw and build/bench_real built).
set -eu
SPEECH=$1; HELD=$2; OUT=$3; HOW=${4:-mllr}
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
. tools/mllr-lib.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/raw"
# the other speakers' usable recordings, through a mu-law line
awk -F'\t' -v h="$HELD" 'NR > 1 && $6 != "guess" && $4 != h { print $1 "\t" tolower($2) }' "$SPEECH/manifest.tsv" \
    > "$W/items"
cut -f2 "$W/items" | tr ' ' '\n' | sort -u | build/bench_real --dict > "$W/dict"
args=""
i=0
while IFS="$(printf '\t')" read -r f text; do
    # every word must be in the dictionary
    for w in $text; do grep -q "^$w " "$W/dict" || continue 2; done
    i=$((i + 1))
    id=$(printf 'u%04d' $i)
    $SOX "$SPEECH/$f" -r 16000 -c 1 -b 16 "$W/$id.in.wav"
    phone "$W/$id.in.wav" "$W/$id.wav" ulaw norm -6
    printf '%s\n' "$id" >> "$W/ctl"
    printf '<s> %s </s> (%s)\n' "$text" "$id" >> "$W/lsn"
    args="$args $W/$id.wav $W/raw/$id.raw"
done < "$W/items"
echo "adapt-real: $i recordings of the speakers other than $HELD"
# shellcheck disable=SC2086
build/tools/asr_prep $args
if [ "$HOW" = map ]; then
    estimate_map "$W" "$W/dict" build/tools/sendump2mixw "$OUT"
else
    estimate_mllr "$W" "$W/dict" build/tools/sendump2mixw "$OUT"
fi
echo "adapt-real: wrote $OUT"
