#!/bin/sh
# The synthetic template on posteriorgrams (bench/make-tts-templates.sh,
# bench_real RV_BENCH_TMPL_PG=1) on real Spanish (both halves; mu-law, then
# GSM), French (the test half only, mu-law: the only channel made) and, if
# build/real exists, real Swedish; one process at a time. Each run's trials
# (RV_BENCH_DUMP) into build/tts-*/dump.txt, then bench/tmpl_fuse reports.
# Usage: bench/tts-template.sh [SETS...]  (default: es-ulaw fr es-gsm)
# Needs build/bench_real, build/tmpl_fuse, /work/main/build/{es,fr}.
set -eu
cd "$(dirname "$0")/.."
ES=${RV_ES_SRC:-/work/main/build/es}
FR=${RV_FR_SRC:-/work/main/build/fr}
[ -f build/tts-es/manifest.tsv ] || sh bench/make-tts-templates.sh "$ES" build/tts-es es-419
[ -f build/tts-fr/manifest.tsv.all ] || {
    sh bench/make-tts-templates.sh "$FR" build/tts-fr fr
    mv build/tts-fr/manifest.tsv build/tts-fr/manifest.tsv.all
    # French: the test half only; nothing is chosen on it
    awk -F'\t' 'NR == 1 || $2 == "fr-test"' build/tts-fr/manifest.tsv.all > build/tts-fr/manifest.tsv
}
REAL=${RV_REAL_SRC:-/work/main/build/real}
[ -f build/tts-sv/manifest.tsv ] || [ ! -f "$REAL/manifest.tsv" ] ||
    TMPL_MIN_LETTERS=1 sh bench/make-tts-templates.sh "$REAL" build/tts-sv sv
for v in ulaw gsm; do
    d=build/tts-es-$v
    mkdir -p $d
    ln -sfn ../tts-es/tmpl $d/tmpl
    for f in build/tts-es/*-$v.wav; do ln -sf "$(readlink -f "$f")" $d/; done
    awk -F'\t' -v c=$v 'NR == 1 || $3 == c' build/tts-es/manifest.tsv > $d/manifest.tsv
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
        es-ulaw) run build/tts-es-ulaw es-419 es ;;
        es-gsm) run build/tts-es-gsm es-419 es ;;
        fr) run build/tts-fr fr fr ;;
        sv) run build/tts-sv sv sv ;;
    esac
done
