# shellcheck shell=sh
# rostvakt adapt's two steps on real prompts of bench/make-es-sets.sh (one
# voice), shared by bench/adapt-es.sh and bench/install-es.sh: prompts of a
# tune half with their transcripts teach an MLLR (bw aligning under the
# shipped telephone MLLR, then mllr_solve), then MAP after it (bw aligning
# on Debian's model with that MLLR's means, map_adapt with those means as
# the prior), as the command learns them. Source tools/mllr-lib.sh first;
# export RV_BENCH_VOICE, RV_BENCH_MAP and RV_BENCH_DIRECTORY_MAP (the
# dictionary pronounces as bench_real then scores); build/bench_real,
# build/tools/asr_prep and build/tools/sendump2mixw built. ES_TAG prefixes
# the messages.

# es_teach SET HALF CH W MAX: the first MAX clips through CH of SET's
# speaker HALF (clips.tsv's order) whose every word is pronounced, as bw
# reads them: W/ctl, W/lsn, W/raw/uNNNN.raw, W/dict; W/taught names the
# clips' files, one a line. Sets es_n (prompts) and es_frames (10 ms).
es_teach() {
    _set=$1 _half=$2 _ch=$3 _w=$4 _max=$5
    mkdir -p "$_w/raw"
    : > "$_w/ctl"
    : > "$_w/lsn"
    : > "$_w/taught"
    awk -F'\t' -v ch="$_ch" -v h="$_half" '$3 == h { print "p" $1 "-" ch ".wav\t" $4 }' "$_set/clips.tsv" \
        > "$_w/items"
    cut -f2 "$_w/items" | tr ' ' '\n' | sort -u | build/bench_real --dict > "$_w/dict"
    _args=""
    es_n=0
    while IFS="$(printf '\t')" read -r _f _text; do
        [ -f "$_set/$_f" ] || continue
        [ $es_n -lt "$_max" ] || break
        for _wd in $_text; do grep -q "^$_wd " "$_w/dict" || continue 2; done # every word pronounced
        es_n=$((es_n + 1))
        _id=$(printf 'u%04d' $es_n)
        printf '%s\n' "$_id" >> "$_w/ctl"
        printf '<s> %s </s> (%s)\n' "$_text" "$_id" >> "$_w/lsn"
        printf '%s\n' "$_f" >> "$_w/taught"
        _args="$_args $_set/$_f $_w/raw/$_id.raw"
    done < "$_w/items"
    # shellcheck disable=SC2086
    build/tools/asr_prep $_args
    es_frames=0
    for _r in "$_w"/raw/*.raw; do es_frames=$((es_frames + $(stat -c %s "$_r") / 320)); done
}

# es_learn W K NAME: the MLLR of es_teach's W into K/adapt-NAME.mllr, then
# MAP after it into the model directory K/map-NAME.
es_learn() {
    _w=$1 _k=$2 _name=$3
    _t0=$(date +%s)
    MLLR_BASE=models/en-us-tel.mllr estimate_mllr "$_w" "$_w/dict" build/tools/sendump2mixw "$_k/adapt-$_name.mllr"
    echo "$ES_TAG: the MLLR in $(($(date +%s) - _t0)) s"
    _t0=$(date +%s)
    rm -rf "$_w/mllr-model" && cp -r "$MLLR_MODEL/." "$_w/mllr-model"
    "$MLLR_TRAIN/mllr_transform" -inmeanfn "$MLLR_MODEL/means" -outmeanfn "$_w/mllr-model/means" \
        -mllrmat "$_k/adapt-$_name.mllr" > "$_w/transform.log" 2>&1 || { tail "$_w/transform.log" >&2; exit 1; }
    mkdir -p "$_w/map"
    cp -r "$_w/raw" "$_w/ctl" "$_w/lsn" "$_w/map/"
    (
        MLLR_MODEL=$_w/mllr-model
        unset MLLR_BASE
        estimate_map "$_w/map" "$_w/dict" build/tools/sendump2mixw "$_k/map-$_name"
    )
    echo "$ES_TAG: MAP after it in $(($(date +%s) - _t0)) s"
}
