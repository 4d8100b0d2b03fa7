#!/bin/sh
# A lever measured by hand, not in make bench: adaptation to one voice on
# real Spanish, half on half. The tune half's prompts of one codec with their
# transcripts (bench/make-es-sets.sh es build/es) teach, the test half's
# clips of the same codec are scored by bench_real, every scoring on the same
# trials:
#   shipped    the shipped telephone MLLR (nothing learned)
#   mllr       one global MLLR mean transform as `rostvakt adapt` estimates
#              it (bw aligning under the shipped telephone MLLR, then
#              mllr_solve: tools/mllr-lib.sh), in place of the shipped one
#   map        then MAP (SphinxTrain's map_adapt, Bayesian means; bw aligning
#              on Debian's model with that MLLR's means, which are the
#              prior), the adapted model scored with no MLLR on top
#   map+mllr   the same model with the learned MLLR applied on top as well
#              (that MLLR counted twice: the only way the service could load
#              a MAP model beside its MLLR without a second transform)
# then the AUC of each with its bootstrap interval and every difference with
# its paired interval (build/auc_paired: the same trials resampled together).
# MAP=hand (default) pronounces with the hand-written Spanish map for every
# word, as bench/bench-es.sh scores; MAP=learned with the directory map
# learned from espeak-ng speech (bench/lang/es-arpabet-directory.map).
# With ADAPT_ES_KEEP=DIR the matrix, the MAP model and the dumps stay there.
# Usage: bench/adapt-es.sh [ulaw|gsm]  (build/es made; build/tools/asr_prep,
# build/tools/sendump2mixw, build/bench_real and build/auc_paired built)
set -eu
CH=${1:-ulaw}
case $CH in ulaw|gsm) ;; *) echo "usage: adapt-es.sh [ulaw|gsm]" >&2; exit 64 ;; esac
cd "$(dirname "$0")/.."
. tools/mllr-lib.sh
W=$(mktemp -d /tmp/rostvakt-adapt-es-XXXXXX)
trap 'rm -rf "$W"' EXIT
K=${ADAPT_ES_KEEP:-$W/keep}
mkdir -p "$W/raw" "$W/test" "$K"
DMAP=bench/lang/es-arpabet.map
[ "${MAP:-hand}" = learned ] && DMAP=bench/lang/es-arpabet-directory.map
export RV_BENCH_VOICE=es-419 RV_BENCH_MAP=bench/lang/es-arpabet.map RV_BENCH_DIRECTORY_MAP=$DMAP
echo "adapt-es: $CH, pronounced with $DMAP"
# the tune half's prompts: clip and text (clips.tsv: n prompt half text ...)
awk -F'\t' -v ch="$CH" '$3 == "es-tune" { print "p" $1 "-" ch ".wav\t" $4 }' build/es/clips.tsv > "$W/items"
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
# shellcheck disable=SC2086
build/tools/asr_prep $args
frames=0
for r in "$W"/raw/*.raw; do frames=$((frames + $(stat -c %s "$r") / 320)); done
echo "adapt-es: $i tune prompts, $frames frames (10 ms) of $CH"
t0=$(date +%s)
MLLR_BASE=models/en-us-tel.mllr estimate_mllr "$W" "$W/dict" build/tools/sendump2mixw "$K/adapt-$CH.mllr"
echo "adapt-es: the MLLR in $(( $(date +%s) - t0 )) s"
# MAP after it: Debian's model with its means moved by the MLLR, bw aligning
# on that (no MLLR on top), map_adapt with those means as the prior
t0=$(date +%s)
rm -rf "$W/mllr-model" && cp -r "$MLLR_MODEL/." "$W/mllr-model"
"$MLLR_TRAIN/mllr_transform" -inmeanfn "$MLLR_MODEL/means" -outmeanfn "$W/mllr-model/means" \
    -mllrmat "$K/adapt-$CH.mllr" > "$W/transform.log" 2>&1 || { tail "$W/transform.log" >&2; exit 1; }
mkdir -p "$W/map"
cp -r "$W/raw" "$W/ctl" "$W/lsn" "$W/map/"
(MLLR_MODEL=$W/mllr-model; unset MLLR_BASE; estimate_map "$W/map" "$W/dict" build/tools/sendump2mixw "$K/map-$CH")
echo "adapt-es: MAP after it in $(( $(date +%s) - t0 )) s"
# the test half's clips of the codec, scored four ways
awk -F'\t' -v ch="$CH" 'NR == 1 || ($2 == "es-test" && $3 == ch)' build/es/manifest.tsv > "$W/test/manifest.tsv"
for f in $(awk 'NR > 1 { print $1 }' "$W/test/manifest.tsv"); do ln -s "$PWD/build/es/$f" "$W/test/$f"; done
score() { # NAME [VAR=VALUE...]
    name=$1; shift
    t0=$(date +%s)
    env RV_BENCH_DUMP=1 "$@" build/bench_real "$W/test" > "$K/$name-$CH.out" 2> "$K/$name-$CH.dump" ||
        { cat "$K/$name-$CH.dump" >&2; exit 1; }
    echo "adapt-es: $name scored in $(( $(date +%s) - t0 )) s"
}
score shipped RV_ASR_ADAPTATION=models/en-us-tel.mllr &
p1=$!
score mllr RV_ASR_ADAPTATION="$K/adapt-$CH.mllr"
wait $p1
score map RV_BENCH_HMM="$K/map-$CH" RV_ASR_ADAPTATION=none &
p1=$!
score map+mllr RV_BENCH_HMM="$K/map-$CH" RV_ASR_ADAPTATION="$K/adapt-$CH.mllr"
wait $p1
for name in shipped mllr map map+mllr; do
    echo "-- $name: bench_real's figures --"
    sed -n '/read sentences/,/^  words in clips, all/p' "$K/$name-$CH.out" | grep -v '^  words in clips, all' || true
done
echo "-- the same trials, paired --"
build/auc_paired "shipped MLLR=$K/shipped-$CH.dump" "installation MLLR=$K/mllr-$CH.dump" \
    "MAP after it, no MLLR=$K/map-$CH.dump" "MAP after it, MLLR on top=$K/map+mllr-$CH.dump"
