#!/bin/sh
# The learning curve of rostvakt adapt on one synthetic installation
# (bench/make-adapt-set.sh: voices the tune split never had). The pool's
# mailboxes and greetings go to a running service, which analyses each at
# upload with the shipped model; after the first SIZE of them, `rostvakt
# adapt` (its own choice of greetings)
# learns an MLLR (--min-frames ADAPT_MIN_FRAMES, default 1: the estimation
# at every size; the line says when the default minimum was not reached),
# and the held-out greetings of the same voices are scored
# with it at the shipped thresholds (bench_verify --installation). SIZE 0 is
# the shipped matrix. Where the command also learned a MAP model (its
# frames reached --map-min-frames: ADAPT_MAP_MIN_FRAMES, default the
# command's), the held-out greetings are scored with that too, as the
# service would load it (the model for telephone lines, no MLLR on top).
# Options after the sizes:
#   map        the largest size with --map-min-frames 1: the command's MAP
#              model after its MLLR (SphinxTrain's map_adapt on the same
#              aligned phrases, the MLLR's means the prior) whatever the
#              frames
#   wideband N then N of the pool's greetings at 16 kHz, an MLLR of the
#              plain model learned from them as the command learns the
#              telephone one, scored on the held-out greetings at 16 kHz
# With ADAPT_CURVE_KEEP=DIR each score is copied there when made, and the
# matrices at the end.
# Usage: bench/adapt-curve.sh ROSTVAKT SET_DIR "SIZES" [map] [wideband N]
# (build/bench_verify, build/adapt_collect, build/tools/sendump2mixw built)
set -eu
cd "$(dirname "$0")/.."
. tools/mllr-lib.sh
BIN=$1; SET=$2; SIZES=$3; shift 3
MAP=0; WB=0; MIN=${ADAPT_MIN_FRAMES:-1}
while [ $# -gt 0 ]; do
    case $1 in
        map) MAP=1 ;;
        wideband) WB=$2; shift ;;
        *) echo "adapt-curve: $1?" >&2; exit 64 ;;
    esac
    shift
done
D=$(mktemp -d /tmp/rostvakt-curve-XXXXXX)
SPID=
cleanup() {
    [ -z "${ADAPT_CURVE_KEEP:-}" ] || cp "$D"/mllr-* "$ADAPT_CURVE_KEEP"/ 2>/dev/null || true
    [ -z "$SPID" ] || { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null || true; }
    rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$D/data" ${ADAPT_CURVE_KEEP:+"$ADAPT_CURVE_KEEP"}
TOK=$("$BIN" token --tokens "$D/tokens" --role pbx --name vaxel | tail -n 1)
nice -n 10 "$BIN" serve --listen 127.0.0.1:0 --data-dir "$D/data" --tokens "$D/tokens" --workers 2 \
    --set max_audio_seconds=600 > "$D/serve.out" 2> "$D/serve.err" &
SPID=$!
i=0
until grep -q 'listening on' "$D/serve.out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat "$D/serve.err" >&2; exit 1; }
    sleep 0.1
done
URL=http://$(sed -n 's/.*listening on //p' "$D/serve.out" | head -1)
export URL TOK

# load FROM TO DIR SUFFIX EXT_BASE: the pool's mailboxes FROM..TO with their
# greetings from SET/DIR/<file>SUFFIX, two at a time; prints the seconds
load() {
    t0=$(date +%s)
    awk -F'\t' -v a="$1" -v b="$2" -v base="$5" 'NR > 1 && NR - 1 >= a && NR - 1 <= b {
        print base + NR - 1 "\t" $2 "\t" $3 "\t" $4 "\t" $5 }' "$SET/pool.tsv" |
    while IFS="$(printf '\t')" read -r ext first last unit file; do
        printf '%s\t%s\t%s\t%s\t%s\n' "$ext" "$first" "$last" "$unit" "$SET/$3/$file$4"
    done | tr '\t\n' '\037\000' | xargs -0 -r -P 2 -n 1 sh -c '
        IFS="$(printf "\037")"; set -- $1
        type=audio/wav; case $5 in *.flac) type=audio/flac ;; esac
        s=$(curl -s -o /dev/null -w "%{http_code}" -X PUT -H "Authorization: Bearer $TOK" \
            -H "Content-Type: application/json" \
            --data "{\"first_name\":\"$2\",\"last_name\":\"$3\",\"unit\":\"$4\"}" "$URL/v1/mailboxes/$1")
        case $s in 20?) ;; *) echo "adapt-curve: mailbox $1: HTTP $s" >&2; exit 255 ;; esac
        s=$(curl -s -o /dev/null -w "%{http_code}" -X PUT -H "Authorization: Bearer $TOK" \
            -H "Content-Type: $type" --data-binary "@$5" "$URL/v1/mailboxes/$1/greeting")
        case $s in 20?) ;; *) echo "adapt-curve: greeting $1: HTTP $s" >&2; exit 255 ;; esac' sh
    echo $(( $(date +%s) - t0 ))
}

echo "adapt-curve: $(($(wc -l < "$SET/pool.tsv") - 1)) greetings to learn from, held out:" \
    "$(($(wc -l < "$SET/heldout/manifest.tsv") - 1)) greetings of 40 other mailboxes of the same voices"
