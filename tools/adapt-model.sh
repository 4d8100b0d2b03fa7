#!/bin/sh
# Builds the telephone-channel adaptation of Debian's US English acoustic
# model: one global MLLR mean transform (SphinxTrain's bw + mllr_solve),
# estimated on real recorded speech that a Debian package ships with its
# transcripts (the Asterisk prompts, 8 kHz studio recordings of the whole
# 0-4 kHz band), heard exactly as rostvakt's decoder hears audio
# (build/asr_prep). RV_ADAPT_LINE=telephone sends each prompt through a
# telephone line first (300-3400 Hz, coded mu-law or GSM in turn, as
# tools/audio-lib.sh's phone() does): better on real voices, worse on the
# synthetic splits, so not shipped (bench/line-es.sh and
# docs/verification.md compare the two). Every fourth usable prompt is held
# out for the real-speech check in make bench (HELDOUT: id, text).
# Usage: tools/adapt-model.sh ASR_PREP SENDUMP2MIXW OUT.mllr HELDOUT.tsv
set -eu
. "$(dirname "$0")/mllr-lib.sh"
. "$(dirname "$0")/audio-lib.sh"
PREP=$1; S2M=$2; OUT=$3; HELD=$4
M=/usr/share/pocketsphinx/model/en-us/en-us
DICT=/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict
SND=/usr/share/asterisk/sounds/en_US_f_Allison
TXT=/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz
TRAIN=/usr/lib/sphinxtrain
LINE=${RV_ADAPT_LINE:-studio}
case $LINE in telephone|studio) ;; *) echo "adapt-model: RV_ADAPT_LINE is telephone or studio" >&2; exit 64 ;; esac
for f in "$M/sendump" "$DICT" "$SND" "$TXT" "$TRAIN/bw" "$TRAIN/mllr_solve"; do
    [ -e "$f" ] || { echo "adapt-model: $f is missing (make deps installs it)" >&2; exit 1; }
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/raw" "$W/mfc" "$W/acc" "$W/line" "$(dirname "$OUT")" "$(dirname "$HELD")"

# Usable prompts: a transcript of dictionary words only, no [sound] notes.
cut -d' ' -f1 "$DICT" | sed 's/(.*//' | sort -u > "$W/words"
zcat "$TXT" | grep -v '^;' | grep ':' | sort | while IFS= read -r line; do
    id=${line%%:*}; text=${line#*:}
    case "$text" in *'['*|*[0-9#*]*) continue ;; esac
    [ -f "$SND/$id.wav" ] || continue
    norm=$(printf '%s' "$text" | tr 'A-Z' 'a-z' | sed "s/[^a-z' ]/ /g; s/  */ /g; s/^ //; s/ $//")
    [ -n "$norm" ] || continue
    oov=$(printf '%s\n' $norm | sort -u | comm -23 - "$W/words" | head -1)
    [ -z "$oov" ] || continue
    printf '%s\t%s\n' "$id" "$norm"
done > "$W/usable"
awk 'NR % 4 != 0' "$W/usable" > "$W/train"
awk 'NR % 4 == 0' "$W/usable" > "$HELD"
echo "adapt-model: $(wc -l < "$W/train") prompts to adapt on ($LINE), $(wc -l < "$HELD") held out"

args=""
i=0
while IFS="$(printf '\t')" read -r id text; do
    i=$((i + 1))
    printf 'u%04d\n' $i >> "$W/ctl"
    printf '<s> %s </s> (u%04d)\n' "$text" $i >> "$W/lsn"
    wav=$SND/$id.wav
    if [ "$LINE" = telephone ]; then
        enc=ulaw; [ $((i % 2)) = 0 ] && enc=gsm
        $SOX "$wav" -r 16000 -c 1 -b 16 "$W/line/in.wav" pad 0.5 0.5
        phone "$W/line/in.wav" "$W/line/$i.wav" "$enc" norm -6
        wav=$W/line/$i.wav
    fi
    args="$args $wav $W/raw/u$(printf %04d $i).raw"
done < "$W/train"
# shellcheck disable=SC2086
"$PREP" $args
estimate_mllr "$W" "$DICT" "$S2M" "$OUT"
echo "adapt-model: wrote $OUT"
