#!/bin/sh
# A lever measured by hand, not in make bench: the acoustic model adapted to
# real Swedish voices (one MLLR transform, as tools/adapt-model.sh does for
# the telephone line) on two speakers of ../shared/speech-sv, and scored on
# the third (leave-one-speaker-out) by bench/bench_real.c.
# Usage: bench/adapt-real.sh SPEECH_DIR HELDOUT_SPEAKER OUT.mllr
# (build/tools/asr_prep, build/tools/sendump2mixw and build/bench_real built).
set -eu
SPEECH=$1; HELD=$2; OUT=$3
cd "$(dirname "$0")/.."
. tools/audio-lib.sh
M=/usr/share/pocketsphinx/model/en-us/en-us
TRAIN=/usr/lib/sphinxtrain
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/raw" "$W/mfc" "$W/acc"
# the other speakers' usable recordings, through a mu-law line
awk -F'\t' -v h="$HELD" 'NR > 1 && $6 != "guess" && $4 != h { print $1 "\t" tolower($2) }' "$SPEECH/manifest.tsv" \
    > "$W/items"
cut -f2 "$W/items" | tr ' ' '\n' | sort -u | build/bench_real --dict > "$W/dict"
args=""
i=0
while IFS="$(printf '\t')" read -r f text; do
    # every word must be in the dictionary
    for w in $text; do grep -q "^$w " "$W/dict" || continue 2; done
    i=$((i + 1))
    id=$(printf 'u%04d' $i)
    $SOX "$SPEECH/$f" -r 16000 -c 1 -b 16 "$W/$id.in.wav"
    phone "$W/$id.in.wav" "$W/$id.wav" ulaw norm -6
    printf '%s\n' "$id" >> "$W/ctl"
    printf '<s> %s </s> (%s)\n' "$text" "$id" >> "$W/lsn"
    args="$args $W/$id.wav $W/raw/$id.raw"
done < "$W/items"
echo "adapt-real: $i recordings of the speakers other than $HELD"
# shellcheck disable=SC2086
build/tools/asr_prep $args
sphinx_fe -argfile "$M/feat.params" -samprate 16000 -c "$W/ctl" -di "$W/raw" -do "$W/mfc" \
    -ei raw -eo mfc -raw yes -input_endian little > "$W/fe.log" 2>&1 || { tail "$W/fe.log" >&2; exit 1; }
pocketsphinx_mdef_convert -text "$M/mdef" "$W/mdef.txt" > "$W/mdef.log" 2>&1
n_sen=$(awk '$2 == "n_tied_state" {print $1}' "$W/mdef.txt")
build/tools/sendump2mixw "$M/sendump" "$n_sen" "$W/mixture_weights" 2>> "$W/mdef.log"
"$TRAIN/bw" -hmmdir "$M" -moddeffn "$W/mdef.txt" -mixwfn "$W/mixture_weights" -ts2cbfn .ptm. \
    -feat 1s_c_d_dd -svspec 0-12/13-25/26-38 -cmn batch -agc none -dictfn "$W/dict" \
    -fdictfn "$M/noisedict" -ctlfn "$W/ctl" -lsnfn "$W/lsn" -cepdir "$W/mfc" -accumdir "$W/acc" \
    > "$W/bw.log" 2>&1 || { tail -20 "$W/bw.log" >&2; exit 1; }
"$TRAIN/mllr_solve" -meanfn "$M/means" -varfn "$M/variances" -outmllrfn "$W/mllr" \
    -accumdir "$W/acc" > "$W/mllr.log" 2>&1 || { tail -20 "$W/mllr.log" >&2; exit 1; }
cp "$W/mllr" "$OUT"
echo "adapt-real: wrote $OUT"