# score N LABEL DIR [VAR=VALUE...]: the held-out greetings of DIR, in the
# background (while the next greetings are analysed) into D/score-N;
# report prints them in order
score() {
    key=$1; label=$2; dir=$3; shift 3
    ( t0=$(date +%s)
      env "$@" nice -n 10 build/bench_verify --installation "$dir" > "$D/score-$key.tmp" 2>&1 || echo "  failed" >> "$D/score-$key.tmp"
      { echo "  $label (scored in $(( $(date +%s) - t0 )) s):"; cat "$D/score-$key.tmp"; } > "$D/score-$key"
      [ -z "${ADAPT_CURVE_KEEP:-}" ] || cp "$D/score-$key" "$ADAPT_CURVE_KEEP/" ) &
    SCORING="$SCORING $!"
    echo "$key" >> "$D/scores"
}
report() {
    for p in $SCORING; do wait "$p"; done
    SCORING=
    while read -r key; do cat "$D/score-$key"; done < "$D/scores"
    : > "$D/scores"
}
: > "$D/scores"
SCORING=

prev=0
for n in $SIZES; do
    if [ "$n" -gt $prev ]; then
        s=$(load $((prev + 1)) "$n" pool .wav 20000)
        echo "  $((n - prev)) more greetings uploaded and analysed by the service in $s s"
    fi
    prev=$n
    if [ "$n" -eq 0 ]; then
        cp models/en-us-tel.mllr "$D/mllr-0"
        score 0 "shipped telephone MLLR (0 greetings)" "$SET/heldout" RV_ASR_MLLR="$D/mllr-0"
        continue
    fi
    t0=$(date +%s)
    mm=${ADAPT_MAP_MIN_FRAMES:+--map-min-frames $ADAPT_MAP_MIN_FRAMES}
    [ $MAP = 1 ] && [ "$n" = "${SIZES##* }" ] && mm="--map-min-frames 1"
    # shellcheck disable=SC2086
    nice -n 10 "$BIN" adapt --data-dir "$D/data" --min-frames "$MIN" $mm > "$D/adapt.out" 2>&1 ||
        { cat "$D/adapt.out" >&2; exit 1; }
    t=$(( $(date +%s) - t0 ))
    echo "  $n greetings: rostvakt adapt --min-frames $MIN $mm in $t s: $(head -1 "$D/adapt.out")"
    f=$(sed -n '1s/.* phrases, \([0-9]*\) frames.*/\1/p' "$D/adapt.out")
    [ "${f:-0}" -ge 6000 ] || echo "  (below the default --min-frames 6000: as shipped, nothing would change)"
    k=$(sed -n 's/.*models\/adapt-\([0-9]*\)\.mllr.*now in use.*/\1/p' "$D/adapt.out")
    if [ -n "$k" ]; then cp "$D/data/models/adapt-$k.mllr" "$D/mllr-$n"
    else sed -n 2p "$D/adapt.out"; cp models/en-us-tel.mllr "$D/mllr-$n"; fi
    score "$n" "installation MLLR from $n greetings" "$SET/heldout" RV_ASR_MLLR="$D/mllr-$n"
    if [ -n "$k" ] && [ -d "$D/data/models/adapt-$k.map" ]; then # as the service loads it
        cp "$D/mllr-$n" "$D/map-$n.mllr" && cp -r "$D/data/models/adapt-$k.map" "$D/map-$n.map"
        score "map$n" "the MAP model rostvakt adapt learned after that MLLR ($n greetings), no MLLR on top" \
            "$SET/heldout" RV_ASR_MLLR="$D/map-$n.mllr"
    fi
done

# model DIR MLLR: Debian's model with its means moved by MLLR
model() {
    rm -rf "$1" && cp -r "$MLLR_MODEL/." "$1"
    "$MLLR_TRAIN/mllr_transform" -inmeanfn "$MLLR_MODEL/means" -outmeanfn "$1/means" -mllrmat "$2" \
        > "$1.log" 2>&1 || { tail "$1.log" >&2; exit 1; }
}
S2M=build/tools/sendump2mixw
if [ "$WB" -gt 0 ]; then
    s=$(load 1 "$WB" pool-wb .flac 30000)
    echo "  wideband: the first $WB of the pool's greetings at 16 kHz uploaded and analysed in $s s"
    t0=$(date +%s)
    nice -n 10 build/adapt_collect "$D/data" "$D/wb" --wideband | sed 's/^/  wideband: /'
    nice -n 10 sh -c ". tools/mllr-lib.sh; estimate_mllr '$D/wb' '$D/wb/dict' '$S2M' '$D/mllr-wb'" || exit 1
    model "$D/wb-model" "$D/mllr-wb"
    echo "  wideband MLLR of the plain model estimated in $(( $(date +%s) - t0 )) s"
    score wb0 "16 kHz held-out greetings, the plain model (as shipped)" "$SET/heldout-wb" RV_ASR_MLLR=none
    score wb "16 kHz held-out greetings, a wideband MLLR from $WB greetings" "$SET/heldout-wb" \
        RV_BENCH_HMM="$D/wb-model" RV_ASR_MLLR=none
fi
report
