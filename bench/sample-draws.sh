#!/bin/sh
# Calibrate's rule on reviews as an installation gets them (the trials the
# shipped verdicts left unsure, and one confident trial in K), every one of
# the K draws of that share (BAND_EVAL_PHASE), counted once against counted
# as the K it stands for (BAND_EVAL_WEIGHTED), each with any band that
# qualifies (BAND_EVAL_WIDEN=always) and with a band wider than the shipped
# one taken only on evidence, as calibrate does (rows ",ev"): per class,
# channel and K, over the draws: how many chose a band at all, the mean of
# the evaluation rows' unsure share and confident right (every speaker but
# the reviewing one, or EVAL's), and how many draws left more unsure than
# the shipped band (more), had confident verdicts right under 0.90 where
# the shipped band's were not (worse), or under 0.90 at all (<0.90); then
# each way's totals over the cells (lines "~").
# Usage: bench/sample-draws.sh DUMP REVIEW_SPEAKER "K..." [EVAL_SPEAKER]
#        bench/sample-draws.sh --margins MARGINS.tsv REVIEW_SPLIT "K..." [EVAL_SPLIT]
#        (build/band_eval built; EVAL: only that speaker's rows, else every other)
#        (bench_verify's RV_BENCH_MARGINS: names and units of the synthetic splits)
set -eu
W=$(mktemp -d /tmp/rostvakt-draws-XXXXXX)
trap 'rm -rf "$W"' EXIT
if [ "${1:-}" = --margins ]; then
    shift
    awk -F'\t' 'BEGIN { OFS = "\t" } {
        print $1, $4, "-", "-", "-", "-", $3 == "name" ? "phrase-name" : "phrase-unit",
              $2 == "ulaw" ? "mu-law" : "GSM", "-", "-", "-", "-", "-", $5 }' "$1" > "$W/dump"
    DUMP=$W/dump
else
    DUMP=$1
fi
FROM=$2 KS=${3:-2 3 4} EVAL=${4:-}
: > "$W/rows"
for K in $KS; do
    p=0
    while [ "$p" -lt "$K" ]; do
        for w in 0 1 2 3; do # counted once, as K; each again widening only on evidence
            wt=$((w % 2)) widen=always
            [ "$w" -lt 2 ] || widen=evidence
            BAND_EVAL_PHASE=$p BAND_EVAL_WEIGHTED=$wt BAND_EVAL_WIDEN=$widen BAND_EVAL_REVIEWS=unsure:$K \
                build/band_eval "$DUMP" "$FROM" > "$W/out"
            awk -v K="$K" -v w="$w" -v from="$FROM" -v eval_on="$EVAL" '
                /^  [a-z]/ { cls = substr($0, 3, 11); ch = substr($0, 15, 8); gsub(/ /, "", ch); band = ($0 ~ /: band \(/) }
                /^    / && $1 != from && (eval_on == "" || $1 == eval_on) {
                    # "SPEAKER N trials: shipped unsure U, right R (n); calibrate<q>s unsure U2, right R2 (n2)"
                    line = $0
                    gsub(/[;,()]/, " ", line)
                    split(line, f, " ")
                    if (f[5] != "unsure" || f[7] != "right" || f[11] != "unsure" || f[13] != "right") {
                        print "sample-draws: cannot read band_eval: " $0 > "/dev/stderr"
                        exit 1
                    }
                    printf "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", cls, ch, K, w, band, f[6], f[8], f[12], f[14]
                }' "$W/out" >> "$W/rows"
        done
        p=$((p + 1))
    done
done
awk -F'\t' '
    { k = $1 "\t" $2 "\t" $3 "\t" $4; n[k]++; bands[k] += $5; u[k] += $8; r[k] += $9
      more[k] += ($8 > $6 + 1e-9); worse[k] += ($9 < 0.90 && $7 >= 0.90); low[k] += ($9 < 0.90)
      shipped_u[k] = $6; shipped_r[k] = $7
      m = $4; tn[m]++; tb[m] += $5; tm[m] += ($8 > $6 + 1e-9); tw[m] += ($9 < 0.90 && $7 >= 0.90)
      tl[m] += ($9 < 0.90); td[m] += $8 - $6 }
    END {
        printf "%-12s %-8s %2s %-9s %6s %7s %7s %6s %6s %6s   (shipped: unsure, right)\n", "class", "channel", "K",
            "counted", "draws", "unsure", "right", "more", "worse", "<0.90"
        for (k in n) {
            split(k, f, "\t")
            printf "%-12s %-8s %2s %-9s %6s %7.3f %7.3f %6d %6d %6d   (%s, %s)\n", f[1], f[2], f[3],
                f[4] == 0 ? "once" : f[4] == 1 ? "as-K" : f[4] == 2 ? "once,ev" : "as-K,ev",
                bands[k] "/" n[k], u[k] / n[k], r[k] / n[k], more[k], worse[k], low[k], shipped_u[k], shipped_r[k]
        }
        for (m = 0; m < 4; m++)
            if (tn[m])
                printf "~ %-9s %d draws: bands %d, more unsure than shipped %d, right < 0.90 where shipped was not %d, right < 0.90 %d, unsure less shipped %+.3f\n",
                    m == 0 ? "once" : m == 1 ? "as-K" : m == 2 ? "once,ev" : "as-K,ev", tn[m], tb[m], tm[m], tw[m],
                    tl[m], td[m] / tn[m]
    }' "$W/rows" | LC_ALL=C sort
