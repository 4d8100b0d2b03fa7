#!/bin/sh
# An installation's whole flow on one real voice (make bench-adapt; not in
# make bench): `rostvakt adapt` learns an MLLR and MAP after it from some of
# its greetings, and `rostvakt calibrate` chooses the three-way band from
# officers' reviews of others; then new greetings are verified. On
# bench/make-es-sets.sh's Asterisk prompts of LANG through CODEC:
#   adapt    the first N tune-half prompts (INSTALL_ES_PROMPTS, default 27 as
#            bench/adapt-es.sh's ADAPT_ES_PROMPTS was measured) teach the
#            MLLR and MAP exactly as adapt-es.sh does (bench/adapt-es-lib.sh;
#            the hand-written map bench/lang/LANG-arpabet.map)
#   review   the other tune-half prompts, as speaker LANG-review: the
#            officers' reviews; bench_real chooses the bands there
#            (RV_BENCH_LINE_FROM=LANG-review, choose_band's rule)
#   test     the test half (LANG-test), which nothing is chosen or learned on
# Review and test are scored twice, with the shipped model (the shipped
# telephone MLLR) and with the MAP model (no MLLR on top, as the service
# loads it), each printing the test half's shipped verdicts and those of the
# band chosen on the review set under the same model; then the MAP model's
# AUC against the shipped one's on the same test trials, paired
# (build/auc_paired). The review prompts are not among the adapt ones, so
# their scores are not flattered by having been learned from;
# INSTALL_ES_REVIEW=all reviews the whole tune half instead, the adapt
# prompts too (an installation's reviewed greetings may be ones it learned
# from).
# French: bench/make-es-sets.sh fr makes the tune half's clips only with
# RV_BENCH_ES_TUNE=1; every rule and N were fixed on Spanish.
# INSTALL_ES_KEEP=DIR keeps the models, outputs and trial dumps there.
# Then the same bands by the rule `rostvakt calibrate` applies (build/band_eval
# on the trial dumps: 90 % right at the lower end of the 95 % interval), on
# every review and on the reviews an installation gets (the unsure list and
# the review list's sample of sure verdicts, weighted).
# Usage: bench/install-es.sh es|fr [ulaw|gsm]  (build/LANG made; build/bench_real,
# build/auc_paired, build/band_eval, build/tools/asr_prep, build/tools/sendump2mixw built)
set -eu
L=${1:-}
CH=${2:-ulaw}
case $L in es) VOICE=es-419 ;; fr) VOICE=fr ;; *) L="" ;; esac
case $CH in ulaw|gsm) ;; *) L="" ;; esac
[ -n "$L" ] || { echo "usage: install-es.sh es|fr [ulaw|gsm]" >&2; exit 64; }
cd "$(dirname "$0")/.."
. tools/mllr-lib.sh
# shellcheck disable=SC2034 # read by bench/adapt-es-lib.sh
ES_TAG=install-es
. bench/adapt-es-lib.sh
SET=build/$L
if ! awk -F'\t' -v s="$L-tune" -v ch="$CH" '$2 == s && $3 == ch { f = 1 } END { exit !f }' "$SET/manifest.tsv" 2>/dev/null; then
    echo "install-es: no $L-tune clips through $CH in $SET (RV_BENCH_ES_TUNE=1 sh bench/make-es-sets.sh $L $SET)" >&2
    exit 66
