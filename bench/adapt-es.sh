#!/bin/sh
# Adaptation to one voice on real Spanish, half on half (make bench-adapt;
# not in make bench, an hour more). The tune half's prompts of one codec with their
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
# With ADAPT_ES_KEEP=DIR the matrix, the MAP model and the dumps stay there;
# ADAPT_ES_PROMPTS=N teaches with the first N tune prompts only (fewer
# frames: where MAP starts to help), ADAPT_ES_SCORES the scorings made
# (default "shipped mllr map map+mllr"; the first is the pairs' base).
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
mkdir -p "$W/test" "$K"
DMAP=bench/lang/es-arpabet.map
[ "${MAP:-hand}" = learned ] && DMAP=bench/lang/es-arpabet-directory.map
export RV_BENCH_VOICE=es-419 RV_BENCH_MAP=bench/lang/es-arpabet.map RV_BENCH_DIRECTORY_MAP=$DMAP
N=${ADAPT_ES_PROMPTS:+-$ADAPT_ES_PROMPTS}
echo "adapt-es: $CH, pronounced with $DMAP"
# shellcheck disable=SC2034 # read by bench/adapt-es-lib.sh
ES_TAG=adapt-es
. bench/adapt-es-lib.sh
es_teach build/es es-tune "$CH" "$W" "${ADAPT_ES_PROMPTS:-100000}"
echo "adapt-es: $es_n tune prompts, $es_frames frames (10 ms) of $CH"
es_learn "$W" "$K" "$CH$N"
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
SCORES=${ADAPT_ES_SCORES:-shipped mllr map map+mllr}
pids=""
for name in $SCORES; do # two at a time
    case $name in
        shipped) set -- RV_ASR_ADAPTATION=models/en-us-tel.mllr ;;
        mllr) set -- RV_ASR_ADAPTATION="$K/adapt-$CH$N.mllr" ;;
        map) set -- RV_BENCH_HMM="$K/map-$CH$N" RV_ASR_ADAPTATION=none ;;
        map+mllr) set -- RV_BENCH_HMM="$K/map-$CH$N" RV_ASR_ADAPTATION="$K/adapt-$CH$N.mllr" ;;
        *) echo "adapt-es: $name?" >&2; exit 64 ;;
    esac
    score "$name$N" "$@" &
    pids="$pids $!"
    if [ "$(echo $pids | wc -w)" -ge 2 ]; then for p in $pids; do wait "$p"; done; pids=""; fi
done
for p in $pids; do wait "$p"; done
pairs=""
for name in $SCORES; do
    echo "-- $name: bench_real's figures --"
    sed -n '1p; /^  read sentences/,/^  statistics compared/p' "$K/$name$N-$CH.out" | grep -v '^  statistics compared' || true
    case $name in
        shipped) l="shipped MLLR" ;; mllr) l="installation MLLR" ;;
        map) l="MAP after it, no MLLR" ;; *) l="MAP after it, MLLR on top" ;;
    esac
    pairs="$pairs|$l=$K/$name$N-$CH.dump"
done
echo "-- the same trials, paired --"
IFS='|'
# shellcheck disable=SC2086
build/auc_paired ${pairs#|}
