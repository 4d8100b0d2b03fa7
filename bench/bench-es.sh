#!/bin/sh
# make bench: phrase verification on real recorded Spanish and French
# sentences (bench/make-es-sets.sh: Debian's Asterisk prompts, fetched with
# apt-get download into build/cache/asterisk-sounds), scored by bench_real
# as the Swedish sentences are, with espeak-ng's voice of the language and
# its hand-written phone map (bench/lang/; the Spanish one learned from
# espeak-ng speech as the Swedish one was did worse on the tune half). Spanish: the tune half chooses (its length
# lines are fitted there and applied to the test half), the test half
# reports. French: the test half only, with the Spanish tune half's length
# slopes; nothing is chosen on it. The three-way verdicts' real-voice bands
# (bench_real: the fewest unsure with confident verdicts right >= 90 % on
# the Spanish tune half, per codec, for words as units and phrases as
# names) are applied unchanged to the test half, to French and, where
# bench/make-real-sets.sh has made build/real (make bench does, before
# this), to the real Swedish clips and, where bench_verify has written
# build/asr/margins.tsv (RV_BENCH_MARGINS; make bench does), to the
# synthetic splits' names and units.
# Usage: bench/bench-es.sh BENCH_REAL [CACHE]
set -eu
BENCH=${1:-build/bench_real}
CACHE=${2:-build/cache/asterisk-sounds}
cd "$(dirname "$0")/.."
for lang in es fr; do
    sh bench/make-es-sets.sh $lang build/$lang "$CACHE" >/dev/null
done
if [ ! -f build/es/manifest.tsv ]; then
    echo "  no Asterisk prompts (apt-get download asterisk-core-sounds-es-wav failed): skipped"
    exit 0
fi
# RV_BENCH_JOBS (2) processes score a share of the clips each, side by
# side; one more takes their trials and reports (as one process scoring all
# would, but for PocketSphinx's noise estimate, which a decoder carries from
# one clip to the next: a clip's scores can move by a few tenths).
JOBS=${RV_BENCH_JOBS:-2}
run() { # LANG VOICE [env ...]
    lang=$1 voice=$2
    shift 2
    # the hand-written map for every word: on the Spanish tune half it beat
    # the one learned from espeak-ng speech (docs/verification.md)
    set -- RV_BENCH_VOICE="$voice" RV_BENCH_MAP="bench/lang/$lang-arpabet.map" \
        RV_BENCH_DIRECTORY_MAP="bench/lang/$lang-arpabet.map" "$@"
    i=0 pids="" files=""
    while [ $i -lt "$JOBS" ]; do
        env "$@" RV_BENCH_PART="$i $JOBS" RV_BENCH_SAVE="build/$lang/trials-$i" "$BENCH" "build/$lang" >/dev/null &
        pids="$pids $!" files="$files build/$lang/trials-$i"
        i=$((i + 1))
    done
    for p in $pids; do wait "$p"; done
    env "$@" RV_BENCH_LOAD="${files# }" "$BENCH" "build/$lang"
}
start=$(date +%s)
echo "-- Spanish (es_MX_f_Allison; espeak-ng es-419), tune and test halves --"
run es es-419 RV_BENCH_LINE_FROM=es-tune | tee build/es/bench.txt
# the slopes fitted on the Spanish tune half, for French
fs=$(awk '/length line \(a frame\) fitted on es-tune.s read sentences, words/ { print $(NF - 2) }' build/es/bench.txt)
ts=$(awk '/length line \(total\) fitted on es-tune.s read sentences, words/ { print $(NF - 2) }' build/es/bench.txt)
# the real-voice bands chosen on the Spanish tune half
bands=$(sed -n 's/^  RV_BENCH_BANDS="\(.*\)"$/\1/p' build/es/bench.txt)
echo
echo "-- French (fr_CA_f_June; espeak-ng fr), test half, length slopes and bands of the Spanish tune half ($fs, $ts) --"
run fr fr RV_BENCH_LINE_SLOPES="$fs $ts" ${bands:+"RV_BENCH_BANDS=$bands"}
if [ -f build/real/manifest.tsv ] && [ -n "$bands" ]; then
    echo
    echo "-- real Swedish (build/real), the Spanish tune half's real-voice bands --"
    RV_BENCH_BANDS="$bands" "$BENCH" build/real
fi
if [ -f build/asr/margins.tsv ] && [ -n "$bands" ]; then
    echo
    echo "-- the synthetic splits (build/asr/margins.tsv, bench_verify's), the Spanish tune half's real-voice bands --"
    RV_BENCH_BANDS="$bands" "$BENCH" --margins build/asr/margins.tsv
fi
echo "  ($(($(date +%s) - start)) s)"
