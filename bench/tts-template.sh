#!/bin/sh
# The synthetic template on posteriorgrams (bench/make-tts-templates.sh,
# bench_real RV_BENCH_TMPL_PG=1) on real Spanish (both halves; mu-law, then
# GSM), French (the test half only, mu-law: the only channel made; nothing
# is chosen on it) and real Swedish (build/real: words in clips and two
# read sentences); one process at a time. Each run's trials (RV_BENCH_DUMP)
# go to build/tts${TAG}-SET/dump.txt; then build/tmpl_fuse es-tune DUMPS...
# reports (AUC, fusions, paired differences).
# Usage: bench/tts-template.sh [SETS...]  (default: es-ulaw fr es-gsm; also sv)
# Settings: RV_TTS_TAG (a suffix of the build directories, "" by default),
# RV_TTS_ES_VOICES (es-419), RV_TTS_FR_VOICES (fr), RV_TTS_SV_VOICES (sv):
# espeak-ng voices, several giving each word a template a voice, the best fit
# taken; RV_TTS_SPEED (175 words a minute). Needs build/bench_real and the
# lead's sets /work/main/build/{es,fr,real} (RV_ES_SRC, RV_FR_SRC, RV_REAL_SRC).
set -eu
cd "$(dirname "$0")/.."
T=${RV_TTS_TAG:-}
SPEED=${RV_TTS_SPEED:-175}
ES=${RV_ES_SRC:-/work/main/build/es}
FR=${RV_FR_SRC:-/work/main/build/fr}
REAL=${RV_REAL_SRC:-/work/main/build/real}
[ -f "build/tts$T-es/manifest.tsv" ] ||
    sh bench/make-tts-templates.sh "$ES" "build/tts$T-es" "${RV_TTS_ES_VOICES:-es-419}" "$SPEED"
[ -f "build/tts$T-fr/manifest.tsv.all" ] || {
    sh bench/make-tts-templates.sh "$FR" "build/tts$T-fr" "${RV_TTS_FR_VOICES:-fr}" "$SPEED"
    mv "build/tts$T-fr/manifest.tsv" "build/tts$T-fr/manifest.tsv.all"
    # French: the test half only; nothing is chosen on it
    awk -F'\t' 'NR == 1 || $2 == "fr-test"' "build/tts$T-fr/manifest.tsv.all" > "build/tts$T-fr/manifest.tsv"
}
[ -f "build/tts$T-sv/manifest.tsv" ] || [ ! -f "$REAL/manifest.tsv" ] ||
    TMPL_MIN_LETTERS=1 sh bench/make-tts-templates.sh "$REAL" "build/tts$T-sv" "${RV_TTS_SV_VOICES:-sv}" "$SPEED"
for v in ulaw gsm; do
    d=build/tts$T-es-$v
    mkdir -p "$d"
    ln -sfn "../tts$T-es/tmpl" "$d/tmpl"
    for f in "build/tts$T-es/"*-$v.wav; do ln -sf "$(readlink -f "$f")" "$d/"; done
    awk -F'\t' -v c=$v 'NR == 1 || $3 == c' "build/tts$T-es/manifest.tsv" > "$d/manifest.tsv"
done
run() { # DIR VOICE LANG (sv: the shipped Swedish lexicon)
    s=$(date +%s)
    if [ "$3" = sv ]; then
        set -- "$1"
    else
        set -- "$1" RV_BENCH_VOICE="$2" RV_BENCH_MAP="bench/lang/$3-arpabet.map" \
            RV_BENCH_DIRECTORY_MAP="bench/lang/$3-arpabet.map"
    fi
    d=$1
    shift
    env RV_BENCH_TMPL_PG=1 RV_BENCH_QUICK=1 RV_BENCH_DUMP=1 "$@" build/bench_real "$d" > "$d/bench.txt" 2> "$d/dump.txt"
    echo "  $d: $(($(date +%s) - s)) s wall" >> "$d/bench.txt"
}
for set in ${*:-es-ulaw fr es-gsm}; do
    case $set in
        es-ulaw) run "build/tts$T-es-ulaw" es-419 es ;;
        es-gsm) run "build/tts$T-es-gsm" es-419 es ;;
        fr) run "build/tts$T-fr" fr fr ;;
        sv) run "build/tts$T-sv" sv sv ;;
    esac
done
