# The MLLR estimation shared by tools/adapt-model.sh (the telephone line) and
# bench/adapt-real.sh (real Swedish voices): SphinxTrain's bw accumulates
# over prepared utterances, mllr_solve turns that into one global mean
# transform of Debian's en-us model.
MLLR_MODEL=/usr/share/pocketsphinx/model/en-us/en-us
MLLR_TRAIN=/usr/lib/sphinxtrain

# accumulate W DICT S2M: W holds ctl (utterance ids), lsn (their
# transcripts) and raw/<id>.raw (16 kHz signal as the decoder hears it);
# DICT pronounces every word of lsn; S2M is build/tools/sendump2mixw.
# With MLLR_BASE set, bw aligns under that MLLR matrix (as rostvakt adapt
# aligns under the shipped telephone adaptation).
# Leaves bw's counts in W/acc, the model's text mdef and mixture weights in
# W. Logs stay in W.
accumulate() {
    w=$1; dict=$2; s2m=$3
    mkdir -p "$w/mfc" "$w/acc"
    sphinx_fe -argfile "$MLLR_MODEL/feat.params" -samprate 16000 -c "$w/ctl" -di "$w/raw" -do "$w/mfc" \
        -ei raw -eo mfc -raw yes -input_endian little > "$w/fe.log" 2>&1 ||
        { tail "$w/fe.log" >&2; return 1; }
    pocketsphinx_mdef_convert -text "$MLLR_MODEL/mdef" "$w/mdef.txt" > "$w/mdef.log" 2>&1 ||
        { tail "$w/mdef.log" >&2; return 1; }
    n_sen=$(awk '$2 == "n_tied_state" {print $1}' "$w/mdef.txt")
    "$s2m" "$MLLR_MODEL/sendump" "$n_sen" "$w/mixture_weights" 2>> "$w/mdef.log"
    "$MLLR_TRAIN/bw" -hmmdir "$MLLR_MODEL" -moddeffn "$w/mdef.txt" -mixwfn "$w/mixture_weights" -ts2cbfn .ptm. \
        -feat 1s_c_d_dd -svspec 0-12/13-25/26-38 -cmn batch -agc none -dictfn "$dict" \
        -fdictfn "$MLLR_MODEL/noisedict" ${MLLR_BASE:+-mllrmat "$MLLR_BASE"} -ctlfn "$w/ctl" -lsnfn "$w/lsn" -cepdir "$w/mfc" -accumdir "$w/acc" \
        > "$w/bw.log" 2>&1 || { tail -20 "$w/bw.log" >&2; return 1; }
}

# estimate_mllr W DICT S2M OUT: as accumulate; writes the matrix to OUT
# (replaced whole).
estimate_mllr() {
    w=$1; out=$4
    accumulate "$1" "$2" "$3" || return 1
    "$MLLR_TRAIN/mllr_solve" -meanfn "$MLLR_MODEL/means" -varfn "$MLLR_MODEL/variances" -outmllrfn "$w/mllr" \
        -accumdir "$w/acc" > "$w/mllr.log" 2>&1 || { tail -20 "$w/mllr.log" >&2; return 1; }
    cp "$w/mllr" "$out.tmp" && mv "$out.tmp" "$out"
}

# estimate_map W DICT S2M OUT_DIR: as accumulate; MAP re-estimates the
# model's means and variances (SphinxTrain's map_adapt, Bayesian means) and
# writes a whole model directory to OUT_DIR: the model with those two files
# replaced.
estimate_map() {
    w=$1; out=$4
    accumulate "$1" "$2" "$3" || return 1
    rm -rf "$out.tmp" && cp -r "$MLLR_MODEL/." "$out.tmp" || return 1
    "$MLLR_TRAIN/map_adapt" -moddeffn "$w/mdef.txt" -ts2cbfn .ptm. -meanfn "$MLLR_MODEL/means" \
        -varfn "$MLLR_MODEL/variances" -mixwfn "$w/mixture_weights" -tmatfn "$MLLR_MODEL/transition_matrices" \
        -accumdir "$w/acc" -mapmeanfn "$out.tmp/means" -mapvarfn "$out.tmp/variances" \
        > "$w/map.log" 2>&1 || { tail -20 "$w/map.log" >&2; return 1; }
    rm -rf "$out" && mv "$out.tmp" "$out"
}
