#!/bin/sh
# make bench: phrase verification on real recorded Spanish and French
# sentences (bench/make-es-sets.sh: Debian's Asterisk prompts, fetched with
# apt-get download into build/cache/asterisk-sounds), scored by bench_real
# as the Swedish sentences are, with espeak-ng's voice of the language and
# its hand-written phone map (bench/lang/; the Spanish one learned from
# espeak-ng speech as the Swedish one was did worse on the tune half). Spanish: the tune half chooses (its length
# lines are fitted there and applied to the test half), the test half
# reports. French: the test half only, with the Spanish tune half's length
# slopes; nothing is chosen on it.
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
run() { # LANG VOICE [env ...]
    lang=$1 voice=$2
    shift 2
    # the hand-written map for every word: on the Spanish tune half it beat
    # the one learned from espeak-ng speech (docs/verification.md)
    env RV_BENCH_VOICE="$voice" RV_BENCH_MAP="bench/lang/$lang-arpabet.map" \
        RV_BENCH_DIRECTORY_MAP="bench/lang/$lang-arpabet.map" "$@" "$BENCH" "build/$lang"
}
start=$(date +%s)
echo "-- Spanish (es_MX_f_Allison; espeak-ng es-419), tune and test halves --"
run es es-419 RV_BENCH_LINE_FROM=es-tune | tee build/es/bench.txt
# the slopes fitted on the Spanish tune half, for French
fs=$(awk '/length line \(a frame\) fitted on es-tune/ { print $(NF - 2) }' build/es/bench.txt)
ts=$(awk '/length line \(total\) fitted on es-tune/ { print $(NF - 2) }' build/es/bench.txt)
echo
echo "-- French (fr_CA_f_June; espeak-ng fr), test half, length slopes of the Spanish tune half ($fs, $ts) --"
run fr fr RV_BENCH_LINE_SLOPES="$fs $ts"
echo "  ($(($(date +%s) - start)) s)"
