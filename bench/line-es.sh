#!/bin/sh
# make bench: the telephone adaptation learned with the English prompts
# sent through a telephone line first (tools/adapt-model.sh with
# RV_ADAPT_LINE=telephone) against the shipped one, learned from the
# studio recordings as they are: on the real Spanish and French test halves
# of bench/make-es-sets.sh through mu-law and GSM, and on the synthetic
# tune and test splits' names and units (bench_verify's margins, where
# build/asr is made), each paired on the same trials (build/auc_paired).
# Neither language's prompts enter the adaptation.
# Usage: bench/line-es.sh  (build/es and build/fr made by bench/bench-es.sh;
# models/en-us-tel.mllr, build/bench_real, build/bench_verify,
# build/auc_paired, build/tools/asr_prep and build/tools/sendump2mixw built)
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build/es/manifest.tsv ]; then
    echo "  no Asterisk prompts: skipped"
    exit 0
fi
W=$(mktemp -d /tmp/rostvakt-line-es-XXXXXX)
trap 'rm -rf "$W"' EXIT
RV_ADAPT_LINE=telephone sh tools/adapt-model.sh build/tools/asr_prep build/tools/sendump2mixw "$W/line.mllr" \
    "$W/heldout.tsv" > "$W/adapt.log" 2>&1 || { cat "$W/adapt.log" >&2; exit 1; }
sed 's/^/  /' "$W/adapt.log"
SHIPPED="learned from the studio recordings (shipped)"
LINE="learned through a telephone line"
# the synthetic splits: bench_verify's margins (split, channel, name|unit,
# said, margin) as bench_real's trial dump, so that auc_paired reads them
if [ -d build/asr/tune ] && [ -d build/asr/test ]; then
    t0=$(date +%s)
    pids=""
    for m in shipped line; do
        mllr=models/en-us-tel.mllr
        [ $m = line ] && mllr=$W/line.mllr
        RV_BENCH_MARGINS="$W/margins-$m.tsv" RV_ASR_MLLR=$mllr build/bench_verify build/asr/tune build/asr/test \
            > "$W/verify-$m.out" 2>&1 &
        pids="$pids $!"
    done
    failed=0
    for p in $pids; do wait "$p" || failed=1; done
    [ $failed = 0 ] || { cat "$W"/verify-*.out >&2; exit 1; }
    for m in shipped line; do
        awk -F'\t' -v OFS='\t' '{ print $1, $4, $5, "-", "-", "-", $3, $2, "-", "-", NR, "-", "-" }' \
            "$W/margins-$m.tsv" > "$W/synthetic-$m.test"
    done
    echo "-- the synthetic tune and test splits, names weighed against the directory and units ($(($(date +%s) - t0)) s) --"
    for sp in tune test; do
        for m in shipped line; do awk -F'\t' -v s=$sp '$1 == s' "$W/synthetic-$m.test" > "$W/$sp-$m.test"; done
        echo "  $sp split:"
        build/auc_paired "$SHIPPED=$W/$sp-shipped.test" "$LINE=$W/$sp-line.test"
    done
fi
score() { # LANG CH NAME MLLR
    _v=es-419
    [ "$1" = fr ] && _v=fr
    RV_BENCH_DUMP=1 RV_BENCH_VOICE=$_v RV_BENCH_MAP="bench/lang/$1-arpabet.map" \
        RV_BENCH_DIRECTORY_MAP="bench/lang/$1-arpabet.map" RV_ASR_ADAPTATION="$4" \
        build/bench_real "$W/$1-$2" > /dev/null 2> "$W/$3.dump" || { tail "$W/$3.dump" >&2; exit 1; }
    awk -F'\t' -v s="$1-test" '$1 == s' "$W/$3.dump" > "$W/$3.test"
}
for L in es fr; do
    [ -f "build/$L/manifest.tsv" ] || { echo "-- no build/$L: skipped --"; continue; }
    for CH in ulaw gsm; do
        mkdir -p "$W/$L-$CH"
        awk -F'\t' -v s="$L-test" -v ch="$CH" 'NR == 1 || ($2 == s && $3 == ch)' "build/$L/manifest.tsv" \
            > "$W/$L-$CH/manifest.tsv"
        [ "$(wc -l < "$W/$L-$CH/manifest.tsv")" -gt 1 ] || continue
        for f in $(awk 'NR > 1 { print $1 }' "$W/$L-$CH/manifest.tsv"); do ln -s "$PWD/build/$L/$f" "$W/$L-$CH/$f"; done
        t0=$(date +%s)
        score "$L" "$CH" shipped models/en-us-tel.mllr &
        p1=$!
        score "$L" "$CH" line "$W/line.mllr" &
        p2=$!
        failed=0
        wait $p1 || failed=1
        wait $p2 || failed=1
        [ $failed = 0 ] || exit 1
        echo "-- $L test half through $CH ($(($(date +%s) - t0)) s) --"
        build/auc_paired "$SHIPPED=$W/shipped.test" "$LINE=$W/line.test"
    done
done
