# The MLLR estimation shared by tools/adapt-model.sh (the telephone line) and
# bench/adapt-real.sh (real Swedish voices): SphinxTrain's bw accumulates
# over prepared utterances, mllr_solve turns that into one global mean
# transform of Debian's en-us model.
MLLR_MODEL=/usr/share/pocketsphinx/model/en-us/en-us
MLLR_TRAIN=/usr/lib/sphinxtrain

# estimate_mllr W DICT S2M OUT: W holds ctl (utterance ids), lsn (their
# transcripts) and raw/<id>.raw (16 kHz signal as the decoder hears it);
# DICT pronounces every word of lsn; S2M is build/tools/sendump2mixw.
# Writes the matrix to OUT (replaced whole). Logs stay in W.
estimate_mllr() {
    w=$1; dict=$2; s2m=$3; out=$4
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
        -fdictfn "$MLLR_MODEL/noisedict" -ctlfn "$w/ctl" -lsnfn "$w/lsn" -cepdir "$w/mfc" -accumdir "$w/acc" \
        > "$w/bw.log" 2>&1 || { tail -20 "$w/bw.log" >&2; return 1; }
    "$MLLR_TRAIN/mllr_solve" -meanfn "$MLLR_MODEL/means" -varfn "$MLLR_MODEL/variances" -outmllrfn "$w/mllr" \
        -accumdir "$w/acc" > "$w/mllr.log" 2>&1 || { tail -20 "$w/mllr.log" >&2; return 1; }
    cp "$w/mllr" "$out.tmp" && mv "$out.tmp" "$out"
}