fi
N=${INSTALL_ES_PROMPTS:-27}
R=${INSTALL_ES_REVIEW:-rest}
case $R in rest) RS="" ;; all) RS=-all ;; *) echo "install-es: INSTALL_ES_REVIEW rest or all" >&2; exit 64 ;; esac
W=$(mktemp -d /tmp/rostvakt-install-es-XXXXXX)
trap 'rm -rf "$W"' EXIT
K=${INSTALL_ES_KEEP:-$W/keep}
mkdir -p "$W/set" "$K"
export RV_BENCH_VOICE="$VOICE" RV_BENCH_MAP="bench/lang/$L-arpabet.map" RV_BENCH_DIRECTORY_MAP="bench/lang/$L-arpabet.map"
echo "install-es: $L through $CH, pronounced with bench/lang/$L-arpabet.map"
es_teach "$SET" "$L-tune" "$CH" "$W/adapt" "$N"
echo "install-es: adapt: $es_n tune prompts, $es_frames frames (10 ms)"
es_learn "$W/adapt" "$K" "$L-$CH-$N"
# review (the other tune prompts, or all of them, renamed) and test, through the codec
awk -F'\t' -v OFS='\t' -v L="$L" -v ch="$CH" -v all=$((${#RS} > 0)) '
    NR == FNR { taught[$1] = 1; next }
    FNR == 1 { print; next }
    $3 == ch && $2 == L "-tune" && (all || !($1 in taught)) { $2 = L "-review"; print }
    $3 == ch && $2 == L "-test"' "$W/adapt/taught" "$SET/manifest.tsv" > "$W/set/manifest.tsv"
for f in $(awk 'NR > 1 { print $1 }' "$W/set/manifest.tsv"); do ln -s "$PWD/$SET/$f" "$W/set/$f"; done
echo "install-es: review: $(grep -c "	$L-review	" "$W/set/manifest.tsv") prompts, test: $(grep -c "	$L-test	" "$W/set/manifest.tsv")"
score() { # NAME VAR=VALUE...
    _s=$1
    shift
    _t0=$(date +%s)
    env RV_BENCH_DUMP=1 RV_BENCH_LINE_FROM="$L-review" "$@" build/bench_real "$W/set" > "$K/$_s-$L-$CH$RS.out" \
        2> "$K/$_s-$L-$CH$RS.dump" || { tail "$K/$_s-$L-$CH$RS.dump" >&2; exit 1; }
    echo "install-es: $_s scored in $(($(date +%s) - _t0)) s"
}
score shipped RV_ASR_ADAPTATION=models/en-us-tel.mllr &
p1=$!
score map RV_BENCH_HMM="$K/map-$L-$CH-$N" RV_ASR_ADAPTATION=none &
p2=$!
wait $p1
wait $p2
for s in shipped map; do
    echo "-- $s model: bands chosen on $L-review, verdicts on review and test --"
    sed -n '/^  real-voice bands/,/^  RV_BENCH_BANDS=/p' "$K/$s-$L-$CH$RS.out"
    # the kinds' headers and the two speakers' rows through the codec
    sed -n '/^  [a-z].*(AUC \[bootstrap 95 %\]/,/^  statistics compared/p' "$K/$s-$L-$CH$RS.out" |
        grep -E "^  [a-z]|^    $L-(review|test) " | grep -v -e '^  statistics compared' -e '^  length line' || true
    awk -F'\t' -v s="$L-test" '$1 == s' "$K/$s-$L-$CH$RS.dump" > "$W/$s.test"
done
echo "-- the test half's trials, the MAP model against the shipped one, paired --"
build/auc_paired "shipped model=$W/shipped.test" "MAP model ($N prompts)=$W/map.test"
for s in shipped map; do
    echo "-- $s model: rostvakt calibrate's rule, bands chosen on $L-review (build/band_eval) --"
    build/band_eval "$K/$s-$L-$CH$RS.dump" "$L-review"
done
# as an installation gets its reviews: the unsure list and the review
# list's sample of sure verdicts (review_sample_every's default, 4), each
# sample counted as the four it stands for, as calibrate counts it
for s in shipped map; do
    echo "-- $s model: the same rule on the unsure reviews and one sure in 4, weighted (build/band_eval) --"
    BAND_EVAL_REVIEWS=unsure:4 BAND_EVAL_WEIGHTED=1 build/band_eval "$K/$s-$L-$CH$RS.dump" "$L-review"
done
for s in shipped map; do
    echo "-- $s model: every draw of one sure review in K, counted once or as K, any band or wider on evidence --"
    sh bench/sample-draws.sh "$K/$s-$L-$CH$RS.dump" "$L-review" "2 3 4 6 8"
done
