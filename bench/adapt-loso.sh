#!/bin/sh
# rostvakt adapt's estimation on real voices, leave-one-speaker-out (make
# bench): for each speaker of SPEECH_DIR, one MLLR learned from the other
# speakers' recordings through mu-law, aligned under the shipped telephone
# MLLR as rostvakt adapt aligns (bench/adapt-real.sh with MLLR_BASE), then
# bench_real on the held-out speaker's clips with that one in place of the
# shipped MLLR (the shipped rows: bench_real's own, run before it in make
# bench; ADAPT_LOSO_SHIPPED=1 prints them here too). Wideband rows use no
# MLLR either way.
# Usage: bench/adapt-loso.sh SPEECH_DIR REAL_DIR (bench/make-real-sets.sh's;
# build/bench_real, build/tools/asr_prep and build/tools/sendump2mixw built)
set -eu
cd "$(dirname "$0")/.."
SPEECH=$1; REAL=$2
W=$(mktemp -d /tmp/rostvakt-loso-XXXXXX)
trap 'rm -rf "$W"' EXIT
for sp in $(awk -F'\t' 'NR > 1 && $6 != "guess" { print $4 }' "$SPEECH/manifest.tsv" | sort -u); do
    MLLR_BASE=models/en-us-tel.mllr nice -n 10 sh bench/adapt-real.sh "$SPEECH" "$sp" "$W/$sp.mllr" \
        > "$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
    echo "  held out: $sp (learned from $(sed -n 's/^adapt-real: \([0-9]*\) recordings.*/\1/p' "$W/log") recordings of the others)"
    hows=installation
    [ "${ADAPT_LOSO_SHIPPED:-0}" = 0 ] || hows="shipped installation"
    for how in $hows; do
        m=models/en-us-tel.mllr
        [ $how = shipped ] || m=$W/$sp.mllr
        RV_ASR_ADAPTATION=$m RV_BENCH_SPEAKER=$sp nice -n 10 build/bench_real "$REAL" > "$W/out" ||
            { cat "$W/out" >&2; exit 1; }
        grep "^    $sp " "$W/out" | sed "s/^    $sp */    $(printf '%-13s' $how)/"
    done
done
